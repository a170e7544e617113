"""Proactive-disclosure items (主动公开): the catalogue's data, their reviews and changes, the import.

An item is one piece of government information in the disclosure catalogue (ogi-rules section 3):
index number (索引号), title, summary, generation date (Art. 26 clock start) and change date, document
number, issuing body, category (an Art. 20 item or one of the office's own categories from
``[catalogue] categories``), five-publics tag, disclosure attribute (主动公开 / 依申请公开 / 不予公开, the
last with its legal reason), validity, publication date, channel and URL.

``item_review`` (the Art. 17 pre-publication review) and ``item_change`` (every change starts a new
20-working-day period) are append-only logs. The import is all-or-nothing like the request-register
import (:mod:`gongkai.register.importer`): every bad row is listed, nothing is written unless the whole file
is good, re-importing the same file changes nothing, and a later file updates the items whose fields
changed (recording an ``item_change`` when the change date moved).

Publication deadline (Art. 26, :func:`gongkai.register.deadlines.publication_due`, read as the reminder service
reads it): an unpublished item is due on the 20th working day after its
generation date; a published item whose change date is after its publication date is due on the
20th working day after the change date; otherwise nothing is due.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, cast

import sqlalchemy as sa
from sqlmodel import Session, select

from gongkai.core.codes import ART20_CATEGORIES, ART20_ITEMS
from gongkai.core.dates import DATE_FORMS, parse_date
from gongkai.core.errors import ImportRejected, InputError, NotFound
from gongkai.core.webaddress import web_address_problem
from gongkai.files.tablefile import (
    ENCODING_HINT,
    cell_text,
    classify_header,
    clean_value,
    read_records,
)
from gongkai.register.deadlines import publication_due
from gongkai.register.workcal import WorkCalendar
from gongkai.store.models import ItemChange, ItemReview, ProactiveItem, utcnow
from gongkai.store.tables import ITEM
from gongkai.store.tables import ITEM_CHANGE as CHANGE
from gongkai.store.tables import ITEM_REVIEW as REVIEW
from gongkai.store.yearlock import ensure_unlocked, final_years, locked_years_touched

# -- codes -----------------------------------------------------------------------------------

FIVE_PUBLICS: Final[tuple[str, ...]] = ("决策", "执行", "管理", "服务", "结果")
"""The "five publics" tags (决策公开 … 结果公开), stored without the suffix 公开."""

ATTRIBUTES: Final[dict[str, str]] = {
    "proactive": "主动公开",
    "on_request": "依申请公开",
    "not_public": "不予公开",
}
"""Disclosure attribute code -> label; ``not_public`` needs a legal reason."""

VALIDITIES: Final[dict[str, str]] = {"in_force": "有效", "repealed": "已废止"}
DOC_TYPES: Final[dict[str, str]] = {"rule": "规章", "normative_document": "行政规范性文件", "other": "其他"}
REVIEW_RESULTS: Final[dict[str, str]] = {
    "publish": "同意公开",
    "publish_redacted": "删除（处理）后公开",
    "withhold": "不予公开",
}
"""Review result code -> label (ogi-rules 3.3)."""

_ATTRIBUTE_ALIASES: Final = {
    **{v: k for k, v in ATTRIBUTES.items()},
    **{k: k for k in ATTRIBUTES},
    "主动": "proactive",
    "依申请": "on_request",
    "不公开": "not_public",
}
_VALIDITY_ALIASES: Final = {
    **{k: k for k in VALIDITIES},
    "有效": "in_force",
    "现行有效": "in_force",
    "已废止": "repealed",
    "废止": "repealed",
    "失效": "repealed",
    "已失效": "repealed",
}
_DOC_TYPE_ALIASES: Final = {
    **{k: k for k in DOC_TYPES},
    **{v: k for k, v in DOC_TYPES.items()},
    "规范性文件": "normative_document",
}
_REVIEW_ALIASES: Final = {
    **{k: k for k in REVIEW_RESULTS},
    **{v: k for k, v in REVIEW_RESULTS.items()},
    "公开": "publish",
    "予以公开": "publish",
    "删除后公开": "publish_redacted",
    "处理后公开": "publish_redacted",
    "部分公开": "publish_redacted",
    "不公开": "withhold",
}


def find_attribute(text: str) -> str | None:
    """``主动公开``/``proactive``/``主动`` -> ``proactive`` …, or None."""
    return _ATTRIBUTE_ALIASES.get(text.strip()) or _ATTRIBUTE_ALIASES.get(text.strip().lower())


def find_validity(text: str) -> str | None:
    """``有效``/``in_force`` -> ``in_force``; ``废止``/``失效``/``repealed`` -> ``repealed``; else None."""
    return _VALIDITY_ALIASES.get(text.strip()) or _VALIDITY_ALIASES.get(text.strip().lower())


def find_review_result(text: str) -> str | None:
    """``同意公开``/``publish`` …, ``删除（处理）后公开``/``publish_redacted``, ``不予公开``/``withhold``; else None."""
    return _REVIEW_ALIASES.get(text.strip()) or _REVIEW_ALIASES.get(text.strip().lower())


def find_five_publics(text: str) -> str | None:
    """``决策`` or ``决策公开`` -> ``决策`` …, else None."""
    t = text.strip().removesuffix("公开")
    return t if t in FIVE_PUBLICS else None


def default_doc_type(category: str) -> str:
    """Items of the category 规范性文件 count as normative documents in the annual report (table 二)."""
    return "normative_document" if category == "规范性文件" else "other"


# Core views of the tables (typed for mypy, unlike the model attributes).

_MAX_LEN: Final = {
    "index_no": 64,
    "title": 500,
    "doc_number": 100,
    "issuing_body": 200,
    "channel": 100,
    "url": 500,
    "reviewer": 100,
}


# -- checking one item (shared by add and import) ----------------------------------------------


@dataclass
class ItemData:
    """The fields of an item as staff give them (already parsed)."""

    index_no: str
    title: str
    generated_on: date
    category: str
    summary: str = ""
    changed_on: date | None = None
    doc_number: str | None = None
    issuing_body: str | None = None
    doc_type: str | None = None
    five_publics: str | None = None
    attribute: str = "proactive"
    attribute_reason: str | None = None
    validity: str | None = None
    valid_from: date | None = None
    repealed_on: date | None = None
    published_on: date | None = None
    valid_until: date | None = None
    channel: str | None = None
    url: str | None = None
    owner_id: str | None = None

    def columns(self) -> dict[str, Any]:
        """The ``proactive_item`` columns (defaults filled in)."""
        validity = self.validity or ("repealed" if self.repealed_on is not None else "in_force")
        return {
            "index_no": self.index_no,
            "title": self.title,
            "summary": self.summary,
            "generated_on": self.generated_on,
            "changed_on": self.changed_on,
            "doc_number": self.doc_number,
            "issuing_body": self.issuing_body,
            "category": self.category,
            "doc_type": self.doc_type or default_doc_type(self.category),
            "five_publics": self.five_publics,
            "attribute": self.attribute,
            "attribute_reason": self.attribute_reason,
            "validity": validity,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "repealed_on": self.repealed_on,
            "published_on": self.published_on,
            "channel": self.channel,
            "url": self.url,
            "owner_id": self.owner_id,
        }


def check_item(
    data: ItemData, *, categories: Sequence[str], staff_ids: set[str] | None, as_of: date | None = None
) -> list[str]:
    """Every problem of ``data`` as phrases in Chinese (empty when the item is good)."""
    problems: list[str] = []
    for key, label in (("index_no", "索引号"), ("title", "名称")):
        if not str(getattr(data, key) or "").strip():
            problems.append(f"“{label}”不能为空")
    for key, limit in _MAX_LEN.items():
        value = getattr(data, key, None)
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}”最长 {limit} 个字符，实际为 {len(value)} 个字符")
    allowed = _allowed_categories(categories)
    if data.category not in allowed:
        problems.append(
            f"“类别”应为第二十条的类别（{'、'.join(ART20_CATEGORIES)}）或本单位配置的类别"
            f"（{'、'.join(c for c in allowed if c not in ART20_ITEMS) or '未配置'}），实际为“{_show(data.category)}”"
        )
    if data.five_publics is not None and data.five_publics not in FIVE_PUBLICS:
        problems.append(f"“五公开”应为{'、'.join(FIVE_PUBLICS)}之一，实际为“{_show(data.five_publics)}”")
    if data.attribute not in ATTRIBUTES:
        problems.append(
            f"“公开属性”应为{'、'.join(ATTRIBUTES.values())}之一，实际为“{_show(data.attribute)}”"
        )
    elif data.attribute == "not_public":
        if not (data.attribute_reason or "").strip():
            problems.append("“公开属性”为不予公开时，“不公开理由”必须写明法律依据")
        if data.published_on is not None:
            problems.append("“公开属性”为不予公开，不能有“公开日期”")
    if data.doc_type is not None and data.doc_type not in DOC_TYPES:
        problems.append(f"“文件类型”应为{'、'.join(DOC_TYPES.values())}之一，实际为“{_show(data.doc_type)}”")
    if data.validity is not None and data.validity not in VALIDITIES:
        problems.append(f"“有效性”应为 有效 或 已废止，实际为“{_show(data.validity)}”")
    if data.validity == "repealed" and data.repealed_on is None:
        problems.append("“有效性”为已废止时，须填写“废止日期”")
    gen = data.generated_on
    for key in ("changed_on", "published_on", "repealed_on"):
        value = getattr(data, key)
        if value is not None and value < gen:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}” {value.isoformat()} 早于“生成日期” {gen.isoformat()}")
    if data.valid_until is not None and data.valid_until < (data.valid_from or gen):
        problems.append(
            f"“有效期至” {data.valid_until.isoformat()} 早于"
            + (
                f"“生效日期” {data.valid_from.isoformat()}"
                if data.valid_from
                else f"“生成日期” {gen.isoformat()}"
            )
        )
    if data.valid_from is not None and data.repealed_on is not None and data.repealed_on < data.valid_from:
        problems.append(
            f"“废止日期” {data.repealed_on.isoformat()} 早于“生效日期” {data.valid_from.isoformat()}"
        )
    if as_of is not None:
        for key in ("generated_on", "changed_on", "published_on"):
            value = getattr(data, key)
            if value is not None and value > as_of:
                problems.append(
                    f"“{COLUMN_BY_KEY[key].zh}” {value.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记"
                )
    url_problem = None if data.url is None else web_address_problem(data.url)
    if url_problem is not None:
        problems.append(f"“网址”{url_problem}")
    if data.owner_id is not None and staff_ids is not None and data.owner_id not in staff_ids:
        known = "、".join(sorted(staff_ids)[:10]) + ("等" if len(staff_ids) > 10 else "")
        problems.append(
            f"“负责人”应为配置文件中的工作人员编号（{known or '未配置工作人员'}），没有“{_show(data.owner_id)}”"
        )
    return problems


def _allowed_categories(categories: Iterable[str]) -> tuple[str, ...]:
    return (*ART20_CATEGORIES, *(c for c in categories if c not in ART20_ITEMS))


def _show(value: object, limit: int = 30) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lock_since(old: dict[str, Any] | None, new: dict[str, Any]) -> date | None:
    """The earliest date whose year's locked figures a write would alter, or None.

    The year lock covers what the annual report and a final year's catalogue show: publication and
    repeal dates, and for normative documents (table 二) the issue date. A new item counts with its
    dates; an update with the old and new values of those that changed.
    """

    def issued(cols: dict[str, Any]) -> date | None:
        if cols.get("doc_type") != "normative_document":
            return None
        return cast(date | None, cols.get("valid_from") or cols.get("generated_on"))

    if old is None:
        found = [d for d in (new.get("published_on"), new.get("repealed_on"), issued(new)) if d is not None]
        return min(found) if found else None
    candidates: list[date | None] = []
    for key in ("published_on", "repealed_on"):
        if old.get(key) != new.get(key):
            candidates += [old.get(key), new.get(key)]
    if issued(old) != issued(new):
        candidates += [issued(old), issued(new)]
    if old.get("doc_type") != new.get("doc_type"):
        candidates += [old.get("repealed_on"), new.get("repealed_on")]
    found = [d for d in candidates if d is not None]
    return min(found) if found else None


# -- single-item operations --------------------------------------------------------------------


def get_item(session: Session, index_no: str) -> ProactiveItem:
    """The item with this index number; :class:`NotFound` otherwise."""
    item = session.exec(select(ProactiveItem).where(ProactiveItem.index_no == index_no)).first()
    if item is None:
        raise NotFound(f"没有索引号为“{_show(index_no, 64)}”的主动公开信息。")
    return item


def add_item(
    session: Session,
    data: ItemData,
    *,
    by: str,
    staff_ids: set[str] | None,
    categories: Sequence[str],
    as_of: date | None = None,
) -> ProactiveItem:
    """Register a new item (refused if the index number exists or a field is wrong). Does not commit."""
    problems = check_item(data, categories=categories, staff_ids=staff_ids, as_of=as_of)
    if problems:
        raise InputError("主动公开信息有误：" + "；".join(problems) + "。")
    exists = session.execute(sa.select(ITEM.c.id).where(ITEM.c.index_no == data.index_no)).first()
    if exists is not None:
        raise InputError(f"索引号“{_show(data.index_no, 64)}”已登记，索引号应唯一。")
    cols = data.columns()
    since = _lock_since(None, cols)
    if since is not None:
        ensure_unlocked(session, since=since, until=None)
    item = ProactiveItem(**cols)
    session.add(item)
    session.flush()
    return item


def record_change(
    session: Session, index_no: str, changed_on: date, what: str, by: str, *, as_of: date | None = None
) -> ItemChange:
    """Record a change of an item's information (Art. 26: a new 20-working-day period starts).

    The item's ``changed_on`` moves to ``changed_on`` when that is later. Does not commit.
    """
    item = get_item(session, index_no)
    if not what.strip():
        raise InputError("变更内容（--what）不能为空：请写明变更了什么，例如“办公时间调整”。")
    if changed_on < item.generated_on:
        raise InputError(
            f"变更日期 {changed_on.isoformat()} 早于该信息的生成日期 {item.generated_on.isoformat()}。"
        )
    if as_of is not None and changed_on > as_of:
        raise InputError(f"变更日期 {changed_on.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记。")
    ensure_unlocked(session, since=changed_on, until=None)
    change = ItemChange(item_id=_id(item), changed_on=changed_on, what=what.strip(), recorded_by=by)
    session.add(change)
    if item.changed_on is None or changed_on > item.changed_on:
        item.changed_on = changed_on
        item.updated_at = utcnow()
        session.add(item)
    session.flush()
    return change


def record_review(
    session: Session,
    index_no: str,
    reviewer: str,
    reviewed_on: date,
    result: str,
    legal_ground: str | None,
    referral: bool,
    note: str | None,
    by: str,
) -> ItemReview:
    """Record a pre-publication review (Art. 17). ``result``: a code or label of :data:`REVIEW_RESULTS`.

    Withholding needs ``legal_ground``. Does not commit.
    """
    item = get_item(session, index_no)
    code = find_review_result(result)
    if code is None:
        raise InputError(
            f"审核结果应为{'、'.join(REVIEW_RESULTS.values())}之一（或 {', '.join(REVIEW_RESULTS)}），实际为“{_show(result)}”。"
        )
    if not reviewer.strip():
        raise InputError("审核人不能为空。")
    if len(reviewer) > _MAX_LEN["reviewer"]:
        raise InputError(f"审核人最长 {_MAX_LEN['reviewer']} 个字符。")
    if code == "withhold" and not (legal_ground or "").strip():
        raise InputError("审核结果为不予公开时，须写明法律依据（--legal-ground）。")
    if reviewed_on < item.generated_on:
        raise InputError(
            f"审核日期 {reviewed_on.isoformat()} 早于该信息的生成日期 {item.generated_on.isoformat()}。"
        )
    review = ItemReview(
        item_id=_id(item),
        reviewer=reviewer.strip(),
        reviewed_on=reviewed_on,
        result=code,
        legal_ground=(legal_ground or "").strip() or None,
        referral=referral,
        note=note,
        recorded_by=by,
    )
    session.add(review)
    session.flush()
    return review


def _id(item: ProactiveItem) -> int:
    assert item.id is not None
    return item.id


def list_items(
    session: Session, *, unpublished: bool = False, category: str | None = None
) -> list[ProactiveItem]:
    """Items in catalogue order (generation date, index number).

    ``unpublished``: proactive items not withdrawn that still await publication (never published, or
    changed after publication).
    """
    stmt = select(ProactiveItem)
    c = ITEM.c
    if unpublished:
        stmt = stmt.where(
            c.attribute == "proactive",
            c.withdrawn_on.is_(None),
            sa.or_(c.published_on.is_(None), c.changed_on > c.published_on),
        )
    if category is not None:
        stmt = stmt.where(c.category == category)
    return list(session.exec(stmt.order_by(c.generated_on, c.index_no)).all())


def item_reviews(session: Session, item: ProactiveItem) -> list[ItemReview]:
    """The item's reviews, oldest first."""
    stmt = select(ItemReview).where(REVIEW.c.item_id == item.id).order_by(REVIEW.c.reviewed_on, REVIEW.c.id)
    return list(session.exec(stmt).all())


