"""Building the annual report: statistics → checks → stored version → documents.

One function for the command line (``gongkai report build``) and the ``annual-report`` flow. Every
build is stored as a new draft version (the JSON with its checks and the narrative used); the
documents are written next to each other as ``annual-report-YYYY-vN.{json,html,md,docx,pdf}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.errors import InputError, NotFound
from gongkai.core.officescope import in_office
from gongkai.core.settings import Settings
from gongkai.report.narrative import (
    SECTIONS,
    default_narrative,
    format_narrative,
    narrative_path,
    parse_narrative,
    unfinished_sections,
    with_pre2019_sections,
)
from gongkai.report.stats import (
    FIGURE_JSON,
    FIGURE_KEYS,
    Check,
    compute_statistics,
    previous_report_data,
    run_checks,
    store_report,
    stored_report,
    yearly_figures,
)
from gongkai.review.periodic import narrative_sentence, year_figures
from gongkai.store.tables import APP, EV, REOPEN_LOG, REPORT
from gongkai.store.yearlock import is_year_final

FORMATS: Final = ("json", "html", "md", "docx", "pdf")


@dataclass
class BuildResult:
    """What a build produced."""

    year: int
    version: int
    data: dict[str, Any]
    checks: list[Check]
    missing: list[str]
    unfinished: list[str]
    narrative_file: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def hard_failures(self) -> list[Check]:
        """Identities I1–I5 that do not hold (they block a final report)."""
        return [c for c in self.checks if c.hard and not c.ok]

    @property
    def warnings(self) -> list[Check]:
        """Identities I6–I8 that do not hold (each needs a note)."""
        return [c for c in self.checks if not c.hard and not c.ok]


def fee_event_counts(session: Session, year: int) -> tuple[int, int]:
    """(fee notices sent, fees paid) in ``year``, from the register's events."""
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    rows = session.execute(
        sa.select(EV.c.kind, sa.func.count())
        .where(
            in_office(session, EV),
            EV.c.kind.in_(["fee_notice_sent", "fee_paid"]),
            EV.c.occurred_on.between(lo, hi),
        )
        .group_by(EV.c.kind)
    ).all()
    counts = {kind: int(n) for kind, n in rows}
    return counts.get("fee_notice_sent", 0), counts.get("fee_paid", 0)


def draft_narrative(
    session: Session, *, settings: Settings, home: Path, year: int, doc: dict[str, Any]
) -> dict[str, str]:
    """The data-driven first drafts of 一、五、六 for ``year`` (``doc``: the year's report JSON); nothing written."""
    previous: dict[str, str] | None = None
    prev_file = narrative_path(home, year - 1)
    if prev_file.exists():
        previous = parse_narrative(prev_file.read_text(encoding="utf-8"))
    notices, paid = fee_event_counts(session, year)
    return default_narrative(
        doc,
        office=settings.office.name,
        previous_sections=previous,
        fee_notices=notices,
        fees_paid=paid,
        review_sentence=narrative_sentence(year_figures(session, year), year),
    )


def load_or_draft_narrative(
    session: Session, *, settings: Settings, home: Path, year: int, doc: dict[str, Any]
) -> tuple[dict[str, str], Path]:
    """The office's narrative file for ``year``; written first with data-driven defaults if absent."""
    path = narrative_path(home, year)
    if path.exists():
        return parse_narrative(path.read_text(encoding="utf-8")), path
    sections = draft_narrative(session, settings=settings, home=home, year=year, doc=doc)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(format_narrative(sections), encoding="utf-8")
    return {k: sections.get(k, "") for k in SECTIONS}, path


