"""Two offices in one database (CONTRACT section 7): the data of one is never visible to, counted for, or changed by
the other.

Both offices hold the demo office's register — the SAME references, staff ids and item index numbers — then each
is changed on its own. Every read for office A (register list and search, the application page, 待办, the report's
statistics, the catalogue's entries, the review's findings, the reminders planned, the outbox) gives exactly what
it gave before office B existed; a write for A changes nothing of B's. Real databases (SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gongkai.catalogue.documents import load_entries
from gongkai.core.settings import Settings, load_settings
from gongkai.register.deadlines import Event
from gongkai.reminders.plan import plan_reminders
from gongkai.report.stats import compute_statistics
from gongkai.review.periodic import list_tasks
from gongkai.services import processes, worklist
from gongkai.services.actor import Actor
from gongkai.services.applications import application_detail, record_event
from gongkai.services.demo import load_demo_if_empty
from gongkai.services.office import open_office
from gongkai.services.registerlist import RegisterQuery, search_register
from gongkai.store.db import open_database
from gongkai.store.models import utcnow

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def _office_settings(code: str, name: str) -> Settings:
    demo = load_settings(REPO / "config" / "gongkai.toml")
    return demo.model_copy(update={"office": demo.office.model_copy(update={"code": code, "name": name})})


A = _office_settings("jiaxiang", "嘉祥街道办事处")
B = _office_settings("hedong", "河东街道办事处")


def _make_office(url: str, code: str) -> None:
    """An office row for ``code`` (the folder configuration of step 2 will do this; a single file may not)."""
    engine = open_database(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO office (code, kind, set_by, created_at) VALUES (:c, 'demo', 'config', :t)"
                ),
                {"c": code, "t": utcnow()},
            )
    finally:
        engine.dispose()


def _load(settings: Settings, url: str, home: Path) -> None:
    with open_office(settings, AS_OF, url=url) as office:
        assert load_demo_if_empty(office, Actor.terminal(settings, "wang")) is not None
    with processes.open_works(settings, home=home, url=url, now=lambda: NOW) as works:
        processes.plan_reminders(works, Actor.schedule("reminders"), AS_OF)
        processes.review_content(works, Actor.schedule("review"), AS_OF)


def _reads(settings: Settings, url: str, ref: str) -> dict[str, Any]:
    """What office ``settings`` sees through every entry point the services offer for reading."""
    with open_office(settings, AS_OF, url=url) as office:
        wang = Actor.staff(settings, "wang")
        page = search_register(office, wang, RegisterQuery(scope="all"), per_page=1000)
        found = search_register(office, wang, RegisterQuery(q=ref, scope="all"))
        detail = application_detail(office, wang, ref)
        todo = worklist.todo(office, wang)
        overdue = worklist.unit_overdue(office, wang, per_page=1000)
        session = office.session
        outbox_rows = session.execute(
            sa.text(
                "SELECT key, recipient, target, status FROM reminder_outbox WHERE office_id = :o ORDER BY 1, 2, 3"
            ),
            {"o": office.office_id},
        ).all()
        return {
            "register": [(r.view.ref, r.applicant_name, r.view.clock.state) for r in page.rows],
            "total": page.total,
            "search": [r.view.ref for r in found.rows],
            "detail": (detail.content, detail.applicant_name, [e.kind for e in detail.events]),
            "todo": (
                [v.ref for v in todo.applications],
                todo.open_total,
                todo.overdue_total,
                len(todo.review_tasks),
            ),
            "overdue": (overdue.total, [repr(r) for r in overdue.rows]),
            "statistics": compute_statistics(session, year=2026, office_name="x").to_json(),
            "catalogue": [(e.index_no, e.reviewed) for e in load_entries(session)],
            "tasks": [(t["key"], t["status"]) for t in list_tasks(session)],
            "plan": sorted(
                p.key
                for p in plan_reminders(session, settings=settings, calendar=office.calendar, as_of=AS_OF)
            ),
            "outbox": [tuple(r) for r in outbox_rows],
        }


def test_two_offices_with_the_same_references_see_only_their_own(db_url: str, tmp_path: Path) -> None:
    _make_office(db_url, "jiaxiang")
    _load(A, db_url, tmp_path / "a")
    with open_office(A, AS_OF, url=db_url) as office:
        ref = search_register(office, Actor.staff(A, "wang"), RegisterQuery()).rows[0].view.ref
    before = _reads(A, db_url, ref)
    assert before["total"] > 100 and before["search"] == [ref] and before["outbox"] and before["tasks"]

    # Office B: the same register (same refs, staff ids, index numbers), then one reply recorded in B only.
    _make_office(db_url, "hedong")
    _load(B, db_url, tmp_path / "b")
    with open_office(B, AS_OF, url=db_url, records=True) as office:
        record_event(office, Actor.staff(B, "wang"), ref, Event("replied", AS_OF, outcome="3.1"))
    with processes.open_works(B, home=tmp_path / "b", url=db_url, now=lambda: NOW) as works:
        processes.plan_reminders(works, Actor.schedule("reminders"), AS_OF)

    assert _reads(A, db_url, ref) == before
    in_b = _reads(B, db_url, ref)
    assert in_b["total"] == before["total"]  # the same demo register, not A's plus B's
    assert in_b["detail"][2] == [*before["detail"][2], "replied"]
    assert in_b["statistics"] != before["statistics"]

    # A write for A changes nothing of B's.
    with open_office(A, AS_OF, url=db_url, records=True) as office:
        record_event(office, Actor.staff(A, "wang"), ref, Event("replied", AS_OF, outcome="3.2"))
    assert _reads(B, db_url, ref) == in_b
    after = _reads(A, db_url, ref)
    assert after["detail"][2] == [*before["detail"][2], "replied"]


def test_a_session_for_one_office_refuses_to_write_a_row_of_another(db_url: str) -> None:
    from gongkai.core.officescope import OfficeScopeError
    from gongkai.store.models import Staff

    _make_office(db_url, "jiaxiang")
    _make_office(db_url, "hedong")
    with open_office(A, AS_OF, url=db_url) as office:
        other = 1 if office.office_id != 1 else 2
        office.session.add(Staff(office_id=other, id="zhou", name="周", roles="handler"))
        with pytest.raises(OfficeScopeError):
            office.session.flush()
        office.session.rollback()


def test_orm_updates_and_deletes_and_desk_sessions_stay_in_their_office(db_url: str) -> None:
    """The session-level scoping covers ORM UPDATE and DELETE (sign-out of every session of a staff id) and the
    desk's session store: office A's desk neither finds, nor rewrites, nor ends a session of office B's."""
    from sqlmodel import col, delete, update

    from gongkai.accounts import sessions
    from gongkai.store.db import session_scope
    from gongkai.store.models import DeskSession

    _make_office(db_url, "jiaxiang")
    _make_office(db_url, "hedong")
    engine = open_database(db_url)
    try:
        with engine.connect() as conn:
            a, b = conn.execute(sa.text("SELECT id FROM office ORDER BY id")).scalars().all()
        sessions.write_session(engine, a, "sid-a", b'{"staff_id": "wang"}', 600)
        sessions.write_session(engine, b, "sid-b", b'{"staff_id": "wang"}', 600)
        assert sessions.read_session(engine, a, "sid-b") == b""
        sessions.write_session(engine, a, "sid-b", b'{"staff_id": "li"}', 600)  # never overwrites B's
        assert sessions.read_session(engine, b, "sid-b") == b'{"staff_id": "wang"}'
        sessions.remove_session(engine, a, "sid-b")
        assert sessions.read_session(engine, b, "sid-b") == b'{"staff_id": "wang"}'
        with session_scope(engine, a) as s:
            s.exec(update(DeskSession).values(data="{}"))  # type: ignore[call-overload]
            s.exec(delete(DeskSession).where(col(DeskSession.staff_id) == "wang"))  # type: ignore[call-overload]
        assert sessions.read_session(engine, a, "sid-a") == b""
        assert sessions.read_session(engine, b, "sid-b") == b'{"staff_id": "wang"}'
    finally:
        engine.dispose()
