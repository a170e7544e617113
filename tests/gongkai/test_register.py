"""The request register (gongkai.register.repository) on a real database, both backends.

Expected dates come from ogi-rules.md section 7 (example A and its continuation) or, for the
calendar import, from a fresh :func:`compute_clock` with the new calendar (the oracle).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from gongkai.core.errors import EventError, InputError, NotFound
from gongkai.register import repository as register
from gongkai.register.deadlines import Event, compute_clock, make_event
from gongkai.register.workcal import WorkCalendar, YearSchedule, validate_year_entries
from gongkai.store.db import open_database
from gongkai.store.models import (
    Application,
    CalendarDay,
    CalendarLog,
    CalendarYear,
    DeadlineChange,
)
from tests.offices import office_session

STAFF = [
    ("wang", "王丽", ["handler", "administrator"]),
    ("li", "李强", ["handler"]),
    ("zhao", "赵建国", ["unit_head"]),
]


def D(s: str) -> date:
    return date.fromisoformat(s)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_database(db_url)
    with office_session(eng) as s:
        register.sync_staff(s, STAFF)
    try:
        yield eng
    finally:
        eng.dispose()


def _new(ref: str, received: str, **kw: Any) -> register.NewApplication:
    return register.NewApplication(
        ref=ref,
        received_on=D(received),
        applicant_type=kw.pop("applicant_type", "natural_person"),
        applicant_name=kw.pop("applicant_name", "张小明"),
        content=kw.pop("content", "请求公开某文件"),
        **kw,
    )


def _add(
    engine: Engine,
    ref: str,
    received: str,
    *,
    as_of: str | None = None,
    events: Sequence[Event] = (),
    **kw: Any,
) -> None:
    with office_session(engine) as s:
        register.add_application(
            s,
            _new(ref, received, **kw),
            calendar=register.load_calendar(s),
            as_of=D(as_of or received),
            recorded_by="wang",
            events=events,
        )


def _event(engine: Engine, ref: str, event: Event, *, as_of: str, by: str = "wang") -> None:
    with office_session(engine) as s:
        register.record_event(
            s, ref, event, calendar=register.load_calendar(s), as_of=D(as_of), recorded_by=by
        )


def _app(engine: Engine, ref: str) -> Application:
    with office_session(engine) as s:
        app = s.exec(select(Application).where(Application.ref == ref)).one()
        s.expunge(app)
        return app


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a register write may touch."""
    out = {}
    with engine.connect() as conn:
        for table in ("application", "application_event", "deadline_change", "calendar_log"):
            out[table] = [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()]
    return out


# -- cached clock and event rows -------------------------------------------------------------------


