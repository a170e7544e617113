"""The handler's pages for applications (依申请公开, issue 13 "The handler's day"): the register list with search,
filters, pages and its export (``GET /applications``, ``/applications/export.csv|.xlsx``), registering
(``GET /applications/new``, ``POST /applications``, CONTRACT section 6, with the deadline shown before saving and
``GET /applications/deadline`` for htmx), and one application's page (``GET /applications/{ref}``) with a form per
action a handler takes (``POST /applications/{ref}/events``, CONTRACT section 6) and the request for an extension
(``POST /applications/{ref}/extension-request``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Final
from urllib.parse import quote, urlencode

from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gongkai.core.codes import (
    APPLICANT_TYPES,
    CHANNELS,
    EVENT_KINDS,
    OUTCOME_BY_ROW,
    OUTCOME_GROUPS,
    OUTCOMES,
    STATES,
    find_outcome,
)
from gongkai.core.errors import InputError, NotFound
from gongkai.desk.web import Ctx, FormErrors, page
from gongkai.services.actor import require_work

_FILTERS: Final = ("q", "state", "assignee", "year", "scope")
_EXTENSION_FORM: Final = "extension-request"
_MAX_DAYS: Final = 20
_CORRECTION_MAX_DAYS: Final = 60
_DAYS_KINDS: Final = {"correction_requested": _CORRECTION_MAX_DAYS, "extension_approved": _MAX_DAYS}


def app_url(ref: str) -> str:
    """The page of application ``ref``."""
    return "/applications/" + quote(ref, safe="")


def _today(ctx: Ctx) -> date:
    """The desk's business date (the one every unit of this request uses)."""
    from gongkai.services.office import business_day

    return business_day(ctx.desk.settings, ctx.desk.as_of)


def _staff_names(ctx: Ctx) -> dict[str, str]:
    return {s.id: s.name for s in ctx.desk.settings.staff}


# -- the list and its export -------------------------------------------------------------------------


def _query(ctx: Ctx) -> tuple[Any, dict[str, str], dict[str, str]]:
    """The list's filters from the query string: the query, the values as given, a message per bad filter (a bad
    filter is left out)."""
    from gongkai.services.registerlist import SCOPES, SEARCH_MAX, RegisterQuery

    params = ctx.request.query_params
    values = {name: params.get(name, "").strip() for name in _FILTERS}
    errors: dict[str, str] = {}
    state = values["state"] or None
    if state is not None and state not in STATES:
        errors["state"] = f"“状态”应为以下之一：{'、'.join(STATES.values())}。"
        state = None
    year: int | None = None
    if values["year"]:
        year = _number(values["year"], 1901, 2999)
        if year is None:
            errors["year"] = f"“年度”应为四位数的年份，如 {_today(ctx).year}。"
    scope = values["scope"] or "open"
    if scope not in SCOPES:
        errors["scope"] = f"“范围”应为以下之一：{'、'.join(SCOPES.values())}。"
        scope = "open"
    text = values["q"]
    if len(text) > SEARCH_MAX:
        errors["q"] = f"“查找”最长 {SEARCH_MAX} 个字符，实际为 {len(text)} 个字符。"
        text = ""
    return RegisterQuery(text, state, values["assignee"] or None, year, scope), values, errors


def _query_string(values: Mapping[str, str], **extra: str | int) -> str:
    pairs = [(k, v) for k, v in values.items() if v and k in _FILTERS]
    pairs.extend((k, str(v)) for k, v in extra.items())
    return urlencode(pairs)


@page()
def register_list(ctx: Ctx) -> Response:
    from gongkai.services.registerlist import SCOPES, UNASSIGNED, search_register

    query, values, errors = _query(ctx)
    number = _number(ctx.request.query_params.get("page", "1"), 1, 10_000_000) or 1
    with ctx.unit() as office:
        found = search_register(office, ctx.me, query, page=number)
        as_of = office.as_of
    return ctx.render(
        "applications/list.html",
        status=400 if errors else 200,
        found=found,
        values=values,
        errors=errors,
        as_of=as_of,
        pages=_page_links(values, found.pages, found.page),
        export=_query_string(values),
        scopes=SCOPES,
        unassigned=UNASSIGNED,
        staff=ctx.desk.settings.staff,
        staff_names=_staff_names(ctx),
        applicant_types=APPLICANT_TYPES,
    )