def build_report(
    session: Session,
    *,
    settings: Settings,
    year: int,
    home: Path,
    by: str,
    formats: Sequence[str] = ("json", "html", "md"),
    template: str = "2021",
    output_dir: Path | None = None,
) -> BuildResult:
    """Compute, check, store a new version and write the requested documents."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InputError(f"报告格式“{'、'.join(bad)}”无效，应为 {'、'.join(FORMATS)} 之一。")
    data = compute_statistics(session, year=year, office_name=settings.office.name)
    doc = data.to_json()
    narrative, narrative_file = load_or_draft_narrative(
        session, settings=settings, home=home, year=year, doc=doc
    )
    if template == "pre2019":
        fuller = with_pre2019_sections(narrative)
        if fuller != narrative:  # show the office where the older layout's own sections go
            narrative_file.write_text(format_narrative(fuller), encoding="utf-8")
        narrative = fuller
    _, version = store_report(session, data, narrative=narrative, by=by)
    _, _, stored = stored_report(session, year, version)
    checks = run_checks(stored, previous=previous_report_data(session, year - 1), narrative=narrative)
    result = BuildResult(
        year=year,
        version=version,
        data=stored,
        checks=checks,
        missing=list(data.missing),
        unfinished=unfinished_sections(narrative),
        narrative_file=narrative_file,
    )
    out = output_dir or home / "report" / str(year)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = f"annual-report-{year}-v{version}"
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "json":
            path.write_text(json.dumps(stored, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        elif data.missing:
            continue  # a blank figure must not be printed: the documents wait for the figures
        else:
            path.write_bytes(_document(fmt, stored, narrative, template=template, session=session, year=year))
        result.files[fmt] = path
    return result


def _document(
    fmt: str, doc: dict[str, Any], narrative: dict[str, str], *, template: str, session: Session, year: int
) -> bytes:
    # The document libraries (Jinja2 templates, matplotlib, python-docx, the PDF converter) load only when a
    # document is written: a build for JSON, the readiness check and the commands stay quick to start.
    from gongkai.report.chart import chart_data_uri, monthly_outcome_chart, monthly_outcome_series
    from gongkai.report.render import render_report

    layout: Literal["2021", "pre2019"] = "pre2019" if template == "pre2019" else "2021"
    if fmt == "md":
        return render_report(doc, narrative=narrative, fmt="md", template=layout).encode("utf-8")
    # The chart is part of the report (HTML, DOCX, PDF): without a CJK font this stops with a message
    # naming the package to install, rather than printing boxes.
    chart_png = monthly_outcome_chart(monthly_outcome_series(session, year=year), year=year)
    html = render_report(
        doc, narrative=narrative, fmt="html", template=layout, chart_data_uri=chart_data_uri(chart_png)
    )
    if fmt == "html":
        return html.encode("utf-8")
    from gongkai.report.docx import build_docx

    docx = build_docx(doc, narrative=narrative, chart_png=chart_png, office=str(doc["office"]), year=year)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        from gongkai.report.pdf import pdf

        return pdf(html, docx)
    raise InputError(f"报告格式“{fmt}”无效。")


def readiness(session: Session, *, year: int, home: Path) -> dict[str, Any]:
    """What still stands between ``year``'s report and a final version (for the January reminder)."""
    final = is_year_final(session, year)
    c = APP.c
    open_apps = int(
        session.execute(
            sa.select(sa.func.count()).where(
                in_office(session, APP),
                c.received_on.between(date(year, 1, 1), date(year, 12, 31)),
                c.concluded_on.is_(None),
            )
        ).scalar_one()
    )
    have = yearly_figures(session, year)
    missing_figures = [label for key, label in FIGURE_KEYS.items() if key not in have] if not final else []
    path = narrative_path(home, year)
    sections = parse_narrative(path.read_text(encoding="utf-8")) if path.exists() else {}
    unfinished = [] if final else unfinished_sections(sections)
    return {
        "year": year,
        "final": final,
        "open_applications": open_apps,
        "missing_figures": missing_figures,
        "unfinished_narrative": unfinished,
        "narrative_file": str(path),
    }


def readiness_text(state: dict[str, Any], *, base_url: str = "") -> str:
    """One Chinese message for the administrator (no personal data: counts and section names). With the desk's
    address (``base_url``) the digest line links to the desk's report page, so no command or file is named."""
    year = state["year"]
    if state["final"]:
        return f"{year} 年度报告已定稿。"
    parts = [f"{year} 年度政府信息公开工作年度报告须于 {year + 1}-01-31 前公开发布，目前尚缺："]
    if state["open_applications"]:
        parts.append(
            f"{year} 年收到的申请中还有 {state['open_applications']} 件未办结（将计入“结转下年度继续办理”，能办结的请先办结并登记）；"
        )
    if state["missing_figures"]:
        where = "" if base_url else "（gongkai report figures set/import）"
        parts.append(f"其他系统的年度数据未录入：{'、'.join(state['missing_figures'])}{where}；")
    if state["unfinished_narrative"]:
        where = "" if base_url else f"（编辑 {state['narrative_file']}）"
        parts.append(f"叙述部分待填写：{'、'.join(state['unfinished_narrative'])}{where}；")
    if len(parts) == 1:
        parts.append(
            "数据已齐全，请生成并定稿。"
            if base_url
            else "数据已齐全，请生成（gongkai report build）并定稿（gongkai report finalize）。"
        )
    return "".join(parts)


# -- what the staff desk reads: the narrative to edit, the stored versions, the year's open applications -----


def narrative_for_editing(
    session: Session, *, settings: Settings, home: Path, year: int
) -> tuple[dict[str, str], bool]:
    """The narrative of ``year`` as the office edits it, and whether its file exists: the file's sections, or
    (before the first build) the data-driven drafts the build would write, without writing them."""
    path = narrative_path(home, year)
    if path.exists():
        return parse_narrative(path.read_text(encoding="utf-8")), True
    doc = compute_statistics(session, year=year, office_name=settings.office.name).to_json()
    return draft_narrative(session, settings=settings, home=home, year=year, doc=doc), False


