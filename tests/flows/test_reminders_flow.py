"""The deadline-reminders flow under Prefect's test harness, with the demo office, a real SQLite
database and a real SMTP server on loopback."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai.store.db import open_database
from tests.servers import SmtpSink

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 27)
PHONE = re.compile(r"1[3-9]\d{9}")
ID18 = re.compile(r"\d{17}[\dX]")


def _config(tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped configuration with every staff member notified by email on the loopback server."""
    text = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    for sid in ("wang", "li", "zhao"):
        text = re.sub(
            rf'(id = "{sid}"(?:.|\n)*?notify = )\[[^\]]*\][^\n]*',
            rf'\1["env:GONGKAI_NOTIFY_{sid.upper()}"]',
            text,
            count=1,
        )
        monkeypatch.setenv(f"GONGKAI_NOTIFY_{sid.upper()}", smtp.url(f"{sid}@example.com"))
    text = text.replace("retry_delays = [5, 30, 120]", "retry_delays = [0]")
    path = tmp_path / "gongkai.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GONGKAI_CONFIG", str(path))
    return path


@pytest.fixture
def office(tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo office in a fresh SQLite database, its staff notified on the loopback SMTP server."""
    from gongkai.cli.main import main

    _config(tmp_path, smtp, monkeypatch)
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{tmp_path}/gongkai.db")
    result = CliRunner().invoke(main, ["demo", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    return tmp_path


def _count(sql: str) -> int:
    engine = open_database()
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_flow_sends_one_digest_per_recipient_and_never_twice(office: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.reminders import deadline_reminders

    summary: dict[str, Any] = deadline_reminders(as_of=AS_OF)
    assert summary["due"] > 0 and summary["sent"] == summary["due"] and summary["failed"] == 0
    recipients = sorted({r for m in smtp.messages for r in m.to})
    assert recipients == ["li@example.com", "wang@example.com", "zhao@example.com"]
    assert len(smtp.messages) == 3  # one digest per recipient and channel
    for mail in smtp.messages:
        assert "政务公开" in mail.subject or "提醒" in mail.subject
        assert not PHONE.search(mail.subject) and not ID18.search(mail.subject)
        assert mail.html is not None and "<script>" not in mail.html
    # the whole body never carries applicants' names, phones or ID numbers
    engine = open_database()
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(sa.text("SELECT applicant_name FROM application"))]
    engine.dispose()
    for mail in smtp.messages:
        assert not PHONE.search(mail.text) and not ID18.search(mail.text)
        assert not any(name in mail.text for name in names)

    again = deadline_reminders(as_of=AS_OF)
    assert again["sent"] == 0 and again["already_sent"] == summary["due"]
    assert len(smtp.messages) == 3
    assert _count("SELECT count(*) FROM reminder_run") == 2


def test_flow_has_a_fixed_number_of_task_runs_and_an_artifact(office: Path, smtp: SmtpSink) -> None:
    import asyncio

    from gongkai.flows.reminders import deadline_reminders
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    state = deadline_reminders(as_of=AS_OF, return_state=True)
    flow_run_id = state.state_details.flow_run_id

    async def inspect() -> tuple[int, list[Any], str]:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["deadline-reminders"]))
            )
            flow_run = await client.read_flow_run(flow_run_id)
            return len(runs), artifacts, flow_run.name

    n_tasks, artifacts, name = asyncio.run(inspect())
    assert n_tasks == 3  # plan, send, record: not one per application
    assert name == f"deadline-reminders-{AS_OF.isoformat()}"
    assert artifacts and "期限提醒" in str(artifacts[0].data)


def test_scheduled_run_skips_a_day_already_done(office: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.reminders import deadline_reminders

    first = deadline_reminders(as_of=AS_OF, scheduled=True)
    assert first["sent"] > 0
    second = deadline_reminders(as_of=AS_OF, scheduled=True)
    assert second == {"as_of": AS_OF.isoformat(), "skipped": True}
    assert _count("SELECT count(*) FROM reminder_run") == 1


def test_run_command_prints_the_summary_as_json(office: Path, smtp: SmtpSink) -> None:
    from gongkai.cli.main import main

    result = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    for key in ("due", "sent", "failed", "already_sent"):
        assert key in summary
    assert summary["sent"] == summary["due"] > 0


def test_smtp_down_run_exits_1_and_keeps_reminders_queued(office: Path, smtp: SmtpSink) -> None:
    from gongkai.cli.main import main

    smtp.stop()
    result = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 1, result.output
    pending = _count("SELECT count(*) FROM reminder_outbox WHERE status = 'pending'")
    assert pending > 0
    smtp.start()
    result = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    assert _count("SELECT count(*) FROM reminder_outbox WHERE status = 'pending'") == 0


def _simulate_killed_send(claimed_minutes_ago: float) -> int:
    """One delivered reminder put back as a killed run leaves it: claimed ('sending'), never marked."""
    from datetime import UTC, datetime, timedelta

    from gongkai.store.models import ReminderOutbox, ScheduleProgress

    engine = open_database()
    try:
        with engine.begin() as conn:
            row_id = conn.execute(
                sa.select(sa.func.min(ReminderOutbox.id)).where(ReminderOutbox.status == "sent")  # type: ignore[arg-type]
            ).scalar_one()
            conn.execute(
                sa.update(ReminderOutbox)
                .where(ReminderOutbox.id == row_id)  # type: ignore[arg-type]
                .values(
                    status="sending",
                    claim_token="killed-run",
                    sent_at=None,
                    claimed_at=datetime.now(UTC) - timedelta(minutes=claimed_minutes_ago),
                )  # fmt: skip
            )
            conn.execute(sa.delete(ScheduleProgress))
        return int(row_id)
    finally:
        engine.dispose()


def test_interrupted_send_keeps_the_day_open_until_it_is_delivered(office: Path, smtp: SmtpSink) -> None:
    """Issue 10 #2: a re-run inside the lease reports the interrupted reminder, exits 1 and does not mark the
    day done; once the lease has run out the next run delivers it, labelled 可能重复, and then the day is done."""
    from gongkai.cli.main import main

    first = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert first.exit_code == 0, first.output
    row_id = _simulate_killed_send(claimed_minutes_ago=1)
    smtp.messages.clear()

    inside = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert inside.exit_code == 1, inside.output
    summary = json.loads(inside.stdout.strip().splitlines()[-1])
    assert (summary["outstanding"], summary["interrupted"], summary["done"]) == (1, 1, False)
    assert summary["retry_at"] is not None
    assert "未确认送达" in inside.stderr and "可能重复" in inside.stderr
    assert smtp.messages == []
    assert _count("SELECT count(*) FROM schedule_progress") == 0, (
        "the day is not done while a reminder is unconfirmed"
    )

    # The lease (10 minutes) has run out: the next run, whatever its date, delivers it once, labelled.
    _simulate_lease_expiry(row_id)
    after = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert after.exit_code == 0, after.output
    assert json.loads(after.stdout.strip().splitlines()[-1])["done"] is True
    assert len(smtp.messages) == 1 and "可能重复" in smtp.messages[0].subject
    assert _count(f"SELECT count(*) FROM reminder_outbox WHERE id = {row_id} AND status = 'sent'") == 1
    assert _count("SELECT count(*) FROM schedule_progress WHERE flow = 'deadline-reminders'") == 1


def _simulate_lease_expiry(row_id: int) -> None:
    from datetime import UTC, datetime, timedelta

    from gongkai.store.models import ReminderOutbox

    engine = open_database()
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(ReminderOutbox)
                .where(ReminderOutbox.id == row_id)  # type: ignore[arg-type]
                .values(claimed_at=datetime.now(UTC) - timedelta(minutes=11))
            )
    finally:
        engine.dispose()


def test_a_future_business_date_is_refused_before_anything_runs(office: Path, smtp: SmtpSink) -> None:
    """Issue 10 #3: `run … --as-of` after today (office time zone) sends nothing, records nothing, exit 2; the
    flows refuse it too (a run started from the Prefect UI)."""
    from datetime import timedelta

    from gongkai.flows.catalogue import catalogue_update
    from gongkai.flows.reminders import deadline_reminders
    from gongkai.flows.review import content_review

    from gongkai.cli.main import main
    from gongkai.core.clockseam import FutureBusinessDate, office_today

    tomorrow = office_today("Asia/Shanghai") + timedelta(days=1)
    runs_before = _count("SELECT count(*) FROM reminder_run")
    outbox_before = _count("SELECT count(*) FROM reminder_outbox")
    for process in ("reminders", "catalogue", "review"):
        for day in (tomorrow.isoformat(), "2099-01-01"):
            result = CliRunner().invoke(main, ["run", process, "--as-of", day, "--json"])
            assert result.exit_code == 2, (process, day, result.output)
            assert "晚于今天" in result.stderr and "Traceback" not in result.output
            assert result.stdout == ""
    for flow in (deadline_reminders, catalogue_update, content_review):
        with pytest.raises(FutureBusinessDate):
            flow(as_of=tomorrow)
    assert smtp.messages == []
    assert _count("SELECT count(*) FROM reminder_run") == runs_before
    assert _count("SELECT count(*) FROM reminder_outbox") == outbox_before
    assert _count("SELECT count(*) FROM schedule_progress") == 0
    assert _count("SELECT count(*) FROM catalogue_snapshot") == 0

    # Today is allowed, and the day is recorded as done up to today only.
    today = office_today("Asia/Shanghai")
    assert deadline_reminders(as_of=today, scheduled=True)["done"] is True
    engine = open_database()
    try:
        with engine.connect() as conn:
            period = conn.execute(sa.text("SELECT period FROM schedule_progress")).scalar_one()
    finally:
        engine.dispose()
    assert period == today.isoformat()


def test_recording_commands_refuse_a_future_as_of(office: Path) -> None:
    """Registering or recording with a future business date is refused (exit 2); looking ahead is allowed."""
    from datetime import timedelta

    from gongkai.cli.main import main
    from gongkai.core.clockseam import office_today

    tomorrow = (office_today("Asia/Shanghai") + timedelta(days=1)).isoformat()
    apps = _count("SELECT count(*) FROM application")
    added = CliRunner().invoke(main, ["request", "add", "--ref", "2026-9001", "--received", AS_OF.isoformat(),
                                      "--applicant-type", "自然人", "--applicant-name", "张三", "--content", "x",
                                      "--by", "wang", "--as-of", tomorrow])  # fmt: skip
    assert added.exit_code == 2 and "晚于今天" in added.stderr
    assert _count("SELECT count(*) FROM application") == apps
    listed = CliRunner().invoke(main, ["request", "list", "--as-of", tomorrow, "--json"])
    assert listed.exit_code == 0, listed.output
