"""The statutory clocks: an application's (ogi-rules.md sections 2.3, 4.2-4.4; CONTRACT section 2) and a proactive
item's publication period (Art. 26, ogi-rules.md section 3; at the end).

Pure functions: from the Art. 31 date of receipt, the application's events and an ``as_of`` date,
compute the legal reply deadline and every other clock, the state, and one explanation line per step
in Chinese. Nothing here reads the wall clock or a database.

Readings implemented (UNCONFIRMED points of the spec, safe readings chosen as it says):

* U1 - "within N working days from D": the legal date (``due``) counts the first working day after D
  as day 1; ``safe_due`` counts D itself as day 1 when D is a working day (one working day earlier),
  and is what reminders aim at. A receipt on a non-working day gives the same date under both.
* U2 - pauses (consultation of a third party or another organ; fee notice to payment): only the
  working days strictly between sending and the reply/payment are excluded. A consultation that is
  not answered stops pausing when its 15 working days run out. A pause still open on ``as_of`` is
  counted as if it ended on ``as_of`` (the earliest the deadline can be), so the date only moves later.
* U3 - an extension (at most 20 working days, only one) must be approved on or before the original
  deadline.
* U7 - the fee-payment window is 20 working days counted from the day the notice was sent (the date
  the office knows; a notice received later only lengthens the applicant's window in law, so the
  reminder to close the application says "check receipt of the notice first").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from gongkai.core.codes import (
    CHANNELS,
    EVENT_KINDS,
    RECEIPT_RULE,
    STATES,
    Outcome,
    find_outcome,
    unknown_outcome_message,
)
from gongkai.core.dates import fmt_zh, parse_date
from gongkai.core.errors import EventError, InputError
from gongkai.register.workcal import WorkCalendar

if TYPE_CHECKING:  # the clock itself never touches the database
    from gongkai.store.models import ProactiveItem

REPLY_DAYS: Final = 20
CORRECTION_NOTICE_DAYS: Final = 7
MAX_EXTENSION_DAYS: Final = 20
CONSULTATION_DAYS: Final = 15
FEE_PAYMENT_DAYS: Final = 20

# Order of kinds recorded on the same day (a correction asked and received at the counter, …).
_KIND_ORDER: Final = {k: i for i, k in enumerate(EVENT_KINDS)}
_CONCLUSIONS: Final = ("replied", "withdrawn")


@dataclass(frozen=True)
class Event:
    """One thing that happened to an application.

    ``days``: for ``extension_approved`` the length of the extension (default 20); for
    ``correction_requested`` the correction period the office set, in working days (optional).
    ``until``: for ``delayed_reply_set`` the reply date the office fixed under Art. 35.
    ``outcome``: for ``replied`` the outcome row id (optional here; the register requires it).
    """

    kind: str
    on: date
    days: int | None = None
    until: date | None = None
    outcome: str | None = None

    def spec(self) -> str:
        """The command-line spelling ``KIND:DATE[:PARAM]``."""
        parts = [self.kind, self.on.isoformat()]
        if self.days is not None:
            parts.append(str(self.days))
        elif self.until is not None:
            parts.append(self.until.isoformat())
        elif self.outcome is not None:
            parts.append(self.outcome)
        return ":".join(parts)


def make_event(
    kind: str,
    on: date,
    *,
    days: int | None = None,
    until: date | None = None,
    outcome: str | None = None,
) -> Event:
    """Build an event, checking the kind and its parameter."""
    if kind not in EVENT_KINDS:
        raise InputError(f"事件类型“{kind}”无效，应为以下之一：{', '.join(EVENT_KINDS)}。")
    if days is not None:
        if kind == "extension_approved" and not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InputError(f"延期天数应为 1 至 {MAX_EXTENSION_DAYS} 个工作日，实际为 {days}。")
        if kind == "correction_requested" and not 1 <= days <= 60:
            raise InputError(f"补正期限应为 1 至 60 个工作日，实际为 {days}。")
        if kind not in ("extension_approved", "correction_requested"):
            raise InputError(f"事件“{kind}”不接受天数参数。")
    if until is not None and kind != "delayed_reply_set":
        raise InputError(f"事件“{kind}”不接受日期参数。")
    if kind == "delayed_reply_set":
        if until is None:
            raise InputError(
                "delayed_reply_set 需要写明本机关确定的答复日期，如 delayed_reply_set:2025-03-01:2025-04-30。"
            )
        if until <= on:
            raise InputError("第三十五条确定的答复日期应晚于告知日期。")
    if outcome is not None:
        if kind != "replied":
            raise InputError(f"事件“{kind}”不接受办理结果参数。")
        found = find_outcome(outcome)
        if found is None:
            raise InputError(unknown_outcome_message(outcome))
        outcome = found.row
    return Event(kind, on, days, until, outcome)


def parse_event_spec(text: str) -> Event:
    """Parse ``KIND:DATE``, ``extension_approved:DATE:N``, ``correction_requested:DATE:N``,
    ``delayed_reply_set:DATE:DATE`` or ``replied:DATE:OUTCOME``."""
    parts = text.strip().split(":")
    if len(parts) < 2 or len(parts) > 3:
        raise InputError(f"事件“{text}”格式不正确，应为 类型:日期，如 correction_requested:2025-02-05。")
    kind, when = parts[0].strip(), parts[1].strip()
    if kind not in EVENT_KINDS:
        raise InputError(f"事件类型“{kind}”无效，应为以下之一：{', '.join(EVENT_KINDS)}。")
    on = parse_date(when, field=f"{kind} 的日期")
    if len(parts) == 2:
        return make_event(kind, on)
    param = parts[2].strip()
    if kind == "delayed_reply_set":
        return make_event(kind, on, until=parse_date(param, field="第三十五条答复日期"))
    if kind == "replied":
        return make_event(kind, on, outcome=param)
    if not param.isdigit():
        raise InputError(f"事件“{text}”的第三部分应为工作日天数（整数），实际为“{param}”。")
    return make_event(kind, on, days=int(param))


@dataclass(frozen=True)
class Clock:
    """Every clock of one application as of one day (CONTRACT section 2 plus a few extras)."""

    received: date
    due: date
    safe_due: date
    extension_limit: date
    correction_notice_due: date
    paused_working_days: int
    extended: bool
    provisional: bool
    state: str
    explain: tuple[str, ...]
    as_of: date
    original_due: date
    concluded_on: date | None = None
    outcome: str | None = None
    consultation_due: date | None = None
    fee_payment_due: date | None = None
    correction_due: date | None = None
    working_days_left: int | None = None
    warnings: tuple[str, ...] = field(default=())
    extension_limit_provisional: bool = False
    on_time: bool | None = None
    """For a concluded application: not overdue when it was concluded (see :func:`compute_clock`)."""
    ignored_events: tuple[str, ...] = field(default=())
    """Events dated after ``as_of`` that a clock *as of* that day leaves out (``KIND:DATE[:P]``)."""

    @property
    def is_open(self) -> bool:
        """Not yet replied, withdrawn or closed."""
        return self.concluded_on is None

    @property
    def overdue(self) -> bool:
        """Open and past the legal deadline on ``as_of``.

        Never while awaiting a correction: the reply period restarts in full when the corrected
        application arrives (Art. 30), so the applicant's wait does not make the office late.
        """
        return self.is_open and self.state != "awaiting_correction" and self.as_of > self.due

    def to_json(self) -> dict[str, Any]:
        """The JSON object of CONTRACT section 2 (its keys first, then extras)."""

        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "received": iso(self.received),
            "due": iso(self.due),
            "safe_due": iso(self.safe_due),
            "extension_limit": iso(self.extension_limit),
            "correction_notice_due": iso(self.correction_notice_due),
            "paused_working_days": self.paused_working_days,
            "extended": self.extended,
            "provisional": self.provisional,
            "state": self.state,
            "explain": list(self.explain),
            "as_of": iso(self.as_of),
            "original_due": iso(self.original_due),
            "overdue": self.overdue,
            "working_days_left": self.working_days_left,
            "concluded_on": iso(self.concluded_on),
            "on_time": self.on_time,
            "outcome": self.outcome,
            "consultation_due": iso(self.consultation_due),
            "fee_payment_due": iso(self.fee_payment_due),
            "correction_due": iso(self.correction_due),
            "warnings": list(self.warnings),
            "extension_limit_provisional": self.extension_limit_provisional,
            "ignored_events": list(self.ignored_events),
        }


def _d(d: date) -> str:
    return fmt_zh(d)


def _label(kind: str) -> str:
    return EVENT_KINDS.get(kind, kind)


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Events in the order they happened (kinds on the same day in procedural order)."""
    if isinstance(events, Sequence) and len(events) < 2:  # nothing to order (most applications)
        return list(events)
    return sorted(events, key=lambda e: (e.on, _KIND_ORDER.get(e.kind, 99)))


