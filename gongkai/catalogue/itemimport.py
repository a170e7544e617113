"""The catalogue import (``gongkai item import FILE``): the items table as the import engine reads it.

A catalogue kept in a spreadsheet comes in as CSV or XLSX (:mod:`gongkai.files.tableimport` reads it,
classifies the header and converts the cells). The import is all-or-nothing like the request-register
import (:mod:`gongkai.register.importer`): every bad row is listed, nothing is written unless the whole
file is good, re-importing the same file changes nothing, and a later file updates the items whose
fields changed (recording an ``item_change`` when the change date moved). A review given in a row
(审核人, 审核日期, 审核结果) is recorded unless the same one is. The rules of an item are
:func:`gongkai.catalogue.items.check_item`, the same that ``gongkai item add`` applies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.catalogue.items import (
    ATTRIBUTES,
    DOC_TYPES,
    FIELD_LABELS,
    FIVE_PUBLICS,
    REVIEW_RESULTS,
    TEXT_LIMITS,
    ItemData,
    check_item,
    find_attribute,
    find_doc_type,
    find_five_publics,
    find_review_result,
    find_validity,
    lock_since,
)
from gongkai.core.officescope import in_office
from gongkai.files.tableimport import (
    Column,
    ErrorList,
    HeaderTexts,
    RowCells,
    TableSpec,
    check_rows,
    insert_batches,
    read_table,
    rows_by_keys,
)
from gongkai.store.models import utcnow
from gongkai.store.tables import ITEM, ITEM_CHANGE, ITEM_REVIEW
from gongkai.store.yearlock import final_years, locked_years_touched


def _item_column(key: str, *others: str, required: bool = False) -> Column:
    return Column(key, FIELD_LABELS[key], others, required=required)


COLUMNS: Final[tuple[Column, ...]] = (
    _item_column("index_no", required=True),
    _item_column("title", "标题", "信息名称", required=True),
    _item_column("summary", "摘要"),
    _item_column("generated_on", "形成日期", "成文日期", required=True),
    _item_column("changed_on"),
    _item_column("doc_number"),
    _item_column("issuing_body"),
    _item_column("category", "信息类别", "主题分类", required=True),
    _item_column("doc_type"),
    _item_column("five_publics"),
    _item_column("attribute"),
    _item_column("attribute_reason", "不公开依据"),
    _item_column("validity"),
    _item_column("valid_from"),
    _item_column("valid_until", "失效日期"),
    _item_column("repealed_on"),
    _item_column("published_on", "发布日期"),
    _item_column("channel"),
    _item_column("url", "链接"),
    Column("owner", FIELD_LABELS["owner_id"]),
    Column("reviewer", "审核人"),
    Column("reviewed_on", "审核日期"),
    Column("review_result", "审核结果"),
)
"""Every column the item import accepts (Chinese header, other Chinese spellings, English alias)."""

# The item import has always worded its header refusals a little differently from the register's.
_HEADER_TEXTS: Final = HeaderTexts(
    empty_file="文件 {name} 的第 1 行应为表头（列名），实际为空。",
    blank_header="文件 {name} 的第 1 行应为表头（列名），实际为空。",
    unnamed_column="文件 {name} 的第 {pos} 列没有列名，但第 {row} 行在该列有内容；请补上列名或删除该列。",
    nothing_known_xlsx="文件 {name} 第 1 行的表头无法识别，没有找到任何必填列（{required}）。",
    nothing_known_gb18030=(
        "文件 {name} 第 1 行的表头无法识别，没有找到任何必填列（{required}）；如果列名显示为乱码，说明编码不对：{hint}。"
    ),
    nothing_known=(
        "文件 {name} 第 1 行的表头无法识别，没有找到任何必填列（{required}）；如果列名显示为乱码，说明编码不对：{hint}。"
    ),
    unknown="有无法识别的列名 {shown}；可用的列名为 {names}（或英文别名，如 {examples}）",
    repeat="“{text}”（即“{zh}”）",
    repeat_separator="、",
)

SPEC: Final = TableSpec(COLUMNS, unique_key="index_no", unique_note="索引号应唯一", texts=_HEADER_TEXTS)
"""The items table as the import engine reads it."""

_DATE_KEYS: Final = (
    "generated_on", "changed_on", "valid_from", "valid_until", "repealed_on", "published_on", "reviewed_on",
)  # fmt: skip
_REVIEW_KEYS: Final = ("reviewer", "reviewed_on", "review_result")
_WHOLE_TABLE: Final = 2000
# Item columns the import compares with a registered item (changed_on is handled apart: it only moves on).
_COMPARED: Final = (
    "title", "summary", "generated_on", "doc_number", "issuing_body", "category", "doc_type", "five_publics",
    "attribute", "attribute_reason", "validity", "valid_from", "valid_until", "repealed_on", "published_on",
    "channel", "url", "owner_id",
)  # fmt: skip


@dataclass(frozen=True)
class ItemImportResult:
    """What an item import did: ``rows == inserted + updated + unchanged``.

    ``changes``: item_change rows written (registered items whose change date moved);
    ``reviews``: item_review rows written; ``encoding``: ``utf-8``, ``utf-8-sig``, ``gb18030`` or ``xlsx``.
    """

    rows: int
    inserted: int
    updated: int
    unchanged: int
    changes: int
    reviews: int
    encoding: str


@dataclass
class _Row:
    number: int
    data: ItemData
    review: tuple[str, date, str] | None
    cols: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    """What a good file does to the catalogue."""

    fresh: list[_Row] = field(default_factory=list)
    updated: list[tuple[_Row, dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # row, old, diff
    unchanged: list[_Row] = field(default_factory=list)
    changes: list[tuple[int, date, str]] = field(default_factory=list)  # item id, change date, what


def read_item_rows(path: Path) -> tuple[list[tuple[int, dict[str, object]]], str]:
    """``(row number, {field: raw value})`` for every non-blank data row, and the file's encoding."""
    return read_table(path, SPEC)


