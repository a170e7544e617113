"""The disclosure catalogue (政府信息公开目录) and guide (政府信息公开指南): ogi-rules.md section 3.

Plain data in, plain data out. Nothing here imports Prefect, and nothing depends on the ORM models of the
catalogue tables: entries are :class:`CatalogueEntry` values built from rows (:func:`entries_from_rows`) or read
with one SQL query (:func:`load_entries`); the office, the categories, the standard catalogue's matters and the
application channels are dicts and lists (as the configuration holds them).

- :func:`snapshot` is what the published catalogue holds (proactive, published, not withdrawn), as JSON-ready
  dicts; :func:`diff` compares two snapshots (added, changed with the fields, repealed, withdrawn).
- :func:`completeness_checks` lists what is wrong or missing (Chinese messages for the catalogue owner).
- Outputs: static HTML (accessible, printable, searchable with JS and complete without it), Markdown, XLSX and
  CSV. Spreadsheet cells are neutralised against formula injection (:func:`neutralise_csv_cell`,
  :func:`catalogue_xlsx`); HTML is escaped by the one Jinja2 environment (:mod:`gongkai.files.render`); Markdown cells
  are escaped here (the environment does not escape Markdown, and a Markdown viewer passes raw HTML through).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, Final, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gongkai.core.dates import fmt_zh
from gongkai.core.officescope import office_of
from gongkai.core.webaddress import is_web_address
from gongkai.files.render import md_escape, render
from gongkai.files.xlsxstream import xlsx_bytes
from gongkai.register.deadlines import ITEM_PUBLICATION_DAYS, publication_due
from gongkai.register.workcal import WorkCalendar

REVIEWED_RESULTS: Final = ("publish", "publish_redacted")
"""Review results that clear an item for publication (an ``item_review.result``)."""

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (or strips the control character first)."""

ATTRIBUTE_LABELS: Final[dict[str, str]] = {
    "proactive": "主动公开",
    "on_request": "依申请公开",
    "not_public": "不予公开",
}
VALIDITY_LABELS: Final[dict[str, str]] = {"in_force": "有效", "repealed": "已废止"}
FIVE_PUBLICS_LABELS: Final[dict[str, str]] = {
    "decision": "决策公开",
    "execution": "执行公开",
    "management": "管理公开",
    "service": "服务公开",
    "services": "服务公开",
    "result": "结果公开",
    "results": "结果公开",
}
FREQUENCY_LABELS: Final[dict[str, str]] = {
    "event": "随时",
    "monthly": "每月",
    "quarterly": "每季度",
    "yearly": "每年",
}

GUIDE_CONTACT_FIELDS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("disclosure_unit",), "政府信息公开工作机构名称"),
    (("address",), "办公地址"),
    (("office_hours",), "办公时间"),
    (("phone",), "联系电话"),
    (("fax",), "传真"),
    (("email", "website"), "互联网联系方式（电子邮箱或网站）"),
)
"""The guide's mandatory contact fields (ogi-rules.md 3.4): office keys (any one suffices) and their label."""

ON_REQUEST_METHODS: Final = frozenset({"on_request", "依申请", "依申请公开"})
"""Standard-catalogue ``method`` values of matters published on request only (not checked for activity)."""

_ENTRY_DATES: Final = (
    "generated_on",
    "changed_on",
    "valid_from",
    "repealed_on",
    "published_on",
    "withdrawn_on",
)

