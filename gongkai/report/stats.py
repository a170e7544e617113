"""Statistics of the annual report (2021 format), its checks, the yearly figures, and stored versions.

The tables come from the register by set-based SQL (two statements, each a ``UNION ALL`` of ``GROUP BY``
parts so that a small register pays no round trip per table; the application parts each read one range of a
covering index — see the indexes at the end of ``gongkai/store/models.py``; no application row is ever loaded
into Python), by the counting rules of ogi-rules.md 6.3:

* table 三 — row 1: applications received in the year; row 2: received before 1 January and not
  concluded before 1 January; rows 3.1 … 3.6.3: concluded in the year, by ``outcome_row`` (a concluded
  application without an outcome row — a withdrawal — counts in 3.6.3 「其他」); row 3.7: the total of
  the outcome rows; row 4: received on or before 31 December and not concluded by 31 December (still
  waiting for a correction or a fee counts as not concluded). Columns: the six applicant types and the
  total. All 25 rows × 7 columns are always present.
* table 二 — 规章 is always 0 (a sub-district office makes no rules); 行政规范性文件 from the catalogue
  (``doc_type = 'normative_document'``): issued in the year = ``valid_from`` (else ``generated_on``)
  in the year; repealed = ``repealed_on`` in the year; in force at year end = issued by 31 December and
  not repealed by then. The licence, penalty and coercion decisions and the fees (万元) are figures
  other systems hold (``yearly_figure``); a figure not entered is ``null`` in the JSON and listed in
  :attr:`ReportData.missing` — never silently 0 — so the report cannot be made final.
* table 四 — per block (reconsideration; litigation filed directly; litigation after reconsideration):
  upheld / corrected / other = concluded in the year with that result; pending = filed by 31 December
  and not concluded by then; total = their sum.

Rows 1, 2 and 4 are counted independently of the outcome rows, so identity I1 is a real check on the
register: it fails when an application's dates contradict each other (concluded before received).

Identities (ogi-rules.md 6.3): I1–I5 are errors that block a final report; I6–I8 are warnings that need a
note in the report. I6 and I7 compare with last year's report (the latest version that was made final);
I8 compares the narrative with the tables by the convention of :data:`NARRATIVE_FIGURES`.

Storage: every build can be stored as a new version (:func:`store_report`); :func:`finalize_report`
marks the latest version final after recomputing it from the register; a final year is locked
(:mod:`gongkai.store.yearlock`: what the register, the items and the review ask before a change) until it is
reopened with a logged reason (:func:`reopen_year`).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.codes import APPLICANT_TYPES, OUTCOMES
from gongkai.core.errors import ImportRejected, InputError, NotFound
from gongkai.core.officescope import in_office, office_of
from gongkai.files.tablefile import cell_text, clean_header, clean_value, read_records
from gongkai.report import layout
from gongkai.store.models import (
    LONG_RUNNING_WHERE,
    AnnualReport,
    ReportReopenLog,
    YearlyFigure,
    utcnow,
)
from gongkai.store.tables import APP, APPEAL, FIGURE, ITEM, REPORT
from gongkai.store.yearlock import YearLocked, ensure_unlocked, final_years, is_year_final

FORMAT: Final = "2021"
"""The report format of the JSON (国办公开办函〔2021〕30号)."""

MIN_YEAR: Final = 2000
MAX_YEAR: Final = 2100

# -- table 三: rows and columns ---------------------------------------------------------------------

OUTCOME_ROWS: Final[tuple[str, ...]] = tuple(o.row for o in OUTCOMES)
"""The 21 outcome rows 3.1 … 3.6.3, in printed order."""

ROW_IDS: Final[tuple[str, ...]] = ("1", "2", *OUTCOME_ROWS, "3.7", "4")
"""The 25 data rows of table 三, in printed order (the keys of ``requests`` in the JSON)."""

WITHDRAWN_ROW: Final = "3.6.3"
"""Where a concluded application without an outcome row (a withdrawal) is counted."""

COLUMNS: Final[tuple[str, ...]] = (*APPLICANT_TYPES, "total")
"""The seven columns of table 三: the six applicant types, then the total."""

_COLUMN_NAME: Final[dict[str, str]] = {**APPLICANT_TYPES, "other_org": "其他组织", "total": "总计"}
_ROW_NAME: Final[dict[str, str]] = {
    "1": "第一项“本年新收”",
    "2": "第二项“上年结转”",
    "3.7": "第三项（七）“总计”",
    "4": "第四项“结转下年度继续办理”",
    **{o.row: f"第 {o.row} 行“{o.label}”" for o in OUTCOMES},
}

# -- table 二 and 四: keys ----------------------------------------------------------------------------

FIGURE_KEYS: Final[dict[str, str]] = {
    "licensing_decisions": "行政许可",
    "penalty_decisions": "行政处罚",
    "coercion_decisions": "行政强制",
    "fees_10k_yuan": "行政事业性收费",
}
"""The yearly figures other systems hold: key -> the row label of table 二."""

COUNT_FIGURES: Final = frozenset({"licensing_decisions", "penalty_decisions", "coercion_decisions"})
"""Yearly figures that are counts of decisions (whole numbers); the fee is an amount in 万元."""

_FIGURE_WHAT: Final[dict[str, str]] = {
    "licensing_decisions": "行政许可本年处理决定数量",
    "penalty_decisions": "行政处罚本年处理决定数量",
    "coercion_decisions": "行政强制本年处理决定数量",
    "fees_10k_yuan": "行政事业性收费本年收费金额（万元）",
}
_FIGURE_JSON: Final[dict[str, str]] = {
    "licensing_decisions": "licensing",
    "penalty_decisions": "penalties",
    "coercion_decisions": "coercion",
}
FIGURE_JSON: Final = _FIGURE_JSON
"""The yearly decision counts: key -> their block in table 二 of the JSON (``proactive.licensing.decisions``…)."""
_FIGURE_BY_TEXT: Final[dict[str, str]] = {
    **{k: k for k in FIGURE_KEYS},
    **{label: k for k, label in FIGURE_KEYS.items()},
    **{label: k for k, label in _FIGURE_WHAT.items()},
    **{v: k for k, v in _FIGURE_JSON.items()},
    "fees": "fees_10k_yuan",
    "收费": "fees_10k_yuan",
}
_MAX_FIGURE: Final = Decimal(10) ** 10  # NUMERIC(14, 4)
_FOUR_PLACES: Final = Decimal("0.0001")

APPEAL_BLOCKS: Final[dict[str, str]] = {
    "reconsideration": "行政复议",
    "litigation_direct": "行政诉讼（未经复议直接起诉）",
    "litigation_after_reconsideration": "行政诉讼（复议后起诉）",
}
"""The three blocks of table 四: JSON key -> name used in messages."""

APPEAL_COLUMNS: Final[dict[str, str]] = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}
"""The five columns of each block of table 四: JSON key -> printed label."""

HARD_CHECKS: Final = ("I1", "I2", "I3", "I4", "I5")
"""Identities whose failure blocks a final report."""

WARNING_CHECKS: Final = ("I6", "I7", "I8")
"""Identities whose failure needs an explanatory note in the report."""


# -- errors ------------------------------------------------------------------------------------------


class ReportBlocked(InputError):
    """A report that cannot be made final: ``problems`` lists every failing identity and missing figure.

    ``failed`` holds the ids of the failing hard identities (``I1`` … ``I5``). Exit status 1, as for a
    report build whose checks fail.
    """

    exit_code = 1

    def __init__(self, message: str, problems: Sequence[str], failed: Sequence[str]) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.failed = tuple(failed)


# -- the report data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """The result of one identity: ``id`` (``I1`` … ``I8``), whether it holds, a message in Chinese.

    ``checked`` is false when the identity could not be checked (no final report of last year for I6/I7, no
    narrative for I8): ``ok`` is then true (nothing is known to be wrong), but it must never be shown as passed.
    ``violations`` lists each failure of I1–I5 with its place (not part of the JSON; empty for I6–I8).
    """

    id: str
    ok: bool
    message: str
    checked: bool = True
    violations: tuple[Violation, ...] = ()

    @property
    def hard(self) -> bool:
        """I1–I5: a failure blocks a final report (I6–I8 only need a note)."""
        return self.id in HARD_CHECKS

    def to_json(self) -> dict[str, Any]:
        """``{"id", "ok", "message"}`` as in CONTRACT section 4, and ``checked``."""
        return {"id": self.id, "ok": self.ok, "message": self.message, "checked": self.checked}

    @property
    def mark(self) -> str:
        """How staff see the result: 通过, 未核对, 错误 (I1–I5) or 提示 (I6–I8)."""
        if not self.checked:
            return "未核对"
        return "通过" if self.ok else ("错误" if self.hard else "提示")


@dataclass(frozen=True)
class ReportData:
    """The figures of one year's report, in the shape of the CONTRACT section 4 JSON.

    ``proactive``, ``requests`` and ``appeals`` are exactly the JSON objects of the same names (a yearly
    figure not entered is ``None``). ``missing`` lists, in Chinese, what the register lacks for a final
    report (figures not entered, appeals that cannot be placed in table 四); it is not part of the JSON.
    """

    year: int
    office: str
    proactive: dict[str, Any]
    requests: dict[str, dict[str, int]]
    appeals: dict[str, dict[str, int]]
    checks: tuple[Check, ...] = ()
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT section 4 object (a fresh, JSON-ready ``dict``; ``json.dumps`` it to print)."""
        return {
            "format": FORMAT,
            "year": self.year,
            "office": self.office,
            "proactive": json.loads(json.dumps(self.proactive)),
            # .get: a hand-made ReportData with a hole shows it as null, which identity I5 then names
            "requests": {r: {c: self.requests.get(r, {}).get(c) for c in COLUMNS} for r in ROW_IDS},
            "appeals": {
                b: {c: self.appeals.get(b, {}).get(c) for c in APPEAL_COLUMNS} for b in APPEAL_BLOCKS
            },
            "checks": [c.to_json() for c in self.checks],
        }

    def dumps(self) -> str:
        """The JSON text (UTF-8 characters kept, keys in the CONTRACT order)."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | str, *, missing: Sequence[str] = ()) -> ReportData:
        """Rebuild from the JSON form (e.g. a stored report). Raises :class:`InputError` on a wrong shape."""
        try:
            obj: Any = json.loads(doc) if isinstance(doc, str) else doc
            return cls(
                year=int(obj["year"]),
                office=str(obj["office"]),
                proactive=dict(obj["proactive"]),
                requests={r: dict(obj["requests"][r]) for r in ROW_IDS},
                appeals={b: dict(obj["appeals"][b]) for b in APPEAL_BLOCKS},
                checks=tuple(
                    Check(str(c["id"]), bool(c["ok"]), str(c["message"]), bool(c.get("checked", True)))
                    for c in obj.get("checks", ())
                ),
                missing=tuple(missing),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"年度报告数据格式不正确（缺少或错误的项：{exc}）。") from None

    def with_checks(self, checks: Iterable[Check]) -> ReportData:
        """The same figures with ``checks`` replaced."""
        return replace(self, checks=tuple(checks))

    @property
    def failed_hard_checks(self) -> tuple[Check, ...]:
        """The failing identities among I1–I5."""
        return tuple(c for c in self.checks if c.hard and not c.ok)


# -- statistics ------------------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[date, date]:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"报告年度应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实际为“{year}”。")
    return date(year, 1, 1), date(year, 12, 31)


def _zero_row() -> dict[str, int]:
    return {c: 0 for c in COLUMNS}


def _case_count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)`` (0, not NULL, over an empty group)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _tag(part: str) -> sa.ColumnElement[Any]:
    """A constant naming the part of a folded statement a row belongs to (SQL text, not a parameter)."""
    return sa.literal_column(f"'{part}'", sa.String).label("part")


_JAN1: Final = sa.bindparam("jan1", type_=sa.Date)
_DEC31: Final = sa.bindparam("dec31", type_=sa.Date)
_OFFICE: Final = sa.bindparam("office_id", type_=sa.Integer)
"""Every part of the report's statements reads one office's rows (the session's, passed as a parameter)."""
_NONE: Final = sa.null()
_ZERO: Final = sa.literal_column("0", sa.Integer)


@lru_cache(maxsize=4)
def _register_statement(dialect: str) -> sa.CompoundSelect[Any]:
    """Table 三's three ``GROUP BY`` statements as one ``UNION ALL`` (one round trip), for ``dialect``.

    Each part reads one range of a covering index, as it did as a statement of its own; built once per
    dialect (the partial index's predicate is written per dialect) with the year's bounds as parameters.
    Rows: ``(part, outcome_row, applicant_type, count, extra)``:

    * ``concluded`` — concluded in the year, per outcome row: the outcome rows, and in ``extra`` the part of
      row 2 concluded in the year (received before 1 January);
    * ``received`` — received in the year: row 1, and in ``extra`` the part of row 4 received in the year;
    * ``through`` — received before the year and open through all of it: in rows 2 and 4.

    Row 2 (open on 1 January) and row 4 (open on 31 December) are assembled from disjoint parts so that no
    part has to read the years before or after the report year:
    row 2 = received before 1 January and concluded in the year (``concluded``)
          + received before 1 January and not concluded by 31 December (``through``);
    row 4 = received in the year and not concluded by 31 December (``received``)
          + received before 1 January and not concluded by 31 December (``through``).
    """
    not_concluded_by_dec31 = sa.or_(APP.c.concluded_on.is_(None), APP.c.concluded_on > _DEC31)
    # SQLite uses a partial index only when the query repeats its WHERE term; the term is implied by the
    # rows it is used for (received before 1 January, open after 31 December), so adding it never changes
    # a count. On another database it is left out.
    where = LONG_RUNNING_WHERE.get(dialect)
    long_running = sa.true() if where is None else sa.text(f"({where})")
    concluded = (
        sa.select(
            _tag("concluded"),
            APP.c.outcome_row,
            APP.c.applicant_type,
            sa.func.count(),
            _case_count(APP.c.received_on < _JAN1),
        )
        .where(APP.c.office_id == _OFFICE, APP.c.concluded_on >= _JAN1, APP.c.concluded_on <= _DEC31)
        .group_by(APP.c.outcome_row, APP.c.applicant_type)
    )
    received = (
        sa.select(
            _tag("received"),
            _NONE,
            APP.c.applicant_type,
            sa.func.count(),
            _case_count(not_concluded_by_dec31),
        )
        .where(APP.c.office_id == _OFFICE, APP.c.received_on >= _JAN1, APP.c.received_on <= _DEC31)
        .group_by(APP.c.applicant_type)
    )
    through_year = (
        sa.select(_tag("through"), _NONE, APP.c.applicant_type, sa.func.count(), _ZERO)
        .where(APP.c.office_id == _OFFICE, long_running, APP.c.received_on < _JAN1, not_concluded_by_dec31)
        .group_by(APP.c.applicant_type)
    )
    return sa.union_all(concluded, received, through_year)


@lru_cache(maxsize=1)
def _others_statement() -> sa.CompoundSelect[Any]:
    """Everything else the report reads, as one ``UNION ALL`` (one round trip); the year as parameters.

    Rows: ``(part, kind, route, n1, n2, n3, n4, n5, value, data)``:

    * ``documents`` (always one row) — normative documents of the catalogue: issued, repealed, in force;
    * ``figure`` (one per figure entered for the year) — ``kind`` is its key, ``value`` its value;
    * ``appeal`` (one per kind and route) — upheld, corrected, other, pending, concluded without a result;
    * ``previous`` (none or one) — ``data``: the JSON of last year's report as last made final (also after a
      reopening), as :func:`previous_report_data` reads it.
    """
    issued_on = sa.func.coalesce(ITEM.c.valid_from, ITEM.c.generated_on)
    documents = sa.select(
        _tag("documents"),
        _NONE,
        _NONE,
        _case_count(sa.and_(issued_on >= _JAN1, issued_on <= _DEC31)),
        _case_count(sa.and_(ITEM.c.repealed_on >= _JAN1, ITEM.c.repealed_on <= _DEC31)),
        _case_count(
            sa.and_(issued_on <= _DEC31, sa.or_(ITEM.c.repealed_on.is_(None), ITEM.c.repealed_on > _DEC31))
        ),
        _ZERO,
        _ZERO,
        # The first part's types decide how every row's columns are read: the figures' value as a Decimal.
        sa.type_coerce(_NONE, FIGURE.c.value.type),
        sa.type_coerce(_NONE, sa.Text),
    ).where(ITEM.c.office_id == _OFFICE, ITEM.c.doc_type == "normative_document")
    figures = sa.select(
        _tag("figure"), FIGURE.c.key, _NONE, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, FIGURE.c.value, _NONE
    ).where(FIGURE.c.office_id == _OFFICE, FIGURE.c.year == sa.bindparam("year", type_=sa.Integer))
    concluded_in_year = sa.and_(APPEAL.c.concluded_on >= _JAN1, APPEAL.c.concluded_on <= _DEC31)
    pending = sa.and_(
        APPEAL.c.filed_on <= _DEC31, sa.or_(APPEAL.c.concluded_on.is_(None), APPEAL.c.concluded_on > _DEC31)
    )
    appeals = (
        sa.select(
            _tag("appeal"),
            APPEAL.c.kind,
            APPEAL.c.route,
            _case_count(sa.and_(concluded_in_year, APPEAL.c.result == "upheld")),
            _case_count(sa.and_(concluded_in_year, APPEAL.c.result == "corrected")),
            _case_count(sa.and_(concluded_in_year, APPEAL.c.result == "other")),
            _case_count(pending),
            _case_count(sa.and_(concluded_in_year, APPEAL.c.result.not_in(("upheld", "corrected", "other")))),
            _NONE,
            _NONE,
        )
        .where(APPEAL.c.office_id == _OFFICE)
        .group_by(APPEAL.c.kind, APPEAL.c.route)
    )
    last_final = (
        sa.select(REPORT.c.data)
        .where(
            REPORT.c.office_id == _OFFICE,
            REPORT.c.year == sa.bindparam("previous_year", type_=sa.Integer),
            REPORT.c.finalized_at.is_not(None),
        )
        .order_by(REPORT.c.version.desc())
        .limit(1)
        .subquery()
    )
    previous = sa.select(
        _tag("previous"), _NONE, _NONE, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, _NONE, last_final.c.data
    )
    return sa.union_all(documents, figures, appeals, previous)


def _requests_table(rows: Iterable[Sequence[Any]], missing: list[str]) -> dict[str, dict[str, int]]:
    """Table 三 from the rows of :func:`_register_statement`."""
    table = {r: _zero_row() for r in ROW_IDS}
    unknown: dict[str, int] = {}

    def add(row: str, applicant_type: str, n: int) -> None:
        if not n:
            return
        if applicant_type not in APPLICANT_TYPES:
            unknown[applicant_type] = unknown.get(applicant_type, 0) + n
            return
        table[row][applicant_type] += n

    for part, outcome_row, applicant_type, n, extra in rows:
        if part == "concluded":
            add(outcome_row if outcome_row is not None else WITHDRAWN_ROW, applicant_type, int(n))
            add("2", applicant_type, int(extra))
        elif part == "received":
            add("1", applicant_type, int(n))
            add("4", applicant_type, int(extra))
        else:  # through
            add("2", applicant_type, int(n))
            add("4", applicant_type, int(n))

    for row in OUTCOME_ROWS:
        for c in APPLICANT_TYPES:
            table["3.7"][c] += table[row][c]
    for row in ROW_IDS:
        table[row]["total"] = sum(table[row][c] for c in APPLICANT_TYPES)
    for applicant_type, n in sorted(unknown.items()):
        missing.append(
            f"有 {n} 件申请的申请人类型为“{applicant_type}”，不属于表三的任何一列，未计入；"
            f"请改为{'、'.join(APPLICANT_TYPES.values())}之一。"
        )
    return table


def _proactive_table(
    documents: Sequence[Any], figures: Mapping[str, Decimal], year: int, missing: list[str]
) -> dict[str, Any]:
    """Table 二: normative documents from the catalogue, the rest from ``yearly_figure``."""
    issued, repealed, in_force = documents
    proactive: dict[str, Any] = {
        # A sub-district office has no power to make rules (Legislation Law): always 0.
        "rules": {"issued": 0, "repealed": 0, "in_force": 0},
        "normative_documents": {"issued": int(issued), "repealed": int(repealed), "in_force": int(in_force)},
    }
    for key, json_key in _FIGURE_JSON.items():
        value = figures.get(key)
        proactive[json_key] = {"decisions": None if value is None else int(value)}
    fee = figures.get("fees_10k_yuan")
    proactive["fees_10k_yuan"] = None if fee is None else float(fee)
    for key in FIGURE_KEYS:
        if key not in figures:
            missing.append(
                f"{year} 年度“{_FIGURE_WHAT[key]}”尚未录入（来自其他系统的数字，用文件或命令行录入）。"
            )
    return proactive


def _appeals_table(rows: Iterable[Sequence[Any]], year: int, missing: list[str]) -> dict[str, dict[str, int]]:
    """Table 四 from the appeal rows of :func:`_others_statement` (one per kind and route)."""
    table = {b: {c: 0 for c in APPEAL_COLUMNS} for b in APPEAL_BLOCKS}
    for kind, route, upheld, corrected, other, still_pending, no_result in rows:
        counts = {
            "upheld": int(upheld),
            "corrected": int(corrected),
            "other": int(other),
            "pending": int(still_pending),
        }
        if kind == "reconsideration":
            block: str | None = "reconsideration"
        elif kind == "litigation" and route == "direct":
            block = "litigation_direct"
        elif kind == "litigation" and route == "after_reconsideration":
            block = "litigation_after_reconsideration"
        else:
            block = None
        n = sum(counts.values())
        if block is None:
            if n:
                what = (
                    "行政诉讼案件未注明是否经过复议（route 应为 direct 或 after_reconsideration）"
                    if kind == "litigation"
                    else (f"案件类型“{kind}”无效（应为 reconsideration 或 litigation）")
                )
                missing.append(f"有 {n} 件{what}，无法计入表四。")
            continue
        for c, v in counts.items():
            table[block][c] += v
        if no_result:
            missing.append(
                f"有 {int(no_result)} 件{APPEAL_BLOCKS[block]}案件在 {year} 年内审结但未填写结果"
                "（应为 upheld 结果维持、corrected 结果纠正或 other 其他结果），无法计入表四。"
            )
    for b in APPEAL_BLOCKS:
        table[b]["total"] = sum(table[b][c] for c in ("upheld", "corrected", "other", "pending"))
    return table


def compute_statistics(session: Session, *, year: int, office_name: str) -> ReportData:
    """Tables 二, 三 and 四 of ``year`` from the register, with the identities checked.

    Set-based, in two statements (each a ``UNION ALL`` of ``GROUP BY`` parts, see :func:`_register_statement`
    and :func:`_others_statement`), no application row loaded into Python. The checks are run against last
    year's final report (I6, I7) and without a narrative (I8 is checked again when the report is stored with
    its narrative, :func:`store_report`).
    """
    jan1, dec31 = _year_bounds(year)
    bounds = {"jan1": jan1, "dec31": dec31, "office_id": office_of(session)}
    register = session.execute(_register_statement(session.get_bind().dialect.name), bounds).all()
    others = session.execute(_others_statement(), {**bounds, "year": year, "previous_year": year - 1}).all()
    documents: Sequence[Any] | None = None
    figures: dict[str, Decimal] = {}
    appeal_rows: list[Sequence[Any]] = []
    previous: dict[str, Any] | None = None
    for row in others:
        part = row[0]
        if part == "documents":
            documents = row[3:6]
        elif part == "figure":
            figures[row[1]] = row[8]
        elif part == "appeal":
            appeal_rows.append(row[1:8])
        else:  # previous
            previous = cast(dict[str, Any], json.loads(row[9]))
    assert documents is not None  # an aggregate without GROUP BY: always one row
    missing: list[str] = []
    data = ReportData(
        year=year,
        office=office_name,
        proactive=_proactive_table(documents, figures, year, missing),
        requests=_requests_table(register, missing),
        appeals=_appeals_table(appeal_rows, year, missing),
        missing=tuple(missing),
    )
    return data.with_checks(run_checks(data, previous=previous, narrative=None))


# -- checks --------------------------------------------------------------------------------------------


class _Bad(Exception):
    """A figure that is not a number where one is required (only in corrupted or hand-made JSON)."""


@dataclass(frozen=True)
class Stated:
    """A cell of a report read from a file that holds no number: its text as printed (``""`` for a blank cell).

    A published report's blank or ``/`` cell is read as what it says — not a number — never as 0: identity I5
    names it (未填写 for a blank) and the sums of I1–I4 that need it are reported as not checkable.
    """

    text: str


@dataclass(frozen=True)
class Violation:
    """One failure of an identity, for people and for ``--json``: where it is and what was expected and found.

    ``table`` (表二, 表三, 表四), ``row`` (the row label as printed in the official layout, or the block of 表四),
    ``column`` (the column label), ``expected`` and ``found`` (numbers, or words such as 非负整数 / 未填写);
    ``text`` is the sentence that the identity's message lists.
    """

    identity: str
    table: str
    row: str
    column: str
    expected: str
    found: str
    text: str

    def to_json(self) -> dict[str, str]:
        """``{"identity", "table", "row", "column", "expected", "found", "message"}``."""
        return {
            "identity": self.identity,
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "expected": self.expected,
            "found": self.found,
            "message": self.text,
        }


def _get(doc: Mapping[str, Any], *path: str) -> Any:
    obj: Any = doc
    for key in path:
        # ``type(obj) is dict`` first: the usual case, without the slower abstract-class check.
        if (type(obj) is not dict and not isinstance(obj, Mapping)) or key not in obj:
            return _ABSENT
        obj = obj[key]
    return obj


_ABSENT: Final = object()


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(doc: Mapping[str, Any], *path: str) -> int:
    value = _get(doc, *path)
    if not _is_count(value):
        raise _Bad(f"{'.'.join(path)} 应为整数，实际为 {_show(value)}")
    return cast(int, value)


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "（缺少）"
    if value is None:
        return "空值"
    if isinstance(value, Stated):
        return "未填写" if not value.text.strip() else f"“{value.text}”"
    return f"“{value!r}”" if isinstance(value, str) else str(value)


def _c(col: str) -> str:
    return f"“{_COLUMN_NAME[col]}”列"


_PRINTED_ROW: Final[dict[str, str]] = {r.row_id: r.label for r in layout.TABLE3_ROWS}
"""Row id of table 三 -> its label as printed in the official layout."""
_PRINTED_COLUMN: Final[dict[str, str]] = dict(layout.APPLICANT_COLUMNS)
_I1_ROW: Final = f"{_PRINTED_ROW['1']} + {_PRINTED_ROW['2']}"


_SHOWN_PROBLEMS: Final = 10
"""How many violations a check's message lists (all stay in ``Check.violations``)."""


def _check(identity: str, what: str, body: Callable[[], Sequence[Violation | str]], ok_text: str) -> Check:
    """Run one identity: ``body`` returns the violations (empty when it holds)."""
    warning = identity in WARNING_CHECKS
    try:
        found = body()
    except _Bad as exc:
        found = [f"无法核对：{exc}"]
    if not found:
        return Check(identity, True, f"{identity} 成立：{ok_text}")
    problems = [v.text if isinstance(v, Violation) else v for v in found]
    if len(problems) > _SHOWN_PROBLEMS:
        problems = [*problems[:_SHOWN_PROBLEMS], f"等共 {len(problems)} 处"]
    violations = tuple(v for v in found if isinstance(v, Violation))
    level = "警告，需在报告中说明" if warning else "错误，报告不能定稿"
    return Check(
        identity,
        False,
        f"{identity} 不成立（{level}）：{what}。" + "；".join(problems) + "。",
        violations=violations,
    )


def _counts(doc: Mapping[str, Any], paths: Sequence[tuple[str, ...]]) -> tuple[list[int], str | None]:
    """The counts at ``paths``, or the first one that is not a count, named (a sum that cannot be checked)."""
    out: list[int] = []
    for path in paths:
        value = _get(doc, *path)
        if not _is_count(value):
            return out, f"{'.'.join(path)} 应为整数，实际为 {_show(value)}"
        out.append(cast(int, value))
    return out, None


def _uncheckable(identity: str, table: str, row: str, column: str, why: str, where: str) -> Violation:
    """A sum that cannot be checked because a cell it needs holds no number (I5 names that cell)."""
    return Violation(identity, table, row, column, "可核对的数字", "无法核对", f"{where}无法核对：{why}")


def _i1(doc: Mapping[str, Any]) -> list[Violation]:
    out = []
    for c in COLUMNS:
        values, bad = _counts(doc, [("requests", r, c) for r in ("1", "2", "3.7", "4")])
        if bad is not None:
            out.append(_uncheckable("I1", "表三", _I1_ROW, _PRINTED_COLUMN[c], bad, _c(c)))
            continue
        a, b, t, d = values
        if a + b != t + d:
            out.append(
                Violation(
                    "I1",
                    "表三",
                    f"{_PRINTED_ROW['3.7']} + {_PRINTED_ROW['4']}",
                    _PRINTED_COLUMN[c],
                    str(a + b),
                    str(t + d),
                    f"{_c(c)}第一项 {a} + 第二项 {b} = {a + b}，而第三项（七）总计 {t} + 第四项 {d} = {t + d}",
                )
            )
    return out


def _i2(doc: Mapping[str, Any]) -> list[Violation]:
    out = []
    for c in COLUMNS:
        values, bad = _counts(doc, [("requests", r, c) for r in ("3.7", *OUTCOME_ROWS)])
        if bad is not None:
            out.append(_uncheckable("I2", "表三", _PRINTED_ROW["3.7"], _PRINTED_COLUMN[c], bad, _c(c)))
            continue
        total, parts = values[0], sum(values[1:])
        if total != parts:
            out.append(
                Violation(
                    "I2",
                    "表三",
                    _PRINTED_ROW["3.7"],
                    _PRINTED_COLUMN[c],
                    str(parts),
                    str(total),
                    f"{_c(c)}第三项（七）总计为 {total}，而（一）至（六）各行之和为 {parts}",
                )
            )
    return out


def _i3(doc: Mapping[str, Any]) -> list[Violation]:
    out = []
    for r in ROW_IDS:
        values, bad = _counts(doc, [("requests", r, c) for c in ("total", *APPLICANT_TYPES)])
        if bad is not None:
            out.append(_uncheckable("I3", "表三", _PRINTED_ROW[r], "总计", bad, _ROW_NAME[r]))
            continue
        total, parts = values[0], values[1:]
        if total != sum(parts):
            shown = " + ".join(str(p) for p in parts)
            out.append(
                Violation(
                    "I3",
                    "表三",
                    _PRINTED_ROW[r],
                    "总计",
                    str(sum(parts)),
                    str(total),
                    f"{_ROW_NAME[r]}“总计”列为 {total}，而六类申请人之和 {shown} = {sum(parts)}",
                )
            )
    return out


def _i4(doc: Mapping[str, Any]) -> list[Violation]:
    out = []
    for b, name in APPEAL_BLOCKS.items():
        keys = ("upheld", "corrected", "other", "pending", "total")
        values, bad = _counts(doc, [("appeals", b, k) for k in keys])
        if bad is not None:
            out.append(_uncheckable("I4", "表四", name, "总计", bad, name))
            continue
        u, co, o, p, total = values
        if total != u + co + o + p:
            out.append(
                Violation(
                    "I4",
                    "表四",
                    name,
                    "总计",
                    str(u + co + o + p),
                    str(total),
                    f"{name}“总计”为 {total}，而结果维持 {u} + 结果纠正 {co} + 其他结果 {o} + 尚未审结 {p} = {u + co + o + p}",
                )
            )
    return out


def _is_amount(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite() and value >= 0
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )


def _i5(doc: Mapping[str, Any]) -> list[Violation]:
    bad: list[Violation] = []

    def count(
        value: Any, table: str, row: str, column: str, where: str, *, may_be_missing: bool = False
    ) -> None:
        if value is None and may_be_missing:
            return  # a yearly figure not entered: listed as missing, not an arithmetic error
        if not _is_count(value) or value < 0:
            found = _show(value)
            bad.append(
                Violation("I5", table, row, column, "非负整数", found, f"{where}应为非负整数，实际为 {found}")
            )

    for r in ROW_IDS:
        for c in COLUMNS:
            count(
                _get(doc, "requests", r, c),
                "表三",
                _PRINTED_ROW[r],
                _PRINTED_COLUMN[c],
                f"表三{_ROW_NAME[r]}{_c(c)}",
            )
    for b, name in APPEAL_BLOCKS.items():
        for k, label in APPEAL_COLUMNS.items():
            count(_get(doc, "appeals", b, k), "表四", name, label, f"表四{name}“{label}”")
    sub_columns = (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数"))
    for kind, name in (("rules", "规章"), ("normative_documents", "行政规范性文件")):
        for k, label in sub_columns:
            count(_get(doc, "proactive", kind, k), "表二", name, label, f"表二“{name}”“{label}”")
    for key, json_key in _FIGURE_JSON.items():
        count(
            _get(doc, "proactive", json_key, "decisions"),
            "表二",
            FIGURE_KEYS[key],
            "本年处理决定数量",
            f"表二“{FIGURE_KEYS[key]}”处理决定数量",
            may_be_missing=True,
        )
    fee = _get(doc, "proactive", "fees_10k_yuan")
    if fee is not None and not _is_amount(fee):
        found = _show(fee)
        bad.append(
            Violation(
                "I5",
                "表二",
                "行政事业性收费",
                "本年收费金额（单位：万元）",
                "非负数",
                found,
                f"表二“行政事业性收费”金额应为非负数（万元），实际为 {found}",
            )
        )
    for k, label in sub_columns:
        value = _get(doc, "proactive", "rules", k)
        if _is_count(value) and value != 0:
            bad.append(
                Violation(
                    "I5",
                    "表二",
                    "规章",
                    label,
                    "0",
                    str(value),
                    f"表二“规章”“{label}”为 {value}，街道办事处无权制定规章，应为 0",
                )
            )
    return bad


def _i6(doc: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    out = []
    for c in COLUMNS:
        now, before = _int(doc, "requests", "2", c), _int(previous, "requests", "4", c)
        if now != before:
            out.append(f"{_c(c)}本年第二项“上年结转”为 {now}，上年报告第四项“结转下年度继续办理”为 {before}")
    return out


def _i7(doc: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    out = []
    for kind, name in (("rules", "规章"), ("normative_documents", "行政规范性文件")):
        before = _int(previous, "proactive", kind, "in_force")
        issued, repealed = _int(doc, "proactive", kind, "issued"), _int(doc, "proactive", kind, "repealed")
        now = _int(doc, "proactive", kind, "in_force")
        if now != before + issued - repealed:
            out.append(
                f"“{name}”现行有效件数为 {now}，而上年现行有效 {before} + 本年制发 {issued} − 本年废止 {repealed}"
                f" = {before + issued - repealed}（有效期届满、修订等可能造成差异）"
            )
    return out


# -- I8: numbers quoted in the narrative ------------------------------------------------------------------


def _total(*rows: str) -> Callable[[Mapping[str, Any]], Any]:
    def value(doc: Mapping[str, Any]) -> Any:
        return sum(_int(doc, "requests", r, "total") for r in rows)

    return value


def _outcome_group(prefix: str) -> Callable[[Mapping[str, Any]], Any]:
    return _total(*(r for r in OUTCOME_ROWS if r.startswith(prefix)))


def _path(*path: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda doc: _get(doc, *path)


NARRATIVE_FIGURES: Final[tuple[tuple[str, str, Callable[[Mapping[str, Any]], Any]], ...]] = (
    ("新收", "表三第一项“本年新收”总计", _total("1")),
    ("上年结转", "表三第二项“上年结转”总计", _total("2")),
    ("结转下年度", "表三第四项“结转下年度继续办理”总计", _total("4")),
    ("办结", "表三第三项（七）“总计”", _total("3.7")),
    ("予以公开", "表三（一）“予以公开”总计", _total("3.1")),
    ("部分公开", "表三（二）“部分公开”总计", _total("3.2")),
    ("不予公开", "表三（三）“不予公开”各行总计之和", _outcome_group("3.3.")),
    ("无法提供", "表三（四）“无法提供”各行总计之和", _outcome_group("3.4.")),
    ("不予处理", "表三（五）“不予处理”各行总计之和", _outcome_group("3.5.")),
    ("其他处理", "表三（六）“其他处理”各行总计之和", _outcome_group("3.6.")),
    ("制发", "表二“行政规范性文件”本年制发件数", _path("proactive", "normative_documents", "issued")),
    ("废止", "表二“行政规范性文件”本年废止件数", _path("proactive", "normative_documents", "repealed")),
    ("现行有效", "表二“行政规范性文件”现行有效件数", _path("proactive", "normative_documents", "in_force")),
    ("行政许可", "表二“行政许可”本年处理决定数量", _path("proactive", "licensing", "decisions")),
    ("行政处罚", "表二“行政处罚”本年处理决定数量", _path("proactive", "penalties", "decisions")),
    ("行政强制", "表二“行政强制”本年处理决定数量", _path("proactive", "coercion", "decisions")),
    ("行政事业性收费", "表二“行政事业性收费”本年收费金额", _path("proactive", "fees_10k_yuan")),
    (
        "行政复议",
        "表四“行政复议”总计",
        lambda doc: _int(doc, "appeals", "reconsideration", "total"),
    ),
    (
        "行政诉讼",
        "表四“行政诉讼”两栏总计之和",
        lambda doc: (
            _int(doc, "appeals", "litigation_direct", "total")
            + _int(doc, "appeals", "litigation_after_reconsideration", "total")
        ),
    ),
)
"""The quoting convention that identity I8 checks: (phrase, the table value it names, how to read it).

A table figure is *quoted* in the narrative when an Arabic number followed by 件 (or 万元) is the first
number after one of these phrases within the same clause (no 。，；、!? in between)::

    本年新收政府信息公开申请 128 件，上年结转 5 件；予以公开 60 件、部分公开 12 件。
    本年制发行政规范性文件 2 件，废止 1 件，现行有效 9 件。

Every such number must equal the table value the phrase names. Numbers that no phrase announces, that
carry another unit (%、天、个工作日), or that are written in Chinese numerals are not checked; so write
each figure right after its phrase, in Arabic numerals (full-width digits are accepted). The narrative
templates can take the same values from the JSON so that defaults always agree.
"""

_CLAUSE_STOP: Final = "。；;，,、！？!?\n"
_QUOTED: Final = re.compile(
    "("
    + "|".join(re.escape(p) for p, _, _ in sorted(NARRATIVE_FIGURES, key=lambda f: -len(f[0])))
    + ")"
    + f"[^{re.escape(_CLAUSE_STOP)}0-9]*?"
    + r"(\d+(?:\.\d+)?)\s*(件|万元)"
)
_FIGURE_BY_PHRASE: Final = {p: (what, read) for p, what, read in NARRATIVE_FIGURES}


def narrative_text(narrative: str | Mapping[str, str] | None) -> str:
    """The narrative as one text (sections of a mapping joined in their order)."""
    if narrative is None:
        return ""
    if isinstance(narrative, str):
        return narrative
    return "\n".join(str(v) for v in narrative.values())


def quoted_figures(narrative: str | Mapping[str, str] | None) -> list[tuple[str, str, Decimal]]:
    """The figures quoted in the narrative by the :data:`NARRATIVE_FIGURES` convention.

    Returns ``(phrase, the quoting text, number)`` in order of appearance.
    """
    text = unicodedata.normalize("NFKC", narrative_text(narrative))
    return [(m.group(1), m.group(0), Decimal(m.group(2))) for m in _QUOTED.finditer(text)]


def _i8(doc: Mapping[str, Any], narrative: str | Mapping[str, str]) -> list[str]:
    out = []
    for phrase, quote, number in quoted_figures(narrative):
        what, read = _FIGURE_BY_PHRASE[phrase]
        value = read(doc)
        if value is None or value is _ABSENT:
            out.append(f"正文“{quote}”引用了{what}，但该数字尚未录入")
            continue
        if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
            raise _Bad(f"{what}应为数字，实际为 {_show(value)}")
        if Decimal(str(value)) != number:
            out.append(f"正文“{quote}”中的 {number} 与{what} {value} 不一致")
    return out


def run_checks(
    data: ReportData | Mapping[str, Any],
    *,
    previous: Mapping[str, Any] | None,
    narrative: str | Mapping[str, str] | None,
) -> list[Check]:
    """Check identities I1–I8 on a report (a :class:`ReportData` or its JSON form).

    ``previous`` is last year's stored final report JSON (I6, I7; not compared when ``None``);
    ``narrative`` the text of sections 一, 五, 六 (a string, or a mapping of section -> text) for I8.
    I1–I5 are hard (``Check.hard``); I6–I8 are warnings. Never raises on a malformed JSON: a figure that
    is missing or not a number makes the identity that needs it fail, naming the figure.
    """
    doc: Mapping[str, Any] = data.to_json() if isinstance(data, ReportData) else data
    checks = [
        _check(
            "I1",
            "表三各列应满足 第一项 + 第二项 = 第三项（七）总计 + 第四项",
            lambda: _i1(doc),
            "表三各列第一项加第二项之和等于第三项加第四项之和。",
        ),
        _check(
            "I2",
            "表三各列第三项（七）总计应等于（一）至（六）各行之和",
            lambda: _i2(doc),
            "表三各列第三项（七）总计等于（一）至（六）各行之和。",
        ),
        _check(
            "I3", "表三每行“总计”应等于六类申请人之和", lambda: _i3(doc), "表三每行“总计”等于六类申请人之和。"
        ),
        _check(
            "I4",
            "表四每栏“总计”应等于结果维持、结果纠正、其他结果、尚未审结之和",
            lambda: _i4(doc),
            "表四每栏“总计”等于结果维持、结果纠正、其他结果与尚未审结之和。",
        ),
        _check(
            "I5",
            "各项数量应为非负整数，收费金额应为非负数，“规章”一行应为 0",
            lambda: _i5(doc),
            "各项数量均为非负整数，收费金额非负，“规章”一行为 0。",
        ),
    ]
    year = _get(doc, "year")
    last_year = f"{year - 1} 年度" if _is_count(year) else "上一年度"
    if previous is None:
        for identity, what in (("I6", "本年“上年结转”与上年“结转下年度”"), ("I7", "现行有效件数的跨年衔接")):
            checks.append(
                Check(
                    identity, True, f"{identity} 未核对：没有{last_year}的定稿报告，无法比对{what}。", False
                )
            )
    else:
        checks.append(
            _check(
                "I6",
                "本年第二项“上年结转”应逐列等于上年报告第四项“结转下年度继续办理”",
                lambda: _i6(doc, previous),
                "本年“上年结转”与上年报告“结转下年度继续办理”逐列相等。",
            )
        )
        checks.append(
            _check(
                "I7",
                "现行有效件数应等于上年现行有效件数加本年制发件数减本年废止件数",
                lambda: _i7(doc, previous),
                "现行有效件数 = 上年现行有效 + 本年制发 − 本年废止。",
            )
        )
    if not narrative_text(narrative).strip():
        checks.append(Check("I8", True, "I8 未核对：尚无正文。", False))
    else:
        n = len(quoted_figures(narrative))
        checks.append(
            _check(
                "I8",
                "正文中引用的数字应与表中数字一致",
                lambda: _i8(doc, cast(Any, narrative)),
                f"正文引用的 {n} 个数字均与表中数字一致。",
            )
        )
    return checks


# -- yearly figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A stored yearly figure (a plain value, not a live row)."""

    year: int
    key: str
    value: Decimal
    source: str
    entered_by: str
    entered_at: datetime

    @property
    def label(self) -> str:
        """The row label of table 二 (行政许可 …)."""
        return FIGURE_KEYS[self.key]

    @property
    def shown(self) -> str:
        """The value as staff read it: a count as an integer (``12``), the fees in 万元 with their meaningful
        decimals (``0.35 万元``), never the stored scale (``12.0000``)."""
        if self.key != "fees_10k_yuan":
            return str(int(self.value))
        text = format(self.value.normalize(), "f")
        return f"{text} 万元"


def figure_key(text: str) -> str | None:
    """Resolve a key code (``licensing_decisions``) or a Chinese label (``行政许可``) to the key."""
    return _FIGURE_BY_TEXT.get(text.strip())


def _figure_problem(key: str, value: Decimal) -> str | None:
    what = _FIGURE_WHAT[key]
    if not value.is_finite():
        return f"“{what}”应为数字，实际为“{value}”"
    if value < 0:
        return f"“{what}”不能为负数，实际为 {value}"
    if value >= _MAX_FIGURE:
        return f"“{what}”过大（{value}），应小于 {_MAX_FIGURE:,}"
    if key in COUNT_FIGURES and value != value.to_integral_value():
        return f"“{what}”是决定的件数，应为整数，实际为 {value}"
    if value != value.quantize(_FOUR_PLACES):
        return f"“{what}”最多保留四位小数（万元），实际为 {value}"
    return None


def _year_problem(year: object) -> str | None:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        return f"年度应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实际为“{year}”"
    return None


def _to_figure(row: YearlyFigure) -> Figure:
    return Figure(row.year, row.key, row.value, row.source, row.entered_by, row.entered_at)


def _store_figure(session: Session, *, year: int, key: str, value: Decimal, source: str, by: str) -> Figure:
    row = session.get(YearlyFigure, (office_of(session), year, key))
    if row is None:
        row = YearlyFigure(year=year, key=key, value=value, source=source, entered_by=by)
    else:
        row.value, row.source, row.entered_by, row.entered_at = value, source, by, utcnow()
    session.add(row)
    session.flush()
    return _to_figure(row)


def _text_problem(name: str, text: str, limit: int) -> str | None:
    if not text.strip():
        return f"“{name}”不能为空"
    if len(text.strip()) > limit:
        return f"“{name}”最多 {limit} 个字，实际为 {len(text.strip())} 个字"
    return None


def set_yearly_figure(
    session: Session, *, year: int, key: str, value: Decimal, source: str, by: str
) -> Figure:
    """Enter or replace one yearly figure of table 二 (``key`` as code or Chinese label).

    Validates: a known key; decision counts are non-negative whole numbers; the fee is a non-negative
    amount in 万元 with at most four decimals; a source is given. Refuses a year whose report is final
    (:class:`YearLocked`). Raises :class:`InputError` with the reason in Chinese.
    """
    resolved = figure_key(key)
    if resolved is None:
        raise InputError(f"项目“{key}”无效，应为以下之一：{_figure_choices()}。")
    if not isinstance(value, Decimal):
        raise InputError(f"“{_FIGURE_WHAT[resolved]}”应为十进制数值，实际为“{value!r}”。")
    for problem in (
        _year_problem(year),
        _figure_problem(resolved, value),
        _text_problem("来源", source, 200),
        _text_problem("录入人", by, 64),
    ):
        if problem:
            raise InputError(problem + "。")
    ensure_unlocked(session, since=date(year, 1, 1), until=date(year, 12, 31))
    return _store_figure(session, year=year, key=resolved, value=value, source=source.strip(), by=by.strip())


def _figure_choices() -> str:
    return "、".join(f"{label}（{k}）" for k, label in FIGURE_KEYS.items())


def yearly_figures(session: Session, year: int) -> dict[str, Figure]:
    """The yearly figures entered for ``year``: key -> :class:`Figure` (keys not entered are absent)."""
    rows = session.execute(sa.select(YearlyFigure).where(FIGURE.c.year == year)).scalars().all()
    order = {key: n for n, key in enumerate(FIGURE_KEYS)}
    return {r.key: _to_figure(r) for r in sorted(rows, key=lambda r: order.get(r.key, len(order)))}


_FIGURE_HEADERS: Final[dict[str, str]] = {
    "年度": "year",
    "年份": "year",
    "year": "year",
    "项目": "key",
    "key": "key",
    "数值": "value",
    "value": "value",
    "来源": "source",
    "source": "source",
}
_FIGURE_HEADER_ZH: Final = {"year": "年度", "key": "项目", "value": "数值", "source": "来源"}


def _parse_decimal(raw: object) -> Decimal | None:
    if isinstance(raw, Decimal):
        return raw
    text = cell_text(raw).replace(",", "").replace("，", "")
    try:
        return Decimal(unicodedata.normalize("NFKC", text))
    except InvalidOperation:
        return None


def _figure_header(cells: Sequence[object], path: Path) -> list[str | None]:
    """The key of each column of the header row; refuses an unknown, missing or repeated column."""
    keys: list[str | None] = []
    unknown: list[str] = []
    for cell in cells:
        text = clean_header(cell)
        key = _FIGURE_HEADERS.get(text) or _FIGURE_HEADERS.get(text.casefold())
        if text and key is None:
            unknown.append(text)
        keys.append(key)
    absent = [_FIGURE_HEADER_ZH[k] for k in ("year", "key", "value") if k not in keys]
    if unknown or absent or len([k for k in keys if k]) != len({k for k in keys if k}):
        parts = []
        if absent:
            parts.append(f"缺少列：{'、'.join(absent)}")
        if unknown:
            parts.append(f"不认识的列：{'、'.join(unknown)}")
        if not parts:
            parts.append("有重复的列")
        raise InputError(
            f"文件 {path.name} 的表头不正确（{'；'.join(parts)}）。应为：年度（year）、项目（key）、"
            "数值（value），可加来源（source）；如表头是乱码，请另存为 CSV UTF-8 或 XLSX。"
        )
    return keys


def _figure_records(path: Path) -> list[tuple[int, dict[str, object]]]:
    """The file's data rows as ``(row number, {key: value})``."""
    table, _encoding = read_records(path)
    try:
        first = next(table, None)
        if first is None or not any(cell_text(v) for v in first[1]):
            raise InputError(f"文件 {path.name} 的第 1 行应为表头：年度、项目、数值、来源。")
        keys = _figure_header(first[1], path)
        return [
            (n, {k: clean_value(v) for k, v in zip(keys, cells, strict=False) if k}) for n, cells in table
        ]
    finally:
        table.close()


_ParsedFigure = tuple[int, int, str, Decimal, str]
"""``(row number, year, key, value, source)``."""


def _figure_row(
    number: int, record: Mapping[str, object], path: Path, seen: dict[tuple[int, str], int]
) -> tuple[list[str], _ParsedFigure | None]:
    """One data row checked: its problems, or the parsed figure. ``seen`` finds a (year, key) given twice."""
    problems: list[str] = []
    year_text = cell_text(record.get("year"))
    year: int | None = int(year_text) if year_text.isdigit() else None
    if year is None or _year_problem(year) is not None:
        problems.append(f"年度应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实际为“{year_text}”")
        year = None
    key_text = cell_text(record.get("key"))
    key = figure_key(key_text) if key_text else None
    if key is None:
        problems.append(f"项目“{key_text}”无效，应为{_figure_choices()}之一")
    value = _parse_decimal(record.get("value"))
    if value is None:
        problems.append(f"数值“{cell_text(record.get('value'))}”不是数字")
    elif key is not None and (p := _figure_problem(key, value)) is not None:
        problems.append(p)
    source = cell_text(record.get("source")) or f"文件 {path.name}"
    if len(source) > 200:
        problems.append(f"来源最多 200 个字，实际为 {len(source)} 个字")
    if year is not None and key is not None:
        if (year, key) in seen:
            problems.append(f"{year} 年度“{FIGURE_KEYS[key]}”与第 {seen[(year, key)]} 行重复")
        else:
            seen[(year, key)] = number
    if problems or year is None or key is None or value is None:
        return problems, None
    return problems, (number, year, key, value, source)


def import_yearly_figures(session: Session, path: Path, *, by: str) -> list[Figure]:
    """Import yearly figures from a CSV or XLSX file, all or nothing.

    Columns (header in row 1, Chinese or English): 年度/year, 项目/key (行政许可, 行政处罚, 行政强制,
    行政事业性收费 or the key codes), 数值/value, and optionally 来源/source (default: the file name).
    Every row is checked first; if any is bad, :class:`ImportRejected` lists every bad row and nothing
    is written. A figure already entered is replaced. Returns the figures stored.
    """
    path = Path(path)
    if (problem := _text_problem("录入人", by, 64)) is not None:
        raise InputError(problem + "。")
    problems: list[str] = []
    parsed: list[_ParsedFigure] = []
    seen: dict[tuple[int, str], int] = {}
    for number, record in _figure_records(path):
        if all(v is None for v in record.values()):
            continue
        row_problems, figure = _figure_row(number, record, path, seen)
        if row_problems:
            problems.append(f"第 {number} 行：" + "；".join(row_problems) + "。")
        elif figure is not None:
            parsed.append(figure)
    if not problems and not parsed:
        raise InputError(f"文件 {path.name} 只有表头，没有数据行。")
    locked = final_years(session, among={year for _, year, _, _, _ in parsed})
    problems += [
        f"第 {number} 行：{year} 年度报告已定稿，该年度的数字已锁定；如需修改，请先重新开启该年度。"
        for number, year, _key, _value, _source in parsed
        if year in locked
    ]
    if problems:
        raise ImportRejected(
            f"文件 {path.name} 有 {len(problems)} 行有问题，未导入任何数字：\n" + "\n".join(problems),
            problems,
        )
    return [
        _store_figure(session, year=year, key=key, value=value, source=source, by=by.strip())
        for _, year, key, value, source in parsed
    ]


# -- stored reports, finalization and the year lock -----------------------------------------------------


def _latest(session: Session, year: int, *, was_final: bool = False) -> AnnualReport | None:
    stmt = sa.select(AnnualReport).where(REPORT.c.year == year)
    if was_final:
        stmt = stmt.where(REPORT.c.finalized_at.is_not(None))
    return session.execute(stmt.order_by(REPORT.c.version.desc()).limit(1)).scalars().first()


def previous_report_data(session: Session, year: int) -> dict[str, Any] | None:
    """The JSON of ``year``'s report as last made final (also after a reopening), or ``None``."""
    row = _latest(session, year, was_final=True)
    return None if row is None else cast(dict[str, Any], json.loads(row.data))


def stored_report(session: Session, year: int, version: int | None = None) -> tuple[int, str, dict[str, Any]]:
    """``(version, status, JSON)`` of a stored report (the latest version when ``version`` is None)."""
    if version is None:
        row = _latest(session, year)
    else:
        stmt = sa.select(AnnualReport).where(REPORT.c.year == year, REPORT.c.version == version)
        row = session.execute(stmt).scalars().first()
    if row is None:
        which = "任何版本" if version is None else f"第 {version} 版"
        raise NotFound(f"没有 {year} 年度年度报告的{which}。")
    return row.version, row.status, cast(dict[str, Any], json.loads(row.data))


def store_report(
    session: Session, data: ReportData, *, narrative: str | Mapping[str, str] | None, by: str
) -> tuple[int, int]:
    """Store a build of the report as a new draft version; returns ``(year, version)``.

    The checks are run again with the narrative (I8) and last year's final report (I6, I7) and stored
    with the JSON. A year whose report is final is refused (:class:`YearLocked`): reopen it first.
    """
    if (problem := _text_problem("操作人", by, 64)) is not None:
        raise InputError(problem + "。")
    if is_year_final(session, data.year):
        raise YearLocked(
            f"{data.year} 年度报告已定稿，不能再生成新版本；如确需修改，请由管理员先重新开启该年度并写明原因。"
        )
    checks = run_checks(data, previous=previous_report_data(session, data.year - 1), narrative=narrative)
    checked = data.with_checks(checks)
    last = session.execute(
        sa.select(sa.func.max(REPORT.c.version)).where(in_office(session, REPORT), REPORT.c.year == data.year)
    ).scalar()
    version = int(last or 0) + 1
    stored_narrative = (
        narrative
        if narrative is None or isinstance(narrative, str)
        else json.dumps(dict(narrative), ensure_ascii=False)
    )
    session.add(
        AnnualReport(
            year=data.year,
            version=version,
            status="draft",
            data=json.dumps(checked.to_json(), ensure_ascii=False),
            narrative=stored_narrative,
            created_by=by.strip(),
        )
    )
    session.flush()
    return data.year, version


_TABLE_KEYS: Final = ("year", "proactive", "requests", "appeals")


def ensure_year_ended(year: int, *, as_of: date) -> None:
    """Raise :class:`InputError` unless ``as_of`` (today in the office's time zone) is after ``year``."""
    if as_of < date(year + 1, 1, 1):
        raise InputError(
            f"{year} 年度尚未结束（业务日期 {as_of.isoformat()}），年度报告 {year + 1}-01-01 起才能定稿；"
            "定稿会锁定该年度的数据。"
        )


def finalize_report(session: Session, year: int, *, by: str, as_of: date) -> tuple[int, int]:
    """Mark the latest stored version of ``year`` final, locking the year's data; returns ``(year, version)``.

    ``as_of`` is today in the office's time zone. Refused with :class:`InputError` before 1 January of the
    next year (a final report locks the register against the rest of the year's work). Refused with
    :class:`ReportBlocked` (every problem listed, the failing identities named) when a hard identity I1–I5
    fails on the stored JSON, a yearly figure is missing, or the register no longer gives the stored figures
    (it changed after the build: build and store again). I6–I8 do not block.
    """
    ensure_year_ended(year, as_of=as_of)
    if (problem := _text_problem("操作人", by, 64)) is not None:
        raise InputError(problem + "。")
    row = _latest(session, year)
    if row is None:
        raise NotFound(f"没有 {year} 年度的年度报告，请先生成并保存。")
    if row.status == "final":
        raise InputError(f"{year} 年度报告第 {row.version} 版已经定稿。")
    stored = json.loads(row.data)
    hard = [c for c in run_checks(stored, previous=None, narrative=None) if c.hard and not c.ok]
    problems = [c.message for c in hard]
    office = _get(stored, "office")
    fresh = compute_statistics(session, year=year, office_name=office if isinstance(office, str) else "")
    problems.extend(fresh.missing)
    fresh_json = fresh.to_json()
    changed = [k for k in _TABLE_KEYS if fresh_json.get(k) != stored.get(k)]
    if changed and not hard:
        names = {"year": "年度", "proactive": "表二", "requests": "表三", "appeals": "表四"}
        problems.append(
            f"第 {row.version} 版保存后登记簿有变动（{'、'.join(names[k] for k in changed)}与现在的数据不一致），"
            "请重新生成并保存后再定稿"
        )
    if problems:
        failed = [c.id for c in hard]
        head = f"{year} 年度报告第 {row.version} 版不能定稿"
        if failed:
            head += f"（不成立的勾稽关系：{'、'.join(failed)}）"
        raise ReportBlocked(head + "：\n" + "\n".join(problems), problems, failed)
    row.status, row.finalized_at, row.finalized_by = "final", utcnow(), by.strip()
    session.add(row)
    session.flush()
    return year, row.version


def reopen_year(session: Session, year: int, *, by: str, reason: str) -> None:
    """Reopen a finalized year so its data can be corrected; the reason is logged (append-only).

    The final version goes back to ``draft`` (its ``finalized_at``/``finalized_by`` stay, and it remains
    the report that I6/I7 of the next year compare with until a new version is made final).
    """
    for problem in (_text_problem("操作人", by, 64), _text_problem("重新开启的原因", reason, 2000)):
        if problem:
            raise InputError(problem + "。")
    finals = (
        session.execute(sa.select(AnnualReport).where(REPORT.c.year == year, REPORT.c.status == "final"))
        .scalars()
        .all()
    )
    if not finals:
        raise InputError(f"{year} 年度报告尚未定稿，无需重新开启。")
    for row in finals:
        row.status = "draft"
        session.add(row)
    session.add(ReportReopenLog(year=year, by=by.strip(), reason=reason.strip()))
    session.flush()


__all__ = [
    "APPEAL_BLOCKS",
    "APPEAL_COLUMNS",
    "COLUMNS",
    "FIGURE_JSON",
    "FIGURE_KEYS",
    "FORMAT",
    "HARD_CHECKS",
    "NARRATIVE_FIGURES",
    "ROW_IDS",
    "WARNING_CHECKS",
    "Check",
    "Figure",
    "ReportBlocked",
    "ReportData",
    "Stated",
    "Violation",
    "compute_statistics",
    "figure_key",
    "ensure_year_ended",
    "finalize_report",
    "import_yearly_figures",
    "narrative_text",
    "previous_report_data",
    "quoted_figures",
    "reopen_year",
    "run_checks",
    "set_yearly_figure",
    "store_report",
    "stored_report",
    "yearly_figures",
]