def item_changes(session: Session, item: ProactiveItem) -> list[ItemChange]:
    """The item's recorded changes, oldest first."""
    stmt = select(ItemChange).where(CHANGE.c.item_id == item.id).order_by(CHANGE.c.changed_on, CHANGE.c.id)
    return list(session.exec(stmt).all())


def item_json(
    item: ProactiveItem,
    *,
    calendar: WorkCalendar | None = None,
    reviews: Sequence[ItemReview] = (),
    changes: Sequence[ItemChange] = (),
) -> dict[str, Any]:
    """An item as a JSON object (dates ISO), with its due date, reviews and changes when given."""

    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    out: dict[str, Any] = {
        "index_no": item.index_no,
        "title": item.title,
        "summary": item.summary,
        "generated_on": iso(item.generated_on),
        "changed_on": iso(item.changed_on),
        "doc_number": item.doc_number,
        "issuing_body": item.issuing_body,
        "category": item.category,
        "art20_item": ART20_ITEMS.get(item.category),
        "doc_type": item.doc_type,
        "five_publics": item.five_publics,
        "attribute": item.attribute,
        "attribute_reason": item.attribute_reason,
        "validity": item.validity,
        "valid_from": iso(item.valid_from),
        "valid_until": iso(item.valid_until),
        "repealed_on": iso(item.repealed_on),
        "published_on": iso(item.published_on),
        "withdrawn_on": iso(item.withdrawn_on),
        "channel": item.channel,
        "url": item.url,
        "owner": item.owner_id,
        "review_required": item.review_required,
    }
    if calendar is not None:
        out["publication_due"] = iso(publication_due(item, calendar))
    if reviews:
        out["reviews"] = [
            {
                "reviewer": r.reviewer,
                "reviewed_on": r.reviewed_on.isoformat(),
                "result": r.result,
                "legal_ground": r.legal_ground,
                "referral": r.referral,
                "note": r.note,
                "recorded_by": r.recorded_by,
                "recorded_at": r.recorded_at.isoformat(),
            }
            for r in reviews
        ]
    if changes:
        out["changes"] = [
            {
                "changed_on": ch.changed_on.isoformat(),
                "what": ch.what,
                "recorded_by": ch.recorded_by,
                "recorded_at": ch.recorded_at.isoformat(),
            }
            for ch in changes
        ]
    return out


