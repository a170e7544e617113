"""One catalogue update: entries → snapshot and diff against the last one → checks → documents.

Used by the ``catalogue-update`` flow (quarterly and on demand). The quarter checked is the one that
contains the day before ``as_of``: the run on 1 October reconciles the third quarter; a run in the
middle of a quarter checks that quarter so far.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.catalogue.documents import (
    CatalogueEntry,
    Diff,
    Finding,
    catalogue_csv,
    catalogue_xlsx,
    completeness_checks,
    diff,
    in_catalogue,
    load_entries,
    render_catalogue_html,
    render_catalogue_markdown,
    render_guide_html,
    render_guide_markdown,
    snapshot,
)
from gongkai.core.officescope import in_office
from gongkai.core.settings import Settings
from gongkai.files.render import md_code, md_escape
from gongkai.register.workcal import WorkCalendar
from gongkai.review.periodic import pii_task_key, published_text
from gongkai.review.pii import describe, find_pii
from gongkai.store.models import CatalogueSnapshot
from gongkai.store.tables import ITEM, REVIEW_TASK, SNAPSHOT


def quarter_of(as_of: date) -> tuple[str, date, date]:
    """``("2026-Q3", first day, last day)`` of the quarter containing the day before ``as_of``."""
    d = as_of - timedelta(days=1)
    q = (d.month - 1) // 3
    start = date(d.year, 3 * q + 1, 1)
    end = date(d.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return f"{d.year}-Q{q + 1}", start, end


def application_channels(settings: Settings) -> list[dict[str, str]]:
    """The channels the guide announces (in person and post always; fax and e-mail when configured)."""
    office = settings.office
    channels = [
        {
            "name": "当面提交",
            "how": f"工作时间到{office.disclosure_unit}提交书面申请：{office.address or '（未填写）'}",
        },
        {"name": "邮政寄送", "how": f"邮寄至{office.address or '（未填写）'}，信封注明“政府信息公开申请”"},
    ]
    if office.fax:
        channels.append({"name": "传真", "how": f"传真至 {office.fax}，并电话确认"})
    if office.email:
        channels.append({"name": "电子邮件", "how": f"发送至 {office.email}，以双方确认之日为收到申请之日"})
    return channels


@dataclass
class CatalogueUpdate:
    """What one update produced."""

    period: str
    as_of: date
    entries: int
    diff: Diff
    findings: list[Finding]
    files: dict[str, Path] = field(default_factory=dict)


WITHHELD_TEXT: Final = "（含个人信息，暂不公开）"
"""What the catalogue prints instead of a field that carries personal data (see :func:`withhold_personal_data`)."""


def withhold_personal_data(
    session: Session, entries: Sequence[CatalogueEntry], *, as_of: date
) -> tuple[list[CatalogueEntry], list[Finding]]:
    """The entries with every published field that carries a resident ID or mobile number (the fields and
    the scan of the content review: name, summary, document number) replaced by :data:`WITHHELD_TEXT`, and
    one ``personal_data`` finding per entry so withheld (what and where, never the number).

    A field is withheld while the finding on its numbers has no recorded outcome: the urgent review task is
    open, or the review has not seen them yet (a catalogue built between the edit and the next weekly review
    must not publish them either). Once an outcome is recorded for these numbers (``keep``: lawfully public)
    the text is printed again; ``withdraw`` takes the entry out of the catalogue, ``update`` needs the text
    fixed first.
    """
    found = {
        e.index_no: matches
        for e in entries
        if in_catalogue(e) and (matches := find_pii(published_text(e), today=as_of))
    }
    if not found:
        return list(entries), []
    ids: dict[str, int] = {}
    names = sorted(found)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        for index_no, item_id in session.execute(
            sa.select(ITEM.c.index_no, ITEM.c.id).where(in_office(session, ITEM), ITEM.c.index_no.in_(chunk))
        ):
            ids[index_no] = item_id
    decided = set(
        session.execute(
            sa.select(REVIEW_TASK.c.key).where(
                in_office(session, REVIEW_TASK), REVIEW_TASK.c.kind == "pii", REVIEW_TASK.c.status == "done"
            )
        ).scalars()
    )
    out: list[CatalogueEntry] = []
    findings: list[Finding] = []
    for e in entries:
        here = found.get(e.index_no)
        if not here or (e.index_no in ids and pii_task_key(ids[e.index_no], here) in decided):
            out.append(e)
            continue
        labels = {m.field for m in here}
        changes: dict[str, Any] = {
            name: WITHHELD_TEXT for name, label in _PUBLISHED_FIELDS if label in labels
        }
        out.append(replace(e, **changes))
        fields = "、".join(label for _name, label in _PUBLISHED_FIELDS if label in labels)
        findings.append(
            Finding(
                "personal_data",
                f"{e.index_no}：{fields}中有{describe(here)}，本期目录暂不公开该{fields}（显示为“{WITHHELD_TEXT}”）；"
                "请删除或遮盖后更新条目，或在内容检查任务中登记处理结果",
                index_no=e.index_no,
            )
        )
    return out, findings


# Entry field -> the label review.published_text gives it.
_PUBLISHED_FIELDS: Final = (("title", "名称"), ("summary", "内容概述"), ("doc_number", "文号"))


def previous_snapshot(session: Session, as_of: date) -> list[dict[str, Any]]:
    """The items of the latest stored snapshot before ``as_of`` (empty for the first update)."""
    t = SNAPSHOT.c
    row = session.execute(
        sa.select(t["items"])
        .where(in_office(session, SNAPSHOT), t.as_of < as_of)
        .order_by(t.as_of.desc(), t.id.desc())
        .limit(1)
    ).first()
    return [] if row is None else list(json.loads(row[0]))


FINDING_KINDS: Final[dict[str, str]] = {
    "missing_field": "缺少必备项",
    "overdue": "逾期未公开",
    "unreviewed": "无公开前审查记录",
    "repealed_in_force": "已废止仍显示有效",
    "guide_contact": "指南缺少联系信息",
    "personal_data": "含个人信息暂不公开",
    "matter_inactive": "标准目录事项未公开信息",
}
"""The completeness checks' finding kinds (:class:`~gongkai.catalogue.documents.Finding`) with Chinese labels."""


