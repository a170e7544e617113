"""The administrator's pages: the index (with the Prefect UI's address when known), accounts (set a password,
unlock, sign out everywhere), the audit trail (also the unit head's) and the holiday-schedule import. Roles are
checked in the services; the pages check them first too, so a refusal is a 403 whatever the form held."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import InputError, NotAllowed, NotFound
from gongkai.desk.web import Ctx, FormErrors, page
from gongkai.services.actor import require

CALENDAR_SUFFIXES = (".csv", ".xlsx")
MOVED_SHOWN = 200  # deadlines listed after an import (the rest counted)


@page()
def index(ctx: Ctx) -> Response:
    if not (ctx.me.has("administrator") or ctx.me.has("unit_head")):
        raise NotAllowed(f"{ctx.me.name} 无权进入系统管理：只有系统管理员或信息公开工作机构负责人可以进入。")
    return ctx.render("admin/index.html")


# -- accounts ------------------------------------------------------------------------------------------------


def _accounts(
    ctx: Ctx, *, status: int = 200, errors: dict[str, str] | None = None, who: str = ""
) -> Response:
    from gongkai.services.accounts import list_accounts

    with ctx.unit() as office:
        people = list_accounts(office, ctx.me)
    return ctx.render(
        "admin/accounts.html", status=status, people=people, now=ctx.desk.now(), errors=errors or {}, who=who
    )


@page()
def accounts(ctx: Ctx) -> Response:
    return _accounts(ctx)


def _person(ctx: Ctx) -> str:
    """The staff id of the path, once the signed-in person is known to manage accounts (else 403)."""
    require(ctx.me, "administrator", "管理账号")
    staff_id = str(ctx.request.path_params["staff_id"])
    if ctx.desk.settings.staff_by_id(staff_id) is None:
        raise NotFound(f"没有人员标识为“{staff_id}”的工作人员（配置文件的 [[staff]] 中没有）。")
    return staff_id


def _signed_out_if_me(ctx: Ctx, staff_id: str, flash: str) -> Response:
    """After a change that ended ``staff_id``'s sessions: to the sign-in page when that was the signed-in person
    (their own session is gone too), else back to the accounts."""
    if staff_id == ctx.me.name:
        ctx.request.session.clear()
        return ctx.redirect("/login?changed=1")
    return ctx.redirect("/admin/accounts", flash=flash)


@page()
def set_password(ctx: Ctx) -> Response:
    from gongkai.services.accounts import set_password as set_it

    staff_id = _person(ctx)
    new, again = ctx.form.get("new") if ctx.form else None, ctx.form.get("again") if ctx.form else None
    try:
        if not isinstance(new, str) or not new:
            raise FormErrors({"new": "请输入新密码。"})
        if new != again:
            raise FormErrors({"again": "两次输入的新密码不一致。"})
        with ctx.unit() as office:
            try:
                set_it(office, ctx.me, staff_id, new)
            except InputError as exc:
                raise FormErrors({"new": str(exc)}) from exc
    except FormErrors as exc:
        return _accounts(ctx, status=400, errors=exc.errors, who=staff_id)
    return _signed_out_if_me(ctx, staff_id, f"已为 {staff_id} 设置新密码，其已登录的浏览器均已退出。")


@page()
def unlock(ctx: Ctx) -> Response:
    from gongkai.services.accounts import unlock_account

    staff_id = _person(ctx)
    with ctx.unit() as office:
        unlock_account(office, ctx.me, staff_id)
    return ctx.redirect("/admin/accounts", flash=f"已解除 {staff_id} 的账号锁定。")


@page()
def end_sessions(ctx: Ctx) -> Response:
    from gongkai.services.accounts import end_sessions as end_them

    staff_id = _person(ctx)
    with ctx.unit() as office:
        end_them(office, ctx.me, staff_id)
    return _signed_out_if_me(ctx, staff_id, f"已让 {staff_id} 在所有浏览器上退出登录。")


# -- audit ---------------------------------------------------------------------------------------------------


def _day(ctx: Ctx, name: str, label: str, errors: dict[str, str]) -> date | None:
    raw = ctx.request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{label}应为 YYYY-MM-DD 格式的日期，例如 2026-03-02，实际为“{raw}”。"
        return None


@page()
def audit(ctx: Ctx) -> Response:
    from gongkai.services.audit import audit_trail

    query = ctx.request.query_params
    errors: dict[str, str] = {}
    since, until = _day(ctx, "since", "起始日期", errors), _day(ctx, "until", "截止日期", errors)
    if since and until and since > until:
        errors["until"] = "截止日期不能早于起始日期。"
    person = query.get("actor", "").strip()[:64]
    raw_page = query.get("page", "1")
    number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    filters = {"actor": person, "since": query.get("since", ""), "until": query.get("until", "")}
    with ctx.unit() as office:
        trail = audit_trail(
            office,
            ctx.me,
            actor_filter=person or None,
            since=None if errors else since,
            until=None if errors else until,
            page=number,
        )
    return ctx.render(
        "admin/audit.html",
        status=400 if errors else 200,
        trail=None if errors else trail,
        errors=errors,
        filters=filters,
        staff=ctx.desk.settings.staff,
    )


# -- calendar ------------------------------------------------------------------------------------------------


def _calendar(ctx: Ctx, *, status: int = 200, errors: dict[str, Any] | None = None, **form: Any) -> Response:
    from gongkai.services.workcalendar import imported_years

    with ctx.unit() as office:
        years = imported_years(office, ctx.me)
    result = ctx.request.session.pop("calendar_import", None) if status == 200 else None
    return ctx.render(
        "admin/calendar.html", status=status, years=years, errors=errors or {}, form=form, result=result
    )


@page()
def calendar(ctx: Ctx) -> Response:
    require(ctx.me, "administrator", "导入放假安排")
    return _calendar(ctx)


@page()
def import_calendar(ctx: Ctx) -> Response:
    from gongkai.services.workcalendar import import_calendar as import_it

    require(ctx.me, "administrator", "导入放假安排")
    source, allow = ctx.field("source")[:200], ctx.field("allow_incomplete") == "1"
    upload = ctx.upload("file")
    form = {"source": source, "allow_incomplete": allow}
    if upload is None:
        return _calendar(ctx, status=400, errors={"file": ["请选择要导入的文件（.csv 或 .xlsx）。"]}, **form)
    name = Path(upload.filename or "").name
    if not name.lower().endswith(CALENDAR_SUFFIXES):
        return _calendar(
            ctx, status=400, errors={"file": [f"只能导入 .csv 或 .xlsx 文件，收到的是“{name}”。"]}, **form
        )
    with tempfile.TemporaryDirectory(prefix="gongkai-calendar-") as folder:
        path = Path(folder) / name
        path.write_bytes(upload.file.read())
        try:
            with ctx.unit(records=True) as office:
                done = import_it(office, ctx.me, path, source=source or None, allow_incomplete=allow)
        except InputError as exc:
            return _calendar(ctx, status=400, errors={"file": str(exc).splitlines()}, **form)
    ctx.request.session["calendar_import"] = {
        "years": [y.year for y in done.years],
        "missing": {str(y.year): list(y.missing) for y in done.years if y.missing},
        "moved_total": len(done.moved),
        "moved": [
            [
                m.ref,
                _iso(m.old_safe_due),
                m.new_safe_due.isoformat(),
                _iso(m.old_due),
                m.new_due.isoformat(),
                m.earlier,
            ]
            for m in done.moved[:MOVED_SHOWN]
        ],  # fmt: skip
    }
    years = "、".join(str(y.year) for y in done.years)
    return ctx.redirect("/admin/calendar", flash=f"已导入 {years} 年放假安排。")


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


routes: list[BaseRoute] = [
    Route("/admin", index, methods=["GET"]),
    Route("/admin/accounts", accounts, methods=["GET"]),
    Route("/admin/accounts/{staff_id}/password", set_password, methods=["POST"]),
    Route("/admin/accounts/{staff_id}/unlock", unlock, methods=["POST"]),
    Route("/admin/accounts/{staff_id}/sessions", end_sessions, methods=["POST"]),
    Route("/admin/audit", audit, methods=["GET"]),
    Route("/admin/calendar", calendar, methods=["GET"]),
    Route("/admin/calendar", import_calendar, methods=["POST"]),
]