@dataclass
class _Pause:
    kind: str  # "consultation" | "fee"
    start: date
    end: date | None  # reply / payment day, None while open
    cap: date | None  # consultation: last day of the 15-WD window


# -- procedure: which events are allowed when ---------------------------------------------------


@dataclass(slots=True)
class _Procedure:
    """An application's events, checked against the procedure and sorted by what they do to the clock."""

    correction_requested: Event | None = None
    correction_received: Event | None = None
    pauses: list[_Pause] = field(default_factory=list)
    open_consultations: list[_Pause] = field(default_factory=list)
    fee: _Pause | None = None
    extension: Event | None = None
    delayed: Event | None = None
    conclusion: Event | None = None

    @property
    def awaiting_correction(self) -> bool:
        """A correction was asked for and has not been received."""
        return self.correction_requested is not None and self.correction_received is None


def _events_as_of(received: date, events: list[Event], as_of: date) -> tuple[list[Event], list[Event]]:
    """Split sorted events into those a clock as of ``as_of`` sees and those dated after it.

    Raises :class:`InputError` when ``as_of`` is before receipt.
    """
    if as_of < received:
        raise InputError(
            f"计算日期 {as_of.isoformat()} 早于收到申请日期 {received.isoformat()}，"
            "应为收到申请当日或其后的日期。"
        )
    return [e for e in events if e.on <= as_of], [e for e in events if e.on > as_of]


