"""The ``trimtab`` logger: one place to configure what the library prints."""

from __future__ import annotations

import logging

_LOGGER_NAME = "trimtab"


def get_logger(name: str) -> logging.Logger:
    """Return the library logger for module ``name`` (a child of ``trimtab``)."""
    root = logging.getLogger(_LOGGER_NAME)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[trimtab %(levelname)s] %(message)s"))
        root.addHandler(handler)
        if root.level == logging.NOTSET:  # a level set before trimtab was imported stays
            root.setLevel(logging.INFO)
        root.propagate = False
    return logging.getLogger(name if name.startswith(_LOGGER_NAME) else _LOGGER_NAME)
