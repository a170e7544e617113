"""The content-review flow under Prefect's test harness: the demo office, a real SQLite database and a
real SMTP server on loopback; outcomes recorded and escalations through the command line."""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai.cli.main import main
from gongkai.store.db import open_database
from tests.flows.test_reminders_flow import _config
from tests.servers import SmtpSink

DEMO_DAY = date(2026, 10, 23)  # a Friday (weeks before today: runs may not be dated in the future)
MONDAY = date(2026, 10, 26)
PHONE = re.compile(r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}")
ID18 = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def office(tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Path:
    _config(tmp_path, smtp, monkeypatch)
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{tmp_path}/gongkai.db")
    result = CliRunner().invoke(main, ["demo", "--as-of", DEMO_DAY.isoformat()])
    assert result.exit_code == 0, result.output
    return tmp_path


def _rows(sql: str, **params: object) -> list[Any]:
    engine = open_database()
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _no_personal_numbers(smtp: SmtpSink) -> None:
    for mail in smtp.messages:
        for text in (mail.subject, mail.text, mail.html or ""):
            assert not PHONE.search(text) and not ID18.search(text), text[:200]


def test_weekly_run_opens_tasks_notifies_owners_and_keeps_numbers_out(office: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.review import content_review

    first = content_review(as_of=MONDAY)
    assert first["found"] == first["new"] == first["open"] > 0
    assert first["urgent"] == 1 and first["by_kind"]["pii"] == 1
    for kind in ("draft", "rereview", "withheld", "validity_ended", "column_stale"):
        assert first["by_kind"][kind] >= 1, kind
    assert first["sent"] > 0 and first["failed"] == 0
    recipients = sorted({r for m in smtp.messages for r in m.to})
    assert "wang@example.com" in recipients  # owner of the exposed item and administrator
    _no_personal_numbers(smtp)
    wang = [m for m in smtp.messages if "wang@example.com" in m.to]
    assert any("（公开内容含个人信息）" in m.text and "居民身份证号码 1 处" in m.text for m in wang)
    assert all("gongkai review record" in m.text for m in smtp.messages)

    # Same week again: nothing new, nobody told twice; the run is stored each time.
    before = len(smtp.messages)
    again = content_review(as_of=date(2026, 10, 28))
    assert again["new"] == 0 and again["still_open"] == first["open"]
    assert len(smtp.messages) == before
    assert len(_rows("SELECT id FROM review_run")) == 2
    # A scheduled run of a week already done is skipped.
    assert content_review(as_of=date(2026, 10, 29), scheduled=True)["skipped"] is True


def test_artifact_and_two_task_runs(office: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.review import content_review
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterId,
    )

    state = content_review(as_of=MONDAY, return_state=True)
    flow_run_id = state.state_details.flow_run_id

    async def inspect() -> tuple[int, list[Any], str]:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["content-review"]))
            )
            flow_run = await client.read_flow_run(flow_run_id)
            return len(runs), artifacts, flow_run.name

    n_tasks, artifacts, name = asyncio.run(inspect())
    assert n_tasks == 2  # find+sync, send: not one per item
    assert name == f"content-review-{MONDAY.isoformat()}"
    text = str(artifacts[0].data)
    assert "定期内容检查" in text and "公开内容含个人信息" in text and "待处理任务" in text
    assert "最近 7 天登记的处理结果" in text and "年检查情况" in text
    assert not PHONE.search(text) and not ID18.search(text)