def _check_procedure(
    received: date,
    events: Sequence[Event],
    *,
    calendar: WorkCalendar,
    as_of: date,
    reject_future: bool,
) -> _Procedure:
    """Walk the sorted events in order, checking that the procedure allows each one when it happens.

    Raises :class:`EventError` naming the event and the rule it breaks. Kinds outside
    ``EVENT_KINDS`` pass the general checks and change nothing.
    """
    proc = _Procedure()
    for ev in events:
        if ev.on < received:
            raise EventError(
                f"“{_label(ev.kind)}”的日期 {ev.on.isoformat()} 早于收到申请日期 {received.isoformat()}。"
            )
        if reject_future and ev.on > as_of:
            raise EventError(
                f"“{_label(ev.kind)}”的日期 {ev.on.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记。"
            )
        if proc.conclusion is not None:
            raise EventError(
                f"申请已于 {proc.conclusion.on.isoformat()} {_label(proc.conclusion.kind)}，"
                f"不能再登记“{_label(ev.kind)}”。"
            )
        if ev.kind in ("correction_requested", "correction_received"):
            _record_correction(proc, ev)
        elif ev.kind in ("consultation_sent", "consultation_replied"):
            _record_consultation(proc, ev, calendar)
        elif ev.kind in ("fee_notice_sent", "fee_paid"):
            _record_fee(proc, ev)
        elif ev.kind in ("extension_approved", "delayed_reply_set"):
            _record_decision(proc, ev, calendar)
        elif ev.kind in _CONCLUSIONS:
            proc.conclusion = ev
    return proc


def _record_correction(proc: _Procedure, ev: Event) -> None:
    """A correction is asked for once (Art. 30) and received once, after it was asked for."""
    if ev.kind == "correction_requested":
        if proc.correction_requested is not None:
            raise EventError("补正只能一次性告知（第三十条），不能再次登记“告知补正”。")
        proc.correction_requested = ev
    elif proc.correction_requested is None:
        raise EventError("登记“收到补正”之前应先登记“告知补正”。")
    elif proc.correction_received is not None:
        raise EventError("已登记过“收到补正”。")
    else:
        proc.correction_received = ev


def _record_consultation(proc: _Procedure, ev: Event, calendar: WorkCalendar) -> None:
    """Consultations may overlap; a reply answers the oldest one still open (first in, first out)."""
    if ev.kind == "consultation_sent":
        p = _Pause("consultation", ev.on, None, calendar.add_workdays(ev.on, CONSULTATION_DAYS))
        proc.pauses.append(p)
        proc.open_consultations.append(p)
    elif not proc.open_consultations:
        raise EventError(f"{ev.on.isoformat()} 登记了“收到征求意见答复”，但此前没有未答复的征求意见。")
    else:
        proc.open_consultations.pop(0).end = ev.on


def _record_fee(proc: _Procedure, ev: Event) -> None:
    """One fee notice per application, paid at most once, after it was sent."""
    if ev.kind == "fee_notice_sent":
        if proc.fee is not None:
            raise EventError("已发出过收费通知，同一申请只登记一次“发出收费通知”。")
        proc.fee = _Pause("fee", ev.on, None, None)
        proc.pauses.append(proc.fee)
    elif proc.fee is None:
        raise EventError("登记“申请人缴费”之前应先登记“发出收费通知”。")
    elif proc.fee.end is not None:
        raise EventError("已登记过“申请人缴费”。")
    else:
        proc.fee.end = ev.on


def _record_decision(proc: _Procedure, ev: Event, calendar: WorkCalendar) -> None:
    """One extension (Art. 33) and one Art. 35 reply date, the latter on a working day.

    Whether the extension came in time is checked once the deadline is known (:func:`_deadlines`).
    """
    if ev.kind == "extension_approved":
        if proc.extension is not None:
            raise EventError(
                "延期答复只能批准一次（第三十三条），已于 " + proc.extension.on.isoformat() + " 批准过。"
            )
        proc.extension = ev
        return
    if proc.delayed is not None:
        raise EventError("已登记过第三十五条确定的答复期限。")
    if ev.until is not None and not calendar.is_workday(ev.until):
        raise EventError(f"第三十五条确定的答复日期 {ev.until.isoformat()} 不是工作日，应定在工作日。")
    proc.delayed = ev


# -- pauses: which working days are not counted ------------------------------------------------

_Interval = tuple[int, int, _Pause]


