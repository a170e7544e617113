"""Running the desk: uvicorn on ``[desk] bind``/``port`` (``gongkai desk``, or as a supervised child of
``gongkai serve``: ``python -m gongkai.desk.server``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger("gongkai.desk")


def _log_to_stderr() -> None:
    """Warnings and errors to stderr (``desk.log`` under ``gongkai serve``), masked like the service's log."""
    from gongkai.notify.channels import RedactingFilter

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


def serve_desk(port: int | None = None, *, announce: Callable[[str], None] | None = None) -> None:
    """Run the desk in this process until SIGTERM/SIGINT (uvicorn handles both); ``announce`` is told the
    address (and the warning when it listens beyond this machine) once it is about to listen."""
    import uvicorn

    from gongkai.core.settings import load_settings
    from gongkai.core.webaddress import desk_address, desk_bind_warning
    from gongkai.desk.app import create_app

    _log_to_stderr()
    settings = load_settings(os.environ.get("GONGKAI_CONFIG"), os.environ.get("GONGKAI_OFFICE"))
    port = port or settings.desk.port
    prefect = os.environ.get("GONGKAI_PREFECT_UI")
    app = create_app(settings, prefect_ui=prefect)
    config = uvicorn.Config(
        app,
        host=settings.desk.bind,
        port=port,
        log_level="warning",
        access_log=False,  # an access log would record references and search words; the audit trail says who did what
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
    )
    server = uvicorn.Server(config)
    if announce is not None:
        warning = desk_bind_warning(settings.desk.bind)
        if warning:
            announce(warning)
        announce(f"员工工作台：{desk_address(settings.desk.bind, port)}")
    server.run()


def main() -> None:  # pragma: no cover - the child process of ``gongkai serve``
    port = int(os.environ.get("GONGKAI_DESK_PORT", "0")) or None
    serve_desk(port)


if __name__ == "__main__":  # pragma: no cover
    main()