def test_recorded_task_is_not_raised_again_and_undone_one_escalates(office: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.reminders import deadline_reminders
    from gongkai.flows.review import content_review

    content_review(as_of=MONDAY)
    tasks = {r.kind: r for r in _rows("SELECT id, kind, due_on, item_id FROM review_task ORDER BY id")}
    pii, rereview = tasks["pii"], tasks["rereview"]

    # "Updated" is refused while the text still holds the numbers (nothing written) …
    refused = _cli("review", "record", str(pii.id), "--outcome", "update", "--reviewer", "王丽",
                   "--reason", "已遮盖", "--as-of", MONDAY.isoformat())  # fmt: skip
    assert refused.exit_code == 2 and "仍有居民身份证号码" in refused.output
    assert not ID18.search(refused.output) and not PHONE.search(refused.output)
    assert _rows("SELECT count(*) FROM review_record")[0][0] == 0
    # … withdrawing it is accepted and applied to the item.
    done = _cli("review", "record", str(pii.id), "--outcome", "撤下", "--reviewer", "王丽",
                "--reason", "含个人信息，先撤下待处理", "--as-of", MONDAY.isoformat())  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "已登记于 2026-10-26 撤下" in done.output
    assert _rows("SELECT withdrawn_on FROM proactive_item WHERE id = :i", i=pii.item_id)[0][0] == "2026-10-26"
    again = _cli("review", "record", str(pii.id), "--outcome", "keep", "--reviewer", "王丽", "--reason", "x",
                 "--as-of", MONDAY.isoformat())  # fmt: skip
    assert again.exit_code == 2 and "不能重复登记" in again.output

    # Next week: the recorded task is not reported again; the rest are still open.
    later = content_review(as_of=date(2026, 11, 2))
    assert later["by_kind"]["pii"] == 0 and later["new"] == 0
    assert _rows("SELECT status FROM review_task WHERE id = :i", i=pii.id)[0][0] == "done"

    # The rereview task left undone past its day escalates through the daily reminders (to zhao).
    due = date.fromisoformat(rereview.due_on)
    smtp.messages.clear()
    deadline_reminders(as_of=due)
    assert not any(f"检查任务 #{rereview.id}（" in m.text for m in smtp.messages)
    after = date(2026, 11, 10)  # a Tuesday after the 10 working days
    deadline_reminders(as_of=after)
    zhao = [m for m in smtp.messages if "zhao@example.com" in m.to]
    assert any(f"检查任务 #{rereview.id}（" in m.text and "请督办" in m.text for m in zhao)
    _no_personal_numbers(smtp)


def test_cli_run_list_show_history_and_narrative(office: Path, smtp: SmtpSink) -> None:
    ran = _cli("run", "review", "--as-of", MONDAY.isoformat(), "--json")
    assert ran.exit_code == 1  # tasks are waiting
    summary = json.loads(ran.output.strip().splitlines()[-1])
    assert summary["open"] > 0 and summary["period"] == "2026-W44"

    listed = _cli("review", "list", "--json", "--as-of", MONDAY.isoformat())
    assert listed.exit_code == 0
    tasks = json.loads(listed.output)
    assert tasks[0]["kind"] == "pii" and tasks[0]["urgent"] is True  # urgent first
    assert not ID18.search(listed.output) and not PHONE.search(listed.output)
    draft = next(t for t in tasks if t["kind"] == "draft")
    shown = _cli("review", "show", str(draft["id"]), "--as-of", MONDAY.isoformat())
    assert (
        shown.exit_code == 0
        and "第二十六条公开期限" in shown.output
        and "publish（予以公开）" in shown.output
    )

    bad = _cli("review", "record", str(draft["id"]), "--outcome", "repealed", "--reviewer", "赵建国",
               "--reason", "x", "--as-of", MONDAY.isoformat())  # fmt: skip
    assert bad.exit_code == 2 and "待发布前审查任务不能登记“标注废止”" in bad.output
    ok = _cli("review", "record", str(draft["id"]), "--outcome", "publish", "--reviewer", "赵建国",
              "--reason", "经审查可以公开", "--as-of", MONDAY.isoformat())  # fmt: skip
    assert ok.exit_code == 0 and "已登记于 2026-10-26 公开" in ok.output
    item = _rows("SELECT p.published_on, r.result, r.note FROM review_task t JOIN proactive_item p ON p.id = t.item_id "
                 "JOIN item_review r ON r.item_id = p.id WHERE t.id = :i ORDER BY r.id DESC", i=draft["id"])  # fmt: skip
    assert tuple(item[0]) == ("2026-10-26", "publish", "经审查可以公开")

    history = _cli("review", "history", "--year", "2026", "--json", "--as-of", MONDAY.isoformat())
    figures = json.loads(history.output)["figures"]
    assert figures["runs"] == 1 and figures["drafts_reviewed"] == 1

    # The annual report's narrative quotes the year's review figures (identity I8 unaffected).
    report = _cli("report", "build", "--year", "2026", "--format", "json")
    doc, _ = json.JSONDecoder().raw_decode(report.output)  # the JSON, then the build's messages
    narrative = Path(os.environ["GONGKAI_HOME"]) / "report" / "narrative-2026.md"
    assert "2026年开展定期内容检查1次" in narrative.read_text(encoding="utf-8")
    i8 = next(c for c in doc["checks"] if c["id"] == "I8")
    assert i8["ok"] is True, i8