def _pause_intervals(pauses: Sequence[_Pause], upto: date, calendar: WorkCalendar) -> list[_Interval]:
    """The working days each pause excludes (U2), as inclusive index ranges sorted by their start.

    Only the working days strictly between sending and the reply/payment are excluded; a pause
    still open runs to ``upto``; a consultation stops at the end of its 15-working-day window.
    """
    intervals: list[_Interval] = []
    if not pauses:  # most applications
        return intervals
    for p in pauses:
        end = p.end
        if end is None:
            end = max(p.start, upto)
        if p.cap is not None and end > p.cap:
            end = p.cap
        lo = calendar.index_after(p.start)
        hi = calendar.index_on_or_after(end) - 1
        if hi >= lo:
            intervals.append((lo, hi, p))
    intervals.sort(key=lambda t: t[0])
    return intervals


def _merge(intervals: Iterable[_Interval]) -> list[tuple[int, int]]:
    """Overlapping or adjacent pause ranges joined, so a day paused twice is excluded once."""
    merged: list[tuple[int, int]] = []
    for lo, hi, _p in intervals:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _nth_counted(
    calendar: WorkCalendar, merged: Sequence[tuple[int, int]], first: int, n: int
) -> tuple[date, int]:
    """The n-th counted working day from index ``first``, skipping paused days; and how many were skipped."""
    target = first + n - 1
    if not merged:
        return calendar.day(target), 0
    skipped = 0
    for lo, hi in merged:
        lo = max(lo, first)
        if hi < lo:
            continue
        if lo <= target:
            target += hi - lo + 1
            skipped += hi - lo + 1
    return calendar.day(target), skipped


def _consultation_due(pauses: Iterable[_Pause]) -> date | None:
    """The earliest end of the 15-working-day window among unanswered consultations."""
    due: date | None = None
    for p in pauses:
        if p.kind == "consultation" and p.end is None and p.cap is not None:
            due = p.cap if due is None else min(due, p.cap)
    return due


def _safe_before(calendar: WorkCalendar, legal: date, shift: bool) -> date:
    """The protecting reading (U1) of a legal date: the working day before it when ``shift``."""
    return calendar.day(calendar.index_on_or_after(legal) - 1) if shift else legal


@dataclass(slots=True)
class _Deadlines:
    """The dates of one application's clock, worked out by :func:`_deadlines`."""

    start: date  # the reply period runs from this day: receipt, or receipt of the correction
    intervals: list[_Interval]
    original_due: date
    extended_due: date | None  # the extended deadline (before any Art. 35 date replaces it)
    due: date
    safe_due: date
    limit: date
    paused_days: int
    correction_notice_due: date
    consultation_due: date | None
    fee_payment_due: date | None
    unannounced: list[int]  # years the dates staff work to count in without an announced schedule
    extension_limit_provisional: bool


def _deadlines(received: date, proc: _Procedure, *, calendar: WorkCalendar, upto: date) -> _Deadlines:
    """The reply deadline with its pauses, extension and Art. 35 date, and the other deadlines.

    Raises :class:`EventError` when the extension was approved after the original deadline (U3).
    """
    cal = calendar
    start = proc.correction_received.on if proc.correction_received else received
    # Protecting reading (U1): counting the start day as day 1 (when it is a working day) ends the
    # period one working day earlier. ``safe_due`` is that: the working day before ``due``. It is
    # derived from ``due`` rather than counted separately so that a pause the office may lawfully
    # start on the day before ``due`` moves both dates alike (a separate count would leave the
    # reminder weeks before the legal date).
    safe_shift = cal.is_workday(start)
    intervals = _pause_intervals(proc.pauses, upto, cal)
    merged = _merge(intervals)
    first_std = cal.index_after(start)
    if merged:
        original_due, paused_days = _nth_counted(cal, merged, first_std, REPLY_DAYS)
        limit, _ = _nth_counted(cal, merged, first_std, REPLY_DAYS + MAX_EXTENSION_DAYS)
    else:  # no pause (most applications): plain counts, which the calendar remembers per day
        original_due, paused_days = cal.add_workdays(start, REPLY_DAYS), 0
        limit = cal.add_workdays(start, REPLY_DAYS + MAX_EXTENSION_DAYS)
    due, safe_due = original_due, _safe_before(cal, original_due, safe_shift)
    correction_notice_due = cal.add_workdays(received, CORRECTION_NOTICE_DAYS)
    fee_payment_due = cal.add_workdays(proc.fee.start, FEE_PAYMENT_DAYS) if proc.fee is not None else None

    extended_due: date | None = None
    if proc.extension is not None:
        if proc.extension.on > original_due:
            raise EventError(
                f"延期应在原答复期限 {original_due.isoformat()} 届满前批准，"
                f"{proc.extension.on.isoformat()} 已逾期（第三十三条）。"
            )
        # Art. 33 para. 3: a pause inside the extended period is excluded from it too, so the
        # paused days reported are those of the window that ends on the extended date.
        n = proc.extension.days or MAX_EXTENSION_DAYS
        due, paused_days = _nth_counted(cal, merged, first_std, REPLY_DAYS + n)
        safe_due = _safe_before(cal, due, safe_shift)
        extended_due = due
        # Only one extension is provided for: the one approved is the furthest any can reach.
        limit = due
    if proc.delayed is not None and proc.delayed.until is not None:
        # The Art. 35 date replaces the Art. 33 periods: no extension reaches past or around it.
        due = safe_due = limit = proc.delayed.until

    # A date that counts a day of an unannounced year is provisional. ``provisional`` covers the
    # dates staff work to (the reply and correction-notice deadlines); the extension limit, which
    # reaches 20 working days further, has its own flag so a December date is not shown as
    # "暂定" only because a possible extension would run into January.
    return _Deadlines(
        start=start,
        intervals=intervals,
        original_due=original_due,
        extended_due=extended_due,
        due=due,
        safe_due=safe_due,
        limit=limit,
        paused_days=paused_days,
        correction_notice_due=correction_notice_due,
        consultation_due=_consultation_due(proc.pauses),
        fee_payment_due=fee_payment_due,
        unannounced=cal.unannounced_years(received, max(due, correction_notice_due)),
        extension_limit_provisional=bool(cal.unannounced_years(received, limit)),
    )


