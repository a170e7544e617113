"""The statutory clock of an application (ogi-rules.md sections 2.3, 4.2-4.4; CONTRACT section 2).

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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from gongkai.codes import CHANNELS, EVENT_KINDS, RECEIPT_RULE, STATES, find_outcome, unknown_outcome_message
from gongkai.dates import parse_date
from gongkai.errors import EventError, InputError
from gongkai.workcal import WorkCalendar

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
            raise InputError("delayed_reply_set 需要写明本机关确定的答复日期，如 delayed_reply_set:2025-03-01:2025-04-30。")
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
    from gongkai.dates import fmt_zh

    return fmt_zh(d)


def _label(kind: str) -> str:
    return EVENT_KINDS.get(kind, kind)


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Events in the order they happened (kinds on the same day in procedural order)."""
    return sorted(events, key=lambda e: (e.on, _KIND_ORDER.get(e.kind, 99)))


@dataclass
class _Pause:
    kind: str  # "consultation" | "fee"
    start: date
    end: date | None  # reply / payment day, None while open
    cap: date | None  # consultation: last day of the 15-WD window


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
    cal = calendar
    evs = sort_events(events)
    lines: list[str] = []
    warnings: list[str] = []
    ignored: list[Event] = []
    if ignore_future:
        if as_of < received:
            raise InputError(
                f"计算日期 {as_of.isoformat()} 早于收到申请日期 {received.isoformat()}，"
                "应为收到申请当日或其后的日期。"
            )
        ignored = [e for e in evs if e.on > as_of]
        evs = [e for e in evs if e.on <= as_of]
        if ignored:
            warnings.append(
                f"以下事件晚于计算日期 {as_of.isoformat()}，未计入：{'、'.join(e.spec() for e in ignored)}。"
            )

    def say(line: Callable[[], str]) -> None:
        # Explanations are formatted only when wanted: batch recomputation skips the text.
        if explain:
            lines.append(line())

    if channel is not None and channel not in CHANNELS:
        raise InputError(f"申请方式“{channel}”无效，应为以下之一：{', '.join(CHANNELS)}。")
    rule = RECEIPT_RULE.get(channel or "", "收到申请之日按《条例》第三十一条确定")
    say(
        lambda: f"收到申请：{_d(received)}，"
        f"{'工作日' if cal.is_workday(received) else '非工作日，期限自其后第一个工作日起算'}（{rule}）。"
    )

    # -- walk the events in order, checking the procedure --------------------------------------
    correction_requested: Event | None = None
    correction_received: Event | None = None
    pauses: list[_Pause] = []
    open_consultations: list[_Pause] = []
    fee: _Pause | None = None
    extension: Event | None = None
    delayed: Event | None = None
    conclusion: Event | None = None

    for ev in evs:
        label = _label(ev.kind)
        if ev.on < received:
            raise EventError(f"“{label}”的日期 {ev.on.isoformat()} 早于收到申请日期 {received.isoformat()}。")
        if reject_future and ev.on > as_of:
            raise EventError(f"“{label}”的日期 {ev.on.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记。")
        if conclusion is not None:
            raise EventError(
                f"申请已于 {conclusion.on.isoformat()} {_label(conclusion.kind)}，不能再登记“{label}”。"
            )
        if ev.kind == "correction_requested":
            if correction_requested is not None:
                raise EventError("补正只能一次性告知（第三十条），不能再次登记“告知补正”。")
            correction_requested = ev
        elif ev.kind == "correction_received":
            if correction_requested is None:
                raise EventError("登记“收到补正”之前应先登记“告知补正”。")
            if correction_received is not None:
                raise EventError("已登记过“收到补正”。")
            correction_received = ev
        elif ev.kind == "consultation_sent":
            p = _Pause("consultation", ev.on, None, cal.add_workdays(ev.on, CONSULTATION_DAYS))
            pauses.append(p)
            open_consultations.append(p)
        elif ev.kind == "consultation_replied":
            if not open_consultations:
                raise EventError(f"{ev.on.isoformat()} 登记了“收到征求意见答复”，但此前没有未答复的征求意见。")
            open_consultations.pop(0).end = ev.on
        elif ev.kind == "fee_notice_sent":
            if fee is not None:
                raise EventError("已发出过收费通知，同一申请只登记一次“发出收费通知”。")
            fee = _Pause("fee", ev.on, None, None)
            pauses.append(fee)
        elif ev.kind == "fee_paid":
            if fee is None:
                raise EventError("登记“申请人缴费”之前应先登记“发出收费通知”。")
            if fee.end is not None:
                raise EventError("已登记过“申请人缴费”。")
            fee.end = ev.on
        elif ev.kind == "extension_approved":
            if extension is not None:
                raise EventError("延期答复只能批准一次（第三十三条），已于 " + extension.on.isoformat() + " 批准过。")
            extension = ev
        elif ev.kind == "delayed_reply_set":
            if delayed is not None:
                raise EventError("已登记过第三十五条确定的答复期限。")
            if ev.until is not None and not cal.is_workday(ev.until):
                raise EventError(f"第三十五条确定的答复日期 {ev.until.isoformat()} 不是工作日，应定在工作日。")
            delayed = ev
        elif ev.kind in _CONCLUSIONS:
            conclusion = ev

    # A concluded clock is read as of its closing day: an open pause ends there, not at ``as_of``.
    upto = min(as_of, conclusion.on) if conclusion is not None else as_of

    # -- the reply period ----------------------------------------------------------------------
    start = correction_received.on if correction_received else received
    first_std = cal.index_after(start)
    # Protecting reading (U1): counting the start day as day 1 (when it is a working day) ends the
    # period one working day earlier. ``safe_due`` is that: the working day before ``due``. It is
    # derived from ``due`` rather than counted separately so that a pause the office may lawfully
    # start on the day before ``due`` moves both dates alike (a separate count would leave the
    # reminder weeks before the legal date).
    safe_shift = 1 if cal.is_workday(start) else 0

    def safe_before(legal: date) -> date:
        return cal.day(cal.index_on_or_after(legal) - 1) if safe_shift else legal

    intervals: list[tuple[int, int, _Pause]] = []
    for p in pauses:
        end = p.end
        if end is None:
            end = max(p.start, upto)
        if p.cap is not None and end > p.cap:
            end = p.cap
        lo = cal.index_after(p.start)
        hi = cal.index_on_or_after(end) - 1
        if hi >= lo:
            intervals.append((lo, hi, p))
    intervals.sort(key=lambda t: t[0])
    merged: list[tuple[int, int]] = []
    for lo, hi, _p in intervals:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))

    def nth(first: int, n: int) -> tuple[date, int]:
        """The n-th counted working day from index ``first``, skipping paused days."""
        target = first + n - 1
        if not merged:
            return cal.day(target), 0
        skipped = 0
        for lo, hi in merged:
            lo = max(lo, first)
            if hi < lo:
                continue
            if lo <= target:
                target += hi - lo + 1
                skipped += hi - lo + 1
        return cal.day(target), skipped

    original_due, paused_days = nth(first_std, REPLY_DAYS)
    original_safe = safe_before(original_due)
    limit, _ = nth(first_std, REPLY_DAYS + MAX_EXTENSION_DAYS)
    correction_notice_due = cal.add_workdays(received, CORRECTION_NOTICE_DAYS)

    say(lambda:
        f"补正告知期限：收到申请之日起 {CORRECTION_NOTICE_DAYS} 个工作日内一次性告知（第三十条），"
        f"至 {_d(correction_notice_due)}。"
    )
    if correction_requested is not None:
        cr = correction_requested
        if cr.on > correction_notice_due:
            warnings.append(f"补正告知日期 {cr.on.isoformat()} 晚于法定期限 {correction_notice_due.isoformat()}。")
        say(lambda: f"{_d(cr.on)} 告知申请人补正" + (f"，补正期限 {cr.days} 个工作日" if cr.days else "") + "。")
        if correction_received is None:
            say(lambda: "等待申请人补正：答复期限自收到补正之日起重新计算（第三十条）。")
        else:
            say(lambda:
                f"{_d(correction_received.on)} 收到补正，答复期限自该日起重新计算 {REPLY_DAYS} 个工作日。"
            )
    elif correction_received is None:
        pass

    base_std = cal.add_workdays(start, REPLY_DAYS)
    say(lambda:
        f"答复期限：自{'收到补正' if correction_received else '收到申请'}之次日起算第 {REPLY_DAYS} 个工作日，"
        f"即 {_d(base_std)}（第三十三条）。"
    )

    consultation_due: date | None = None
    for p in pauses:
        if p.kind == "consultation" and p.end is None and p.cap is not None:
            consultation_due = p.cap if consultation_due is None else min(consultation_due, p.cap)
    if explain:
        for lo, hi, p in intervals:
            what = "征求第三方或其他机关意见" if p.kind == "consultation" else "收费通知至缴费"
            if p.end is None and conclusion is not None:
                until_txt = f"办结时尚未{'答复' if p.kind == 'consultation' else '缴费'}，计至 {_d(cal.day(hi + 1))}"
            elif p.end is None:
                until_txt = f"尚未{'答复' if p.kind == 'consultation' else '缴费'}，暂计至 {_d(cal.day(hi + 1))}"
            else:
                until_txt = f"至 {_d(p.end)}"
            lines.append(
                f"{what}：{_d(p.start)} 发出，{until_txt}，其间 {hi - lo + 1} 个工作日不计入答复期限（第三十三条第三款）。"
            )
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
    if paused_days and extension is None:
        say(lambda: f"暂停合计 {paused_days} 个工作日，答复期限顺延至 {_d(original_due)}。")

    fee_payment_due: date | None = None
    if fee is not None:
        fee_payment_due = cal.add_workdays(fee.start, FEE_PAYMENT_DAYS)
        if fee.end is None:
            say(lambda:
                f"申请人应在收到收费通知次日起 {FEE_PAYMENT_DAYS} 个工作日内缴费，按发出日计至 {_d(fee_payment_due)}；"
                "逾期未缴的视为放弃申请（第六项2）。"
            )

    due, safe_due = original_due, original_safe
    extended = False
    if extension is not None:
        if extension.on > original_due:
            raise EventError(
                f"延期应在原答复期限 {original_due.isoformat()} 届满前批准，{extension.on.isoformat()} 已逾期（第三十三条）。"
            )
        n = extension.days or MAX_EXTENSION_DAYS
        # Art. 33 para. 3: a pause inside the extended period is excluded from it too, so the
        # paused days reported are those of the window that ends on the extended date.
        due, paused_days = nth(first_std, REPLY_DAYS + n)
        safe_due = safe_before(due)
        extended = True
        # Only one extension is provided for: the one approved is the furthest any can reach.
        limit = due
        say(lambda:
            f"{_d(extension.on)} 经政府信息公开工作机构负责人同意延期 {n} 个工作日，答复期限延至 {_d(due)}。"
        )
        if paused_days:
            say(lambda: f"暂停合计 {paused_days} 个工作日，延长后的答复期限顺延至 {_d(due)}。")
    elif delayed is None:
        say(lambda: f"如需延期，应在 {_d(original_due)} 前经负责人同意并告知申请人，最迟可延至 {_d(limit)}。")

    if delayed is not None and delayed.until is not None:
        set_on, due = delayed.on, delayed.until
        safe_due = due
        # The Art. 35 date replaces the Art. 33 periods: no extension reaches past or around it.
        limit = due
        say(lambda: f"{_d(set_on)} 依第三十五条告知申请人延迟答复，答复期限为本机关确定的 {_d(due)}。")

    if safe_due != due:
        say(lambda: f"从严掌握：收到当日计为第 1 个工作日，提醒按 {_d(safe_due)} 办结。")

    # -- provisional -------------------------------------------------------------------------
    # A date that counts a day of an unannounced year is provisional. ``provisional`` covers the
    # dates staff work to (the reply and correction-notice deadlines); the extension limit, which
    # reaches 20 working days further, has its own flag so a December date is not shown as
    # "暂定" only because a possible extension would run into January.
    missing = cal.unannounced_years(received, max(due, correction_notice_due))
    provisional = bool(missing)
    extension_limit_provisional = bool(cal.unannounced_years(received, limit))
    if provisional:
        years = "、".join(str(y) for y in missing)
        say(lambda: f"{years}年放假安排尚未录入，期限按法定节假日估算，为暂定日期；录入后自动重算。")

    # -- state ---------------------------------------------------------------------------------
    correction_due: date | None = None
    if correction_requested is not None and correction_requested.days:
        correction_due = cal.add_workdays(correction_requested.on, correction_requested.days)

    concluded_on: date | None = None
    on_time: bool | None = None
    recorded_outcome = outcome
    if conclusion is not None:
        concluded_on = conclusion.on
        on_time = conclusion.on <= due
        if conclusion.outcome and not recorded_outcome:
            recorded_outcome = conclusion.outcome
        if conclusion.kind == "withdrawn":
            state = "withdrawn"
            say(lambda: f"{_d(conclusion.on)} 申请人撤回申请，办结。")
        else:
            found = find_outcome(recorded_outcome) if recorded_outcome else None
            state = "abandoned" if found is not None and found.closes_as_abandoned else "replied"
            what = f"（{found.label}）" if found else ""
            if (
                found is not None
                and found.row == "3.6.1"
                and correction_requested is not None
                and correction_received is None
            ):
                # （六）1 closes while awaiting a correction, which never makes the office late
                # (Art. 30 restarts the reply period): it was late only if the reply date had
                # already passed when the correction was asked for.
                asked = correction_requested.on
                on_time = asked <= due
                timely = (
                    "等待补正期间不计逾期，按期办结" if on_time
                    else f"告知补正时已超过答复期限 {cal.workdays_until(due, asked)} 个工作日"
                )
            else:
                timely = (
                    "在期限内" if on_time else f"超过期限 {cal.workdays_until(due, conclusion.on)} 个工作日"
                )
            say(lambda: f"{_d(conclusion.on)} 答复办结{what}，{timely}。")
    elif correction_requested is not None and correction_received is None:
        state = "awaiting_correction"
        if correction_due is not None and as_of > correction_due:
            say(lambda:
                f"补正期限已于 {_d(correction_due)} 届满，申请人无正当理由逾期不补正的视为放弃申请，可按第六项1办结。"
            )
    elif as_of <= start and not evs:
        state = "received"
    elif (fee is not None and fee.end is None) or any(
        p.end is None and p.cap is not None and as_of <= p.cap for p in open_consultations
    ):
        state = "paused"
    else:
        state = "in_progress"

    working_days_left: int | None = None
    if concluded_on is None and state != "awaiting_correction":
        working_days_left = cal.workdays_until(as_of, safe_due)
        if as_of > due:
            say(lambda: f"截至 {_d(as_of)} 已超过答复期限 {cal.workdays_until(due, as_of)} 个工作日。")
    say(lambda: f"状态：{STATES[state]}。")

    return Clock(
        received=received,
        due=due,
        safe_due=safe_due,
        extension_limit=limit,
        correction_notice_due=correction_notice_due,
        paused_working_days=paused_days,
        extended=extended,
        provisional=provisional,
        state=state,
        explain=tuple(lines),
        as_of=as_of,
        original_due=original_due,
        concluded_on=concluded_on,
        outcome=recorded_outcome,
        consultation_due=consultation_due,
        fee_payment_due=fee_payment_due,
        correction_due=correction_due,
        working_days_left=working_days_left,
        warnings=tuple(warnings),
        extension_limit_provisional=extension_limit_provisional,
        on_time=on_time,
        ignored_events=tuple(e.spec() for e in ignored),
    )
