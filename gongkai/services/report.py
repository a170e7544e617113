"""The annual report as people work on it: the yearly figures other systems hold, building a version (statistics,
identity checks, documents), finalizing it (which locks the year) and reopening it (``administrator`` only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from gongkai.services.actor import Actor, require
from gongkai.services.office import Office

if TYPE_CHECKING:
    from gongkai.report.build import BuildResult
    from gongkai.report.stats import Figure

__all__ = [
    "Finalized",
    "build_annual_report",
    "figure_key",
    "finalize_annual_report",
    "import_figures",
    "reopen_annual_report",
    "set_figure",
    "show_figures",
]


def figure_key(text: str) -> str | None:
    """The key of a yearly figure (``licensing``…) from its code or Chinese name, or None."""
    from gongkai.report.stats import figure_key as find

    return find(text)


def set_figure(office: Office, actor: Actor, *, year: int, key: str, value: Decimal, source: str) -> Figure:
    """Enter or correct one yearly figure (any staff member), recorded as ``actor``."""
    from gongkai.report.stats import set_yearly_figure

    return set_yearly_figure(office.session, year=year, key=key, value=value, source=source, by=actor.name)


def import_figures(office: Office, actor: Actor, path: Path) -> list[Figure]:
    """Import yearly figures from CSV/XLSX (columns 年度、项目、数值、来源), all or nothing."""
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
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import build_report

    return build_report(
        office.session,
        settings=office.settings,
        year=year or office.as_of.year - 1,
        home=home or gongkai_home(),
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
    Refused (:class:`~gongkai.report.stats.ReportBlocked`, exit status 1) while the narrative in ``home`` has
    sections to fill in, an identity fails or a figure is missing."""
    from gongkai.core.settings import gongkai_home
    from gongkai.report.narrative import narrative_path, parse_narrative, unfinished_sections
    from gongkai.report.stats import ReportBlocked, ensure_year_ended, finalize_report

    require(actor, "administrator", "定稿年度报告")
    ensure_year_ended(year, as_of=office.as_of)
    path = narrative_path(home or gongkai_home(), year)
    sections = parse_narrative(path.read_text(encoding="utf-8")) if path.exists() else {}
    unfinished = unfinished_sections(sections)
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
