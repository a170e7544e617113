"""The package as it ships: ``gongkai/`` with the top-level ``flows/`` and ``tasks/`` folders placed at
``gongkai/flows`` and ``gongkai/tasks`` (the wheel's mapping, pyproject ``package-dir``).

Static tools (mypy, import-linter) find packages by walking folders and know nothing of that mapping, so
they check a copy in this shape; their findings name ``gongkai/flows/...`` for the repository's
``flows/...``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"flows": "gongkai/flows", "tasks": "gongkai/tasks"}


def shipped_tree(dest: Path) -> Path:
    """Copy the sources into ``dest`` in the shipped shape; returns ``dest`` (holding ``gongkai/``)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "gongkai", dest / "gongkai", ignore=ignore)
    for folder, target in MAPPED.items():
        shutil.copytree(ROOT / folder, dest / target, ignore=ignore)
    return dest


def repo_path(text: str) -> str:
    """A tool's message with shipped paths turned back into the repository's (``gongkai/flows/`` → ``flows/``)."""
    for folder, target in MAPPED.items():
        text = text.replace(target + "/", folder + "/")
    return text
