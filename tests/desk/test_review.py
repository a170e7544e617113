"""The desk's content-review pages (定期检查): the task list with its filters, one task with the outcome form
offering exactly the outcomes ``gongkai review record`` accepts for it, and recording an outcome (the task
closed, the item changed, the signed-in person recorded). Tasks are made by the real weekly review
(``services.processes.review_content``) over items registered through the service; real database (SQLite and
PostgreSQL), business date 2026-03-02."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

from gongkai.core.home import gongkai_home
from gongkai.services.actor import Actor
from gongkai.services.items import add_item, item_detail
from gongkai.services.office import open_office
from gongkai.services.processes import open_works, review_content
from gongkai.services.review import ReviewTaskDetail, list_review_tasks, review_task
from tests.desk.conftest import AS_OF, DeskSetup, page_text, signed_in

XSS = "<script>alert(1)</script>"
XSS2 = '"><img src=x onerror=alert(1)>'
DRAFT = "HD/2026-00007"
ENDED = "HD/2025-00031"


def seed(setup: DeskSetup, index_no: str, **kw: Any) -> None:
    values: dict[str, Any] = {
        "title": f"关于{index_no}的通知",
        "category": "机构职能",
        "attribute": "proactive",
    }
    values.update(kw)
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        add_item(office, Actor.staff(setup.settings, "chen"), index_no=index_no, **values)


def run_review(setup: DeskSetup) -> None:
    with open_works(setup.settings, home=gongkai_home(), url=setup.url) as works:
        review_content(works, Actor.schedule("review"), AS_OF)


def tasks_of(setup: DeskSetup) -> dict[str, int]:
    """Every task's id by the item's index number."""
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        return {
            t.ref: t.id for t in list_review_tasks(office, Actor.terminal(setup.settings, "t"), status=None)
        }


def task(setup: DeskSetup, task_id: int) -> ReviewTaskDetail:
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        return review_task(office, Actor.terminal(setup.settings, "t"), task_id)


def item(setup: DeskSetup, index_no: str) -> dict[str, Any]:
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        return item_detail(office, Actor.terminal(setup.settings, "t"), index_no).to_json()


def two_tasks(setup: DeskSetup, *, draft_title: str | None = None) -> dict[str, int]:
    """A draft waiting for its pre-publication review (owned by sun), and a published item whose validity
    ended (no owner: the review owner's)."""
    seed(
        setup,
        DRAFT,
        generated_on=date(2026, 2, 25),
        owner="sun",
        **({"title": draft_title} if draft_title else {}),
    )
    seed(
        setup,
        ENDED,
        generated_on=date(2025, 6, 2),
        published_on=date(2025, 6, 3),
        valid_until=date(2026, 1, 31),
    )
    run_review(setup)
    ids = tasks_of(setup)
    assert set(ids) == {DRAFT, ENDED}
    return ids


def radios(html: str) -> list[str]:
    return re.findall(r'<input[^>]*type="radio"[^>]*name="outcome"[^>]*value="([^"]+)"', html)


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html


# -- the list ----------------------------------------------------------------------------------------------


def test_the_task_list_and_its_filters(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "chen")
    page = client.get("/review")
    text = page_text(page)
    assert page.status_code == 200 and "共 2 个" in text
    assert "待发布前审查" in text and "有效期届满" in text and "孙海" in text
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        order = [t.id for t in list_review_tasks(office, Actor.terminal(desk.settings, "t"))]
    shown = [int(n) for n in re.findall(r'<a href="/review/(\d+)">', page.text)]
    assert shown == order  # urgent and earliest due first, as the command line lists them
    only_draft = page_text(client.get("/review?kind=draft"))
    assert DRAFT in only_draft and ENDED not in only_draft
    mine = page_text(client.get("/review?owner=sun"))
    assert DRAFT in mine and ENDED not in mine
    assert "没有符合条件的检查任务" in page_text(client.get("/review?status=done"))
    assert "共 2 个" in page_text(client.get("/review?status=all"))
    bad = client.get("/review?kind=nonsense")
    assert bad.status_code == 400 and 'id="kind-error"' in bad.text and "检查项" in page_text(bad)
    assert ids


# -- one task and its outcome form -------------------------------------------------------------------------


def test_the_task_page_offers_exactly_the_allowed_outcomes(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "chen")
    draft = client.get(f"/review/{ids[DRAFT]}")
    text = page_text(draft)
    assert draft.status_code == 200
    assert (
        radios(draft.text)
        == [a.outcome for a in task(desk, ids[DRAFT]).allowed]
        == ["publish", "update", "withhold"]
    )
    assert "第二十六条公开期限" in text and str(task(desk, ids[DRAFT]).task.deadline) in text
    assert (
        'name="reviewer"' in draft.text
        and 'value="陈静"' in draft.text
        and 'value="2026-03-02"' in draft.text
    )
    assert 'name="repealed_on"' not in draft.text  # no outcome of a draft marks a repeal
    assert f'href="/items/{DRAFT}"' in draft.text
    ended = client.get(f"/review/{ids[ENDED]}")
    assert radios(ended.text) == ["repealed", "update", "withdraw", "keep"]
    assert 'name="repealed_on"' in ended.text
    form = re.search(r'<form method="post" action="/review/\d+"[^>]*>(.*?)</form>', ended.text, re.S)
    assert form and form.group(1).lstrip().startswith('<input type="hidden" name="csrf_token"')


def test_an_outcome_is_recorded_and_the_task_closed(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "chen")
    response = client.post(
        f"/review/{ids[DRAFT]}",
        {"outcome": "publish", "reviewer": "孙海", "reviewed_on": "2026-03-02", "reason": "经审查可以公开"},
    )
    assert response.status_code == 303 and response.headers["location"] == f"/review/{ids[DRAFT]}"
    found = task(desk, ids[DRAFT])
    assert found.task.status == "done"
    (record,) = found.records
    assert (record.outcome, record.reviewer, record.recorded_by) == ("publish", "孙海", "chen")
    assert item(desk, DRAFT)["published_on"] == "2026-03-02"
    page = client.get(response.headers["location"])
    text = page_text(page)
    assert "已登记检查任务" in text and "予以公开" in text and "经审查可以公开" in text
    assert radios(page.text) == []  # done: nothing more to record
    assert ids[DRAFT] not in [int(n) for n in re.findall(r'href="/review/(\d+)"', client.get("/review").text)]


def test_a_repeal_is_recorded_with_its_date(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "sun")
    response = client.post(
        f"/review/{ids[ENDED]}",
        {"outcome": "repealed", "reviewer": "孙海", "reviewed_on": "2026-03-02", "reason": "有效期届满",
         "repealed_on": "2026-02-01"},
    )  # fmt: skip
    assert response.status_code == 303
    ended = item(desk, ENDED)
    assert (ended["validity"], ended["repealed_on"]) == ("repealed", "2026-02-01")
    assert task(desk, ids[ENDED]).records[0].recorded_by == "sun"


def test_an_outcome_the_task_does_not_allow_is_refused(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "chen")
    for outcome in ("keep", "repealed", "nonsense", ""):
        response = client.post(
            f"/review/{ids[DRAFT]}",
            {"outcome": outcome, "reviewer": "陈静", "reviewed_on": "2026-03-02", "reason": "理由"},
        )
        assert response.status_code == 400, outcome
        assert 'id="outcome-error"' in response.text and "可登记" in page_text(response)
        assert 'value="理由"' in response.text or ">理由</textarea>" in response.text
    found = task(desk, ids[DRAFT])
    assert found.task.status == "open" and found.records == ()
    assert item(desk, DRAFT)["published_on"] is None


def test_bad_fields_are_named_and_nothing_is_written(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "chen")
    response = client.post(
        f"/review/{ids[ENDED]}",
        {
            "outcome": "repealed",
            "reviewer": "",
            "reviewed_on": "上周",
            "reason": " ",
            "repealed_on": "2026-02-30",
        },
    )
    assert response.status_code == 400
    for name in ("reviewer", "reviewed_on", "reason", "repealed_on"):
        assert f'id="{name}-error"' in response.text and f'aria-describedby="{name}-error"' in response.text
    assert task(desk, ids[ENDED]).task.status == "open"


def test_the_services_refusals_are_shown_and_nothing_is_written(desk: DeskSetup) -> None:
    ids = two_tasks(desk)
    client = signed_in(desk, "chen")
    future = client.post(
        f"/review/{ids[DRAFT]}",
        {"outcome": "publish", "reviewer": "陈静", "reviewed_on": "2026-03-03", "reason": "经审查可以公开"},
    )
    assert future.status_code == 400 and "晚于今天" in page_text(future)
    early = client.post(
        f"/review/{ids[ENDED]}",
        {"outcome": "repealed", "reviewer": "陈静", "reviewed_on": "2026-03-02", "reason": "有效期届满",
         "repealed_on": "2025-01-01"},
    )  # fmt: skip
    assert early.status_code == 400 and "早于该信息的生成日期" in page_text(early)
    assert task(desk, ids[DRAFT]).records == () and task(desk, ids[ENDED]).records == ()
    assert item(desk, DRAFT)["published_on"] is None and item(desk, ENDED)["validity"] == "in_force"
    done = {"outcome": "keep", "reviewer": "陈静", "reviewed_on": "2026-03-02", "reason": "已延续"}
    assert client.post(f"/review/{ids[ENDED]}", done).status_code == 303
    again = client.post(f"/review/{ids[ENDED]}", {**done, "outcome": "withdraw"})
    assert again.status_code == 400 and "不能重复登记" in page_text(again)
    assert len(task(desk, ids[ENDED]).records) == 1 and item(desk, ENDED)["withdrawn_on"] is None


def test_an_unknown_task_is_404(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    assert client.get("/review/999").status_code == 404
    assert (
        client.post("/review/999", {"outcome": "keep", "reviewer": "陈静", "reason": "x"}).status_code == 404
    )


def test_xss_in_the_task_and_its_records_is_inert(desk: DeskSetup) -> None:
    ids = two_tasks(desk, draft_title=XSS)
    client = signed_in(desk, "chen")
    response = client.post(
        f"/review/{ids[DRAFT]}",
        {"outcome": "withhold", "reviewer": XSS2, "reviewed_on": "2026-03-02", "reason": XSS},
    )
    assert response.status_code == 303
    refused = client.post(f"/review/{ids[ENDED]}", {"outcome": "keep", "reviewer": XSS2, "reason": XSS,
                                                     "reviewed_on": XSS2})  # fmt: skip
    assert refused.status_code == 400
    pages = [client.get(f"/review/{ids[DRAFT]}"), client.get("/review?status=all"), refused,
             client.get(f"/items/{DRAFT}"), client.get("/")]  # fmt: skip
    for page in pages:
        assert page.status_code in (200, 400)
        assert_inert(page.text)
    assert XSS in unescape(page_text(pages[0])) and XSS in unescape(page_text(pages[3]))


# -- 待办 links --------------------------------------------------------------------------------------------


def test_the_home_page_links_land_on_these_pages(demo_desk: DeskSetup) -> None:
    run_review(demo_desk)
    client = signed_in(demo_desk, "wang")
    home = client.get("/")
    links = re.findall(r'href="(/(?:items|review)/[^"]+)"', home.text)
    assert any(link.startswith("/review/") for link in links) and any(
        link.startswith("/items/") for link in links
    )
    for link in links:
        response = client.get(unescape(link))
        assert response.status_code == 200, link


def test_a_task_on_an_item_nobody_owns_is_in_the_review_owners_todo(desk: DeskSetup) -> None:
    seed(
        desk,
        "T-PII",
        summary="联系人身份证号 11010519491231002X",
        generated_on=date(2026, 1, 5),
        published_on=date(2026, 1, 6),
    )
    run_review(desk)
    owner = desk.settings.review_owner.id
    tasks = tasks_of(desk)
    assert "T-PII" in tasks, tasks
    home = signed_in(desk, owner).get("/")
    assert f'href="/review/{tasks["T-PII"]}"' in home.text
    other = next(s.id for s in desk.settings.staff if s.id != owner)
    assert f'href="/review/{tasks["T-PII"]}"' not in signed_in(desk, other).get("/").text
