"""The demo office (gongkai.demo.office): every state and outcome, fictional but well-formed personal data,
determinism, refusal to mix with real data, the year end with an unannounced next year, and speed.

Each test loads the demo into a fresh database (SQLite, and PostgreSQL when configured).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, OPEN_STATES, OUTCOMES
from gongkai.core.errors import InputError
from gongkai.demo.office import DemoSummary, load_demo
from gongkai.register.deadlines import Clock, Event
from gongkai.register.repository import (
    NewApplication,
    add_application,
    clock_of,
    events_by_application,
    load_calendar,
    sync_staff,
)
from gongkai.store.db import open_database
from gongkai.store.models import Appeal, Application, ProactiveItem
from gongkai.store.registerkind import DEMO_SOURCE, demo_is_loaded
from tests.offices import office_session

AS_OF = date(2026, 11, 20)  # a Friday
YEAR_END = date(2026, 12, 20)  # a Sunday; the 2027 holiday schedule is not announced
STAFF = [
    ("wang", "王丽", ["handler", "administrator"]),
    ("li", "李强", ["handler"]),
    ("zhao", "赵建国", ["unit_head"]),
]
HANDLERS = {"wang", "li"}


def _open(url: str) -> Engine:
    engine = open_database(url)
    with office_session(engine) as session:
        sync_staff(session, STAFF)
    return engine


def _load(engine: Engine, as_of: date = AS_OF, seed: int = 2017) -> DemoSummary:
    with office_session(engine) as session:
        return load_demo(session, calendar=load_calendar(session), as_of=as_of, seed=seed)


Row = tuple[Application, list[Event], Clock]


def _rows(session: Session, as_of: date) -> list[Row]:
    calendar = load_calendar(session)
    events = events_by_application(session)
    apps = session.exec(select(Application).order_by(Application.id)).all()  # type: ignore[arg-type]
    return [
        (a, events.get(a.id or 0, []), clock_of(a, events.get(a.id or 0, []), calendar=calendar, as_of=as_of))
        for a in apps
    ]


def _kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An empty, migrated database with the configured staff."""
    engine = _open(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded(engine: Engine) -> tuple[Engine, DemoSummary]:
    """The demo year ending on AS_OF."""
    return engine, _load(engine)


# -- open applications -------------------------------------------------------------------------


def test_every_open_situation_is_present(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, summary = loaded
    with office_session(engine) as session:
        rows = _rows(session, AS_OF)
    open_rows = [(a, ev, c) for a, ev, c in rows if c.is_open]
    assert {c.state for _, _, c in open_rows} == set(OPEN_STATES)
    # the cached clock columns agree with a fresh computation
    assert all(a.state == c.state and a.due == c.due for a, _, c in rows)

    received = [a for a, _, c in open_rows if c.state == "received"]
    assert received and all(a.received_on == AS_OF for a in received)

    in_progress = [(a, ev, c) for a, ev, c in open_rows if c.state == "in_progress"]
    assert len(in_progress) >= 5
    due_soon = [c for _, _, c in in_progress if not c.overdue and 1 <= (c.working_days_left or 0) <= 5]
    assert len(due_soon) >= 2
    assert sum(c.overdue for _, _, c in open_rows) >= 2

    paused = [(ev, c) for _, ev, c in open_rows if c.state == "paused"]
    consultation = [
        c
        for ev, c in paused
        if "consultation_sent" in _kinds(ev) and "consultation_replied" not in _kinds(ev)
    ]
    fee = [c for ev, c in paused if "fee_notice_sent" in _kinds(ev) and "fee_paid" not in _kinds(ev)]
    assert consultation and all(
        c.consultation_due is not None and c.consultation_due >= AS_OF for c in consultation
    )
    assert fee and all(c.fee_payment_due is not None and c.fee_payment_due >= AS_OF for c in fee)

    waiting = [c for _, _, c in open_rows if c.state == "awaiting_correction"]
    assert any(c.correction_due is not None and c.correction_due >= AS_OF for c in waiting)
    assert any(c.correction_due is not None and c.correction_due < AS_OF for c in waiting)

    extended = [c for _, _, c in open_rows if c.extended]
    assert extended and all(c.due > AS_OF for c in extended)

    delayed = [(ev, c) for _, ev, c in open_rows if "delayed_reply_set" in _kinds(ev)]
    assert delayed
    for ev, c in delayed:
        until = next(e.until for e in ev if e.kind == "delayed_reply_set")
        assert until is not None and c.due == until > AS_OF

    assert summary.open == len(open_rows)
    assert summary.by_state == dict(Counter(c.state for _, _, c in rows))


# -- concluded applications --------------------------------------------------------------------


def test_every_outcome_row_and_way_of_closing(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, summary = loaded
    with office_session(engine) as session:
        rows = _rows(session, AS_OF)
    done = [(a, ev, c) for a, ev, c in rows if not c.is_open]
    outcomes = Counter(a.outcome_row for a, _, _ in done if a.outcome_row)
    assert set(outcomes) == {o.row for o in OUTCOMES}
    assert summary.outcomes == dict(outcomes)
    for common in ("3.1", "3.2", "3.4.1", "3.5.1"):
        assert outcomes[common] >= 4, common
    assert outcomes["3.1"] == max(outcomes.values())

    by_row = {row: [(ev, c) for a, ev, c in done if a.outcome_row == row] for row in outcomes}
    # （六）1: a correction was asked for and never came; （六）2: a fee notice never paid
    assert any(
        "correction_requested" in _kinds(ev)
        and "correction_received" not in _kinds(ev)
        and c.state == "abandoned"
        for ev, c in by_row["3.6.1"]
    )
    assert any("fee_notice_sent" in _kinds(ev) and "fee_paid" not in _kinds(ev) for ev, _ in by_row["3.6.2"])
    assert all(c.state == "abandoned" for row in ("3.6.1", "3.6.2") for _, c in by_row[row])

    kinds = [set(_kinds(ev)) for _, ev, _ in done]
    assert (
        sum({"correction_received", "replied"} <= k for k in kinds) >= 2
    )  # clock restarted after correction
    assert sum({"consultation_sent", "consultation_replied", "replied"} <= k for k in kinds) >= 2
    assert sum({"fee_notice_sent", "fee_paid", "replied"} <= k for k in kinds) >= 2
    assert sum({"extension_approved", "replied"} <= k for k in kinds) >= 2
    withdrawn = [(a, c) for a, _, c in done if c.state == "withdrawn"]
    assert len(withdrawn) >= 2 and all(a.outcome_row is None for a, _ in withdrawn)

    replied = [(a, c) for a, _, c in done if c.state in ("replied", "abandoned")]
    late = [c for _, c in replied if not c.on_time]
    assert 2 <= len(late) <= len(replied) // 10  # a couple late, mostly on time
    assert sum(c.concluded_on == c.due for _, c in replied) >= 2  # some on the last day
    assert any(a.received_on == c.concluded_on for a, c in replied)  # answered at the counter
    days = sorted((c.concluded_on - a.received_on).days for a, c in replied if c.concluded_on)
    assert 7 <= days[len(days) // 2] <= 35  # realistic median processing time (calendar days)


# -- the year's shape and its personal data ----------------------------------------------------


def _check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2, written out independently of gongkai.demo.office."""
    total = 0
    for ch in body17:
        total = ((total + int(ch)) * 2) % 11
    return "0123456789X"[(12 - total) % 11]


def test_register_looks_like_a_real_year(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, summary = loaded
    with office_session(engine) as session:
        rows = _rows(session, AS_OF)
        assert demo_is_loaded(session)
    apps = [a for a, _, _ in rows]
    assert 140 <= len(apps) <= 160
    assert summary.applications == len(apps)
    assert {a.source for a in apps} == {DEMO_SOURCE}

    first = AS_OF - timedelta(days=365)
    assert all(first <= a.received_on <= AS_OF for a in apps)
    assert all(e.on <= AS_OF for _, ev, _ in rows for e in ev)
    with office_session(engine) as session:
        calendar = load_calendar(session)
    off_days = [a for a in apps if not calendar.is_workday(a.received_on)]
    assert 1 <= len(off_days) <= 5 and all(a.channel == "online" for a in off_days)

    # refs YYYY-NNNN in receipt order, numbered from 0001 in each year
    ordered = sorted(apps, key=lambda a: a.ref)
    assert [a.received_on for a in ordered] == sorted(a.received_on for a in apps)
    for year in {a.received_on.year for a in apps}:
        refs = sorted(a.ref for a in apps if a.received_on.year == year)
        assert refs == [f"{year}-{n:04d}" for n in range(1, len(refs) + 1)]

    assert {a.channel for a in apps} == set(CHANNELS)
    types = Counter(a.applicant_type for a in apps)
    assert set(types) == set(APPLICANT_TYPES)
    assert types["natural_person"] > len(apps) * 0.6
    assert types["commercial"] + types["legal_services"] >= 8
    assert {a.assignee_id for a in apps} == HANDLERS


def test_personal_data_is_fictional_and_well_formed(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, _ = loaded
    with office_session(engine) as session:
        apps = session.exec(select(Application)).all()
    persons = [a for a in apps if a.applicant_type == "natural_person"]
    with_id = [a.applicant_id_number for a in persons if a.applicant_id_number]
    assert 0.3 <= len(with_id) / len(persons) <= 0.7
    for number in with_id:
        assert re.fullmatch(r"\d{17}[\dX]", number)
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert date(1940, 1, 1) < born < AS_OF
        assert number[17] == _check_digit(number[:17])
    assert all(a.applicant_id_number is None for a in apps if a.applicant_type != "natural_person")

    for a in apps:
        assert a.applicant_contact
        assert "*" not in a.applicant_contact
        phones = re.findall(r"(?<!\d)\d{11}(?!\d)", a.applicant_contact)
        assert phones and all(p.startswith("1") for p in phones)
        for mail in re.findall(r"[\w.+-]+@[\w.-]+", a.applicant_contact):
            assert mail.split("@")[1] in ("example.com", "example.org", "example.net")
        assert 2 <= len(a.applicant_name) <= 30 and not re.search(r"[A-Za-z0-9]", a.applicant_name)
    assert len({a.applicant_name for a in persons}) >= len(persons) * 0.8  # a few applicants come back

    contents = [a.content for a in apps]
    assert any("<script>alert(1)</script>" in c for c in contents)
    assert any('"引号" & 符号' in c for c in contents)
    assert any("拆迁" in c for c in contents) and any("低保" in c for c in contents)


# -- catalogue and appeals ---------------------------------------------------------------------


def test_catalogue_items(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, summary = loaded
    with office_session(engine) as session:
        items = session.exec(select(ProactiveItem)).all()
    assert 30 <= len(items) == summary.items <= 60
    assert len({i.index_no for i in items}) == len(items)
    assert all(re.fullmatch(r"[0-9A-Z]{18}/\d{4}-\d{5}", i.index_no) for i in items)
    assert all(i.index_no.split("/")[1][:4] == str(i.generated_on.year) for i in items)
    assert {i.owner_id for i in items} <= HANDLERS
    categories = {i.category for i in items}
    assert {
        "机构职能",
        "规范性文件",
        "行政许可",
        "行政处罚",
        "财政预决算",
        "社会救助",
        "应急管理",
    } <= categories

    normative = [i for i in items if i.doc_type == "normative_document"]
    assert len(normative) >= 3 and all(i.doc_number for i in normative)
    repealed = [i for i in normative if i.validity == "repealed"]
    assert repealed and all(i.repealed_on is not None and i.repealed_on <= AS_OF for i in repealed)
    assert any(i.validity == "in_force" for i in normative)

    unpublished = [i for i in items if i.published_on is None and i.attribute == "proactive"]
    assert len(unpublished) >= 2 and all(i.generated_on >= AS_OF - timedelta(days=14) for i in unpublished)
    assert all(i.generated_on <= i.published_on <= AS_OF for i in items if i.published_on)

    # What the weekly content review is shown finding in the demo.
    from gongkai.review.pii import find_pii

    withheld = [i for i in items if i.attribute == "not_public"]
    assert len(withheld) == 1 and withheld[0].attribute_reason and withheld[0].published_on is None
    expired = [
        i for i in items if i.valid_until is not None and i.valid_until < AS_OF and i.validity == "in_force"
    ]
    assert len(expired) == 1 and expired[0].doc_type == "normative_document"
    exposed = [i for i in items if i.published_on and find_pii([("概述", i.summary)], today=AS_OF)]
    assert len(exposed) == 1
    assert {m.kind for m in find_pii([("概述", exposed[0].summary)], today=AS_OF)} == {"id_number", "mobile"}


def test_appeals(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, summary = loaded
    with office_session(engine) as session:
        appeals = session.exec(select(Appeal)).all()
        apps = {a.id: a for a in session.exec(select(Application)).all()}
    assert 3 <= len(appeals) == summary.appeals <= 5
    assert {a.kind for a in appeals} == {"reconsideration", "litigation"}
    assert {a.route for a in appeals if a.kind == "litigation"} == {"direct", "after_reconsideration"}
    assert any(a.result == "pending" and a.concluded_on is None for a in appeals)
    assert {a.result for a in appeals if a.result != "pending"} <= {"upheld", "corrected", "other"}
    assert len({a.result for a in appeals}) >= 3
    for appeal in appeals:
        app = apps[appeal.application_id]
        assert app.concluded_on is not None and app.concluded_on <= appeal.filed_on <= AS_OF
        assert appeal.case_no
        if appeal.result == "pending":
            assert appeal.concluded_on is None
        else:
            assert appeal.concluded_on is not None and appeal.filed_on <= appeal.concluded_on <= AS_OF


# -- determinism, refusal, year end, speed -----------------------------------------------------


def _snapshot(engine: Engine) -> dict[str, Any]:
    with office_session(engine) as session:
        rows = _rows(session, AS_OF)
        items = session.exec(select(ProactiveItem).order_by(ProactiveItem.index_no)).all()
        appeals = session.exec(select(Appeal).order_by(Appeal.filed_on, Appeal.case_no)).all()  # type: ignore[arg-type]
        refs = {a.id: a.ref for a, _, _ in rows}
    return {
        "applications": sorted(
            (
                a.ref,
                a.received_on,
                a.channel,
                a.applicant_type,
                a.applicant_name,
                a.applicant_contact,
                a.applicant_id_number,
                a.content,
                a.assignee_id,
                a.outcome_row,
                c.concluded_on,
                c.state,
                c.due,
                tuple(e.spec() for e in ev),
            )
            for a, ev, c in rows
        ),
        "items": [
            (i.index_no, i.title, i.generated_on, i.published_on, i.validity, i.owner_id) for i in items
        ],
        "appeals": [
            (refs[a.application_id], a.kind, a.route, a.filed_on, a.concluded_on, a.result) for a in appeals
        ],
    }


def test_same_as_of_and_seed_give_the_same_year(loaded: tuple[Engine, DemoSummary], tmp_path: Path) -> None:
    engine, summary = loaded
    again = _open(f"sqlite:///{tmp_path}/again/gongkai.db")
    other = _open(f"sqlite:///{tmp_path}/other/gongkai.db")
    try:
        assert _load(again) == summary
        assert _snapshot(again) == _snapshot(engine)
        _load(other, seed=2018)
        assert _snapshot(other)["applications"] != _snapshot(engine)["applications"]
    finally:
        again.dispose()
        other.dispose()


def test_refuses_a_register_that_is_not_empty(engine: Engine) -> None:
    with office_session(engine) as session:
        add_application(
            session,
            NewApplication(
                ref="2026-0001",
                received_on=AS_OF,
                applicant_type="natural_person",
                applicant_name="真实申请人",
                content="申请公开某文件。",
            ),
            calendar=load_calendar(session),
            as_of=AS_OF,
            recorded_by="wang",
        )
    with pytest.raises(InputError, match="登记簿中已有申请记录"):
        _load(engine)
    with office_session(engine) as session:
        assert not demo_is_loaded(session)
        assert session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one() == 1
        assert session.execute(sa.select(sa.func.count()).select_from(ProactiveItem)).scalar_one() == 0


def test_refuses_to_load_twice(loaded: tuple[Engine, DemoSummary]) -> None:
    engine, summary = loaded
    with pytest.raises(InputError, match="演示数据只能载入空的登记簿"):
        _load(engine)
    with office_session(engine) as session:
        count = session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one()
    assert count == summary.applications


def test_refuses_handlers_that_are_not_staff(engine: Engine) -> None:
    with office_session(engine) as session, pytest.raises(InputError, match="不在工作人员名单中"):
        load_demo(session, calendar=load_calendar(session), as_of=AS_OF, handlers=("wang", "nobody"))


def test_empty_register_is_not_demo(engine: Engine) -> None:
    with office_session(engine) as session:
        assert not demo_is_loaded(session)


def test_year_end_with_next_year_unannounced(engine: Engine) -> None:
    summary = _load(engine, as_of=YEAR_END, seed=7)
    with office_session(engine) as session:
        rows = _rows(session, YEAR_END)
    open_clocks = [c for _, _, c in rows if c.is_open]
    assert {c.state for c in open_clocks} == set(OPEN_STATES)
    assert set(summary.outcomes) == {o.row for o in OUTCOMES}
    provisional = [c for c in open_clocks if c.provisional]
    assert any(c.due.year == 2027 for c in provisional)
    assert all(max(c.due, c.correction_notice_due, c.extension_limit).year == 2027 for c in provisional)
    assert all(a.provisional == c.provisional for a, _, c in rows)
    assert all(a.received_on <= YEAR_END for a, _, _ in rows)
    assert all(e.on <= YEAR_END for _, ev, _ in rows for e in ev)


def test_loading_is_fast(engine: Engine) -> None:
    started = time.perf_counter()
    summary = _load(engine)
    elapsed = time.perf_counter() - started
    assert summary.applications >= 140
    assert elapsed < 5.0, f"loading the demo took {elapsed:.2f} s"


@pytest.mark.parametrize("offset", range(0, 364, 13))
def test_loads_on_any_day_of_the_year(offset: int, tmp_path: Path) -> None:
    """`gongkai demo` runs as of today, whatever today is: every date-dependent choice must hold."""
    as_of = date(2026, 1, 2) + timedelta(days=offset)
    engine = open_database(f"sqlite:///{tmp_path}/demo.db")
    try:
        with office_session(engine) as session:
            sync_staff(
                session,
                [
                    ("wang", "王丽", ["handler"]),
                    ("li", "李强", ["handler"]),
                    ("zhao", "赵建国", ["unit_head"]),
                ],
            )
            summary = load_demo(session, calendar=load_calendar(session), as_of=as_of)
        assert summary.open > 0
        assert set(summary.outcomes) == {o.row for o in OUTCOMES}
    finally:
        engine.dispose()
