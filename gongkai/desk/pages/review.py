"""定期检查 (the weekly content review's tasks): the same actions as ``gongkai review list|show|record``, over the
same services (CONTRACT section 6).

``GET /review`` lists the tasks (status, kind and owner filters; urgent and earliest due first; one page at a
time); ``GET /review/{id}`` shows one task with what was found, the Art. 26 date a draft puts at risk and the
outcomes recorded, and a form offering exactly the outcomes the task allows; ``POST /review/{id}`` records
one through :func:`gongkai.services.review.record_review_outcome` as the signed-in person (a refusal: the form
again with the service's sentence, nothing written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import InputError, NotFound
from gongkai.desk.pages.catalogue import DATE_LABELS, my_name, plain_message
from gongkai.desk.web import Ctx, page
from gongkai.services.actor import require_work

PAGE_SIZE = 50
STATUSES = {"open": "待处理", "done": "已登记处理结果", "closed": "情况已消除，自动关闭", "all": "全部"}
OUTCOME_FIELDS = ("outcome", "reviewer", "reviewed_on", "reason", "repealed_on")
_DATE_LABELS = {**DATE_LABELS, "reviewed_on": "审查日期", "repealed_on": "废止日期"}


def _names(ctx: Ctx) -> tuple[dict[str, str], str]:
    """The staff's names by id, and the name of who takes the tasks of items without an owner."""
    settings = ctx.desk.settings
    return {s.id: s.name for s in settings.staff}, settings.review_owner.name


@page()
def task_list(ctx: Ctx) -> Response:
    from gongkai.services.review import review_kinds, review_task_page

    params = ctx.request.query_params
    status = params.get("status", "open")
    status = status if status in STATUSES else "open"
    kind, owner = params.get("kind", "").strip(), params.get("owner", "").strip()
    number = params.get("page", "")
    names, default_owner = _names(ctx)
    errors: dict[str, str] = {}
    found = None
    try:
        with ctx.unit() as office:
            found = review_task_page(
                office,
                ctx.me,
                status=None if status == "all" else status,
                kind=kind or None,
                owner=owner or None,
                page=int(number) if number.isdigit() and len(number) < 7 else 1,
                size=PAGE_SIZE,
            )
            as_of = office.as_of
    except InputError as exc:  # an unknown kind typed into the address
        errors["kind"] = plain_message(str(exc))
        as_of = None
    filters = [("status", status if status != "open" else ""), ("kind", kind), ("owner", owner)]

    def page_url(n: int) -> str:
        return "/review?" + urlencode([(k, v) for k, v in filters if v] + [("page", str(n))])

    return ctx.render(
        "review/list.html",
        status=400 if errors else 200,
        found=found,
        errors=errors,
        as_of=as_of,
        statuses=STATUSES,
        kinds=review_kinds(),
        chosen={"status": status, "kind": kind, "owner": owner},
        names=names,
        default_owner=default_owner,
        prev_url=page_url(found.page - 1) if found and found.page > 1 else None,
        next_url=page_url(found.page + 1) if found and found.page < found.pages else None,
    )


def _task_page(
    ctx: Ctx,
    task_id: int,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    from gongkai.services.review import review_task

    with ctx.unit() as office:
        found = review_task(office, ctx.me, task_id)
        as_of = office.as_of
    names, default_owner = _names(ctx)
    defaults = {"reviewer": my_name(ctx), "reviewed_on": as_of.isoformat()}
    return ctx.render(
        "review/show.html",
        status=status,
        found=found,
        t=found.task,
        as_of=as_of,
        statuses=STATUSES,
        names=names,
        default_owner=default_owner,
        values={**defaults, **(values or {})},
        errors=errors or {},
    )


@page()
def show_task(ctx: Ctx) -> Response:
    return _task_page(ctx, ctx.request.path_params["task_id"])


@page()
def record_outcome(ctx: Ctx) -> Response:
    from gongkai.core.dates import parse_date
    from gongkai.services.review import record_review_outcome, review_task

    require_work(ctx.me, "登记定期检查结果")  # a 403 before the form is judged

    task_id: int = ctx.request.path_params["task_id"]
    values = {name: ctx.field(name) for name in OUTCOME_FIELDS}
    with ctx.unit() as office:
        allowed = review_task(office, ctx.me, task_id).allowed  # NotFound: 404
    errors: dict[str, str] = {}
    if values["outcome"] not in {a.outcome for a in allowed}:
        choices = "、".join(a.label for a in allowed)
        errors["outcome"] = f"请选择处理结果：本任务可登记 {choices}。"
    if not values["reviewer"]:
        errors["reviewer"] = "请填写审查人姓名。"
    if not values["reason"]:
        errors["reason"] = "请写明理由或所做的处理（继续不予公开时写明法律依据）。"
    dates: dict[str, Any] = {}
    for name in ("reviewed_on", "repealed_on"):
        if name == "repealed_on" and values["outcome"] != "repealed":
            continue  # only a repeal has a repeal date; the field is ignored otherwise, as on the command line
        if not values[name]:
            dates[name] = None
            continue
        try:
            dates[name] = parse_date(values[name], field=_DATE_LABELS[name])
        except InputError as exc:
            errors[name] = str(exc)
    if errors:
        return _task_page(ctx, task_id, values, errors, 400)
    try:
        with ctx.unit(records=True) as office:
            done = record_review_outcome(
                office,
                ctx.me,
                task_id,
                outcome=values["outcome"],
                reviewer=values["reviewer"],
                reason=values["reason"],
                reviewed_on=dates.get("reviewed_on"),
                repealed_on=dates.get("repealed_on"),
            )
    except NotFound:
        raise
    except InputError as exc:  # the service's refusal: the whole transaction rolled back
        return _task_page(ctx, task_id, values, {"": plain_message(str(exc))}, 400)
    return ctx.redirect(
        f"/review/{task_id}",
        flash=f"已登记检查任务 #{done.task_id}（{done.kind_label}，{done.ref}）的处理结果：{done.outcome_label}。"
        f"处理：{done.effect}。",
    )


routes: list[BaseRoute] = [
    Route("/review", task_list, methods=["GET"]),
    Route("/review/{task_id:int}", show_task, methods=["GET"]),
    Route("/review/{task_id:int}", record_outcome, methods=["POST"]),
]
