"""The annual report's one chart: applications received per month, stacked by outcome group.

* :func:`monthly_outcome_series` counts, in one ``GROUP BY`` over the ``application`` table (one range of the
  covering index ``ix_application_report_received``, no table row read), the applications received in the year
  by month of receipt (Art. 31 date) and outcome group. The groups are those of table 三
  (（一）予以公开 … （六）其他处理, short names taken from :mod:`gongkai.report.layout`), plus
  :data:`OPEN_GROUP` for applications not concluded by 31 December (the year's part of row 4, 结转下年度).
  An application concluded without an outcome row (a withdrawal) is in 其他处理, as in row 3.6.3. The same
  cut-off as the tables: an application answered in January of the next year is 未办结 in this year's chart,
  so the chart's grand total is row 1 of table 三.
* :func:`monthly_outcome_chart` draws the series as a PNG with matplotlib's Agg renderer (no display, no
  network). matplotlib is imported inside the function: the command line must start without it.
* Chinese text needs an installed CJK font; :func:`find_cjk_font` looks for one by family name, then by glyph,
  and never downloads anything. Without one it raises :class:`~gongkai.core.errors.InputError` naming the Debian
  package to install (``fonts-wqy-microhei``).
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.errors import InputError
from gongkai.core.officescope import in_office
from gongkai.report import layout
from gongkai.report.stats import MAX_YEAR, MIN_YEAR
from gongkai.store.tables import APP

# -- outcome groups ----------------------------------------------------------------------------------------

OPEN_GROUP: Final = "未办结"
"""The chart's own group: received in the year, not concluded by 31 December (carried into next year)."""


def _outcome_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(short group name, outcome row ids) in table order, from the layout's labels.

    ``（二）部分公开（区分处理的，…）`` -> ``部分公开``; ``（三）不予公开`` (a group cell) -> ``不予公开``.
    """
    groups: dict[str, list[str]] = {}
    for row in layout.TABLE3_ROWS:
        if not row.groups or row.row_id == "3.7":  # rows 1, 2, 4 and the total are not outcomes
            continue
        label = row.groups[1] if len(row.groups) > 1 else row.label
        match = re.match(r"（[一二三四五六七八九十]+）([^（]+)", label)
        if match is None:  # pragma: no cover - the layout is fixed data, checked by the tests
            raise AssertionError(f"unexpected outcome label in report_layout: {label!r}")
        groups.setdefault(match.group(1), []).append(row.row_id)
    return tuple((name, tuple(rows)) for name, rows in groups.items())


OUTCOME_GROUPS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = _outcome_groups()
"""(group name, its outcome rows) in table order: 予以公开 (3.1), 部分公开 (3.2), 不予公开 (3.3.1–3.3.8),
无法提供 (3.4.*), 不予处理 (3.5.*), 其他处理 (3.6.*)."""

OTHER_GROUP: Final = OUTCOME_GROUPS[-1][0]
"""其他处理: where a concluded application without an outcome row (a withdrawal) is counted."""

SERIES_GROUPS: Final[tuple[str, ...]] = (*(name for name, _ in OUTCOME_GROUPS), OPEN_GROUP)
"""The keys of a series, in the order they are stacked (bottom first) and listed in the legend."""

MONTHS: Final = 12

# Fixed colours per group (colour-blind-safe Okabe–Ito palette), so every year's chart reads the same way.
_COLOURS: Final[dict[str, str]] = dict(
    zip(
        SERIES_GROUPS,
        ("#009E73", "#56B4E9", "#D55E00", "#E69F00", "#CC79A7", "#0072B2", "#BBBBBB"),
        strict=True,
    )
)

# Family names of common CJK fonts, most preferred first. Debian: fonts-noto-cjk, fonts-wqy-microhei,
# fonts-wqy-zenhei; Windows/macOS names for a developer's machine.
CJK_FONT_FAMILIES: Final[tuple[str, ...]] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)
FONT_PACKAGE: Final = "fonts-wqy-microhei"
"""The Debian package that gives the chart its Chinese font (named in the error when none is installed)."""

_PROBE_TEXT: Final = "年月公开申请数量予处理办结"  # characters the chart prints: a usable font has them all


def chart_title(year: int) -> str:
    """The chart's title, also its caption in the DOCX: ``2025年各月政府信息公开申请数量（按办理结果分类）``."""
    return f"{year}年各月政府信息公开申请数量（按办理结果分类）"


# -- the data ------------------------------------------------------------------------------------------------


def _check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"报告年度应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实际为“{year}”。")
    return year


def monthly_outcome_series(session: Session, *, year: int) -> dict[str, list[int]]:
    """Applications received in ``year`` per month of receipt and outcome group, in one ``GROUP BY``.

    Returns ``{group: [January, …, December]}`` for every group of :data:`SERIES_GROUPS` (zeros included).
    Outcome as of 31 December of ``year``: not concluded by then is :data:`OPEN_GROUP`; concluded without
    an outcome row is :data:`OTHER_GROUP`. The grand total equals row 1 of table 三.
    """
    _check_year(year)
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    group = sa.case(
        (sa.or_(APP.c.concluded_on.is_(None), APP.c.concluded_on > dec31), OPEN_GROUP),
        (APP.c.outcome_row.is_(None), OTHER_GROUP),
        *((APP.c.outcome_row.in_(rows), name) for name, rows in OUTCOME_GROUPS),
        else_=OTHER_GROUP,  # an outcome row outside table 三 cannot be stored (foreign key); be total anyway
    )
    # Labelled in a subquery, grouped outside: PostgreSQL would not match a CASE with bound parameters
    # in SELECT against the same CASE in GROUP BY (the parameters are numbered apart).
    per_application = (
        sa.select(sa.extract("month", APP.c.received_on).label("month"), group.label("grp"))
        .where(in_office(session, APP), APP.c.received_on >= jan1, APP.c.received_on <= dec31)
        .subquery()
    )
    stmt = sa.select(per_application.c.month, per_application.c.grp, sa.func.count()).group_by(
        per_application.c.month, per_application.c.grp
    )
    series = {name: [0] * MONTHS for name in SERIES_GROUPS}
    for month, name, n in session.execute(stmt):
        series[str(name)][int(month) - 1] += int(n)
    return series


