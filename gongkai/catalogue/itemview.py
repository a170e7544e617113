"""An item of the catalogue as a JSON object (``gongkai item list|show --json``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from gongkai.core.codes import ART20_ITEMS
from gongkai.register.deadlines import publication_due
from gongkai.register.workcal import WorkCalendar
from gongkai.store.models import ItemChange, ItemReview, ProactiveItem


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


__all__ = ["item_json"]
