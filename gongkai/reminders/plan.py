"""Which reminders are due on a business date (issue 3; ogi-rules.md sections 2.5, 3.2, 4.3, 4.4).

:func:`plan_reminders` reads the register and returns :class:`PlannedReminder` values: what to tell
whom about which application or catalogue item. It sends nothing and writes nothing; the outbox
(``gongkai.notify.outbox``) stores the plan under each reminder's ``key`` and delivers it.

Catch-up by design: everything is derived from the state on ``as_of``, never from "what happened
since the last run". A ladder (reply: 10, 5, 3, 1, 0 working days; items: 5, 3, 1, 0) plans only the
most urgent rung already reached, so a server that was off for a week sends one reminder per
application, not the five it missed. A reminder that is still relevant is planned again on every run
under the same key (the outbox never resends a sent key, and supersedes a pending one that today's
plan no longer contains); a reminder meant to repeat carries the business date in its key.

Privacy: the texts name applications by reference number and catalogue items by index number only.
The applicant's name, contact, ID number and the application's content are not even selected from
the database here. Staff names (the handler, in an escalation) are not applicants' personal data.

Readings chosen here, beyond the rules of the issue:

* A staff id that is no longer in the configuration is not a recipient (it has no channel): the
  reminder goes to every handler instead, as for an unassigned application; with no handler at all,
  to the administrators, so a reminder is never planned for nobody.
* An escalation is not also sent to the people who already get the reminder itself (a handler who
  is also the administrator gets one line, not two); an escalation left with nobody is dropped.
* The extension decision is not asked while the clock is paused or awaiting a correction: the
  original deadline then moves later every working day (or restarts), and the question comes back
  when the clock runs again.
* An item never published counts its 20 working days from its formation date even if it was changed
  since: the information as first formed was already due (a later change does not extend that).
  An item changed after publication counts from the change (Art. 26: every change starts a period).
* ``overdue_every_working_day = false`` also makes an overdue catalogue item reminded once.
* An application whose recorded events no longer fit the procedure (possible after a calendar
  import, e.g. an extension that now falls after the original deadline) has no clock: the
  administrators get a ``clock_error`` reminder instead of the run failing for everybody.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.dates import fmt_day
from gongkai.core.errors import InputError
from gongkai.core.messages import PlannedReminder
from gongkai.core.officescope import in_office
from gongkai.core.settings import Role, Settings
from gongkai.register.deadlines import ITEM_PUBLICATION_DAYS, Clock, Event, compute_clock, publication_due
from gongkai.register.repository import events_by_application
from gongkai.register.workcal import WorkCalendar
from gongkai.review.periodic import KINDS as REVIEW_KINDS
from gongkai.store.tables import APP, DEADLINE_CHANGE, ITEM, REVIEW_TASK

_OPEN_FOR_CORRECTION_NOTICE: Final = frozenset({"received", "in_progress"})


def ladder_rung(days_left: int, ladder: Sequence[int]) -> int | None:
    """The rung due with ``days_left`` working days to go: the smallest rung ``r`` with
    ``days_left <= r`` (``None`` before the first rung is reached).

    >>> ladder_rung(2, (10, 5, 3, 1, 0))
    3
    >>> ladder_rung(-4, (10, 5, 3, 1, 0))
    0
    >>> ladder_rung(11, (10, 5, 3, 1, 0)) is None
    True
    """
    reached = [r for r in ladder if days_left <= r]
    return min(reached) if reached else None


def _urgency(days_left: int) -> int:
    """1 for today or past, else 1 + working days left (0 is kept for "the office is late")."""
    return 1 + max(0, days_left)


class _People:
    """Who receives what, from the configuration (config order, no repeats)."""

    def __init__(self, settings: Settings) -> None:
        self.configured = {p.id: p for p in settings.staff}
        self.handlers = self._with(("handler",), settings)
        self.administrators = self._with(("administrator",), settings)
        self.unit_heads = self._with(("unit_head",), settings)
        self.escalation = self._with(settings.reminders.escalate_overdue_to, settings)
        # Never plan a reminder for nobody: without handlers, the administrators take them.
        self.default_handlers = self.handlers or self.administrators

    @staticmethod
    def _with(roles: Iterable[Role], settings: Settings) -> tuple[str, ...]:
        wanted = set(roles)
        return tuple(p.id for p in settings.staff if wanted & set(p.role))

    def handler(self, staff_id: str | None) -> tuple[str, ...]:
        """The assignee or owner if configured, else every handler."""
        if staff_id is not None and staff_id in self.configured:
            return (staff_id,)
        return self.default_handlers

    def name(self, staff_id: str | None) -> str:
        """A configured staff member's name (for escalations), or 未指定."""
        person = self.configured.get(staff_id or "")
        return person.name if person is not None else "未指定"

    def escalate(self, already: Sequence[str]) -> tuple[str, ...]:
        """The escalation roles, minus those who already receive the reminder itself."""
        return tuple(s for s in self.escalation if s not in already)