def test_add_and_events_update_cached_clock(engine: Engine) -> None:
    # Example A (ogi-rules.md section 7): received Fri 24 Jan 2025.
    _add(engine, "2025-0001", "2025-01-24", channel="in_person", assignee_id="wang")
    app = _app(engine, "2025-0001")
    assert (app.state, app.due, app.safe_due) == ("received", D("2025-02-27"), D("2025-02-26"))
    assert (app.extension_limit, app.correction_notice_due) == (D("2025-03-27"), D("2025-02-10"))
    assert app.provisional is False
    assert app.clock_version == 1
    assert app.clock_as_of == D("2025-01-24")

    _event(engine, "2025-0001", make_event("correction_requested", D("2025-02-05")), as_of="2025-02-05")
    app = _app(engine, "2025-0001")
    assert (app.state, app.due) == ("awaiting_correction", D("2025-02-27"))
    assert app.clock_version == 1

    # Continuation: corrected application received Wed 12 Feb -> due Wed 12 Mar.
    _event(
        engine, "2025-0001", make_event("correction_received", D("2025-02-12")), as_of="2025-02-12", by="li"
    )
    app = _app(engine, "2025-0001")
    assert (app.state, app.due, app.safe_due) == ("in_progress", D("2025-03-12"), D("2025-03-11"))
    assert app.clock_version == 2

    # Third party consulted 3 Mar, opinion back 14 Mar: 8 working days excluded -> Mon 24 Mar.
    _event(engine, "2025-0001", make_event("consultation_sent", D("2025-03-03")), as_of="2025-03-03")
    assert _app(engine, "2025-0001").state == "paused"
    _event(engine, "2025-0001", make_event("consultation_replied", D("2025-03-14")), as_of="2025-03-14")
    app = _app(engine, "2025-0001")
    assert (app.state, app.due) == ("in_progress", D("2025-03-24"))
    assert app.clock_as_of == D("2025-03-14")

    _event(
        engine,
        "2025-0001",
        make_event("replied", D("2025-03-20"), outcome="granted"),
        as_of="2025-03-20",
        by="zhao",
    )
    app = _app(engine, "2025-0001")
    assert (app.state, app.concluded_on, app.outcome_row, app.due) == (
        "replied",
        D("2025-03-20"),
        "3.1",
        D("2025-03-24"),
    )

    with office_session(engine) as s:
        rows = register.application_events(s, app)
        # The cached columns equal a fresh computation from the stored events.
        fresh = compute_clock(
            app.received_on,
            [register.event_from_row(r) for r in rows],
            calendar=WorkCalendar(),
            as_of=D("2025-03-20"),
            channel=app.channel,
        )
    assert [(r.kind, r.occurred_on, r.recorded_by) for r in rows] == [
        ("correction_requested", D("2025-02-05"), "wang"),
        ("correction_received", D("2025-02-12"), "li"),
        ("consultation_sent", D("2025-03-03"), "wang"),
        ("consultation_replied", D("2025-03-14"), "wang"),
        ("replied", D("2025-03-20"), "zhao"),
    ]
    assert rows[-1].outcome_row == "3.1"
    assert all(r.recorded_at is not None for r in rows)
    assert register.clock_columns(fresh) == {k: getattr(app, k) for k in register.clock_columns(fresh)}


def test_add_with_known_events_stores_them_with_recorder(engine: Engine) -> None:
    events = [
        make_event("correction_requested", D("2025-02-05")),
        make_event("correction_received", D("2025-02-12")),
    ]
    _add(engine, "2025-0002", "2025-01-24", as_of="2025-02-20", events=events)
    app = _app(engine, "2025-0002")
    assert (app.state, app.due) == ("in_progress", D("2025-03-12"))
    with office_session(engine) as s:
        rows = register.application_events(s, app)
    assert [(r.kind, r.recorded_by) for r in rows] == [
        ("correction_requested", "wang"),
        ("correction_received", "wang"),
    ]


# -- refused writes leave the database as it was -----------------------------------------------------


# (name, ref, event, as_of, expected error). One database serves all cases: each refusal must leave
# it exactly as it was, so they can run one after the other.
REFUSED_EVENTS: list[tuple[str, str, Event, str, type[Exception]]] = [
    ("reply-without-outcome", "2025-0001", Event("replied", D("2025-02-20")), "2025-02-20", EventError),
    (
        "reply-with-unknown-outcome",
        "2025-0001",
        Event("replied", D("2025-02-20"), outcome="9.9"),
        "2025-02-20",
        InputError,
    ),
    (
        "extension-after-deadline",
        "2025-0001",
        make_event("extension_approved", D("2025-02-28")),
        "2025-03-03",
        EventError,
    ),
    (
        "before-receipt",
        "2025-0001",
        make_event("correction_requested", D("2025-01-20")),
        "2025-02-20",
        EventError,
    ),
    ("future-event", "2025-0001", make_event("consultation_sent", D("2025-02-21")), "2025-02-20", EventError),
    (
        "second-correction-request",
        "2025-0001",
        make_event("correction_requested", D("2025-02-07")),
        "2025-02-20",
        EventError,
    ),
    (
        "payment-without-notice",
        "2025-0001",
        make_event("fee_paid", D("2025-02-07")),
        "2025-02-20",
        EventError,
    ),
    ("unknown-ref", "2099-9999", make_event("correction_requested", D("2025-02-05")), "2025-02-20", NotFound),
]


