"""Render the annual report from its JSON (CONTRACT section 4) and the office's narrative.

:func:`render_report` checks the whole JSON first (every figure of tables 二, 三 and 四 present and valid) and
refuses with one Chinese message naming every bad cell, then prepares plain view data and renders one of the
report templates through the single Jinja2 environment (:mod:`gongkai.files.render`):

=========  ======  ==================================  ==========================================
template   fmt     file                                what
=========  ======  ==================================  ==========================================
2021       html    ``report/annual_2021.html.j2``      the official format, for the office website
2021       md      ``report/annual_2021.md.j2``        the same, Markdown with pipe tables
pre2019    html    ``report/annual_pre2019.html.j2``   the seed office's pre-2019 layout (一…九)
=========  ======  ==================================  ==========================================

The templates print every figure through the ``figure`` / ``amount`` filters, which raise on ``None`` or any
invalid value: a template rendered without this module's checks still cannot print a blank figure.

Narrative keys (``narrative`` dict; text entered by the office, always escaped in HTML; paragraphs are separated
by a blank line, a single line break is kept as a line break):

- 2021 format: ``一`` (总体情况), ``五`` (存在的主要问题及改进情况), ``六`` (其他需要报告的事项; write ``无`` if
  there is nothing) are required; ``前言`` is optional (paragraphs after the standard opening sentence, e.g. where
  the electronic version can be downloaded).
- pre-2019 layout: ``概述`` (or else ``一``), ``组织领导和制度建设``, ``收费及减免情况``, ``保密审查和监督检查``,
  ``推进公开情况``, ``存在的主要问题及改进措施`` (or else ``五``) are required; ``主动公开情况``,
  ``依申请公开办理情况`` and ``行政复议和行政诉讼情况`` are optional text after the sentences generated from the
  tables; ``前言`` is optional as above.

Other keys are ignored (one narrative file can serve both layouts).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal, TypeGuard

from gongkai.core.errors import InputError
from gongkai.files.render import render
from gongkai.report import layout

Format = Literal["html", "md"]
TemplateName = Literal["2021", "pre2019"]

TEMPLATES: Final[dict[tuple[str, str], str]] = {
    ("2021", "html"): "report/annual_2021.html.j2",
    ("2021", "md"): "report/annual_2021.md.j2",
    ("pre2019", "html"): "report/annual_pre2019.html.j2",
}
"""(template, fmt) -> template file under ``templates/``."""

_CHART_URI: Final = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+\Z")
_MAX_PROBLEMS_SHOWN: Final = 12


class ReportDataError(InputError):
    """The report JSON or the narrative is incomplete or invalid; ``problems`` names every bad cell."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Figure:
    """One printed figure: its value, the JSON path (named in errors) and whether it is an amount in 万元."""

    value: int | float | Decimal
    path: str
    decimal: bool = False


