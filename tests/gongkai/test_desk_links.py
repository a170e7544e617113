"""Notifications point to the desk (issue 13): with ``[desk] base_url`` each digest line carries a link to the page
where its action is taken, instead of the ``gongkai …`` command printed without one. Checked on the planners'
texts (reminders, the weekly review's notices, the report's readiness notice) and on what a real SMTP server on
loopback receives, with and without ``base_url``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from gongkai.core.desklinks import reminder_link
from gongkai.core.settings import Settings, load_settings
from gongkai.register.repository import sync_staff
from gongkai.report.build import readiness_text
from gongkai.store.db import open_database
from tests.gongkai import test_outbox as outbox_tests
from tests.gongkai import test_reminders as reminder_tests
from tests.gongkai import test_review as review_tests
from tests.offices import office_session
from tests.servers import HookServer, SmtpSink

BASE = "https://xxgk.example.gov.cn"
CONFIG = Path(__file__).resolve().parents[2] / "config" / "gongkai.toml"


def with_base_url(settings: Settings, base_url: str = BASE) -> Settings:
    return settings.model_copy(update={"desk": settings.desk.model_copy(update={"base_url": base_url})})


@pytest.fixture(scope="module")
def shipped() -> Settings:
    return review_tests.with_review(load_settings(CONFIG))


@pytest.fixture
def engine(db_url: str, shipped: Settings) -> Iterator[Engine]:
    eng = open_database(db_url)
    with office_session(eng) as s:
        sync_staff(s, [(p.id, p.name, p.role) for p in shipped.staff])
    try:
        yield eng
    finally:
        eng.dispose()


# -- the link of each kind ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "ref", "key", "link"),
    [
        ("reply", "2025-0001", "app:1:reply:5:v1", f"{BASE}/applications/2025-0001"),
        ("overdue", "河东〔2026〕1号", "app:2:overdue:2026-03-02",
         f"{BASE}/applications/%E6%B2%B3%E4%B8%9C%E3%80%942026%E3%80%951%E5%8F%B7"),
        ("escalation", "2026/7", "app:3:escalation:2026-03-02", f"{BASE}/applications/2026%2F7"),
        ("deadline_moved", "2025-0001", "change:4", f"{BASE}/applications/2025-0001"),
        ("clock_error", "2025-0001", "app:1:clock_error:v1", f"{BASE}/applications/2025-0001"),
        ("extension", "2025-0001", "app:1:extension:2025-03-31", f"{BASE}/head"),
        ("item", "JX-2025-01", "item:5:publish:3:2025-03-31", f"{BASE}/items/JX-2025-01"),
        ("review", "JX-2025-01", "review:12:2025-W11", f"{BASE}/review/12"),
        ("review_overdue", "JX-2025-01", "review:12:overdue:2025-03-20", f"{BASE}/review/12"),
        ("calendar_missing", None, "calendar:2027:2026-W50", f"{BASE}/admin/calendar"),
        ("report_readiness", "2025", "report-readiness:2025:2026-01-05", f"{BASE}/report"),
        ("report", "2025", "report:2025:v1", f"{BASE}/report"),
        ("catalogue", "2026-Q1", "catalogue:2026-Q1:2026-04-01", None),
    ],
)  # fmt: skip
def test_the_page_of_each_kind(kind: str, ref: str | None, key: str, link: str | None) -> None:
    assert reminder_link(BASE, kind=kind, ref=ref, key=key) == link
    assert reminder_link(BASE + "/", kind=kind, ref=ref, key=key) == link
    assert reminder_link("", kind=kind, ref=ref, key=key) is None


# -- the planners' texts -----------------------------------------------------------------------------------------


def test_extension_reminder_names_the_command_only_without_base_url(
    engine: Engine, shipped: Settings
) -> None:
    reminder_tests.add(engine, "2025-0001")
    plain = reminder_tests.one(reminder_tests.plan(engine, shipped, "2025-03-26"), "extension")
    linked = reminder_tests.one(
        reminder_tests.plan(engine, with_base_url(shipped), "2025-03-26"), "extension"
    )
    assert "gongkai request event 2025-0001 extension_approved:批准日期" in plain.text
    assert "gongkai" not in linked.text and "请在工作台审批" in linked.text
    assert linked.key == plain.key  # the same reminder: sent once whether or not base_url changed
    assert "最长可延至 2025-04-28（星期一）" in linked.text


def test_calendar_reminder_names_the_command_only_without_base_url(engine: Engine, shipped: Settings) -> None:
    reminder_tests.add(engine, "2026-0100", received="2026-12-07")
    plain = reminder_tests.one(reminder_tests.plan(engine, shipped, "2026-12-07"), "calendar_missing")
    linked = reminder_tests.one(
        reminder_tests.plan(engine, with_base_url(shipped), "2026-12-07"), "calendar_missing"
    )
    assert plain.text == "请导入2027年放假安排（gongkai calendar import），1 件申请的期限为暂定"
    assert linked.text == "请导入2027年放假安排，1 件申请的期限为暂定"


def test_review_texts_name_the_command_only_without_base_url(engine: Engine, shipped: Settings) -> None:
    review_tests.add_item(engine, "JX-G1")
    linked_notices = review_tests.run(engine, with_base_url(shipped), "2025-03-05").notices
    plain_notices = review_tests.run(engine, shipped, "2025-03-06").notices
    assert linked_notices and all("gongkai" not in n.text for n in linked_notices)
    assert plain_notices and all("gongkai review record" in n.text for n in plain_notices)
    task_id = review_tests._task(engine, shipped, "2025-03-07", "rereview")
    plain = {p.escalation: p.text for p in review_tests.reminders(engine, shipped, "2025-03-20")}
    linked = {
        p.escalation: p.text for p in review_tests.reminders(engine, with_base_url(shipped), "2025-03-20")
    }
    assert plain[False].endswith(f"请处理后登记（gongkai review record {task_id}）")
    assert linked[False].endswith("已超过 1 个工作日，请处理后登记")
    assert "gongkai" not in linked[True]


def test_readiness_notice_names_the_commands_only_without_base_url() -> None:
    state = {
        "year": 2025,
        "final": False,
        "open_applications": 2,
        "missing_figures": ["行政许可决定数"],
        "unfinished_narrative": ["一、总体情况"],
        "narrative_file": "/srv/gongkai/report/2025/narrative.md",
    }
    plain, linked = readiness_text(state), readiness_text(state, base_url=BASE)
    assert "gongkai report figures set/import" in plain and "/srv/gongkai" in plain
    assert "gongkai" not in linked and "/srv/gongkai" not in linked
    assert "其他系统的年度数据未录入：行政许可决定数" in linked and "叙述部分待填写：一、总体情况" in linked
    ready = {**state, "open_applications": 0, "missing_figures": [], "unfinished_narrative": []}
    assert "gongkai report build" in readiness_text(ready)
    assert readiness_text(ready, base_url=BASE).endswith("数据已齐全，请生成并定稿。")


# -- what people receive -----------------------------------------------------------------------------------------


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpSink, hook: HookServer) -> Settings:
    for staff in ("wang", "li", "zhao"):
        monkeypatch.setenv(f"GONGKAI_NOTIFY_{staff.upper()}", smtp.url(f"{staff}@example.com"))
    monkeypatch.setenv("GONGKAI_NOTIFY_FALLBACK", hook.url)
    return outbox_tests.make_settings(tmp_path)


DAY = date(2026, 11, 23)
PLAN = [
    outbox_tests.reminder("app:1:reply:5:v1", "wang", "河东〔2026〕1号", "河东〔2026〕1号：还有 5 个工作日",
                          deadline=date(2026, 11, 30), urgency=6),
    outbox_tests.reminder("app:2:extension:2026-11-25", "wang", "2026-0002", "2026-0002：请决定是否延期",
                          deadline=date(2026, 11, 25), urgency=3, kind="extension"),
    outbox_tests.reminder("review:8:overdue:2026-11-23", "wang", "JX-2025-01", "JX-2025-01：检查任务 #8 逾期",
                          deadline=date(2026, 11, 20), urgency=0, kind="review_overdue"),
]  # fmt: skip


def test_digest_lines_link_to_the_desk(engine: Engine, office: Settings, smtp: SmtpSink) -> None:
    outbox_tests.run_day(engine, with_base_url(office), PLAN, as_of=DAY, clock=outbox_tests.Clock(DAY))
    (mail,) = smtp.to("wang@example.com")
    encoded = f"{BASE}/applications/%E6%B2%B3%E4%B8%9C%E3%80%942026%E3%80%951%E5%8F%B7"
    for link in (encoded, f"{BASE}/head", f"{BASE}/review/8"):
        assert f"   办理：{link}\n" in mail.text
        assert mail.html is not None and f'<a href="{link}">' in mail.html
    assert "gongkai " not in mail.text and "gongkai " not in (mail.html or "")
    assert "请点击各条的链接，在员工工作台中办理并登记" in mail.text
    assert "河东" not in mail.subject and "http" not in mail.subject  # the subject is unchanged: counts only


def test_digest_without_base_url_keeps_the_commands(engine: Engine, office: Settings, smtp: SmtpSink) -> None:
    outbox_tests.run_day(engine, office, PLAN, as_of=DAY, clock=outbox_tests.Clock(DAY))
    (mail,) = smtp.to("wang@example.com")
    assert "gongkai request event 编号" in mail.text and "gongkai review record 任务号" in mail.text
    assert "http" not in mail.text and "<a href" not in (mail.html or "")


def test_the_delivery_alert_points_to_the_desk_when_it_has_an_address(shipped: Settings) -> None:
    from types import SimpleNamespace

    from gongkai.notify.outbox import render_alert

    rows = [SimpleNamespace(key="alert:1", text="王丽的邮件发送失败", possible_repeat=False)]
    _subject, without = render_alert(rows, settings=shipped, as_of=date(2026, 3, 2))
    assert "gongkai request list --due-within 5" in without
    _subject, linked = render_alert(rows, settings=with_base_url(shipped), as_of=date(2026, 3, 2))
    assert f"{BASE}/applications" in linked and "gongkai request" not in linked