@dataclass
class _Plan:
    """The reminders collected during one planning run."""

    items: list[PlannedReminder]

    def add(
        self,
        key: str,
        recipients: Sequence[str],
        kind: str,
        ref: str | None,
        deadline: date | None,
        urgency: int,
        text: str,
        *,
        escalation: bool = False,
    ) -> None:
        if recipients:
            self.items.append(
                PlannedReminder(key, tuple(recipients), kind, ref, deadline, urgency, text, escalation)
            )


def plan_reminders(
    session: Session, *, settings: Settings, calendar: WorkCalendar, as_of: date
) -> list[PlannedReminder]:
    """Every reminder due on the business date ``as_of``, most urgent first.

    Reads the open applications (one query), their events (one query per 5,000), the deadline
    changes of open applications and the unpublished catalogue items (one query each), and computes
    each application's clock as of ``as_of``. Sorted by urgency, then deadline, then reference.
    """
    people = _People(settings)
    plan = _Plan([])
    provisional_years: dict[int, int] = {}
    _plan_applications(session, settings, calendar, as_of, people, plan, provisional_years)
    _plan_deadline_changes(session, calendar, as_of, people, plan)
    _plan_calendar(settings, calendar, as_of, people, plan, provisional_years)
    _plan_items(session, settings, calendar, as_of, people, plan)
    _plan_review_tasks(session, settings, calendar, as_of, people, plan)
    return sorted(plan.items, key=lambda p: (p.urgency, p.deadline or date.max, p.ref or "", p.key))


# -- applications -----------------------------------------------------------------------------


def _plan_applications(
    session: Session,
    settings: Settings,
    calendar: WorkCalendar,
    as_of: date,
    people: _People,
    plan: _Plan,
    provisional_years: dict[int, int],
) -> None:
    c = APP.c
    # Only what the clock and the routing need: no personal data is read at all.
    rows = session.execute(
        sa.select(c.id, c.ref, c.received_on, c.channel, c.outcome_row, c.assignee_id, c.clock_version)
        .where(in_office(session, APP), c.concluded_on.is_(None))
        .order_by(c.id)
    ).all()
    if not rows:
        return
    calendar.prepare(min(min(r.received_on for r in rows).year, as_of.year), as_of.year + 1)
    events = events_by_application(session, [r.id for r in rows])
    cfg = settings.reminders
    workday = calendar.is_workday(as_of)
    for r in rows:
        evs = events.get(r.id, [])
        try:
            clock = compute_clock(
                r.received_on,
                evs,
                calendar=calendar,
                as_of=as_of,
                channel=r.channel,
                outcome=r.outcome_row,
                explain=False,
            )
        except InputError as exc:
            # The message names events, dates and rules only (never personal data).
            plan.add(
                f"app:{r.id}:clock_error:v{r.clock_version}",
                people.administrators,
                "clock_error",
                r.ref,
                None,
                0,
                f"{r.ref}：办理记录与程序规则不符，无法计算期限，请核查并更正登记（{exc}）",
            )
            continue
        if not clock.is_open:
            continue  # the cached columns lag behind the events: the events decide
        handler = people.handler(r.assignee_id)
        note = ""
        if clock.provisional:
            years = calendar.unannounced_years(clock.received, max(clock.due, clock.correction_notice_due))
            for y in years:
                provisional_years[y] = provisional_years.get(y, 0) + 1
            note = f"（暂定：{'、'.join(str(y) for y in years)}年放假安排尚未录入）"
        app = _App(r.id, r.ref, r.clock_version, r.assignee_id, clock, evs, handler, note)
        _reply_and_overdue(
            app, cfg.ladder, cfg.overdue_every_working_day, calendar, as_of, workday, people, plan
        )
        _extension(app, cfg.extension_decision_days, calendar, as_of, people, plan, settings.desk.base_url)
        _correction(app, calendar, as_of, plan)
        _pauses(app, calendar, as_of, plan)


