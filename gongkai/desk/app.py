"""The desk's application: routes of every page module, and the middleware around them (outermost first):
security headers, the request-size limit, CSRF (asgi-csrf: a signed token in a cookie and in every form; every
POST is checked, with or without cookies), server-side sessions (starsessions over the database)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from asgi_csrf import asgi_csrf_decorator
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starsessions import SessionMiddleware

from gongkai.core.settings import Settings
from gongkai.desk import pages
from gongkai.desk.multipart import multipart_token
from gongkai.desk.security import HEADERS, BodyLimit, NoBearer, SecurityHeaders, ServerTiming
from gongkai.desk.sessionstore import DatabaseStore
from gongkai.desk.web import CSRF_COOKIE, CSRF_FIELD, HERE, SESSION_COOKIE, Desk
from gongkai.services.office import Register

log = logging.getLogger("gongkai.desk")


class _EveryPath:
    """asgi-csrf's ``always_protect``: every path (it otherwise lets a POST without any cookie through)."""

    def __contains__(self, path: object) -> bool:
        return True


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    body = (
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>请求被拒绝</title>"
        "<h1>请求被拒绝（403）</h1><p>表单已过期或不是从本工作台提交的。请返回上一页，刷新后重新提交。</p>"
        '<p><a href="/">返回工作台</a></p></html>'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _csrf(app: ASGIApp, *, secret: str, secure: bool) -> ASGIApp:
    return asgi_csrf_decorator(  # type: ignore[no-any-return]
        signing_secret=secret,
        cookie_name=CSRF_COOKIE,
        form_input=CSRF_FIELD,
        always_protect=_EveryPath(),
        cookie_secure=secure,
        cookie_samesite="Strict",
        send_csrf_failed=_csrf_failed,
    )(app)


_CHECKED_MULTIPART: Final = b"application/x-gongkai-multipart"
"""The content type a multipart POST carries through asgi-csrf: one it refuses unless the token header matches."""
_ORIGINAL_TYPE: Final = "gongkai.multipart_content_type"


class _Csrf:
    """asgi-csrf, with multipart bodies (uploads) read here: asgi-csrf 0.11 fails on them with python-multipart
    0.0.26 and later (simonw/asgi-csrf#38) and looks for a field named ``csrftoken``. The ``csrf_token`` field is
    read up to the first file (a file before it: no token) and handed to asgi-csrf as its ``x-csrftoken`` header,
    so asgi-csrf still decides against its signed cookie; the body is replayed to the page unchanged."""

    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        self.app = _csrf(_RestoreContentType(app), secret=secret, secure=secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
            if content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data":
                token, receive = await multipart_token(content_type, receive, CSRF_FIELD)
                headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"x-csrftoken")]
                headers.append((b"content-type", _CHECKED_MULTIPART))
                if token is not None:
                    headers.append((b"x-csrftoken", token))
                scope = {**scope, "headers": headers, _ORIGINAL_TYPE: content_type}
        await self.app(scope, receive, send)


class _RestoreContentType:
    """Inside asgi-csrf: gives a checked multipart request its own content type back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        original = scope.get(_ORIGINAL_TYPE)
        if original is not None:
            headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"x-csrftoken")]
            scope = {**scope, "headers": [*headers, (b"content-type", original)]}
        await self.app(scope, receive, send)


def _healthz(_request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _server_error(request: Request, exc: Exception) -> HTMLResponse:
    """An unexpected error: a Chinese page, and the developers' log gets the exception's type and the frames it
    came through (never its message: it may quote what an applicant wrote or a password hash)."""
    log.error(
        "Unexpected %s on %s %s at %s", type(exc).__name__, request.method, request.url.path, _where(exc)
    )
    body = (
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>系统出错</title>"
        "<h1>系统出错（500）</h1><p>操作没有完成，也没有保存任何内容。请稍后重试；如果反复出现，请联系管理员查看运行日志。</p>"
        '<p><a href="/">返回工作台</a></p></html>'
    )
    return HTMLResponse(body, status_code=500)


def _where(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-8:]))


def desk_secret(home: Path) -> str:
    """The key that signs CSRF tokens: made once (``secrets``), kept owner-only in ``$GONGKAI_HOME/desk-secret``."""
    path = home / "desk-secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def create_app(
    settings: Settings,
    *,
    url: str | None = None,
    home: Path | None = None,
    now: Callable[[], datetime] | None = None,
    as_of: date | None = None,
    prefect_ui: str | None = None,
    secure_cookies: bool | None = None,
) -> Starlette:
    """The desk for ``settings`` on the database ``url`` (default: the configured one). ``now`` and ``as_of``
    inject the clock (tests); ``secure_cookies`` (default: when ``[desk] base_url`` is https) marks the cookies
    Secure, which browsers send back only over HTTPS."""
    from gongkai.core.settings import gongkai_home
    from gongkai.services.accounts import ensure_demo_passwords

    register = Register(settings, url)
    with register.unit() as office:
        ensure_demo_passwords(office)
    secure = settings.desk.base_url.startswith("https://") if secure_cookies is None else secure_cookies
    desk = Desk(settings, register, prefect_ui=prefect_ui, as_of=as_of, secure_cookies=secure)
    if now is not None:
        desk.now = now
    routes: list[BaseRoute] = [
        Route("/healthz", _healthz),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *pages.routes(),
    ]
    middleware = [
        Middleware(ServerTiming),
        Middleware(SecurityHeaders),
        Middleware(BodyLimit, limit=settings.desk.upload_limit_mb * 1024 * 1024),
        Middleware(NoBearer),
        Middleware(_Csrf, secret=desk_secret(home or gongkai_home()), secure=secure),
        Middleware(
            SessionMiddleware,
            store=DatabaseStore(register.engine, register.office_id),
            cookie_name=SESSION_COOKIE,
            lifetime=int(desk.idle.total_seconds()),
            rolling=True,
            cookie_same_site="lax",
            cookie_https_only=secure,
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        register.close()

    app = Starlette(
        routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers={Exception: _server_error}
    )
    app.state.desk = desk
    return app


__all__ = ["HEADERS", "create_app", "desk_secret"]