EXPORT_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("index_no", "索引号"),
    ("title", "名称"),
    ("summary", "内容概述"),
    ("generated_on", "生成日期"),
    ("changed_on", "变更日期"),
    ("doc_number", "文号"),
    ("issuing_body", "发布机构"),
    ("category", "主题分类"),
    ("five_publics", "五公开"),
    ("attribute", "公开属性"),
    ("validity", "有效性"),
    ("valid_from", "施行日期"),
    ("repealed_on", "废止日期"),
    ("published_on", "发布日期"),
    ("channel", "公开渠道"),
    ("url", "网址"),
)
"""Columns of the XLSX and CSV catalogue, in order: entry field and Chinese header."""


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One item of government information as the catalogue sees it (a ``proactive_item`` row, plain data).

    ``reviewed`` says whether a pre-publication review cleared it (result publish or publish_redacted);
    ``review_required`` is false for an item the office exempted from the review record (the completeness check
    then does not ask for one).
    ``generated_on`` may be ``None`` only in imported or hand-made data: the completeness check reports it.
    """

    index_no: str
    title: str
    summary: str
    generated_on: date | None
    changed_on: date | None = None
    doc_number: str | None = None
    issuing_body: str | None = None
    category: str = ""
    five_publics: str | None = None
    attribute: str = "proactive"
    validity: str = "in_force"
    valid_from: date | None = None
    repealed_on: date | None = None
    published_on: date | None = None
    withdrawn_on: date | None = None
    channel: str | None = None
    url: str | None = None
    owner_id: str | None = None
    reviewed: bool = False
    review_required: bool = True


_ENTRY_FIELDS: Final = tuple(f.name for f in fields(CatalogueEntry))


def _as_date(value: object) -> date | None:
    """A date from a row value: a date, an ISO string (SQLite through ``sa.text``), or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def entries_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[CatalogueEntry]:
    """Catalogue entries from row mappings (database rows' ``._mapping``, dicts from a file or a test).

    Keys not in :class:`CatalogueEntry` are ignored; dates may be ``date`` values or ISO strings; missing optional
    keys take their defaults.
    """
    out: list[CatalogueEntry] = []
    for row in rows:
        values: dict[str, Any] = {k: row[k] for k in _ENTRY_FIELDS if k in row}
        for key in _ENTRY_DATES:
            value = values.get(key)
            if value is not None and value.__class__ is not date:  # most are dates already, or None
                values[key] = _as_date(value)
        for key in ("index_no", "title", "summary"):
            values[key] = "" if values.get(key) is None else str(values[key])
        values.setdefault("generated_on", None)
        if values.get("category") is None:
            values["category"] = ""
        values["reviewed"] = bool(values.get("reviewed", False))
        values["review_required"] = bool(values.get("review_required", True))
        out.append(CatalogueEntry(**values))
    return out


def load_entries(session: Session) -> list[CatalogueEntry]:
    """Every ``proactive_item`` as a catalogue entry, with whether a clearing review exists: one SQL query.

    The columns are looked up first (``withdrawn_on``, ``review_required`` and ``item_review`` arrive with migration
    0005; a database without them reads as "never withdrawn", "review required" and "not reviewed").
    """
    inspector = sa.inspect(session.connection())
    columns = {c["name"] for c in inspector.get_columns("proactive_item")}
    withdrawn = "p.withdrawn_on" if "withdrawn_on" in columns else "NULL"
    required = "p.review_required" if "review_required" in columns else "1 = 1"
    if inspector.has_table("item_review"):
        reviewed = (
            "EXISTS (SELECT 1 FROM item_review r WHERE r.item_id = p.id "
            "AND r.result IN ('publish', 'publish_redacted'))"
        )
    else:
        reviewed = "0 = 1"
    # Since 0010 the items are an office's: the session's (a database before 0010 holds one office's only).
    office = "WHERE p.office_id = :office_id " if "office_id" in columns else ""
    query = sa.text(
        "SELECT p.index_no, p.title, p.summary, p.generated_on, p.changed_on, p.doc_number, p.issuing_body, "
        "p.category, p.five_publics, p.attribute, p.validity, p.valid_from, p.repealed_on, p.published_on, "
        f"{withdrawn} AS withdrawn_on, p.channel, p.url, p.owner_id, {reviewed} AS reviewed, "
        f"{required} AS review_required "
        f"FROM proactive_item p {office}ORDER BY p.index_no"
    ).columns(
        **{name: sa.Date() for name in _ENTRY_DATES},
        reviewed=sa.Boolean(),
        review_required=sa.Boolean(),
    )
    result = session.execute(query, {"office_id": office_of(session)} if office else {})
    keys = list(result.keys())
    return entries_from_rows(dict(zip(keys, r, strict=True)) for r in result)