@dataclass(frozen=True)
class _App:
    """One open application with its live clock and who handles it."""

    id: int
    ref: str
    version: int
    assignee: str | None
    clock: Clock
    events: Sequence[Event]
    handler: tuple[str, ...]
    note: str

    def has(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.events)


def _reply_and_overdue(
    app: _App,
    ladder: Sequence[int],
    every_day: bool,
    calendar: WorkCalendar,
    as_of: date,
    workday: bool,
    people: _People,
    plan: _Plan,
) -> None:
    clock, ref = app.clock, app.ref
    if clock.overdue:
        if every_day and not workday:
            return
        late = calendar.workdays_until(clock.due, as_of)
        stamp = as_of.isoformat() if every_day else f"v{app.version}"
        plan.add(
            f"app:{app.id}:overdue:{stamp}",
            app.handler,
            "overdue",
            ref,
            clock.due,
            0,
            f"{ref}：已超过答复期限 {fmt_day(clock.due)} {late} 个工作日，请立即答复{app.note}",
        )
        plan.add(
            f"app:{app.id}:escalation:{stamp}",
            people.escalate(app.handler),
            "escalation",
            ref,
            clock.due,
            0,
            f"{ref}：已超过答复期限 {fmt_day(clock.due)} {late} 个工作日（承办人：{people.name(app.assignee)}），"
            "请督办",
            escalation=True,
        )
        return
    # Awaiting a correction, the reply period has not started (it restarts in full, Art. 30).
    if clock.state == "awaiting_correction" or clock.working_days_left is None:
        return
    left = clock.working_days_left
    rung = ladder_rung(left, ladder)
    if rung is None:
        return
    safe, due = clock.safe_due, clock.due
    legal = f"；法定期限 {fmt_day(due)}" if due != safe else ""
    # Dates, not the count, choose the wording: on a Saturday after a Friday deadline 0 days are left.
    if as_of < safe:
        text = f"{ref}：还有 {left} 个工作日，请最迟于 {fmt_day(safe)} 答复{legal}"
    elif as_of == safe:
        text = f"{ref}：今天 {fmt_day(safe)} 是答复期限，请今日答复{legal}"
    else:
        text = f"{ref}：已过从严掌握的答复日 {fmt_day(safe)}，法定期限 {fmt_day(due)}，请立即答复"
    if clock.state == "paused":
        text += "（暂停计时中，期限可能顺延）"
    plan.add(
        f"app:{app.id}:reply:{rung}:v{app.version}",
        app.handler,
        "reply",
        ref,
        safe,
        _urgency(left),
        text + app.note,
    )


