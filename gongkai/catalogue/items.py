"""Proactive-disclosure items (主动公开): the catalogue's vocabularies, the rules of an item, its data access.

An item is one piece of government information in the disclosure catalogue (ogi-rules section 3):
index number (索引号), title, summary, generation date (Art. 26 clock start) and change date, document
number, issuing body, category (an Art. 20 item or one of the office's own categories from
``[catalogue] categories``), five-publics tag, disclosure attribute (主动公开 / 依申请公开 / 不予公开, the
last with its legal reason), validity, publication date, channel and URL.

``item_review`` (the Art. 17 pre-publication review) and ``item_change`` (every change starts a new
20-working-day period) are append-only logs. The import of a catalogue file is
:mod:`gongkai.catalogue.itemimport`, an item's JSON view :mod:`gongkai.catalogue.itemview`.

Publication deadline (Art. 26, :func:`gongkai.register.deadlines.publication_due`, read as the reminder service
reads it): an unpublished item is due on the 20th working day after its
generation date; a published item whose change date is after its publication date is due on the
20th working day after the change date; otherwise nothing is due.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, NoReturn, cast

import sqlalchemy as sa
from sqlmodel import Session, select

from gongkai.core.codes import ART20_CATEGORIES, ART20_ITEMS
from gongkai.core.errors import InputError, NotFound
from gongkai.core.officescope import in_office
from gongkai.core.webaddress import web_address_problem
from gongkai.files.tableimport import show
from gongkai.store.models import ItemChange, ItemReview, ProactiveItem, utcnow
from gongkai.store.tables import ITEM
from gongkai.store.tables import ITEM_CHANGE as CHANGE
from gongkai.store.tables import ITEM_REVIEW as REVIEW
from gongkai.store.yearlock import ensure_unlocked

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


def find_doc_type(text: str) -> str | None:
    """``规章``/``rule`` -> ``rule``; ``行政规范性文件``/``规范性文件`` -> ``normative_document`` …; else None."""
    return _DOC_TYPE_ALIASES.get(text)


def find_five_publics(text: str) -> str | None:
    """``决策`` or ``决策公开`` -> ``决策`` …, else None."""
    t = text.strip().removesuffix("公开")
    return t if t in FIVE_PUBLICS else None


def default_doc_type(category: str) -> str:
    """Items of the category 规范性文件 count as normative documents in the annual report (table 二)."""
    return "normative_document" if category == "规范性文件" else "other"


# Core views of the tables (typed for mypy, unlike the model attributes).

TEXT_LIMITS: Final = {
    "index_no": 64,
    "title": 500,
    "doc_number": 100,
    "issuing_body": 200,
    "channel": 100,
    "url": 500,
    "reviewer": 100,
}
"""The most characters of an item's text fields (and of a reviewer's name)."""

FIELD_LABELS: Final[dict[str, str]] = {
    "index_no": "索引号",
    "title": "名称",
    "summary": "内容概述",
    "generated_on": "生成日期",
    "changed_on": "变更日期",
    "doc_number": "文号",
    "issuing_body": "发布机构",
    "category": "类别",
    "doc_type": "文件类型",
    "five_publics": "五公开",
    "attribute": "公开属性",
    "attribute_reason": "不公开理由",
    "validity": "有效性",
    "valid_from": "生效日期",
    "valid_until": "有效期至",
    "repealed_on": "废止日期",
    "published_on": "公开日期",
    "channel": "公开渠道",
    "url": "网址",
    "owner_id": "负责人",
}
"""The Chinese name of each item field: the import's headers and the problems of :func:`check_item`."""


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


Problem = tuple[str, str]
"""A problem of an item: the :class:`ItemData` field it is about, and a phrase in Chinese."""