# -- checking --------------------------------------------------------------------------------


def _parse_row(
    number: int,
    record: dict[str, object],
    *,
    categories: Sequence[str],
    staff_ids: set[str],
    as_of: date | None,
) -> tuple[_Row | None, list[str]]:
    """Check one row's cells, then the item's rules and its review; the row or its problems."""
    cells = RowCells(SPEC, record)
    cells.missing_required()
    dates = {k: cells.date(k) for k in _DATE_KEYS}
    codes = _codes(cells)
    reviewer = _reviewer(cells)
    data = None if cells.problems else _item_data(cells, dates, codes)
    if data is None:
        return None, cells.problems
    problems = check_item(data, categories=categories, staff_ids=staff_ids, as_of=as_of)
    review = _review(data, reviewer, dates["reviewed_on"], codes["review_result"], problems)
    if problems:
        return None, problems
    return _Row(number, data, review, data.columns()), []


# Coded column -> how its code is found, and what the column takes.
_CODED: Final[tuple[tuple[str, Callable[[str], str | None], str], ...]] = (
    ("five_publics", find_five_publics, f"{'、'.join(FIVE_PUBLICS)}之一"),
    ("attribute", find_attribute, f"{'、'.join(ATTRIBUTES.values())}之一"),
    ("validity", find_validity, "有效 或 已废止"),
    ("doc_type", find_doc_type, f"{'、'.join(DOC_TYPES.values())}之一"),
    ("review_result", find_review_result, f"{'、'.join(REVIEW_RESULTS.values())}之一"),
)


def _codes(cells: RowCells) -> dict[str, str | None]:
    """The coded columns: five publics, attribute, validity, document type, review result."""
    return {key: cells.code(key, find, expected) for key, find, expected in _CODED}


def _reviewer(cells: RowCells) -> str | None:
    """The reviewer's name; a review is given whole (审核人, 审核日期, 审核结果) or not at all."""
    reviewer = cells.text("reviewer")
    given = [k for k in _REVIEW_KEYS if cells.given(k)]
    if given and len(given) < len(_REVIEW_KEYS):
        missing = [SPEC.by_key[k].zh for k in _REVIEW_KEYS if k not in given]
        cells.problems.append(f"审核记录不完整：填写了审核信息，但“{'”“'.join(missing)}”为空")
    if reviewer is not None and len(reviewer) > TEXT_LIMITS["reviewer"]:
        cells.problems.append(f"“审核人”最长 {TEXT_LIMITS['reviewer']} 个字符")
    return reviewer


