"""Date spellings accepted from staff and import files (CONTRACT section 3)."""

from __future__ import annotations

import re
from datetime import date, datetime

from gongkai.core.codes import WEEKDAYS_ZH
from gongkai.core.errors import InputError

_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
DATE_FORMS = "2025-01-24、2025/1/24 或 2025年1月24日"


def parse_date(value: object, *, field: str = "日期") -> date:
    """Parse ``2025-01-24``, ``2025/1/24`` or ``2025年1月24日`` (or a date/datetime object).

    Raises :class:`InputError` naming ``field`` and the accepted forms.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-" == text[7] and text.isascii():
        # The usual spelling (2025-01-24) without the regular expressions: in this shape
        # fromisoformat takes exactly the ASCII digits the first pattern takes. Anything else below.
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # the general path below words the refusal
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError:
                break
    raise InputError(f"“{field}”应为有效日期（如 {DATE_FORMS}），实际为“{text}”。")


def fmt(d: date | None) -> str:
    """ISO date, or an empty string."""
    return d.isoformat() if d else ""


def fmt_zh(d: date) -> str:
    """``2025年2月27日（星期四）`` for explanations and documents."""
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS_ZH[d.weekday()]}）"


def fmt_day(d: date) -> str:
    """``2025-02-27（星期四）``: the short form for reminders and lists (:func:`fmt_zh` is for documents)."""
    return f"{d.isoformat()}（{WEEKDAYS_ZH[d.weekday()]}）"