# -- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the item file: canonical field (the English alias) and its Chinese headers."""

    key: str
    zh: str
    others: tuple[str, ...] = ()
    required: bool = False


COLUMNS: Final[tuple[Column, ...]] = (
    Column("index_no", "索引号", required=True),
    Column("title", "名称", ("标题", "信息名称"), required=True),
    Column("summary", "内容概述", ("摘要",)),
    Column("generated_on", "生成日期", ("形成日期", "成文日期"), required=True),
    Column("changed_on", "变更日期"),
    Column("doc_number", "文号"),
    Column("issuing_body", "发布机构"),
    Column("category", "类别", ("信息类别", "主题分类"), required=True),
    Column("doc_type", "文件类型"),
    Column("five_publics", "五公开"),
    Column("attribute", "公开属性"),
    Column("attribute_reason", "不公开理由", ("不公开依据",)),
    Column("validity", "有效性"),
    Column("valid_from", "生效日期"),
    Column("valid_until", "有效期至", ("失效日期",)),
    Column("repealed_on", "废止日期"),
    Column("published_on", "公开日期", ("发布日期",)),
    Column("channel", "公开渠道"),
    Column("url", "网址", ("链接",)),
    Column("owner", "负责人"),
    Column("reviewer", "审核人"),
    Column("reviewed_on", "审核日期"),
    Column("review_result", "审核结果"),
)
"""Every column the item import accepts (Chinese header, other Chinese spellings, English alias)."""