def _item_data(
    cells: RowCells, dates: dict[str, date | None], codes: dict[str, str | None]
) -> ItemData | None:
    """The item of a row whose cells are good (None when a required one is missing)."""
    generated = dates["generated_on"]
    index_no, title, category = cells.text("index_no"), cells.text("title"), cells.text("category")
    if generated is None or index_no is None or title is None or category is None:
        return None
    return ItemData(
        index_no=index_no,
        title=title,
        generated_on=generated,
        category=category,
        summary=cells.text("summary") or "",
        changed_on=dates["changed_on"],
        doc_number=cells.text("doc_number"),
        issuing_body=cells.text("issuing_body"),
        doc_type=codes["doc_type"],
        five_publics=codes["five_publics"],
        attribute=codes["attribute"] or "proactive",
        attribute_reason=cells.text("attribute_reason"),
        validity=codes["validity"],
        valid_from=dates["valid_from"],
        valid_until=dates["valid_until"],
        repealed_on=dates["repealed_on"],
        published_on=dates["published_on"],
        channel=cells.text("channel"),
        url=cells.text("url"),
        owner_id=cells.text("owner"),
    )


def _review(
    data: ItemData, reviewer: str | None, on: date | None, result: str | None, problems: list[str]
) -> tuple[str, date, str] | None:
    """The row's review (reviewer, date, result code), its problems added to ``problems``."""
    if reviewer is None or on is None or result is None:
        return None
    if on < data.generated_on:
        problems.append(f"“审核日期” {on.isoformat()} 早于“生成日期” {data.generated_on.isoformat()}")
    if result == "withhold" and not (data.attribute_reason or "").strip():
        problems.append("“审核结果”为不予公开时，须在“不公开理由”中写明法律依据")
    return reviewer, on, result


# -- importing -------------------------------------------------------------------------------


def import_items(
    session: Session,
    path: Path,
    *,
    by: str,
    staff_ids: set[str],
    categories: Sequence[str],
    as_of: date | None = None,
) -> ItemImportResult:
    """Import a catalogue file (CSV or XLSX) into the caller's transaction, all or nothing.

    ``categories``: the office's own categories (``[catalogue] categories``; the Art. 20 ones are
    always allowed). A registered index number takes the file's fields (the change date only moves
    on; when it moves an ``item_change`` is recorded); a review (审核人, 审核日期, 审核结果) is recorded
    unless the same one is. Raises :class:`InputError` for an unreadable file and
    :class:`ImportRejected` listing every bad row; then nothing is written. Does not commit.
    """
    path = Path(path)
    records, encoding = read_item_rows(path)
    parsed, errors = check_rows(
        SPEC,
        records,
        lambda number, record: _parse_row(
            number, record, categories=categories, staff_ids=staff_ids, as_of=as_of
        ),
    )
    existing = _load_existing(session, [r.data.index_no for r in parsed])
    plan = _against_registered(parsed, existing, errors)
    _check_locked_years(session, plan, errors)
    errors.raise_if_any(path.name)

    now = utcnow()
    _write_items(session, plan, by=by, now=now)
    reviews = _write_reviews(session, parsed, existing, by=by, now=now)
    session.flush()
    return ItemImportResult(
        rows=len(records),
        inserted=len(plan.fresh),
        updated=len(plan.updated),
        unchanged=len(plan.unchanged),
        changes=len(plan.changes),
        reviews=reviews,
        encoding=encoding,
    )


