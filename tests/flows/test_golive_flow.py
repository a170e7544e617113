"""A real office's first runs under Prefect's test harness: its flows find no fictional record, its staff get
only its own reminders; the demo register's notifications are marked 【演示】. Real SQLite and PostgreSQL
databases (``db_url``) and a real SMTP server on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from gongkai.cli.main import main
from tests.flows.test_reminders_flow import _config
from tests.offices import live_config
from tests.servers import SmtpSink

LIVE_CONFIG = live_config(notify=True)

AS_OF = "2026-11-27"


def gk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def summary(result: Result) -> dict[str, Any]:
    assert result.exit_code in (0, 1), (result.output, result.exception)
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def records(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in ("application", "proactive_item", "appeal", "review_task")
            }
    finally:
        engine.dispose()


@pytest.fixture
def live_office(tmp_path: Path, db_url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real office's configuration (its own name and staff, ``demo`` unset) on an empty home."""
    path = tmp_path / "live.toml"
    path.write_text(LIVE_CONFIG, encoding="utf-8")
    monkeypatch.setenv("GONGKAI_CONFIG", str(path))
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GONGKAI_DATABASE_URL", db_url)
    for sid in ("chen", "sun"):
        monkeypatch.setenv(f"GONGKAI_NOTIFY_{sid.upper()}", smtp.url(f"{sid}@example.com"))
    return db_url


def test_real_office_flows_find_no_fictional_record(live_office: str, smtp: SmtpSink) -> None:
    assert gk("demo", "--as-of", AS_OF).exit_code == 2
    reminders = summary(gk("run", "reminders", "--as-of", AS_OF, "--json"))
    assert reminders["due"] == 0 and reminders["sent"] == 0
    catalogue = summary(gk("run", "catalogue", "--as-of", "2026-10-01", "--json"))
    assert catalogue["entries"] == 0
    review = summary(gk("run", "review", "--as-of", "2026-11-30", "--json"))
    assert review["found"] == 0 and review["open"] == 0
    assert records(live_office) == {"application": 0, "proactive_item": 0, "appeal": 0, "review_task": 0}
    # only the office's own (empty) catalogue digest went out, to its own catalogue owner
    assert [(m.to, m.subject.startswith("【政务公开提醒】")) for m in smtp.messages] == [
        (["chen@example.com"], True)
    ]
    assert all("嘉祥" not in (m.text or "") + (m.html or "") for m in smtp.messages)
    before = len(smtp.messages)

    # the office's own work is reminded, unmarked, to its own staff
    add = gk(
        "request",
        "add",
        "--received",
        "2026-10-09",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张三",
        "--content",
        "请求公开某文件",
        "--assignee",
        "chen",
        "--as-of",
        AS_OF,
    )
    assert add.exit_code == 0, add.output
    reminders = summary(gk("run", "reminders", "--as-of", AS_OF, "--json"))
    assert reminders["due"] > 0 and reminders["sent"] == reminders["due"]
    mails = smtp.messages[before:]
    assert {r for m in mails for r in m.to} == {"chen@example.com", "sun@example.com"}
    assert all(m.subject.startswith("【政务公开提醒】") for m in mails), [m.subject for m in mails]
    assert records(live_office)["application"] == 1


def test_demo_register_notifications_are_marked(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped demo configuration, its staff notified by email: every subject starts with 【演示】."""
    _config(tmp_path, smtp, monkeypatch)  # the shipped demo configuration, staff notified by email
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{tmp_path}/gongkai.db")
    assert gk("demo", "--as-of", AS_OF).exit_code == 0
    reminders = summary(gk("run", "reminders", "--as-of", AS_OF, "--json"))
    assert reminders["sent"] == reminders["due"] > 0
    assert len(smtp.messages) == 3
    assert all(m.subject.startswith("【演示】【政务公开提醒】") for m in smtp.messages), [
        m.subject for m in smtp.messages
    ]
