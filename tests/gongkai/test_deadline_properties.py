"""Property tests of compute_clock over random valid event sequences (hypothesis).

Receipts from 2024-01-01 to 2026-12-31; each example uses a fresh WorkCalendar, as the command-line
calculator does. Derandomized, so CI runs are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from spec_calendar import OutsideSpec, naive_add, spec_is_workday

from gongkai.core.errors import EventError
from gongkai.register.deadlines import (
    Clock,
    ClockState,
    Event,
    clock_state,
    compute_clock,
    make_event,
    sort_events,
)
from gongkai.register.workcal import WorkCalendar

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FIRST = date(2024, 1, 1)
LAST = date(2026, 12, 31)
ONE = timedelta(days=1)


@dataclass(frozen=True)
class Scenario:
    received: date
    events: tuple[Event, ...]
    as_of: date
    extension_days: int | None = None  # N of the extension event, if any (20 when defaulted)

    def plus(self, *events: Event) -> Scenario:
        return replace(self, events=self.events + events)


# Found by hypothesis: a correction received in the year after the receipt, plus an extension
# (the calendar index is extended backwards mid-computation; see test_deadlines.py).
CROSS_YEAR = Scenario(
    date(2024, 11, 20),
    (
        make_event("correction_requested", date(2024, 12, 2)),
        make_event("correction_received", date(2025, 1, 1)),
    ),
    date(2024, 11, 20),
)


def run(s: Scenario) -> Clock:
    return compute_clock(s.received, s.events, calendar=WorkCalendar(), as_of=s.as_of)


def _days(draw: st.DrawFn, lo: int, hi: int) -> timedelta:
    return timedelta(days=draw(st.integers(lo, hi)))


@st.composite
def scenarios(
    draw: st.DrawFn,
    first: date = FIRST,
    last: date = LAST,
    *,
    consultations: bool = True,
    extension: bool = True,
    conclusion: bool = True,
) -> Scenario:
    """A receipt and a procedurally valid sequence of events (no Art. 35 date)."""
    received = draw(st.dates(first, last))
    as_of = received + _days(draw, 0, 150)
    evs: list[Event] = []
    start = received
    if draw(st.integers(0, 3)) == 0:  # correction in about a quarter of the cases
        asked = received + _days(draw, 0, 12)
        evs.append(make_event("correction_requested", asked))
        if draw(st.integers(0, 3)) > 0:
            start = asked + _days(draw, 0, 30)
            evs.append(make_event("correction_received", start))
    if consultations:
        for _ in range(draw(st.integers(0, 2))):
            sent = start + _days(draw, 0, 40)
            evs.append(make_event("consultation_sent", sent))
            if draw(st.booleans()):
                evs.append(make_event("consultation_replied", sent + _days(draw, 0, 40)))
    if draw(st.booleans()):
        notice = start + _days(draw, 0, 40)
        evs.append(make_event("fee_notice_sent", notice))
        if draw(st.booleans()):
            evs.append(make_event("fee_paid", notice + _days(draw, 0, 40)))
    s = Scenario(received, tuple(evs), as_of)
    if extension and draw(st.booleans()):
        original_due = run(s).original_due
        span = (original_due - received).days
        on = received + timedelta(days=draw(st.integers(0, span)))
        n = draw(st.one_of(st.none(), st.integers(1, 20)))
        s = replace(s.plus(make_event("extension_approved", on, days=n)), extension_days=n or 20)
    if conclusion and draw(st.integers(0, 3)) == 0:
        after = max([e.on for e in s.events] + [received])
        kind = draw(st.sampled_from(["replied", "withdrawn"]))
        outcome = draw(st.sampled_from([None, "3.1", "3.6.1", "3.6.2"])) if kind == "replied" else None
        s = s.plus(make_event(kind, after + _days(draw, 0, 20), outcome=outcome))
    return s


# -- an independent oracle for the standard reading, over the hand-typed 2025/2026 calendar ----------


def pause_windows(s: Scenario, add_workdays: Callable[[date, int], date]) -> list[tuple[date, date]]:
    """(sent, stop) of every pause per U2: sending to reply/payment; open ones run to as_of, or to
    the closing day of a concluded application (its clock is frozen there); a consultation stops at
    its 15th working day. Replies close consultations first-in, first-out. Working days strictly
    between sent and stop are not counted."""
    closed = [e.on for e in s.events if e.kind in ("replied", "withdrawn")]
    upto = min([s.as_of, *closed])
    open_c: list[list[date | None]] = []
    consultations: list[list[date | None]] = []
    fee: list[date | None] | None = None
    for e in sort_events(s.events):
        if e.kind == "consultation_sent":
            p: list[date | None] = [e.on, None]
            open_c.append(p)
            consultations.append(p)
        elif e.kind == "consultation_replied":
            open_c.pop(0)[1] = e.on
        elif e.kind == "fee_notice_sent":
            fee = [e.on, None]
        elif e.kind == "fee_paid" and fee is not None:
            fee[1] = e.on
    out: list[tuple[date, date]] = []
    for sent, end in consultations:
        assert sent is not None
        stop = end if end is not None else max(sent, upto)
        out.append((sent, min(stop, add_workdays(sent, 15))))
    if fee is not None:
        assert fee[0] is not None
        out.append((fee[0], fee[1] if fee[1] is not None else max(fee[0], upto)))
    return out


def excluded_days(
    s: Scenario, is_workday: Callable[[date], bool], add_workdays: Callable[[date, int], date]
) -> set[date]:
    excluded: set[date] = set()
    for sent, stop in pause_windows(s, add_workdays):
        d = sent + ONE
        while d < stop:
            if is_workday(d):
                excluded.add(d)
            d += ONE
    return excluded


def start_of(s: Scenario) -> date:
    return next((e.on for e in s.events if e.kind == "correction_received"), s.received)


def oracle_due(s: Scenario, n: int) -> date:
    """Independent oracle (standard reading) over the hand-typed 2025/2026 calendar: the n-th
    counted working day after the start, skipping working days strictly inside pauses."""
    excluded = excluded_days(s, spec_is_workday, naive_add)
    counted, d = 0, start_of(s)
    while counted < n:
        d += ONE
        if spec_is_workday(d) and d not in excluded:
            counted += 1
    return d


# -- properties -----------------------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_due_and_safe_due_are_working_days_at_most_one_apart(s: Scenario) -> None:
    c = run(s)
    cal = WorkCalendar()
    assert cal.is_workday(c.due), c.due
    assert cal.is_workday(c.safe_due), c.safe_due
    assert c.safe_due <= c.due
    # At most one COUNTED working day apart: every working day strictly between them is paused.
    # (A pause sent on safe_due itself can push due many calendar working days later while safe_due,
    # the 20th counted day under the protecting reading, stays: see test_deadlines.py.)
    excluded = excluded_days(s, cal.is_workday, cal.add_workdays)
    d = c.safe_due + ONE
    while d < c.due:
        assert not cal.is_workday(d) or d in excluded, (c.safe_due, c.due, d)
        d += ONE
    assert c.due <= c.extension_limit


@SETTINGS
@given(scenarios())
@example(replace(CROSS_YEAR.plus(make_event("extension_approved", date(2025, 1, 10))), extension_days=20))
def test_due_never_before_twenty_working_days_after_receipt(s: Scenario) -> None:
    c = run(s)
    cal = WorkCalendar()
    assert c.due >= cal.add_workdays(s.received, 20)
    start = start_of(s)
    assert c.due >= cal.add_workdays(start, 20)
    if c.extended:
        assert c.extension_limit == c.due  # only one extension: the one approved is the furthest
    else:
        assert c.extension_limit >= cal.add_workdays(start, 40)
    assert c.due >= c.original_due


@SETTINGS
@given(scenarios(consultations=False), st.integers(0, 45), st.one_of(st.none(), st.integers(0, 40)))
def test_adding_a_consultation_never_makes_due_earlier(
    s: Scenario, sent_after: int, reply_after: int | None
) -> None:
    start = start_of(s)
    sent = start + timedelta(days=sent_after)
    added = [make_event("consultation_sent", sent)]
    if reply_after is not None:
        added.append(make_event("consultation_replied", sent + timedelta(days=reply_after)))
    concluded = [e for e in s.events if e.kind in ("replied", "withdrawn")]
    if concluded and max(e.on for e in added) > concluded[0].on:
        return  # events after the conclusion are (rightly) refused
    base = run(s)
    more = run(s.plus(*added))
    assert more.due >= base.due
    assert more.original_due >= base.original_due
    assert more.paused_working_days >= base.paused_working_days


@SETTINGS
@given(
    scenarios(extension=False, conclusion=False),
    st.integers(0, 10_000),
    st.one_of(st.none(), st.integers(1, 20)),
)
@example(CROSS_YEAR, 0, None)
def test_extension_adds_exactly_n_counted_days(s: Scenario, pick: int, n: int | None) -> None:
    cal = WorkCalendar()
    plain = run(s)
    span = (plain.original_due - s.received).days
    on = s.received + timedelta(days=pick % (span + 1))
    ext = run(s.plus(make_event("extension_approved", on, days=n)))
    length = n or 20
    assert ext.extended
    assert ext.original_due == plain.original_due
    assert plain.original_due < ext.due == ext.extension_limit <= plain.extension_limit
    # Working days in (original_due, due]: exactly N when no pause follows the original due, and
    # exactly N counted (non-paused) days in any case; never more than 20 counted days.
    after = cal.workdays_between(plain.original_due, ext.due) + 1
    assert after >= length
    windows = pause_windows(s, cal.add_workdays)
    if all(stop <= plain.original_due for _sent, stop in windows):
        assert after == length, (plain.original_due, ext.due, length)
    excluded = excluded_days(s, cal.is_workday, cal.add_workdays)
    counted = 0
    d = plain.original_due + ONE
    while d <= ext.due:
        counted += cal.is_workday(d) and d not in excluded
        d += ONE
    assert counted == length <= 20, (plain.original_due, ext.due, length)
    # safe_due moves by the same number of counted days (received on a working day or not).
    assert ext.safe_due >= plain.safe_due


@SETTINGS
@given(scenarios())
def test_non_working_start_gives_equal_readings(s: Scenario) -> None:
    cal = WorkCalendar()
    start = start_of(s)
    c = run(s)
    if not cal.is_workday(start):
        assert c.safe_due == c.due


@SETTINGS
@given(st.dates(FIRST, LAST).filter(lambda d: not WorkCalendar().is_workday(d)))
def test_non_working_receipt_without_events(received: date) -> None:
    c = compute_clock(received, (), calendar=WorkCalendar(), as_of=received)
    assert c.safe_due == c.due


@SETTINGS
@given(scenarios())
def test_provisional_flag(s: Scenario) -> None:
    c = run(s)
    if max(c.due, c.correction_notice_due, c.extension_limit) <= LAST:
        assert not c.provisional
    if c.due > LAST:
        assert c.provisional


@SETTINGS
@given(st.dates(date(2025, 1, 1), date(2026, 12, 31)))
def test_not_provisional_when_forty_day_window_inside_2025_2026(received: date) -> None:
    c = compute_clock(received, (), calendar=WorkCalendar(), as_of=received)
    try:
        window_end = naive_add(received, 40)
    except OutsideSpec:
        window_end = date(2027, 1, 1)
    if window_end <= LAST:
        assert not c.provisional
        assert c.extension_limit == window_end
    else:
        assert c.extension_limit.year == 2027


@SETTINGS
@given(scenarios(date(2025, 1, 1), date(2026, 6, 30)))
def test_due_matches_independent_oracle(s: Scenario) -> None:
    c = run(s)
    try:
        expected = oracle_due(s, 20 + (s.extension_days or 0))
        original = oracle_due(s, 20)
    except OutsideSpec:
        return  # the window left 2025-2026 (long pauses): no oracle there
    assert c.original_due == original
    assert c.due == expected


@SETTINGS
@given(scenarios(conclusion=False), st.integers(1, 200))
def test_art35_date_overrides(s: Scenario, later: int) -> None:
    on = max([e.on for e in s.events] + [s.received])
    until = on + timedelta(days=later)
    if not WorkCalendar().is_workday(until):
        with pytest.raises(EventError):
            run(s.plus(make_event("delayed_reply_set", on, until=until)))
        return
    c = run(s.plus(make_event("delayed_reply_set", on, until=until)))
    assert c.due == c.safe_due == until


@SETTINGS
@given(scenarios(), st.sampled_from([None, "3.1", "3.6.1"]), st.booleans())
def test_clock_state_is_the_clock_without_the_rest(
    s: Scenario, outcome: str | None, reject_future: bool
) -> None:
    """The register import's reduced clock (clock_state) has the dates and the state of compute_clock,
    and refuses what it refuses with the same message."""

    def clock() -> Clock:
        return compute_clock(
            s.received, s.events, calendar=WorkCalendar(), as_of=s.as_of, channel="online",
            outcome=outcome, reject_future=reject_future, explain=False,
        )  # fmt: skip

    def state() -> ClockState:
        return clock_state(
            s.received, s.events, calendar=WorkCalendar(), as_of=s.as_of, channel="online",
            outcome=outcome, reject_future=reject_future,
        )  # fmt: skip

    try:
        c = clock()
    except EventError as exc:
        with pytest.raises(EventError) as info:
            state()
        assert str(info.value) == str(exc)
        return
    assert state() == ClockState(**{name: getattr(c, name) for name in ClockState._fields})
