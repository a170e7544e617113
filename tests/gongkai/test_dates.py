"""Date spellings (gongkai.core.dates): the fast path for ISO dates reads exactly what the patterns read."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from gongkai.core.dates import parse_date
from gongkai.core.errors import InputError

_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def _by_patterns(text: str) -> date | None:
    """The reading of the three spellings by regular expressions alone (the definition)."""
    for pattern in _PATTERNS:
        m = pattern.match(text.strip())
        if m:
            try:
                return date(*(int(g) for g in m.groups()))
            except ValueError:
                return None
    return None


PIECES = [
    "2025",
    "0000",
    "0001",
    "９９９９",
    "01",
    "1",
    "12",
    "13",
    "00",
    "+1",
    " 1",
    "1 ",
    "２",
    "29",
    "30",
    "31",
    "x1",
]


def test_iso_shaped_and_other_texts_read_as_the_patterns_read() -> None:
    texts = {f"{y}{sep}{m}{sep}{d}" for y, m, d in itertools.product(PIECES, repeat=3) for sep in "-/"}
    texts |= {"2025-W01-1", "20250124", "2025-01-24T00:00", " 2025-01-24 ", "2024-02-29", "2025-02-29", ""}
    for text in sorted(texts):
        expected = _by_patterns(text)
        if expected is None:
            with pytest.raises(InputError):
                parse_date(text)
        else:
            assert parse_date(text) == expected, text
