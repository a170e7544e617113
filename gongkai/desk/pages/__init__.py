"""The desk's pages, one module per area; each lists its ``routes``."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """Every page's route."""
    from gongkai.desk.pages import (
        admin,
        applications,
        auth,
        catalogue,
        county,
        head,
        home,
        imports,
        report,
        review,
    )

    out: list[BaseRoute] = []
    for module in (auth, home, applications, imports, head, catalogue, review, report, admin, county):
        out.extend(module.routes)
    return out
