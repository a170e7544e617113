"""年度报告 (the administrator's January): one page per year with what is still missing, the yearly figures, the
narrative sections, the identities I1–I8 of the latest version, the button that builds a new version, downloads,
and finalizing or reopening (an administrator's, checked in the service).

The button runs the ``annual-report`` deployment through Prefect when a Prefect API is configured (``gongkai
serve`` gives the desk ``PREFECT_API_URL``), so the run, its artifact and its notification stay in Prefect's
history; the page then follows the run's state (htmx polls a small fragment; a plain link reloads without
JavaScript). Without one (``gongkai desk`` alone) the desk builds through the service and says so. Prefect is
called here, in the adapter, never in the services."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote
from uuid import UUID

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import EventError, GongkaiError, InputError, NotAllowed, NotFound
from gongkai.core.settings import Settings
from gongkai.desk.web import Ctx, page
from gongkai.services.actor import require_work

DEPLOYMENT: Final = "annual-report/gongkai-annual-report"
DIRECT_FORMATS: Final = ("json", "html", "md", "docx")
"""What the desk builds when it builds itself: PDF (seconds of Chromium) is made when downloaded."""
MEDIA: Final = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "json": "application/json",
}
NARRATIVE_FIELDS: Final = {"one": "一", "five": "五", "six": "六"}
"""Form field -> the narrative section it edits."""
POLL: Final = "every 3s"
MIN_YEAR, MAX_YEAR = 2000, 2100


def _prefect_api() -> str | None:
    """The Prefect API the desk was given (``gongkai serve`` sets it), or None when the desk runs alone."""
    return os.environ.get("PREFECT_API_URL") or None


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"年度应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实际为“{text}”。")
    return year


# -- the page --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    """A flow run of the deployment as the page shows it."""

    id: UUID
    name: str
    label: str
    final: bool
    ok: bool
    ui_url: str | None
    note: str | None = None


_STATE_LABELS: Final = {
    "SCHEDULED": "已排队，等待执行",
    "PENDING": "即将开始",
    "RUNNING": "正在生成",
    "COMPLETED": "已完成",
    "FAILED": "失败",
    "CRASHED": "异常中止",
    "CANCELLING": "正在取消",
    "CANCELLED": "已取消",
    "PAUSED": "已暂停",
}


def _run_view(ctx: Ctx, run_id: UUID) -> RunView:
    """The run's state from the Prefect API (a run not found: :class:`NotFound`)."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound, PrefectException

    ui = f"{ctx.desk.prefect_ui.rstrip('/')}/runs/flow-run/{run_id}" if ctx.desk.prefect_ui else None
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
    except ObjectNotFound:
        raise NotFound(f"Prefect 中没有运行 {run_id}。") from None
    except (PrefectException, httpx.HTTPError, OSError) as exc:
        return RunView(
            run_id, "", "状态暂时无法读取", False, False, ui, f"无法连接 Prefect（{type(exc).__name__}）"
        )
    state = run.state
    kind = state.type.value if state is not None else "SCHEDULED"
    label = _STATE_LABELS.get(kind, kind)
    if state is not None and state.name == "Late":
        label = "已排队，但尚未开始（请确认 gongkai serve 正在运行）"
    final = state is not None and state.is_final()
    return RunView(run_id, run.name, label, final, kind == "COMPLETED", ui)


def _run_param(ctx: Ctx) -> UUID | None:
    raw = ctx.request.query_params.get("run")
    if not raw or _prefect_api() is None:
        return None
    try:
        return UUID(raw)
    except ValueError:
        return None


