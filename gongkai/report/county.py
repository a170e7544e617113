"""The county's view of one year (CONTRACT section 7, ``gongkai county report``): each office's tables 二, 三 and 四
side by side, their sum, and identities I1–I5 checked on each office and on the sum.

Figures only: no application, applicant or staff member reaches this module. Each office's tables are the ones its
own report has (:func:`gongkai.report.stats.compute_statistics`, or the stored final report of a finalized year),
so the county sees exactly what the office publishes. The sum is taken cell by cell; a yearly figure that an office
has not entered (``null`` in its JSON) makes the county's figure ``null`` too, never a silent 0.

The HTML is rendered from ``templates/county/county_report.html.j2`` (an office may override it in
``GONGKAI_TEMPLATES``) and the XLSX with openpyxl; every printed label comes from :mod:`gongkai.report.layout`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from gongkai.report import layout
from gongkai.report.stats import (
    APPEAL_BLOCKS,
    APPEAL_COLUMNS,
    COLUMNS,
    FIGURE_JSON,
    FIGURE_KEYS,
    FORMAT,
    ROW_IDS,
    Violation,
    run_checks,
)

FINAL: Final = "final"
LIVE: Final = "live"
STATUS_LABELS: Final[dict[str, str]] = {FINAL: "已定稿", LIVE: "未定稿（实时统计）"}
"""Where an office's figures come from: its stored final report, or the register as it stands now."""

TEMPLATE: Final = "county/county_report.html.j2"
"""The county report's HTML template (under ``templates/``, overridable through ``GONGKAI_TEMPLATES``)."""

TOTAL_NAME: Final = "合计"
"""How the county total is named in tables and messages."""

_COUNT_PARTS: Final = ("rules", "normative_documents")
_COUNT_KEYS: Final = ("issued", "repealed", "in_force")


@dataclass(frozen=True)
class OfficeTables:
    """One office's tables of the year (``proactive``, ``requests``, ``appeals``: the report JSON's objects).

    ``status`` is :data:`FINAL` (from its stored final report, ``version``) or :data:`LIVE` (counted from the
    register now); ``failures`` lists every failure of I1–I5; ``missing`` what its report still lacks (figures not
    entered), in Chinese.
    """

    code: str
    name: str
    status: str
    version: int | None
    proactive: Mapping[str, Any]
    requests: Mapping[str, Mapping[str, Any]]
    appeals: Mapping[str, Mapping[str, Any]]
    failures: tuple[Violation, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether I1–I5 all hold."""
        return not self.failures

    @property
    def status_label(self) -> str:
        """已定稿 or 未定稿（实时统计）."""
        return STATUS_LABELS[self.status]

    def tables(self) -> dict[str, Any]:
        """``{"proactive", "requests", "appeals"}`` as in the report JSON (CONTRACT section 4)."""
        return {
            "proactive": json.loads(json.dumps(self.proactive)),
            "requests": {r: {c: self.requests.get(r, {}).get(c) for c in COLUMNS} for r in ROW_IDS},
            "appeals": {
                b: {c: self.appeals.get(b, {}).get(c) for c in APPEAL_COLUMNS} for b in APPEAL_BLOCKS
            },
        }

    def to_json(self) -> dict[str, Any]:
        """The office's entry of ``offices`` in the county JSON (keys documented in the README)."""
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "status_label": self.status_label,
            "version": self.version,
            "ok": self.ok,
            "failures": [v.to_json() for v in self.failures],
            "missing": list(self.missing),
            **self.tables(),
        }


def hard_failures(doc: Mapping[str, Any]) -> tuple[Violation, ...]:
    """Every failure of I1–I5 on a report JSON (or on the county total), each with its table, row and column."""
    out: list[Violation] = []
    for check in run_checks(doc, previous=None, narrative=None):
        if not check.hard or check.ok:
            continue
        # A check that could not even read its figures has no Violation: keep its message whole.
        out.extend(check.violations or (Violation(check.id, "", "", "", "", "", check.message),))
    return tuple(out)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sum_counts(values: Sequence[Any]) -> int | None:
    """The sum of counts; None when one is not a count (I5 on the total then names the cell)."""
    return sum(values) if all(_is_count(v) for v in values) else None


def _sum_amounts(values: Sequence[Any]) -> float | None:
    """The sum of amounts in 万元, added as decimals (0.1 + 0.2 is 0.3); None when one is missing or not a number."""
    if not values or any(isinstance(v, bool) or not isinstance(v, int | float | Decimal) for v in values):
        return None if values else 0.0
    return float(sum((Decimal(str(v)) for v in values), Decimal(0)))


def _figure(proactive: Mapping[str, Any], json_key: str) -> Any:
    block = proactive.get(json_key)
    return block.get("decisions") if isinstance(block, Mapping) else None


