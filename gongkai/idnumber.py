"""Chinese resident ID numbers (GB 11643-1999): the check digit, and where they may appear.

An ID number is personal data: messages say that the value is wrong, never what it is.
"""

from __future__ import annotations

import re
from typing import Final

from gongkai.errors import InputError

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"
_SHAPE: Final = re.compile(r"^[1-9]\d{16}[\dX]$")


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character resident ID with a correct check digit."""
    v = value.strip().upper()
    return bool(_SHAPE.match(v)) and id_check_digit(v[:17]) == v[17]


def check_id_number(value: str, *, field: str = "证件号码") -> str:
    """Return the normalised ID number or raise :class:`InputError` (without echoing it)."""
    if not is_valid_id_number(value):
        raise InputError(f"“{field}”不是有效的18位居民身份证号码（校验位不符或格式不对；内容不予显示）。")
    return value.strip().upper()
