"""The service's retry watcher (``flows.serve.retries_due``), with the time injected: a reminder run killed
mid-send at 08:31 is made good the same morning, once its lease has run out; a period whose run crashed
before recording anything is run again, a few times only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gongkai.core.settings import Settings, load_settings
from gongkai.store.db import open_database
from tests.flows.test_reminders_flow import AS_OF, office  # noqa: F401 - the fixture
from tests.offices import office_session
from tests.servers import SmtpSink

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int, second: int = 0) -> datetime:
    """A moment of the business day AS_OF (a Friday), office time, as UTC."""
    return datetime(AS_OF.year, AS_OF.month, AS_OF.day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def _only_reminders_open() -> None:
    """Every other scheduled process is done far ahead: the test looks at the reminders alone."""
    from gongkai.store.schedule import PROCESSES, record_completed

    engine = open_database()
    try:
        with office_session(engine) as session:
            for process in PROCESSES:
                if process.name != "reminders":
                    record_completed(session, process.flow_name, "9999")
    finally:
        engine.dispose()


def _kill_one_send(claimed_at: datetime) -> int:
    from gongkai.store.models import ReminderOutbox, ScheduleProgress

    engine = open_database()
    try:
        with engine.begin() as conn:
            row_id = int(conn.execute(sa.select(sa.func.min(ReminderOutbox.id))).scalar_one())  # type: ignore[arg-type]
            conn.execute(
                sa.update(ReminderOutbox)
                .where(ReminderOutbox.id == row_id)  # type: ignore[arg-type]
                .values(status="sending", claim_token="killed", sent_at=None, claimed_at=claimed_at)
            )
            conn.execute(sa.delete(ScheduleProgress).where(ScheduleProgress.flow == "deadline-reminders"))  # type: ignore[arg-type]
        return row_id
    finally:
        engine.dispose()


def _cfg() -> Settings:
    return load_settings(None)


@pytest.mark.usefixtures("office")
def test_a_send_killed_at_0831_is_retried_when_its_lease_runs_out(smtp: SmtpSink) -> None:
    from gongkai.flows.reminders import deadline_reminders
    from gongkai.flows.serve import RetryState, retries_due

    assert deadline_reminders(as_of=AS_OF)["done"] is True
    _only_reminders_open()
    _kill_one_send(claimed_at=at(8, 31))
    cfg, state = _cfg(), dict[str, RetryState]()
    assert cfg.notifications.lease_minutes == 10

    assert retries_due(cfg, at(8, 32), state) == [], "inside the lease nothing is retried"
    assert retries_due(cfg, at(8, 40, 30), state) == []
    assert retries_due(cfg, at(8, 41, 30), state) == [("reminders", AS_OF)], (
        "the same morning, once the lease ran out"
    )
    assert retries_due(cfg, at(8, 43), state) == [], "not again within the retry gap"

    smtp.messages.clear()
    summary = deadline_reminders(as_of=AS_OF, scheduled=True)  # what the triggered run does
    assert summary["done"] is True and summary["possible_repeats"] == 1
    assert len(smtp.messages) == 1 and "可能重复" in smtp.messages[0].subject
    assert retries_due(cfg, at(8, 50), state) == []


@pytest.mark.usefixtures("office")
def test_a_period_whose_run_crashed_before_recording_is_rerun_a_few_times(smtp: SmtpSink) -> None:
    from gongkai.flows.serve import MAX_RERUNS, RetryState, retries_due

    _only_reminders_open()  # the reminders of AS_OF never ran: nothing owed, nothing recorded
    cfg, state = _cfg(), dict[str, RetryState]()
    assert retries_due(cfg, at(8, 50), state) == [], "the scheduled run (08:30) may still be running"
    assert retries_due(cfg, at(9, 1), state) == [("reminders", AS_OF)]
    assert retries_due(cfg, at(9, 20), state) == []
    moments = [at(9, 1) + timedelta(minutes=31 * n) for n in range(1, 12)]
    triggered = sum(len(retries_due(cfg, m, state)) for m in moments)
    assert triggered == MAX_RERUNS - 1, "a fault that persists is not retried forever"


@pytest.mark.usefixtures("office")
def test_each_interrupted_send_is_taken_up_when_its_own_lease_runs_out(smtp: SmtpSink) -> None:
    """Two runs killed two minutes apart (08:31 and 08:33): the retry for the first at 08:41 cannot take up the
    second (still leased); the second is taken up at 08:43, not five minutes later."""
    from gongkai.flows.reminders import deadline_reminders
    from gongkai.flows.serve import RetryState, retries_due

    from gongkai.store.models import ReminderOutbox

    assert deadline_reminders(as_of=AS_OF)["done"] is True
    _only_reminders_open()
    first = _kill_one_send(claimed_at=at(8, 31))
    engine = open_database()
    try:
        with engine.begin() as conn:
            second = int(conn.execute(sa.select(sa.func.max(ReminderOutbox.id))).scalar_one())  # type: ignore[arg-type]
            conn.execute(
                sa.update(ReminderOutbox)
                .where(ReminderOutbox.id == second)  # type: ignore[arg-type]
                .values(status="sending", claim_token="killed-too", sent_at=None, claimed_at=at(8, 33))
            )
        cfg, state = _cfg(), dict[str, RetryState]()
        assert retries_due(cfg, at(8, 41, 30), state) == [("reminders", AS_OF)]
        with engine.begin() as conn:  # what that run did: the first row delivered, the second still leased
            conn.execute(
                sa.update(ReminderOutbox)
                .where(ReminderOutbox.id == first)  # type: ignore[arg-type]
                .values(status="sent", sent_at=at(8, 41, 35))
            )
    finally:
        engine.dispose()
    assert retries_due(cfg, at(8, 42, 30), state) == []
    assert retries_due(cfg, at(8, 43, 30), state) == [("reminders", AS_OF)], (
        "as soon as the second lease ran out"
    )
    assert retries_due(cfg, at(8, 44), state) == []
