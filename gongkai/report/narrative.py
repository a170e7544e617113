"""The narrative sections of the annual report (一、五、六) as an office-editable file.

The file is Markdown, one ``##`` heading per section (``## 一、总体情况``, ``## 五、…``,
``## 六、…``), kept at ``$GONGKAI_HOME/report/narrative-YYYY.md``. ``gongkai report narrative``
writes a first version with data-driven defaults:

* 一 quotes the year's figures from the tables with the phrases of
  :data:`gongkai.report.stats.NARRATIVE_FIGURES`, so identity I8 holds until someone edits a number;
* 五 brings last year's problems forward for follow-up (from last year's stored report);
* 六 states the information-processing fees from the register's fee events, or 无.

What only people can write is marked ``【待填写】``: such a report can be built and previewed, but not
made final (:func:`unfinished_sections`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from gongkai.core.errors import InputError

TODO: Final = "【待填写】"
SECTIONS: Final = {"一": "一、总体情况", "五": "五、存在的主要问题及改进情况", "六": "六、其他需要报告的事项"}
_HEADING = re.compile(r"^##\s*(.+?)\s*$")
_NUMBERED = re.compile(r"^([一二三四五六七八九十]+)[、.．]")
PRE2019_ONLY: Final = ("组织领导和制度建设", "保密审查和监督检查", "推进公开情况")
"""Sections of the older (pre-2019) layout with no counterpart in 一、五、六: written under
``## 组织领导和制度建设`` etc. in the same file when that layout is used."""


SECTION_LIMIT: Final = 20_000
"""Most characters in one section written by the office (a whole report is a few thousand)."""


class NarrativeRejected(InputError):
    """Section texts that cannot be stored: ``problems`` maps each section's numeral (``一``…) to the reason."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("；".join(f"{SECTIONS.get(k, k)}：{v}" for k, v in problems.items()) + "。")
        self.problems = dict(problems)


class NarrativeChanged(InputError):
    """The narrative file changed since the text being saved was read (saved by someone else meanwhile)."""


def narrative_path(home: Path, year: int) -> Path:
    """Where the office keeps the narrative of ``year``."""
    return home / "report" / f"narrative-{year}.md"


def narrative_revision(path: Path) -> str:
    """A fingerprint of the narrative file as it is now (``""`` when there is none), to detect a change between
    reading it and saving over it."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def section_problem(text: str) -> str | None:
    """Why ``text`` cannot be one section of the narrative file, in Chinese, or None.

    A line starting with ``## `` would start another section when the file is read back; control characters
    cannot be carried by DOCX (and mean nothing on paper).
    """
    if len(text) > SECTION_LIMIT:
        return f"最多 {SECTION_LIMIT} 个字，实际为 {len(text)} 个字"
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("## "):
            return f"第 {number} 行以“## ”开头，这是章节标题的写法，会被当作另一章；请删去“## ”"
        bad = next((c for c in line if c != "\t" and unicodedata.category(c) in ("Cc", "Cs")), None)
        if bad is not None:
            return f"第 {number} 行含有不可打印的控制字符（U+{ord(bad):04X}），请删去"
    return None


def clean_section(text: str) -> str:
    """A section as typed in a form: line ends made LF, surrounding blank space removed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def write_narrative(path: Path, sections: Mapping[str, str]) -> None:
    """Write the narrative file atomically (a reader never sees half a file), owner-only like the register."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(format_narrative(sections))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_narrative(text: str) -> dict[str, str]:
    """Sections by numeral (``{"一": "...", "五": "...", "六": "..."}``) from the Markdown file.

    Text before the first heading goes to ``前言`` (the optional opening paragraph).
    """
    out: dict[str, list[str]] = {}
    key = "前言"
    for line in text.splitlines():
        m = _HEADING.match(line.strip())
        if m and line.lstrip().startswith("## "):
            title = m.group(1)
            numbered = _NUMBERED.match(title)
            # "## 五、存在的主要问题…" is section 五 of the 2021 format; "## 推进公开情况" a named section.
            key = numbered.group(1) if numbered and numbered.group(1) in SECTIONS else title
            out.setdefault(key, [])
            continue
        out.setdefault(key, []).append(line)
    return {k: "\n".join(v).strip() for k, v in out.items() if "\n".join(v).strip() or k in SECTIONS}


def format_narrative(sections: Mapping[str, str]) -> str:
    """The Markdown file for ``sections`` (the 2021 sections, then any named ones)."""
    parts = []
    if sections.get("前言"):
        parts.append(sections["前言"].strip() + "\n")
    for key, heading in SECTIONS.items():
        parts.append(f"## {heading}\n\n{sections.get(key, TODO).strip()}\n")
    for key, text in sections.items():
        if key not in SECTIONS and key != "前言":
            parts.append(f"## {key}\n\n{text.strip()}\n")
    return "\n".join(parts)


