"""The one Jinja2 environment of Gongkai (STYLE point 7).

Every document, page, notification and report is rendered through :func:`render`, so escaping, undefined
values and filters behave the same everywhere:

- templates are looked up first in the folder named by ``GONGKAI_TEMPLATES`` (when set: the office edits copies
  there without touching the installation), then in the shipped ones (:data:`TEMPLATES_DIR`);
- autoescape is on for ``.html``, ``.xml`` and ``.html.j2`` templates (every value escaped) and off for plain-text
  ones (``.txt.j2``: chat messages, email text, subjects);
- ``StrictUndefined``: a missing value is an error, never an empty cell in an official document;
- filters are registered here and nowhere else (:data:`FILTERS`).

Templates receive prepared view data (plain values, dates, lists), never live database rows.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gongkai.core import messages, shipped
from gongkai.core.dates import fmt_zh
from gongkai.core.errors import InputError

TEMPLATES_ENV: Final = "GONGKAI_TEMPLATES"
"""Environment variable naming a folder of templates searched before the shipped ones."""

TEMPLATES_DIR: Final = shipped.TEMPLATES_DIR
"""The templates shipped with Gongkai (package data of an installed wheel, or the clone's ``templates/`` folder)."""


def _zhdate(value: date) -> str:
    """``2025年2月27日（星期四）``."""
    return fmt_zh(value)


def _isodate(value: date | None) -> str:
    """``2025-02-27``; an empty string only for ``None`` (an optional date, e.g. no deadline)."""
    return value.isoformat() if value is not None else ""


def _figure(value: object, where: str = "") -> str:
    """A count printed in an official table: a non-negative integer, else an error (never an empty cell).

    ``where`` names the cell in the error message (e.g. ``requests.3.1.total``).
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        cell = f"“{where}”" if where else ""
        raise InputError(f"报告数据{cell}应为非负整数，实际为 {value!r}：表格中不能有空白或无效的数字。")
    return str(value)


def _amount(value: object, where: str = "") -> str:
    """An amount in 万元 (table 二, fees): a non-negative finite number, printed with at most 4 decimals
    (4 decimals of 万元 is one yuan) and no trailing zeros: ``0``, ``1.5``, ``12.3456``."""
    is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value < 0:  # type: ignore[arg-type,operator]
        cell = f"“{where}”" if where else ""
        raise InputError(
            f"报告数据{cell}应为非负的金额（万元），实际为 {value!r}：表格中不能有空白或无效的数字。"
        )
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# Inline Markdown syntax, escaped with a backslash wherever a value stands; and HTML's three, as entities. One
# translation does both (an entity contains no Markdown syntax), only for text that has any of them.
_MD_INLINE: Final = "\\`*_[]|~!"
_MD_SPECIAL: Final = re.compile(r"[&<>\\`*_\[\]|~!]")
_MD_ESCAPES: Final = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;"} | {ch: "\\" + ch for ch in _MD_INLINE}
)
# Block syntax counts only at the start of a line: a value that begins a list item or a line could start a heading,
# a list, a quote or a setext underline ("#", "-", "+", "=", "1." or "1)").
_MD_BLOCK_START: Final = re.compile(r"^([#+=-]|[0-9]+(?=[.)]))")


def md_escape(value: object) -> str:
    """``value`` as literal text anywhere in Markdown (a table cell, a list item, a sentence): one line, HTML
    escaped (a Markdown viewer passes raw HTML through) and Markdown syntax backslash-escaped.

    The one escape for every value Gongkai puts into Markdown it writes itself (Prefect artifacts, the
    catalogue's Markdown): index numbers, titles, staff names and reviewers' reasons are data, never markup.
    """
    text = " ".join(str(value).split())
    if _MD_SPECIAL.search(text) is not None:
        text = text.translate(_MD_ESCAPES)
    match = _MD_BLOCK_START.match(text)
    if match is not None:
        marker = match[1]
        text = marker + "\\" + text[len(marker) :] if marker[0].isdigit() else "\\" + text
    return text


def md_code(value: object) -> str:
    """``value`` as a Markdown code span (a file path, a command): shown literally, whatever it contains.

    The fence is one backtick longer than the longest run of backticks in the value, with a space on each
    side (CommonMark strips one), so a path with a backtick stays whole.
    """
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


FILTERS: Final[dict[str, Callable[..., Any]]] = {
    "zhdate": _zhdate,
    "isodate": _isodate,
    # Official report figures: a blank or invalid figure is an error, never an empty cell (STYLE point 7).
    "figure": _figure,
    "amount": _amount,
    # Values written into Markdown (templates that produce Markdown apply it to every value).
    "md": md_escape,
    # Digests: lateness from the dates, the subject's topic from the kinds (gongkai.core.messages).
    "overdue_on": messages.is_overdue,
    "overdue_count": messages.overdue_count,
    "digest_topic": messages.topic,
}
"""Every filter available to templates, by name."""


def search_path() -> tuple[Path, ...]:
    """The folders searched for templates, in order: ``GONGKAI_TEMPLATES`` (if set), then the shipped ones."""
    override = os.environ.get(TEMPLATES_ENV, "").strip()
    if override:
        return (Path(override).expanduser().resolve(), TEMPLATES_DIR)
    return (TEMPLATES_DIR,)


@lru_cache(maxsize=4)
def _environment_for(path: tuple[Path, ...]) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in path]),
        autoescape=select_autoescape(["html", "xml", "html.j2"], default_for_string=True),
        undefined=StrictUndefined,
        # Block tags on their own line leave no blank line behind: plain-text templates stay readable.
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def environment() -> Environment:
    """The Jinja2 environment for the current template search path (built on first use, then reused)."""
    return _environment_for(search_path())


def render(name: str, **context: Any) -> str:
    """Render the template ``name`` (e.g. ``"notifications/digest.txt.j2"``) with ``context``.

    Raises ``jinja2.TemplateNotFound`` for an unknown name and ``jinja2.UndefinedError`` for a value the template
    uses but ``context`` does not give.
    """
    return environment().get_template(name).render(**context)


__all__ = [
    "FILTERS",
    "TEMPLATES_DIR",
    "TEMPLATES_ENV",
    "environment",
    "md_code",
    "md_escape",
    "render",
    "search_path",
]
