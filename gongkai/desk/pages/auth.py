"""Signing in and out (CONTRACT section 6: ``GET/POST /login``, ``POST /logout``), and changing one's own
password."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import InputError
from gongkai.desk.web import Ctx, page


def _safe_next(target: str) -> str:
    """Only a path on the desk itself (never ``//host`` or a full address: no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@page(public=True)
def login_form(ctx: Ctx) -> Response:
    if ctx.actor is not None:
        return ctx.redirect("/")
    query = ctx.request.query_params
    bye = (
        "已退出登录。"
        if query.get("bye")
        else "密码已修改，请用新密码重新登录。"
        if query.get("changed")
        else None
    )
    return ctx.render(
        "login.html",
        next=_safe_next(ctx.request.query_params.get("next", "/")),
        error=None,
        username="",
        bye=bye,
    )


@page(public=True)
def login(ctx: Ctx) -> Response:
    from starsessions import regenerate_session_id

    from gongkai.services.accounts import SignInRefused, sign_in

    username, password = ctx.field("username"), (ctx.form.get("password") if ctx.form else None)
    target = _safe_next(ctx.field("next") or "/")
    if not username or not isinstance(password, str) or not password:
        return ctx.render(
            "login.html", status=400, next=target, username=username, error="请输入人员标识和密码。"
        )
    client = ctx.request.client.host if ctx.request.client else None
    refused: str | None = None
    with ctx.unit() as office:
        try:
            signed = sign_in(office, username, password, now=ctx.desk.now(), client=client)
        except SignInRefused as exc:
            refused = str(exc)  # the failure count and the audit entry are committed with the unit
    if refused is not None:
        return ctx.render("login.html", status=400, next=target, username=username, error=refused)
    ctx.request.session.clear()
    regenerate_session_id(ctx.request)  # a new id at sign-in: no session fixation
    ctx.request.session.update({"staff_id": signed.actor.name, "signed_in_at": ctx.desk.now().isoformat()})
    return ctx.redirect(target)


@page(public=True)
def logout(ctx: Ctx) -> Response:
    if ctx.actor is not None:
        from gongkai.services.accounts import record_sign_out

        with ctx.unit() as office:
            record_sign_out(office, ctx.actor)
    ctx.request.session.clear()  # the session is deleted from the store and its cookie expired
    return ctx.redirect("/login?bye=1")


@page()
def password_form(ctx: Ctx) -> Response:
    return ctx.render("password.html", errors={})


@page()
def change_password(ctx: Ctx) -> Response:
    from gongkai.services.accounts import change_own_password

    current = ctx.form.get("current") if ctx.form else None
    new, again = (ctx.form.get("new") if ctx.form else None), (ctx.form.get("again") if ctx.form else None)
    errors: dict[str, str] = {}
    if not isinstance(new, str) or new != again:
        errors["again"] = "两次输入的新密码不一致。"
    else:
        try:
            with ctx.unit() as office:
                change_own_password(office, ctx.me, current if isinstance(current, str) else "", new)
        except InputError as exc:
            errors["new" if "当前" not in str(exc) else "current"] = str(exc)
    if errors:
        return ctx.render("password.html", status=400, errors=errors)
    ctx.request.session.clear()  # every session of the person ended with the change; sign in again
    return ctx.redirect("/login?changed=1")


routes: list[BaseRoute] = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/password", password_form, methods=["GET"]),
    Route("/password", change_password, methods=["POST"]),
]