# --- snapshot and diff ---------------------------------------------------------------------------------------


SNAPSHOT_FIELDS: Final = (
    "index_no", "title", "summary", "generated_on", "changed_on", "doc_number", "issuing_body", "category",
    "five_publics", "validity", "valid_from", "repealed_on", "published_on", "channel", "url",
)  # fmt: skip
"""The fields a snapshot keeps (what the public catalogue shows), compared by :func:`diff`."""


def in_catalogue(entry: CatalogueEntry) -> bool:
    """Whether the entry belongs in the published catalogue: proactive, published, not withdrawn."""
    return entry.attribute == "proactive" and entry.published_on is not None and entry.withdrawn_on is None


def catalogue_entries(entries: Iterable[CatalogueEntry]) -> list[CatalogueEntry]:
    """The entries of the published catalogue (:func:`in_catalogue`), ordered by index number."""
    return sorted((e for e in entries if in_catalogue(e)), key=lambda e: e.index_no)


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def snapshot(entries: Iterable[CatalogueEntry]) -> list[dict[str, Any]]:
    """The published catalogue as JSON-ready dicts (dates as ISO strings), ordered by index number."""
    return [{k: _json_value(getattr(e, k)) for k in SNAPSHOT_FIELDS} for e in catalogue_entries(entries)]


@dataclass(frozen=True)
class Change:
    """An entry present in both snapshots whose shown fields differ."""

    index_no: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Diff:
    """What changed in the catalogue between two snapshots, by index number.

    A repeal (validity became ``repealed`` or ``repealed_on`` was set) is listed under ``repealed``; its other
    changed fields, if any, also under ``changed``. An entry that left the catalogue (or whose record carries
    ``withdrawn_on``) is ``withdrawn``; one that comes back later is ``added`` again.
    """

    added: tuple[str, ...] = ()
    changed: tuple[Change, ...] = ()
    repealed: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (self.added or self.changed or self.repealed or self.withdrawn)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the snapshot)."""
        return {
            "added": list(self.added),
            "changed": [{"index_no": c.index_no, "fields": list(c.fields)} for c in self.changed],
            "repealed": list(self.repealed),
            "withdrawn": list(self.withdrawn),
        }


_REPEAL_FIELDS: Final = frozenset({"validity", "repealed_on"})


def diff(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> Diff:
    """Compare two snapshots (:func:`snapshot` output, or the same dicts read back from JSON)."""
    before = {str(r["index_no"]): r for r in previous if not r.get("withdrawn_on")}
    after: dict[str, Mapping[str, Any]] = {}
    gone_now: list[str] = []
    for r in current:
        key = str(r["index_no"])
        if r.get("withdrawn_on"):
            gone_now.append(key)
        else:
            after[key] = r
    added = sorted(k for k in after if k not in before)
    withdrawn = sorted({k for k in before if k not in after} | {k for k in gone_now if k in before})
    changed: list[Change] = []
    repealed: list[str] = []
    for key in sorted(k for k in after if k in before):
        old, new = before[key], after[key]
        names = sorted(set(old) | set(new))
        differ = tuple(n for n in names if n != "withdrawn_on" and old.get(n) != new.get(n))
        if not differ:
            continue
        was_repealed = old.get("validity") == "repealed" or bool(old.get("repealed_on"))
        now_repealed = new.get("validity") == "repealed" or bool(new.get("repealed_on"))
        other = differ
        if now_repealed and not was_repealed:
            repealed.append(key)
            other = tuple(n for n in differ if n not in _REPEAL_FIELDS)
        if other:
            changed.append(Change(key, other))
    return Diff(tuple(added), tuple(changed), tuple(repealed), tuple(withdrawn))


# --- completeness checks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One completeness problem: its kind, the entry's index number or the matter's name, and a message.

    Kinds: ``missing_field``, ``overdue``, ``unreviewed``, ``repealed_in_force``, ``guide_contact``, ``personal_data``
    (text withheld, see :func:`gongkai.catalogue.build.withhold_personal_data`),
    ``matter_inactive``.
    """

    kind: str
    message: str
    index_no: str | None = None
    matter: str | None = None


