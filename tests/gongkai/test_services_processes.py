"""The scheduled processes' services (gongkai.services.processes) called directly, without Prefect: the demo
office on SQLite and PostgreSQL (``db_url``), its staff notified by email on a real SMTP server on loopback.

What the flows return and ``gongkai run --json`` prints is the summaries' ``to_json()``: its keys are CONTRACT
section 1's and must not change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai.cli.main import main
from gongkai.core.settings import load_settings
from gongkai.services import processes
from gongkai.services.actor import Actor
from gongkai.services.processes import (
    CatalogueRunSummary,
    Channels,
    Delivered,
    PlanCounts,
    ReadinessRunSummary,
    ReminderRunSummary,
    ReportBuilt,
    ReviewRunSummary,
    Settlement,
    Skipped,
    Works,
    open_works,
)
from tests.flows.test_reminders_flow import _config
from tests.servers import SmtpSink

AS_OF = date(2026, 11, 27)  # a Friday
REMINDERS = Actor.schedule("reminders")

REMINDER_KEYS = ["as_of", "due", "new", "already_sent", "superseded", "escalated", "unroutable", "sent",
                 "messages", "failed", "possible_repeats", "alerts", "done", "outstanding", "interrupted",
                 "retry_at"]  # fmt: skip
SETTLEMENT_KEYS = ["done", "outstanding", "interrupted", "retry_at"]


@pytest.fixture
def works(tmp_path: Path, db_url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Iterator[Works]:
    """The demo office as of AS_OF in a fresh database, its staff notified on the loopback SMTP server."""
    _config(tmp_path, smtp, monkeypatch)
    monkeypatch.setenv("GONGKAI_DATABASE_URL", db_url)
    loaded = CliRunner().invoke(main, ["demo", "--as-of", AS_OF.isoformat()])
    assert loaded.exit_code == 0, loaded.output
    channels = Channels(console_file=tmp_path / "console.log")
    with open_works(load_settings(None), home=tmp_path / "home", channels=channels) as office:
        yield office


def _count(office: Works, sql: str) -> int:
    with office.engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_reminder_steps_plan_deliver_record_and_mark_the_day_done(works: Works, smtp: SmtpSink) -> None:
    assert not processes.period_done(works, "reminders", AS_OF)
    planned = processes.plan_reminders(works, REMINDERS, AS_OF)
    assert planned.due > 0 and planned.new == planned.due and planned.already_sent == 0
    delivered = processes.deliver(works, REMINDERS, AS_OF)
    assert delivered.sent == planned.due and delivered.failed == 0 and delivered.messages == 3
    assert sorted(r for m in smtp.messages for r in m.to) == ["li@example.com", "wang@example.com",
                                                              "zhao@example.com"]  # fmt: skip
    assert all(m.subject.startswith("【演示】") for m in smtp.messages)  # the demo register says so

    summary = processes.record_reminder_run(works, REMINDERS, AS_OF, planned, delivered, "run-1")
    assert summary.settled == Settlement(done=True)
    assert processes.period_done(works, "reminders", AS_OF)
    assert _count(works, "SELECT count(*) FROM reminder_run WHERE flow_run_id = 'run-1'") == 1

    data = summary.to_json()
    assert list(data) == REMINDER_KEYS
    assert data["as_of"] == "2026-11-27" and data["sent"] == data["due"] and data["retry_at"] is None
    assert ReminderRunSummary.from_json(data) == summary

    again = processes.plan_reminders(works, REMINDERS, AS_OF)
    assert again.already_sent == planned.due and again.new == 0
    assert processes.deliver(works, REMINDERS, AS_OF) == Delivered()
    assert len(smtp.messages) == 3


def test_a_day_whose_reminders_failed_stays_open_until_they_are_delivered(
    works: Works, smtp: SmtpSink
) -> None:
    planned = processes.plan_reminders(works, REMINDERS, AS_OF)
    smtp.stop()
    delivered = processes.deliver(works, REMINDERS, AS_OF)
    assert delivered.sent == 0 and delivered.failed == planned.due
    summary = processes.record_reminder_run(works, REMINDERS, AS_OF, planned, delivered)
    assert not summary.settled.done and summary.settled.outstanding == planned.due
    assert summary.settled.retry_at is not None
    assert not processes.period_done(works, "reminders", AS_OF)
    assert ReminderRunSummary.from_json(summary.to_json()) == summary

    smtp.start()
    delivered = processes.deliver(works, REMINDERS, AS_OF)
    assert delivered.sent == planned.due
    assert processes.settle_period(works, REMINDERS, "reminders", AS_OF) == Settlement(done=True)
    assert processes.period_done(works, "reminders", AS_OF)


def test_catalogue_update_words_the_owners_notice_and_settles_the_quarter(
    works: Works, smtp: SmtpSink
) -> None:
    actor = Actor.schedule("catalogue")
    update = processes.update_catalogue(works, actor, AS_OF)
    counts = update.counts
    assert counts.period == "2026-Q4" and counts.entries > 0 and counts.diff["added"] == counts.entries
    assert Path(counts.files["catalogue.html"]).is_relative_to(works.home / "catalogue" / "2026-Q4")
    assert "政府信息公开目录 2026-Q4" in update.markdown
    notice = update.notice
    assert notice.recipients == ("wang",) and notice.kind == "catalogue"  # [catalogue] owner
    assert notice.key == "catalogue:2026-Q4:2026-11-27"
    assert notice.text.startswith("（补做：本应于 2026-11-27 运行）2026-Q4 政府信息公开目录和指南已更新")

    assert not processes.period_done(works, "catalogue", AS_OF)
    sent = processes.notify_administrators(works, actor, AS_OF, notice)
    assert (sent.due, sent.failed) == (1, 0) and sent.sent >= 1
    assert [m.to for m in smtp.messages if "目录" in m.text] == [["wang@example.com"]]
    settled = processes.settle_period(works, actor, "catalogue", AS_OF)
    assert settled.done and processes.period_done(works, "catalogue", date(2026, 12, 31))  # the same quarter

    summary = CatalogueRunSummary(counts, settled)
    data = summary.to_json()
    assert list(data) == ["as_of", "period", "entries", "diff", "findings", "files", *SETTLEMENT_KEYS]
    assert set(data["diff"]) == {"added", "changed", "repealed", "withdrawn"}
    assert CatalogueRunSummary.from_json(data) == summary


def test_content_review_finds_queues_and_delivers(works: Works, smtp: SmtpSink) -> None:
    actor = Actor.schedule("review")
    found = processes.review_content(works, actor, AS_OF, "review-run-1")
    counts = found.counts
    assert counts.period == "2026-W48" and counts.found > 0 and counts.new == counts.open > 0
    assert counts.notices > 0 and counts.by_kind["pii"] == 1
    assert "定期内容检查" in found.markdown
    assert _count(works, "SELECT count(*) FROM review_run WHERE flow_run_id = 'review-run-1'") == 1

    delivered = processes.deliver(works, actor, AS_OF)
    assert delivered.sent == counts.notices and delivered.failed == 0
    settled = processes.settle_period(works, actor, "review", AS_OF)
    assert settled.done and not processes.period_done(
        works, "review", date(2026, 11, 30)
    )  # the next week is not

    summary = ReviewRunSummary(counts, delivered, settled)
    data = summary.to_json()
    assert list(data) == ["as_of", "period", "found", "new", "still_open", "already_done", "closed", "open",
                          "overdue", "urgent", "by_kind", "notices", "figures", "sent", "failed", "messages",
                          *SETTLEMENT_KEYS]  # fmt: skip
    assert ReviewRunSummary.from_json(data).to_json() == data


def test_annual_report_is_recorded_as_built_by_the_schedule_and_readiness_words_the_notice(
    works: Works, smtp: SmtpSink
) -> None:
    built = processes.build_annual_report(works, Actor.schedule("report"), 2025)
    assert (built.year, built.version) == (2025, 1)
    # The figures from other systems are not entered: only the JSON is written, no document with blanks.
    assert any("行政许可" in m for m in built.missing) and list(built.files) == ["json"]
    assert Path(built.files["json"]).is_file()
    with works.engine.connect() as conn:
        by = conn.execute(sa.text("SELECT created_by FROM annual_report WHERE year = 2025")).scalar_one()
    assert by == "schedule:report"
    data = built.to_json()
    assert list(data) == ["year", "version", "files", "failed_identities", "warnings", "missing", "unfinished",
                          "narrative_file"]  # fmt: skip
    assert ReportBuilt.from_json(data) == built
    assert built.notice().key == "report:2025:v1" and built.notice().text.startswith(
        "2025 年度报告第 1 版已生成"
    )
    assert "| json |" in built.markdown() and "- 缺数据：" in built.markdown()

    actor = Actor.schedule("report_readiness")
    checked = processes.check_readiness(works, actor, AS_OF)
    assert checked.readiness.year == 2025 and not checked.readiness.final
    assert "行政许可" in checked.readiness.missing_figures
    assert checked.notice is not None and checked.notice.key == "report-readiness:2025:2026-11-27"
    assert checked.notice.text.startswith(
        "（补做：本应于 2026-11-27 运行）2025 年度政府信息公开工作年度报告须于"
    )
    sent = processes.notify_administrators(works, actor, AS_OF, checked.notice)
    assert sent.due == 1 and sent.failed == 0
    assert [m.to for m in smtp.messages if "前公开发布" in m.text] == [
        ["wang@example.com"]
    ]  # the administrator
    summary = ReadinessRunSummary(checked.readiness, processes.settle_period(works, actor, "report_readiness",
                                                                             AS_OF))  # fmt: skip
    assert summary.settled.done and ReadinessRunSummary.from_json(summary.to_json()) == summary


def test_a_late_run_says_so_only_when_it_is_late(works: Works) -> None:
    """The clock is injected: the same catalogue run on its own day reads as news, caught up later it does not."""
    on_time = Works(works.settings, works.engine, works.home, works.office_id, works.channels,
                    now=lambda: datetime(2026, 11, 27, 1, 0, tzinfo=UTC))  # fmt: skip
    notice = processes.update_catalogue(on_time, Actor.schedule("catalogue"), AS_OF).notice
    assert notice.text.startswith("2026-Q4 政府信息公开目录和指南已更新")


def test_summaries_read_back_what_they_wrote() -> None:
    retry = datetime(2026, 11, 27, 0, 45, tzinfo=UTC)
    summary = ReminderRunSummary(AS_OF, PlanCounts(5, 2, 3, 1, 1, 0), Delivered(1, 1, 1, 0, 0),
                                 Settlement(False, 1, 0, retry))  # fmt: skip
    data = summary.to_json()
    assert data["retry_at"] == "2026-11-27T00:45:00+00:00"
    assert ReminderRunSummary.from_json(data) == summary
    assert Skipped(AS_OF).to_json() == {"as_of": "2026-11-27", "skipped": True}


def test_open_periods_by_the_schedule_and_a_stale_one_is_only_recorded(works: Works) -> None:
    """At 10:00 office time on AS_OF: the reminders of the day are open; the readiness check of 30 January is
    too old to be worth doing (more than 6 days), so it is recorded as done without running."""
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    reminders = processes.open_period(works, "reminders", now)
    assert reminders is not None and (reminders.as_of, reminders.period, reminders.stale) == (AS_OF, "2026-11-27",
                                                                                            False)  # fmt: skip
    readiness = processes.open_period(works, "report_readiness", now)
    assert readiness is not None and readiness.as_of == date(2026, 1, 30) and readiness.stale
    processes.close_stale_period(works, Actor.schedule("report_readiness"), readiness)
    assert processes.open_period(works, "report_readiness", now) is None
    assert processes.owed_messages(works, "reminders", now).total == 0
    processes.plan_reminders(works, REMINDERS, AS_OF)
    assert processes.owed_messages(works, "reminders", now).total > 0
    assert (
        processes.owed_messages(works, "catalogue", now).total == 0
    )  # its period waits for its own kind only