COLUMN_BY_KEY: Final[dict[str, Column]] = {
    **{c.key: c for c in COLUMNS},
    "owner_id": Column("owner", "负责人"),
}
_HEADERS: Final[dict[str, str]] = {
    **{c.key.casefold(): c.key for c in COLUMNS},
    **{c.zh: c.key for c in COLUMNS},
    **{o: c.key for c in COLUMNS for o in c.others},
}
REQUIRED_KEYS: Final = tuple(c.key for c in COLUMNS if c.required)
_DATE_KEYS: Final = (
    "generated_on", "changed_on", "valid_from", "valid_until", "repealed_on", "published_on", "reviewed_on",
)  # fmt: skip
_CHUNK: Final = 500
_WHOLE_TABLE: Final = 2000
_BATCH: Final = 5000
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


def _map_header(name: str, header: Sequence[object], encoding: str) -> list[str | None]:
    keys, unknown, repeats = classify_header(
        header, lambda text: _HEADERS.get(text) or _HEADERS.get(text.casefold())
    )
    seen = {k for k in keys if k is not None}
    dup = [f"“{text}”（即“{COLUMN_BY_KEY[key].zh}”）" for _first, text, key in repeats]
    required = "、".join(f"“{COLUMN_BY_KEY[k].zh}”" for k in REQUIRED_KEYS)
    if not seen & set(REQUIRED_KEYS):
        hint = f"；如果列名显示为乱码，说明编码不对：{ENCODING_HINT}" if encoding != "xlsx" else ""
        raise InputError(f"文件 {name} 第 1 行的表头无法识别，没有找到任何必填列（{required}）{hint}。")
    problems: list[str] = []
    if unknown:
        problems.append(
            f"有无法识别的列名 {'、'.join('“' + _show(t) + '”' for t in unknown)}；可用的列名为 "
            f"{'、'.join(c.zh for c in COLUMNS)}（或英文别名，如 index_no、title）"
        )
    if dup:
        problems.append("列名重复：" + "、".join(dup))
    missing = [k for k in REQUIRED_KEYS if k not in seen]
    if missing:
        problems.append("缺少必填列 " + "、".join(f"“{COLUMN_BY_KEY[k].zh}”" for k in missing))
    if problems:
        raise InputError(f"文件 {name} 的表头有误：" + "；".join(problems) + "。")
    return keys


