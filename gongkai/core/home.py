"""Where the office's data lives, from the environment: the working folder (``GONGKAI_HOME``) and the database
(``GONGKAI_DATABASE_URL``).

Apart from :mod:`gongkai.core.settings` (which re-exports these names) so that what needs only the database's address
— the deadline calculator reading imported holiday schedules — does not load pydantic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

HOME_ENV: Final = "GONGKAI_HOME"
DATABASE_URL_ENV: Final = "GONGKAI_DATABASE_URL"


def gongkai_home() -> Path:
    """The working folder for the database, generated documents and logs: ``GONGKAI_HOME`` or ``./var``,
    as an absolute path. Not created here."""
    return Path(os.environ.get(HOME_ENV, "").strip() or "var").expanduser().resolve()


def database_url() -> str:
    """The SQLAlchemy database URL: ``GONGKAI_DATABASE_URL`` or SQLite in :func:`gongkai_home`.

    May contain a password: pass it through :func:`~gongkai.core.settings.redact_url` before it reaches a log or a
    message.
    """
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        return from_env
    return f"sqlite:///{(gongkai_home() / 'gongkai.db').as_posix()}"
