"""Identity numbers: resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100).

An ID number is personal data: messages say that the value is wrong, never what it is.
"""

from __future__ import annotations

import re
from typing import Final

from gongkai.core.errors import InputError

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"
_FORM: Final = re.compile(r"^\d{17}[\dX]$")


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def resident_id_problem(value: str) -> str | None:
    """Why ``value`` is not an 18-digit resident ID number, or None when it is (never echoes it)."""
    text = value.strip().upper()
    if not _FORM.match(text):
        return "应为 18 位居民身份证号码（前 17 位为数字，末位为数字或 X），格式不正确"
    if id_check_digit(text[:17]) != text[17]:
        return "应为有效的 18 位居民身份证号码，校验位不正确（请核对是否有错字）"
    return None


_USCC_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORM: Final = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of a unified social credit code."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why ``value`` is not a unified social credit code, or None when it is."""
    text = value.strip().upper()
    if not _USCC_FORM.match(text) or uscc_check_char(text[:17]) != text[17]:
        return "应为有效的 18 位统一社会信用代码（校验位不正确或含有不允许的字符）"
    return None


def id_number_problem(value: str, applicant_type: str | None) -> str | None:
    """Check the 证件号码 of an applicant: a resident ID for a natural person; an organisation may
    give its unified social credit code or (a representative's) resident ID."""
    why = resident_id_problem(value)
    if why is None or applicant_type == "natural_person":
        return why
    if uscc_problem(value) is None:
        return None
    return "应为有效的 18 位统一社会信用代码或居民身份证号码（校验位不正确或格式不对）"


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character resident ID with a correct check digit."""
    return resident_id_problem(value) is None


def check_id_number(value: str, *, field: str = "证件号码") -> str:
    """Return the normalised ID number or raise :class:`InputError` naming ``field`` (not the value)."""
    why = resident_id_problem(value)
    if why is not None:
        raise InputError(f"“{field}”{why}（内容不予显示）。")
    return value.strip().upper()


def mask_id_number(value: str | None) -> str:
    """An ID number as lists and exports show it: the first 3 and last 2 characters, the rest ``*``
    (18 characters: ``110*************34``); a value of 5 characters or fewer entirely masked."""
    if not value:
        return ""
    text = value.strip()
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]