def read_item_rows(path: Path) -> tuple[list[tuple[int, dict[str, object]]], str]:
    """``(row number, {field: raw value})`` for every non-blank data row, and the file's encoding."""
    path = Path(path)
    table, encoding = read_records(path)
    try:
        return _records(path.name, table, encoding), encoding
    finally:
        table.close()


def _records(
    name: str, table: Iterator[tuple[int, list[object]]], encoding: str
) -> list[tuple[int, dict[str, object]]]:
    first = next(table, None)
    if first is None or not any(cell_text(v) for v in first[1]):
        raise InputError(f"文件 {name} 的第 1 行应为表头（列名），实际为空。")
    keys = _map_header(name, first[1], encoding)
    rows: list[tuple[int, dict[str, object]]] = []
    for number, cells in table:
        values = [clean_value(v) for v in cells]
        if all(v is None for v in values):
            continue
        record: dict[str, object] = {}
        for pos, value in enumerate(values):
            key = keys[pos] if pos < len(keys) else None
            if key is not None:
                record[key] = value
            elif value is not None:
                raise InputError(
                    f"文件 {name} 的第 {pos + 1} 列没有列名，但第 {number} 行在该列有内容；请补上列名或删除该列。"
                )
        rows.append((number, record))
    if not rows:
        raise InputError(f"文件 {name} 只有表头，没有数据行（数据从第 2 行开始）。")
    return rows