def _label(entry: CatalogueEntry) -> str:
    return entry.index_no or f"（无索引号：{entry.title or '无名称'}）"


def guide_contact_gaps(office: Mapping[str, Any]) -> list[str]:
    """Labels of the guide's mandatory contact fields the office settings leave blank."""
    return [
        label
        for keys, label in GUIDE_CONTACT_FIELDS
        if not any(str(office.get(k) or "").strip() for k in keys)
    ]


def matter_name(matter: Mapping[str, Any]) -> str:
    """``一级事项 / 二级事项`` (or the first level alone)."""
    item = str(matter.get("item") or "").strip()
    sub = str(matter.get("subitem") or "").strip()
    return f"{item} / {sub}" if sub else item


def _month_before(d: date) -> date:
    """The same day one calendar month earlier (clamped to the month's end)."""
    year, month = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def matter_window(
    frequency: str, *, as_of: date, quarter_start: date, quarter_end: date
) -> tuple[date, date] | None:
    """The period in which a matter of this frequency must have a published item, or ``None`` (event)."""
    if frequency == "quarterly":
        return quarter_start, min(quarter_end, as_of)
    if frequency == "yearly":
        return date(as_of.year, 1, 1), as_of
    if frequency == "monthly":
        return _month_before(as_of) + timedelta(days=1), as_of
    return None


def completeness_checks(
    entries: Sequence[CatalogueEntry],
    *,
    matters: Sequence[Mapping[str, Any]],
    office: Mapping[str, Any],
    as_of: date,
    quarter_start: date,
    quarter_end: date,
    calendar: WorkCalendar,
) -> list[Finding]:
    """Every completeness problem of the catalogue, the guide and the standard catalogue on ``as_of``.

    - proactive entries (not withdrawn) missing a mandatory field: index number, name, summary, generation date;
    - Art. 26 overdue: formed (or changed after publication) and not published by the 20th working day;
    - published entries without a clearing review record (unless ``review_required`` is false);
    - repealed documents still shown as in force (``repealed_on`` ≤ ``as_of``, validity ``in_force``);
    - the guide's mandatory contact fields left blank in the office settings;
    - standard-catalogue matters (quarterly, monthly, yearly; proactive) with no item of their category
      published in their period. Event-driven matters are not checked.
    """
    findings: list[Finding] = []
    mandatory = (
        ("index_no", "索引号"),
        ("title", "名称"),
        ("summary", "内容概述"),
        ("generated_on", "生成日期"),
    )
    # Category -> publication dates of the catalogue's items, for the matters.
    published: dict[str, list[date]] = {}
    for e in entries:
        if e.attribute != "proactive" or e.withdrawn_on is not None:
            continue
        missing = [label for name, label in mandatory if not str(getattr(e, name) or "").strip()]
        if missing:
            findings.append(
                Finding(
                    "missing_field",
                    f"目录条目 {_label(e)} 缺少必备项：{'、'.join(missing)}",
                    index_no=e.index_no,
                )
            )
        due = publication_due(e, calendar)
        if due is not None and as_of > due:
            what = "变更后的信息" if e.published_on is not None else "该信息"
            start = e.changed_on if e.published_on is not None else e.generated_on
            assert start is not None
            findings.append(
                Finding(
                    "overdue",
                    f"{_label(e)}：{what}于 {fmt_zh(start)} 形成或变更，应在 {fmt_zh(due)} 前主动公开"
                    f"（{ITEM_PUBLICATION_DAYS} 个工作日内，第二十六条），至今未公开",
                    index_no=e.index_no,
                )
            )
        if e.published_on is None:
            continue
        published.setdefault(e.category, []).append(e.published_on)
        if e.review_required and not e.reviewed:
            findings.append(
                Finding(
                    "unreviewed", f"{_label(e)}：已公开但没有公开前审查记录（第十七条）", index_no=e.index_no
                )
            )
        if e.validity == "in_force" and e.repealed_on is not None and e.repealed_on <= as_of:
            findings.append(
                Finding(
                    "repealed_in_force",
                    f"{_label(e)}：已于 {fmt_zh(e.repealed_on)} 废止，目录中仍显示为有效",
                    index_no=e.index_no,
                )
            )
    findings.extend(
        Finding("guide_contact", f"政府信息公开指南缺少必备的联系信息：{label}（第十二条）")
        for label in guide_contact_gaps(office)
    )
    for matter in matters:
        if str(matter.get("method") or "").strip() in ON_REQUEST_METHODS:
            continue
        frequency = str(matter.get("frequency") or "event")
        window = matter_window(frequency, as_of=as_of, quarter_start=quarter_start, quarter_end=quarter_end)
        if window is None:
            continue
        first, last = window
        category = str(matter.get("category") or "")
        if any(first <= d <= last for d in published.get(category, ())):
            continue
        name = matter_name(matter)
        findings.append(
            Finding(
                "matter_inactive",
                f"标准目录事项“{name}”（{FREQUENCY_LABELS.get(frequency, frequency)}公开，分类“{category}”）"
                f"在 {first.isoformat()} 至 {last.isoformat()} 期间没有公开任何信息",
                matter=name,
            )
        )
    return findings


