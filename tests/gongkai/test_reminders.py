"""Which reminders are due on a business date (gongkai.reminders.plan), on real databases.

Applications are registered through the register (so their cached clocks are the real ones); the
expected dates are worked out from the 2025 State Council schedule (no holiday in March 2025; 4-6
April is Qingming). The main case is an application received Monday 3 March 2025 in person:

* correction notice due Wed 12 March (7 WD), safe reply date Fri 28 March, legal date Mon 31 March
  (20 WD), extension limit Mon 28 April (40 WD);
* working days left before 28 March: 11 on the 13th, 10 on the 14th, 5 on the 21st, 2 on the 26th,
  1 on the 27th, 0 on the 28th (and on Saturday the 29th), -1 on Monday the 31st.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gongkai.core.dates import fmt_day
from gongkai.core.messages import KINDS, PlannedReminder
from gongkai.core.settings import Settings, load_settings
from gongkai.register import repository as register
from gongkai.register.deadlines import Event, make_event
from gongkai.register.workcal import validate_year_entries
from gongkai.reminders.plan import ladder_rung, plan_reminders
from gongkai.store.db import open_database
from gongkai.store.models import ProactiveItem
from gongkai.store.tables import APP, EV
from tests.offices import FIRST_OFFICE, office_session

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gongkai.toml"
NAME, PHONE, ID_NUMBER = "张小明", "13800138000", "110101199003077777"
CONTENT = "请求公开张小明家庭的低保审批材料"


def D(s: str) -> date:
    return date.fromisoformat(s)


@pytest.fixture(scope="module")
def settings() -> Settings:
    # The shipped configuration: wang (handler, administrator), li (handler), zhao (unit head).
    return load_settings(CONFIG)


def with_reminders(settings: Settings, **update: Any) -> Settings:
    return settings.model_copy(update={"reminders": settings.reminders.model_copy(update=update)})


@pytest.fixture
def engine(db_url: str, settings: Settings) -> Iterator[Engine]:
    eng = open_database(db_url)
    with office_session(eng) as s:
        register.sync_staff(s, [(p.id, p.name, p.role) for p in settings.staff])
    try:
        yield eng
    finally:
        eng.dispose()


def add(
    engine: Engine,
    ref: str,
    *events: Event,
    received: str = "2025-03-03",
    assignee: str | None = "li",
) -> int:
    """Register an application (with its events) as it was on the day of its last event."""
    as_of = max([D(received), *(e.on for e in events)])
    with office_session(engine) as s:
        app, _clock = register.add_application(
            s,
            register.NewApplication(
                ref=ref,
                received_on=D(received),
                applicant_type="natural_person",
                applicant_name=NAME,
                applicant_contact=PHONE,
                applicant_id_number=ID_NUMBER,
                content=CONTENT,
                channel="in_person",
                assignee_id=assignee,
            ),
            calendar=register.load_calendar(s),
            as_of=as_of,
            recorded_by="wang",
            events=events,
        )
        assert app.id is not None
        return app.id


def record(engine: Engine, ref: str, event: Event) -> None:
    with office_session(engine) as s:
        register.record_event(
            s, ref, event, calendar=register.load_calendar(s), as_of=event.on, recorded_by="wang"
        )


def ev(kind: str, on: str, **kw: Any) -> Event:
    return make_event(kind, D(on), **kw)


def plan(engine: Engine, settings: Settings, as_of: str) -> list[PlannedReminder]:
    with office_session(engine) as s:
        return plan_reminders(s, settings=settings, calendar=register.load_calendar(s), as_of=D(as_of))


def of_kind(planned: Sequence[PlannedReminder], kind: str) -> list[PlannedReminder]:
    return [p for p in planned if p.kind == kind]


def one(planned: Sequence[PlannedReminder], kind: str) -> PlannedReminder:
    found = of_kind(planned, kind)
    assert len(found) == 1, [p.key for p in planned]
    return found[0]


def import_2027(engine: Engine, entries: Sequence[tuple[str, str]], *, as_of: str) -> None:
    with office_session(engine) as s:
        schedule = validate_year_entries(2027, [(D(d), kind, "测试") for d, kind in entries])
        register.import_calendar_years(s, [schedule], by="wang", source="测试通知", as_of=D(as_of))


# -- pure helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "rung"),
    [(11, None), (10, 10), (6, 10), (5, 5), (4, 5), (3, 3), (2, 3), (1, 1), (0, 0), (-3, 0)],
)
def test_ladder_rung_is_the_smallest_rung_reached(left: int, rung: int | None) -> None:
    assert ladder_rung(left, (10, 5, 3, 1, 0)) == rung


def test_ladder_without_a_zero_rung() -> None:
    assert ladder_rung(0, (10, 5)) == 5
    assert ladder_rung(6, (10, 5)) == 10


def test_fmt_day() -> None:
    assert fmt_day(D("2025-02-27")) == "2025-02-27（星期四）"
    assert fmt_day(D("2025-03-30")) == "2025-03-30（星期日）"


# -- reply ladder -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "rung", "phrase"),
    [
        ("2025-03-14", 10, "还有 10 个工作日，请最迟于 2025-03-28（星期五） 答复"),
        ("2025-03-21", 5, "还有 5 个工作日"),
        ("2025-03-26", 3, "还有 2 个工作日"),  # catch-up: 5 and 3 both crossed since the 21st
        ("2025-03-27", 1, "还有 1 个工作日"),
        ("2025-03-28", 0, "今天 2025-03-28（星期五） 是答复期限，请今日答复；法定期限 2025-03-31（星期一）"),
        ("2025-03-29", 0, "已过从严掌握的答复日 2025-03-28（星期五）"),  # Saturday
        ("2025-03-31", 0, "法定期限 2025-03-31（星期一）"),
    ],
)
def test_reply_ladder(engine: Engine, settings: Settings, as_of: str, rung: int, phrase: str) -> None:
    app_id = add(engine, "2025-0001")
    reply = one(plan(engine, settings, as_of), "reply")
    assert reply.key == f"app:{app_id}:reply:{rung}:v1"
    assert reply.recipients == ("li",)
    assert (reply.ref, reply.deadline, reply.escalation) == ("2025-0001", D("2025-03-28"), False)
    assert phrase in reply.text and reply.text.startswith("2025-0001")
    assert "暂定" not in reply.text


def test_reply_ladder_not_before_the_first_rung(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    assert of_kind(plan(engine, settings, "2025-03-13"), "reply") == []  # 11 working days left


def test_catch_up_plans_only_the_most_urgent_crossed_rung(engine: Engine, settings: Settings) -> None:
    # Server off from the 13th: on the 26th (2 WD left) rungs 10, 5 and 3 have all been crossed.
    app_id = add(engine, "2025-0001")
    planned = plan(engine, settings, "2025-03-26")
    assert [p.key for p in of_kind(planned, "reply")] == [f"app:{app_id}:reply:3:v1"]


def test_unassigned_application_goes_to_every_handler(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", assignee=None)
    assert one(plan(engine, settings, "2025-03-14"), "reply").recipients == ("wang", "li")


def test_assignee_no_longer_configured_goes_to_handlers(engine: Engine, settings: Settings) -> None:
    with office_session(engine) as s:
        register.sync_staff(
            s, [*((p.id, p.name, p.role) for p in settings.staff), ("sun", "孙伟", ["handler"])]
        )
    add(engine, "2025-0001", assignee="sun")
    # "sun" is in the database but not in the configuration: no channel, so the handlers are told.
    assert one(plan(engine, settings, "2025-03-14"), "reply").recipients == ("wang", "li")


def test_no_reply_ladder_while_awaiting_correction(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", ev("correction_requested", "2025-03-05"))
    for day in ("2025-03-28", "2025-04-10"):
        planned = plan(engine, settings, day)
        assert of_kind(planned, "reply") == [] and of_kind(planned, "overdue") == []
        assert of_kind(planned, "extension") == []


def test_concluded_application_gets_nothing(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", ev("replied", "2025-03-20", outcome="3.1"))
    add(engine, "2025-0002", ev("withdrawn", "2025-03-04"))
    for day in ("2025-03-26", "2025-04-02"):
        assert plan(engine, settings, day) == []


def test_paused_application_still_gets_the_ladder(engine: Engine, settings: Settings) -> None:
    # Consultation sent on the 24th (4 WD left) and still open on the 26th: the state is paused.
    app_id = add(engine, "2025-0001", ev("consultation_sent", "2025-03-24"))
    planned = plan(engine, settings, "2025-03-26")
    reply = one(planned, "reply")
    assert reply.key == f"app:{app_id}:reply:3:v1"
    assert "暂停计时中" in reply.text
    assert of_kind(planned, "extension") == []  # asked again when the clock runs


def test_provisional_deadline_has_a_note_in_the_ladder(engine: Engine, settings: Settings) -> None:
    # Received 14 Dec 2026: the 20 WD run into 2027, whose schedule is not announced.
    add(engine, "2026-0100", received="2026-12-14")
    reply = one(plan(engine, settings, "2026-12-30"), "reply")
    assert reply.deadline == D("2027-01-11")
    assert reply.text.endswith("（暂定：2027年放假安排尚未录入）")
    assert of_kind(plan(engine, settings, "2026-12-30"), "provisional") == []  # a note, not a reminder


def test_announced_deadline_has_no_provisional_note(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    assert "暂定" not in one(plan(engine, settings, "2025-03-14"), "reply").text


# -- overdue and escalation -------------------------------------------------------------------


def test_overdue_every_working_day_with_escalation(engine: Engine, settings: Settings) -> None:
    app_id = add(engine, "2025-0001")
    planned = plan(engine, settings, "2025-04-01")  # Tuesday, the day after the legal date
    assert of_kind(planned, "reply") == []
    overdue, escalation = one(planned, "overdue"), one(planned, "escalation")
    assert (overdue.key, overdue.recipients, overdue.urgency) == (
        f"app:{app_id}:overdue:2025-04-01",
        ("li",),
        0,
    )
    assert "已超过答复期限 2025-03-31（星期一） 1 个工作日" in overdue.text
    assert escalation.key == f"app:{app_id}:escalation:2025-04-01"
    assert escalation.recipients == ("wang", "zhao") and escalation.escalation and escalation.urgency == 0
    assert "承办人：李强" in escalation.text
    assert planned[:2] == sorted([overdue, escalation], key=lambda p: p.key)  # most urgent first
    # The next working day: new keys (one reminder per working day).
    assert one(plan(engine, settings, "2025-04-02"), "overdue").key == f"app:{app_id}:overdue:2025-04-02"


def test_escalation_skips_who_already_gets_the_reminder(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", assignee="wang")  # wang is also the administrator
    assert one(plan(engine, settings, "2025-04-01"), "escalation").recipients == ("zhao",)


def test_no_daily_overdue_on_a_non_working_day(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    planned = plan(engine, settings, "2025-04-05")  # Saturday in the Qingming break
    assert of_kind(planned, "overdue") == [] and of_kind(planned, "escalation") == []
    assert of_kind(planned, "reply") == []


def test_not_overdue_on_the_legal_date(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    planned = plan(engine, settings, "2025-03-31")
    assert of_kind(planned, "overdue") == [] and of_kind(planned, "escalation") == []


def test_overdue_once_when_configured(engine: Engine, settings: Settings) -> None:
    app_id = add(engine, "2025-0001")
    once = with_reminders(settings, overdue_every_working_day=False)
    for day in ("2025-04-01", "2025-04-05", "2025-04-08"):
        planned = plan(engine, once, day)
        assert one(planned, "overdue").key == f"app:{app_id}:overdue:v1"
        assert one(planned, "escalation").key == f"app:{app_id}:escalation:v1"


# -- extension decision -------------------------------------------------------------------------


def test_extension_decision_to_the_unit_head(engine: Engine, settings: Settings) -> None:
    app_id = add(engine, "2025-0001")
    ext = one(plan(engine, settings, "2025-03-26"), "extension")  # 3 WD before 31 March
    assert ext.key == f"app:{app_id}:extension:2025-03-31"
    assert ext.recipients == ("zhao",)
    assert ext.deadline == D("2025-03-31")
    assert "请决定是否延期" in ext.text
    assert "2025-03-31（星期一）" in ext.text and "最长可延至 2025-04-28（星期一）" in ext.text
    # It names the event to record once approved (the footer's generic "gongkai request event 编号 …" does not).
    assert "gongkai request event 2025-0001 extension_approved:批准日期" in ext.text
    assert "extension_approved:批准日期:工作日数" in ext.text
    # Same key on every day of the window (the outbox sends it once).
    assert one(plan(engine, settings, "2025-03-31"), "extension").key == ext.key


@pytest.mark.parametrize("as_of", ["2025-03-25", "2025-04-01"])
def test_no_extension_decision_outside_the_window(engine: Engine, settings: Settings, as_of: str) -> None:
    add(engine, "2025-0001")
    assert of_kind(plan(engine, settings, as_of), "extension") == []


def test_extension_window_follows_the_setting(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    assert of_kind(
        plan(engine, with_reminders(settings, extension_decision_days=4), "2025-03-25"), "extension"
    )


@pytest.mark.parametrize(
    "event",
    [
        ev("extension_approved", "2025-03-20", days=10),
        ev("delayed_reply_set", "2025-03-20", until=D("2025-05-30")),
    ],
)
def test_no_extension_decision_once_decided(engine: Engine, settings: Settings, event: Event) -> None:
    add(engine, "2025-0001", event)
    assert of_kind(plan(engine, settings, "2025-03-26"), "extension") == []


# -- correction ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2025-03-11", "2025-03-12"])
def test_correction_notice_deadline(engine: Engine, settings: Settings, as_of: str) -> None:
    app_id = add(engine, "2025-0001")
    notice = one(plan(engine, settings, as_of), "correction_notice")
    assert notice.key == f"app:{app_id}:correction_notice:2025-03-12"
    assert notice.recipients == ("li",)
    assert "须在 2025-03-12（星期三） 前一次性告知补正（第三十条）" in notice.text


@pytest.mark.parametrize("as_of", ["2025-03-10", "2025-03-13"])
def test_no_correction_notice_outside_its_last_day(engine: Engine, settings: Settings, as_of: str) -> None:
    add(engine, "2025-0001")
    assert of_kind(plan(engine, settings, as_of), "correction_notice") == []


def test_no_correction_notice_once_requested(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", ev("correction_requested", "2025-03-05"))
    assert of_kind(plan(engine, settings, "2025-03-11"), "correction_notice") == []


def test_correction_period_expired(engine: Engine, settings: Settings) -> None:
    # 5 WD from 5 March: the correction period ends on 12 March.
    app_id = add(engine, "2025-0001", ev("correction_requested", "2025-03-05", days=5))
    assert of_kind(plan(engine, settings, "2025-03-12"), "correction_expired") == []
    expired = one(plan(engine, settings, "2025-03-13"), "correction_expired")
    assert expired.key == f"app:{app_id}:correction_expired:2025-03-12"
    assert "视为放弃" in expired.text and "3.6.1" in expired.text
    assert one(plan(engine, settings, "2025-04-20"), "correction_expired").key == expired.key


def test_no_correction_expired_after_the_correction_arrived(engine: Engine, settings: Settings) -> None:
    add(
        engine,
        "2025-0001",
        ev("correction_requested", "2025-03-05", days=5),
        ev("correction_received", "2025-03-11"),
    )
    assert of_kind(plan(engine, settings, "2025-03-13"), "correction_expired") == []


def test_no_correction_expired_without_a_period(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", ev("correction_requested", "2025-03-05"))
    assert of_kind(plan(engine, settings, "2025-04-13"), "correction_expired") == []


# -- consultation and fee ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "phrase"),
    [
        ("2025-03-28", "即将届满"),
        ("2025-03-31", "今天 2025-03-31（星期一） 届满"),
        ("2025-04-01", "被征求意见方逾期未答复，依法由本机关决定（第三十二条）"),
    ],
)
def test_consultation_window(engine: Engine, settings: Settings, as_of: str, phrase: str) -> None:
    # 15 WD from 10 March: the third party has until 31 March.
    app_id = add(engine, "2025-0001", ev("consultation_sent", "2025-03-10"))
    reminder = one(plan(engine, settings, as_of), "consultation")
    assert reminder.key == f"app:{app_id}:consultation:2025-03-31"
    assert (reminder.recipients, reminder.deadline) == (("li",), D("2025-03-31"))
    assert phrase in reminder.text


def test_no_consultation_reminder_early_or_once_answered(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", ev("consultation_sent", "2025-03-10"))
    assert of_kind(plan(engine, settings, "2025-03-27"), "consultation") == []
    record(engine, "2025-0001", ev("consultation_replied", "2025-03-27"))
    assert of_kind(plan(engine, settings, "2025-04-01"), "consultation") == []


def test_fee_window(engine: Engine, settings: Settings) -> None:
    # 20 WD from 10 March, over the Qingming break: 8 April.
    app_id = add(engine, "2025-0001", ev("fee_notice_sent", "2025-03-10"))
    assert of_kind(plan(engine, settings, "2025-04-07"), "fee") == []
    for day in ("2025-04-08", "2025-04-15"):
        fee = one(plan(engine, settings, day), "fee")
        assert fee.key == f"app:{app_id}:fee:2025-04-08"
        assert "核实申请人收到通知的日期" in fee.text and "3.6.2" in fee.text


def test_no_fee_reminder_once_paid(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001", ev("fee_notice_sent", "2025-03-10"), ev("fee_paid", "2025-03-20"))
    assert of_kind(plan(engine, settings, "2025-04-09"), "fee") == []


# -- deadlines moved by a calendar import --------------------------------------------------------


def test_deadline_moved_earlier_alerts_handler_and_escalates(engine: Engine, settings: Settings) -> None:
    # Received 14 Dec 2026, provisional due 12 Jan 2027. A make-up working Saturday 2 January
    # moves it one working day earlier.
    app_id = add(engine, "2026-0100", received="2026-12-14")
    before = plan(engine, settings, "2026-12-30")
    assert one(before, "reply").key == f"app:{app_id}:reply:10:v1"
    import_2027(engine, [("2027-01-01", "off"), ("2027-01-02", "makeup_workday")], as_of="2026-12-21")
    after = plan(engine, settings, "2026-12-30")
    moved = [p for p in of_kind(after, "deadline_moved") if not p.escalation]
    escalated = [p for p in of_kind(after, "deadline_moved") if p.escalation]
    assert len(moved) == 1 and len(escalated) == 1
    assert moved[0].key.startswith("change:") and escalated[0].key == moved[0].key + ":escalation"
    assert moved[0].recipients == ("li",) and escalated[0].recipients == ("wang", "zhao")
    assert (
        "2026-0100 的答复期限因节假日安排调整由 2027-01-12（星期二） 改为 2027-01-11（星期一）"
        in moved[0].text
    )
    # The moved deadline reminds afresh (clock_version 2) and is no longer provisional.
    reply = one(after, "reply")
    assert reply.key == f"app:{app_id}:reply:10:v2" and "暂定" not in reply.text


def test_deadline_moved_later_is_not_escalated(engine: Engine, settings: Settings) -> None:
    add(engine, "2026-0100", received="2026-12-14")
    import_2027(engine, [("2027-01-01", "off"), ("2027-01-04", "off")], as_of="2026-12-21")
    moved = of_kind(plan(engine, settings, "2026-12-30"), "deadline_moved")
    assert [p.escalation for p in moved] == [False]
    assert "由 2027-01-12（星期二） 改为 2027-01-13（星期三）" in moved[0].text


def test_no_deadline_moved_without_a_change_or_once_concluded(engine: Engine, settings: Settings) -> None:
    add(engine, "2026-0100", received="2026-12-14")
    assert of_kind(plan(engine, settings, "2026-12-21"), "deadline_moved") == []
    import_2027(engine, [("2027-01-01", "off"), ("2027-01-02", "makeup_workday")], as_of="2026-12-21")
    record(engine, "2026-0100", ev("replied", "2026-12-22", outcome="3.1"))
    assert plan(engine, settings, "2026-12-23") == []


# -- the holiday schedule ---------------------------------------------------------------------------


def test_calendar_missing_from_december(engine: Engine, settings: Settings) -> None:
    add(engine, "2026-0100", received="2026-12-07")  # due in January 2027: provisional
    add(engine, "2026-0050", received="2026-11-02")  # due within 2026
    first = one(plan(engine, settings, "2026-12-07"), "calendar_missing")
    assert first.key == "calendar:2027:2026-W50"
    assert first.recipients == ("wang",) and first.ref is None
    assert first.text == "请导入2027年放假安排（gongkai calendar import），1 件申请的期限为暂定"
    assert one(plan(engine, settings, "2026-12-11"), "calendar_missing").key == first.key  # same week
    assert one(plan(engine, settings, "2026-12-14"), "calendar_missing").key == "calendar:2027:2026-W51"


def test_calendar_missing_follows_the_setting(engine: Engine, settings: Settings) -> None:
    assert of_kind(plan(engine, settings, "2026-11-30"), "calendar_missing") == []
    early = with_reminders(settings, calendar_missing_from="11-15")
    assert one(plan(engine, early, "2026-11-30"), "calendar_missing").key == "calendar:2027:2026-W49"


def test_no_calendar_reminder_once_imported(engine: Engine, settings: Settings) -> None:
    import_2027(engine, [("2027-01-01", "off")], as_of="2026-12-01")
    assert of_kind(plan(engine, settings, "2026-12-07"), "calendar_missing") == []


def test_calendar_missing_for_the_current_year(engine: Engine, settings: Settings) -> None:
    # A server started late: in March 2027 the 2027 schedule is still missing.
    found = of_kind(plan(engine, settings, "2027-03-01"), "calendar_missing")
    assert [p.key for p in found] == ["calendar:2027:2027-W09"]


# -- proactive disclosure (Art. 26) ------------------------------------------------------------------


def add_item(engine: Engine, index_no: str, generated: str, **kw: Any) -> int:
    with office_session(engine) as s:
        item = ProactiveItem(
            index_no=index_no,
            title="嘉祥街道2025年财政预算",
            generated_on=D(generated),
            category="财政预算决算",
            owner_id=kw.pop("owner_id", "li"),
            **kw,
        )
        s.add(item)
        s.flush()
        assert item.id is not None
        return item.id


@pytest.mark.parametrize(("as_of", "rung"), [("2025-03-24", 5), ("2025-03-27", 3), ("2025-03-31", 0)])
def test_item_publication_ladder(engine: Engine, settings: Settings, as_of: str, rung: int) -> None:
    # Formed 3 March: to be published by 31 March (20 WD).
    item_id = add_item(engine, "JX-2025-0001", "2025-03-03")
    item = one(plan(engine, settings, as_of), "item")
    assert item.key == f"item:{item_id}:publish:{rung}:2025-03-31"
    assert (item.ref, item.recipients, item.deadline) == ("JX-2025-0001", ("li",), D("2025-03-31"))
    assert "2025-03-31（星期一）" in item.text and "第二十六条" in item.text
    assert "财政预算" not in item.text  # the title is not in the message


def test_item_not_before_the_first_rung_nor_when_published(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-2025-0001", "2025-03-03")
    add_item(engine, "JX-2025-0002", "2025-03-03", published_on=D("2025-03-20"))
    add_item(engine, "JX-2025-0003", "2025-03-03", attribute="on_request")
    assert of_kind(plan(engine, settings, "2025-03-21"), "item") == []
    assert [p.ref for p in of_kind(plan(engine, settings, "2025-03-24"), "item")] == ["JX-2025-0001"]


def test_item_overdue_daily_with_escalation(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-2025-0001", "2025-03-03", owner_id=None)
    planned = of_kind(plan(engine, settings, "2025-04-01"), "item")
    by_key = {p.key: p for p in planned}
    assert set(by_key) == {f"item:{item_id}:overdue:2025-04-01", f"item:{item_id}:escalation:2025-04-01"}
    assert by_key[f"item:{item_id}:overdue:2025-04-01"].recipients == ("wang", "li")  # no owner: handlers
    assert by_key[f"item:{item_id}:escalation:2025-04-01"].recipients == ("zhao",)
    assert by_key[f"item:{item_id}:escalation:2025-04-01"].escalation
    assert all(p.urgency == 0 for p in planned)
    assert of_kind(plan(engine, settings, "2025-04-05"), "item") == []  # Saturday


def test_item_changed_after_publication_is_reminded_again(engine: Engine, settings: Settings) -> None:
    # Published 20 March, changed 10 April: the change is due 20 WD later, 12 May (over May Day).
    item_id = add_item(
        engine, "JX-2025-0001", "2025-03-03", published_on=D("2025-03-20"), changed_on=D("2025-04-10")
    )
    assert of_kind(plan(engine, settings, "2025-04-29"), "item") == []  # 6 WD left
    item = one(plan(engine, settings, "2025-04-30"), "item")  # 5 WD left: 1-5 May are off
    assert item.key == f"item:{item_id}:publish:5:2025-05-12"
    assert "变更后的信息" in item.text


# -- robustness, identity, privacy, order ---------------------------------------------------------


def test_inconsistent_events_give_a_clock_error_not_a_failed_run(engine: Engine, settings: Settings) -> None:
    app_id = add(engine, "2025-0001")
    add(engine, "2025-0002")
    # An extension recorded after the original deadline (as a calendar change could make it).
    with office_session(engine) as s:
        s.execute(
            sa.insert(EV).values(
                office_id=FIRST_OFFICE,
                application_id=app_id,
                kind="extension_approved",
                occurred_on=D("2025-04-02"),
                recorded_at=datetime.now(UTC),
                recorded_by="wang",
            )
        )
    planned = plan(engine, settings, "2025-04-03")
    error = one(planned, "clock_error")
    assert (error.key, error.recipients, error.ref) == (
        f"app:{app_id}:clock_error:v1",
        ("wang",),
        "2025-0001",
    )
    assert any(p.ref == "2025-0002" and p.kind == "overdue" for p in planned)


def test_same_state_gives_the_same_plan(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    add(engine, "2025-0002", ev("consultation_sent", "2025-03-10"))
    add_item(engine, "JX-2025-0001", "2025-03-03")
    first = plan(engine, settings, "2025-03-28")
    assert first and first == plan(engine, settings, "2025-03-28")
    assert len({p.key for p in first}) == len(first)


def test_order_is_urgency_then_deadline_then_ref(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0003", received="2025-02-17")  # overdue by 27 March
    add(engine, "2025-0002", received="2025-03-03")
    add(engine, "2025-0001", received="2025-03-03")
    add(engine, "2025-0004", received="2025-03-10")
    planned = plan(engine, settings, "2025-03-27")
    sort_key = [(p.urgency, p.deadline or date.max, p.ref or "") for p in planned]
    assert sort_key == sorted(sort_key)
    assert planned[0].urgency == 0 and planned[0].ref == "2025-0003"
    replies = [p.ref for p in of_kind(planned, "reply")]
    assert replies == ["2025-0001", "2025-0002", "2025-0004"]


def test_every_kind_is_known_and_no_personal_data_in_any_text(engine: Engine, settings: Settings) -> None:
    add(engine, "2025-0001")
    add(engine, "2025-0002", assignee=None)
    add(engine, "2025-0003", ev("consultation_sent", "2025-03-10"))
    add(engine, "2025-0004", ev("fee_notice_sent", "2025-03-10"))
    add(engine, "2025-0005", ev("correction_requested", "2025-03-05", days=5))
    add(engine, "2025-0006", received="2025-03-25")
    add(engine, "2026-0100", received="2026-12-14")
    add_item(engine, "JX-2025-0001", "2025-03-03")
    seen: set[str] = set()
    for day in ("2025-03-11", "2025-03-26", "2025-03-28", "2025-04-01", "2025-04-08", "2026-12-30"):
        for p in plan(engine, settings, day):
            seen.add(p.kind)
            assert p.kind in KINDS
            assert "\n" not in p.text
            for private in (NAME, PHONE, ID_NUMBER, CONTENT, "低保"):
                assert private not in p.text and private not in p.key
    assert {
        "reply",
        "overdue",
        "escalation",
        "extension",
        "correction_notice",
        "correction_expired",
        "consultation",
        "fee",
        "calendar_missing",
        "item",
    } <= seen


# -- scale ---------------------------------------------------------------------------------------------


def bulk_register(engine: Engine, n: int, *, seed: int = 3) -> None:
    """``n`` open applications received over the last 60 days before 2 June 2025, a fifth with events,
    written with Core bulk inserts (as the importer does)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    apps: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        received = D("2025-06-02") - timedelta(days=rng.randrange(60))
        apps.append(
            {
                "id": i,
                "ref": f"B-{i:06d}",
                "received_on": received,
                "arrived_at": None,
                "channel": "online",
                "applicant_type": "natural_person",
                "applicant_name": NAME,
                "applicant_contact": PHONE,
                "applicant_id_number": None,
                "content": CONTENT,
                "assignee_id": rng.choice(["wang", "li", None]),
                "outcome_row": None,
                "outcome_note": None,
                "concluded_on": None,
                "state": "in_progress",
                "provisional": False,
                "clock_version": 1,
                "source": "import",
                "created_at": now,
                "updated_at": now,
            }
        )
        if i % 5 == 0:
            kind = rng.choice(["consultation_sent", "fee_notice_sent", "correction_requested"])
            events.append(
                {
                    "application_id": i,
                    "kind": kind,
                    "occurred_on": received + timedelta(days=2),
                    "days": None,
                    "until": None,
                    "outcome_row": None,
                    "note": None,
                    "recorded_at": now,
                    "recorded_by": "bench",
                }
            )
    with office_session(engine) as s:
        for table, rows in ((APP, apps), (EV, events)):
            for k in range(0, len(rows), 2000):
                s.execute(sa.insert(table), [{**r, "office_id": FIRST_OFFICE} for r in rows[k : k + 2000]])


def test_plans_5000_open_applications_quickly_in_a_constant_number_of_queries(
    sqlite_url: str, settings: Settings
) -> None:
    engine = open_database(sqlite_url)
    try:
        with office_session(engine) as s:
            register.sync_staff(s, [(p.id, p.name, p.role) for p in settings.staff])
        bulk_register(engine, 5000)
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(str(args[2]))

        with office_session(engine) as s:
            calendar = register.load_calendar(s)
            sa.event.listen(engine, "before_cursor_execute", count)
            start = time.perf_counter()
            planned = plan_reminders(s, settings=settings, calendar=calendar, as_of=D("2025-06-03"))
            elapsed = time.perf_counter() - start
            sa.event.remove(engine, "before_cursor_execute", count)
        assert elapsed < 3.0, f"{elapsed:.2f} s"
        assert len(statements) <= 5, statements  # applications, events, deadline changes, items
        assert len(planned) > 1000
    finally:
        engine.dispose()