@dataclass(frozen=True)
class StoredVersion:
    """One stored build of a year's report (a plain value read from ``annual_report``)."""

    year: int
    version: int
    status: str
    data: dict[str, Any]
    narrative: dict[str, str] | None
    """The sections the build used (``None``: stored without one)."""
    created_at: datetime
    created_by: str
    finalized_at: datetime | None
    finalized_by: str | None

    @property
    def checks(self) -> list[Check]:
        """Identities I1–I8 as checked when the version was stored."""
        return [
            Check(str(c["id"]), bool(c["ok"]), str(c["message"]), bool(c.get("checked", True)))
            for c in self.data.get("checks", ())
        ]

    @property
    def missing_figures(self) -> list[str]:
        """Labels of the yearly figures that were not entered when the version was stored."""
        proactive = self.data.get("proactive", {})
        missing = [
            label
            for key, label in FIGURE_KEYS.items()
            if key != "fees_10k_yuan" and (proactive.get(FIGURE_JSON[key]) or {}).get("decisions") is None
        ]
        if proactive.get("fees_10k_yuan") is None:
            missing.append(FIGURE_KEYS["fees_10k_yuan"])
        return missing


def _stored_sections(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    try:
        loaded = json.loads(text)
    except ValueError:
        return {"前言": text}  # stored as one text
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {"前言": text}


def latest_version(session: Session, year: int) -> StoredVersion | None:
    """The latest stored version of ``year``'s report, or ``None`` before the first build."""
    c = REPORT.c
    row = session.execute(
        sa.select(REPORT)
        .where(in_office(session, REPORT), c.year == year)
        .order_by(c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return StoredVersion(
        year=int(row.year),
        version=int(row.version),
        status=str(row.status),
        data=json.loads(row.data),
        narrative=_stored_sections(row.narrative),
        created_at=row.created_at,
        created_by=str(row.created_by),
        finalized_at=row.finalized_at,
        finalized_by=row.finalized_by,
    )


@dataclass(frozen=True)
class Reopened:
    """One reopening of a final year: when, by whom, why."""

    at: datetime
    by: str
    reason: str


def reopenings(session: Session, year: int) -> list[Reopened]:
    """Every reopening of ``year``'s final report, latest first."""
    c = REOPEN_LOG.c
    rows = session.execute(
        sa.select(c.at, c.by, c.reason)
        .where(in_office(session, REOPEN_LOG), c.year == year)
        .order_by(c.at.desc(), c.id.desc())
    ).all()
    return [Reopened(at, str(by), str(reason)) for at, by, reason in rows]


def open_applications_received(
    session: Session, year: int, *, limit: int
) -> list[tuple[str, date, str | None]]:
    """``(ref, received_on, assignee)`` of the applications received in ``year`` and still open (earliest
    first, at most ``limit``; :func:`readiness` counts them all): they will be carried over."""
    c = APP.c
    rows = session.execute(
        sa.select(c.ref, c.received_on, c.assignee_id)
        .where(
            in_office(session, APP),
            c.received_on.between(date(year, 1, 1), date(year, 12, 31)),
            c.concluded_on.is_(None),
        )
        .order_by(c.received_on, c.ref)
        .limit(limit)
    ).all()
    return [(str(ref), received, assignee) for ref, received, assignee in rows]


def version_file(home: Path, year: int, version: int, fmt: str) -> Path:
    """Where a build writes ``fmt`` of a version (unless given another folder)."""
    return home / "report" / str(year) / f"annual-report-{year}-v{version}.{fmt}"


def _written_for(path: Path, stored: StoredVersion) -> bool:
    """Whether ``path`` is the file the build of ``stored`` wrote: it is written after the version is stored, so
    a file older than the version is another register's (a database made anew over the same folder)."""
    if not path.is_file():
        return False
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    created = stored.created_at if stored.created_at.tzinfo else stored.created_at.replace(tzinfo=UTC)
    return written >= created - timedelta(seconds=2)


def stored_document(session: Session, *, home: Path, year: int, fmt: str) -> tuple[StoredVersion, bytes]:
    """The latest stored version of ``year`` in ``fmt``: the file its build wrote, or else made now from the
    version's stored JSON and narrative (what a build writes only in the formats asked for).

    Raises :class:`~gongkai.core.errors.NotFound` before the first build, :class:`InputError` for an unknown
    format or when the version lacks a yearly figure (a blank figure is never printed), and the PDF converter's
    errors (:mod:`gongkai.report.pdf`) when a PDF cannot be made.
    """
    if fmt not in FORMATS:
        raise InputError(f"报告格式“{fmt}”无效，应为 {'、'.join(FORMATS)} 之一。")
    stored = latest_version(session, year)
    if stored is None:
        raise NotFound(f"{year} 年度报告尚未生成任何版本。")
    if fmt == "json":
        return stored, (json.dumps(stored.data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    path = version_file(home, year, stored.version, fmt)
    if _written_for(path, stored):
        return stored, path.read_bytes()
    if stored.missing_figures:
        raise InputError(
            f"{year} 年度报告第 {stored.version} 版生成时其他系统的年度数据尚未录入（"
            f"{'、'.join(stored.missing_figures)}），不能输出文档（空白的数字不能印在报告上）；录入后请重新生成。"
        )
    document = _document(
        fmt, stored.data, stored.narrative or {}, template="2021", session=session, year=year
    )
    return stored, document
