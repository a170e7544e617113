"""The annual report as people work on it: what is still missing (readiness), the yearly figures other systems
hold, the narrative the office writes, building a version (statistics, identity checks, documents), its
documents, finalizing it (which locks the year) and reopening it (``administrator`` only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

from gongkai.report.narrative import NarrativeChanged, NarrativeRejected
from gongkai.services.actor import Actor, require, require_work
from gongkai.services.office import Office

if TYPE_CHECKING:
    from gongkai.report.build import BuildResult, Reopened, StoredVersion
    from gongkai.report.stats import Check, Figure, Violation

__all__ = [
    "FileCheck",
    "Finalized",
    "NarrativeChanged",
    "NarrativeRejected",
    "OpenApplication",
    "ReportDocument",
    "ReportOverview",
    "build_annual_report",
    "check_buildable",
    "check_report_file",
    "figure_key",
    "figure_labels",
    "finalize_annual_report",
    "import_figures",
    "narrative_headings",
    "note_report_run",
    "reopen_annual_report",
    "report_document",
    "report_overview",
    "save_narrative",
    "set_figure",
    "show_figures",
]

OPEN_LISTED: Final = 100
"""How many of the year's open applications :func:`report_overview` lists (all are counted)."""


def figure_key(text: str) -> str | None:
    """The key of a yearly figure (``licensing``…) from its code or Chinese name, or None."""
    from gongkai.report.stats import figure_key as find

    return find(text)


def figure_labels() -> dict[str, str]:
    """The yearly figures other systems hold: key -> the row label of table 二 (行政许可 …), in the table's order."""
    from gongkai.report.stats import FIGURE_KEYS

    return dict(FIGURE_KEYS)


def narrative_headings() -> dict[str, str]:
    """The narrative sections the office writes: numeral -> heading (``一`` -> ``一、总体情况`` …)."""
    from gongkai.report.narrative import SECTIONS

    return dict(SECTIONS)


def set_figure(office: Office, actor: Actor, *, year: int, key: str, value: Decimal, source: str) -> Figure:
    """Enter or correct one yearly figure (any staff member), recorded as ``actor``."""
    require_work(actor, "录入年度数据")
    from gongkai.report.stats import set_yearly_figure

    return set_yearly_figure(office.session, year=year, key=key, value=value, source=source, by=actor.name)


def import_figures(office: Office, actor: Actor, path: Path) -> list[Figure]:
    """Import yearly figures from CSV/XLSX (columns 年度、项目、数值、来源), all or nothing."""
    require_work(actor, "导入年度数据")
    from gongkai.report.stats import import_yearly_figures

    return import_yearly_figures(office.session, path, by=actor.name)


def show_figures(office: Office, actor: Actor, year: int) -> list[Figure]:
    """The yearly figures entered for ``year``."""
    from gongkai.report.stats import yearly_figures

    del actor  # any staff member may read them
    return list(yearly_figures(office.session, year).values())


def build_annual_report(
    office: Office,
    actor: Actor,
    *,
    year: int | None = None,
    formats: tuple[str, ...] = ("json",),
    template: str = "2021",
    home: Path | None = None,
) -> BuildResult:
    """Build a new version of the year's report (default: the year before the business date): statistics,
    identity checks, the documents in ``formats`` under ``home`` (default ``GONGKAI_HOME``). Any staff member."""
    require_work(actor, "生成年度报告")
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import build_report

    return build_report(
        office.session,
        settings=office.settings,
        year=year or office.as_of.year - 1,
        home=home or office.settings.files_home(gongkai_home()),
        by=actor.name,
        formats=list(formats),
        template=template,
    )


@dataclass(frozen=True)
class Finalized:
    """The version made final; the year's data is locked from then on."""

    year: int
    version: int