# --- view data -----------------------------------------------------------------------------------------------


def _safe_href(url: str | None) -> str | None:
    """Only acceptable web addresses (gongkai.core.webaddress) are made clickable: ``javascript:``, an address
    that would break out of the attribute, and the like stay plain text."""
    return url if url is not None and is_web_address(url) else None


def _iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _validity_text(e: CatalogueEntry) -> str:
    text = VALIDITY_LABELS.get(e.validity, e.validity)
    if e.validity == "repealed" and e.repealed_on is not None:
        text += f"（{e.repealed_on.isoformat()}）"
    return text


class _RowView(NamedTuple):
    """One catalogue row as the templates read it (``r.title``). Attributes rather than dict keys: Jinja2 tries
    the attribute first, and a dict pays an AttributeError for each of the 500,000 cells of a 50,000-row page."""

    index_no: str
    title: str
    href: str | None
    summary: str
    doc_number: str
    issuing_body: str
    category: str
    five_publics: str
    generated_on: str
    published_on: str
    validity: str


def _row_view(e: CatalogueEntry) -> _RowView:
    return _RowView(
        index_no=e.index_no,
        title=e.title,
        href=_safe_href(e.url),
        summary=e.summary,
        doc_number=e.doc_number or "",
        issuing_body=e.issuing_body or "",
        category=e.category,
        five_publics=FIVE_PUBLICS_LABELS.get(e.five_publics or "", e.five_publics or ""),
        generated_on=_iso(e.generated_on),
        published_on=_iso(e.published_on),
        validity=_validity_text(e),
    )


def _office_view(office: Mapping[str, Any]) -> dict[str, str]:
    keys = (
        "name",
        "disclosure_unit",
        "address",
        "office_hours",
        "phone",
        "fax",
        "email",
        "website",
        "postcode",
    )
    return {k: str(office.get(k) or "").strip() for k in keys}


def _generated_text(generated_at: date | datetime) -> str:
    if isinstance(generated_at, datetime):
        return f"{generated_at:%Y-%m-%d %H:%M}"
    return generated_at.isoformat()


def _categories_view(categories: Sequence[str | Mapping[str, Any]]) -> list[dict[str, str]]:
    out = []
    for c in categories:
        if isinstance(c, str):
            out.append({"name": c, "description": ""})
        else:
            out.append({"name": str(c.get("name") or ""), "description": str(c.get("description") or "")})
    return out