def _extension(
    app: _App, days: int, calendar: WorkCalendar, as_of: date, people: _People, plan: _Plan, base_url: str
) -> None:
    clock = app.clock
    if as_of > clock.original_due or clock.extended or clock.state in ("awaiting_correction", "paused"):
        return
    if app.has("delayed_reply_set"):
        return
    left = calendar.workdays_until(as_of, clock.original_due)
    if not 0 <= left <= days:
        return
    limit = fmt_day(clock.extension_limit) + ("（暂定）" if clock.extension_limit_provisional else "")
    # With the desk's address the digest line links to the unit head's page instead of naming the command.
    record = (
        "；请在工作台审批"
        if base_url
        else f"；批准后登记 gongkai request event {app.ref} extension_approved:批准日期"
        "（延长不足 20 个工作日的写 extension_approved:批准日期:工作日数）"
    )
    plan.add(
        f"app:{app.id}:extension:{clock.original_due.isoformat()}",
        people.unit_heads,
        "extension",
        app.ref,
        clock.original_due,
        _urgency(left),
        f"{app.ref}：请决定是否延期（须在原答复期限 {fmt_day(clock.original_due)} 届满前批准并告知申请人，"
        f"最长可延至 {limit}）{record}{app.note}",
    )


def _correction(app: _App, calendar: WorkCalendar, as_of: date, plan: _Plan) -> None:
    clock, ref = app.clock, app.ref
    due = clock.correction_notice_due
    if as_of <= due and clock.state in _OPEN_FOR_CORRECTION_NOTICE and not app.has("correction_requested"):
        left = calendar.workdays_until(as_of, due)
        if 0 <= left <= 1:
            plan.add(
                f"app:{app.id}:correction_notice:{due.isoformat()}",
                app.handler,
                "correction_notice",
                ref,
                due,
                _urgency(left),
                f"{ref}：如申请内容不明确，须在 {fmt_day(due)} 前一次性告知补正（第三十条）{app.note}",
            )
    if (
        clock.state == "awaiting_correction"
        and clock.correction_due is not None
        and as_of > clock.correction_due
    ):
        ended = clock.correction_due
        plan.add(
            f"app:{app.id}:correction_expired:{ended.isoformat()}",
            app.handler,
            "correction_expired",
            ref,
            ended,
            1,
            f"{ref}：补正期限 {fmt_day(ended)} 已过，申请人无正当理由逾期不补正的，可按视为放弃办结（办理结果 3.6.1）",
        )


def _pauses(app: _App, calendar: WorkCalendar, as_of: date, plan: _Plan) -> None:
    clock, ref = app.clock, app.ref
    cap = clock.consultation_due
    if cap is not None:
        left = calendar.workdays_until(as_of, cap)
        if left <= 1:
            if as_of > cap:
                text = f"{ref}：征求意见答复期限 {fmt_day(cap)} 已过，被征求意见方逾期未答复，依法由本机关决定（第三十二条）"
            elif as_of == cap:
                text = (
                    f"{ref}：征求意见答复期限今天 {fmt_day(cap)} 届满；逾期未答复的，"
                    "依法由本机关决定（第三十二条）"
                )
            else:
                text = (
                    f"{ref}：征求意见答复期限 {fmt_day(cap)} 即将届满；逾期未答复的，"
                    "依法由本机关决定（第三十二条）"
                )
            plan.add(
                f"app:{app.id}:consultation:{cap.isoformat()}",
                app.handler,
                "consultation",
                ref,
                cap,
                _urgency(left),
                text,
            )
    fee_due = clock.fee_payment_due
    if fee_due is not None and as_of >= fee_due and not app.has("fee_paid"):
        plan.add(
            f"app:{app.id}:fee:{fee_due.isoformat()}",
            app.handler,
            "fee",
            ref,
            fee_due,
            1,
            f"{ref}：缴费期限 {fmt_day(fee_due)} 已到，核实申请人收到通知的日期后，逾期未缴可按视为放弃办结（3.6.2）",
        )


# -- deadlines moved by a calendar import ---------------------------------------------------------