def finalize_annual_report(office: Office, actor: Actor, year: int, *, home: Path | None = None) -> Finalized:
    """Make the latest version final and lock the year (only an ``administrator``; after the year has ended).
    Refused (:class:`~gongkai.report.stats.ReportBlocked`, exit status 1) while the version's narrative has
    sections to fill in, the narrative in ``home`` was changed after the version was built (the version would
    not say what the office wrote), an identity fails or a figure is missing; with
    :class:`~gongkai.core.errors.NotFound` before the first build."""
    from gongkai.core.errors import NotFound
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import latest_version
    from gongkai.report.narrative import narrative_path, parse_narrative, same_narrative, unfinished_sections
    from gongkai.report.stats import ReportBlocked, ensure_year_ended, finalize_report

    require(actor, "administrator", "定稿年度报告")
    ensure_year_ended(year, as_of=office.as_of)
    latest = latest_version(office.session, year)
    if latest is None:
        raise NotFound(f"没有 {year} 年度的年度报告，请先生成并保存。")
    path = narrative_path(home or office.settings.files_home(gongkai_home()), year)
    written = parse_narrative(path.read_text(encoding="utf-8")) if path.exists() else {}
    built = latest.narrative or {}
    if not same_narrative(written, built):
        problem = f"叙述在第 {latest.version} 版生成后有修改（{path}），第 {latest.version} 版不含这些修改，请重新生成"
        raise ReportBlocked(f"{year} 年度报告不能定稿：{problem}后再定稿。", [problem], [])
    unfinished = unfinished_sections(built)
    if unfinished:
        raise ReportBlocked(
            f"{year} 年度报告不能定稿：叙述部分待填写：{'、'.join(unfinished)}（编辑 {path} 后重新生成）。",
            [f"叙述部分待填写：{s}" for s in unfinished],
            [],
        )
    _, version = finalize_report(office.session, year, by=actor.name, as_of=office.as_of)
    return Finalized(year, version)


def reopen_annual_report(office: Office, actor: Actor, year: int, *, reason: str) -> None:
    """Reopen a final year so its data can be corrected (only an ``administrator``; the reason is logged)."""
    from gongkai.report.stats import reopen_year

    require(actor, "administrator", "重新开启年度报告")
    reopen_year(office.session, year, by=actor.name, reason=reason)


# -- the staff desk's page: everything about one year's report, the narrative, documents ---------------------


@dataclass(frozen=True)
class OpenApplication:
    """An application received in the report's year and still open (it will be carried over)."""

    ref: str
    received_on: date
    assignee: str | None


@dataclass(frozen=True)
class ReportOverview:
    """One year's report as the administrator prepares it: what is still missing, the figures, the narrative to
    edit, the latest stored version with its identities I1–I8, and the year's reopenings."""

    year: int
    final: bool
    open_total: int
    open_applications: tuple[OpenApplication, ...]
    """The first :data:`OPEN_LISTED`, earliest received first."""
    figures: tuple[Figure, ...]
    missing_figures: tuple[str, ...]
    unfinished: tuple[str, ...]
    """Headings of the narrative sections still to be written (none once the year is final)."""
    narrative: Mapping[str, str]
    """The sections (一、五、六 and any others of the file), or the drafts the first build would write."""
    narrative_saved: bool
    narrative_revision: str
    """A fingerprint of the narrative file, handed back by :func:`save_narrative` to detect a change meanwhile."""
    narrative_file: Path
    latest: StoredVersion | None
    narrative_changed: bool
    """Whether the narrative was changed after the latest version was built (a new build is needed)."""
    reopenings: tuple[Reopened, ...]