# -- state: open or concluded, on time or late ---------------------------------------------------


@dataclass(slots=True)
class _State:
    """Where an application stands, worked out by :func:`_state`."""

    state: str
    concluded_on: date | None
    on_time: bool | None
    outcome: str | None
    correction_due: date | None
    working_days_left: int | None


def _closing_awaiting_correction(proc: _Procedure, found: Outcome | None) -> Event | None:
    """The correction request, when outcome （六）1 closes an application still awaiting it."""
    if found is not None and found.row == "3.6.1" and proc.awaiting_correction:
        return proc.correction_requested
    return None


def _state(
    proc: _Procedure,
    dl: _Deadlines,
    *,
    calendar: WorkCalendar,
    as_of: date,
    outcome: str | None,
    any_events: bool,
) -> _State:
    """The state as of ``as_of``, whether a concluded application was on time, and the days left."""
    cr = proc.correction_requested
    correction_due = calendar.add_workdays(cr.on, cr.days) if cr is not None and cr.days else None
    conclusion = proc.conclusion
    if conclusion is None:
        state = _open_state(proc, start=dl.start, as_of=as_of, any_events=any_events)
        left = calendar.workdays_until(as_of, dl.safe_due) if state != "awaiting_correction" else None
        return _State(state, None, None, outcome, correction_due, left)

    recorded = outcome
    if conclusion.outcome and not recorded:
        recorded = conclusion.outcome
    on_time = conclusion.on <= dl.due
    if conclusion.kind == "withdrawn":
        return _State("withdrawn", conclusion.on, on_time, recorded, correction_due, None)
    found = find_outcome(recorded) if recorded else None
    state = "abandoned" if found is not None and found.closes_as_abandoned else "replied"
    asked = _closing_awaiting_correction(proc, found)
    if asked is not None:
        # （六）1 closes while awaiting a correction, which never makes the office late
        # (Art. 30 restarts the reply period): it was late only if the reply date had
        # already passed when the correction was asked for.
        on_time = asked.on <= dl.due
    return _State(state, conclusion.on, on_time, recorded, correction_due, None)


def _open_state(proc: _Procedure, *, start: date, as_of: date, any_events: bool) -> str:
    """The state of an application not yet concluded."""
    if proc.awaiting_correction:
        return "awaiting_correction"
    if as_of <= start and not any_events:
        return "received"
    if (proc.fee is not None and proc.fee.end is None) or any(
        p.end is None and p.cap is not None and as_of <= p.cap for p in proc.open_consultations
    ):
        return "paused"
    return "in_progress"


# -- explanation: one line per step, in Chinese --------------------------------------------------


def _explanation(
    received: date,
    proc: _Procedure,
    dl: _Deadlines,
    st: _State,
    *,
    calendar: WorkCalendar,
    as_of: date,
    upto: date,
    channel: str | None,
    received_on_workday: bool,
) -> list[str]:
    """The explanation lines of a clock, in the order the steps happen."""
    return [
        *_explain_reply_period(received, proc, dl, calendar, channel, received_on_workday),
        *_explain_pauses(proc, dl, calendar, upto),
        *_explain_deadline(proc, dl),
        *_explain_state(proc, dl, st, calendar, as_of),
    ]