def _show(ctx: Ctx, year: int | None, *, status: int = 200, **extra: Any) -> HTMLResponse:
    """The page of ``year`` (default: the year before the business date), with a form's errors in ``extra``."""
    from gongkai.services.report import figure_labels, narrative_headings, report_overview

    with ctx.unit() as office:
        year = year if year is not None else office.as_of.year - 1
        overview = report_overview(office, ctx.me, year)
    run: RunView | None = None
    run_id = _run_param(ctx)
    if run_id is not None:
        try:
            run = _run_view(ctx, run_id)
        except NotFound:
            run = None
    values = {
        "figure_errors": {},
        "figure_values": {},
        "narrative_errors": {},
        "narrative_values": None,
        "narrative_message": None,
        "finalize_error": None,
        "reopen_errors": {},
        "reopen_reason": "",
        "build_error": None,
        **extra,
    }
    figures = {f.key: f for f in overview.figures}
    return ctx.render(
        "report/page.html",
        status=status,
        year=year,
        r=overview,
        figures=figures,
        figure_inputs={k: format(f.value.normalize(), "f") for k, f in figures.items()},
        figure_labels=figure_labels(),
        headings=narrative_headings(),
        narrative_fields=NARRATIVE_FIELDS,
        prefect=_prefect_api() is not None,
        run=run,
        poll=POLL,
        summary=_summary(values),
        **values,
    )


def _summary(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Every problem of the form just sent, with the place on the page it concerns (shown at the top, since the
    page is long and the form may be far down)."""
    out: list[tuple[str, str]] = []
    for key, errors in values["figure_errors"].items():
        out += [(f"{field}-{key}" if field else "figures", message) for field, message in errors.items()]
    out += [(f"narrative-{name}", message) for name, message in values["narrative_errors"].items()]
    if values["narrative_message"]:
        out.append(("narrative", values["narrative_message"]))
    if values["build_error"]:
        out.append(("build", values["build_error"]))
    if values["finalize_error"]:
        error = values["finalize_error"]
        out += [("final", message) for message in [error["message"], *error["problems"]]]
    out += [(field or "final", message) for field, message in values["reopen_errors"].items()]
    return out


@page()
def report_page(ctx: Ctx) -> Response:
    raw = ctx.request.query_params.get("year")
    try:
        year = _year(raw) if raw is not None else None
    except InputError as exc:
        return ctx.render("error.html", status=400, title="年度无效", message=str(exc))
    return _show(ctx, year)


def _path_year(ctx: Ctx) -> int:
    try:
        return _year(str(ctx.request.path_params["year"]))
    except InputError as exc:
        raise NotFound(str(exc)) from None


# -- figures ---------------------------------------------------------------------------------------------------


def _decimal(text: str) -> Decimal | None:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


@page()
def set_figure(ctx: Ctx) -> Response:
    from gongkai.services.report import figure_labels
    from gongkai.services.report import set_figure as enter

    require_work(ctx.me, "录入年度数据")  # a 403 before the form is judged

    year = _path_year(ctx)
    key = str(ctx.request.path_params["key"])
    labels = figure_labels()
    if key not in labels:
        raise NotFound(f"没有年度数据项目“{key}”，应为 {'、'.join(labels.values())} 之一。")
    raw, source = ctx.field("value"), ctx.field("source")
    errors: dict[str, str] = {}
    value = _decimal(raw)
    if value is None:
        errors["value"] = f"“{labels[key]}”应为数字（决定件数为整数，收费为万元），实际为“{raw}”。"
    if not source:
        errors["source"] = "请填写数据来源，如“县行政审批服务局统计”。"
    if not errors and value is not None:
        try:
            with ctx.unit(records=True) as office:
                figure = enter(office, ctx.me, year=year, key=key, value=value, source=source)
        except NotAllowed:
            raise
        except EventError as exc:  # the year is final: not a field's fault
            errors[""] = str(exc)
        except InputError as exc:
            errors["source" if "来源" in str(exc) else "value"] = str(exc)
        else:
            return ctx.redirect(
                f"/report?year={year}#figures", flash=f"已录入 {year} 年 {figure.label}：{figure.shown}。"
            )
    return _show(
        ctx,
        year,
        status=400,
        figure_errors={key: errors},
        figure_values={key: {"value": raw, "source": source}},
    )


# -- narrative -------------------------------------------------------------------------------------------------


@page()
def save_narrative(ctx: Ctx) -> Response:
    from gongkai.services.report import NarrativeChanged, NarrativeRejected
    from gongkai.services.report import save_narrative as save

    require_work(ctx.me, "保存年度报告叙述部分")  # a 403 before the form is judged

    year = _path_year(ctx)
    form = ctx.form
    typed = {
        name: value
        for name in NARRATIVE_FIELDS
        if form is not None and isinstance(value := form.get(name), str)
    }
    sections = {NARRATIVE_FIELDS[name]: text for name, text in typed.items()}
    try:
        with ctx.unit(records=True) as office:
            save(office, ctx.me, year, sections, revision=ctx.field("revision"))
    except NotAllowed:
        raise
    except NarrativeRejected as exc:
        by_field = {name: exc.problems[key] for name, key in NARRATIVE_FIELDS.items() if key in exc.problems}
        return _show(ctx, year, status=400, narrative_errors=by_field, narrative_values=typed)
    except NarrativeChanged as exc:
        return _show(ctx, year, status=409, narrative_message=str(exc), narrative_values=typed)
    except InputError as exc:
        return _show(ctx, year, status=400, narrative_message=str(exc), narrative_values=typed)
    return ctx.redirect(f"/report?year={year}#narrative", flash=f"已保存 {year} 年度报告的叙述部分。")


# -- build -----------------------------------------------------------------------------------------------------


def _deployments(settings: Settings) -> tuple[str, str]:
    """The annual report's deployment under ``gongkai deploy`` (a county's Prefect server: named after the office),
    then under ``gongkai serve``."""
    from gongkai.flows.deploy import REPORT, deployment_name, office_part

    return f"annual-report/{deployment_name(REPORT, office_part(settings))}", DEPLOYMENT


def _start_run(settings: Settings, year: int, by: str) -> tuple[UUID, str]:
    """A flow run of the annual-report deployment for ``year``, created now and left to the service's runner (or the
    county's workers)."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    county, served = _deployments(settings)
    parameters = {"year": year, "requested_by": by, "office": settings.office.code}
    try:
        run = run_deployment(county, parameters=parameters, timeout=0)
    except ObjectNotFound:
        run = run_deployment(served, parameters=parameters, timeout=0)
    # Called from the page's worker thread (no event loop): Prefect dispatches to the synchronous variant.
    assert isinstance(run, FlowRun)
    return run.id, run.name