def _channels_view(
    channels: Sequence[str | Mapping[str, Any]], office: Mapping[str, str]
) -> list[dict[str, str]]:
    """The application channels; in-person and postal submission are always there (they may never be refused)."""
    out: list[dict[str, str]] = []
    for c in channels:
        if isinstance(c, str):
            out.append({"name": c, "how": ""})
        else:
            out.append({"name": str(c.get("name") or ""), "how": str(c.get("how") or c.get("note") or "")})
    names = " ".join(c["name"] for c in out)
    where = office["address"] or "本机关办公地址"
    if "当面" not in names:
        hours = f"，办公时间：{office['office_hours']}" if office["office_hours"] else ""
        out.insert(0, {"name": "当面提交", "how": f"到 {where} 填写《政府信息公开申请表》{hours}"})
    if "邮寄" not in names and "邮政" not in names:
        post = f"（邮编 {office['postcode']}）" if office["postcode"] else ""
        out.insert(1, {
            "name": "邮政寄送",
            "how": f"寄至 {where}{post}，信封注明“政府信息公开申请”，收件人 {office['disclosure_unit']}",
        })  # fmt: skip
    return out


def _matters_view(matters: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    keys = ("item", "subitem", "content", "basis", "time_limit", "responsible", "channels", "audience", "method",
            "level", "category")  # fmt: skip
    out = []
    for m in matters:
        row = {}
        for k in keys:
            v = m.get(k)
            row[k] = "、".join(str(x) for x in v) if isinstance(v, list | tuple) else str(v or "")
        row["frequency"] = FREQUENCY_LABELS.get(str(m.get("frequency") or ""), str(m.get("frequency") or ""))
        out.append(row)
    return out


md_cell: Final = md_escape
"""Text made safe for a Markdown table cell (the one Markdown escape, :func:`gongkai.files.render.md_escape`)."""


def _md_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{k: md_cell(v if v is not None else "") for k, v in r.items()} for r in rows]


# --- outputs -------------------------------------------------------------------------------------------------


def render_catalogue_html(
    entries: Iterable[CatalogueEntry], office: Mapping[str, Any], generated_at: date | datetime
) -> str:
    """The catalogue page for the website: only the catalogue's entries (:func:`in_catalogue`), every value
    escaped; a search box (index number or name) that appears only when scripts run, the full table otherwise."""
    rows = [_row_view(e) for e in catalogue_entries(entries)]
    return render(
        "catalogue/catalogue.html.j2",
        office=_office_view(office),
        rows=rows,
        generated=_generated_text(generated_at),
    )


def render_catalogue_markdown(
    entries: Iterable[CatalogueEntry], office: Mapping[str, Any], generated_at: date | datetime
) -> str:
    """The catalogue as a Markdown table (cells escaped by :func:`md_cell`)."""
    # Dates, categories, bodies and labels repeat from row to row: each distinct value is escaped once.
    escaped: dict[str | None, str] = {}

    def cell(value: str | None) -> str:
        text = escaped.get(value)
        if text is None:
            text = escaped[value] = md_cell(value if value is not None else "")
        return text

    rows = [_RowView._make(map(cell, _row_view(e))) for e in catalogue_entries(entries)]
    return render(
        "catalogue/catalogue.md.j2",
        office=_md_rows([_office_view(office)])[0],
        rows=rows,
        generated=_generated_text(generated_at),
    )


def _guide_context(
    office: Mapping[str, Any],
    categories: Sequence[str | Mapping[str, Any]],
    matters: Sequence[Mapping[str, Any]],
    channels: Sequence[str | Mapping[str, Any]],
) -> dict[str, Any]:
    o = _office_view(office)
    return {
        "office": o,
        "categories": _categories_view(categories),
        "matters": _matters_view(matters),
        "channels": _channels_view(channels, o),
        "gaps": guide_contact_gaps(office),
    }


def render_guide_html(
    office: Mapping[str, Any],
    categories: Sequence[str | Mapping[str, Any]],
    matters: Sequence[Mapping[str, Any]],
    channels: Sequence[str | Mapping[str, Any]],
) -> str:
    """The disclosure guide (政府信息公开指南) as a web page, with the mandatory contents of ogi-rules.md 3.4.

    ``channels`` are the application channels (a name, or ``{"name", "how"}``); in-person and postal submission
    are added when missing. A blank contact field prints as “（未填写）” and is reported by
    :func:`completeness_checks`.
    """
    return render("catalogue/guide.html.j2", **_guide_context(office, categories, matters, channels))


