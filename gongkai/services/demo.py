"""The demo office: loading its fictional year into an empty demo register (``gongkai demo``, ``gongkai serve``)."""

from __future__ import annotations

from dataclasses import dataclass

from gongkai.core.settings import Settings
from gongkai.services.actor import Actor
from gongkai.services.office import Office


@dataclass(frozen=True)
class DemoLoaded:
    """What loading the demo office wrote."""

    office: str
    applications: int
    open: int
    items: int
    appeals: int


def load_demo_if_empty(office: Office, actor: Actor) -> DemoLoaded | None:
    """Load the demo office into an empty demo register (a newcomer sees results at once); ``None`` when the
    register already has applications or is a real office's (``[office] demo`` not true: it never gets demo data).
    The data's assignees are the configuration's handlers (or its first person)."""
    from sqlmodel import select

    from gongkai.demo.office import load_demo
    from gongkai.store.models import Application
    from gongkai.store.registerkind import DEMO

    del actor  # demo data goes only into a demo register; nobody's decision is recorded
    settings = office.settings
    if office.register_kind != DEMO or not settings.office.demo:
        return None
    if office.session.exec(select(Application.id).limit(1)).first() is not None:
        return None
    handlers = [s.id for s in settings.staff if s.has_role("handler")] or [settings.staff[0].id]
    summary = load_demo(office.session, calendar=office.calendar, as_of=office.as_of, handlers=handlers)
    return DemoLoaded(
        settings.office.name, summary.applications, summary.open, summary.items, summary.appeals
    )


def ensure_demo_configuration(settings: Settings) -> None:
    """Refuse (:class:`RegisterKindError`) a real office's configuration for the demo, before any database is
    opened: a real office's home stays as it was."""
    from gongkai.store.registerkind import RegisterKindError

    if not settings.office.demo:
        raise RegisterKindError(
            f"配置文件 {settings.path} 是真实单位的配置（未设 demo = true），不能载入演示数据：演示需要随附的演示配置"
            "（config/gongkai.toml，含 demo = true），并把 GONGKAI_HOME 指向一个单独的空文件夹。"
        )
