"""Proactive-disclosure items (主动公开信息, the catalogue's entries): registering, the Art. 17 pre-publication review,
recording a change (Art. 26), importing a catalogue file, and the list and one item as staff see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gongkai.catalogue import items
from gongkai.catalogue.itemimport import import_items
from gongkai.catalogue.items import ItemInvalid
from gongkai.catalogue.itemview import item_json
from gongkai.core.errors import NotFound
from gongkai.register.deadlines import publication_due
from gongkai.services.actor import Actor, require_work
from gongkai.services.office import Office
from gongkai.services.paging import Paged, clamp_page
from gongkai.services.review import ReviewRecord, item_review_records


@dataclass(frozen=True)
class ItemView:
    """An item in the list: its JSON object (``fields``) and its Art. 26 publication due date."""

    fields: Mapping[str, Any]
    publication_due: date | None

    def to_json(self) -> dict[str, Any]:
        """The item's fields and ``publication_due``."""
        return {
            **self.fields,
            "publication_due": self.publication_due.isoformat() if self.publication_due else None,
        }


@dataclass(frozen=True)
class ItemDetail:
    """One item: its fields with ``publication_due``, ``reviews`` (Art. 17) and ``changes`` (JSON objects), and
    the content-review outcomes recorded for it."""

    fields: Mapping[str, Any]
    content_reviews: tuple[ReviewRecord, ...]

    def to_json(self) -> dict[str, Any]:
        """The item with ``reviews``, ``changes`` and ``content_reviews`` (each a list, maybe empty)."""
        out = dict(self.fields)
        out.setdefault("reviews", [])
        out.setdefault("changes", [])
        out["content_reviews"] = [r.to_json() for r in self.content_reviews]
        return out


def list_catalogue_items(
    office: Office, actor: Actor, *, unpublished: bool = False, category: str | None = None
) -> list[ItemView]:
    """Items in catalogue order with their Art. 26 due dates (``unpublished``: those still awaiting publication)."""

    del actor  # any staff member may read the catalogue
    found = items.list_items(office.session, unpublished=unpublished, category=category)
    return [ItemView(item_json(it), publication_due(it, office.calendar)) for it in found]


@dataclass(frozen=True)
class ItemPage(Paged):
    """One page of the catalogue's items (:func:`catalogue_page`): the items shown, how many match the filters,
    the page number (from 1) and its size."""

    items: tuple[ItemView, ...]
    total: int
    page: int
    size: int


def catalogue_page(
    office: Office,
    actor: Actor,
    *,
    unpublished: bool = False,
    category: str | None = None,
    search: str | None = None,
    page: int = 1,
    size: int = 50,
) -> ItemPage:
    """One page of the items in catalogue order, read in SQL, with the Art. 26 due dates of those shown only
    (``search``: words in the index number or title)."""

    del actor  # any staff member may read the catalogue
    filters: dict[str, Any] = {"unpublished": unpublished, "category": category, "search": search or None}
    total = items.count_items(office.session, **filters)
    page = clamp_page(page, total, size)
    found = items.list_items(office.session, **filters, limit=size, offset=(page - 1) * size)
    views = tuple(ItemView(item_json(it), publication_due(it, office.calendar)) for it in found)
    return ItemPage(views, total, page, size)


@dataclass(frozen=True)
class ItemChoices:
    """What an item's form offers: the categories (Art. 20 ones with their item of the article, then the
    office's own), attributes, five-publics tags and review results (code -> Chinese label), and the staff
    (id -> name)."""

    categories: Mapping[str, str]
    attributes: Mapping[str, str]
    five_publics: Mapping[str, str]
    review_results: Mapping[str, str]
    staff: Mapping[str, str]


def item_choices(office: Office) -> ItemChoices:
    """The choices of the item forms for this office (:class:`ItemChoices`)."""
    from gongkai.core.codes import ART20_ITEMS

    categories = {
        c: (f"{c}（第二十条第{ART20_ITEMS[c]}项）" if c in ART20_ITEMS else f"{c}（本单位类别）")
        for c in office.settings.catalogue.all_categories
    }
    return ItemChoices(
        categories,
        dict(items.ATTRIBUTES),
        {f: f"{f}公开" for f in items.FIVE_PUBLICS},
        dict(items.REVIEW_RESULTS),
        {s.id: s.name for s in office.settings.staff},
    )


def item_detail(office: Office, actor: Actor, index_no: str) -> ItemDetail:
    """One item with its reviews, changes, content-review outcomes and Art. 26 due date."""

    del actor  # any staff member may read the catalogue
    it = items.get_item(office.session, index_no)
    reviews = items.item_reviews(office.session, it)
    changes = items.item_changes(office.session, it)
    out = item_json(it, calendar=office.calendar, reviews=reviews, changes=changes)
    assert it.id is not None
    return ItemDetail(out, item_review_records(office, it.id))