def _explain_reply_period(
    received: date,
    proc: _Procedure,
    dl: _Deadlines,
    calendar: WorkCalendar,
    channel: str | None,
    received_on_workday: bool,
) -> list[str]:
    """Receipt, the correction notice and correction, and the reply period they start."""
    rule = RECEIPT_RULE.get(channel or "", "收到申请之日按《条例》第三十一条确定")
    lines = [
        f"收到申请：{_d(received)}，"
        f"{'工作日' if received_on_workday else '非工作日，期限自其后第一个工作日起算'}（{rule}）。",
        f"补正告知期限：收到申请之日起 {CORRECTION_NOTICE_DAYS} 个工作日内一次性告知（第三十条），"
        f"至 {_d(dl.correction_notice_due)}。",
    ]
    cr, received_correction = proc.correction_requested, proc.correction_received
    if cr is not None:
        lines.append(
            f"{_d(cr.on)} 告知申请人补正" + (f"，补正期限 {cr.days} 个工作日" if cr.days else "") + "。"
        )
        if received_correction is None:
            lines.append("等待申请人补正：答复期限自收到补正之日起重新计算（第三十条）。")
        else:
            lines.append(
                f"{_d(received_correction.on)} 收到补正，答复期限自该日起重新计算 {REPLY_DAYS} 个工作日。"
            )
    base_std = calendar.add_workdays(dl.start, REPLY_DAYS)
    lines.append(
        f"答复期限：自{'收到补正' if received_correction else '收到申请'}之次日起算第 {REPLY_DAYS} 个工作日，"
        f"即 {_d(base_std)}（第三十三条）。"
    )
    return lines


def _explain_pauses(proc: _Procedure, dl: _Deadlines, calendar: WorkCalendar, upto: date) -> list[str]:
    """Each pause and the days it excludes, consultation windows that ran out, the fee window."""
    lines = _explain_pause_windows(dl.intervals, calendar, concluded=proc.conclusion is not None)
    lines += _explain_consultation_caps(proc.pauses, upto)
    if dl.paused_days and proc.extension is None:
        lines.append(f"暂停合计 {dl.paused_days} 个工作日，答复期限顺延至 {_d(dl.original_due)}。")
    if proc.fee is not None and proc.fee.end is None and dl.fee_payment_due is not None:
        lines.append(
            f"申请人应在收到收费通知次日起 {FEE_PAYMENT_DAYS} 个工作日内缴费，按发出日计至 {_d(dl.fee_payment_due)}；"
            "逾期未缴的视为放弃申请（第六项2）。"
        )
    return lines


def _explain_pause_windows(
    intervals: Iterable[_Interval], calendar: WorkCalendar, *, concluded: bool
) -> list[str]:
    """One line per pause: from when to when, and how many working days it excludes."""
    lines: list[str] = []
    for lo, hi, p in intervals:
        what = "征求第三方或其他机关意见" if p.kind == "consultation" else "收费通知至缴费"
        awaited = "答复" if p.kind == "consultation" else "缴费"
        if p.end is None and concluded:
            until_txt = f"办结时尚未{awaited}，计至 {_d(calendar.day(hi + 1))}"
        elif p.end is None:
            until_txt = f"尚未{awaited}，暂计至 {_d(calendar.day(hi + 1))}"
        else:
            until_txt = f"至 {_d(p.end)}"
        lines.append(
            f"{what}：{_d(p.start)} 发出，{until_txt}，其间 {hi - lo + 1} 个工作日不计入答复期限（第三十三条第三款）。"
        )
    return lines


def _explain_consultation_caps(pauses: Iterable[_Pause], upto: date) -> list[str]:
    """Consultations whose 15-working-day window ran out before an answer (Art. 32)."""
    lines: list[str] = []
    for p in pauses:
        if p.kind != "consultation" or p.cap is None:
            continue
        if p.end is None and upto > p.cap:
            lines.append(
                f"被征求意见方的 {CONSULTATION_DAYS} 个工作日已于 {_d(p.cap)} 届满，"
                "本机关依法自行决定（第三十二条）；暂停计时到此为止。"
            )
        if p.end is not None and p.end > p.cap:
            lines.append(f"意见答复晚于 {CONSULTATION_DAYS} 个工作日期限，暂停计时只计到 {_d(p.cap)}。")
    return lines


def _explain_deadline(proc: _Procedure, dl: _Deadlines) -> list[str]:
    """The extension or how far one could reach, the Art. 35 date, the protecting reading, provisional years."""
    lines: list[str] = []
    ext = proc.extension
    if ext is not None and dl.extended_due is not None:
        n = ext.days or MAX_EXTENSION_DAYS
        lines.append(
            f"{_d(ext.on)} 经政府信息公开工作机构负责人同意延期 {n} 个工作日，答复期限延至 {_d(dl.extended_due)}。"
        )
        if dl.paused_days:
            lines.append(
                f"暂停合计 {dl.paused_days} 个工作日，延长后的答复期限顺延至 {_d(dl.extended_due)}。"
            )
    elif proc.delayed is None and proc.conclusion is None:  # advice only while the application is open
        lines.append(
            f"如需延期，应在 {_d(dl.original_due)} 前经负责人同意并告知申请人，最迟可延至 {_d(dl.limit)}。"
        )
    if proc.delayed is not None and proc.delayed.until is not None:
        lines.append(
            f"{_d(proc.delayed.on)} 依第三十五条告知申请人延迟答复，答复期限为本机关确定的 {_d(dl.due)}。"
        )
    if dl.safe_due != dl.due:
        lines.append(f"从严掌握：收到当日计为第 1 个工作日，提醒按 {_d(dl.safe_due)} 办结。")
    if dl.unannounced:
        years = "、".join(str(y) for y in dl.unannounced)
        lines.append(f"{years}年放假安排尚未录入，期限按法定节假日估算，为暂定日期；录入后自动重算。")
    return lines


