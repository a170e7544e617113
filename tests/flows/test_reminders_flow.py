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

from gongkai.db import open_database
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
    from gongkai.cli import main

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
    from flows.reminders import deadline_reminders

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

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    from flows.reminders import deadline_reminders

    state = deadline_reminders(as_of=AS_OF, return_state=True)
    flow_run_id = state.state_details.flow_run_id

    async def inspect() -> tuple[int, list[Any], str]:
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
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
    from flows.reminders import deadline_reminders

    first = deadline_reminders(as_of=AS_OF, scheduled=True)
    assert first["sent"] > 0
    second = deadline_reminders(as_of=AS_OF, scheduled=True)
    assert second == {"as_of": AS_OF.isoformat(), "skipped": True}
    assert _count("SELECT count(*) FROM reminder_run") == 1


def test_run_command_prints_the_summary_as_json(office: Path, smtp: SmtpSink) -> None:
    from gongkai.cli import main

    result = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    for key in ("due", "sent", "failed", "already_sent"):
        assert key in summary
    assert summary["sent"] == summary["due"] > 0


def test_smtp_down_run_exits_1_and_keeps_reminders_queued(office: Path, smtp: SmtpSink) -> None:
    from gongkai.cli import main

    smtp.stop()
    result = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 1, result.output
    pending = _count("SELECT count(*) FROM reminder_outbox WHERE status = 'pending'")
    assert pending > 0
    smtp.start()
    result = CliRunner().invoke(main, ["run", "reminders", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    assert _count("SELECT count(*) FROM reminder_outbox WHERE status = 'pending'") == 0