def report_overview(office: Office, actor: Actor, year: int, *, home: Path | None = None) -> ReportOverview:
    """``year``'s report as it stands (any staff member may read it)."""
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import (
        latest_version,
        narrative_for_editing,
        open_applications_received,
        readiness,
        reopenings,
    )
    from gongkai.report.narrative import (
        narrative_path,
        narrative_revision,
        same_narrative,
        unfinished_sections,
    )
    from gongkai.report.stats import yearly_figures

    del actor  # any staff member may read it
    home = home or office.settings.files_home(gongkai_home())
    state = readiness(office.session, year=year, home=home)
    sections, saved = narrative_for_editing(office.session, settings=office.settings, home=home, year=year)
    latest = latest_version(office.session, year)
    path = narrative_path(home, year)
    # Before the file exists the page shows the drafts the first build will write: their unfinished sections.
    unfinished = state["unfinished_narrative"] if saved or state["final"] else unfinished_sections(sections)
    changed = latest is not None and saved and not same_narrative(sections, latest.narrative or {})
    listed = open_applications_received(office.session, year, limit=OPEN_LISTED)
    return ReportOverview(
        year=year,
        final=bool(state["final"]),
        open_total=int(state["open_applications"]),
        open_applications=tuple(OpenApplication(*row) for row in listed),
        figures=tuple(yearly_figures(office.session, year).values()),
        missing_figures=tuple(state["missing_figures"]),
        unfinished=tuple(unfinished),
        narrative=sections,
        narrative_saved=saved,
        narrative_revision=narrative_revision(path),
        narrative_file=path,
        latest=latest,
        narrative_changed=changed,
        reopenings=tuple(reopenings(office.session, year)),
    )


def save_narrative(
    office: Office,
    actor: Actor,
    year: int,
    sections: Mapping[str, str],
    *,
    revision: str | None = None,
    home: Path | None = None,
) -> Path:
    """Store the office's text of narrative sections (``{"一": …, "五": …, "六": …}``) in the narrative file the
    build reads (``$GONGKAI_HOME/report/narrative-YYYY.md``); the file's other sections are kept. Any staff member;
    recorded in the audit trail. ``revision`` is :attr:`ReportOverview.narrative_revision` as read: when the file
    changed since, nothing is written (:class:`~gongkai.report.narrative.NarrativeChanged`). Refused with the
    reason per section (:class:`~gongkai.report.narrative.NarrativeRejected`) and while the year is final."""
    require_work(actor, "保存年度报告叙述部分")
    from gongkai.core.errors import InputError
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import narrative_for_editing
    from gongkai.report.narrative import (
        SECTIONS,
        NarrativeChanged,
        NarrativeRejected,
        clean_section,
        narrative_path,
        narrative_revision,
        section_problem,
        write_narrative,
    )
    from gongkai.store.audit import record_audit
    from gongkai.store.yearlock import YearLocked, is_year_final

    unknown = [k for k in sections if k not in SECTIONS]
    if unknown:
        raise InputError(f"叙述章节“{'、'.join(unknown)}”无效，应为 {'、'.join(SECTIONS)} 之一。")
    cleaned = {key: clean_section(text) for key, text in sections.items()}
    problems = {key: p for key, text in cleaned.items() if (p := section_problem(text)) is not None}
    if problems:
        raise NarrativeRejected(problems)
    if is_year_final(office.session, year):
        raise YearLocked(
            f"{year} 年度报告已定稿，叙述不能再修改；如确需修改，请由管理员先重新开启该年度并写明原因。"
        )
    home = home or office.settings.files_home(gongkai_home())
    path = narrative_path(home, year)
    if revision is not None and narrative_revision(path) != revision:
        raise NarrativeChanged(
            f"{year} 年度报告的叙述在您打开页面之后已被修改（可能是他人保存的），您这次的修改没有保存；"
            "请重新打开页面，在最新的文字上修改。"
        )
    current, _ = narrative_for_editing(office.session, settings=office.settings, home=home, year=year)
    record_audit(office.session, actor.name, "report_narrative_saved", str(year))
    office.session.flush()  # the audit entry can be written: only then the file
    write_narrative(path, {**current, **cleaned})
    return path


@dataclass(frozen=True)
class ReportDocument:
    """A document of the latest stored version."""

    year: int
    version: int
    status: str
    fmt: str
    content: bytes


