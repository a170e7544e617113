"""Prefect's environment for Gongkai, set before Prefect is first imported.

Prefect reads its settings from the environment: its files go under Gongkai's working folder
(``PREFECT_HOME``, so nothing touches the service account's ``$HOME``), telemetry is off (offline,
the server logs an error at every start otherwise), and a server Gongkai starts listens on
127.0.0.1 only. This module does not import Prefect.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure(home: Path, *, api_url: str | None = None) -> Path:
    """Point Prefect at ``home/prefect``; returns that folder. Existing explicit settings win."""
    prefect_home = home / "prefect"
    prefect_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ.setdefault("PREFECT_SERVER_API_HOST", "127.0.0.1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    if api_url is not None:
        os.environ["PREFECT_API_URL"] = api_url
    return prefect_home
