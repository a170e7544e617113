"""Links from notifications to the staff desk (``[desk] base_url``): the page where each message's action is
taken. With a ``base_url`` a reminder carries the link instead of the ``gongkai …`` command it prints otherwise;
without one (an office that does not serve the desk beyond the server) the command stays.

References and index numbers go into the path percent-encoded (a reference may hold ``/``, ``〔〕`` or Chinese
characters). Plain values only: the planners, the outbox and the templates all use it."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

APPLICATION_KINDS: Final = frozenset(
    {
        "reply",
        "overdue",
        "escalation",
        "correction_notice",
        "correction_expired",
        "consultation",
        "fee",
        "deadline_moved",
        "clock_error",
    }
)
"""Reminder kinds about one application: acted on at its page."""

PAGES: Final[dict[str, str]] = {
    "extension": "/head",
    "calendar_missing": "/admin/calendar",
    "report": "/report",
    "report_readiness": "/report",
}
"""Reminder kinds acted on at one fixed page."""


def desk_url(base_url: str, path: str) -> str:
    """``path`` (``/head``) on the desk at ``base_url`` (its trailing ``/`` ignored)."""
    return base_url.rstrip("/") + path


def application_url(base_url: str, ref: str) -> str:
    """The page of application ``ref``."""
    return desk_url(base_url, f"/applications/{quote(ref, safe='')}")


def reminder_link(base_url: str, *, kind: str, ref: str | None, key: str) -> str | None:
    """Where the action of a digest line is taken (``None`` without ``base_url`` or for a line with no page: a
    catalogue summary, a delivery alert). ``key`` gives a review task's number (``review:12:…``)."""
    if not base_url:
        return None
    if kind in APPLICATION_KINDS and ref:
        return application_url(base_url, ref)
    if kind == "item" and ref:
        return desk_url(base_url, f"/items/{quote(ref, safe='')}")
    if kind in ("review", "review_overdue"):
        task = key.split(":")[1] if key.startswith("review:") and key.count(":") >= 2 else ""
        return desk_url(base_url, f"/review/{task}") if task.isdigit() else desk_url(base_url, "/review")
    page = PAGES.get(kind)
    return desk_url(base_url, page) if page else None


__all__ = ["APPLICATION_KINDS", "PAGES", "application_url", "desk_url", "reminder_link"]