def report_document(
    office: Office, actor: Actor, year: int, fmt: str, *, home: Path | None = None
) -> ReportDocument:
    """The latest version of ``year`` in ``fmt`` (``json``, ``html``, ``md``, ``docx``, ``pdf``): the file its build
    wrote, or made now from the stored version (see :func:`gongkai.report.build.stored_document`). Any staff
    member."""
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import stored_document

    del actor  # any staff member may read it
    stored, content = stored_document(
        office.session, home=home or office.settings.files_home(gongkai_home()), year=year, fmt=fmt
    )
    return ReportDocument(year, stored.version, stored.status, fmt, content)


def check_buildable(office: Office, actor: Actor, year: int) -> None:
    """Refuse (:class:`~gongkai.store.yearlock.YearLocked`) a new version of a final year before a build is
    started elsewhere (a Prefect run would only fail there)."""
    require_work(actor, "生成年度报告")
    from gongkai.store.yearlock import YearLocked, is_year_final

    if is_year_final(office.session, year):
        raise YearLocked(
            f"{year} 年度报告已定稿，不能再生成新版本；如确需修改，请由管理员先重新开启该年度并写明原因。"
        )


def note_report_run(office: Office, actor: Actor, year: int, run: str) -> None:
    """Record in the audit trail that ``actor`` started a build of ``year`` run elsewhere (the Prefect flow run
    ``run``, whose version is recorded as built by the schedule)."""
    require_work(actor, "生成年度报告")
    from gongkai.store.audit import record_audit

    record_audit(office.session, actor.name, "report_run_requested", str(year), run)


@dataclass(frozen=True)
class FileCheck:
    """The identities checked on a published report read from a file (``gongkai report check``).

    ``checks`` are I1–I5 (hard: any failure is exit 1) and I8 (the narrative against the tables: a warning,
    ogi-rules.md 6.3; not checked for JSON, which has no narrative). I6/I7 need last year's report and are left out.
    """

    path: Path
    kind: str
    year: int | None
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[str, ...]:
        """The ids of the failing hard identities (I1–I5)."""
        return tuple(c.id for c in self.checks if c.hard and not c.ok)

    @property
    def failures(self) -> tuple[Violation, ...]:
        """Every failure of I1–I5, each with its table, row, column, expected and found."""
        return tuple(v for c in self.checks if c.hard and not c.ok for v in c.violations)

    @property
    def warnings(self) -> tuple[Check, ...]:
        """The failing warnings (I8)."""
        return tuple(c for c in self.checks if not c.hard and not c.ok)

    def to_json(self) -> dict[str, object]:
        """``{"file", "kind", "year", "ok", "failed", "failures": [...], "warnings": [...], "checks": [...]}``."""
        return {
            "file": str(self.path),
            "kind": self.kind,
            "year": self.year,
            "ok": not self.failed,
            "failed": list(self.failed),
            "failures": [v.to_json() for v in self.failures],
            "warnings": [c.message for c in self.warnings],
            "checks": [c.to_json() for c in self.checks],
        }


def check_report_file(path: Path) -> FileCheck:
    """Read a published annual report (JSON, HTML or DOCX in the 2021 layout, from any system) and check I1–I5
    (and I8 on its narrative) with the same identities as Gongkai's own reports. Needs no office or database.

    Raises :class:`~gongkai.report.reportfile.ReportFileError` (exit 2) when the file or its tables cannot be read.
    """
    from gongkai.report.reportfile import read_report_file
    from gongkai.report.stats import run_checks

    read = read_report_file(path)
    doc = {**read.doc, "year": read.year}
    checks = run_checks(doc, previous=None, narrative=read.narrative or None)
    kept = tuple(c for c in checks if c.id not in ("I6", "I7"))
    return FileCheck(Path(path), read.kind, read.year, kept)
