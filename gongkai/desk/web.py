"""What every page of the desk shares: the desk's state, the signed-in person, the transaction, rendering, and
the :func:`page` decorator that ties them together.

A page function is plain synchronous code, run in a worker thread: ``def view(ctx: Ctx) -> Response``. The
decorator loads the session, sends anyone not signed in to ``/login``, parses a POST form, and turns the
services' refusals into pages: :class:`~gongkai.core.errors.NotAllowed` → 403, a missing record → 404. Every
change goes through ``ctx.unit()`` (one transaction: an error rolls it back, nothing half-written)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gongkai.core.errors import GongkaiError, NotAllowed
from gongkai.core.settings import ROLE_LABELS, Settings
from gongkai.services.actor import Actor
from gongkai.services.office import Office, Register

HERE = Path(__file__).parent
SESSION_COOKIE = "gongkai_session"
CSRF_COOKIE = "gongkai_csrf"
CSRF_FIELD = "csrf_token"


@dataclass
class Desk:
    """The desk's state (``app.state.desk``): the office's settings, the open register, the clock, the
    templates and where the Prefect UI is."""

    settings: Settings
    register: Register
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    as_of: date | None = None
    """A fixed business date (tests and demonstrations); ``None``: today in the office's zone."""
    prefect_ui: str | None = None
    secure_cookies: bool = False
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        from gongkai.core.codes import EVENT_KINDS, STATES

        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            office=self.settings.office, role_labels=ROLE_LABELS, event_kinds=EVENT_KINDS, states=STATES
        )
        self.env.filters["zh_date"] = _zh_date
        self.env.filters["local_time"] = self.local_time

    def local_time(self, value: datetime | None) -> str:
        """A stored (UTC) time as the office reads it."""
        return "" if value is None else value.astimezone(self.settings.tz).strftime("%Y-%m-%d %H:%M")

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.settings.desk.idle_minutes)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.settings.desk.max_hours)


def _zh_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


class FormErrors(GongkaiError):
    """A form with mistakes: one Chinese message per field (``""`` for the form as a whole)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = dict(errors)


@dataclass
class Ctx:
    """One request to a page: the request, the desk, the signed-in person, the parsed form (POST)."""

    request: Request
    desk: Desk
    actor: Actor | None
    form: FormData | None = None
    status: int = 200

    @contextmanager
    def unit(self, *, records: bool = False) -> Iterator[Office]:
        """One transaction on the register as of the desk's business date."""
        with self.desk.register.unit(self.desk.as_of, records=records) as office:
            yield office

    @property
    def me(self) -> Actor:
        """The signed-in person (pages behind :func:`page` always have one)."""
        assert self.actor is not None
        return self.actor

    def field(self, name: str) -> str:
        """A form field as text, stripped (``""`` when absent)."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def upload(self, name: str) -> UploadFile | None:
        """A file field, or ``None`` when none was chosen."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) and value.filename else None

    def csrf_token(self) -> str:
        """The token the page's forms carry (asgi-csrf's, tied to its cookie)."""
        getter = self.request.scope.get("csrftoken")
        return str(getter()) if callable(getter) else ""

    def render(self, template: str, status: int | None = None, **values: Any) -> HTMLResponse:
        """A page from ``templates/`` with the person, the navigation and the CSRF token."""
        html = self.desk.env.get_template(template).render(
            me=self.actor,
            me_name=self._my_name(),
            csrf_token=self.csrf_token(),
            path=self.request.url.path,
            prefect_ui=self.desk.prefect_ui,
            flash=self.request.session.get("flash") if _session_loaded(self.request) else None,
            **values,
        )
        if _session_loaded(self.request) and "flash" in self.request.session:
            del self.request.session["flash"]
        return HTMLResponse(html, status_code=status or self.status)

    def redirect(self, url: str, flash: str | None = None) -> RedirectResponse:
        """303 to ``url`` (after a change), with a one-time message for the next page."""
        if flash is not None:
            self.request.session["flash"] = flash
        return RedirectResponse(url, status_code=303)

    def _my_name(self) -> str | None:
        if self.actor is None:
            return None
        person = self.desk.settings.staff_by_id(self.actor.name)
        return person.name if person else self.actor.name


def _session_loaded(request: Request) -> bool:
    from starsessions import is_loaded

    return is_loaded(request)


View = Callable[[Ctx], Response]


def current_actor(request: Request, desk: Desk) -> Actor | None:
    """The signed-in person, or ``None`` (no session, past the absolute limit, or no longer configured)."""
    data = request.session
    staff_id = data.get("staff_id")
    signed_in_at = data.get("signed_in_at")
    if not isinstance(staff_id, str) or not isinstance(signed_in_at, str):
        return None
    if desk.now() - datetime.fromisoformat(signed_in_at) > desk.absolute:
        data.clear()
        return None
    person = desk.settings.staff_by_id(staff_id)
    if person is None:
        data.clear()
        return None
    return Actor.staff(desk.settings, staff_id)


def page(*, public: bool = False) -> Callable[[View], Callable[[Request], Awaitable[Response]]]:
    """Make ``view`` a Starlette endpoint (see the module's docstring)."""

    def wrap(view: View) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            from starsessions import load_session

            desk: Desk = request.app.state.desk
            await load_session(request)
            actor = current_actor(request, desk)
            if actor is None and not public:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            form = (
                await request.form(max_part_size=desk.settings.desk.upload_limit_mb * 1024 * 1024)
                if request.method == "POST"
                else None
            )
            ctx = Ctx(request, desk, actor, form)
            try:
                return await run_in_threadpool(_run, view, ctx)
            finally:
                if form is not None:
                    await form.close()

        return endpoint

    return wrap


def _run(view: View, ctx: Ctx) -> Response:
    from gongkai.core.errors import NotFound

    try:
        return view(ctx)
    except NotAllowed as exc:
        return ctx.render("error.html", status=403, title="无权操作", message=str(exc))
    except NotFound as exc:
        return ctx.render("error.html", status=404, title="未找到", message=str(exc))
