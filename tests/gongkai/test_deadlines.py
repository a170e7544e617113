"""compute_clock against ogi-rules.md sections 2.3, 4.3, 4.4, 7 and 9 (U1-U3, U7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from spec_calendar import naive_add, naive_between, naive_safe_add, spec_is_workday

from gongkai.core.errors import EventError, InputError
from gongkai.register.deadlines import Clock, Event, compute_clock, make_event, parse_event_spec
from gongkai.register.workcal import WorkCalendar

FAR = date(2026, 12, 31)  # an as_of after every event of the 2025 cases


def D(s: str) -> date:
    return date.fromisoformat(s)


def clock(
    received: str,
    *events: str,
    as_of: str | date = FAR,
    calendar: WorkCalendar | None = None,
    outcome: str | None = None,
    reject_future: bool = False,
) -> Clock:
    """compute_clock with events in command-line spelling and (by default) a fresh calendar."""
    evs: Sequence[Event] = [parse_event_spec(e) for e in events]
    return compute_clock(
        D(received),
        evs,
        calendar=calendar or WorkCalendar(),
        as_of=as_of if isinstance(as_of, date) else D(as_of),
        outcome=outcome,
        reject_future=reject_future,
    )


# =================================================================================================
# Section 7: worked examples
# =================================================================================================


@pytest.mark.parametrize(
    ("received", "due", "safe_due", "correction_notice_due", "extension_limit"),
    [
        # Example A (before the Spring Festival; make-up Sun 26 Jan and Sat 8 Feb).
        ("2025-01-24", "2025-02-27", "2025-02-26", "2025-02-10", "2025-03-27"),
        # Example B (before National Day; make-up Sun 28 Sep and Sat 11 Oct).
        ("2025-09-25", "2025-10-29", "2025-10-28", "2025-10-11", "2025-11-26"),
        # Example C (crossing into 2026; 1-3 Jan off, make-up Sun 4 Jan).
        ("2025-12-15", "2026-01-13", "2026-01-12", "2025-12-24", "2026-02-10"),
    ],
    ids=["A", "B", "C"],
)
def test_section7_examples(
    received: str, due: str, safe_due: str, correction_notice_due: str, extension_limit: str
) -> None:
    c = clock(received, as_of=received)
    assert (c.due, c.safe_due, c.correction_notice_due, c.extension_limit) == (
        D(due),
        D(safe_due),
        D(correction_notice_due),
        D(extension_limit),
    )
    assert c.original_due == D(due)
    assert not c.provisional
    assert c.paused_working_days == 0
    assert not c.extended


@pytest.mark.parametrize(
    ("received", "extension", "due", "safe_due"),
    [
        # Latest extended reply, both readings: A 27 Mar / 26 Mar; B 26 Nov / 25 Nov; C 10 Feb.
        ("2025-01-24", "extension_approved:2025-02-20", "2025-03-27", "2025-03-26"),
        ("2025-09-25", "extension_approved:2025-10-20", "2025-11-26", "2025-11-25"),
        ("2025-12-15", "extension_approved:2026-01-05", "2026-02-10", "2026-02-09"),
    ],
    ids=["A", "B", "C"],
)
def test_section7_extended_both_readings(received: str, extension: str, due: str, safe_due: str) -> None:
    c = clock(received, extension)
    assert c.extended
    assert (c.due, c.safe_due) == (D(due), D(safe_due))
    assert c.due == c.extension_limit


def test_example_a_protecting_correction_notice_date() -> None:
    # The protecting reading of the 7-WD correction notice is Sat 8 Feb 2025 (make-up day).
    assert naive_safe_add(D("2025-01-24"), 7) == D("2025-02-08")
    assert WorkCalendar().is_workday(D("2025-02-08"))


@pytest.mark.parametrize(
    ("events", "due", "paused"),
    [
        # Correction notice 5 Feb, corrected application 12 Feb: restart -> Wed 12 Mar.
        (("correction_requested:2025-02-05", "correction_received:2025-02-12"), "2025-03-12", 0),
        # ... then a third party consulted 3 Mar - 14 Mar: 8 WD strictly between -> Mon 24 Mar.
        (
            (
                "correction_requested:2025-02-05",
                "correction_received:2025-02-12",
                "consultation_sent:2025-03-03",
                "consultation_replied:2025-03-14",
            ),
            "2025-03-24",
            8,
        ),
    ],
    ids=["A-restart", "A-restart-consultation"],
)
def test_example_a_continuation(events: tuple[str, ...], due: str, paused: int) -> None:
    c = clock("2025-01-24", *events)
    assert c.due == D(due)
    assert c.paused_working_days == paused
    # The protecting date is one working day earlier (corrected application received on a WD).
    assert c.safe_due == naive_add(D("2025-02-12"), 19 + paused)
    # The correction-notice deadline still runs from the original receipt.
    assert c.correction_notice_due == D("2025-02-10")
    assert c.state == "in_progress"


def test_example_a_continuation_does_not_exclude_reply_day() -> None:
    # "If the reply day were also excluded the date would be Tue 25 Mar; the protecting choice is 24 Mar."
    c = clock(
        "2025-01-24",
        "correction_requested:2025-02-05",
        "correction_received:2025-02-12",
        "consultation_sent:2025-03-03",
        "consultation_replied:2025-03-14",
    )
    assert c.due != D("2025-03-25")


# =================================================================================================
# Own table: receipts just before / on / after every 2025 and 2026 holiday block and make-up day
# =================================================================================================
#
# Columns: received, due (20 WD, standard), safe_due (receipt day = day 1 if a working day),
# correction_notice_due (7 WD, standard), extension_limit (40 WD, standard).
# Generated once with spec_calendar.naive_* over the hand-typed 2.2 schedule, pasted as literals;
# the test compares the code against the literals AND re-derives them with the oracle.
#
# Hand counts (as in section 7):
#  [1] 2025-01-01 (元旦, non-WD): 2 Jan (1), 3 (2), 6-10 (3-7) -> notice Fri 10 Jan; 13-17 (8-12),
#      20-24 (13-17), Sun 26 make-up (18), 27 (19), [28 Jan-4 Feb off], Wed 5 Feb (20) -> due = safe.
#  [2] 2025-02-08 (make-up Sat): 10-14 Feb (1-5), 17 (6), 18 (7) -> notice 18 Feb; 19-21 (8-10),
#      24-28 (11-15), 3-7 Mar (16-20) -> due Fri 7 Mar; protecting: 8 Feb = day 1 -> Thu 6 Mar.
#  [3] 2025-04-27 (make-up Sun): 28 (1), 29 (2), 30 (3), [1-5 May off], 6-9 May (4-7) -> notice 9 May;
#      12-16 (8-12), 19-23 (13-17), 26 (18), 27 (19), Wed 28 May (20); protecting Tue 27 May.
#  [4] 2025-05-30 (Fri before 端午): [31 May-2 Jun off], 3-6 Jun (1-4), 9-11 (5-7) -> notice 11 Jun;
#      12-13 (8-9), 16-20 (10-14), 23-27 (15-19), Mon 30 Jun (20); protecting Fri 27 Jun.
#  [5] 2025-09-28 (make-up Sun): 29 (1), 30 (2), [1-8 Oct off], 9 (3), 10 (4), Sat 11 (5), 13 (6),
#      14 (7) -> notice 14 Oct; 15-17 (8-10), 20-24 (11-15), 27-31 (16-20) -> Fri 31 Oct; prot. 30 Oct.
#  [6] 2026-01-03 (Sat, 元旦 off): Sun 4 Jan make-up (1), 5-9 (2-6), 12 (7) -> notice 12 Jan;
#      13-16 (8-11), 19-23 (12-16), 26-29 (17-20) -> Thu 29 Jan under both readings.
#  [7] 2026-02-14 (make-up Sat): [15-23 Feb off], 24-27 (1-4), Sat 28 make-up (5), 2 Mar (6), 3 (7)
#      -> notice 3 Mar; 4-6 (8-10), 9-13 (11-15), 16-20 (16-20) -> Fri 20 Mar; protecting Thu 19 Mar.
#  [8] 2026-05-05 (last day off 劳动节): 6-8 (1-3), Sat 9 make-up (4), 11-13 (5-7) -> notice 13 May;
#      14-15 (8-9), 18-22 (10-14), 25-29 (15-19), Mon 1 Jun (20) -> both readings.
#  [9] 2026-09-18 (Fri): Sun 20 Sep make-up (1), 21-24 (2-5), [25-27 off], 28 (6), 29 (7) -> notice
#      29 Sep; 30 (8), [1-7 Oct off], 8 (9), 9 (10), Sat 10 make-up (11), 12-16 (12-16), 19-22 (17-20)
#      -> Thu 22 Oct; protecting Wed 21 Oct; extension 23 (21), 26-30 (22-26), 2-6 Nov (27-31),
#      9-13 (32-36), 16-19 (37-40) -> Thu 19 Nov.
# [10] 2026-10-10 (make-up Sat): 12-16 Oct (1-5), 19 (6), 20 (7) -> notice 20 Oct; 21-23 (8-10),
#      26-30 (11-15), 2-6 Nov (16-20) -> Fri 6 Nov; protecting Thu 5 Nov.

HOLIDAY_TABLE: list[tuple[str, str, str, str, str]] = [
    ("2025-01-01", "2025-02-05", "2025-02-05", "2025-01-10", "2025-03-04"),  # [1] on 元旦 2025 [non-WD]
    ("2025-01-02", "2025-02-06", "2025-02-05", "2025-01-13", "2025-03-05"),  # after 元旦 2025
    ("2025-01-24", "2025-02-27", "2025-02-26", "2025-02-10", "2025-03-27"),  # Fri before make-up Sun (ex. A)
    ("2025-01-25", "2025-02-27", "2025-02-27", "2025-02-10", "2025-03-27"),  # ordinary Sat [non-WD]
    ("2025-01-26", "2025-02-28", "2025-02-27", "2025-02-11", "2025-03-28"),  # ON make-up Sun 26 Jan
    ("2025-01-27", "2025-03-03", "2025-02-28", "2025-02-12", "2025-03-31"),  # last WD before 春节
    ("2025-01-28", "2025-03-03", "2025-03-03", "2025-02-12", "2025-03-31"),  # first day off 春节 [non-WD]
    ("2025-02-02", "2025-03-03", "2025-03-03", "2025-02-12", "2025-03-31"),  # Sun inside 春节 [non-WD]
    ("2025-02-04", "2025-03-03", "2025-03-03", "2025-02-12", "2025-03-31"),  # last day off 春节 [non-WD]
    ("2025-02-05", "2025-03-04", "2025-03-03", "2025-02-13", "2025-04-01"),  # first WD after 春节
    ("2025-02-07", "2025-03-06", "2025-03-05", "2025-02-17", "2025-04-03"),  # Fri before make-up Sat
    ("2025-02-08", "2025-03-07", "2025-03-06", "2025-02-18", "2025-04-07"),  # [2] ON make-up Sat 8 Feb
    ("2025-02-09", "2025-03-07", "2025-03-07", "2025-02-18", "2025-04-07"),  # ordinary Sun [non-WD]
    ("2025-04-03", "2025-05-06", "2025-04-30", "2025-04-15", "2025-06-04"),  # before 清明 2025
    ("2025-04-04", "2025-05-06", "2025-05-06", "2025-04-15", "2025-06-04"),  # ON 清明 (Fri) [non-WD]
    ("2025-04-06", "2025-05-06", "2025-05-06", "2025-04-15", "2025-06-04"),  # ON 清明 (Sun) [non-WD]
    ("2025-04-07", "2025-05-07", "2025-05-06", "2025-04-16", "2025-06-05"),  # after 清明
    ("2025-04-26", "2025-05-27", "2025-05-27", "2025-05-08", "2025-06-25"),  # ordinary Sat [non-WD]
    ("2025-04-27", "2025-05-28", "2025-05-27", "2025-05-09", "2025-06-26"),  # [3] ON make-up Sun 27 Apr
    ("2025-04-30", "2025-06-03", "2025-05-30", "2025-05-14", "2025-07-01"),  # before 劳动节
    ("2025-05-01", "2025-06-03", "2025-06-03", "2025-05-14", "2025-07-01"),  # ON 劳动节 [non-WD]
    ("2025-05-05", "2025-06-03", "2025-06-03", "2025-05-14", "2025-07-01"),  # ON 劳动节 (Mon, last) [non-WD]
    ("2025-05-06", "2025-06-04", "2025-06-03", "2025-05-15", "2025-07-02"),  # after 劳动节
    ("2025-05-30", "2025-06-30", "2025-06-27", "2025-06-11", "2025-07-28"),  # [4] before 端午
    ("2025-05-31", "2025-06-30", "2025-06-30", "2025-06-11", "2025-07-28"),  # ON 端午 (Sat) [non-WD]
    ("2025-06-02", "2025-06-30", "2025-06-30", "2025-06-11", "2025-07-28"),  # ON 端午 (Mon) [non-WD]
    ("2025-06-03", "2025-07-01", "2025-06-30", "2025-06-12", "2025-07-29"),  # after 端午
    ("2025-09-25", "2025-10-29", "2025-10-28", "2025-10-11", "2025-11-26"),  # example B
    ("2025-09-26", "2025-10-30", "2025-10-29", "2025-10-13", "2025-11-27"),  # Fri before make-up Sun
    ("2025-09-27", "2025-10-30", "2025-10-30", "2025-10-13", "2025-11-27"),  # ordinary Sat [non-WD]
    ("2025-09-28", "2025-10-31", "2025-10-30", "2025-10-14", "2025-11-28"),  # [5] ON make-up Sun 28 Sep
    ("2025-09-30", "2025-11-04", "2025-11-03", "2025-10-16", "2025-12-02"),  # last WD before 国庆
    ("2025-10-01", "2025-11-04", "2025-11-04", "2025-10-16", "2025-12-02"),  # ON 国庆 [non-WD]
    ("2025-10-08", "2025-11-04", "2025-11-04", "2025-10-16", "2025-12-02"),  # ON 国庆 (Wed, last) [non-WD]
    ("2025-10-09", "2025-11-05", "2025-11-04", "2025-10-17", "2025-12-03"),  # after 国庆
    ("2025-10-10", "2025-11-06", "2025-11-05", "2025-10-20", "2025-12-04"),  # Fri before make-up Sat
    ("2025-10-11", "2025-11-07", "2025-11-06", "2025-10-21", "2025-12-05"),  # ON make-up Sat 11 Oct
    ("2025-10-12", "2025-11-07", "2025-11-07", "2025-10-21", "2025-12-05"),  # ordinary Sun [non-WD]
    ("2025-12-15", "2026-01-13", "2026-01-12", "2025-12-24", "2026-02-10"),  # example C
    ("2025-12-31", "2026-01-29", "2026-01-28", "2026-01-12", "2026-03-04"),  # before 元旦 2026
    ("2026-01-01", "2026-01-29", "2026-01-29", "2026-01-12", "2026-03-04"),  # ON 元旦 2026 [non-WD]
    ("2026-01-03", "2026-01-29", "2026-01-29", "2026-01-12", "2026-03-04"),  # [6] ON 元旦 (Sat) [non-WD]
    ("2026-01-04", "2026-01-30", "2026-01-29", "2026-01-13", "2026-03-05"),  # ON make-up Sun 4 Jan
    ("2026-01-05", "2026-02-02", "2026-01-30", "2026-01-14", "2026-03-06"),  # after 元旦 2026
    ("2026-02-13", "2026-03-19", "2026-03-18", "2026-03-02", "2026-04-17"),  # before make-up Sat 14 Feb
    ("2026-02-14", "2026-03-20", "2026-03-19", "2026-03-03", "2026-04-20"),  # [7] ON make-up Sat 14 Feb
    ("2026-02-15", "2026-03-20", "2026-03-20", "2026-03-03", "2026-04-20"),  # ON 春节 (Sun, first) [non-WD]
    ("2026-02-20", "2026-03-20", "2026-03-20", "2026-03-03", "2026-04-20"),  # ON 春节 (Fri) [non-WD]
    ("2026-02-23", "2026-03-20", "2026-03-20", "2026-03-03", "2026-04-20"),  # ON 春节 (Mon, last) [non-WD]
    ("2026-02-24", "2026-03-23", "2026-03-20", "2026-03-04", "2026-04-21"),  # after 春节
    ("2026-02-27", "2026-03-26", "2026-03-25", "2026-03-09", "2026-04-24"),  # Fri before make-up Sat
    ("2026-02-28", "2026-03-27", "2026-03-26", "2026-03-10", "2026-04-27"),  # ON make-up Sat 28 Feb
    ("2026-03-01", "2026-03-27", "2026-03-27", "2026-03-10", "2026-04-27"),  # ordinary Sun [non-WD]
    ("2026-04-03", "2026-05-07", "2026-05-06", "2026-04-15", "2026-06-03"),  # before 清明 2026
    ("2026-04-04", "2026-05-07", "2026-05-07", "2026-04-15", "2026-06-03"),  # ON 清明 (Sat) [non-WD]
    ("2026-04-06", "2026-05-07", "2026-05-07", "2026-04-15", "2026-06-03"),  # ON 清明 (Mon) [non-WD]
    ("2026-04-07", "2026-05-08", "2026-05-07", "2026-04-16", "2026-06-04"),  # after 清明
    ("2026-04-30", "2026-06-01", "2026-05-29", "2026-05-13", "2026-06-30"),  # before 劳动节
    ("2026-05-01", "2026-06-01", "2026-06-01", "2026-05-13", "2026-06-30"),  # ON 劳动节 [non-WD]
    (
        "2026-05-05",
        "2026-06-01",
        "2026-06-01",
        "2026-05-13",
        "2026-06-30",
    ),  # [8] ON 劳动节 (Tue, last) [non-WD]
    ("2026-05-06", "2026-06-02", "2026-06-01", "2026-05-14", "2026-07-01"),  # after 劳动节
    ("2026-05-08", "2026-06-04", "2026-06-03", "2026-05-18", "2026-07-03"),  # Fri before make-up Sat
    ("2026-05-09", "2026-06-05", "2026-06-04", "2026-05-19", "2026-07-06"),  # ON make-up Sat 9 May
    ("2026-05-10", "2026-06-05", "2026-06-05", "2026-05-19", "2026-07-06"),  # ordinary Sun [non-WD]
    ("2026-06-18", "2026-07-17", "2026-07-16", "2026-06-30", "2026-08-14"),  # before 端午
    ("2026-06-19", "2026-07-17", "2026-07-17", "2026-06-30", "2026-08-14"),  # ON 端午 (Fri) [non-WD]
    ("2026-06-21", "2026-07-17", "2026-07-17", "2026-06-30", "2026-08-14"),  # ON 端午 (Sun) [non-WD]
    ("2026-06-22", "2026-07-20", "2026-07-17", "2026-07-01", "2026-08-17"),  # after 端午
    ("2026-09-18", "2026-10-22", "2026-10-21", "2026-09-29", "2026-11-19"),  # [9] Fri before make-up Sun
    ("2026-09-19", "2026-10-22", "2026-10-22", "2026-09-29", "2026-11-19"),  # ordinary Sat [non-WD]
    ("2026-09-20", "2026-10-23", "2026-10-22", "2026-09-30", "2026-11-20"),  # ON make-up Sun 20 Sep
    ("2026-09-24", "2026-10-29", "2026-10-28", "2026-10-12", "2026-11-26"),  # before 中秋
    ("2026-09-25", "2026-10-29", "2026-10-29", "2026-10-12", "2026-11-26"),  # ON 中秋 (Fri) [non-WD]
    ("2026-09-27", "2026-10-29", "2026-10-29", "2026-10-12", "2026-11-26"),  # ON 中秋 (Sun) [non-WD]
    ("2026-09-28", "2026-10-30", "2026-10-29", "2026-10-13", "2026-11-27"),  # between 中秋 and 国庆
    ("2026-09-30", "2026-11-03", "2026-11-02", "2026-10-15", "2026-12-01"),  # before 国庆
    ("2026-10-01", "2026-11-03", "2026-11-03", "2026-10-15", "2026-12-01"),  # ON 国庆 [non-WD]
    ("2026-10-07", "2026-11-03", "2026-11-03", "2026-10-15", "2026-12-01"),  # ON 国庆 (Wed, last) [non-WD]
    ("2026-10-08", "2026-11-04", "2026-11-03", "2026-10-16", "2026-12-02"),  # after 国庆
    ("2026-10-09", "2026-11-05", "2026-11-04", "2026-10-19", "2026-12-03"),  # Fri before make-up Sat
    ("2026-10-10", "2026-11-06", "2026-11-05", "2026-10-20", "2026-12-04"),  # [10] ON make-up Sat 10 Oct
    ("2026-10-11", "2026-11-06", "2026-11-06", "2026-10-20", "2026-12-04"),  # ordinary Sun [non-WD]
]


@pytest.mark.parametrize(
    ("received", "due", "safe_due", "correction_notice_due", "extension_limit"),
    HOLIDAY_TABLE,
    ids=[row[0] for row in HOLIDAY_TABLE],
)
def test_holiday_table(
    received: str, due: str, safe_due: str, correction_notice_due: str, extension_limit: str
) -> None:
    r = D(received)
    expected = (D(due), D(safe_due), D(correction_notice_due), D(extension_limit))
    # The literal row agrees with the oracle over the hand-typed spec calendar ...
    assert expected == (naive_add(r, 20), naive_safe_add(r, 20), naive_add(r, 7), naive_add(r, 40))
    # ... and with the code under test.
    c = clock(received, as_of=received)
    assert (c.due, c.safe_due, c.correction_notice_due, c.extension_limit) == expected
    assert not c.provisional
    assert c.state == "received"


def test_holiday_table_covers_every_block_and_makeup_day() -> None:
    from spec_calendar import DAYS_OFF, MAKEUP

    receipts = {D(row[0]) for row in HOLIDAY_TABLE}
    assert len(HOLIDAY_TABLE) >= 40
    assert MAKEUP <= receipts  # receipt ON every make-up day
    # Receipt ON a day off in every holiday block (blocks = runs of consecutive days off).
    blocks: list[list[date]] = []
    for d in sorted(DAYS_OFF):
        if blocks and (d - blocks[-1][-1]).days == 1:
            blocks[-1].append(d)
        else:
            blocks.append([d])
    for block in blocks:
        assert receipts & set(block), block
    assert any(not spec_is_workday(d) and d.weekday() >= 5 and d not in DAYS_OFF for d in receipts)


# =================================================================================================
# Receipt on a non-working day: both readings start at the next working day
# =================================================================================================


@pytest.mark.parametrize(
    "received",
    [
        "2025-01-25",
        "2025-02-01",
        "2025-03-08",
        "2025-03-09",
        "2025-05-03",
        "2025-10-05",
        "2026-01-01",
        "2026-02-18",
        "2026-04-05",
        "2026-06-20",
        "2026-10-03",
    ],
)
def test_non_working_receipt_due_equals_safe_due(received: str) -> None:
    r = D(received)
    assert not spec_is_workday(r)
    c = clock(received, as_of=received)
    assert c.due == c.safe_due == naive_add(r, 20)


def test_working_receipt_safe_due_is_one_working_day_earlier() -> None:
    c = clock("2025-03-03", as_of="2025-03-03")
    assert c.safe_due == D("2025-03-28")
    assert c.due == D("2025-03-31")


# =================================================================================================
# Pauses (Art. 33 para. 3; U2, U7)
# =================================================================================================


def test_consultation_excludes_only_days_strictly_between() -> None:
    # received Mon 3 Mar 2025 -> due Mon 31 Mar. Consultation sent Mon 10 Mar, reply Fri 14 Mar:
    # strictly between = 11, 12, 13 Mar = 3 WD; sending and reply days both count.
    c = clock("2025-03-03", "consultation_sent:2025-03-10", "consultation_replied:2025-03-14")
    assert c.paused_working_days == 3
    assert c.due == naive_add(D("2025-03-31"), 3) == D("2025-04-03")
    assert c.safe_due == D("2025-04-02")
    assert c.original_due == c.due


def test_consultation_same_day_or_next_day_reply_excludes_nothing() -> None:
    for reply in ("2025-03-10", "2025-03-11"):
        c = clock("2025-03-03", "consultation_sent:2025-03-10", f"consultation_replied:{reply}")
        assert c.paused_working_days == 0
        assert c.due == D("2025-03-31")


def test_consultation_over_a_holiday_counts_only_working_days() -> None:
    # Example B receipt; consultation Tue 30 Sep - Thu 9 Oct 2025: nothing strictly between is a WD.
    c = clock("2025-09-25", "consultation_sent:2025-09-30", "consultation_replied:2025-10-09")
    assert c.paused_working_days == 0
    assert c.due == D("2025-10-29")
    # Sent Fri 26 Sep, replied Fri 10 Oct: 28 Sep (make-up), 29, 30 Sep, 9 Oct = 4 WD.
    c = clock("2025-09-25", "consultation_sent:2025-09-26", "consultation_replied:2025-10-10")
    assert c.paused_working_days == naive_between(D("2025-09-26"), D("2025-10-10")) == 4
    assert c.due == naive_add(D("2025-10-29"), 4)


def test_consultation_cap_when_never_answered() -> None:
    # Sent Mon 3 Mar 2025; the consultee's 15 WD end on Mon 24 Mar; as_of far later. The pause ends at
    # the 15th WD, which (like a reply day) counts: 14 WD strictly between are excluded.
    cap = naive_add(D("2025-03-03"), 15)
    assert cap == D("2025-03-24")
    c = clock("2025-03-03", "consultation_sent:2025-03-03", as_of="2025-09-01")
    assert c.consultation_due == cap
    assert c.paused_working_days == 14
    assert c.due == naive_add(D("2025-03-31"), 14)
    assert c.state == "in_progress"
    assert any("15 个工作日" in line and "届满" in line for line in c.explain)


def test_consultation_answered_after_cap_is_capped() -> None:
    c = clock("2025-03-03", "consultation_sent:2025-03-03", "consultation_replied:2025-05-06")
    assert c.paused_working_days == 14
    assert c.due == naive_add(D("2025-03-31"), 14)


def test_open_consultation_counts_up_to_as_of() -> None:
    # Sent Mon 10 Mar, still open on Mon 17 Mar: 11-14 Mar = 4 WD so far; the date can only move later.
    c = clock("2025-03-03", "consultation_sent:2025-03-10", as_of="2025-03-17")
    assert c.paused_working_days == 4
    assert c.due == naive_add(D("2025-03-31"), 4)
    assert c.state == "paused"
    later = clock("2025-03-03", "consultation_sent:2025-03-10", as_of="2025-03-20")
    assert later.paused_working_days == 7
    assert later.due > c.due


def test_fee_notice_to_payment_is_excluded() -> None:
    # Fee notice Tue 4 Mar, paid Tue 11 Mar: 5, 6, 7, 10 Mar = 4 WD.
    c = clock("2025-03-03", "fee_notice_sent:2025-03-04", "fee_paid:2025-03-11")
    assert c.paused_working_days == 4
    assert c.due == naive_add(D("2025-03-31"), 4)
    assert c.fee_payment_due == naive_add(D("2025-03-04"), 20)
    assert c.state == "in_progress"


def test_open_fee_notice_pauses_until_as_of() -> None:
    c = clock("2025-03-03", "fee_notice_sent:2025-03-04", as_of="2025-03-07")
    assert c.state == "paused"
    assert c.paused_working_days == 2  # 5, 6 Mar
    assert c.fee_payment_due == D("2025-04-01")


def test_overlapping_consultation_and_fee_are_not_double_counted() -> None:
    # Consultation 5 Mar - 14 Mar (6-13 Mar: 6 WD); fee 10 Mar - 20 Mar (11-19 Mar: 7 WD).
    # Union strictly-between days: 6, 7, 10-14, 17, 18, 19 Mar = 10 WD (not 13).
    c = clock(
        "2025-03-03",
        "consultation_sent:2025-03-05",
        "fee_notice_sent:2025-03-10",
        "consultation_replied:2025-03-14",
        "fee_paid:2025-03-20",
    )
    assert c.paused_working_days == 10
    assert c.due == naive_add(D("2025-03-31"), 10)


def test_nested_pause_is_not_double_counted() -> None:
    c = clock(
        "2025-03-03",
        "consultation_sent:2025-03-04",
        "fee_notice_sent:2025-03-06",
        "fee_paid:2025-03-10",
        "consultation_replied:2025-03-14",
    )
    assert c.paused_working_days == naive_between(D("2025-03-04"), D("2025-03-14")) == 7


def test_two_consultations_disjoint_add_up() -> None:
    c = clock(
        "2025-03-03",
        "consultation_sent:2025-03-04",
        "consultation_replied:2025-03-07",  # 5, 6 Mar
        "consultation_sent:2025-03-10",
        "consultation_replied:2025-03-13",  # 11, 12 Mar
    )
    assert c.paused_working_days == 4
    assert c.due == naive_add(D("2025-03-31"), 4)


@pytest.mark.parametrize("sent", ["2025-03-31", "2025-04-01", "2025-04-10"])
def test_pause_starting_on_or_after_due_does_not_extend(sent: str) -> None:
    # Original due Mon 31 Mar 2025 (standard). A pause sent on/after it changes nothing.
    reply = naive_add(D(sent), 5).isoformat()
    c = clock("2025-03-03", f"consultation_sent:{sent}", f"consultation_replied:{reply}")
    assert c.due == D("2025-03-31")
    assert c.paused_working_days == 0


def test_pause_sent_the_day_before_due_extends() -> None:
    # Due Mon 31 Mar. Sent Fri 28 Mar, replied Mon 7 Apr: 31 Mar - 3 Apr strictly between = 4 WD
    # (4-6 Apr 2025 清明). Counting: 28 Mar (19), [31 Mar - 3 Apr paused], Mon 7 Apr (20).
    c = clock("2025-03-03", "consultation_sent:2025-03-28", "consultation_replied:2025-04-07")
    assert c.paused_working_days == naive_between(D("2025-03-28"), D("2025-04-07")) == 4
    assert c.due == naive_add(D("2025-03-31"), 4)


def test_pause_sent_on_safe_due_moves_both_dates() -> None:
    """received Mon 3 Mar 2025: due Mon 31 Mar, safe_due Fri 28 Mar. A consultation sent on Fri 28 Mar
    and replied Mon 21 Apr excludes 31 Mar - 18 Apr (14 WD; 4 Apr off).

    Standard reading: 28 Mar is day 19, 31 Mar - 18 Apr paused, Mon 21 Apr is day 20.
    safe_due is the working day before due (Fri 18 Apr), not a separate protecting-reading count
    that would leave the reminder on 28 Mar, 14 working days before the legal date, while the
    office is lawfully waiting for the third party.
    """
    c = clock("2025-03-03", "consultation_sent:2025-03-28", "consultation_replied:2025-04-21")
    assert c.due == D("2025-04-21")
    assert c.paused_working_days == 14
    assert c.safe_due == D("2025-04-18")
    assert naive_between(c.safe_due, c.due) == 0


# =================================================================================================
# Extension (Art. 33 para. 2; U3)
# =================================================================================================


def test_extension_default_20() -> None:
    c = clock("2025-03-03", "extension_approved:2025-03-20")
    assert c.extended
    assert c.original_due == D("2025-03-31")
    assert c.due == naive_add(D("2025-03-03"), 40) == c.extension_limit
    assert c.safe_due == naive_safe_add(D("2025-03-03"), 40)


@pytest.mark.parametrize("n", [1, 5, 10, 19, 20])
def test_extension_of_n_days(n: int) -> None:
    c = clock("2025-03-03", f"extension_approved:2025-03-20:{n}")
    assert c.due == naive_add(D("2025-03-31"), n)
    assert c.safe_due == naive_add(D("2025-03-28"), n)
    assert c.due <= c.extension_limit


def test_extension_approved_on_due_day_is_allowed() -> None:
    c = clock("2025-03-03", "extension_approved:2025-03-31:10")
    assert c.extended
    assert c.due == naive_add(D("2025-03-31"), 10)


def test_extension_after_due_is_rejected() -> None:
    with pytest.raises(EventError):
        clock("2025-03-03", "extension_approved:2025-04-01")


def test_extension_after_paused_due_is_allowed() -> None:
    # The pause moves the original due to 3 Apr; approval on 2 Apr is in time.
    c = clock(
        "2025-03-03",
        "consultation_sent:2025-03-10",
        "consultation_replied:2025-03-14",
        "extension_approved:2025-04-02",
    )
    assert c.original_due == D("2025-04-03")
    assert c.due == naive_add(D("2025-04-03"), 20)


def test_second_extension_is_rejected() -> None:
    with pytest.raises(EventError):
        clock("2025-03-03", "extension_approved:2025-03-10:5", "extension_approved:2025-03-20:5")


@pytest.mark.parametrize("bad", ["extension_approved:2025-03-10:0", "extension_approved:2025-03-10:21"])
def test_extension_length_bounds(bad: str) -> None:
    from gongkai.core.errors import InputError

    with pytest.raises(InputError):
        parse_event_spec(bad)


# =================================================================================================
# Correction restart (Art. 30)
# =================================================================================================


def test_correction_restarts_full_20_days() -> None:
    c = clock("2025-03-03", "correction_requested:2025-03-05", "correction_received:2025-03-20")
    assert c.due == naive_add(D("2025-03-20"), 20) == D("2025-04-18")
    assert c.safe_due == naive_safe_add(D("2025-03-20"), 20)
    assert c.extension_limit == naive_add(D("2025-03-20"), 40)
    assert c.correction_notice_due == naive_add(D("2025-03-03"), 7)
    assert c.state == "in_progress"


def test_correction_received_on_non_working_day() -> None:
    # Corrected application received Sat 3 May 2025 (劳动节): both readings start on Tue 6 May.
    c = clock("2025-04-21", "correction_requested:2025-04-23", "correction_received:2025-05-03")
    assert c.due == c.safe_due == naive_add(D("2025-05-03"), 20)


def test_correction_received_without_request() -> None:
    with pytest.raises(EventError):
        clock("2025-03-03", "correction_received:2025-03-10")


def test_second_correction_request() -> None:
    with pytest.raises(EventError):
        clock(
            "2025-03-03",
            "correction_requested:2025-03-04",
            "correction_received:2025-03-10",
            "correction_requested:2025-03-12",
        )


def test_correction_period_due() -> None:
    c = clock("2025-03-03", "correction_requested:2025-03-05:10", as_of="2025-03-06")
    assert c.correction_due == naive_add(D("2025-03-05"), 10)
    assert c.state == "awaiting_correction"


def test_late_correction_notice_warns() -> None:
    c = clock("2025-01-24", "correction_requested:2025-02-11", as_of="2025-02-12")
    assert c.correction_notice_due == D("2025-02-10")
    assert c.warnings


@pytest.mark.parametrize("calendar_warm_year", [None, 2008, 2025, 2030])
def test_correction_across_new_year_with_extension(calendar_warm_year: int | None) -> None:
    """Received Mon 29 Dec 2025, corrected application Mon 5 Jan 2026, extension approved 20 Jan 2026.

    Restart from 5 Jan 2026: due = 40th WD after it = Fri 6 Mar 2026 (table row 2026-01-05). The result
    must not depend on which years the calendar's index happened to cover before the call.
    """
    cal = WorkCalendar()
    if calendar_warm_year is not None:
        cal.add_workdays(date(calendar_warm_year, 6, 1), 1)
    c = clock(
        "2025-12-29",
        "correction_requested:2025-12-30",
        "correction_received:2026-01-05",
        "extension_approved:2026-01-20",
        calendar=cal,
    )
    assert c.original_due == D("2026-02-02")
    assert c.due == naive_add(D("2026-01-05"), 40) == D("2026-03-06")
    assert c.safe_due == naive_safe_add(D("2026-01-05"), 40) == D("2026-03-05")


def test_correction_across_new_year_explains_open_pause_correctly() -> None:
    # Open consultation sent Mon 12 Jan 2026, as_of Mon 19 Jan: 13-16 Jan = 4 WD, counted "until" 19 Jan.
    c = clock(
        "2025-12-29",
        "correction_requested:2025-12-30",
        "correction_received:2026-01-05",
        "consultation_sent:2026-01-12",
        as_of="2026-01-19",
    )
    assert c.paused_working_days == 4
    assert c.due == naive_add(D("2026-02-02"), 4)
    line = next(x for x in c.explain if "征求" in x and "不计入" in x)
    assert "2026年1月19日" in line, line


# =================================================================================================
# Other procedural errors
# =================================================================================================


@pytest.mark.parametrize(
    "events",
    [
        ("consultation_sent:2025-03-02",),  # before receipt
        ("replied:2025-02-28",),
        ("correction_requested:2025-03-02",),
        ("replied:2025-03-10", "consultation_sent:2025-03-11"),  # after reply
        ("replied:2025-03-10", "extension_approved:2025-03-12"),
        ("withdrawn:2025-03-10", "replied:2025-03-12"),
        ("replied:2025-03-10", "replied:2025-03-11"),
        ("consultation_replied:2025-03-10",),  # no consultation sent
        (
            "consultation_sent:2025-03-04",
            "consultation_replied:2025-03-05",
            "consultation_replied:2025-03-06",
        ),
        ("fee_paid:2025-03-10",),  # no fee notice
        ("fee_notice_sent:2025-03-04", "fee_paid:2025-03-05", "fee_paid:2025-03-06"),
        ("fee_notice_sent:2025-03-04", "fee_notice_sent:2025-03-05"),
        ("delayed_reply_set:2025-03-04:2025-05-30", "delayed_reply_set:2025-03-05:2025-06-30"),
    ],
)
def test_event_errors(events: tuple[str, ...]) -> None:
    with pytest.raises(EventError):
        clock("2025-03-03", *events)


def test_reject_future() -> None:
    with pytest.raises(EventError):
        clock("2025-03-03", "consultation_sent:2025-03-11", as_of="2025-03-10", reject_future=True)
    # Same events are allowed for what-if calculations, and when on or before as_of.
    clock("2025-03-03", "consultation_sent:2025-03-11", as_of="2025-03-10")
    clock("2025-03-03", "consultation_sent:2025-03-10", as_of="2025-03-10", reject_future=True)


def test_event_error_is_input_error_and_message_in_chinese() -> None:
    from gongkai.core.errors import InputError

    with pytest.raises(InputError) as err:
        clock("2025-03-03", "replied:2025-03-01")
    assert "2025-03-01" in str(err.value)


# =================================================================================================
# States (section 4.4)
# =================================================================================================


@pytest.mark.parametrize(
    ("events", "as_of", "state"),
    [
        ((), "2025-03-03", "received"),
        ((), "2025-03-04", "in_progress"),
        (("correction_requested:2025-03-04",), "2025-03-05", "awaiting_correction"),
        (("correction_requested:2025-03-04", "correction_received:2025-03-06"), "2025-03-07", "in_progress"),
        (("consultation_sent:2025-03-04",), "2025-03-10", "paused"),
        (("consultation_sent:2025-03-04",), "2025-03-25", "paused"),  # on its 15th WD
        (("consultation_sent:2025-03-04",), "2025-03-26", "in_progress"),  # cap passed
        (("consultation_sent:2025-03-04", "consultation_replied:2025-03-10"), "2025-03-11", "in_progress"),
        (("fee_notice_sent:2025-03-04",), "2025-03-10", "paused"),
        (("fee_notice_sent:2025-03-04", "fee_paid:2025-03-07"), "2025-03-10", "in_progress"),
        (("replied:2025-03-20",), "2025-03-21", "replied"),
        (("replied:2025-03-20:3.1",), "2025-03-21", "replied"),
        (("replied:2025-03-20:3.6.1",), "2025-03-21", "abandoned"),
        (("replied:2025-03-20:3.6.2",), "2025-03-21", "abandoned"),
        (("fee_notice_sent:2025-03-04", "replied:2025-04-02:closed_fee_unpaid"), "2025-04-03", "abandoned"),
        (
            ("correction_requested:2025-03-04:5", "replied:2025-03-20:closed_no_correction"),
            "2025-03-21",
            "abandoned",
        ),
        (("withdrawn:2025-03-10",), "2025-03-11", "withdrawn"),
    ],
)
def test_states(events: tuple[str, ...], as_of: str, state: str) -> None:
    c = clock("2025-03-03", *events, as_of=as_of)
    assert c.state == state
    assert c.is_open == (state not in ("replied", "abandoned", "withdrawn"))


def test_abandoned_via_outcome_argument() -> None:
    c = clock("2025-03-03", "replied:2025-03-20", as_of="2025-03-21", outcome="3.6.2")
    assert c.state == "abandoned"
    assert c.outcome == "3.6.2"


def test_replied_on_time_and_late() -> None:
    on_time = clock("2025-03-03", "replied:2025-03-31:3.1")
    assert on_time.on_time is True
    assert on_time.concluded_on == D("2025-03-31")
    late = clock("2025-03-03", "replied:2025-04-01:3.1")
    assert late.on_time is False


# =================================================================================================
# Art. 35 delayed reply
# =================================================================================================


def test_delayed_reply_sets_due_and_safe_due() -> None:
    c = clock("2025-03-03", "delayed_reply_set:2025-03-10:2025-06-30")
    assert c.due == c.safe_due == D("2025-06-30")
    assert c.original_due == D("2025-03-31")
    assert any("第三十五条" in line for line in c.explain)


# =================================================================================================
# Provisional (section 2.5)
# =================================================================================================


def test_provisional_when_due_reaches_unannounced_2027() -> None:
    c = clock("2026-12-15", as_of="2026-12-15")
    assert c.provisional
    assert c.due.year == 2027
    assert any("2027" in line and "暂定" in line for line in c.explain)


def test_not_provisional_inside_2026() -> None:
    c = clock("2026-10-15", as_of="2026-10-15")
    assert not c.provisional
    assert c.extension_limit.year == 2026


def test_provisional_when_extension_limit_reaches_2027() -> None:
    """Spec 2.5: any deadline whose counting window reaches an unannounced year MUST be provisional.

    Received Wed 25 Nov 2026: due Wed 23 Dec 2026 (announced, not provisional), but extension_limit
    (shown as "最迟可延至") is in January 2027 and is computed from the 2027 estimate: it carries its
    own flag, so the December reply date is not shown as provisional.
    """
    c = clock("2026-11-25", as_of="2026-11-25")
    assert c.due == naive_add(D("2026-11-25"), 20)
    assert c.extension_limit.year == 2027
    assert not c.provisional
    assert c.extension_limit_provisional
    assert c.to_json()["extension_limit_provisional"] is True


def test_provisional_clears_when_2027_is_imported() -> None:
    from gongkai.register.workcal import validate_year_entries

    # A hypothetical 2027 schedule (only for the test): New Year off, no make-up days.
    cal = WorkCalendar({2027: validate_year_entries(2027, [(D("2027-01-01"), "off", "元旦")])})
    c = clock("2026-12-15", as_of="2026-12-15", calendar=cal)
    assert not c.provisional


# =================================================================================================
# explain (Chinese, one line per step)
# =================================================================================================


def test_explain_lines() -> None:
    c = clock(
        "2025-01-24",
        "correction_requested:2025-02-05",
        "correction_received:2025-02-12",
        "consultation_sent:2025-03-03",
        "consultation_replied:2025-03-14",
    )
    text = list(c.explain)
    assert text[0].startswith("收到申请：2025年1月24日")
    assert any("2025年2月12日" in line and "重新计算" in line for line in text)  # restart date
    assert any("8 个工作日" in line and "不计入" in line for line in text)  # pause days
    assert any("2025年3月24日" in line for line in text)
    assert any("从严掌握" in line and "2025年3月21日" in line for line in text)
    assert text[-1] == "状态：办理中。"
    assert all(isinstance(line, str) and line for line in text)


def test_explain_non_working_receipt() -> None:
    c = clock("2025-02-01", as_of="2025-02-01")
    assert "非工作日" in c.explain[0]
    assert not any("从严掌握" in line for line in c.explain)


def test_explain_extension_line() -> None:
    c = clock("2025-03-03", "extension_approved:2025-03-20:10")
    assert any("延期 10 个工作日" in line for line in c.explain)


def test_explain_offers_an_extension_only_while_the_application_is_open() -> None:
    """An open application is told how far an extension could reach; a replied or withdrawn one is not (the
    sentence "如需延期…" under a concluded application read as advice to extend it)."""
    assert any("如需延期" in line for line in clock("2025-03-03", as_of="2025-03-10").explain)
    for done in ("replied:2025-03-20:3.1", "withdrawn:2025-03-12"):
        c = clock("2025-03-03", done, as_of="2025-04-01")
        assert c.state in ("replied", "withdrawn"), c.state
        assert not any("如需延期" in line for line in c.explain), c.explain


# =================================================================================================
# working_days_left
# =================================================================================================


def test_working_days_left_counts_down_to_zero_on_safe_due() -> None:
    # safe_due Fri 28 Mar 2025.
    assert clock("2025-03-03", as_of="2025-03-27").working_days_left == 1
    assert clock("2025-03-03", as_of="2025-03-28").working_days_left == 0
    assert clock("2025-03-03", as_of="2025-03-31").working_days_left == -1


def test_to_json_contract_keys() -> None:
    j = clock("2025-01-24", as_of="2025-01-24").to_json()
    assert j["received"] == "2025-01-24"
    assert j["due"] == "2025-02-27"
    assert j["safe_due"] == "2025-02-26"
    assert j["extension_limit"] == "2025-03-27"
    assert j["correction_notice_due"] == "2025-02-10"
    assert j["paused_working_days"] == 0
    assert j["extended"] is False
    assert j["provisional"] is False
    assert j["state"] == "received"
    assert isinstance(j["explain"], list)


def test_make_event_matches_parse() -> None:
    assert make_event("extension_approved", D("2025-03-10"), days=5) == parse_event_spec(
        "extension_approved:2025-03-10:5"
    )
    assert parse_event_spec("replied:2025-03-10:closed_fee_unpaid").outcome == "3.6.2"


# =================================================================================================
# Issue 11, "The clock": cases derived by hand from ogi-rules.md 2.2 (2026 schedule), 2.3 and 4.3
# =================================================================================================
#
# Received Mon 2 Mar 2026. Counted working days (standard reading, day 1 = Tue 3 Mar):
#   Mar 3-6 = 1-4, 9-13 = 5-9, 16-20 = 10-14, 23-27 = 15-19, Mon 30 Mar = 20 (original due);
#   Mar 31 = 21, Apr 1-3 = 22-24, (Sat 4 - Mon 6 Apr 清明节 off), Apr 7-10 = 25-28,
#   Apr 13-17 = 29-33, Apr 20-24 = 34-38, Apr 27 = 39, Tue 28 Apr = 40 (full extension).


def test_pause_inside_extension_is_counted_in_paused_working_days() -> None:
    """Art. 33 para. 3: a consultation after the original deadline, inside the extension, pauses too.

    Consultation sent Wed 8 Apr (day 26 counted), answered Mon 13 Apr: Thu 9 and Fri 10 Apr are
    strictly between and excluded (2 working days). The 40th counted day moves from Tue 28 Apr to
    Thu 30 Apr: Apr 13 = 27, 14-17 = 28-31, 20-24 = 32-36, 27-30 = 37-40.
    """
    c = clock(
        "2026-03-02",
        "extension_approved:2026-03-25",
        "consultation_sent:2026-04-08",
        "consultation_replied:2026-04-13",
    )
    assert c.original_due == D("2026-03-30")
    assert c.due == D("2026-04-30")
    assert c.paused_working_days == 2
    assert any("2 个工作日不计入" in line for line in c.explain)
    assert any("暂停合计 2 个工作日" in line for line in c.explain)


@pytest.mark.parametrize("closing", ["replied:2026-03-20:3.1", "withdrawn:2026-03-20"])
def test_closed_application_clock_is_frozen_at_its_closing_date(closing: str) -> None:
    """Concluded on Fri 20 Mar while a consultation (sent Tue 10 Mar) was unanswered.

    The pause ends with the conclusion: Mar 11-13 and 16-19 (7 working days) are excluded; the
    15-working-day window (to Tue 31 Mar) is not reached. Counted: Mar 3-6, 9, 10 = 1-6, Mar 20 = 7,
    23-27 = 8-12, 30, 31 = 13-14, Apr 1-3 = 15-17, Apr 7-9 = 18-20: due Thu 9 Apr, safe_due Wed 8 Apr.
    """
    seen = {
        as_of: clock("2026-03-02", "consultation_sent:2026-03-10", closing, as_of=as_of)
        for as_of in ("2026-03-20", "2026-04-15", "2026-04-24", "2026-05-07", "2026-12-31")
    }
    for as_of, c in seen.items():
        assert (c.due, c.safe_due, c.paused_working_days) == (D("2026-04-09"), D("2026-04-08"), 7), as_of
        assert c.state == ("withdrawn" if closing.startswith("withdrawn") else "replied"), as_of
        assert c.extension_limit == seen["2026-03-20"].extension_limit, as_of
        assert c.explain == seen["2026-03-20"].explain, as_of
    assert seen["2026-12-31"].on_time is True


def test_events_after_as_of_are_ignored_and_said() -> None:
    """A clock as of Fri 20 Mar knows nothing of an extension approved on Wed 25 Mar."""
    c = compute_clock(
        D("2026-03-02"),
        [parse_event_spec("extension_approved:2026-03-25"), parse_event_spec("consultation_sent:2026-03-10")],
        calendar=WorkCalendar(),
        as_of=D("2026-03-20"),
        ignore_future=True,
    )
    assert not c.extended
    assert c.ignored_events == ("extension_approved:2026-03-25",)
    assert c.to_json()["ignored_events"] == ["extension_approved:2026-03-25"]
    assert any("2026-03-25" in w and "未计入" in w for w in c.warnings)
    # The consultation of 10 Mar, still open on 20 Mar, pauses Mar 11-19 (7 working days) so far.
    assert c.paused_working_days == 7
    assert c.state == "paused"


def test_as_of_before_receipt_is_refused_when_viewing() -> None:
    with pytest.raises(InputError, match="2026-03-01.*2026-03-02"):
        compute_clock(D("2026-03-02"), [], calendar=WorkCalendar(), as_of=D("2026-03-01"), ignore_future=True)


def test_extension_limit_after_a_short_extension_is_the_extended_due() -> None:
    """Only one extension is provided for (4.3): after a 10-day one, nothing can reach further.

    Day 30 counted = Tue 14 Apr (table above).
    """
    c = clock("2026-03-02", "extension_approved:2026-03-25:10")
    assert c.due == D("2026-04-14")
    assert c.extension_limit == D("2026-04-14")
    full = clock("2026-03-02", "extension_approved:2026-03-25")
    assert full.due == full.extension_limit == D("2026-04-28")
    assert clock("2026-03-02", as_of="2026-03-02").extension_limit == D("2026-04-28")


def test_extension_limit_after_an_art35_date_is_that_date() -> None:
    """Art. 35: the office's date is the deadline; no Art. 33 extension reaches past or replaces it."""
    later = clock("2026-03-02", "delayed_reply_set:2026-03-20:2026-06-30")
    assert later.due == later.extension_limit == D("2026-06-30")
    earlier = clock("2026-03-02", "delayed_reply_set:2026-03-20:2026-04-20")
    assert earlier.due == earlier.extension_limit == D("2026-04-20")


def test_on_time_for_closed_no_correction_when_never_overdue() -> None:
    """（六）1: correction asked Thu 5 Mar (10 WD, to Thu 19 Mar), closed Mon 20 Apr: after the
    original reply date (Mon 30 Mar), but the wait for a correction never makes the office late."""
    c = clock("2026-03-02", "correction_requested:2026-03-05:10", "replied:2026-04-20:3.6.1")
    assert c.state == "abandoned"
    assert c.due == D("2026-03-30") < c.concluded_on  # type: ignore[operator]
    assert c.on_time is True
    assert c.to_json()["on_time"] is True


def test_on_time_for_closed_no_correction_when_asked_after_the_deadline() -> None:
    """The office asked for the correction on Wed 1 Apr, after the reply date Mon 30 Mar: it was
    overdue before the wait began, and the closing does not cure that."""
    c = clock("2026-03-02", "correction_requested:2026-04-01:10", "replied:2026-04-20:3.6.1")
    assert c.state == "abandoned"
    assert c.on_time is False
