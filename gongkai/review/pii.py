"""Personal data in text meant for publication: resident ID numbers and mobile phone numbers.

Used by the periodic content review on the published text of catalogue items (title, summary,
document number). A finding says what kind of number was found and where, never the number: the
values themselves must not travel into notifications, logs or artifacts.

What counts:

* a resident ID number (GB 11643-1999): 18 characters, 17 digits and a check character (digit or X)
  that matches the ISO 7064 MOD 11-2 check, whose birth date is a real day between 1900 and the
  scan date; not part of a longer run of digits. 18-digit numbers with a wrong check character
  (order numbers, account numbers) are not flagged. The old 15-digit numbers carry no check digit
  and are not looked for (too many false alarms);
* digits, X, + and - may be written full-width (０-９): they are read as their ASCII forms;
* a mainland mobile number: 11 digits starting 13–19, optionally written 3-4-4 with spaces or
  hyphens and optionally preceded by +86 / 86; not part of a longer run of digits. Landlines
  (0537-1234567) and service numbers (12345) are not mobile numbers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from gongkai.core.idnumber import id_check_digit

_ID_RE: Final = re.compile(r"(?<![0-9])([0-9]{17}[0-9Xx])(?![0-9])")
_MOBILE_RE: Final = re.compile(
    r"(?<![0-9])(?:\+?86[-\s]?)?(1[3-9][0-9])[-\s]?([0-9]{4})[-\s]?([0-9]{4})(?![0-9])"
)
# A text without an ASCII or full-width digit holds no number (checked before anything else: most text has none).
_ANY_DIGIT: Final = re.compile("[0-9\uff10-\uff19]")
# Full-width digits, X, plus and hyphen, and the ideographic space, as their ASCII forms: one character for
# one, so that positions stay those of the original text (Chinese documents often use full-width digits).
_HALF_WIDTH: Final = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "Ｘ": "X",
        "ｘ": "x",
        "＋": "+",
        "－": "-",
        "\u3000": " ",
    }
)

KIND_LABELS: Final[dict[str, str]] = {"id_number": "居民身份证号码", "mobile": "手机号码"}


@dataclass(frozen=True)
class PiiMatch:
    """One number found: its kind, the field it is in and its position (characters from 1)."""

    kind: str  # id_number | mobile
    field: str
    position: int
    value: str  # the normalised number: for the fingerprint only, never shown

    def where(self) -> str:
        """Where it is, without the value: ``内容概述第 12 个字符起的居民身份证号码``."""
        return f"{self.field}第 {self.position} 个字符起的{KIND_LABELS[self.kind]}"


def _valid_birth_date(digits: str, today: date) -> bool:
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def is_resident_id(text: str, today: date | None = None) -> bool:
    """Whether ``text`` is an 18-character resident ID number with a correct check character and a
    plausible birth date."""
    value = text.strip().translate(_HALF_WIDTH).upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        return False
    return id_check_digit(value[:17]) == value[17] and _valid_birth_date(value, today or date.today())


def find_pii(fields: Iterable[tuple[str, str | None]], *, today: date) -> list[PiiMatch]:
    """Every resident ID and mobile number in the ``(field label, text)`` pairs, in reading order."""
    found: list[PiiMatch] = []
    for label, raw in fields:
        if not raw or _ANY_DIGIT.search(raw) is None:
            continue
        text = raw.translate(_HALF_WIDTH)
        here: list[PiiMatch] = []
        ids: list[tuple[int, int]] = []
        for m in _ID_RE.finditer(text):
            if is_resident_id(m.group(1), today):
                here.append(PiiMatch("id_number", label, m.start() + 1, m.group(1).upper()))
                ids.append(m.span())
        for m in _MOBILE_RE.finditer(text):
            if any(lo <= m.start() < hi for lo, hi in ids):
                continue
            here.append(PiiMatch("mobile", label, m.start() + 1, "".join(m.groups())))
        found.extend(sorted(here, key=lambda m: m.position))
    return found


def fingerprint(matches: Iterable[PiiMatch]) -> str:
    """A short stable digest of the numbers found (the same numbers give the same digest; used in a
    task key so that a recorded decision holds until other numbers appear)."""
    values = sorted({f"{m.kind}:{m.value}" for m in matches})
    return hashlib.sha256("|".join(values).encode("utf-8")).hexdigest()[:16]


def describe(matches: Iterable[PiiMatch]) -> str:
    """``居民身份证号码 1 处、手机号码 2 处（内容概述第 12 个字符起…）`` — counts and places, no values."""
    listed = list(matches)
    counts = {k: sum(1 for m in listed if m.kind == k) for k in KIND_LABELS}
    parts = [f"{KIND_LABELS[k]} {n} 处" for k, n in counts.items() if n]
    places = "；".join(m.where() for m in listed[:5]) + ("等" if len(listed) > 5 else "")
    return "、".join(parts) + f"（{places}）"


__all__ = ["KIND_LABELS", "PiiMatch", "describe", "find_pii", "fingerprint", "is_resident_id"]