def test_refused_events_change_nothing(engine: Engine, subtests: pytest.Subtests) -> None:
    _add(engine, "2025-0001", "2025-01-24")
    _event(engine, "2025-0001", make_event("correction_requested", D("2025-02-05")), as_of="2025-02-05")
    before = _snapshot(engine)
    for name, ref, event, as_of, error in REFUSED_EVENTS:
        with subtests.test(msg=name):
            # Caught inside the transaction, which then commits: nothing may be written before the check.
            with office_session(engine) as s:
                with pytest.raises(error) as info:
                    register.record_event(
                        s, ref, event, calendar=register.load_calendar(s), as_of=D(as_of), recorded_by="wang"
                    )
            assert str(info.value)
            assert _snapshot(engine) == before


# (name, application, as_of, events): every one refused with InputError.
REFUSED_APPLICATIONS: list[tuple[str, register.NewApplication, str, tuple[Event, ...]]] = [
    ("duplicate-ref", _new("2025-0001", "2025-02-03"), "2025-02-20", ()),
    ("received-in-future", _new("2025-0009", "2025-02-21"), "2025-02-20", ()),
    ("unknown-assignee", _new("2025-0009", "2025-01-24", assignee_id="nobody"), "2025-02-20", ()),
    ("bad-applicant-type", _new("2025-0009", "2025-01-24", applicant_type="alien"), "2025-02-20", ()),
    ("blank-ref", _new(" ", "2025-01-24"), "2025-02-20", ()),
    (
        "reply-without-outcome",
        _new("2025-0009", "2025-01-24"),
        "2025-02-20",
        (make_event("replied", D("2025-02-10")),),
    ),
    (
        "event-before-receipt",
        _new("2025-0009", "2025-01-24"),
        "2025-02-20",
        (make_event("correction_requested", D("2025-01-20")),),
    ),
]


def test_refused_applications_change_nothing(engine: Engine, subtests: pytest.Subtests) -> None:
    _add(engine, "2025-0001", "2025-01-24")
    before = _snapshot(engine)
    for name, data, as_of, events in REFUSED_APPLICATIONS:
        with subtests.test(msg=name):
            with office_session(engine) as s:
                with pytest.raises(InputError) as info:
                    register.add_application(
                        s, data, calendar=WorkCalendar(), as_of=D(as_of), recorded_by="wang", events=events
                    )
            if name == "duplicate-ref":
                assert "2025-0001" in str(info.value)
            assert _snapshot(engine) == before


# -- listing ---------------------------------------------------------------------------------------------


def test_list_due_within(engine: Engine) -> None:
    # As of Mon 3 Mar 2025 (no holidays in March). safe_due counts the receipt day as day 1.
    as_of = D("2025-03-03")
    _add(engine, "A-late", "2025-01-24")  # safe_due 26 Feb: overdue
    _add(engine, "B-4", "2025-02-10")  # safe_due Fri 7 Mar: 4 working days left
    _add(engine, "C-5", "2025-02-11")  # safe_due Mon 10 Mar: 5 left
    _add(engine, "D-6", "2025-02-12")  # safe_due Tue 11 Mar: 6 left
    _add(
        engine,
        "E-done",
        "2025-02-10",
        as_of="2025-02-28",
        events=[make_event("replied", D("2025-02-28"), outcome="granted")],
    )
    with office_session(engine) as s:
        cal = register.load_calendar(s)
        items = register.list_applications(s, calendar=cal, as_of=as_of, due_within=5)
        everything = register.list_applications(s, calendar=cal, as_of=as_of)
        with_closed = register.list_applications(s, calendar=cal, as_of=as_of, include_closed=True)
    assert [(a.ref, c.working_days_left) for a, c in items] == [("A-late", -3), ("B-4", 4), ("C-5", 5)]
    assert items[0][1].overdue
    assert [a.ref for a, _ in everything] == ["A-late", "B-4", "C-5", "D-6"]
    assert {a.ref for a, _ in with_closed} == {"A-late", "B-4", "C-5", "D-6", "E-done"}
    assert with_closed[-1][0].ref == "E-done"


