"""Proactive-disclosure items (主动公开信息, the catalogue's entries): registering, the Art. 17 pre-publication review,
recording a change (Art. 26), importing a catalogue file, and the list and one item as staff see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gongkai.catalogue import items
from gongkai.catalogue.itemimport import import_items
from gongkai.catalogue.itemview import item_json
from gongkai.register.deadlines import publication_due
from gongkai.services.actor import Actor
from gongkai.services.office import Office
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


def item_vocabularies() -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]]:
    """The Chinese labels of an item's attribute, validity and review-result codes (for showing an item)."""

    return items.ATTRIBUTES, items.VALIDITIES, items.REVIEW_RESULTS


def find_attribute(text: str) -> str | None:
    """The attribute code (``proactive``…) of a code or Chinese label, or None."""

    return items.find_attribute(text)


def find_five_publics(text: str) -> str | None:
    """The 五公开 code of a code or Chinese label, or None."""

    return items.find_five_publics(text)