def _parse_row(
    number: int,
    record: dict[str, object],
    *,
    categories: Sequence[str],
    staff_ids: set[str],
    as_of: date | None,
) -> tuple[_Row | None, list[str]]:
    problems: list[str] = []

    def text(key: str) -> str | None:
        value = record.get(key)
        if value is None:
            return None
        t = value.isoformat() if isinstance(value, date) else str(value).strip()
        return t or None

    def a_date(key: str) -> date | None:
        raw = record.get(key)
        if raw is None:
            return None
        try:
            return parse_date(raw, field=COLUMN_BY_KEY[key].zh)
        except InputError:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}”应为有效日期（如 {DATE_FORMS}），实际为“{_show(raw)}”")
            return None

    def coded(key: str, finder: Any, expected: str) -> str | None:
        t = text(key)
        if t is None:
            return None
        code: str | None = finder(t)
        if code is None:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}”应为{expected}，实际为“{_show(t)}”")
        return code

    for key in REQUIRED_KEYS:
        if record.get(key) is None:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}”不能为空")
    dates = {k: a_date(k) for k in _DATE_KEYS}
    five = coded("five_publics", find_five_publics, f"{'、'.join(FIVE_PUBLICS)}之一")
    attribute = coded("attribute", find_attribute, f"{'、'.join(ATTRIBUTES.values())}之一")
    validity = coded("validity", find_validity, "有效 或 已废止")
    doc_type = coded("doc_type", _DOC_TYPE_ALIASES.get, f"{'、'.join(DOC_TYPES.values())}之一")
    review_result = coded("review_result", find_review_result, f"{'、'.join(REVIEW_RESULTS.values())}之一")
    reviewer = text("reviewer")
    review_given = [k for k in ("reviewer", "reviewed_on", "review_result") if record.get(k) is not None]
    if review_given and len(review_given) < 3:
        missing = [
            COLUMN_BY_KEY[k].zh for k in ("reviewer", "reviewed_on", "review_result") if k not in review_given
        ]
        problems.append(f"审核记录不完整：填写了审核信息，但“{'”“'.join(missing)}”为空")
    if reviewer is not None and len(reviewer) > _MAX_LEN["reviewer"]:
        problems.append(f"“审核人”最长 {_MAX_LEN['reviewer']} 个字符")

    generated = dates["generated_on"]
    index_no, title, category = text("index_no"), text("title"), text("category")
    if problems or generated is None or index_no is None or title is None or category is None:
        return None, problems
    data = ItemData(
        index_no=index_no,
        title=title,
        generated_on=generated,
        category=category,
        summary=text("summary") or "",
        changed_on=dates["changed_on"],
        doc_number=text("doc_number"),
        issuing_body=text("issuing_body"),
        doc_type=doc_type,
        five_publics=five,
        attribute=attribute or "proactive",
        attribute_reason=text("attribute_reason"),
        validity=validity,
        valid_from=dates["valid_from"],
        valid_until=dates["valid_until"],
        repealed_on=dates["repealed_on"],
        published_on=dates["published_on"],
        channel=text("channel"),
        url=text("url"),
        owner_id=text("owner"),
    )
    problems.extend(check_item(data, categories=categories, staff_ids=staff_ids, as_of=as_of))
    review: tuple[str, date, str] | None = None
    if reviewer is not None and dates["reviewed_on"] is not None and review_result is not None:
        if dates["reviewed_on"] < generated:
            problems.append(
                f"“审核日期” {dates['reviewed_on'].isoformat()} 早于“生成日期” {generated.isoformat()}"
            )
        if review_result == "withhold" and not (data.attribute_reason or "").strip():
            problems.append("“审核结果”为不予公开时，须在“不公开理由”中写明法律依据")
        review = (reviewer, dates["reviewed_on"], review_result)
    if problems:
        return None, problems
    return _Row(number, data, review, data.columns()), []