def test_list_due_within_zero_and_state(engine: Engine) -> None:
    _add(engine, "X-1", "2025-02-10")
    _add(engine, "X-2", "2025-02-11")
    _event(engine, "X-2", make_event("correction_requested", D("2025-02-12")), as_of="2025-02-12")
    with office_session(engine) as s:
        cal = register.load_calendar(s)
        due_today = register.list_applications(s, calendar=cal, as_of=D("2025-03-07"), due_within=0)
        waiting = register.list_applications(
            s, calendar=cal, as_of=D("2025-03-07"), state="awaiting_correction"
        )
    assert [a.ref for a, _ in due_today] == ["X-1"]
    assert [a.ref for a, _ in waiting] == ["X-2"]


def test_next_ref(engine: Engine) -> None:
    with office_session(engine) as s:
        assert register.next_ref(s, 2026) == "2026-0001"
    for ref in ("2026-0001", "2026-0007", "2025-0042", "2026-ABC", "2026-0003"):
        _add(engine, ref, "2026-01-05")
    with office_session(engine) as s:
        assert register.next_ref(s, 2026) == "2026-0008"
        assert register.next_ref(s, 2025) == "2025-0043"
        assert register.next_ref(s, 2027) == "2027-0001"


# -- calendar import recomputes provisional deadlines (ogi-rules.md 2.5) ---------------------------------

# A made-up but plausible 2027 schedule: 元旦 1 Jan plus a bridge (4-5 Jan) worked back on Sat 9 Jan;
# 春节 block 5-11 Feb worked back on Sun 17 Jan and Sat 23 Jan. Relative to the estimate (1 Jan off,
# no make-up days) it moves January deadlines later, leaves some unchanged and some earlier.
SCHEDULE_2027 = [
    (D("2027-01-01"), "off", "元旦"),
    (D("2027-01-04"), "off", "元旦"),
    (D("2027-01-05"), "off", "元旦"),
    (D("2027-01-09"), "makeup_workday", "元旦"),
    (D("2027-01-17"), "makeup_workday", "春节"),
    (D("2027-01-23"), "makeup_workday", "春节"),
    *[(date(2027, 2, d), "off", "春节") for d in range(5, 12)],
]
RECEIVED = {
    "2026-0001": "2026-11-02",  # window stays in 2026
    "2026-0002": "2026-12-01",  # due in 2026, only the extension limit reaches 2027
    "2026-0003": "2026-12-10",
    "2026-0004": "2026-12-14",
    "2026-0005": "2026-12-17",
    "2026-0006": "2026-12-18",
    "2026-0007": "2026-12-21",
    "2026-0008": "2026-12-22",
    "2026-0009": "2026-12-24",
    "2026-0010": "2026-12-28",
}
AS_OF = D("2026-12-30")


def _import(engine: Engine, schedule: YearSchedule, by: str = "wang") -> list[register.MovedDeadline]:
    with office_session(engine) as s:
        return register.import_calendar_years(
            s, [schedule], by=by, source="国务院办公厅关于2027年部分节假日安排的通知", as_of=AS_OF
        )


def _apps(engine: Engine) -> dict[str, Application]:
    with office_session(engine) as s:
        apps = s.exec(select(Application)).all()
        for a in apps:
            s.expunge(a)
    return {a.ref: a for a in apps}