@dataclass(frozen=True)
class ItemAdded:
    """A registered item and its Art. 26 publication due date (None: nothing awaits publication)."""

    index_no: str
    publication_due: date | None


def add_item(
    office: Office,
    actor: Actor,
    *,
    index_no: str,
    title: str,
    generated_on: date,
    category: str,
    attribute: str,
    summary: str = "",
    doc_number: str | None = None,
    issuing_body: str | None = None,
    five_publics: str | None = None,
    attribute_reason: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    published_on: date | None = None,
    channel: str | None = None,
    url: str | None = None,
    owner: str | None = None,
) -> ItemAdded:
    """Register an item (any staff member), recorded as ``actor``. ``attribute`` and ``five_publics`` are codes
    (:data:`gongkai.catalogue.items.ATTRIBUTES`, ``FIVE_PUBLICS``); the category an Art. 20 one or the office's."""
    require_work(actor, "新增主动公开事项")

    data = items.ItemData(
        index_no=index_no.strip(),
        title=title.strip(),
        summary=summary.strip(),
        generated_on=generated_on,
        category=category.strip(),
        doc_number=doc_number,
        issuing_body=issuing_body,
        five_publics=five_publics,
        attribute=attribute,
        attribute_reason=attribute_reason,
        valid_from=valid_from,
        valid_until=valid_until,
        published_on=published_on,
        channel=channel,
        url=url,
        owner_id=owner,
    )
    new = items.add_item(
        office.session,
        data,
        by=actor.name,
        staff_ids=office.staff_ids,
        categories=office.settings.catalogue.categories,
        as_of=office.as_of,
    )
    return ItemAdded(new.index_no, publication_due(new, office.calendar))


@dataclass(frozen=True)
class ItemReviewed:
    """A recorded pre-publication review (``result`` a code, ``result_label`` its Chinese name)."""

    index_no: str
    reviewer: str
    reviewed_on: date
    result: str
    result_label: str


def review_item(
    office: Office,
    actor: Actor,
    index_no: str,
    *,
    reviewer: str,
    reviewed_on: date,
    result: str,
    legal_ground: str | None = None,
    referral: bool = False,
    note: str | None = None,
) -> ItemReviewed:
    """Record the Art. 17 pre-publication review of an item (any staff member; append-only). ``result``: a code
    or label of :data:`gongkai.catalogue.items.REVIEW_RESULTS`; withholding needs ``legal_ground``."""
    require_work(actor, "登记公开前审查")

    review = items.record_review(
        office.session, index_no, reviewer, reviewed_on, result, legal_ground, referral, note, actor.name
    )
    return ItemReviewed(
        index_no, review.reviewer, review.reviewed_on, review.result, items.REVIEW_RESULTS[review.result]
    )


@dataclass(frozen=True)
class ItemChanged:
    """A recorded change and the item's new Art. 26 publication due date."""

    index_no: str
    changed_on: date
    publication_due: date | None


def change_item(office: Office, actor: Actor, index_no: str, *, changed_on: date, what: str) -> ItemChanged:
    """Record a change of an item's information (any staff member): a new 20-working-day period runs from it."""
    require_work(actor, "登记事项变更")

    items.record_change(office.session, index_no, changed_on, what, actor.name, as_of=office.as_of)
    it = items.get_item(office.session, index_no)
    return ItemChanged(index_no, changed_on, publication_due(it, office.calendar))


@dataclass(frozen=True)
class ItemsImported:
    """What a catalogue import did."""

    file: str
    encoding: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    changes: int
    reviews: int


def import_catalogue_items(office: Office, actor: Actor, path: Path) -> ItemsImported:
    """Import a catalogue file (CSV or XLSX), all or nothing, recorded as ``actor`` (any staff member)."""
    require_work(actor, "导入主动公开事项")

    result = import_items(
        office.session,
        path,
        by=actor.name,
        staff_ids=office.staff_ids,
        categories=office.settings.catalogue.categories,
        as_of=office.as_of,
    )
    return ItemsImported(
        path.name,
        result.encoding,
        result.rows,
        result.inserted,
        result.updated,
        result.unchanged,
        result.changes,
        result.reviews,
    )


