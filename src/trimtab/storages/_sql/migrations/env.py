"""Alembic environment: runs trimtab's migrations on the connection trimtab hands over."""

from alembic import context

from trimtab.storages._sql._schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
