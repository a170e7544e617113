"""The periodic content review (gongkai.review.periodic) on real databases (SQLite and PostgreSQL via ``db_url``).

- Every finding kind of ``review.KINDS``: one case that raises it, one that does not.
- Tasks synced by key: done stays done, gone is closed, a new situation opens a new task.
- ``record_outcome``: what each outcome does to the item, and every refusal leaves nothing half-written.
- Overdue tasks escalated by the daily reminders (``plan_reminders``) on the real 2025 calendar.
- The year's figures and the narrative sentence (no number in 件: identity I8 finds nothing).

Dates are 2025 (State Council schedule: no holiday in March; 1-8 October National Day with make-up
working days Sunday 28 September and Saturday 11 October). Staff from the shipped configuration:
wang (handler, administrator; catalogue and review owner), li (handler), zhao (unit head).
Personal numbers are fictional (region code 990101 does not exist) and never logged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gongkai.core.errors import InputError
from gongkai.core.idnumber import id_check_digit
from gongkai.core.messages import PlannedReminder
from gongkai.core.settings import Settings, load_settings
from gongkai.register.repository import load_calendar, sync_staff
from gongkai.register.workcal import WorkCalendar
from gongkai.reminders.plan import plan_reminders
from gongkai.report.stats import quoted_figures
from gongkai.review import periodic as review
from gongkai.review.periodic import Finding, Recorded, ReviewResult
from gongkai.review.pii import find_pii, fingerprint
from gongkai.store.db import open_database
from gongkai.store.models import ItemReview, ProactiveItem, ReviewRecord, ReviewRun, ReviewTask
from gongkai.store.tables import ITEM_REVIEW, REVIEW_RUN, REVIEW_TASK
from tests.offices import office_session

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gongkai.toml"
_FIRST17 = "99010119900307123"
ID_NUMBER = _FIRST17 + id_check_digit(_FIRST17)
MOBILE = "13812345678"
REASON = "经复查内容仍然有效"
REVIEWER = "赵建国"


def D(s: str) -> date:
    return date.fromisoformat(s)


@pytest.fixture(scope="module")
def base() -> Settings:
    return load_settings(CONFIG)


def with_review(base: Settings, **review_section: Any) -> Settings:
    """The shipped configuration with this ``[review]`` section, validated like a file would be."""
    data = base.model_dump()
    data["review"] = review_section
    return Settings.model_validate(data)


@pytest.fixture
def settings(base: Settings) -> Settings:
    return with_review(base)


@pytest.fixture
def engine(db_url: str, base: Settings) -> Iterator[Engine]:
    eng = open_database(db_url)
    with office_session(eng) as s:
        sync_staff(s, [(p.id, p.name, p.role) for p in base.staff])
    try:
        yield eng
    finally:
        eng.dispose()


# -- helpers -----------------------------------------------------------------------------------------


def add_item(engine: Engine, index_no: str, **kw: Any) -> int:
    """A proactive item of 机构职能 formed 2024-03-01, published 2024-03-05, in force, owned by li."""
    values: dict[str, Any] = {
        "title": f"关于{index_no}的通知",
        "summary": "主要职责、内设机构",
        "generated_on": D("2024-03-01"),
        "category": "机构职能",
        "attribute": "proactive",
        "published_on": D("2024-03-05"),
        "owner_id": "li",
    }
    values.update(kw)
    with office_session(engine) as s:
        item = ProactiveItem(index_no=index_no, **values)
        s.add(item)
        s.flush()
        assert item.id is not None
        return item.id


def add_item_review(engine: Engine, item_id: int, on: str, result: str = "publish") -> None:
    with office_session(engine) as s:
        s.add(
            ItemReview(
                item_id=item_id,
                reviewer=REVIEWER,
                reviewed_on=D(on),
                result=result,
                legal_ground="《条例》第十五条" if result == "withhold" else None,
                recorded_by="wang",
            )
        )


def update_item(engine: Engine, item_id: int, **values: Any) -> None:
    with office_session(engine) as s:
        item = s.get(ProactiveItem, item_id)
        assert item is not None
        for k, v in values.items():
            setattr(item, k, v)
        s.add(item)


def get_item(engine: Engine, item_id: int) -> ProactiveItem:
    with office_session(engine) as s:
        item = s.get(ProactiveItem, item_id)
        assert item is not None
        return item


def find(engine: Engine, settings: Settings, as_of: str) -> list[Finding]:
    with office_session(engine) as s:
        return review.find(s, settings=settings, calendar=load_calendar(s), as_of=D(as_of))


def of(findings: list[Finding], kind: str, item_id: int | None = None) -> list[Finding]:
    return [f for f in findings if f.kind == kind and (item_id is None or f.item_id == item_id)]


def run(engine: Engine, settings: Settings, as_of: str) -> ReviewResult:
    with office_session(engine) as s:
        return review.run_review(s, settings=settings, calendar=load_calendar(s), as_of=D(as_of))


def record(engine: Engine, task_id: int, outcome: str, on: str, *, as_of: str | None = None, reason: str = REASON,
           reviewer: str = REVIEWER, repealed_on: str | None = None) -> Recorded:  # fmt: skip
    with office_session(engine) as s:
        return review.record_outcome(
            s,
            task_id,
            outcome=outcome,
            reviewer=reviewer,
            reviewed_on=D(on),
            reason=reason,
            by="wang",
            as_of=D(as_of or on),
            repealed_on=D(repealed_on) if repealed_on else None,
        )


def tasks(engine: Engine, **kw: Any) -> list[dict[str, Any]]:
    with office_session(engine) as s:
        return review.list_tasks(s, **kw)


def task_id_of(engine: Engine, key: str) -> int:
    found = [t for t in tasks(engine, status=None) if t["key"] == key]
    assert len(found) == 1, [t["key"] for t in tasks(engine, status=None)]
    return int(found[0]["id"])


def get_task(engine: Engine, task_id: int) -> ReviewTask:
    with office_session(engine) as s:
        task = s.get(ReviewTask, task_id)
        assert task is not None
        return task


def count(engine: Engine, model: Any, **where: Any) -> int:
    table = model.__table__
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table)
        for k, v in where.items():
            query = query.where(table.c[k] == v)
        return int(conn.execute(query).scalar_one())


def item_reviews(engine: Engine, item_id: int) -> list[ItemReview]:
    with office_session(engine) as s:
        rows = s.execute(
            sa.select(ItemReview).where(ITEM_REVIEW.c.item_id == item_id).order_by(ITEM_REVIEW.c.id)
        ).scalars()
        return list(rows)


def reminders(engine: Engine, settings: Settings, as_of: str) -> list[PlannedReminder]:
    with office_session(engine) as s:
        planned = plan_reminders(s, settings=settings, calendar=load_calendar(s), as_of=D(as_of))
    return [p for p in planned if p.kind == "review_overdue"]


def test_calendar_facts_used_below() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(D("2025-03-03"), 20) == D("2025-03-31")
    assert cal.add_workdays(D("2025-03-05"), 10) == D("2025-03-19")
    assert cal.add_workdays(D("2025-03-05"), 1) == D("2025-03-06")
    assert cal.add_workdays(D("2025-09-22"), 20) == D("2025-10-24")  # over National Day and make-up days


# -- pii ---------------------------------------------------------------------------------------------


def test_pii_in_published_text_is_an_urgent_finding_without_the_number(
    engine: Engine, settings: Settings
) -> None:
    item_id = add_item(engine, "JX-P1", published_on=D("2025-01-06"), summary=f"联系人电话{MOBILE}",
                       doc_number=None, title=f"关于{ID_NUMBER}的公示")  # fmt: skip
    found = find(engine, settings, "2025-03-03")
    matches = find_pii(
        (("名称", f"关于{ID_NUMBER}的公示"), ("内容概述", f"联系人电话{MOBILE}")), today=D("2025-03-03")
    )
    assert found == [
        Finding(
            key=f"pii:{item_id}:{fingerprint(matches)}",
            kind="pii",
            ref="JX-P1",
            item_id=item_id,
            column=None,
            owner_id="li",
            urgent=True,
            since=D("2025-01-06"),
            deadline=None,
            text="JX-P1：已公开的内容中有居民身份证号码 1 处、手机号码 1 处（名称第 3 个字符起的居民身份证号码；"
            "内容概述第 6 个字符起的手机号码），请立即删除或遮盖后更新，或先撤下",
        )
    ]
    assert MOBILE not in found[0].text and ID_NUMBER not in found[0].text


def test_pii_not_raised_for_look_alikes_unpublished_or_withdrawn_items(
    engine: Engine, settings: Settings
) -> None:
    wrong = _FIRST17 + ("0" if ID_NUMBER[17] != "0" else "1")
    add_item(
        engine,
        "JX-P2",
        published_on=D("2025-01-06"),
        summary=f"订单号{wrong}，办公电话0537-1234567，热线12345",
    )
    add_item(
        engine, "JX-P3", published_on=D("2025-01-06"), summary=f"电话{MOBILE}", withdrawn_on=D("2025-02-03")
    )
    add_item(engine, "JX-P4", published_on=D("2025-03-04"), summary=f"电话{MOBILE}")  # published after as_of
    draft = add_item(
        engine, "JX-P5", generated_on=D("2025-02-24"), published_on=None, summary=f"电话{MOBILE}"
    )
    found = find(engine, settings, "2025-03-03")
    assert of(found, "pii") == []
    assert [(f.kind, f.item_id) for f in found] == [
        ("draft", draft)
    ]  # not public yet: reviewed before publication


# -- repealed_listed ---------------------------------------------------------------------------------


def test_repealed_listed_when_the_repeal_date_has_come(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-R1", published_on=D("2024-06-03"), repealed_on=D("2025-03-03"))
    found = find(engine, settings, "2025-03-03")
    assert [(f.kind, f.key, f.since, f.owner_id, f.urgent) for f in found] == [
        ("repealed_listed", f"repealed:{item_id}:2025-03-03", D("2025-03-03"), "li", False)
    ]
    assert found[0].text == "JX-R1：2025-03-03（星期一） 已废止，目录中仍标注为有效，请标注废止或撤下"


def test_repealed_listed_not_before_the_repeal_date_nor_once_marked(
    engine: Engine, settings: Settings
) -> None:
    add_item(engine, "JX-R2", published_on=D("2024-06-03"), repealed_on=D("2025-03-04"))
    add_item(engine, "JX-R3", published_on=D("2024-06-03"), repealed_on=D("2025-02-03"), validity="repealed")
    assert find(engine, settings, "2025-03-03") == []


# -- validity_ended ----------------------------------------------------------------------------------


def test_validity_ended_the_day_after_valid_until(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-V1", published_on=D("2024-06-03"), valid_until=D("2025-03-02"))
    found = find(engine, settings, "2025-03-03")
    assert [(f.kind, f.key, f.since) for f in found] == [
        ("validity_ended", f"validity:{item_id}:2025-03-02", D("2025-03-02"))
    ]
    assert "有效期至 2025-03-02（星期日），已届满仍标注为有效" in found[0].text


def test_validity_not_ended_on_its_last_day(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-V2", published_on=D("2024-06-03"), valid_until=D("2025-03-03"))
    add_item(engine, "JX-V3", published_on=D("2024-06-03"), valid_until=D("2025-01-01"), validity="repealed",
             repealed_on=D("2025-01-02"))  # fmt: skip
    assert find(engine, settings, "2025-03-03") == []


# -- rereview ----------------------------------------------------------------------------------------


def test_rereview_due_on_the_day_the_interval_ends_not_one_day_before(
    engine: Engine, settings: Settings
) -> None:
    item_id = add_item(engine, "JX-A1")  # published 2024-03-05, default interval 365 days
    assert find(engine, settings, "2025-03-04") == []
    found = find(engine, settings, "2025-03-05")
    assert [(f.kind, f.key, f.since, f.owner_id, f.urgent, f.deadline) for f in found] == [
        ("rereview", f"rereview:{item_id}:2025-03-05", D("2025-03-05"), "li", False, None)
    ]
    assert found[0].text == (
        "JX-A1：已公开信息上次审查 2024-03-05（星期二），已满 365 天，请复查是否仍然准确、有效、可以公开"
    )


def test_rereview_category_interval_is_honoured(engine: Engine, base: Settings) -> None:
    settings = with_review(base, category_intervals={"规范性文件": 180}, interval_days=400)
    normative = add_item(engine, "JX-N1", category="规范性文件", published_on=D("2024-09-02"))
    other = add_item(engine, "JX-N2", published_on=D("2024-09-02"))
    assert find(engine, settings, "2025-02-28") == []  # 179 days
    found = find(engine, settings, "2025-03-01")
    assert [(f.kind, f.item_id, f.since) for f in found] == [("rereview", normative, D("2025-03-01"))]
    assert "已满 180 天" in found[0].text
    assert of(find(engine, settings, "2025-10-06"), "rereview", other) == []  # 399 days
    assert [f.key for f in of(find(engine, settings, "2025-10-07"), "rereview", other)] == [
        f"rereview:{other}:2025-10-07"
    ]


def test_rereview_clock_restarts_at_a_later_pre_publication_review(
    engine: Engine, settings: Settings
) -> None:
    item_id = add_item(engine, "JX-A2")
    add_item_review(engine, item_id, "2024-06-03")
    assert find(engine, settings, "2025-03-05") == []
    assert [f.key for f in find(engine, settings, "2025-06-03")] == [f"rereview:{item_id}:2025-06-03"]


def test_withdrawn_items_are_never_flagged(engine: Engine, base: Settings) -> None:
    settings = with_review(base, columns=[{"name": "机构信息", "kind": "other", "categories": ["机构职能"]}])
    add_item(engine, "JX-W1", published_on=D("2023-01-02"), summary=f"身份证{ID_NUMBER}",
             valid_until=D("2024-01-01"), repealed_on=D("2024-06-03"), withdrawn_on=D("2024-02-01"))  # fmt: skip
    add_item(engine, "JX-W2", published_on=None, generated_on=D("2025-01-06"), withdrawn_on=D("2025-01-08"))
    found = find(engine, settings, "2025-03-03")
    assert [f.kind for f in found] == ["column_empty"]  # the withdrawn item is not on the website either


# -- column_empty --------------------------------------------------------------------------------------


def test_column_empty_when_nothing_of_its_categories_is_published(engine: Engine, base: Settings) -> None:
    settings = with_review(
        base, columns=[{"name": "法定信息", "kind": "other", "categories": ["其他法定公开信息", "统计信息"]}]
    )
    add_item(engine, "JX-C1", category="统计信息", published_on=None, generated_on=D("2025-02-24"))  # a draft
    add_item(engine, "JX-C2", category="机构职能", published_on=D("2025-02-24"))
    found = find(engine, settings, "2025-03-03")
    assert [
        (f.kind, f.key, f.ref, f.item_id, f.column, f.owner_id, f.urgent, f.since)
        for f in found
        if f.kind != "draft"
    ] == [
        ("column_empty", "column:法定信息:empty", "法定信息", None, "法定信息", None, False, D("2025-03-03"))
    ]
    empty = of(found, "column_empty")[0]
    assert empty.text == (
        "网站栏目“法定信息”（其他）没有任何已公开的信息（类别：其他法定公开信息、统计信息），空白栏目会被检查扣分"
    )


def test_column_not_empty_when_items_of_its_categories_are_published(engine: Engine, base: Settings) -> None:
    settings = with_review(
        base, columns=[{"name": "法定信息", "kind": "other", "categories": ["其他法定公开信息", "统计信息"]}]
    )
    add_item(engine, "JX-C3", category="统计信息", published_on=D("2025-02-24"))
    assert find(engine, settings, "2025-03-03") == []


# -- column_stale --------------------------------------------------------------------------------------

NEWS = {"name": "工作动态", "kind": "news", "categories": ["机构职能"]}


def test_column_stale_after_its_kind_allows(engine: Engine, base: Settings) -> None:
    settings = with_review(base, columns=[NEWS])
    add_item(engine, "JX-S1", published_on=D("2025-01-06"))
    add_item(engine, "JX-S2", published_on=D("2025-02-14"))  # the latest publication
    assert find(engine, settings, "2025-02-28") == []  # 14 days: still fine for news
    found = find(engine, settings, "2025-03-01")
    assert [(f.kind, f.key, f.column, f.since, f.owner_id) for f in found] == [
        ("column_stale", "column:工作动态:2025-02-14", "工作动态", D("2025-02-14"), None)
    ]
    assert found[0].text == (
        "网站栏目“工作动态”（动态类）最近一次更新 2025-02-14（星期五），已 15 天未更新（要求 14 天内），请更新或核实"
    )


def test_column_with_a_recent_publication_is_not_stale(engine: Engine, base: Settings) -> None:
    policy = {"name": "政策文件", "kind": "policy", "categories": ["规范性文件"]}
    own = {"name": "机构概况", "kind": "other", "categories": ["机构职能"], "stale_days": 30}
    settings = with_review(base, columns=[NEWS, policy, own])
    add_item(engine, "JX-S3", published_on=D("2025-02-20"))
    add_item(engine, "JX-S4", category="规范性文件", published_on=D("2024-10-01"))
    assert find(engine, settings, "2025-03-06") == []  # news 14 days, policy 183 days, own 30 days
    assert [f.ref for f in find(engine, settings, "2025-03-07")] == ["工作动态"]
    assert [f.ref for f in find(engine, settings, "2025-03-22")] == ["工作动态"]  # 30 days: still fine
    assert [f.ref for f in find(engine, settings, "2025-03-23")] == ["工作动态", "机构概况"]


def test_recorded_column_outcome_counts_as_a_check(engine: Engine, base: Settings) -> None:
    settings = with_review(base, columns=[NEWS])
    add_item(engine, "JX-S5", published_on=D("2025-01-06"))
    result = run(engine, settings, "2025-03-03")
    assert [t["key"] for t in result.open_tasks] == ["column:工作动态:2025-01-06"]
    task_id = result.open_tasks[0]["id"]
    done = record(engine, task_id, "keep", "2025-03-03", reason="已核实，本月无新动态")
    assert (done.kind, done.ref, done.outcome, done.effect) == (
        "column_stale",
        "工作动态",
        "keep",
        "已记录栏目“工作动态”的检查结果，该栏目的更新期限从 2025-03-03 起重新计算",
    )
    assert find(engine, settings, "2025-03-17") == []  # 14 days after the check
    assert [f.key for f in find(engine, settings, "2025-03-18")] == ["column:工作动态:2025-03-03"]


# -- withheld -----------------------------------------------------------------------------------------


def test_withheld_due_after_the_interval(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-H1", attribute="not_public", attribute_reason="《条例》第十五条",
                       generated_on=D("2024-06-03"), published_on=None)  # fmt: skip
    assert find(engine, settings, "2024-11-29") == []  # 179 days
    found = find(engine, settings, "2024-11-30")
    assert [(f.kind, f.key, f.since, f.owner_id) for f in found] == [
        ("withheld", f"withheld:{item_id}:2024-11-30", D("2024-11-30"), "li")
    ]
    assert found[0].text == (
        "JX-H1：不予公开的信息，上次评估 2024-06-03（星期一），已满 180 天，请评估是否因情势变化可以公开（第十八条）"
    )


def test_withheld_by_a_pre_publication_review_is_withheld_not_a_draft(
    engine: Engine, settings: Settings
) -> None:
    item_id = add_item(engine, "JX-H2", generated_on=D("2024-08-01"), published_on=None)
    add_item_review(engine, item_id, "2024-09-02", result="withhold")
    assert find(engine, settings, "2025-02-28") == []
    assert [f.key for f in find(engine, settings, "2025-03-01")] == [f"withheld:{item_id}:2025-03-01"]


def test_withheld_assessed_recently_is_not_flagged(engine: Engine, base: Settings) -> None:
    settings = with_review(base, withheld_interval_days=90)
    item_id = add_item(
        engine, "JX-H3", attribute="not_public", generated_on=D("2024-01-02"), published_on=None
    )
    add_item_review(engine, item_id, "2025-01-06", result="withhold")
    assert find(engine, settings, "2025-04-05") == []  # 89 days after the last assessment
    assert [f.key for f in find(engine, settings, "2025-04-06")] == [f"withheld:{item_id}:2025-04-06"]


# -- draft --------------------------------------------------------------------------------------------


def test_draft_with_the_art26_deadline(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-D1", generated_on=D("2025-03-03"), published_on=None)
    found = find(engine, settings, "2025-03-10")
    assert [(f.kind, f.key, f.since, f.deadline, f.owner_id, f.urgent) for f in found] == [
        ("draft", f"draft:{item_id}:2025-03-03", D("2025-03-03"), D("2025-03-31"), "li", False)
    ]
    assert found[0].text == (
        "JX-D1：2025-03-03（星期一）形成，尚无发布前审查记录；第二十六条公开期限 2025-03-31（星期一）"
        "（还有 15 个工作日），请先审查再公开（第十七条）"
    )
    late = find(engine, settings, "2025-04-02")[0]
    assert "（已过 2 个工作日）" in late.text and late.key == f"draft:{item_id}:2025-03-03"


def test_open_task_text_is_as_of_the_latest_run(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-D9", generated_on=D("2025-03-03"), published_on=None)
    first = run(engine, settings, "2025-03-10")
    assert "（还有 15 个工作日）" in first.open_tasks[0]["detail"]
    later = run(engine, settings, "2025-03-17")
    task = later.open_tasks[0]
    assert task["id"] == first.open_tasks[0]["id"] and task["found_on"] == D("2025-03-10")
    assert "（还有 10 个工作日）" in task["detail"]
    assert "（还有 10 个工作日）" in later.notices[0].text and "【待处理】" in later.notices[0].text


def test_drafts_listed_oldest_first_with_their_deadlines(engine: Engine, settings: Settings) -> None:
    autumn = add_item(engine, "JX-D2", generated_on=D("2025-09-22"), published_on=None)
    spring = add_item(engine, "JX-D3", generated_on=D("2025-03-03"), published_on=None)
    summer = add_item(engine, "JX-D4", generated_on=D("2025-06-03"), published_on=None)
    found = find(engine, settings, "2025-09-30")
    assert [(f.item_id, f.since, f.deadline) for f in found] == [
        (spring, D("2025-03-03"), D("2025-03-31")),
        (summer, D("2025-06-03"), D("2025-07-01")),
        (autumn, D("2025-09-22"), D("2025-10-24")),
    ]
    assert "（还有 13 个工作日）" in found[2].text  # 30 September: Oct 9-11 and 13-24 are left


def test_draft_reviewed_after_formation_is_not_flagged(engine: Engine, settings: Settings) -> None:
    reviewed = add_item(engine, "JX-D5", generated_on=D("2025-03-03"), published_on=None)
    add_item_review(engine, reviewed, "2025-03-03")  # the formation day itself counts
    old_review = add_item(engine, "JX-D6", generated_on=D("2025-03-03"), published_on=None)
    add_item_review(engine, old_review, "2025-02-28")  # before it was formed: does not count
    add_item(engine, "JX-D7", generated_on=D("2025-03-03"), published_on=None, review_required=False)
    add_item(engine, "JX-D8", generated_on=D("2025-03-11"), published_on=None)  # formed after as_of
    add_item(engine, "JX-D9", generated_on=D("2025-03-03"), published_on=None, attribute="on_request")
    assert [(f.kind, f.item_id) for f in find(engine, settings, "2025-03-10")] == [("draft", old_review)]


def test_item_changed_after_publication_without_review_is_a_draft(engine: Engine, settings: Settings) -> None:
    # Module docstring: "draft — a proactive item formed (or changed after publication) without a
    # pre-publication review since"; the Art. 26 period runs from the change.
    item_id = add_item(engine, "JX-D10", published_on=D("2025-01-06"), changed_on=D("2025-03-03"))
    found = find(engine, settings, "2025-03-10")
    assert [(f.kind, f.key, f.since, f.deadline) for f in found] == [
        ("draft", f"draft:{item_id}:2025-03-03", D("2025-03-03"), D("2025-03-31"))
    ]
    assert "2025-03-03（星期一）变更" in found[0].text


# -- tasks --------------------------------------------------------------------------------------------


def test_run_opens_tasks_with_due_dates_and_notices(engine: Engine, settings: Settings) -> None:
    reread = add_item(engine, "JX-T1")  # rereview due 2025-03-05
    pii = add_item(engine, "JX-T2", published_on=D("2025-01-06"), summary=f"电话{MOBILE}", owner_id=None)
    draft = add_item(engine, "JX-T3", generated_on=D("2025-02-24"), published_on=None)  # Art. 26: 2025-03-24
    result = run(engine, settings, "2025-03-10")
    assert result.counts["found"] == 3 and result.counts["new"] == 3 and result.counts["urgent"] == 1
    assert result.counts["by_kind"] == {
        k: (1 if k in ("pii", "rereview", "draft") else 0) for k in review.KINDS
    }
    by_item = {t["item_id"]: t for t in result.open_tasks}
    assert [t["item_id"] for t in result.open_tasks] == [pii, draft, reread]  # urgent first, then by due date
    assert (by_item[pii]["due_on"], by_item[pii]["urgent"], by_item[pii]["owner_id"]) == (
        D("2025-03-11"),
        True,
        None,
    )
    assert by_item[reread]["due_on"] == D("2025-03-24")  # 10 working days
    assert (by_item[draft]["due_on"], by_item[draft]["deadline"]) == (D("2025-03-24"), D("2025-03-24"))
    assert all(t["found_on"] == t["last_found_on"] == D("2025-03-10") for t in result.open_tasks)
    notices = {n.key: n for n in result.notices}
    assert set(notices) == {f"review:{t['id']}:2025-W11" for t in result.open_tasks}
    urgent = notices[f"review:{by_item[pii]['id']}:2025-W11"]
    assert (
        urgent.recipients == ("wang",) and urgent.urgency == 0
    )  # no owner: the review owner (also the admin)
    assert notices[f"review:{by_item[reread]['id']}:2025-W11"].recipients == ("li",)
    for t in result.open_tasks:
        assert notices[f"review:{t['id']}:2025-W11"].text.startswith(
            f"【新】检查任务 #{t['id']}（{t['kind_label']}）："
        )
    # Nothing personal in what is stored or sent.
    with engine.connect() as conn:
        stored = conn.execute(sa.select(REVIEW_RUN.c.findings, REVIEW_RUN.c.counts)).one()
        details = conn.execute(sa.select(REVIEW_TASK.c.detail)).scalars().all()
    for text in [*stored, *details, *(n.text for n in result.notices)]:
        assert MOBILE not in text and "1234" not in text
    assert json.loads(stored[1])["by_kind"]["pii"] == 1


def test_urgent_pii_task_goes_to_owner_and_administrators(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-T4", published_on=D("2025-01-06"), summary=f"电话{MOBILE}")
    result = run(engine, settings, "2025-03-10")
    assert [n.recipients for n in result.notices] == [("li", "wang")]


def test_second_run_sees_open_tasks_again(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-T5")
    first = run(engine, settings, "2025-03-05")
    again = run(engine, settings, "2025-03-07")  # same ISO week
    assert (again.counts["new"], again.counts["still_open"], again.counts["closed"]) == (0, 1, 0)
    assert again.sync.still_open == first.sync.new
    assert [n.key for n in again.notices] == [n.key for n in first.notices]  # one notice per task and week
    assert again.notices[0].text.startswith("【待处理】")
    assert again.open_tasks[0]["last_found_on"] == D("2025-03-07")
    assert count(engine, ReviewTask) == 1 and count(engine, ReviewRun) == 2


def test_done_task_is_not_reported_again(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-T6", published_on=D("2025-01-06"), summary=f"公示电话{MOBILE}")
    first = run(engine, settings, "2025-03-03")
    (task,) = first.open_tasks
    record(engine, task["id"], "keep", "2025-03-04", reason="依法公示的联系电话，经核实可以公开")
    later = run(engine, settings, "2025-03-10")
    assert of(find(engine, settings, "2025-03-10"), "pii", item_id) != []  # the number is still there
    assert (later.counts["found"], later.counts["new"], later.counts["already_done"]) == (1, 0, 1)
    assert later.open_tasks == [] and later.notices == []
    assert [(t["key"], t["status"]) for t in tasks(engine, status=None)] == [(task["key"], "done")]
    assert reminders(engine, settings, "2025-03-20") == []


def test_open_task_no_longer_found_is_closed(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-T7", generated_on=D("2025-03-03"), published_on=None)
    (task,) = run(engine, settings, "2025-03-03").open_tasks
    add_item_review(engine, item_id, "2025-03-04")  # reviewed through `gongkai item review`
    later = run(engine, settings, "2025-03-05")
    assert later.sync.closed == [task["id"]] and later.counts["closed"] == 1 and later.open_tasks == []
    closed = get_task(engine, task["id"])
    assert (closed.status, closed.closed_on) == ("closed", D("2025-03-05"))
    assert count(engine, ReviewRecord) == 0


def test_a_new_situation_opens_a_new_task(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-T8")
    (first,) = run(engine, settings, "2025-03-05").open_tasks
    assert first["key"] == f"rereview:{item_id}:2025-03-05"
    record(engine, first["id"], "keep", "2025-03-06")
    assert run(engine, settings, "2025-03-10").counts["found"] == 0  # the clock restarted on the 6th
    assert run(engine, settings, "2026-03-05").counts["found"] == 0
    nxt = run(engine, settings, "2026-03-06")
    assert [t["key"] for t in nxt.open_tasks] == [f"rereview:{item_id}:2026-03-06"]
    assert nxt.sync.new == [nxt.open_tasks[0]["id"]] != [first["id"]]
    assert get_task(engine, first["id"]).status == "done"


def test_closed_task_found_again_is_reopened(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-T9", published_on=D("2025-01-06"), summary=f"电话{MOBILE}")
    (task,) = run(engine, settings, "2025-03-03").open_tasks
    update_item(engine, item_id, summary="电话（已删除）")
    assert run(engine, settings, "2025-03-04").sync.closed == [task["id"]]
    update_item(engine, item_id, summary=f"电话：{MOBILE}")  # the same number is back
    again = run(engine, settings, "2025-03-05")
    assert again.sync.reopened == [task["id"]] and again.sync.new == [] and again.counts["new"] == 1
    reopened = get_task(engine, task["id"])
    assert (reopened.status, reopened.closed_on, reopened.last_found_on) == ("open", None, D("2025-03-05"))
    assert again.notices[0].text.startswith("【新】")


def test_reopened_urgent_task_keeps_the_urgent_deadline(engine: Engine, settings: Settings) -> None:
    # A new urgent task is due after urgent_task_days (1 WD); reopened, it is just as urgent.
    item_id = add_item(engine, "JX-T10", published_on=D("2025-01-06"), summary=f"电话{MOBILE}")
    (task,) = run(engine, settings, "2025-03-03").open_tasks
    assert task["due_on"] == D("2025-03-04")
    update_item(engine, item_id, summary="电话（已删除）")
    run(engine, settings, "2025-03-04")
    update_item(engine, item_id, summary=f"电话：{MOBILE}")
    run(engine, settings, "2025-03-05")
    assert get_task(engine, task["id"]).due_on == D("2025-03-06")


def test_sync_tasks_twice_opens_each_task_once(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-T11")
    with office_session(engine) as s:
        cal = load_calendar(s)
        findings = review.find(s, settings=settings, calendar=cal, as_of=D("2025-03-05"))
        one = review.sync_tasks(s, findings, settings=settings, calendar=cal, as_of=D("2025-03-05"))
        two = review.sync_tasks(s, findings, settings=settings, calendar=cal, as_of=D("2025-03-05"))
    assert len(one.new) == 1 and two.new == [] and two.still_open == one.new
    assert count(engine, ReviewTask) == 1


# -- record_outcome: effects ---------------------------------------------------------------------------


def _task(engine: Engine, settings: Settings, as_of: str, kind: str) -> int:
    result = run(engine, settings, as_of)
    found = [t["id"] for t in result.open_tasks if t["kind"] == kind]
    assert len(found) == 1, result.open_tasks
    return int(found[0])


def test_withdraw_sets_withdrawn_on(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E1")
    task_id = _task(engine, settings, "2025-03-05", "rereview")
    done = record(engine, task_id, "撤下", "2025-03-06", as_of="2025-03-07", reason="内容已过时")
    assert done == Recorded(task_id, "rereview", "JX-E1", "withdraw", "已登记于 2025-03-06 撤下")
    assert get_item(engine, item_id).withdrawn_on == D("2025-03-06")
    task = get_task(engine, task_id)
    assert (task.status, task.closed_on) == ("done", D("2025-03-06"))
    with office_session(engine) as s:
        (row,) = review.history(s, task_id=task_id)
    assert (row["kind"], row["item_id"], row["outcome"], row["reviewer"], row["reviewed_on"], row["reason"],
            row["recorded_by"], row["ref"]) == ("rereview", item_id, "withdraw", REVIEWER, D("2025-03-06"),
                                                 "内容已过时", "wang", "JX-E1")  # fmt: skip
    assert find(engine, settings, "2026-06-01") == []


def test_repealed_keeps_the_recorded_repeal_date(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E2", repealed_on=D("2025-02-03"))
    task_id = _task(engine, settings, "2025-03-05", "repealed_listed")
    done = record(engine, task_id, "repealed", "2025-03-05")
    assert done.effect == "已标注为于 2025-02-03 废止"
    item = get_item(engine, item_id)
    assert (item.validity, item.repealed_on, item.withdrawn_on) == ("repealed", D("2025-02-03"), None)
    assert find(engine, settings, "2025-03-10") == []


def test_repealed_with_an_explicit_date(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E3", valid_until=D("2025-02-28"))
    task_id = _task(engine, settings, "2025-03-05", "validity_ended")
    with pytest.raises(InputError, match=r"^废止日期 2025-03-06 晚于今天（2025-03-05）。$"):
        record(engine, task_id, "repealed", "2025-03-05", repealed_on="2025-03-06")
    with pytest.raises(InputError, match=r"^废止日期 2024-02-01 早于该信息的生成日期 2024-03-01。$"):
        record(engine, task_id, "repealed", "2025-03-05", repealed_on="2024-02-01")
    assert get_item(engine, item_id).validity == "in_force"
    record(engine, task_id, "repealed", "2025-03-05", repealed_on="2025-03-01")
    item = get_item(engine, item_id)
    assert (item.validity, item.repealed_on) == ("repealed", D("2025-03-01"))


def test_publish_a_withheld_item(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E4", attribute="not_public", attribute_reason="《条例》第十四条",
                       generated_on=D("2024-06-03"), published_on=None)  # fmt: skip
    task_id = _task(engine, settings, "2025-03-05", "withheld")
    done = record(engine, task_id, "publish", "2025-03-05", reason="情势变化，已不涉及国家秘密")
    assert done.effect == "审查结论：予以公开；已登记于 2025-03-05 公开"
    item = get_item(engine, item_id)
    assert (item.attribute, item.attribute_reason, item.published_on) == ("proactive", None, D("2025-03-05"))
    (ir,) = item_reviews(engine, item_id)
    assert (ir.reviewer, ir.reviewed_on, ir.result, ir.note, ir.recorded_by) == (
        REVIEWER, D("2025-03-05"), "publish", "情势变化，已不涉及国家秘密", "wang")  # fmt: skip
    assert find(engine, settings, "2025-03-10") == []


@pytest.mark.parametrize(("outcome", "result"), [("publish", "publish"), ("update", "publish_redacted")])
def test_publish_a_draft(engine: Engine, settings: Settings, outcome: str, result: str) -> None:
    item_id = add_item(engine, "JX-E5", generated_on=D("2025-03-03"), published_on=None)
    task_id = _task(engine, settings, "2025-03-05", "draft")
    record(engine, task_id, outcome, "2025-03-05", reason="经审查可以公开")
    item = get_item(engine, item_id)
    assert (item.attribute, item.published_on) == ("proactive", D("2025-03-05"))
    assert [(r.result, r.reviewed_on) for r in item_reviews(engine, item_id)] == [(result, D("2025-03-05"))]
    assert find(engine, settings, "2025-03-10") == []


def test_withhold_a_draft(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E6", generated_on=D("2025-03-03"), published_on=None)
    task_id = _task(engine, settings, "2025-03-05", "draft")
    done = record(engine, task_id, "不予公开", "2025-03-05", reason="《条例》第十五条（个人隐私）")
    assert done.effect == "审查结论：不予公开；公开属性已改为不予公开"
    item = get_item(engine, item_id)
    assert (item.attribute, item.attribute_reason, item.published_on) == (
        "not_public",
        "《条例》第十五条（个人隐私）",
        None,
    )
    (ir,) = item_reviews(engine, item_id)
    assert (ir.result, ir.legal_ground, ir.reviewed_on) == (
        "withhold",
        "《条例》第十五条（个人隐私）",
        D("2025-03-05"),
    )
    assert find(engine, settings, "2025-08-31") == []  # the assessment restarts the Art. 18 clock
    assert [f.kind for f in find(engine, settings, "2025-09-01")] == ["withheld"]


def test_keep_withholding(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E7", attribute="not_public", attribute_reason="《条例》第十四条",
                       generated_on=D("2024-06-03"), published_on=None)  # fmt: skip
    task_id = _task(engine, settings, "2025-03-05", "withheld")
    assert record(engine, task_id, "withhold", "2025-03-05").effect == "审查结论：继续不予公开"
    item = get_item(engine, item_id)
    assert (item.attribute, item.attribute_reason) == ("not_public", "《条例》第十四条")
    assert [r.legal_ground for r in item_reviews(engine, item_id)] == [REASON]


def test_pii_update_refused_until_the_text_is_fixed(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E8", published_on=D("2025-01-06"), summary=f"联系电话{MOBILE}",
                       doc_number="嘉街发〔2025〕1号")  # fmt: skip
    task_id = _task(engine, settings, "2025-03-05", "pii")
    with office_session(engine) as s:
        with pytest.raises(InputError) as refused:
            review.record_outcome(s, task_id, outcome="update", reviewer=REVIEWER, reviewed_on=D("2025-03-05"),
                                  reason="已删除", by="wang", as_of=D("2025-03-05"))  # fmt: skip
        s.flush()  # the caller's transaction goes on: nothing of the refused record may be in it
    message = str(refused.value)
    assert message.startswith(
        "JX-E8 的内容中仍有手机号码 1 处（内容概述第 5 个字符起的手机号码）：请先更正条目内容"
    )
    assert MOBILE not in message
    assert count(engine, ReviewRecord) == 0 and get_task(engine, task_id).status == "open"
    update_item(engine, item_id, summary="联系电话见办事指南")
    done = record(engine, task_id, "update", "2025-03-05", reason="已删除手机号码")
    assert (done.outcome, done.effect) == ("update", "无（已记录审查结果）")
    assert get_task(engine, task_id).status == "done"
    assert count(engine, ReviewRecord, task_id=task_id) == 1


def test_pii_withdraw_is_accepted_with_the_number_still_there(engine: Engine, settings: Settings) -> None:
    item_id = add_item(engine, "JX-E9", published_on=D("2025-01-06"), summary=f"联系电话{MOBILE}")
    task_id = _task(engine, settings, "2025-03-05", "pii")
    record(engine, task_id, "withdraw", "2025-03-05", reason="先撤下再处理")
    assert get_item(engine, item_id).withdrawn_on == D("2025-03-05")
    assert run(engine, settings, "2025-03-10").counts["found"] == 0


def test_update_and_keep_on_a_published_item_change_nothing_but_restart_the_clock(engine: Engine,
                                                                                 settings: Settings) -> None:  # fmt: skip
    item_id = add_item(engine, "JX-E10")
    before = get_item(engine, item_id)
    task_id = _task(engine, settings, "2025-03-05", "rereview")
    done = record(engine, task_id, "已更新", "2025-03-07")
    assert (done.outcome, done.effect) == ("update", "无（已记录审查结果）")
    after = get_item(engine, item_id)
    assert (after.title, after.summary, after.published_on, after.validity, after.withdrawn_on, after.attribute) == (
        before.title, before.summary, before.published_on, before.validity, None, "proactive")  # fmt: skip
    assert find(engine, settings, "2026-03-06") == []
    assert [f.key for f in find(engine, settings, "2026-03-07")] == [f"rereview:{item_id}:2026-03-07"]


def test_publishing_a_draft_before_it_was_formed_is_refused(engine: Engine, settings: Settings) -> None:
    # `gongkai item review` refuses a review dated before the formation date, and an item cannot be
    # published before it was formed: the same decision recorded here must not write either.
    item_id = add_item(engine, "JX-E11", generated_on=D("2025-03-03"), published_on=None)
    task_id = _task(engine, settings, "2025-03-05", "draft")
    with pytest.raises(InputError, match="早于该信息的生成日期 2025-03-03"):
        record(engine, task_id, "publish", "2025-02-28", as_of="2025-03-05")
    item = get_item(engine, item_id)
    assert (item.published_on, item_reviews(engine, item_id)) == (None, [])


def test_summary_markdown_has_no_personal_number(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-E12", published_on=D("2025-01-06"), summary=f"身份证{ID_NUMBER}，电话{MOBILE}")
    result = run(engine, settings, "2025-03-05")
    with office_session(engine) as s:
        figures = review.year_figures(s, 2025)
    text = review.summary_markdown(result, figures, names={"li": "李强"})
    assert "| #1 | 公开内容含个人信息 | JX-E12 | 李强 | 2025-03-06（紧急） |" in text
    assert "本次发现 1 项：新任务 1 个" in text
    assert MOBILE not in text and ID_NUMBER not in text
    assert "### 最近 7 天登记的处理结果\n\n无。" in text
    # An outcome recorded this week shows in the next run's artifact, its reason escaped for the table.
    with office_session(engine) as s:
        review.record_outcome(s, 1, outcome="withdraw", reviewer="王丽", reviewed_on=D("2025-03-06"),
                              reason="含个人信息|先撤下", by="wang", as_of=D("2025-03-06"))  # fmt: skip
    later = run(engine, settings, "2025-03-10")
    with office_session(engine) as s:
        recent = review.history(s, since=D("2025-03-03"))
        assert review.history(s, since=D("2025-03-07")) == []
    text = review.summary_markdown(later, figures, names={"li": "李强"}, recent=recent)
    assert "| 2025-03-06 | #1 | 公开内容含个人信息 | JX-E12 | 王丽 | 撤下 | 含个人信息｜先撤下 |" in text


def test_summary_markdown_escapes_item_numbers_names_and_reasons(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX_E*13*", published_on=D("2025-01-06"), summary=f"身份证{ID_NUMBER}")
    result = run(engine, settings, "2025-03-05")
    with office_session(engine) as s:
        figures = review.year_figures(s, 2025)
        review.record_outcome(s, 1, outcome="withdraw", reviewer="<b>王_丽</b>", reviewed_on=D("2025-03-06"),
                              reason="# 撤下 [见](javascript:x)", by="wang", as_of=D("2025-03-06"))  # fmt: skip
        recent = review.history(s, since=D("2025-03-03"))
    text = review.summary_markdown(result, figures, names={"li": "李_强_"}, recent=recent)

    assert "JX\\_E\\*13\\*" in text and "JX_E*13*" not in text
    assert "李\\_强\\_" in text
    assert "<b>" not in text and "&lt;b&gt;王\\_丽&lt;/b&gt;" in text
    assert "\\[见\\]" in text and "[见](" not in text


# -- record_outcome: refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task_id": 999999}, "没有编号为 999999 的检查任务（可用 gongkai review list 查看）。"),
        (
            {"outcome": "publish"},
            "已公开信息定期复查任务不能登记“予以公开”：可登记 keep（保留（无需改动））、update（已更新）、"
            "withdraw（撤下）、repealed（标注废止）。",
        ),
        (
            {"outcome": "随便写"},
            "处理结果“随便写”无法识别：已公开信息定期复查任务可登记 keep（保留（无需改动））、update（已更新）、"
            "withdraw（撤下）、repealed（标注废止）。",
        ),
        ({"reason": "  "}, "处理理由（--reason）不能为空：请写明依据或做了什么，例如“经复查内容仍然有效”。"),
        ({"reviewer": " "}, "审查人（--reviewer）不能为空。"),
        ({"reviewer": "审" * 101}, "审查人（--reviewer）最长 100 个字符。"),
        ({"reviewed_on": D("2025-03-06")}, "审查日期 2025-03-06 晚于今天（2025-03-05），不能预先登记。"),
        (
            {"reviewed_on": D("2024-03-03")},
            "审查日期 2024-03-03 早于任务发现日期 2025-03-05 一年以上，请核对。",
        ),
    ],
    ids=[
        "unknown-task",
        "not-allowed",
        "unknown-outcome",
        "empty-reason",
        "empty-reviewer",
        "long-reviewer",
        "future-date",
        "too-early",
    ],  # fmt: skip
)
def test_refusals_leave_nothing_half_written(engine: Engine, settings: Settings, change: dict[str, Any],
                                             message: str) -> None:  # fmt: skip
    item_id = add_item(engine, "JX-F1")
    task_id = _task(engine, settings, "2025-03-05", "rereview")
    call: dict[str, Any] = {"task_id": task_id, "outcome": "withdraw", "reviewer": REVIEWER,
                            "reviewed_on": D("2025-03-05"), "reason": REASON}  # fmt: skip
    call.update(change)
    with office_session(engine) as s:
        with pytest.raises(InputError) as refused:
            review.record_outcome(s, call.pop("task_id"), by="wang", as_of=D("2025-03-05"), **call)
        s.flush()
    assert str(refused.value) == message
    assert count(engine, ReviewRecord) == 0
    task = get_task(engine, task_id)
    assert (task.status, task.closed_on) == ("open", None)
    assert get_item(engine, item_id).withdrawn_on is None


def test_recording_twice_is_refused(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-F2")
    task_id = _task(engine, settings, "2025-03-05", "rereview")
    record(engine, task_id, "keep", "2025-03-05")
    with pytest.raises(InputError) as refused:
        record(engine, task_id, "withdraw", "2025-03-06")
    assert str(refused.value) == (
        f"检查任务 #{task_id} 已于 2025-03-05 登记处理结果，不能重复登记（可用 gongkai review show {task_id} 查看）。"
    )
    assert count(engine, ReviewRecord) == 1
    assert get_item(engine, get_task(engine, task_id).item_id or 0).withdrawn_on is None


def test_outcome_not_allowed_for_a_withheld_task_lists_the_allowed_ones(
    engine: Engine, settings: Settings
) -> None:
    add_item(engine, "JX-F3", attribute="not_public", generated_on=D("2024-06-03"), published_on=None)
    task_id = _task(engine, settings, "2025-03-05", "withheld")
    with pytest.raises(InputError) as refused:
        record(engine, task_id, "keep", "2025-03-05")
    assert (
        str(refused.value)
        == "不予公开信息定期评估任务不能登记“保留（无需改动）”：可登记 publish（予以公开）、withhold（继续不予公开）。"
    )


def test_find_outcome_aliases() -> None:
    assert [review.find_outcome(t) for t in ("keep", " KEEP ", "保留", "维持", "撤下", "废止", "公开", "不予公开",
                                             "修改后公开", "已更新", "nonsense")] == [
        "keep", "keep", "keep", "keep", "withdraw", "repealed", "publish", "withhold", "update", "update", None,
    ]  # fmt: skip
    assert set(review.ALLOWED) == set(review.KINDS)
    assert all(set(v) <= set(review.OUTCOMES) for v in review.ALLOWED.values())


# -- escalation by the daily reminders -----------------------------------------------------------------


def test_overdue_task_is_escalated_on_working_days_after_its_due_day(
    engine: Engine, settings: Settings
) -> None:
    add_item(engine, "JX-G1")
    task_id = _task(engine, settings, "2025-03-05", "rereview")
    assert get_task(engine, task_id).due_on == D("2025-03-19")
    for day in ("2025-03-06", "2025-03-18", "2025-03-19"):
        assert reminders(engine, settings, day) == [], day
    planned = reminders(engine, settings, "2025-03-20")
    assert [(p.key, p.recipients, p.escalation, p.urgency, p.deadline, p.ref) for p in planned] == [
        (f"review:{task_id}:escalation:2025-03-20", ("wang", "zhao"), True, 0, D("2025-03-19"), "JX-G1"),
        (f"review:{task_id}:overdue:2025-03-20", ("li",), False, 0, D("2025-03-19"), "JX-G1"),
    ]
    overdue = planned[1]
    assert overdue.text == (
        f"JX-G1：检查任务 #{task_id}（已公开信息定期复查）应于 2025-03-19（星期三） 前登记处理结果，已超过 1 个工作日，"
        f"请处理后登记（gongkai review record {task_id}）"
    )
    assert "（负责人：李强），请督办" in planned[0].text
    assert reminders(engine, settings, "2025-03-22") == []  # Saturday
    assert {p.key for p in reminders(engine, settings, "2025-03-24")} == {
        f"review:{task_id}:overdue:2025-03-24",
        f"review:{task_id}:escalation:2025-03-24",
    }
    record(engine, task_id, "keep", "2025-03-24")
    assert reminders(engine, settings, "2025-03-25") == []


def test_overdue_urgent_task_goes_to_owner_and_administrators(engine: Engine, settings: Settings) -> None:
    add_item(engine, "JX-G2", published_on=D("2025-01-06"), summary=f"电话{MOBILE}")
    task_id = _task(engine, settings, "2025-03-05", "pii")
    assert reminders(engine, settings, "2025-03-06") == []  # due on the 6th (1 working day)
    planned = {p.key: p for p in reminders(engine, settings, "2025-03-07")}
    assert planned[f"review:{task_id}:overdue:2025-03-07"].recipients == ("li", "wang")
    assert planned[f"review:{task_id}:escalation:2025-03-07"].recipients == ("zhao",)
    assert all(MOBILE not in p.text for p in planned.values())


def test_overdue_column_task_goes_to_the_review_owner(engine: Engine, base: Settings) -> None:
    settings = with_review(base, owner="li", columns=[NEWS])
    task_id = _task(engine, settings, "2025-03-05", "column_empty")
    planned = {p.key: p for p in reminders(engine, settings, "2025-03-20")}
    assert planned[f"review:{task_id}:overdue:2025-03-20"].recipients == ("li",)
    assert planned[f"review:{task_id}:overdue:2025-03-20"].ref == "工作动态"
    assert planned[f"review:{task_id}:escalation:2025-03-20"].recipients == ("wang", "zhao")


def test_overdue_once_when_not_every_working_day(engine: Engine, base: Settings) -> None:
    data = with_review(base).model_dump()
    data["reminders"]["overdue_every_working_day"] = False
    settings = Settings.model_validate(data)
    add_item(engine, "JX-G3")
    task_id = _task(engine, settings, "2025-03-05", "rereview")
    keys = {p.key for p in reminders(engine, settings, "2025-03-22")}  # a Saturday is fine then
    assert keys == {f"review:{task_id}:overdue:once", f"review:{task_id}:escalation:once"}


# -- the year's figures ------------------------------------------------------------------------------------


def test_year_figures_and_narrative_sentence(engine: Engine, base: Settings) -> None:
    settings = with_review(
        base, columns=[{"name": "法定信息", "kind": "other", "categories": ["其他法定公开信息"]}]
    )
    # 2024: one item re-reviewed (kept).
    r0 = add_item(engine, "JX-Y0", published_on=D("2023-11-01"))
    add_item_review(engine, r0, "2023-10-30")  # rereview due 2024-10-31
    t0 = _task(engine, settings, "2024-12-02", "rereview")
    record(engine, t0, "keep", "2024-12-02")
    # 2025: one of each outcome.
    r1, r2, r3 = (add_item(engine, f"JX-Y{i}") for i in (1, 2, 3))  # rereview due 2025-03-05
    add_item_review(engine, r1, "2024-03-04")  # a 2024 pre-publication review
    v = add_item(engine, "JX-Y4", valid_until=D("2025-03-01"))
    p = add_item(engine, "JX-Y5", published_on=D("2025-01-06"), summary=f"电话{MOBILE}")
    w1, w2 = (add_item(engine, f"JX-Y{i}", attribute="not_public", generated_on=D("2024-06-03"), published_on=None)
              for i in (6, 7))  # fmt: skip
    dr = add_item(engine, "JX-Y8", generated_on=D("2025-03-03"), published_on=None)
    run(engine, settings, "2025-03-05")
    result = run(engine, settings, "2025-03-05")  # twice on one day: one day of review
    by_item = {t["item_id"]: t["id"] for t in result.open_tasks}
    column_task = next(t["id"] for t in result.open_tasks if t["kind"] == "column_empty")
    assert len(result.open_tasks) == 9  # 8 items and the column, still empty since 2024 (same key, same task)
    for item_id, outcome in ((r1, "keep"), (r2, "withdraw"), (r3, "update"), (v, "repealed"), (p, "withdraw"),
                             (w1, "publish"), (w2, "withhold"), (dr, "publish")):  # fmt: skip
        record(engine, by_item[item_id], outcome, "2025-03-05")
    record(engine, column_task, "keep", "2025-03-06")
    run(engine, settings, "2025-03-10")
    with office_session(engine) as s:
        figures = review.year_figures(s, 2025)
        last_year = review.year_figures(s, 2024)
        assert len(review.history(s, year=2025)) == 9 and len(review.history(s, year=2024)) == 1
        assert [h["reviewed_on"] for h in review.history(s, year=2025)][-1] == D("2025-03-06")
    assert figures == {
        "runs": 2,
        "prepublication": 3,  # the reviews recorded by publish, withhold and publish
        "published_reviewed": 5,
        "updated": 1,
        "withdrawn": 2,
        "repealed": 1,
        "pii": 1,
        "withheld_assessed": 2,
        "made_public": 1,
        "drafts_reviewed": 1,
        "columns_checked": 1,
    }
    assert last_year == {
        "runs": 1, "prepublication": 1, "published_reviewed": 1, "updated": 0, "withdrawn": 0, "repealed": 0,
        "pii": 0, "withheld_assessed": 0, "made_public": 0, "drafts_reviewed": 0, "columns_checked": 0,
    }  # fmt: skip
    sentence = review.narrative_sentence(figures, 2025)
    assert sentence == (
        "审查机制方面，2025年开展定期内容检查2次，发布前审查信息3条，复查已公开信息5条（其中更新1条、撤下2条、"
        "标注失效1条），评估暂不公开的信息2条（其中转为主动公开1条），发现并处理公开内容中的个人信息隐患1处，"
        "处理网站栏目更新问题1次。"
    )
    assert quoted_figures(sentence) == []  # identity I8 finds no table figure quoted in it
    assert not re.search(r"\d\s*件", sentence)
    assert review.narrative_sentence(last_year, 2024) == (
        "审查机制方面，2024年开展定期内容检查1次，发布前审查信息1条，复查已公开信息1条（其中更新0条、撤下0条、标注失效0条）。"
    )


def test_narrative_sentence_of_an_empty_year() -> None:
    zero = dict.fromkeys(("runs", "prepublication", "published_reviewed", "updated", "withdrawn", "repealed", "pii",
                          "withheld_assessed", "made_public", "drafts_reviewed", "columns_checked"), 0)  # fmt: skip
    assert review.narrative_sentence(zero, 2025) == ""
    only_runs = {**zero, "runs": 52}
    sentence = review.narrative_sentence(only_runs, 2025)
    assert sentence == "审查机制方面，2025年开展定期内容检查52次，发布前审查信息0条。"
    assert quoted_figures(sentence) == []


def test_narrative_sentence_never_quotes_a_figure_in_jian() -> None:
    # Large and equal numbers everywhere: still nothing identity I8 would read as a table figure.
    figures = dict.fromkeys(("runs", "prepublication", "published_reviewed", "updated", "withdrawn", "repealed",
                             "pii", "withheld_assessed", "made_public", "drafts_reviewed", "columns_checked"), 7)  # fmt: skip
    sentence = review.narrative_sentence(figures, 2025)
    assert "件" not in sentence and quoted_figures(sentence) == []
    assert sentence.count("7") == 10 and sentence.endswith("。")


# -- the catalogue withholds text with personal data ---------------------------------------------------


def _build_catalogue(engine: Engine, settings: Settings, as_of: str, out: Path) -> Any:
    from gongkai.catalogue.build import update_catalogue

    with office_session(engine) as s:
        return update_catalogue(s, settings=settings, calendar=load_calendar(s), as_of=D(as_of), out_dir=out)


def _published_text(update: Any) -> str:
    import openpyxl

    texts = [p.read_text(encoding="utf-8") for name, p in update.files.items() if not name.endswith(".xlsx")]
    wb = openpyxl.load_workbook(update.files["catalogue.xlsx"], read_only=True)
    texts += [
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    ]
    wb.close()
    return "\n".join(texts)


def test_catalogue_withholds_text_with_personal_data_until_a_decision(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    with_id = add_item(
        engine, "JX-C1", published_on=D("2025-01-06"), summary=f"申请人身份证号{ID_NUMBER}，已办结"
    )
    add_item(engine, "JX-C3", published_on=D("2025-01-06"))
    run(engine, settings, "2025-03-03")  # the urgent finding on JX-C1 is open
    assert [t["item_id"] for t in tasks(engine, kind="pii")] == [with_id]
    add_item(
        engine, "JX-C2", published_on=D("2025-01-06"), title=f"联系人电话{MOBILE}的公告"
    )  # not reviewed yet

    update = _build_catalogue(engine, settings, "2025-04-01", tmp_path / "q1")
    text = _published_text(update)
    assert ID_NUMBER not in text and MOBILE not in text
    assert "关于JX-C1的通知" in text and "主要职责、内设机构" in text  # the rest is published as before
    withheld = [f for f in update.findings if f.kind == "personal_data"]
    assert [f.index_no for f in withheld] == ["JX-C1", "JX-C2"]
    assert "内容概述" in withheld[0].message and "居民身份证号码" in withheld[0].message
    assert "名称" in withheld[1].message and "手机号码" in withheld[1].message
    assert all(ID_NUMBER not in f.message and MOBILE not in f.message for f in withheld)

    # A recorded decision that the text may stay public (the finding is done) ends the withholding.
    record(engine, task_id_of(engine, tasks(engine, kind="pii")[0]["key"]), "keep", "2025-04-01",
           reason="依法公示的信息，经核实可以公开")  # fmt: skip
    again = _build_catalogue(engine, settings, "2025-04-02", tmp_path / "q1b")
    assert ID_NUMBER in _published_text(again)
    assert [f.index_no for f in again.findings if f.kind == "personal_data"] == ["JX-C2"]