def test_calendar_import_moves_every_offices_deadlines_and_reports_its_own(engine: Engine) -> None:
    """The holiday calendar is national, shared by the offices of a database: an import by one office recomputes
    every office's clocks (each office's deadline_change rows alert its own staff), and names its own moves only."""
    for code in ("default", "other"):
        with office_session(engine, code) as s:
            for ref, received in RECEIVED.items():
                register.add_application(
                    s,
                    _new(ref, received),
                    calendar=register.load_calendar(s),
                    as_of=AS_OF,
                    recorded_by="wang",
                )
    before = _apps(engine)
    moved = _import(engine, validate_year_entries(2027, SCHEDULE_2027))
    assert moved and len({m.ref for m in moved}) == len(moved)  # one office's moves: no reference twice
    with office_session(engine, "other") as s:
        other = {a.ref: a for a in s.exec(select(Application)).all()}
        changes = s.exec(select(DeadlineChange)).all()
        assert sorted(c.application_id for c in changes) == sorted(other[m.ref].id for m in moved)
        for m in moved:
            assert (other[m.ref].due, other[m.ref].safe_due) == (m.new_due, m.new_safe_due)
            assert other[m.ref].clock_version == before[m.ref].clock_version + 1
    assert {a.ref: (a.due, a.safe_due) for a in _apps(engine).values()} == {
        ref: (app.due, app.safe_due) for ref, app in other.items()
    }


def test_calendar_import_recomputes_provisional_deadlines(engine: Engine) -> None:
    for ref, received in RECEIVED.items():
        _add(engine, ref, received, as_of="2026-12-30")
    before = _apps(engine)
    assert not before["2026-0001"].provisional
    # 2026-0002 (extension limit in 2027) may or may not be provisional; either way its due dates stay.
    assert all(before[ref].provisional for ref in RECEIVED if ref >= "2026-0003")

    schedule = validate_year_entries(2027, SCHEDULE_2027)
    new_cal = WorkCalendar({2027: schedule})
    expected = {}
    for ref, received in RECEIVED.items():
        c = compute_clock(D(received), [], calendar=new_cal, as_of=AS_OF)
        assert not c.provisional
        if (c.due, c.safe_due) != (before[ref].due, before[ref].safe_due):
            expected[ref] = c

    moved = _import(engine, schedule)

    # Guard: the scenario has later, unchanged and earlier deadlines inside the 2027 window.
    assert {"2026-0003", "2026-0010"} <= set(expected)
    assert "2026-0008" not in expected
    assert {m.ref for m in moved} == set(expected)
    assert len(moved) == len(expected)
    for m in moved:
        old, new = before[m.ref], expected[m.ref]
        assert (m.old_due, m.old_safe_due) == (old.due, old.safe_due)
        assert (m.new_due, m.new_safe_due) == (new.due, new.safe_due)
        assert m.provisional is False
        assert m.earlier == (new.safe_due < old.safe_due or new.due < old.due), m
    assert {m.ref for m in moved if m.earlier} == {"2026-0010"}
    assert "2026-0001" not in {m.ref for m in moved}

    after = _apps(engine)
    for ref, app in after.items():
        assert app.provisional is False, ref
        fresh = compute_clock(app.received_on, [], calendar=new_cal, as_of=AS_OF)
        assert (app.due, app.safe_due, app.extension_limit) == (
            fresh.due,
            fresh.safe_due,
            fresh.extension_limit,
        )
        assert app.clock_version == before[ref].clock_version + (1 if ref in expected else 0), ref

    with office_session(engine) as s:
        changes = s.exec(select(DeadlineChange).order_by(DeadlineChange.id)).all()  # type: ignore[arg-type]
        ids = {a.id: ref for ref, a in after.items()}
        assert sorted(ids[c.application_id] for c in changes) == sorted(expected)
        for c in changes:
            ref = ids[c.application_id]
            assert (c.old_due, c.new_due) == (before[ref].due, expected[ref].due)
            assert (c.old_safe_due, c.new_safe_due) == (before[ref].safe_due, expected[ref].safe_due)
            assert c.clock_version == after[ref].clock_version
            assert c.cause == "calendar_import"
        logs = s.exec(select(CalendarLog)).all()
        assert [(x.by, x.year, x.action) for x in logs] == [("wang", 2027, "import")]
        assert s.get(CalendarYear, 2027) is not None and s.get(CalendarYear, 2027).imported_by == "wang"  # type: ignore[union-attr]
        days = s.exec(select(CalendarDay).where(CalendarDay.year == 2027)).all()
        assert {(d.day, d.kind) for d in days} == {(d, k) for d, k, _ in SCHEDULE_2027}
        cal = register.load_calendar(s)
    assert cal.is_announced(2027) and cal.is_workday(D("2027-01-09")) and not cal.is_workday(D("2027-01-04"))

    # The same schedule again moves nothing and writes no deadline change, but is logged.
    assert _import(engine, schedule, by="li") == []
    again = _apps(engine)
    for ref, app in again.items():
        assert (app.due, app.safe_due, app.clock_version, app.provisional) == (
            after[ref].due,
            after[ref].safe_due,
            after[ref].clock_version,
            False,
        ), ref
    with office_session(engine) as s:
        assert len(s.exec(select(DeadlineChange)).all()) == len(expected)
        assert [x.by for x in s.exec(select(CalendarLog).order_by(CalendarLog.id)).all()] == ["wang", "li"]  # type: ignore[arg-type]