def _load_existing(session: Session, index_nos: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cols = [
        ITEM.c.id,
        ITEM.c.index_no,
        ITEM.c.changed_on,
        ITEM.c.withdrawn_on,
        *(ITEM.c[k] for k in _COMPARED),
    ]
    if len(index_nos) > _WHOLE_TABLE:
        # A large file: one scan of the table beats hundreds of IN lists (which PostgreSQL may plan as
        # sequential scans right after a bulk load, before its statistics are up to date).
        wanted = set(index_nos)
        for r in session.execute(sa.select(*cols)):
            if r.index_no in wanted:
                found[r.index_no] = dict(r._mapping)
        return found
    for i in range(0, len(index_nos), _CHUNK):
        chunk = list(index_nos[i : i + _CHUNK])
        for r in session.execute(sa.select(*cols).where(ITEM.c.index_no.in_(chunk))):
            found[r.index_no] = dict(r._mapping)
    return found


def _load_reviews(session: Session, item_ids: Sequence[int]) -> set[tuple[int, str, date, str]]:
    found: set[tuple[int, str, date, str]] = set()
    cols = (REVIEW.c.item_id, REVIEW.c.reviewer, REVIEW.c.reviewed_on, REVIEW.c.result)
    if len(item_ids) > _WHOLE_TABLE:
        wanted = set(item_ids)
        found.update((r[0], r[1], r[2], r[3]) for r in session.execute(sa.select(*cols)) if r[0] in wanted)
        return found
    for i in range(0, len(item_ids), _CHUNK):
        chunk = list(item_ids[i : i + _CHUNK])
        stmt = sa.select(REVIEW.c.item_id, REVIEW.c.reviewer, REVIEW.c.reviewed_on, REVIEW.c.result).where(
            REVIEW.c.item_id.in_(chunk)
        )
        found.update((r[0], r[1], r[2], r[3]) for r in session.execute(stmt))
    return found


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
    problems: dict[int, list[str]] = defaultdict(list)
    parsed: list[_Row] = []
    first_row: dict[str, int] = {}
    for number, record in records:
        row, row_problems = _parse_row(
            number, record, categories=categories, staff_ids=staff_ids, as_of=as_of
        )
        raw_index = record.get("index_no")
        index_no = str(raw_index).strip() if raw_index is not None else None
        if index_no:
            if index_no in first_row:
                row_problems.insert(
                    0, f"索引号“{_show(index_no)}”与第 {first_row[index_no]} 行重复（索引号应唯一）"
                )
                row = None
            else:
                first_row[index_no] = number
        if row_problems:
            problems[number].extend(row_problems)
        elif row is not None:
            parsed.append(row)

    existing = _load_existing(session, [r.data.index_no for r in parsed])
    fresh: list[_Row] = []
    updated: list[tuple[_Row, dict[str, Any], dict[str, Any]]] = []  # row, old, changed columns
    unchanged: list[_Row] = []
    changes: list[tuple[int, date, str]] = []
    for row in parsed:
        old = existing.get(row.data.index_no)
        if old is None:
            fresh.append(row)
            continue
        new = dict(row.cols)
        if new["changed_on"] is None or (
            old["changed_on"] is not None and new["changed_on"] == old["changed_on"]
        ):
            new["changed_on"] = old["changed_on"]
        elif old["changed_on"] is not None and new["changed_on"] < old["changed_on"]:
            problems[row.number].append(
                f"“变更日期” {new['changed_on'].isoformat()} 早于已登记的变更日期 {old['changed_on'].isoformat()}"
                "（变更记录只能追加）"
            )
            continue
        diff = {k: new[k] for k in (*_COMPARED, "changed_on") if new[k] != old[k]}
        if not diff:
            unchanged.append(row)
            continue
        if "changed_on" in diff:
            fields = [COLUMN_BY_KEY[k].zh for k in diff if k != "changed_on"]
            what = "导入：" + ("、".join(fields) + "变更" if fields else "信息变更")
            changes.append((old["id"], new["changed_on"], what))
        updated.append((row, old, diff))

    locked = final_years(session)
    if locked:
        checks = [(r, _lock_since(None, r.cols)) for r in fresh]
        checks += [(r, _lock_since(old, {**old, **diff})) for r, old, diff in updated]
        for row, since in checks:
            if since is None:
                continue
            years = locked_years_touched(locked, since=since, until=None)
            if years:
                problems[row.number].append(
                    f"会改变已定稿的 {'、'.join(map(str, years))} 年度的数据（该年度已锁定，须由管理员重新开启）"
                )

    if problems:
        lines = [
            f"文件 {path.name} 第 {n} 行：" + "；".join(p.rstrip("。；") for p in problems[n]) + "。"
            for n in sorted(problems)
        ]
        raise ImportRejected(f"文件 {path.name} 有 {len(lines)} 行有误，未导入任何数据：", lines)

    now = utcnow()
    _insert(
        session,
        ITEM,
        ({**r.cols, "review_required": True, "created_at": now, "updated_at": now} for r in fresh),
    )
    if updated:
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for _row, old, diff in updated:
            by_keys[tuple(sorted(diff))].append({"b_id": old["id"], **diff, "updated_at": now})
        for keys, params in by_keys.items():
            values: dict[str, Any] = {k: sa.bindparam(k) for k in (*keys, "updated_at")}
            session.execute(sa.update(ITEM).where(ITEM.c.id == sa.bindparam("b_id")).values(values), params)
    _insert(
        session,
        CHANGE,
        (
            {"item_id": i, "changed_on": d, "what": w, "recorded_at": now, "recorded_by": by}
            for i, d, w in changes
        ),
    )

    with_review = [r for r in parsed if r.review is not None and r.number not in problems]
    reviews_written = 0
    if with_review:
        ids = {k: v["id"] for k, v in existing.items()}
        new_ids = [r.data.index_no for r in with_review if r.data.index_no not in ids]
        for i in range(0, len(new_ids), _CHUNK):
            stmt = sa.select(ITEM.c.id, ITEM.c.index_no).where(ITEM.c.index_no.in_(new_ids[i : i + _CHUNK]))
            ids.update({index_no: item_id for item_id, index_no in session.execute(stmt)})
        known = _load_reviews(
            session, [ids[r.data.index_no] for r in with_review if r.data.index_no in existing]
        )
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
        reviews_written = _insert(session, REVIEW, rows)
    session.flush()
    return ItemImportResult(
        rows=len(records),
        inserted=len(fresh),
        updated=len(updated),
        unchanged=len(unchanged),
        changes=len(changes),
        reviews=reviews_written,
        encoding=encoding,
    )


def _insert(session: Session, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    """Core bulk insert (executemany) in batches."""
    written = 0
    it = iter(rows)
    while batch := list(itertools.islice(it, _BATCH)):
        session.execute(sa.insert(table), batch)
        written += len(batch)
    return written


__all__ = [
    "ATTRIBUTES",
    "COLUMNS",
    "FIVE_PUBLICS",
    "REVIEW_RESULTS",
    "ItemData",
    "ItemImportResult",
    "add_item",
    "check_item",
    "get_item",
    "import_items",
    "item_changes",
    "item_json",
    "item_reviews",
    "list_items",
    "record_change",
    "record_review",
]