def with_pre2019_sections(sections: Mapping[str, str]) -> dict[str, str]:
    """``sections`` plus the older layout's own sections, marked to be filled where missing; the 收费及减免
    section says what section 六 says about fees."""
    out = dict(sections)
    for key in PRE2019_ONLY:
        out.setdefault(key, TODO)
    out.setdefault("收费及减免情况", sections.get("六", TODO))
    return out


def same_narrative(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """Whether two narratives say the same (sections compared without surrounding blank space; an empty section
    equals a missing one)."""

    def shape(sections: Mapping[str, str]) -> dict[str, str]:
        return {k: v.strip() for k, v in sections.items() if v.strip()}

    return shape(a) == shape(b)


def unfinished_sections(sections: Mapping[str, str]) -> list[str]:
    """Headings of the sections that are missing, empty or still contain ``【待填写】``."""
    return [
        heading
        for key, heading in SECTIONS.items()
        if not sections.get(key, "").strip() or TODO in sections[key]
    ]


def _total(doc: Mapping[str, Any], row: str) -> int:
    return int(doc["requests"][row]["total"])


def default_narrative(
    doc: Mapping[str, Any],
    *,
    office: str,
    previous_sections: Mapping[str, str] | None,
    fee_notices: int,
    fees_paid: int,
    review_sentence: str = "",
) -> dict[str, str]:
    """Data-driven first drafts of 一、五、六 for the year of ``doc`` (the CONTRACT-4 JSON).

    ``review_sentence`` (from :func:`gongkai.review.periodic.narrative_sentence`) quotes the year's content
    review figures in 一, after the proactive-disclosure paragraph.
    """
    year = doc["year"]
    r = doc["requests"]
    denied = sum(int(v["total"]) for k, v in r.items() if k.startswith("3.3."))
    unavailable = sum(int(v["total"]) for k, v in r.items() if k.startswith("3.4."))
    not_processed = sum(int(v["total"]) for k, v in r.items() if k.startswith("3.5."))
    other = sum(int(v["total"]) for k, v in r.items() if k.startswith("3.6."))
    norm = doc["proactive"]["normative_documents"]
    appeals = doc["appeals"]
    reconsideration = int(appeals["reconsideration"]["total"])
    litigation = int(appeals["litigation_direct"]["total"]) + int(
        appeals["litigation_after_reconsideration"]["total"]
    )
    one = (
        f"{year}年，{office}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
        "推进主动公开，依法办理政府信息公开申请。\n\n"
        f"主动公开方面，本年制发行政规范性文件{norm['issued']}件，废止{norm['repealed']}件，"
        f"现行有效{norm['in_force']}件。{TODO}（请补充主动公开的主要内容、平台建设和监督保障情况）\n\n"
        + (f"{review_sentence}\n\n" if review_sentence else "")
        + f"依申请公开方面，本年新收政府信息公开申请{_total(doc, '1')}件，上年结转{_total(doc, '2')}件，"
        f"办结{_total(doc, '3.7')}件，其中予以公开{_total(doc, '3.1')}件，部分公开{_total(doc, '3.2')}件，"
        f"不予公开{denied}件，无法提供{unavailable}件，不予处理{not_processed}件，其他处理{other}件；"
        f"结转下年度继续办理{_total(doc, '4')}件。"
        + (
            f"因政府信息公开被申请行政复议{reconsideration}件，被提起行政诉讼{litigation}件。"
            if reconsideration or litigation
            else "本年度未发生因政府信息公开引起的行政复议、行政诉讼。"
        )
    )
    previous_five = (previous_sections or {}).get("五", "").strip()
    if previous_five and TODO not in previous_five:
        five = (
            f"上年度报告提出的问题及整改情况：\n\n{previous_five}\n\n"
            f"对照上述问题，本年度的整改落实情况：{TODO}\n\n本年度存在的主要问题及改进措施：{TODO}"
        )
    else:
        five = f"本年度存在的主要问题及改进措施：{TODO}"
    if fee_notices:
        six = (
            f"本年度依据《政府信息公开信息处理费管理办法》发出信息处理费缴费通知{fee_notices}件，"
            f"申请人已缴费{fees_paid}件，收费金额{TODO}元。"
        )
    else:
        six = "本年度未收取信息处理费。无其他需要报告的事项。"
    return {"一": one, "五": five, "六": six}