def _load_existing(session: Session, index_nos: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Registered items with these index numbers: id, change and withdrawal dates, compared columns."""
    cols = [
        ITEM.c.id,
        ITEM.c.index_no,
        ITEM.c.changed_on,
        ITEM.c.withdrawn_on,
        *(ITEM.c[k] for k in _COMPARED),
    ]
    rows = rows_by_keys(session, cols, ITEM.c.index_no, index_nos, scan_over=_WHOLE_TABLE)
    return {r.index_no: dict(r._mapping) for r in rows}


def _load_reviews(session: Session, item_ids: Sequence[int]) -> set[tuple[int, str, date, str]]:
    """The recorded reviews of these items as (item id, reviewer, date, result)."""
    cols = [ITEM_REVIEW.c.item_id, ITEM_REVIEW.c.reviewer, ITEM_REVIEW.c.reviewed_on, ITEM_REVIEW.c.result]
    rows = rows_by_keys(session, cols, ITEM_REVIEW.c.item_id, item_ids, scan_over=_WHOLE_TABLE)
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def _against_registered(
    parsed: Sequence[_Row], existing: dict[str, dict[str, Any]], errors: ErrorList
) -> _Plan:
    """Split the good rows into new, updated and unchanged items; a change date that moves back is a
    problem (the change log is append-only)."""
    plan = _Plan()
    for row in parsed:
        old = existing.get(row.data.index_no)
        if old is None:
            plan.fresh.append(row)
            continue
        new = dict(row.cols)
        if new["changed_on"] is None or (
            old["changed_on"] is not None and new["changed_on"] == old["changed_on"]
        ):
            new["changed_on"] = old["changed_on"]
        elif old["changed_on"] is not None and new["changed_on"] < old["changed_on"]:
            errors.add(
                row.number,
                f"“变更日期” {new['changed_on'].isoformat()} 早于已登记的变更日期 {old['changed_on'].isoformat()}"
                "（变更记录只能追加）",
            )
            continue
        diff = {k: new[k] for k in (*_COMPARED, "changed_on") if new[k] != old[k]}
        if not diff:
            plan.unchanged.append(row)
            continue
        if "changed_on" in diff:
            fields = [FIELD_LABELS[k] for k in diff if k != "changed_on"]
            what = "导入：" + ("、".join(fields) + "变更" if fields else "信息变更")
            plan.changes.append((old["id"], new["changed_on"], what))
        plan.updated.append((row, old, diff))
    return plan


def _check_locked_years(session: Session, plan: _Plan, errors: ErrorList) -> None:
    """A row may not change what a year whose annual report is final shows."""
    locked = final_years(session)
    if not locked:
        return
    checks = [(r, lock_since(None, r.cols)) for r in plan.fresh]
    checks += [(r, lock_since(old, {**old, **diff})) for r, old, diff in plan.updated]
    for row, since in checks:
        if since is None:
            continue
        years = locked_years_touched(locked, since=since, until=None)
        if years:
            errors.add(
                row.number,
                f"会改变已定稿的 {'、'.join(map(str, years))} 年度的数据（该年度已锁定，须由管理员重新开启）",
            )


def _write_items(session: Session, plan: _Plan, *, by: str, now: datetime) -> None:
    """Insert the new items, update the changed ones (one executemany per set of changed columns),
    record the changes."""
    insert_batches(
        session,
        ITEM,
        ({**r.cols, "review_required": True, "created_at": now, "updated_at": now} for r in plan.fresh),
    )
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for _row, old, diff in plan.updated:
        by_keys[tuple(sorted(diff))].append({"b_id": old["id"], **diff, "updated_at": now})
    for keys, params in by_keys.items():
        values: dict[str, Any] = {k: sa.bindparam(k) for k in (*keys, "updated_at")}
        session.execute(
            sa.update(ITEM).where(in_office(session, ITEM), ITEM.c.id == sa.bindparam("b_id")).values(values),
            params,
        )
    insert_batches(
        session,
        ITEM_CHANGE,
        (
            {"item_id": i, "changed_on": d, "what": w, "recorded_at": now, "recorded_by": by}
            for i, d, w in plan.changes
        ),
    )


def _write_reviews(
    session: Session, parsed: Sequence[_Row], existing: dict[str, dict[str, Any]], *, by: str, now: datetime
) -> int:
    """Record the rows' reviews that are not recorded yet; returns how many were written."""
    with_review = [r for r in parsed if r.review is not None]
    if not with_review:
        return 0
    ids: dict[str, int] = {k: v["id"] for k, v in existing.items()}
    new_ids = [r.data.index_no for r in with_review if r.data.index_no not in ids]
    ids.update(
        {
            index_no: item_id
            for item_id, index_no in rows_by_keys(
                session, [ITEM.c.id, ITEM.c.index_no], ITEM.c.index_no, new_ids
            )
        }
    )
    known = _load_reviews(session, [ids[r.data.index_no] for r in with_review if r.data.index_no in existing])
    rows: list[dict[str, Any]] = []
    for r in with_review:
        assert r.review is not None
        reviewer, on, result = r.review
        item_id = ids[r.data.index_no]
        if (item_id, reviewer, on, result) in known:
            continue
        known.add((item_id, reviewer, on, result))
        rows.append(
            {
                "item_id": item_id,
                "reviewer": reviewer,
                "reviewed_on": on,
                "result": result,
                "legal_ground": r.data.attribute_reason if result == "withhold" else None,
                "referral": False,
                "note": None,
                "recorded_at": now,
                "recorded_by": by,
            }
        )
    return insert_batches(session, ITEM_REVIEW, rows)


__all__ = ["COLUMNS", "SPEC", "ItemImportResult", "import_items", "read_item_rows"]