@page()
def build(ctx: Ctx) -> Response:
    from gongkai.services.report import build_annual_report, check_buildable, note_report_run

    year = _path_year(ctx)
    try:
        with ctx.unit() as office:
            check_buildable(office, ctx.me, year)
    except InputError as exc:
        return _show(ctx, year, status=409, build_error=str(exc))
    if _prefect_api() is not None:
        import httpx
        from prefect.exceptions import PrefectException

        try:
            run_id, name = _start_run(ctx.desk.settings, year, ctx.me.name)
        except (PrefectException, httpx.HTTPError, OSError) as exc:
            return _show(
                ctx,
                year,
                status=503,
                build_error=f"无法通过 Prefect 启动年度报告的生成（{type(exc).__name__}：{exc}）：请确认 gongkai serve "
                f"正在运行，并已提供部署 {DEPLOYMENT}（县级部署：已运行 gongkai deploy，部署 {_deployments(ctx.desk.settings)[0]}）。",
            )
        with ctx.unit(records=True) as office:
            note_report_run(office, ctx.me, year, str(run_id))
        return ctx.redirect(
            f"/report?year={year}&run={run_id}#build",
            flash=f"已通过 Prefect 启动 {year} 年度报告的生成（运行 {name}），完成后本页显示新版本。",
        )
    try:
        with ctx.unit(records=True) as office:
            built = build_annual_report(office, ctx.me, year=year, formats=DIRECT_FORMATS)
    except NotAllowed:
        raise
    except GongkaiError as exc:
        return _show(ctx, year, status=409, build_error=str(exc))
    note = "；其他系统的年度数据未录齐，只生成了 JSON" if built.missing else ""
    return ctx.redirect(
        f"/report?year={year}#build",
        flash=f"工作台未连接 Prefect，已直接生成 {year} 年度报告第 {built.version} 版（不在 Prefect 运行记录中）{note}。",
    )