def test_calendar_import_flags_legal_deadline_moved_earlier(engine: Engine) -> None:
    # Received Fri 11 Dec 2026: estimate gives safe_due Fri 8 Jan, due Mon 11 Jan 2027. A make-up
    # Saturday 9 Jan moves the legal deadline earlier to Sat 9 Jan while safe_due stays 8 Jan.
    # ogi-rules.md 2.5: staff MUST be alerted for every deadline that moved earlier.
    _add(engine, "2026-0001", "2026-12-11", as_of="2026-12-30")
    before = _apps(engine)["2026-0001"]
    assert (before.due, before.safe_due, before.provisional) == (D("2027-01-11"), D("2027-01-08"), True)
    schedule = validate_year_entries(
        2027, [(D("2027-01-01"), "off", "元旦"), (D("2027-01-09"), "makeup_workday", "元旦")]
    )
    moved = _import(engine, schedule)
    assert [(m.ref, m.new_due, m.new_safe_due) for m in moved] == [
        ("2026-0001", D("2027-01-09"), D("2027-01-08"))
    ]
    assert moved[0].earlier, "the legal deadline moved earlier, staff must be alerted"


def test_calendar_reimport_replaces_the_year(engine: Engine) -> None:
    first = validate_year_entries(2027, SCHEDULE_2027)
    second = validate_year_entries(2027, [(D("2027-01-01"), "off", "元旦")])
    _add(engine, "2026-0005", "2026-12-17", as_of="2026-12-30")
    _import(engine, first)
    moved = _import(engine, second, by="li")
    with office_session(engine) as s:
        days = s.exec(select(CalendarDay)).all()
        logs = s.exec(select(CalendarLog).order_by(CalendarLog.id)).all()  # type: ignore[arg-type]
    assert [(d.day, d.kind) for d in days] == [(D("2027-01-01"), "off")]
    assert "2027-01-04" in logs[-1].detail  # the removed days are named in the log
    fresh = compute_clock(D("2026-12-17"), [], calendar=WorkCalendar({2027: second}), as_of=AS_OF)
    assert [(m.ref, m.new_due) for m in moved] == [("2026-0005", fresh.due)]
    assert [(x.by, x.action) for x in logs] == [("wang", "import"), ("li", "import")]
