"""The county's overview (``GET /county``): every office's open, overdue and unpublished work and last year's report
readiness, and the county report of last year to download. Only ``county`` people may look
(checked in :mod:`gongkai.services.county`); the page changes nothing."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.desk.web import Ctx, page


@page()
def overview(ctx: Ctx) -> Response:
    from gongkai.services.county import COUNTY_REPORT_FORMATS, county_overview
    from gongkai.services.office import business_day

    day = business_day(ctx.desk.settings, ctx.desk.as_of)
    found = county_overview(ctx.desk.register.engine, ctx.me, day)
    return ctx.render("county/county.html", overview=found, formats=COUNTY_REPORT_FORMATS)


@page()
def report(ctx: Ctx) -> Response:
    from gongkai.core.errors import GongkaiError, NotAllowed, NotFound
    from gongkai.services.county import COUNTY_REPORT_FORMATS, county_report_document

    year = int(ctx.request.path_params["year"])
    fmt = str(ctx.request.path_params["fmt"])
    try:
        content = county_report_document(ctx.desk.register.engine, ctx.me, year, fmt)
    except (NotAllowed, NotFound):
        raise
    except GongkaiError as exc:  # a year outside the report's range
        return ctx.render("error.html", status=400, title="无法下载", message=str(exc))
    chinese = f"{year}年全县政府信息公开工作年度报告数据汇总.{fmt}"
    disposition = (
        f"attachment; filename=\"county-report-{year}.{fmt}\"; filename*=UTF-8''{quote(chinese, safe='')}"
    )
    return Response(
        content, media_type=COUNTY_REPORT_FORMATS[fmt], headers={"content-disposition": disposition}
    )


routes: list[BaseRoute] = [
    Route("/county", overview, methods=["GET"]),
    Route("/county/report/{year:int}.{fmt}", report, methods=["GET"]),
]