class ItemInvalid(InputError):
    """An item, a review or a change refused for bad fields: the whole sentence, and the phrases by field
    (``fields``: an :class:`ItemData` field, or ``reviewer``/``reviewed_on``/``result``/``legal_ground``,
    ``changed_on``/``what``) so that a form can show each beside its input."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        super().__init__(message)
        fields: dict[str, list[str]] = {}
        for key, phrase in problems:
            fields.setdefault(key, []).append(phrase)
        self.fields = {key: "；".join(phrases) for key, phrases in fields.items()}


def check_item(
    data: ItemData, *, categories: Sequence[str], staff_ids: set[str] | None, as_of: date | None = None
) -> list[str]:
    """Every problem of ``data`` as phrases in Chinese (empty when the item is good)."""
    return [
        phrase
        for _key, phrase in item_problems(data, categories=categories, staff_ids=staff_ids, as_of=as_of)
    ]


def item_problems(
    data: ItemData, *, categories: Sequence[str], staff_ids: set[str] | None, as_of: date | None = None
) -> list[Problem]:
    """Every problem of ``data`` with the field it is about (:func:`check_item` without the fields)."""
    return [
        *_text_problems(data),
        *_vocabulary_problems(data, categories),
        *_date_order_problems(data),
        *_future_problems(data, as_of),
        *_reference_problems(data, staff_ids),
    ]


def _text_problems(data: ItemData) -> list[Problem]:
    problems: list[Problem] = []
    for key, label in (("index_no", "索引号"), ("title", "名称")):
        if not str(getattr(data, key) or "").strip():
            problems.append((key, f"“{label}”不能为空"))
    for key, limit in TEXT_LIMITS.items():
        value = getattr(data, key, None)
        if isinstance(value, str) and len(value) > limit:
            problems.append((key, f"“{FIELD_LABELS[key]}”最长 {limit} 个字符，实际为 {len(value)} 个字符"))
    return problems


def _vocabulary_problems(data: ItemData, categories: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    allowed = _allowed_categories(categories)
    if data.category not in allowed:
        problems.append(
            (
                "category",
                f"“类别”应为第二十条的类别（{'、'.join(ART20_CATEGORIES)}）或本单位配置的类别"
                f"（{'、'.join(c for c in allowed if c not in ART20_ITEMS) or '未配置'}），实际为“{show(data.category)}”",
            )
        )
    if data.five_publics is not None and data.five_publics not in FIVE_PUBLICS:
        problems.append(
            ("five_publics", f"“五公开”应为{'、'.join(FIVE_PUBLICS)}之一，实际为“{show(data.five_publics)}”")
        )
    problems += _attribute_problems(data)
    if data.doc_type is not None and data.doc_type not in DOC_TYPES:
        problems.append(
            ("doc_type", f"“文件类型”应为{'、'.join(DOC_TYPES.values())}之一，实际为“{show(data.doc_type)}”")
        )
    if data.validity is not None and data.validity not in VALIDITIES:
        problems.append(("validity", f"“有效性”应为 有效 或 已废止，实际为“{show(data.validity)}”"))
    if data.validity == "repealed" and data.repealed_on is None:
        problems.append(("repealed_on", "“有效性”为已废止时，须填写“废止日期”"))
    return problems


def _attribute_problems(data: ItemData) -> list[Problem]:
    if data.attribute not in ATTRIBUTES:
        return [
            (
                "attribute",
                f"“公开属性”应为{'、'.join(ATTRIBUTES.values())}之一，实际为“{show(data.attribute)}”",
            )
        ]
    problems: list[Problem] = []
    if data.attribute == "not_public":
        if not (data.attribute_reason or "").strip():
            problems.append(("attribute_reason", "“公开属性”为不予公开时，“不公开理由”必须写明法律依据"))
        if data.published_on is not None:
            problems.append(("published_on", "“公开属性”为不予公开，不能有“公开日期”"))
    return problems


def _date_order_problems(data: ItemData) -> list[Problem]:
    problems: list[Problem] = []
    gen = data.generated_on
    for key in ("changed_on", "published_on", "repealed_on"):
        value = getattr(data, key)
        if value is not None and value < gen:
            problems.append(
                (key, f"“{FIELD_LABELS[key]}” {value.isoformat()} 早于“生成日期” {gen.isoformat()}")
            )
    if data.valid_until is not None and data.valid_until < (data.valid_from or gen):
        problems.append(
            (
                "valid_until",
                f"“有效期至” {data.valid_until.isoformat()} 早于"
                + (
                    f"“生效日期” {data.valid_from.isoformat()}"
                    if data.valid_from
                    else f"“生成日期” {gen.isoformat()}"
                ),
            )
        )
    if data.valid_from is not None and data.repealed_on is not None and data.repealed_on < data.valid_from:
        problems.append(
            (
                "repealed_on",
                f"“废止日期” {data.repealed_on.isoformat()} 早于“生效日期” {data.valid_from.isoformat()}",
            )
        )
    return problems


def _future_problems(data: ItemData, as_of: date | None) -> list[Problem]:
    if as_of is None:
        return []
    problems: list[Problem] = []
    for key in ("generated_on", "changed_on", "published_on"):
        value = getattr(data, key)
        if value is not None and value > as_of:
            problems.append(
                (
                    key,
                    f"“{FIELD_LABELS[key]}” {value.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记",
                )
            )
    return problems


def _reference_problems(data: ItemData, staff_ids: set[str] | None) -> list[Problem]:
    problems: list[Problem] = []
    url_problem = None if data.url is None else web_address_problem(data.url)
    if url_problem is not None:
        problems.append(("url", f"“网址”{url_problem}"))
    if data.owner_id is not None and staff_ids is not None and data.owner_id not in staff_ids:
        known = "、".join(sorted(staff_ids)[:10]) + ("等" if len(staff_ids) > 10 else "")
        problems.append(
            (
                "owner_id",
                f"“负责人”应为配置文件中的工作人员编号（{known or '未配置工作人员'}），没有“{show(data.owner_id)}”",
            )
        )
    return problems


def _allowed_categories(categories: Iterable[str]) -> tuple[str, ...]:
    return (*ART20_CATEGORIES, *(c for c in categories if c not in ART20_ITEMS))


def lock_since(old: dict[str, Any] | None, new: dict[str, Any]) -> date | None:
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
        raise NotFound(f"没有索引号为“{show(index_no, 64)}”的主动公开信息。")
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
    problems = item_problems(data, categories=categories, staff_ids=staff_ids, as_of=as_of)
    if problems:
        raise ItemInvalid("主动公开信息有误：" + "；".join(p for _k, p in problems) + "。", problems)
    exists = session.execute(
        sa.select(ITEM.c.id).where(in_office(session, ITEM), ITEM.c.index_no == data.index_no)
    ).first()
    if exists is not None:
        taken = f"索引号“{show(data.index_no, 64)}”已登记，索引号应唯一"
        raise ItemInvalid(f"{taken}。", [("index_no", taken)])
    cols = data.columns()
    since = lock_since(None, cols)
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
        _refuse("what", "变更内容（--what）不能为空：请写明变更了什么，例如“办公时间调整”。")
    if changed_on < item.generated_on:
        _refuse(
            "changed_on",
            f"变更日期 {changed_on.isoformat()} 早于该信息的生成日期 {item.generated_on.isoformat()}。",
        )
    if as_of is not None and changed_on > as_of:
        _refuse(
            "changed_on", f"变更日期 {changed_on.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记。"
        )
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
        _refuse(
            "result",
            f"审核结果应为{'、'.join(REVIEW_RESULTS.values())}之一（或 {', '.join(REVIEW_RESULTS)}），实际为“{show(result)}”。",
        )
    if not reviewer.strip():
        _refuse("reviewer", "审核人不能为空。")
    if len(reviewer) > TEXT_LIMITS["reviewer"]:
        _refuse("reviewer", f"审核人最长 {TEXT_LIMITS['reviewer']} 个字符。")
    if code == "withhold" and not (legal_ground or "").strip():
        _refuse("legal_ground", "审核结果为不予公开时，须写明法律依据（--legal-ground）。")
    if reviewed_on < item.generated_on:
        _refuse(
            "reviewed_on",
            f"审核日期 {reviewed_on.isoformat()} 早于该信息的生成日期 {item.generated_on.isoformat()}。",
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


def _refuse(key: str, sentence: str) -> NoReturn:
    raise ItemInvalid(sentence, [(key, sentence)])


def _id(item: ProactiveItem) -> int:
    assert item.id is not None
    return item.id


def _item_filters(
    *, unpublished: bool, category: str | None, search: str | None
) -> list[sa.ColumnElement[bool]]:
    c = ITEM.c
    where: list[sa.ColumnElement[bool]] = []
    if unpublished:
        where += [
            c.attribute == "proactive",
            c.withdrawn_on.is_(None),
            sa.or_(c.published_on.is_(None), c.changed_on > c.published_on),
        ]
    if category is not None:
        where.append(c.category == category)
    if search:
        where.append(
            sa.or_(c.index_no.icontains(search, autoescape=True), c.title.icontains(search, autoescape=True))
        )
    return where


def awaiting_publication() -> list[sa.ColumnElement[bool]]:
    """The filter of :func:`list_items` ``unpublished``: proactive items not withdrawn, never published or changed
    after publication (for a query over every office's items, e.g. the county's overview)."""
    return _item_filters(unpublished=True, category=None, search=None)


def list_items(
    session: Session,
    *,
    unpublished: bool = False,
    category: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ProactiveItem]:
    """Items in catalogue order (generation date, index number).

    ``unpublished``: proactive items not withdrawn that still await publication (never published, or
    changed after publication). ``search``: words in the index number or the title (any case). ``limit`` and
    ``offset``: one page of the list.
    """
    c = ITEM.c
    where = _item_filters(unpublished=unpublished, category=category, search=search)
    stmt = select(ProactiveItem).where(*where).order_by(c.generated_on, c.index_no).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())


def count_items(
    session: Session, *, unpublished: bool = False, category: str | None = None, search: str | None = None
) -> int:
    """How many items :func:`list_items` lists with these filters (without ``limit``)."""
    where = _item_filters(unpublished=unpublished, category=category, search=search)
    stmt = sa.select(sa.func.count()).select_from(ITEM).where(in_office(session, ITEM), *where)
    return int(session.execute(stmt).scalar_one())


def item_reviews(session: Session, item: ProactiveItem) -> list[ItemReview]:
    """The item's reviews, oldest first."""
    stmt = select(ItemReview).where(REVIEW.c.item_id == item.id).order_by(REVIEW.c.reviewed_on, REVIEW.c.id)
    return list(session.exec(stmt).all())


def item_changes(session: Session, item: ProactiveItem) -> list[ItemChange]:
    """The item's recorded changes, oldest first."""
    stmt = select(ItemChange).where(CHANGE.c.item_id == item.id).order_by(CHANGE.c.changed_on, CHANGE.c.id)
    return list(session.exec(stmt).all())


__all__ = [
    "ATTRIBUTES",
    "FIELD_LABELS",
    "FIVE_PUBLICS",
    "REVIEW_RESULTS",
    "TEXT_LIMITS",
    "ItemData",
    "ItemInvalid",
    "add_item",
    "awaiting_publication",
    "check_item",
    "count_items",
    "get_item",
    "item_changes",
    "item_problems",
    "item_reviews",
    "list_items",
    "lock_since",
    "record_change",
    "record_review",
]