def _explain_state(
    proc: _Procedure, dl: _Deadlines, st: _State, calendar: WorkCalendar, as_of: date
) -> list[str]:
    """How the application was concluded, or how late it is, and its state."""
    lines: list[str] = []
    conclusion = proc.conclusion
    if conclusion is not None and conclusion.kind == "withdrawn":
        lines.append(f"{_d(conclusion.on)} 申请人撤回申请，办结。")
    elif conclusion is not None:
        lines.append(_explain_reply(conclusion, proc, dl, st, calendar))
    elif st.state == "awaiting_correction":
        if st.correction_due is not None and as_of > st.correction_due:
            lines.append(
                f"补正期限已于 {_d(st.correction_due)} 届满，申请人无正当理由逾期不补正的视为放弃申请，可按第六项1办结。"
            )
    elif as_of > dl.due:
        lines.append(f"截至 {_d(as_of)} 已超过答复期限 {calendar.workdays_until(dl.due, as_of)} 个工作日。")
    lines.append(f"状态：{STATES[st.state]}。")
    return lines


def _explain_reply(
    conclusion: Event, proc: _Procedure, dl: _Deadlines, st: _State, calendar: WorkCalendar
) -> str:
    """The reply that concluded the application, with its outcome and whether it came in time."""
    found = find_outcome(st.outcome) if st.outcome else None
    what = f"（{found.label}）" if found else ""
    asked = _closing_awaiting_correction(proc, found)
    if asked is not None:
        timely = (
            "等待补正期间不计逾期，按期办结"
            if st.on_time
            else f"告知补正时已超过答复期限 {calendar.workdays_until(dl.due, asked.on)} 个工作日"
        )
    else:
        timely = (
            "在期限内"
            if st.on_time
            else f"超过期限 {calendar.workdays_until(dl.due, conclusion.on)} 个工作日"
        )
    return f"{_d(conclusion.on)} 答复办结{what}，{timely}。"


# -- the clock -----------------------------------------------------------------------------------


class ClockState(NamedTuple):
    """The dates and the state of a clock: what the register caches per application (see
    :func:`clock_state`); the fields of the same name of :class:`Clock`."""

    state: str
    due: date
    safe_due: date
    original_due: date
    extension_limit: date
    correction_notice_due: date
    provisional: bool
    concluded_on: date | None
    outcome: str | None
    as_of: date


_Parts = tuple[list[Event], list[Event], list[str], _Procedure, _Deadlines, _State, date, bool]


def _clock_parts(
    received: date,
    events: Sequence[Event],
    *,
    calendar: WorkCalendar,
    as_of: date,
    channel: str | None,
    outcome: str | None,
    reject_future: bool,
    ignore_future: bool,
    explain: bool,
) -> _Parts:
    """The steps of :func:`compute_clock` up to the explanation: the events applied and ignored,
    warnings, procedure, deadlines, state, the day the clock is read on, and whether receipt was on a
    working day (asked only when ``explain``)."""
    cal = calendar
    evs = sort_events(events)
    warnings: list[str] = []
    ignored: list[Event] = []
    if ignore_future:
        evs, ignored = _events_as_of(received, evs, as_of)
        if ignored:
            warnings.append(
                f"以下事件晚于计算日期 {as_of.isoformat()}，未计入：{'、'.join(e.spec() for e in ignored)}。"
            )
    if channel is not None and channel not in CHANNELS:
        raise InputError(f"申请方式“{channel}”无效，应为以下之一：{', '.join(CHANNELS)}。")
    # Asked before the events are checked: when explaining, a receipt outside the calendar's years
    # is reported ahead of any event error, as it always has been.
    received_on_workday = explain and cal.is_workday(received)

    proc = _check_procedure(received, evs, calendar=cal, as_of=as_of, reject_future=reject_future)
    # A concluded clock is read as of its closing day: an open pause ends there, not at ``as_of``.
    upto = min(as_of, proc.conclusion.on) if proc.conclusion is not None else as_of
    dl = _deadlines(received, proc, calendar=cal, upto=upto)
    cr = proc.correction_requested
    if cr is not None and cr.on > dl.correction_notice_due:
        warnings.append(
            f"补正告知日期 {cr.on.isoformat()} 晚于法定期限 {dl.correction_notice_due.isoformat()}。"
        )
    st = _state(proc, dl, calendar=cal, as_of=as_of, outcome=outcome, any_events=bool(evs))
    return evs, ignored, warnings, proc, dl, st, upto, received_on_workday