@dataclass(frozen=True)
class StoredUpdate:
    """A stored catalogue update without its entries: the quarter, the business date, when it was built, the
    diff (:meth:`Diff.as_dict`), the findings (:class:`Finding` as dicts) and the files written (name -> path)."""

    period: str
    as_of: date
    created_at: datetime
    diff: dict[str, Any]
    findings: list[dict[str, Any]]
    files: dict[str, str]


def latest_update(session: Session) -> StoredUpdate | None:
    """The newest stored catalogue update (latest business date, then the latest stored), or None."""
    t = SNAPSHOT.c
    row = session.execute(
        sa.select(t.period, t.as_of, t.created_at, t.diff, t.checks, t.files)
        .where(in_office(session, SNAPSHOT))
        .order_by(t.as_of.desc(), t.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return StoredUpdate(
        row.period,
        row.as_of,
        row.created_at,
        dict(json.loads(row.diff)),
        list(json.loads(row.checks)),
        {str(k): str(v) for k, v in json.loads(row.files).items()},
    )


def update_catalogue(
    session: Session, *, settings: Settings, calendar: WorkCalendar, as_of: date, out_dir: Path
) -> CatalogueUpdate:
    """Build the catalogue and guide for ``as_of``, store the snapshot with its diff and checks."""
    period, q_start, q_end = quarter_of(as_of)
    entries, withheld = withhold_personal_data(session, load_entries(session), as_of=as_of)
    current = snapshot(entries)
    changes = diff(previous_snapshot(session, as_of), current)
    office = settings.office.model_dump()
    matters = [m.model_dump() for m in settings.catalogue.matters]
    categories = [
        {"name": c, "description": settings.catalogue.description_of(c)}
        for c in settings.catalogue.all_categories
    ]
    findings = completeness_checks(
        entries,
        matters=matters,
        office=office,
        as_of=as_of,
        quarter_start=q_start,
        quarter_end=q_end,
        calendar=calendar,
    )
    findings += withheld
    channels = application_channels(settings)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    documents: dict[str, bytes] = {
        "catalogue.html": render_catalogue_html(entries, office, as_of).encode("utf-8"),
        "catalogue.md": render_catalogue_markdown(entries, office, as_of).encode("utf-8"),
        "catalogue.xlsx": catalogue_xlsx(entries),
        "catalogue.csv": catalogue_csv(entries),
        "guide.html": render_guide_html(office, categories, matters, channels).encode("utf-8"),
        "guide.md": render_guide_markdown(office, categories, matters, channels).encode("utf-8"),
    }
    files: dict[str, Path] = {}
    for name, data in documents.items():
        path = out_dir / name
        path.write_bytes(data)
        files[name] = path
    guide = {"office": office, "categories": categories, "matters": matters, "channels": channels}
    session.execute(
        sa.delete(SNAPSHOT).where(
            in_office(session, SNAPSHOT), SNAPSHOT.c.period == period, SNAPSHOT.c.as_of == as_of
        )
    )  # a re-run replaces its own day
    session.add(
        CatalogueSnapshot(
            period=period,
            as_of=as_of,
            items=json.dumps(current, ensure_ascii=False),
            guide=json.dumps(guide, ensure_ascii=False, default=str),
            diff=json.dumps(changes.as_dict(), ensure_ascii=False, default=str),
            checks=json.dumps([asdict(f) for f in findings], ensure_ascii=False, default=str),
            files=json.dumps({k: str(v) for k, v in files.items()}, ensure_ascii=False),
        )
    )
    session.flush()
    return CatalogueUpdate(period, as_of, len(current), changes, findings, files)


def summary_markdown(update: CatalogueUpdate, *, limit: int = 50) -> str:
    """The Prefect artifact: what changed since the last update and what is incomplete (every value quoted
    escaped by :func:`gongkai.files.render.md_escape`, file paths as code spans)."""
    d = update.diff.as_dict()
    lines = [
        f"## 政府信息公开目录 {md_escape(update.period)}（{update.as_of.isoformat()}）",
        "",
        f"目录条目 {update.entries} 条。",
        "",
        "| 变化 | 数量 |",
        "| --- | ---: |",
    ]
    labels = {"added": "新增", "changed": "变更", "repealed": "废止", "withdrawn": "撤下"}
    lines += [f"| {labels[k]} | {len(d.get(k, []))} |" for k in labels]
    lines += ["", f"### 完整性检查：{len(update.findings)} 项问题", ""]
    lines += [f"- {md_escape(f.message)}" for f in update.findings[:limit]]
    if len(update.findings) > limit:
        lines.append(f"- ……另有 {len(update.findings) - limit} 项")
    lines += ["", "### 文件", ""] + [f"- {md_code(p)}" for p in update.files.values()]
    return "\n".join(lines) + "\n"


def digest_text(update: CatalogueUpdate, *, public_url: str = "", late_note: str = "") -> str:
    """One line for the catalogue owner's digest: what changed, what the checks found, where the catalogue file
    is (and its public address, ``[catalogue] public_url``, when configured). ``late_note`` (see
    :func:`gongkai.core.messages.late_note`) starts it when the update is a late catch-up."""
    d = update.diff.as_dict()
    page = update.files.get("catalogue.html")
    where = f"目录文件：{page}（其他格式和指南在同一文件夹 {page.parent}）" if page is not None else ""
    if public_url:
        where += f"；网站上的公开目录：{public_url}"
    finding = update.findings[0].message.rstrip("。") if update.findings else ""
    return (
        f"{late_note}{update.period} 政府信息公开目录和指南已更新：目录 {update.entries} 条，新增 {len(d.get('added', []))}、"
        f"变更 {len(d.get('changed', []))}、废止 {len(d.get('repealed', []))}、撤下 {len(d.get('withdrawn', []))}；"
        f"完整性检查发现 {len(update.findings)} 项问题"
        + (f"（如：{finding}）" if finding else "")
        + (f"，请在 Prefect 界面（公开目录 {update.period}）查看并处理" if update.findings else "")
        + "。"
        + (f"{where}。" if where else "")
    )