def total_tables(offices: Sequence[OfficeTables]) -> dict[str, Any]:
    """Tables 二, 三 and 四 summed over ``offices`` cell by cell (``{"proactive", "requests", "appeals"}``)."""
    docs = [o.tables() for o in offices]
    proactive: dict[str, Any] = {
        part: {k: _sum_counts([d["proactive"].get(part, {}).get(k) for d in docs]) for k in _COUNT_KEYS}
        for part in _COUNT_PARTS
    }
    for json_key in FIGURE_JSON.values():
        proactive[json_key] = {"decisions": _sum_counts([_figure(d["proactive"], json_key) for d in docs])}
    proactive["fees_10k_yuan"] = _sum_amounts([d["proactive"].get("fees_10k_yuan") for d in docs])
    return {
        "proactive": proactive,
        "requests": {
            r: {c: _sum_counts([d["requests"][r][c] for d in docs]) for c in COLUMNS} for r in ROW_IDS
        },
        "appeals": {
            b: {c: _sum_counts([d["appeals"][b][c] for d in docs]) for c in APPEAL_COLUMNS}
            for b in APPEAL_BLOCKS
        },
    }


def _yearly_figure(proactive: Mapping[str, Any], key: str) -> Any:
    """The yearly figure ``key`` (a key of :data:`FIGURE_KEYS`) of a table 二."""
    return proactive.get(key) if key not in FIGURE_JSON else _figure(proactive, FIGURE_JSON[key])


def _total_missing(offices: Sequence[OfficeTables]) -> tuple[str, ...]:
    """Each yearly figure the total lacks because some office has not entered it, naming those offices."""
    out = []
    for key, label in FIGURE_KEYS.items():
        lacking = [o.name for o in offices if _yearly_figure(o.proactive, key) is None]
        if lacking:
            out.append(f"表二“{label}”：{'、'.join(lacking)}尚未录入，合计空缺。")
    return tuple(out)


@dataclass(frozen=True)
class CountyReport:
    """The county's view of ``year``: the offices ordered by code, their total, identities on each and on the sum."""

    year: int
    offices: tuple[OfficeTables, ...]
    total: Mapping[str, Any] = field(default_factory=dict)
    total_failures: tuple[Violation, ...] = ()
    total_missing: tuple[str, ...] = ()

    @classmethod
    def of(cls, year: int, offices: Sequence[OfficeTables]) -> CountyReport:
        """The report of ``offices`` (ordered by code), with their total summed and checked."""
        ordered = tuple(sorted(offices, key=lambda o: o.code))
        total = total_tables(ordered)
        return cls(
            year,
            ordered,
            total,
            hard_failures({"year": year, **total}),
            _total_missing(ordered),
        )

    @property
    def failing(self) -> tuple[OfficeTables, ...]:
        """The offices whose identities fail."""
        return tuple(o for o in self.offices if not o.ok)

    @property
    def ok(self) -> bool:
        """Whether I1–I5 hold for every office and for the total."""
        return not self.failing and not self.total_failures

    def to_json(self) -> dict[str, Any]:
        """The county JSON (keys documented in the README's table under ``gongkai county report``)."""
        return {
            "format": FORMAT,
            "year": self.year,
            "ok": self.ok,
            "offices": [o.to_json() for o in self.offices],
            "total": {
                "office_count": len(self.offices),
                "final_count": sum(1 for o in self.offices if o.status == FINAL),
                "ok": not self.total_failures,
                "failures": [v.to_json() for v in self.total_failures],
                "missing": list(self.total_missing),
                **json.loads(json.dumps(self.total)),
            },
        }

    def dumps(self) -> str:
        """The JSON text (Chinese characters kept, keys in a stable order)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


# -- documents ---------------------------------------------------------------------------------------------------


def cell_text(value: Any, *, decimal: bool = False) -> str:
    """A figure as printed: a count, an amount in 万元 (at most four decimals), 未录入 for a figure not entered, and
    anything else as found (a broken figure is shown, not hidden: its identity failure names it)."""
    if value is None:
        return "未录入"
    if decimal and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = f"{Decimal(str(value)):.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return str(value)


def _value_at(tables: Mapping[str, Any], path: str) -> Any:
    """The value at a :mod:`layout` path (``requests.<row id>.<column>``: row ids contain dots)."""
    if path.startswith("requests."):
        row_id, column = path[len("requests.") :].rsplit(".", 1)
        return tables["requests"][row_id][column]
    value: Any = tables
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _tables_view(tables: Mapping[str, Any]) -> dict[str, Any]:
    """Tables 二, 三 and 四 as printed text, in the layout's order."""
    return {
        "table2": [
            {
                "table": t,
                "rows": [
                    {
                        "label": row.label,
                        "cells": [cell_text(_value_at(tables, p), decimal=t.decimal) for p in row.paths],
                    }
                    for row in t.rows
                ],
            }
            for t in layout.TABLE2
        ],
        "table3": [
            {
                "row": row,
                "cells": [cell_text(_value_at(tables, row.path(k))) for k, _ in layout.APPLICANT_COLUMNS],
            }
            for row in layout.TABLE3_ROWS
        ],
        "table4": [cell_text(_value_at(tables, p)) for p in layout.TABLE4_PATHS],
    }


SUMMARY_ROWS: Final = ("1", "2", "3.7", "4")
"""The rows of table 三 whose 总计 the HTML's overview lists per office."""