@page()
def run_state(ctx: Ctx) -> Response:
    year = _path_year(ctx)
    try:
        run_id = UUID(str(ctx.request.path_params["run"]))
    except ValueError:
        raise NotFound("运行编号无效。") from None
    if _prefect_api() is None:
        raise NotFound("工作台未连接 Prefect。")
    run = _run_view(ctx, run_id)
    html = ctx.desk.env.get_template("report/run.html").render(year=year, run=run, poll=POLL)
    return HTMLResponse(html)


# -- downloads -------------------------------------------------------------------------------------------------


def _disposition(office_name: str, year: int, version: int, fmt: str) -> str:
    """``attachment`` with an ASCII name and the Chinese one (RFC 6266 / RFC 5987 ``filename*``)."""
    chinese = f"{office_name}{year}年政府信息公开工作年度报告（第{version}版）.{fmt}"
    return (
        f'attachment; filename="annual-report-{year}-v{version}.{fmt}"; '
        f"filename*=UTF-8''{quote(chinese, safe='')}"
    )


@page()
def download(ctx: Ctx) -> Response:
    from gongkai.services.report import report_document

    year = _path_year(ctx)
    fmt = str(ctx.request.path_params["fmt"])
    if fmt not in MEDIA:
        raise NotFound(f"没有“{fmt}”格式，可下载 {'、'.join(MEDIA)}。")
    try:
        with ctx.unit() as office:
            document = report_document(office, ctx.me, year, fmt)
    except (NotAllowed, NotFound):
        raise
    except GongkaiError as exc:  # a figure missing in the version, no PDF converter, the converter failed
        title = "无法生成 PDF" if fmt == "pdf" else "无法下载"
        return ctx.render("error.html", status=409, title=title, message=str(exc))
    name = ctx.desk.settings.office.name
    return Response(
        document.content,
        media_type=MEDIA[fmt],
        headers={"content-disposition": _disposition(name, year, document.version, fmt)},
    )


# -- finalize and reopen ---------------------------------------------------------------------------------------


@page()
def finalize(ctx: Ctx) -> Response:
    from gongkai.services.report import finalize_annual_report

    year = _path_year(ctx)
    try:
        with ctx.unit(records=True) as office:
            done = finalize_annual_report(office, ctx.me, year)
    except NotAllowed:
        raise
    except GongkaiError as exc:
        problems = [str(p) for p in getattr(exc, "problems", [])]  # ReportBlocked lists every reason
        head = f"{year} 年度报告不能定稿，原因如下：" if problems else str(exc)
        return _show(ctx, year, status=409, finalize_error={"message": head, "problems": problems})
    return ctx.redirect(
        f"/report?year={year}#final", flash=f"{year} 年度报告第 {done.version} 版已定稿，该年度数据已锁定。"
    )


@page()
def reopen(ctx: Ctx) -> Response:
    from gongkai.services.report import reopen_annual_report

    year = _path_year(ctx)
    reason = ctx.field("reason")
    try:
        with ctx.unit(records=True) as office:
            reopen_annual_report(office, ctx.me, year, reason=reason)
    except NotAllowed:
        raise
    except InputError as exc:
        field = "reason" if "原因" in str(exc) else ""
        return _show(ctx, year, status=400, reopen_errors={field: str(exc)}, reopen_reason=reason)
    return ctx.redirect(
        f"/report?year={year}#final", flash=f"已重新开启 {year} 年度，原因已记录。更正后请重新生成并定稿。"
    )


routes: list[BaseRoute] = [
    Route("/report", report_page, methods=["GET"]),
    Route("/report/{year:int}/figures/{key}", set_figure, methods=["POST"]),
    Route("/report/{year:int}/narrative", save_narrative, methods=["POST"]),
    Route("/report/{year:int}/build", build, methods=["POST"]),
    Route("/report/{year:int}/runs/{run}", run_state, methods=["GET"]),
    Route("/report/{year:int}/download.{fmt}", download, methods=["GET"]),
    Route("/report/{year:int}/finalize", finalize, methods=["POST"]),
    Route("/report/{year:int}/reopen", reopen, methods=["POST"]),
]