# --- checking the JSON -------------------------------------------------------------------------------------


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_amount(value: object) -> bool:
    return (
        isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _describe(value: object) -> str:
    if value is None:
        return "为空（None）"
    return f"为 {value!r}"


class _Checker:
    """Collects every problem in the JSON, so staff see all bad cells at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def mapping(self, value: object, where: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.problems.append(f"{where}缺失或不是对象（{_describe(value)}）")
        return None

    def figure(
        self, parent: Mapping[str, Any] | None, key: str, where: str, *, decimal: bool = False
    ) -> None:
        if parent is None:
            return
        if key not in parent:
            self.problems.append(f"{where}缺失")
            return
        value = parent[key]
        if decimal and not _is_amount(value):
            self.problems.append(f"{where}应为非负的金额（万元），实际{_describe(value)}")
        elif not decimal and not _is_count(value):
            self.problems.append(f"{where}应为非负整数，实际{_describe(value)}")


def check_report_data(data: object) -> None:
    """Check the report JSON (CONTRACT section 4) before rendering.

    Every figure of tables 二, 三 (25 rows × 7 columns) and 四 must be present and a non-negative integer (the fee
    amount: a non-negative number in 万元); ``office`` a non-empty text, ``year`` an integer, ``format`` "2021".
    Unknown row ids or columns in ``requests`` are refused (a 2019-format row would otherwise be dropped
    silently). Raises :class:`ReportDataError` naming every bad cell, in Chinese.
    """
    check = _Checker()
    top = check.mapping(data, "报告数据")
    if top is None:
        raise ReportDataError("年度报告数据不是 JSON 对象。", check.problems)
    if top.get("format") != "2021":
        check.problems.append(f'“format”应为 "2021"（2021年标准格式），实际{_describe(top.get("format"))}')
    office = top.get("office")
    if not isinstance(office, str) or not office.strip():
        check.problems.append(f"“office”（机关名称）应为非空文字，实际{_describe(office)}")
    year = top.get("year")
    if not (_is_count(year) and year >= 1):
        check.problems.append(f"“year”（报告年度）应为正整数，实际{_describe(year)}")
    _check_table2(check, top)
    _check_table3(check, top)
    _check_table4(check, top)

    problems = list(dict.fromkeys(check.problems))  # a missing object is reported once, not per figure
    if problems:
        shown = "；".join(problems[:_MAX_PROBLEMS_SHOWN])
        more = len(problems) - _MAX_PROBLEMS_SHOWN
        tail = f"；另有 {more} 处" if more > 0 else ""
        raise ReportDataError(
            f"年度报告数据有 {len(problems)} 处缺失或无效，不能生成报告：{shown}{tail}。", problems
        )


def _check_table2(check: _Checker, top: Mapping[str, Any]) -> None:
    proactive = check.mapping(top.get("proactive"), "表二（“proactive”）")
    if proactive is None:
        return
    for table in layout.TABLE2:
        for row in table.rows:
            for header, path in zip(table.headers[1:], row.paths, strict=True):
                *parents, key = path.split(".")[1:]
                parent: Mapping[str, Any] | None = proactive
                for name in parents:
                    if parent is None:
                        break
                    parent = check.mapping(
                        parent.get(name), f"表二“{row.label}”（“{path.rsplit('.', 1)[0]}”）"
                    )
                check.figure(parent, key, f"表二“{row.label}”行“{header}”（“{path}”）", decimal=table.decimal)


def _check_table3(check: _Checker, top: Mapping[str, Any]) -> None:
    requests = check.mapping(top.get("requests"), "表三（“requests”）")
    if requests is None:
        return
    columns = dict(layout.APPLICANT_COLUMNS)
    for request_row in layout.TABLE3_ROWS:
        where = f"表三第“{request_row.row_id}”行（{request_row.label}）"
        cells = check.mapping(requests.get(request_row.row_id), where)
        if cells is None:
            continue
        for key, label in layout.APPLICANT_COLUMNS:
            check.figure(cells, key, f"{where}“{label}”列（“{key}”）")
        for key in cells:
            if key not in columns:
                check.problems.append(f"{where}有未知的列“{key}”")
    for row_id in requests:
        if row_id not in layout.TABLE3_ROW_IDS:
            check.problems.append(f"表三有未知的行“{row_id}”（2021年格式的行号为 1、2、3.1 … 3.7、4）")


def _check_table4(check: _Checker, top: Mapping[str, Any]) -> None:
    appeals = check.mapping(top.get("appeals"), "表四（“appeals”）")
    if appeals is None:
        return
    for block, block_label in layout.APPEAL_BLOCKS:
        cells = check.mapping(appeals.get(block), f"表四“{block_label}”（“appeals.{block}”）")
        for key, label in layout.APPEAL_RESULTS:
            check.figure(cells, key, f"表四“{block_label}·{label}”（“appeals.{block}.{key}”）")


# --- view data ---------------------------------------------------------------------------------------------


def _value_at(data: Mapping[str, Any], path: str) -> Any:
    """The value at a layout path; ``requests.<row id>.<column>`` (row ids contain dots)."""
    if path.startswith("requests."):
        row_id, column = path[len("requests.") :].rsplit(".", 1)
        return data["requests"][row_id][column]
    value: Any = data
    for key in path.split("."):
        value = value[key]
    return value


def _paragraphs(text: str) -> list[list[str]]:
    """Office text -> paragraphs (split on blank lines), each a list of lines (single line breaks kept)."""
    blocks = re.split(r"\n[ \t\u3000]*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    out: list[list[str]] = []
    for block in blocks:
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            out.append(lines)
    return out


def _md_text(text: str) -> str:
    """Office text in Markdown: HTML-significant characters as entities, so no raw HTML reaches a Markdown
    renderer; Markdown punctuation is left alone (an office may write lists)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _narrative_text(narrative: Mapping[str, object], key: str, fallback: str | None = None) -> str | None:
    for name in (key, fallback):
        if name is None or name not in narrative:
            continue
        value = narrative[name]
        if not isinstance(value, str):
            raise ReportDataError(f"报告文字“{name}”应为文字，实际{_describe(value)}。", [name])
        if value.strip():
            return value
    return None


def _required_text(
    narrative: Mapping[str, object], key: str, heading: str, fallback: str | None = None
) -> str:
    text = _narrative_text(narrative, key, fallback)
    if text is None:
        alt = f"（或“{fallback}”）" if fallback else ""
        hint = "；没有需要报告的事项时请写“无”" if key == "六" else ""
        raise ReportDataError(f"缺少“{heading}”的报告文字：请在报告文字中填写“{key}”{alt}{hint}。", [key])
    return text


def _sum_rows(data: Mapping[str, Any], prefix: str) -> int:
    return sum(int(data["requests"][r]["total"]) for r in layout.TABLE3_ROW_IDS if r.startswith(prefix))


def _view(data: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """Figures of the three tables as :class:`Figure` lists, in printed order."""
    table2 = [
        {
            "table": table,
            "rows": [
                {
                    "label": row.label,
                    "figures": [Figure(_value_at(data, p), p, table.decimal) for p in row.paths],
                }
                for row in table.rows
            ],
        }
        for table in layout.TABLE2
    ]
    table3 = [
        {
            "row": row,
            "figures": [
                Figure(_value_at(data, row.path(key)), row.path(key)) for key, _ in layout.APPLICANT_COLUMNS
            ],
        }
        for row in layout.TABLE3_ROWS
    ]
    table4 = [Figure(_value_at(data, p), p) for p in layout.TABLE4_PATHS]
    office = str(data["office"]).strip()
    return {
        "office": _md_text(office) if fmt == "md" else office,
        "year": data["year"],
        "layout": layout,
        "table2": table2,
        "table3": table3,
        "table4": table4,
    }


def _pre2019_view(data: Mapping[str, Any]) -> dict[str, Any]:
    """The figures the pre-2019 sentences quote, as :class:`Figure` values."""
    req = data["requests"]

    def fig(path: str) -> Figure:
        return Figure(_value_at(data, path), path)

    org_columns = [key for key, _ in layout.APPLICANT_COLUMNS if key not in ("natural_person", "total")]
    received_org = sum(int(req["1"][k]) for k in org_columns)
    appeals = {
        block: {key: fig(f"appeals.{block}.{key}") for key, _ in layout.APPEAL_RESULTS}
        for block, _ in layout.APPEAL_BLOCKS
    }
    return {
        "proactive": {
            "rules": {k: fig(f"proactive.rules.{k}") for k in ("issued", "repealed", "in_force")},
            "normative": {
                k: fig(f"proactive.normative_documents.{k}") for k in ("issued", "repealed", "in_force")
            },
            "licensing": fig("proactive.licensing.decisions"),
            "penalties": fig("proactive.penalties.decisions"),
            "coercion": fig("proactive.coercion.decisions"),
            "fees": Figure(_value_at(data, layout.FEE_PATH), layout.FEE_PATH, decimal=True),
            "has_rules": any(int(data["proactive"]["rules"][k]) for k in ("issued", "repealed", "in_force")),
        },
        "requests": {
            "received": fig("requests.1.total"),
            "received_natural": fig("requests.1.natural_person"),
            "received_org": Figure(received_org, "requests.1.(商业企业…其他之和)"),
            "carried_over": fig("requests.2.total"),
            "concluded": fig("requests.3.7.total"),
            "granted": fig("requests.3.1.total"),
            "partial": fig("requests.3.2.total"),
            "denied": Figure(_sum_rows(data, "3.3."), "requests.3.3.*.total"),
            "unavailable": Figure(_sum_rows(data, "3.4."), "requests.3.4.*.total"),
            "rejected": Figure(_sum_rows(data, "3.5."), "requests.3.5.*.total"),
            "other": Figure(_sum_rows(data, "3.6."), "requests.3.6.*.total"),
            "carried_forward": fig("requests.4.total"),
            "none": int(req["1"]["total"]) == 0 and int(req["2"]["total"]) == 0,
        },
        "appeals": appeals,
        "appeals_none": all(int(data["appeals"][b]["total"]) == 0 for b, _ in layout.APPEAL_BLOCKS),
        "title": f"{str(data['office']).strip()}{data['year']}{layout.PRE2019_TITLE_SUFFIX}",
    }


# --- entry point -------------------------------------------------------------------------------------------


def render_report(
    data: Mapping[str, Any],
    *,
    narrative: Mapping[str, str],
    fmt: Format,
    template: TemplateName = "2021",
    chart_data_uri: str | None = None,
) -> str:
    """Render the annual report for the website (``fmt="html"``) or as Markdown (``fmt="md"``).

    ``data`` is the report JSON (CONTRACT section 4), checked first by :func:`check_report_data`; ``narrative``
    holds the office's text by key (see the module docstring); ``template`` picks the official 2021 format or
    the seed office's pre-2019 layout (HTML only); ``chart_data_uri`` (``data:image/png;base64,…`` or SVG) is
    shown under section 三 (pre-2019: section 四) of the HTML; Markdown leaves it out.

    Raises :class:`ReportDataError` for missing or invalid figures or narrative, naming them in Chinese.
    """
    name = TEMPLATES.get((template, fmt))
    if name is None:
        raise InputError(
            f"没有“{template}”格式的“{fmt}”报告模板（可用：2021 格式的 html、md；pre2019 格式的 html）。"
        )
    check_report_data(data)
    if chart_data_uri is not None and not _CHART_URI.match(chart_data_uri):
        raise ReportDataError("统计图应为 data:image/…;base64, 形式的内嵌图片。", ["chart_data_uri"])
    if not isinstance(narrative, Mapping):
        raise ReportDataError(f"报告文字应为按章节分列的对象，实际{_describe(narrative)}。", ["narrative"])

    def shape(text: str | None) -> list[list[str]]:
        if text is None:
            return []
        paragraphs = _paragraphs(text)
        return [[_md_text(line) for line in p] for p in paragraphs] if fmt == "md" else paragraphs

    context = _view(data, fmt)
    context["preamble"] = shape(_narrative_text(narrative, layout.NARRATIVE_PREAMBLE_KEY))
    context["chart_data_uri"] = chart_data_uri if fmt == "html" else None
    if template == "2021":
        context["title"] = layout.report_title(context["office"], data["year"])
        context["narrative"] = {
            key: shape(_required_text(narrative, key, layout.SECTION_HEADINGS[key]))
            for key in layout.NARRATIVE_SECTIONS
        }
    else:
        context.update(_pre2019_view(data))
        context["narrative"] = {
            s.key: shape(
                _narrative_text(narrative, s.key)
                if s.data
                else _required_text(narrative, s.key, s.heading, s.fallback)
            )
            for s in layout.PRE2019_SECTIONS
        }
    return render(name, **context)


__all__ = ["TEMPLATES", "Figure", "ReportDataError", "check_report_data", "render_report"]
