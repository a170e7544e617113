"""The administrator's January on the desk (``/report``): readiness, the yearly figures, the narrative, building
(directly, or through the ``annual-report`` deployment when a Prefect API is configured), downloads, finalizing
and reopening. The real application on a real database (SQLite and PostgreSQL through ``desk``), the business
date 2026-03-02 (the 2025 report is due)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from gongkai.core.settings import gongkai_home, load_settings
from gongkai.services.actor import Actor
from gongkai.services.office import open_office
from tests.desk.conftest import AS_OF, PASSWORDS, DeskClient, DeskSetup, _setup, page_text, signed_in
from tests.offices import LIVE_CONFIG

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
FIGURES = {
    "licensing_decisions": "12",
    "penalty_decisions": "3",
    "coercion_decisions": "0",
    "fees_10k_yuan": "0.35",
}


def _operator(setup: DeskSetup) -> Actor:
    return Actor.terminal(setup.settings, "operator-in-test")


def _register(setup: DeskSetup, received: str, name: str = "张三") -> str:
    from gongkai.services.applications import register_application

    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        done = register_application(
            office,
            _operator(setup),
            received_on=date.fromisoformat(received),
            applicant_type="natural_person",
            applicant_name=name,
            content="某小区改造的批复文件",
            assignee="chen",
        )
    return done.ref


def _figures(setup: DeskSetup, year: int = 2025) -> None:
    from gongkai.services.report import set_figure

    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        for key, value in FIGURES.items():
            set_figure(office, _operator(setup), year=year, key=key, value=Decimal(value), source="县统计")


def _stored(setup: DeskSetup, year: int = 2025) -> list[tuple[int, str]]:
    engine = sa.create_engine(setup.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT version, status FROM annual_report WHERE year = :y ORDER BY version"),
                {"y": year},
            ).all()
    finally:
        engine.dispose()
    return [(int(v), str(s)) for v, s in rows]


def _query(setup: DeskSetup, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = sa.create_engine(setup.url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]
    finally:
        engine.dispose()


def _revision(html: str) -> str:
    found = re.search(r'name="revision" value="([^"]*)"', html)
    assert found, "the narrative form carries the revision it was read at"
    return found.group(1)


def _narrative_file(year: int = 2025) -> Path:
    return gongkai_home() / "report" / f"narrative-{year}.md"


FINISHED = {
    "one": "2025年，本街道依法推进政府信息公开工作。",
    "five": "本年度存在的主要问题及改进措施：公开内容的时效性有待提高。",
    "six": "本年度未收取信息处理费。无其他需要报告的事项。",
}


def _save_narrative(client: DeskClient, sections: dict[str, str], year: int = 2025) -> httpx.Response:
    page = client.get(f"/report?year={year}")
    return client.post(f"/report/{year}/narrative", {**sections, "revision": _revision(page.text)})


@pytest.fixture
def with_handler(tmp_path: Path, db_url: str) -> Iterator[DeskSetup]:
    """The real office with a third person, li, a handler only."""
    path = tmp_path / "handler-config" / "gongkai.toml"
    path.parent.mkdir()
    path.write_text(
        LIVE_CONFIG + '\n[[staff]]\nid = "li"\nname = "李强"\nrole = "handler"\n', encoding="utf-8"
    )
    yield _setup(load_settings(path), db_url, tmp_path / "home", {**PASSWORDS, "li": "Qiang-Pass-2026!"})


# -- readiness -------------------------------------------------------------------------------------------------


def test_readiness_lists_the_open_applications_and_what_is_missing(desk: DeskSetup) -> None:
    first = _register(desk, "2025-12-22")
    second = _register(desk, "2025-12-29", name=XSS)
    _register(desk, "2026-01-05")  # received in 2026: not the 2025 report's business
    client = signed_in(desk, "chen")
    page = client.get("/report")  # default: the year before the business date
    assert page.status_code == 200, page_text(page)
    text = page_text(page)
    assert "2025 年度" in text
    assert "2025 年收到的申请中还有 2 件未办结" in text
    for ref in (first, second):
        assert f'href="/applications/{quote(ref)}"' in page.text
    assert "2026-0001" not in text
    for label in ("行政许可", "行政处罚", "行政强制", "行政事业性收费"):
        assert label in text.split("尚未录入")[1][:80]
    assert "一、总体情况" in text and "五、存在的主要问题及改进情况" in text
    assert "尚未生成" in text  # no version yet
    assert XSS not in page.text  # applicant names are not shown at all here

    other = client.get("/report?year=2024")
    assert other.status_code == 200 and "2024 年度" in page_text(other)
    bad = client.get("/report?year=abc")
    assert bad.status_code == 400 and "年度" in page_text(bad)


def test_the_page_needs_a_sign_in(desk: DeskSetup) -> None:
    response = desk.make().get("/report")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# -- figures ---------------------------------------------------------------------------------------------------


def test_figures_are_entered_and_bad_numbers_refused_per_field(desk: DeskSetup) -> None:
    from gongkai.services.report import show_figures

    client = signed_in(desk, "sun")  # any staff member enters figures
    ok = client.post("/report/2025/figures/licensing_decisions", {"value": "12", "source": "县行政审批局"})
    assert ok.status_code == 303, page_text(ok)
    assert ok.headers["location"].startswith("/report?year=2025")
    shown = page_text(client.get(ok.headers["location"]))
    assert "已录入" in shown and "行政许可" in shown

    bad_number = client.post(
        "/report/2025/figures/penalty_decisions", {"value": "三件", "source": "县执法局"}
    )
    assert bad_number.status_code == 400
    assert (
        'aria-invalid="true"' in bad_number.text and 'id="value-penalty_decisions-error"' in bad_number.text
    )
    assert "应为数字" in page_text(bad_number) and 'value="三件"' in bad_number.text  # typed value kept
    not_whole = client.post("/report/2025/figures/coercion_decisions", {"value": "1.5", "source": "县执法局"})
    assert not_whole.status_code == 400 and "整数" in page_text(not_whole)
    negative = client.post("/report/2025/figures/fees_10k_yuan", {"value": "-1", "source": "县财政局"})
    assert negative.status_code == 400 and "负数" in page_text(negative)
    no_source = client.post("/report/2025/figures/fees_10k_yuan", {"value": "0.35", "source": " "})
    assert no_source.status_code == 400 and 'id="source-fees_10k_yuan-error"' in no_source.text
    assert "来源" in page_text(no_source)
    unknown = client.post("/report/2025/figures/nonsense", {"value": "1", "source": "x"})
    assert unknown.status_code == 404

    escaped = client.post("/report/2025/figures/fees_10k_yuan", {"value": "0.35", "source": XSS})
    assert escaped.status_code == 303
    page = client.get("/report?year=2025")
    assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text

    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        stored = {
            f.key: (f.value, f.source, f.entered_by) for f in show_figures(office, _operator(desk), 2025)
        }
    assert stored == {
        "licensing_decisions": (Decimal("12"), "县行政审批局", "sun"),
        "fees_10k_yuan": (Decimal("0.35"), XSS, "sun"),
    }  # nothing written by the refused forms


# -- narrative -------------------------------------------------------------------------------------------------


def test_the_narrative_is_saved_where_the_build_reads_it_and_printed_escaped(desk: DeskSetup) -> None:
    _figures(desk)
    client = signed_in(desk, "chen")
    page = client.get("/report?year=2025")
    assert "【待填写】" in page.text  # the data-driven first draft, not yet written anywhere
    assert not _narrative_file().exists()

    saved = _save_narrative(client, {**FINISHED, "five": f"问题：{XSS}\n\n第二段。"})
    assert saved.status_code == 303, page_text(saved)
    text = _narrative_file().read_text(encoding="utf-8")
    assert "## 五、存在的主要问题及改进情况" in text and XSS in text and "【待填写】" not in text
    shown = client.get("/report?year=2025")
    assert XSS not in shown.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "叙述部分待填写" not in page_text(shown)

    built = client.post("/report/2025/build")
    assert built.status_code == 303, page_text(built)
    assert "直接生成" in page_text(client.get(built.headers["location"]))  # no Prefect API: said on the page
    html = client.get("/report/2025/download.html")
    assert html.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.text and "<script>alert(1)" not in html.text
    assert "<img src=x" not in html.text
    audit = _query(desk, "SELECT actor, action, subject FROM audit_entry WHERE action LIKE 'report%'")
    assert ("chen", "report_narrative_saved", "2025") in audit


def test_bad_narrative_is_refused_per_section_and_nothing_written(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    heading = _save_narrative(client, {**FINISHED, "six": "无。\n## 七、附加章节\n内容"})
    assert heading.status_code == 400
    assert 'id="narrative-six-error"' in heading.text
    assert "## " in page_text(heading) and "第 2 行" in page_text(heading)
    assert "附加章节" in heading.text  # the typed text is kept
    control = _save_narrative(client, {**FINISHED, "one": "总体\x07情况"})
    assert control.status_code == 400 and 'id="narrative-one-error"' in control.text
    too_long = _save_narrative(client, {**FINISHED, "one": "字" * 20_001})
    assert too_long.status_code == 400 and "20000" in page_text(too_long)
    assert not _narrative_file().exists()

    # Saved by someone else meanwhile: the older form is refused, the newer text kept.
    page = client.get("/report?year=2025")
    first = client.post("/report/2025/narrative", {**FINISHED, "revision": _revision(page.text)})
    assert first.status_code == 303
    stale = client.post(
        "/report/2025/narrative", {**FINISHED, "one": "旧表单", "revision": _revision(page.text)}
    )
    assert stale.status_code == 409 and "已被修改" in page_text(stale)
    assert "旧表单" not in _narrative_file().read_text(encoding="utf-8")


# -- build and downloads ---------------------------------------------------------------------------------------


def test_build_directly_and_download_the_latest_version(desk: DeskSetup) -> None:
    client = signed_in(desk, "sun")  # building is any staff member's work

    early = client.post("/report/2025/build")
    assert early.status_code == 303 and _stored(desk) == [(1, "draft")]
    refused = client.get("/report/2025/download.html")  # the figures are missing: no document is printed
    assert refused.status_code == 409 and "行政许可" in page_text(refused)

    _figures(desk)
    assert client.post("/report/2025/build").status_code == 303
    assert _stored(desk) == [(1, "draft"), (2, "draft")]
    page = page_text(client.get("/report?year=2025"))
    assert "第 2 版" in page and "草稿" in page
    for identity in ("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"):
        assert identity in page
    assert "未核对" in page  # I6/I7: no final report of 2024

    expected = {
        "html": ("text/html", b"<!DOCTYPE html"),
        "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK"),
        "json": ("application/json", b"{"),
    }
    for fmt, (media, magic) in expected.items():
        response = client.get(f"/report/2025/download.{fmt}")
        assert response.status_code == 200, page_text(response)
        assert response.headers["content-type"].startswith(media)
        assert response.content.lstrip()[: len(magic)].upper() == magic.upper()
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f'filename="annual-report-2025-v2.{fmt}"' in disposition
        assert (
            "filename*=UTF-8''" + quote(f"河东街道办事处2025年政府信息公开工作年度报告（第2版）.{fmt}")
            in disposition
        )
    assert json.loads(client.get("/report/2025/download.json").content)["year"] == 2025
    assert client.get("/report/2025/download.exe").status_code == 404
    assert client.get("/report/2024/download.html").status_code == 404  # no version of 2024


def test_download_pdf(desk: DeskSetup) -> None:
    from gongkai.report.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium is not installed (Debian package chromium; CI has it)")
    _figures(desk)
    client = signed_in(desk, "chen")
    assert client.post("/report/2025/build").status_code == 303
    response = client.get("/report/2025/download.pdf")
    assert response.status_code == 200, page_text(response)
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]


# -- finalize and reopen ---------------------------------------------------------------------------------------


def _ready(setup: DeskSetup, client: DeskClient) -> None:
    _figures(setup)
    assert _save_narrative(client, FINISHED).status_code == 303
    assert client.post("/report/2025/build").status_code == 303


def test_a_handler_cannot_finalize_or_reopen(with_handler: DeskSetup) -> None:
    _ready(with_handler, signed_in(with_handler, "chen"))
    li = signed_in(with_handler, "li", "Qiang-Pass-2026!")
    page = li.get("/report?year=2025")
    assert 'action="/report/2025/finalize"' not in page.text  # not offered ...
    refused = li.post("/report/2025/finalize")  # ... and refused when posted anyway
    assert refused.status_code == 403 and "管理员" in page_text(refused)
    assert _stored(with_handler) == [(1, "draft")]

    chen = signed_in(with_handler, "chen")
    assert chen.post("/report/2025/finalize").status_code == 303
    again = li.post("/report/2025/reopen", {"reason": "补录一件漏登的申请"})
    assert again.status_code == 403
    assert _stored(with_handler) == [(1, "final")]
    assert _query(with_handler, "SELECT reason FROM report_reopen_log") == []


def test_a_unit_head_cannot_finalize(desk: DeskSetup) -> None:
    _ready(desk, signed_in(desk, "chen"))
    refused = signed_in(desk, "sun").post("/report/2025/finalize")
    assert refused.status_code == 403
    assert _stored(desk) == [(1, "draft")]


def test_finalize_refusals_are_shown_with_their_reasons(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    none_yet = client.post("/report/2025/finalize")
    assert none_yet.status_code == 409 and "请先生成" in page_text(none_yet)

    assert client.post("/report/2025/build").status_code == 303  # no figures, the narrative a draft
    refused = client.post("/report/2025/finalize")
    assert refused.status_code == 409
    text = page_text(refused)
    assert "不能定稿" in text and "叙述部分待填写" in text and "一、总体情况" in text

    _figures(desk)
    assert _save_narrative(client, FINISHED).status_code == 303
    assert client.post("/report/2025/build").status_code == 303
    assert _save_narrative(client, {**FINISHED, "six": "无。"}).status_code == 303  # edited after the build
    changed = client.post("/report/2025/finalize")
    assert (
        changed.status_code == 409
        and "生成后有修改" in page_text(changed)
        and "重新生成" in page_text(changed)
    )

    not_over = client.post("/report/2026/finalize")
    assert not_over.status_code == 409 and "尚未结束" in page_text(not_over)
    assert _stored(desk) == [(1, "draft"), (2, "draft")]


def test_edited_narrative_needs_a_new_build_before_finalizing(desk: DeskSetup) -> None:
    """The narrative with 【待填写】 built, then finished in the file without a new build: the version that would be
    made final still says 【待填写】, so it is refused (it was accepted: the file was checked, not the version)."""
    from gongkai.core.errors import InputError
    from gongkai.services.report import build_annual_report, finalize_annual_report

    _figures(desk)
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        build_annual_report(office, _operator(desk), year=2025)
    path = _narrative_file()
    text = path.read_text(encoding="utf-8").replace(
        "【待填写】（请补充主动公开的主要内容、平台建设和监督保障情况）", "主动公开工作平稳开展。"
    )
    path.write_text(text.replace("【待填写】", "已整改。"), encoding="utf-8")
    with pytest.raises(InputError, match="生成后有修改"):
        with open_office(desk.settings, AS_OF, url=desk.url) as office:
            finalize_annual_report(office, _operator(desk), 2025)
    assert _stored(desk) == [(1, "draft")]


def test_finalize_then_reopen_with_a_reason(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    _ready(desk, client)
    done = client.post("/report/2025/finalize")
    assert done.status_code == 303, page_text(done)
    page = client.get(done.headers["location"])
    assert "已定稿" in page_text(page) and _stored(desk) == [(1, "final")]
    assert 'action="/report/2025/reopen"' in page.text

    no_build = client.post("/report/2025/build")
    assert no_build.status_code == 409 and "已定稿" in page_text(no_build) and _stored(desk) == [(1, "final")]
    locked = client.post("/report/2025/figures/licensing_decisions", {"value": "13", "source": "更正"})
    assert locked.status_code == 400 and "已定稿" in page_text(locked)
    frozen = _save_narrative(client, FINISHED)
    assert frozen.status_code == 400 and "已定稿" in page_text(frozen)

    no_reason = client.post("/report/2025/reopen", {"reason": "  "})
    assert no_reason.status_code == 400 and 'id="reason-error"' in no_reason.text
    assert _stored(desk) == [(1, "final")]

    reopened = client.post("/report/2025/reopen", {"reason": f"补录一件漏登的申请 {XSS}"})
    assert reopened.status_code == 303, page_text(reopened)
    assert _stored(desk) == [(1, "draft")]
    assert _query(desk, "SELECT by, reason FROM report_reopen_log") == [("chen", f"补录一件漏登的申请 {XSS}")]
    after = client.get("/report?year=2025")
    assert "重新开启" in page_text(after) and "补录一件漏登的申请" in page_text(after)
    assert XSS not in after.text


# -- the button through Prefect --------------------------------------------------------------------------------


@pytest.mark.once
def test_in_the_county_shape_the_button_runs_the_offices_deployment(
    sqlite_desk: DeskSetup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``gongkai deploy`` (a county's Prefect server, a work pool) the office's annual-report deployment is
    named after the office: the button runs that one. ``register`` creates the pool and, run again, updates
    what it registered rather than adding to it."""
    from uuid import UUID

    desk = sqlite_desk
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from gongkai.flows.deploy import register
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    _figures(desk)
    with prefect_test_harness(server_startup_timeout=60):
        monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
        register([desk.settings], "county")
        registered = register([desk.settings], "county")
        with get_client(sync_client=True) as prefect:
            assert prefect.read_work_pool("county").type == "process"
            listed = {d.name: d for d in prefect.read_deployments()}
            assert set(listed) == {d.name for d in registered} and len(listed) == 6
            report = listed[registered[-1].name]
            assert report.name.startswith("gongkai-annual-report-") and report.work_pool_name == "county"

        started = signed_in(desk, "chen").post("/report/2025/build")
        assert started.status_code == 303, page_text(started)
        run_id = UUID(re.search(r"run=([0-9a-f-]{36})", started.headers["location"]).group(1))  # type: ignore[union-attr]
        with get_client(sync_client=True) as prefect:
            run = prefect.read_flow_run(run_id)
        assert run.deployment_id == report.id and run.parameters == {
            "year": 2025,
            "requested_by": "chen",
            "office": "default",
        }


