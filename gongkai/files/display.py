"""Plain-text tables for the terminal, aligned for Chinese (full-width) characters."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, cols: int) -> str:
    """``text`` padded with spaces to ``cols`` display columns."""
    return text + " " * max(0, cols - width(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A left-aligned table with a rule under the header."""
    cols = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, c) for h, c in zip(headers, cols, strict=True)).rstrip()]
    lines.append("  ".join("-" * c for c in cols))
    lines += ["  ".join(pad(v, c) for v, c in zip(r, cols, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)