def _check_series(series: object) -> dict[str, list[int]]:
    """The series in stacking order, zeros for absent groups; InputError on anything else."""
    if not isinstance(series, Mapping):
        raise InputError(f"统计图数据应为“办理结果 -> 12个月的件数”的对象，实际为 {type(series).__name__}。")
    unknown = [str(k) for k in series if k not in SERIES_GROUPS]
    if unknown:
        raise InputError(
            f"统计图数据有未知的办理结果分类：{'、'.join(unknown)}（应为 {'、'.join(SERIES_GROUPS)}）。"
        )
    out: dict[str, list[int]] = {}
    for name in SERIES_GROUPS:
        values: Any = series.get(name, [0] * MONTHS)
        if (
            not isinstance(values, Sequence)
            or isinstance(values, str)
            or len(values) != MONTHS
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)
        ):
            raise InputError(f"统计图数据“{name}”应为 12 个非负整数（1月至12月），实际为 {values!r}。")
        out[name] = list(values)
    return out


# -- the font ------------------------------------------------------------------------------------------------


def _has_glyphs(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):  # unreadable or not a font FreeType can open
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE_TEXT)


@lru_cache(maxsize=1)
def find_cjk_font() -> str:
    """The file of an installed font that has the chart's Chinese characters. No network, no downloads.

    Looks in matplotlib's font list by family name (:data:`CJK_FONT_FAMILIES`), then at every listed font for
    the glyphs, then at system font files matplotlib's cached list does not know yet (a font installed after
    the cache was built). Cached for the process. Raises :class:`InputError` naming the Debian package.
    """
    from matplotlib import font_manager

    entries = [e for e in font_manager.fontManager.ttflist if os.path.isfile(e.fname)]
    by_family = {e.name: e.fname for e in reversed(entries)}  # first entry of a family wins
    for family in CJK_FONT_FAMILIES:
        path = by_family.get(family)
        if path is not None and _has_glyphs(path):
            return path
    known = sorted({e.fname for e in entries})
    for path in known:
        if _has_glyphs(path):
            return path
    for path in sorted(set(font_manager.findSystemFonts()) - set(known)):
        if _has_glyphs(path):
            font_manager.fontManager.addfont(path)
            return path
    raise InputError(
        "找不到可显示中文的字体，无法生成统计图：请安装 Debian 软件包 "
        f"{FONT_PACKAGE}（apt-get install -y {FONT_PACKAGE}），或其他中文字体（如 fonts-noto-cjk）。"
    )


# -- the picture ---------------------------------------------------------------------------------------------


def monthly_outcome_chart(series: Mapping[str, Sequence[int]], *, year: int) -> bytes:
    """A PNG of ``series`` (see :func:`monthly_outcome_series`): one stacked bar per month, Chinese title,
    axis labels and legend, the month's total above its bar.

    Drawn with matplotlib's Agg renderer on a figure of its own (no pyplot state, safe in threads), with the
    font of :func:`find_cjk_font` given to every Chinese text. The PNG carries no timestamp or version, so the
    same series gives the same bytes. Raises :class:`InputError` for a bad series or when no CJK font is
    installed.
    """
    _check_year(year)
    data = _check_series(series)
    font_path = find_cjk_font()

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = FontProperties(fname=font_path, size=10)
    title_font = FontProperties(fname=font_path, size=13)
    months = list(range(1, MONTHS + 1))
    totals = [sum(data[name][m] for name in SERIES_GROUPS) for m in range(MONTHS)]

    fig = Figure(figsize=(9, 4.8), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bottom = [0] * MONTHS
    for name in SERIES_GROUPS:
        values = data[name]
        ax.bar(
            months,
            values,
            bottom=bottom,
            width=0.7,
            label=name,
            color=_COLOURS[name],
            edgecolor="white",
            linewidth=0.5,
            hatch="//" if name == OPEN_GROUP else None,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for month, total in zip(months, totals, strict=True):
        if total:
            ax.annotate(
                str(total),
                (month, total),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )

    ax.set_title(chart_title(year), fontproperties=title_font)
    ax.set_xlabel("收到申请的月份", fontproperties=font)
    ax.set_ylabel("申请数量（件）", fontproperties=font)
    ax.set_xticks(months, [f"{m}月" for m in months])
    for tick in ax.get_xticklabels():
        tick.set_fontproperties(font)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(max(totals) * 1.12, 1))
    ax.set_xlim(0.4, MONTHS + 0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if not any(totals):
        ax.text(
            0.5,
            0.5,
            f"{year}年未收到政府信息公开申请",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontproperties=font,
            color="#666666",
        )
    ax.legend(
        title="办理结果",
        prop=font,
        title_fontproperties=font,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
    )

    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def chart_data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for the HTML report (``render_report(chart_data_uri=…)``)."""
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InputError("统计图应为 PNG 图片。")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


__all__ = [
    "CJK_FONT_FAMILIES",
    "FONT_PACKAGE",
    "MONTHS",
    "OPEN_GROUP",
    "OTHER_GROUP",
    "OUTCOME_GROUPS",
    "SERIES_GROUPS",
    "chart_data_uri",
    "chart_title",
    "find_cjk_font",
    "monthly_outcome_chart",
    "monthly_outcome_series",
]