def test_the_button_runs_the_annual_report_deployment_through_prefect(
    sqlite_desk: DeskSetup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a Prefect API (as under ``gongkai serve``) the button creates a run of the ``annual-report/
    gongkai-annual-report`` deployment with the year; the page follows its state. The run is then executed as
    the service's runner would (``prefect flow-run execute``) and the page shows it completed."""
    import os
    import subprocess
    import sys
    from uuid import UUID

    desk = sqlite_desk  # the Prefect path does not depend on the database: once, on SQLite
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from gongkai.flows.serve import deployments
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    _figures(desk)
    with prefect_test_harness(server_startup_timeout=60):
        api = PREFECT_API_URL.value()
        monkeypatch.setenv("PREFECT_API_URL", api)
        deployment = deployments(desk.settings)[-1]
        assert deployment.name == "gongkai-annual-report"
        deployment_id = deployment.apply()
        desk.app.state.desk.prefect_ui = "http://127.0.0.1:4200"

        client = signed_in(desk, "chen")
        started = client.post("/report/2025/build")
        assert started.status_code == 303, page_text(started)
        location = started.headers["location"]
        run_id = UUID(re.search(r"run=([0-9a-f-]{36})", location).group(1))  # type: ignore[union-attr]
        with get_client(sync_client=True) as prefect:
            run = prefect.read_flow_run(run_id)
        assert run.deployment_id == deployment_id and run.parameters == {
            "year": 2025,
            "requested_by": "chen",
            "office": "default",
        }
        assert _stored(desk) == []  # built by the run, not by the desk

        page = client.get(location)
        assert f'href="http://127.0.0.1:4200/runs/flow-run/{run_id}"' in page.text
        assert f'hx-get="/report/2025/runs/{run_id}"' in page.text and 'hx-trigger="every 3s"' in page.text
        assert "已排队" in page_text(page) or "等待" in page_text(page)
        assert f'href="/report?year=2025&amp;run={run_id}"' in page.text  # the reload link, without JS
        assert ("chen", "report_run_requested", "2025") in _query(
            desk, "SELECT actor, action, subject FROM audit_entry"
        )

        env = {
            **os.environ,
            "GONGKAI_CONFIG": str(desk.settings.path),
            "GONGKAI_DATABASE_URL": desk.url,
            "PREFECT_API_URL": api,
        }
        done = subprocess.run(
            [sys.executable, "-m", "prefect", "flow-run", "execute", str(run_id)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        fragment = client.get(f"/report/2025/runs/{run_id}", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "已完成" in page_text(fragment) and "hx-trigger" not in fragment.text  # polling stops
        assert "<html" not in fragment.text  # a fragment, not a page
        assert _stored(desk) == [(1, "draft")]
        # the version is the person's, not the schedule's: who pressed the button is who built it
        assert _query(desk, "SELECT created_by FROM annual_report") == [("chen",)]
        assert client.get("/report/2025/runs/not-a-uuid").status_code == 404