def compute_clock(
    received: date,
    events: Sequence[Event] = (),
    *,
    calendar: WorkCalendar,
    as_of: date,
    channel: str | None = None,
    outcome: str | None = None,
    reject_future: bool = False,
    ignore_future: bool = False,
    explain: bool = True,
) -> Clock:
    """Compute the clocks of one application.

    ``outcome`` (a row id) is the recorded outcome of a concluded application; when the outcome is
    （六）1 or （六）2 the state is ``abandoned``. ``reject_future`` refuses events dated after
    ``as_of`` (the register does, when recording). ``ignore_future`` computes the clock as it stood
    on ``as_of``: events dated after it are left out and listed in ``ignored_events`` and the
    warnings, and an ``as_of`` before receipt is refused (:class:`InputError`); the calculator and
    ``request show --as-of`` use it. Without either, every event is applied (the cached clock
    columns of the register hold everything recorded). ``explain=False`` skips the explanation text
    (batch recomputation: the dates and the state are the same).

    A concluded application's clock is frozen at its closing date: a pause still open when it was
    concluded ends on that date, whatever ``as_of`` is.

    Raises :class:`EventError` when the events break the procedure (reply before receipt, second
    extension, extension after the deadline, …): the message names the event and the rule.
    """
    evs, ignored, warnings, proc, dl, st, upto, received_on_workday = _clock_parts(
        received,
        events,
        calendar=calendar,
        as_of=as_of,
        channel=channel,
        outcome=outcome,
        reject_future=reject_future,
        ignore_future=ignore_future,
        explain=explain,
    )
    lines = (
        _explanation(
            received,
            proc,
            dl,
            st,
            calendar=calendar,
            as_of=as_of,
            upto=upto,
            channel=channel,
            received_on_workday=received_on_workday,
        )
        if explain
        else []
    )

    return Clock(
        received=received,
        due=dl.due,
        safe_due=dl.safe_due,
        extension_limit=dl.limit,
        correction_notice_due=dl.correction_notice_due,
        paused_working_days=dl.paused_days,
        extended=dl.extended_due is not None,
        provisional=bool(dl.unannounced),
        state=st.state,
        explain=tuple(lines),
        as_of=as_of,
        original_due=dl.original_due,
        concluded_on=st.concluded_on,
        outcome=st.outcome,
        consultation_due=dl.consultation_due,
        fee_payment_due=dl.fee_payment_due,
        correction_due=st.correction_due,
        working_days_left=st.working_days_left,
        warnings=tuple(warnings),
        extension_limit_provisional=dl.extension_limit_provisional,
        on_time=st.on_time,
        ignored_events=tuple(e.spec() for e in ignored),
    )


def clock_state(
    received: date,
    events: Sequence[Event] = (),
    *,
    calendar: WorkCalendar,
    as_of: date,
    channel: str | None = None,
    outcome: str | None = None,
    reject_future: bool = False,
) -> ClockState:
    """:func:`compute_clock` with ``explain=False``, reduced to what the register caches: the same
    checks and errors, the same dates and state, without building a whole :class:`Clock` (batch work:
    a register import computes one per row)."""
    _evs, _ignored, _warnings, _proc, dl, st, _upto, _ = _clock_parts(
        received,
        events,
        calendar=calendar,
        as_of=as_of,
        channel=channel,
        outcome=outcome,
        reject_future=reject_future,
        ignore_future=False,
        explain=False,
    )
    return ClockState(
        state=st.state,
        due=dl.due,
        safe_due=dl.safe_due,
        original_due=dl.original_due,
        extension_limit=dl.limit,
        correction_notice_due=dl.correction_notice_due,
        provisional=bool(dl.unannounced),
        concluded_on=st.concluded_on,
        outcome=st.outcome,
        as_of=as_of,
    )


# -- Art. 26: the publication period of a proactive item ---------------------------------------------

ITEM_PUBLICATION_DAYS: Final = 20
"""Art. 26: publish within 20 working days of formation or change."""


def publication_start(item: ProactiveItem | Any) -> date | None:
    """The day the Art. 26 period runs from, or None when nothing is to be published.

    Only proactive items not withdrawn count: unpublished -> the generation date; published and
    changed afterwards -> the change date. ``item`` is an item or any row with the same attributes
    (the content review passes result rows).
    """
    if item.attribute != "proactive" or item.withdrawn_on is not None:
        return None
    if item.published_on is None:
        return cast(date, item.generated_on)
    if item.changed_on is not None and item.changed_on > item.published_on:
        return cast(date, item.changed_on)
    return None


def publication_due(item: ProactiveItem | Any, calendar: WorkCalendar) -> date | None:
    """Art. 26: the 20th working day after :func:`publication_start`, or None when nothing is due.

    The one reading used by the item commands, the catalogue checks, the reminder service and the
    content review: for an unpublished item the period runs from its generation date, for a published
    item changed afterwards from the change date. ``item`` may be any row with the same attributes.
    """
    start = publication_start(item)
    return None if start is None else calendar.add_workdays(start, ITEM_PUBLICATION_DAYS)
