"""The unit head's page: extension requests waiting for a decision (Art. 33: the head of the disclosure unit
approves), approve or refuse each, and the unit's overdue applications. Anyone signed in may look; only a
``unit_head`` decides (checked in :func:`gongkai.services.extensions.decide_extension`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import InputError, NotFound
from gongkai.desk.web import Ctx, FormErrors, page
from gongkai.services.actor import require

MAX_DAYS = 20  # Art. 33: at most 20 working days (gongkai.register.deadlines.MAX_EXTENSION_DAYS)


def _page_number(ctx: Ctx) -> int:
    raw = ctx.request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def _render(ctx: Ctx, *, status: int = 200, errors: dict[str, str] | None = None, **form: Any) -> Response:
    from gongkai.services.extensions import pending_extensions
    from gongkai.services.worklist import unit_overdue

    with ctx.unit() as office:
        pending = pending_extensions(office, ctx.me)
        overdue = unit_overdue(office, ctx.me, page=_page_number(ctx))
        as_of = office.as_of
    staff = {p.id: p.name for p in ctx.desk.settings.staff}
    return ctx.render(
        "head/head.html",
        status=status,
        pending=pending,
        overdue=overdue,
        as_of=as_of,
        staff=staff,
        can_decide=ctx.me.has("unit_head"),
        errors=errors or {},
        form=form,
    )


@page()
def head(ctx: Ctx) -> Response:
    return _render(ctx)


def _days(raw: str) -> int | None:
    """The days granted (``None``: those asked for); :class:`FormErrors` when not 1 to 20."""
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise FormErrors({"days": f"批准的天数应为 1 至 {MAX_DAYS} 之间的整数（工作日），实际为“{raw}”。"})
    return int(raw)


@page()
def decide(ctx: Ctx) -> Response:
    from gongkai.services.extensions import decide_extension

    request_id = int(ctx.request.path_params["id"])
    decision, note, raw_days = ctx.field("decision"), ctx.field("note"), ctx.field("days")
    form = {"id": request_id, "decision": decision, "note": note, "days": raw_days}
    require(ctx.me, "unit_head", "批准延期答复")  # a 403 before the form is judged
    try:
        if decision not in ("approve", "refuse"):
            raise FormErrors({"": "请选择批准或不批准。"})
        approve = decision == "approve"
        days = _days(raw_days) if approve else None
        if not approve and not note:
            raise FormErrors({"note": "请填写不批准的理由。"})
        with ctx.unit(records=True) as office:
            done = decide_extension(office, ctx.me, request_id, approve=approve, note=note, days=days)
    except FormErrors as exc:
        return _render(ctx, status=400, errors=exc.errors, **form)
    except NotFound:
        raise  # the decorator's 404
    except InputError as exc:
        return _render(ctx, status=400, errors={"": str(exc)}, **form)
    if done.approved:
        return ctx.redirect("/head", flash=f"已批准 {done.ref} 延期答复 {done.days} 个工作日。")
    return ctx.redirect("/head", flash=f"已记录：不批准 {done.ref} 的延期申请。")


routes: list[BaseRoute] = [
    Route("/head", head, methods=["GET"]),
    Route("/head/extensions/{id:int}", decide, methods=["POST"]),
]
