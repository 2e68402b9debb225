"""The ``trimtab`` command line."""

from trimtab.cli._main import main

__all__ = ["main"]