def render_guide_markdown(
    office: Mapping[str, Any],
    categories: Sequence[str | Mapping[str, Any]],
    matters: Sequence[Mapping[str, Any]],
    channels: Sequence[str | Mapping[str, Any]],
) -> str:
    """The disclosure guide as Markdown (same contents as :func:`render_guide_html`)."""
    ctx = _guide_context(office, categories, matters, channels)
    ctx["office"] = _md_rows([ctx["office"]])[0]
    ctx["categories"] = _md_rows(ctx["categories"])
    ctx["matters"] = _md_rows(ctx["matters"])
    ctx["channels"] = _md_rows(ctx["channels"])
    ctx["gaps"] = [md_cell(g) for g in ctx["gaps"]]
    return render("catalogue/guide.md.j2", **ctx)


def _export_row(e: CatalogueEntry) -> list[str | date]:
    """The entry's cells in :data:`EXPORT_COLUMNS` order: coded values as their labels, dates as dates, missing
    values as empty text."""
    attribute, validity, five_publics = str(e.attribute), str(e.validity), e.five_publics or ""
    return [
        e.index_no,
        e.title,
        e.summary,
        e.generated_on or "",
        e.changed_on or "",
        e.doc_number or "",
        e.issuing_body or "",
        e.category,
        FIVE_PUBLICS_LABELS.get(five_publics, five_publics),
        ATTRIBUTE_LABELS.get(attribute, attribute),
        VALIDITY_LABELS.get(validity, validity),
        e.valid_from or "",
        e.repealed_on or "",
        e.published_on or "",
        e.channel or "",
        e.url or "",
    ]


def neutralise_csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading ``= + - @``, tab or CR gets an apostrophe in front."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def catalogue_csv(entries: Iterable[CatalogueEntry]) -> bytes:
    """The catalogue as CSV: UTF-8 with BOM (Excel opens it as Unicode), formula triggers neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in EXPORT_COLUMNS])
    triggers = FORMULA_TRIGGERS  # neutralise_csv_cell, inline: it runs for every cell
    writer.writerows(
        [
            value.isoformat()
            if isinstance(value, date)
            else "'" + value
            if value.startswith(triggers)
            else value
            for value in _export_row(e)
        ]
        for e in catalogue_entries(entries)
    )
    return buffer.getvalue().encode("utf-8-sig")


def catalogue_xlsx(entries: Iterable[CatalogueEntry]) -> bytes:
    """The catalogue as XLSX, streamed row by row (:func:`gongkai.files.xlsxstream.xlsx_bytes`).

    Every text is a string cell; one that starts with a formula trigger keeps its text and gets the
    ``quotePrefix`` style, so Excel shows it literally and never evaluates it, even after an edit.
    Dates are date cells (``yyyy-mm-dd``). The header row is bold and frozen.
    """
    widths = {"index_no": 22, "title": 40, "summary": 50, "issuing_body": 20, "url": 40}
    names = [name for name, _ in EXPORT_COLUMNS]
    return xlsx_bytes(
        "政府信息公开目录",
        [label for _, label in EXPORT_COLUMNS],
        (_export_row(e) for e in catalogue_entries(entries)),
        widths=[widths.get(name, 14) for name in names],
        quote_prefix=FORMULA_TRIGGERS,
    )


__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_TRIGGERS",
    "GUIDE_CONTACT_FIELDS",
    "SNAPSHOT_FIELDS",
    "CatalogueEntry",
    "Change",
    "Diff",
    "Finding",
    "catalogue_csv",
    "catalogue_entries",
    "catalogue_xlsx",
    "completeness_checks",
    "diff",
    "entries_from_rows",
    "guide_contact_gaps",
    "in_catalogue",
    "load_entries",
    "matter_name",
    "matter_window",
    "md_cell",
    "neutralise_csv_cell",
    "render_catalogue_html",
    "render_catalogue_markdown",
    "render_guide_html",
    "render_guide_markdown",
    "snapshot",
]
