"""Where the files shipped with Gongkai are: the templates and the demo office's configuration.

An installed wheel holds them as package data next to the code (``gongkai/templates``, ``gongkai/config``:
pyproject ``package-dir``); in a clone, and so in an editable install, they are the repository's top-level
``templates/`` and ``config/`` folders. The package's own copy is used when it exists, else the clone's. Nothing is
ever written here: an installation may be read-only, and the office's files live in its working folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

PACKAGE_DIR: Final = Path(__file__).resolve().parents[1]
"""The ``gongkai`` package folder (in site-packages, or the clone's ``gongkai/``)."""


def shipped(folder: str) -> Path:
    """The shipped folder ``folder`` (``templates`` or ``config``): the installed package's copy, else the clone's."""
    installed = PACKAGE_DIR / folder
    return installed if installed.is_dir() else PACKAGE_DIR.parent / folder


TEMPLATES_DIR: Final = shipped("templates")
"""The templates shipped with Gongkai."""

DEMO_CONFIG: Final = shipped("config") / "gongkai.toml"
"""The shipped configuration: the demo office's (``[office] demo = true``)."""