CATALOGUE_FILES: Mapping[str, tuple[str, str]] = {
    "catalogue.html": ("政府信息公开目录（网页 HTML）", "text/html; charset=utf-8"),
    "catalogue.xlsx": (
        "政府信息公开目录（Excel 表格 XLSX）",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "catalogue.csv": ("政府信息公开目录（CSV）", "text/csv; charset=utf-8"),
    "catalogue.md": ("政府信息公开目录（Markdown）", "text/markdown; charset=utf-8"),
    "guide.html": ("政府信息公开指南（网页 HTML）", "text/html; charset=utf-8"),
    "guide.md": ("政府信息公开指南（Markdown）", "text/markdown; charset=utf-8"),
}
"""The files a catalogue update writes: name -> (Chinese label, media type)."""


@dataclass(frozen=True)
class CatalogueFinding:
    """A completeness finding of the latest catalogue update (``kind_label`` Chinese)."""

    kind: str
    kind_label: str
    message: str
    index_no: str | None
    matter: str | None


@dataclass(frozen=True)
class CatalogueFile:
    """A file the latest update wrote: its name, Chinese label, and whether it can be downloaded (it is still
    there, inside the working folder)."""

    name: str
    label: str
    available: bool


@dataclass(frozen=True)
class LatestCatalogue:
    """The newest catalogue and guide: the quarter, the business date and when they were built, what changed
    since the update before (index numbers by ``added``, ``changed``, ``repealed``, ``withdrawn``; a changed
    entry with the fields that changed), the completeness findings and the files."""

    period: str
    as_of: date
    created_at: datetime
    added: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]
    repealed: tuple[str, ...]
    withdrawn: tuple[str, ...]
    findings: tuple[CatalogueFinding, ...]
    files: tuple[CatalogueFile, ...]


def _downloadable(home: Path, name: str, stored: str) -> Path | None:
    """The stored path of the file ``name`` when it is one a catalogue update writes, and is a file of that
    name inside ``home``'s ``catalogue`` folder (links resolved), else None: a stored list that was tampered
    with cannot lead to the desk's secret or anywhere else."""
    path = Path(stored).resolve()
    inside = path.is_relative_to((home / "catalogue").resolve())
    return path if name in CATALOGUE_FILES and path.name == name and inside and path.is_file() else None


def latest_catalogue(office: Office, actor: Actor, home: Path) -> LatestCatalogue | None:
    """The newest stored catalogue update (None before the first), its files checked against ``home`` (the
    working folder, ``GONGKAI_HOME``): only a file still in its ``catalogue`` folder can be downloaded."""
    from gongkai.catalogue.build import FINDING_KINDS, latest_update

    del actor  # any staff member may read the catalogue
    update = latest_update(office.session)
    if update is None:
        return None
    d = update.diff
    findings = tuple(
        CatalogueFinding(
            str(f.get("kind")),
            FINDING_KINDS.get(str(f.get("kind")), str(f.get("kind"))),
            str(f.get("message") or ""),
            f.get("index_no"),
            f.get("matter"),
        )
        for f in update.findings
    )
    files = tuple(
        CatalogueFile(
            name, CATALOGUE_FILES.get(name, (name, ""))[0], _downloadable(home, name, stored) is not None
        )
        for name, stored in update.files.items()
    )
    return LatestCatalogue(
        update.period,
        update.as_of,
        update.created_at,
        tuple(d.get("added", ())),
        tuple((c["index_no"], tuple(c.get("fields", ()))) for c in d.get("changed", ())),
        tuple(d.get("repealed", ())),
        tuple(d.get("withdrawn", ())),
        findings,
        files,
    )


@dataclass(frozen=True)
class CatalogueDownload:
    """A file of the latest update to send: where it is, the name to save it as, its media type."""

    path: Path
    filename: str
    media_type: str


def catalogue_file(office: Office, actor: Actor, name: str, home: Path) -> CatalogueDownload:
    """A file of the newest catalogue update by its name in that update's file list, only when it is inside
    ``home``'s ``catalogue`` folder; :class:`NotFound` otherwise (no other name or path is ever served)."""
    from gongkai.catalogue.build import latest_update

    del actor  # any staff member may read the catalogue
    update = latest_update(office.session)
    stored = update.files.get(name) if update is not None else None
    path = _downloadable(home, name, stored) if stored is not None else None
    if update is None or path is None:
        raise NotFound("最新一期公开目录中没有这个文件（或文件已不在工作文件夹中）。")
    return CatalogueDownload(path, f"{update.period}-{name}", CATALOGUE_FILES[name][1])


def item_vocabularies() -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]]:
    """The Chinese labels of an item's attribute, validity and review-result codes (for showing an item)."""

    return items.ATTRIBUTES, items.VALIDITIES, items.REVIEW_RESULTS


def find_attribute(text: str) -> str | None:
    """The attribute code (``proactive``…) of a code or Chinese label, or None."""

    return items.find_attribute(text)


def find_five_publics(text: str) -> str | None:
    """The 五公开 code of a code or Chinese label, or None."""

    return items.find_five_publics(text)


__all__ = [
    "CATALOGUE_FILES",
    "CatalogueDownload",
    "CatalogueFile",
    "CatalogueFinding",
    "ItemAdded",
    "ItemChanged",
    "ItemChoices",
    "ItemDetail",
    "ItemInvalid",
    "ItemPage",
    "ItemReviewed",
    "ItemView",
    "ItemsImported",
    "LatestCatalogue",
    "add_item",
    "catalogue_file",
    "catalogue_page",
    "change_item",
    "find_attribute",
    "find_five_publics",
    "import_catalogue_items",
    "item_choices",
    "item_detail",
    "item_vocabularies",
    "latest_catalogue",
    "list_catalogue_items",
    "review_item",
]