def _plan_deadline_changes(
    session: Session, calendar: WorkCalendar, as_of: date, people: _People, plan: _Plan
) -> None:
    d, a = DEADLINE_CHANGE.c, APP.c
    rows = session.execute(
        sa.select(d.id, d.cause, d.old_due, d.new_due, d.old_safe_due, d.new_safe_due, a.ref, a.assignee_id)
        .join(APP, a.id == d.application_id)
        .where(in_office(session, DEADLINE_CHANGE), in_office(session, APP), a.concluded_on.is_(None))
        .order_by(d.id)
    ).all()
    for r in rows:
        if r.new_due is None:
            continue
        what = "答复期限"
        old, new = r.old_due, r.new_due
        if old == new and r.new_safe_due is not None:
            what, old, new = "从严掌握的答复日", r.old_safe_due, r.new_safe_due
        earlier = (r.old_due is not None and r.new_due < r.old_due) or (
            r.old_safe_due is not None and r.new_safe_due is not None and r.new_safe_due < r.old_safe_due
        )
        why = "因节假日安排调整" if r.cause == "calendar_import" else "经重新计算"
        moved = f"由 {fmt_day(old)} 改为 {fmt_day(new)}" if old is not None else f"改为 {fmt_day(new)}"
        text = f"{r.ref} 的{what}{why}{moved}"
        if as_of > r.new_due:
            urgency = 0
        else:
            urgency = _urgency(calendar.workdays_until(as_of, r.new_safe_due or r.new_due))
        handler = people.handler(r.assignee_id)
        plan.add(
            f"change:{r.id}",
            handler,
            "deadline_moved",
            r.ref,
            r.new_due,
            urgency,
            text + ("，期限提前，请优先办理" if earlier else ""),
        )
        if earlier:
            plan.add(
                f"change:{r.id}:escalation",
                people.escalate(handler),
                "deadline_moved",
                r.ref,
                r.new_due,
                urgency,
                text + f"，期限提前（承办人：{people.name(r.assignee_id)}），请督办",
                escalation=True,
            )


# -- the holiday schedule of the next (or the current) year ---------------------------------------


def _plan_calendar(
    settings: Settings,
    calendar: WorkCalendar,
    as_of: date,
    people: _People,
    plan: _Plan,
    provisional_years: dict[int, int],
) -> None:
    iso = as_of.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    missing: list[tuple[int, int]] = []
    if not calendar.is_announced(as_of.year):
        missing.append((as_of.year, 1))  # a server started late: deadlines in use are estimates now
    if as_of >= settings.reminders.calendar_missing_from_date(as_of.year) and not calendar.is_announced(
        as_of.year + 1
    ):
        missing.append((as_of.year + 1, _urgency(calendar.workdays_until(as_of, date(as_of.year, 12, 31)))))
    command = "" if settings.desk.base_url else "（gongkai calendar import）"
    for year, urgency in missing:
        count = provisional_years.get(year, 0)
        plan.add(
            f"calendar:{year}:{week}",
            people.administrators,
            "calendar_missing",
            None,
            date(year, 1, 1),
            urgency,
            f"请导入{year}年放假安排{command}，{count} 件申请的期限为暂定",
        )


# -- proactive disclosure (Art. 26) ------------------------------------------------------------------


