"""待办 (CONTRACT section 6, ``GET /``): the signed-in person's open applications, overdue first, with the
working days left; extension requests waiting for a unit head."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.desk.web import Ctx, page


@page()
def home(ctx: Ctx) -> Response:
    from gongkai.services.worklist import todo

    with ctx.unit() as office:
        work = todo(office, ctx.me)
        as_of = office.as_of
    return ctx.render("home.html", work=work, as_of=as_of)


routes: list[BaseRoute] = [Route("/", home, methods=["GET"])]
