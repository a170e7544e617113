"""The messages Gongkai sends, as data: every kind with its label, a planned reminder, and what a digest says
about its lines (which are late, what the digest is about).

The planners (``gongkai.reminders``, the content review, the annual report's and the catalogue's notices) make
:class:`PlannedReminder` values; the outbox (:mod:`gongkai.notify.outbox`) stores them under their keys, groups
a person's pending messages into one digest and renders it through the templates in ``templates/notifications/``.
The digest functions below are those templates' filters (registered in :mod:`gongkai.files.render`), so the
wording is decided from the lines themselves:

* A line is **overdue** when the date it shows is the office's own deadline and that date is before the business
  date. Never from the planner's ``urgency``: an urgent review task due tomorrow sorts first (urgency 0) but is
  not late. A date that passed for someone else (the applicant's correction or payment period, a consulted third
  party's reply) or a date that is only a target (the stricter ``safe_due`` of a ``reply`` line: past it the
  office is not yet late, and once the legal deadline passes the line is an ``overdue`` one) is not overdue.
* The **topic** names the kinds of message in the digest, so a catalogue notice, a report notice, a readiness
  notice, the weekly review's notices and the day's deadline reminders can be told apart in a mailbox.

Plain values only (no database, no templates): every layer that plans, stores or renders a message can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

KINDS: Final[dict[str, str]] = {
    "reply": "答复期限",
    "overdue": "答复逾期",
    "escalation": "逾期督办",
    "extension": "延期决定",
    "correction_notice": "补正告知期限",
    "correction_expired": "补正期限届满",
    "consultation": "征求意见期限",
    "fee": "缴费期限",
    "deadline_moved": "期限调整",
    "calendar_missing": "放假安排未录入",
    "item": "主动公开期限",
    "clock_error": "办理记录需核查",
    "report": "年度报告",
    "report_readiness": "年度报告准备",
    "catalogue": "公开目录",
    "review": "内容检查",
    "review_overdue": "内容检查逾期",
    "backup": "数据备份",
}
"""Every reminder kind with its Chinese label (for digests and summaries)."""

ONE_OFF_KINDS: Final = frozenset({"report", "report_readiness", "catalogue", "review", "backup"})
"""Kinds written by other flows (the annual report, the catalogue, the weekly review's notices, a failed
nightly backup): the daily plan never contains them, so it must not supersede them either (a notice that failed on Monday is still
retried on Tuesday)."""


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder due on the business date, for one or more staff members.

    ``key`` identifies the reminder across runs (the outbox sends a key once per recipient);
    ``urgency`` is 0 when the office is already late, 1 when the date it is about is today or has
    passed, otherwise 1 + the working days left; ``text`` is one line in Chinese without personal data.
    """

    key: str
    recipients: tuple[str, ...]
    kind: str
    ref: str | None
    deadline: date | None
    urgency: int
    text: str
    escalation: bool = False


OFFICE_DEADLINE_KINDS: Final = frozenset(
    {
        "overdue",
        "escalation",
        "item",
        "review",
        "review_overdue",
        "deadline_moved",
        "extension",
        "correction_notice",
    }
)
"""Kinds whose ``deadline`` is a date by which the office itself must act (see the module docstring)."""

TOPICS: Final[dict[str, str]] = {
    "catalogue": "公开目录更新",
    "report": "年度报告",
    "report_readiness": "年度报告准备",
    "review": "内容检查",
    "backup": "数据备份失败",
}
"""The topic of each kind sent by a flow other than the daily reminders; every other kind is 期限提醒."""

DAILY_TOPIC: Final = "期限提醒"
_ORDER: Final = (DAILY_TOPIC, *TOPICS.values())


def is_overdue(item: Any, as_of: date) -> bool:
    """Whether the digest line ``item`` (``kind``, ``deadline``) is late on the business date ``as_of``."""
    deadline: date | None = getattr(item, "deadline", None)
    return deadline is not None and deadline < as_of and getattr(item, "kind", "") in OFFICE_DEADLINE_KINDS


def overdue_count(items: Iterable[Any], as_of: date) -> int:
    """How many lines of a digest are late on ``as_of`` (see :func:`is_overdue`)."""
    return sum(1 for item in items if is_overdue(item, as_of))


def late_note(as_of: date, today: date) -> str:
    """``（补做：本应于 2026-10-01 运行）`` when a run for the business date ``as_of`` happens on a later ``today``
    (the service's start-up catch-up, a run by hand for a missed day), else ``""``: a quarter's catalogue update
    caught up two months late must not read as news."""
    return f"（补做：本应于 {as_of.isoformat()} 运行）" if as_of < today else ""


def topic(items: Iterable[Any]) -> str:
    """What a digest is about, from the kinds of its lines: ``公开目录更新``, ``期限提醒、内容检查``…"""
    found = {TOPICS.get(getattr(item, "kind", ""), DAILY_TOPIC) for item in items}
    return "、".join(name for name in _ORDER if name in found) or DAILY_TOPIC


__all__ = [
    "DAILY_TOPIC",
    "KINDS",
    "OFFICE_DEADLINE_KINDS",
    "ONE_OFF_KINDS",
    "TOPICS",
    "PlannedReminder",
    "is_overdue",
    "late_note",
    "overdue_count",
    "topic",
]