def _row_label(row_id: str) -> str:
    return next(r.label for r in layout.TABLE3_ROWS if r.row_id == row_id)


def render_html(report: CountyReport) -> str:
    """The county report as one HTML page (autoescaped: an office's name is text, never markup)."""
    from gongkai.files.render import render

    offices = [
        {
            "code": o.code,
            "name": o.name,
            "status_label": o.status_label,
            "version": o.version,
            "ok": o.ok,
            "failures": o.failures,
            "missing": o.missing,
            "summary": [cell_text(o.requests[r]["total"]) for r in SUMMARY_ROWS],
            **_tables_view(o.tables()),
        }
        for o in report.offices
    ]
    total = {
        "name": TOTAL_NAME,
        "ok": not report.total_failures,
        "failures": report.total_failures,
        "missing": report.total_missing,
        "summary": [cell_text(report.total["requests"][r]["total"]) for r in SUMMARY_ROWS],
        **_tables_view(report.total),
    }
    return render(
        TEMPLATE,
        title=f"{report.year}年度政府信息公开工作年度报告数据汇总",
        year=report.year,
        layout=layout,
        summary_labels=[_row_label(r) for r in SUMMARY_ROWS],
        offices=offices,
        total=total,
        final_count=sum(1 for o in report.offices if o.status == FINAL),
    )


def _number(value: Any) -> Any:
    """A cell of the workbook: the number itself (counts and amounts), 未录入 for a figure not entered."""
    if value is None:
        return "未录入"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


def write_xlsx(report: CountyReport, path: Path) -> Path:
    """The county report as a workbook: 汇总 (table 三, one row per office and a total row), 表二, 表四, and 勾稽关系
    (every failure of I1–I5). Written to ``path`` (its folder is created); returns ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    head = ("单位代码", "单位名称", "数据来源", "勾稽关系")
    rows: list[tuple[OfficeTables | None, Mapping[str, Any]]] = [(o, o.tables()) for o in report.offices]
    rows.append((None, report.total))

    def lead(office: OfficeTables | None) -> list[Any]:
        if office is None:
            ok = not report.total_failures
            return ["", TOTAL_NAME, f"{len(report.offices)} 个单位", "成立" if ok else "不成立"]
        return [office.code, office.name, office.status_label, "成立" if office.ok else "不成立"]

    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "汇总"
    width = len(layout.APPLICANT_COLUMNS)
    for i, text in enumerate(head, start=1):
        summary.cell(1, i, text)
        summary.merge_cells(start_row=1, start_column=i, end_row=2, end_column=i)
    for n, row in enumerate(layout.TABLE3_ROWS):
        first = len(head) + 1 + n * width
        summary.cell(1, first, row.label)
        summary.merge_cells(start_row=1, start_column=first, end_row=1, end_column=first + width - 1)
        for k, (_, label) in enumerate(layout.APPLICANT_COLUMNS):
            summary.cell(2, first + k, label)
    for office, tables in rows:
        summary.append(
            lead(office)
            + [
                _number(tables["requests"][r.row_id][c])
                for r in layout.TABLE3_ROWS
                for c, _ in layout.APPLICANT_COLUMNS
            ]
        )

    table2 = wb.create_sheet("表二")
    paths = [
        (t, row, h, p)
        for t in layout.TABLE2
        for row in t.rows
        for h, p in zip(t.headers[1:], row.paths, strict=True)
    ]
    table2.append([*head, *(f"{row.label}·{h}" for _, row, h, _ in paths)])
    for office, tables in rows:
        table2.append(lead(office) + [_number(_value_at(tables, p)) for *_, p in paths])

    table4 = wb.create_sheet("表四")
    blocks = {b: label for b, label in layout.APPEAL_BLOCKS}
    table4.append(
        [
            *head,
            *(
                f"{blocks[p.split('.')[1]]}·{dict(layout.APPEAL_RESULTS)[p.split('.')[2]]}"
                for p in layout.TABLE4_PATHS
            ),
        ]
    )
    for office, tables in rows:
        table4.append(lead(office) + [_number(_value_at(tables, p)) for p in layout.TABLE4_PATHS])

    checks = wb.create_sheet("勾稽关系")
    checks.append(["单位代码", "单位名称", "勾稽关系", "表", "行", "列", "应为", "实际", "说明"])
    for office, _ in rows:
        failures = report.total_failures if office is None else office.failures
        code, name = ("", TOTAL_NAME) if office is None else (office.code, office.name)
        for v in failures:
            checks.append([code, name, v.identity, v.table, v.row, v.column, v.expected, v.found, v.text])

    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font, cell.alignment = bold, centre
    for cell in summary[2]:
        cell.font, cell.alignment = bold, centre
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


__all__ = [
    "FINAL",
    "LIVE",
    "STATUS_LABELS",
    "SUMMARY_ROWS",
    "TEMPLATE",
    "TOTAL_NAME",
    "CountyReport",
    "OfficeTables",
    "cell_text",
    "hard_failures",
    "render_html",
    "total_tables",
    "write_xlsx",
]