def _page_links(values: Mapping[str, str], pages: int, current: int) -> list[tuple[int | None, str]]:
    """Links to the first, the last and the pages around ``current`` with the same filters (``None``: a gap)."""
    shown = sorted({1, pages, *range(max(1, current - 3), min(pages, current + 3) + 1)})
    out: list[tuple[int | None, str]] = []
    for before, n in zip([0, *shown], shown, strict=False):
        if before and n > before + 1:
            out.append((None, ""))
        out.append((n, "/applications?" + _query_string(values, page=n)))
    return out


def _number(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high`` (ASCII digits only), else ``None``."""
    if not re.fullmatch(r"[0-9]{1,9}", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _export(ctx: Ctx, fmt: str) -> Response:
    from gongkai.services.registerlist import export_register

    query, _values, errors = _query(ctx)
    if errors:
        return ctx.render("error.html", status=400, title="无法导出", message="；".join(errors.values()))
    done = export_register(ctx.desk.register, ctx.me, query, fmt=fmt, as_of=ctx.desk.as_of)
    ascii_name = "register-" + done.filename.split("-", 1)[1]  # for clients that ignore filename*
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(done.filename)}"
    return StreamingResponse(
        done.chunks, media_type=done.media_type, headers={"content-disposition": disposition}
    )


@page()
def export_csv(ctx: Ctx) -> Response:
    return _export(ctx, "csv")


@page()
def export_xlsx(ctx: Ctx) -> Response:
    return _export(ctx, "xlsx")


# -- registering -------------------------------------------------------------------------------------


def _form_page(
    ctx: Ctx,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int,
    deadline: Any = None,
    as_of: date,
) -> Response:
    handlers = [s for s in ctx.desk.settings.staff if "handler" in s.role]
    return ctx.render(
        "applications/new.html",
        status=status,
        values=values,
        errors=errors,
        deadline=deadline,
        deadline_errors={k: v for k, v in errors.items() if k in ("received", "channel")},
        as_of=as_of,
        applicant_types=APPLICANT_TYPES,
        channels=CHANNELS,
        handlers=handlers,
    )


@page()
def new_form(ctx: Ctx) -> Response:
    as_of = _today(ctx)
    me = ctx.me
    values = {"received": as_of.isoformat(), "assignee": me.name if me.has("handler") else ""}
    return _form_page(ctx, values, {}, status=200, as_of=as_of)


@page()
def create(ctx: Ctx) -> Response:
    from gongkai.services.applicationform import (
        FORM_FIELDS,
        check_application_form,
        deadline_preview,
        field_of_message,
    )
    from gongkai.services.applications import register_application

    require_work(ctx.me, "登记申请")  # a 403 before the form is judged

    values = {name: ctx.field(name) for name in FORM_FIELDS}
    as_of = _today(ctx)
    if ctx.form is not None and "preview" in ctx.form:
        with ctx.unit() as office:
            deadline, errors = deadline_preview(office, values)
        return _form_page(ctx, values, errors, status=400 if errors else 200, deadline=deadline, as_of=as_of)
    try:
        with ctx.unit(records=True) as office:
            checked, errors = check_application_form(office, values)
            if checked is None:
                raise FormErrors(errors)
            done = register_application(
                office,
                ctx.me,
                received_on=checked.received_on,
                applicant_type=checked.applicant_type,
                applicant_name=checked.applicant_name,
                content=checked.content,
                ref=checked.ref,
                channel=checked.channel,
                contact=checked.contact,
                id_number=checked.id_number,
                assignee=checked.assignee,
            )
    except FormErrors as exc:
        return _form_page(ctx, values, exc.errors, status=400, as_of=as_of)
    except InputError as exc:  # what only the write finds (a ref taken meanwhile, the year lock …)
        if isinstance(exc, NotFound):
            raise
        return _form_page(ctx, values, {field_of_message(str(exc)): str(exc)}, status=400, as_of=as_of)
    clock = done.clock
    flag = "（暂定）" if clock.provisional else ""
    return ctx.redirect(
        app_url(done.ref),
        flash=f"已登记申请 {done.ref}：从严掌握的答复日 {clock.safe_due}{flag}，法定答复期限 {clock.due}{flag}。",
    )


@page()
def deadline_box(ctx: Ctx) -> Response:
    """The deadline box of the form, for htmx (always 200: htmx swaps in only successful answers)."""
    from gongkai.services.applicationform import deadline_preview

    params = ctx.request.query_params
    values = {"received": params.get("received", "").strip(), "channel": params.get("channel", "").strip()}
    with ctx.unit() as office:
        deadline, errors = deadline_preview(office, values)
    return ctx.render("applications/_deadline.html", deadline=deadline, deadline_errors=errors)


# -- one application ---------------------------------------------------------------------------------


def _actions(detail: Any, me: Any, as_of: date) -> list[str]:
    """The actions that make sense for the application's state (the service still checks each one)."""
    clock = detail.clock
    if not clock.is_open:
        return []
    kinds = [e.kind for e in detail.events]
    awaiting = clock.state == "awaiting_correction"
    out: list[str] = []
    if awaiting:
        out.append("correction_received")
    elif "correction_requested" not in kinds:
        out.append("correction_requested")
    if not awaiting:
        out.append("consultation_sent")
        if kinds.count("consultation_sent") > kinds.count("consultation_replied"):
            out.append("consultation_replied")
        if kinds.count("fee_notice_sent") > kinds.count("fee_paid"):
            out.append("fee_paid")
        else:
            out.append("fee_notice_sent")
        if "delayed_reply_set" not in kinds:
            out.append("delayed_reply_set")
        if me.has("unit_head") and not clock.extended and as_of <= clock.original_due:
            out.append("extension_approved")
    out += ["replied", "withdrawn"]
    return out


def _may_request_extension(detail: Any, requests: list[Any], as_of: date) -> bool:
    clock = detail.clock
    return (
        clock.is_open
        and not clock.extended
        and as_of <= clock.original_due
        and not any(r.status == "pending" for r in requests)
    )


def _detail_page(
    ctx: Ctx,
    ref: str,
    *,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    failed: str | None = None,
) -> Response:
    from gongkai.services.applications import application_detail
    from gongkai.services.extensions import extension_requests

    with ctx.unit() as office:
        detail = application_detail(office, ctx.me, ref)
        requests = extension_requests(office, ctx.me, ref)
        as_of = office.as_of
    actions = _actions(detail, ctx.me, as_of)
    may_request = _may_request_extension(detail, requests, as_of)
    groups: dict[str, list[Any]] = {}
    for o in OUTCOMES:
        groups.setdefault(OUTCOME_GROUPS[o.row[:3]], []).append(o)
    return ctx.render(
        "applications/show.html",
        status=status,
        a=detail,
        ref=ref,
        url=app_url(ref),
        requests=requests,
        actions=actions,
        may_request_extension=may_request,
        shown_forms=[*actions, _EXTENSION_FORM] if may_request else actions,
        as_of=as_of,
        errors=errors or {},
        typed=typed or {},
        failed=failed,
        outcome_groups=groups,
        outcome_by_row=OUTCOME_BY_ROW,
        applicant_types=APPLICANT_TYPES,
        channels=CHANNELS,
        staff_names=_staff_names(ctx),
        request_status={"pending": "待审批", "approved": "已批准", "refused": "未批准"},
        max_days=_MAX_DAYS,
        extension_form=_EXTENSION_FORM,
    )


@page()
def show(ctx: Ctx) -> Response:
    return _detail_page(ctx, ctx.request.path_params["ref"])


def _event_spec(kind: str, day: str, param: str) -> tuple[str | None, dict[str, str]]:
    """``KIND:DATE[:PARAM]`` from the form's fields, or one message per bad field."""
    from gongkai.core.dates import parse_date

    errors: dict[str, str] = {}
    try:
        on = parse_date(day, field="日期") if day else None
        if on is None:
            errors["date"] = "请填写“日期”。"
    except InputError as exc:
        on, errors["date"] = None, str(exc)
    extra = ""
    if kind in _DAYS_KINDS and param:
        limit = _DAYS_KINDS[kind]
        days = _number(param, 1, limit)
        if days is None:
            errors["param"] = f"天数应为 1 至 {limit} 的整数（工作日）。"
        else:
            extra = str(days)
    elif kind == "delayed_reply_set":
        if not param:
            errors["param"] = "请填写本机关确定的答复日期。"
        else:
            try:
                extra = parse_date(param, field="答复日期").isoformat()
            except InputError as exc:
                errors["param"] = str(exc)
    elif kind == "replied":
        found = find_outcome(param) if param else None
        if found is None:
            errors["param"] = "请选择办理结果（年度报告表三的一行）。"
        else:
            extra = found.row
    elif param:
        errors["param"] = f"“{EVENT_KINDS[kind]}”不需要填写该项。"
    if errors or on is None:
        return None, errors
    return f"{kind}:{on.isoformat()}" + (f":{extra}" if extra else ""), {}


@page()
def add_event(ctx: Ctx) -> Response:
    from gongkai.core.errors import EventError
    from gongkai.services.applications import parse_event, record_event

    require_work(ctx.me, "登记办理过程")  # a 403 before the form is judged

    ref = ctx.request.path_params["ref"]
    kind, day, param, note = ctx.field("kind"), ctx.field("date"), ctx.field("param"), ctx.field("note")
    typed = {"date": day, "param": param, "note": note}
    if kind not in EVENT_KINDS:
        message = f"事件类型“{kind}”无效，应为以下之一：{'、'.join(EVENT_KINDS.values())}。"
        return _detail_page(ctx, ref, status=400, errors={"": message}, typed=typed, failed=kind or "?")
    spec, errors = _event_spec(kind, day, param)
    if spec is not None:
        try:
            with ctx.unit(records=True) as office:
                recorded = record_event(office, ctx.me, ref, parse_event(spec), note=note or None)
        except (EventError, InputError) as exc:
            if isinstance(exc, NotFound):
                raise
            errors = {"": str(exc)}
    if errors:
        return _detail_page(ctx, ref, status=400, errors=errors, typed=typed, failed=kind)
    state = STATES.get(recorded.clock.state, recorded.clock.state)
    return ctx.redirect(
        app_url(ref),
        flash=f"已登记：{EVENT_KINDS[kind]}（{recorded.event.on}）。当前状态：{state}；法定答复期限 {recorded.clock.due}。",
    )


@page()
def request_extension(ctx: Ctx) -> Response:
    from gongkai.services.extensions import request_extension as ask

    require_work(ctx.me, "申请延期答复")  # a 403 before the form is judged

    ref = ctx.request.path_params["ref"]
    days, reason = ctx.field("days"), ctx.field("reason")
    typed = {"days": days, "reason": reason}
    errors: dict[str, str] = {}
    asked = _number(days, 1, _MAX_DAYS)
    if asked is None:
        errors["days"] = f"“延期天数”应为 1 至 {_MAX_DAYS} 的整数（工作日）。"
    if not reason:
        errors["reason"] = "请填写延期的理由。"
    if asked is not None and not errors:
        try:
            with ctx.unit(records=True) as office:
                ask(office, ctx.me, ref, days=asked, reason=reason)
        except InputError as exc:
            if isinstance(exc, NotFound):
                raise
            errors[""] = str(exc)
    if errors:
        return _detail_page(ctx, ref, status=400, errors=errors, typed=typed, failed=_EXTENSION_FORM)
    return ctx.redirect(app_url(ref), flash="已提交负责人审批。")


routes: list[BaseRoute] = [
    Route("/applications", register_list, methods=["GET"]),
    Route("/applications", create, methods=["POST"]),
    Route("/applications/new", new_form, methods=["GET"]),
    Route("/applications/deadline", deadline_box, methods=["GET"]),
    Route("/applications/export.csv", export_csv, methods=["GET"]),
    Route("/applications/export.xlsx", export_xlsx, methods=["GET"]),
    Route("/applications/{ref:path}/events", add_event, methods=["POST"]),
    Route("/applications/{ref:path}/extension-request", request_extension, methods=["POST"]),
    Route("/applications/{ref:path}", show, methods=["GET"]),
]