def _plan_items(
    session: Session, settings: Settings, calendar: WorkCalendar, as_of: date, people: _People, plan: _Plan
) -> None:
    c = ITEM.c
    rows = session.execute(
        sa.select(
            c.id,
            c.index_no,
            c.generated_on,
            c.changed_on,
            c.published_on,
            c.owner_id,
            c.attribute,
            c.withdrawn_on,
        )  # fmt: skip
        .where(
            in_office(session, ITEM),
            c.attribute == "proactive",
            c.withdrawn_on.is_(None),  # withdrawn from publication: nothing to publish any more
            sa.or_(c.published_on.is_(None), c.changed_on > c.published_on),
        )
        .order_by(c.id)
    ).all()
    cfg = settings.reminders
    workday = calendar.is_workday(as_of)

    def late_days(due: date) -> int:
        return calendar.workdays_until(due, as_of)

    for r in rows:
        changed = r.published_on is not None
        due = publication_due(r, calendar)  # the one Art. 26 reading (items, catalogue, review share it)
        if due is None:
            continue
        owner = people.handler(r.owner_id)
        what = "变更后的信息公开" if changed else "主动公开"
        if as_of > due:
            if cfg.overdue_every_working_day and not workday:
                continue
            stamp = as_of.isoformat() if cfg.overdue_every_working_day else f"due{due.isoformat()}"
            late = f"{r.index_no}：{what}期限 {fmt_day(due)} 已过 {late_days(due)} 个工作日"
            plan.add(
                f"item:{r.id}:overdue:{stamp}",
                owner,
                "item",
                r.index_no,
                due,
                0,
                f"{late}，请立即公开（第二十六条）",
            )
            plan.add(
                f"item:{r.id}:escalation:{stamp}",
                people.escalate(owner),
                "item",
                r.index_no,
                due,
                0,
                f"{late}（负责人：{people.name(r.owner_id)}），请督办（第二十六条）",
                escalation=True,
            )
            continue
        left = calendar.workdays_until(as_of, due)
        rung = ladder_rung(left, cfg.item_publication_ladder)
        if rung is None:
            continue
        when = f"还有 {left} 个工作日" if left > 0 else "今天到期"
        plan.add(
            f"item:{r.id}:publish:{rung}:{due.isoformat()}",
            owner,
            "item",
            r.index_no,
            due,
            _urgency(left),
            f"{r.index_no}：须在 {fmt_day(due)} 前{'公开变更后的信息' if changed else '主动公开'}（形成或变更之日起 "
            f"{ITEM_PUBLICATION_DAYS} 个工作日内，第二十六条），{when}",
        )


# -- content-review tasks left undone (issue 6) ------------------------------------------------------


def _plan_review_tasks(
    session: Session, settings: Settings, calendar: WorkCalendar, as_of: date, people: _People, plan: _Plan
) -> None:
    """Review tasks past their day without a recorded outcome: the owner every working day, escalated
    like an overdue application (urgent ones also to the administrators). The weekly review itself
    announces new and open tasks; this is what keeps a forgotten one from going quiet."""
    t, i = REVIEW_TASK.c, ITEM.c
    rows = session.execute(
        sa.select(t.id, t.kind, t.owner_id, t.urgent, t.due_on, t.column_name, i.index_no)
        .select_from(REVIEW_TASK.outerjoin(ITEM, i.id == t.item_id))
        .where(in_office(session, REVIEW_TASK), t.status == "open", t.due_on < as_of)
        .order_by(t.id)
    ).all()
    if not rows:
        return
    every_day = settings.reminders.overdue_every_working_day
    if every_day and not calendar.is_workday(as_of):
        return
    default_owner = settings.review_owner.id
    for r in rows:
        ref = r.index_no or r.column_name or ""
        owner = (r.owner_id,) if r.owner_id in people.configured else (default_owner,)
        if r.urgent:
            owner = tuple(dict.fromkeys((*owner, *people.administrators)))
        stamp = as_of.isoformat() if every_day else "once"
        late = calendar.workdays_until(r.due_on, as_of)
        what = (f"{ref}：检查任务 #{r.id}（{REVIEW_KINDS.get(r.kind, r.kind)}）应于 {fmt_day(r.due_on)} 前登记"
                f"处理结果，已超过 {late} 个工作日")  # fmt: skip
        plan.add(
            f"review:{r.id}:overdue:{stamp}",
            owner,
            "review_overdue",
            ref,
            r.due_on,
            0,
            f"{what}，请处理后登记" + ("" if settings.desk.base_url else f"（gongkai review record {r.id}）"),
        )
        plan.add(
            f"review:{r.id}:escalation:{stamp}",
            people.escalate(owner),
            "review_overdue",
            ref,
            r.due_on,
            0,
            f"{what}（负责人：{people.name(owner[0])}），请督办",
            escalation=True,
        )


__all__ = ["ladder_rung", "plan_reminders"]
