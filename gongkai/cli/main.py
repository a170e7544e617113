"""The ``gongkai`` command line (CONTRACT section 1).

Messages for staff are in Chinese. Domain code raises :class:`gongkai.core.errors.GongkaiError`; only
this module turns it into a message and an exit status (0 ok, 1 problems found, 2 bad input or
configuration). Heavy modules (SQLAlchemy, pydantic, openpyxl, Prefect) are imported inside the
commands that need them, so ``gongkai --help`` and ``gongkai deadline`` start fast.
"""

from __future__ import annotations

import getpass
import importlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gongkai.core.errors import GongkaiError, ImportRejected, InputError

if TYPE_CHECKING:
    from gongkai.core.settings import Settings
    from gongkai.services import processes
    from gongkai.services.actor import Actor
    from gongkai.services.applications import ApplicationView, Clock
    from gongkai.services.office import Office

F = TypeVar("F", bound=Callable[..., Any])


def _echo(text: str = "") -> None:
    click.echo(text)


def _fail(err: GongkaiError) -> None:
    click.echo(f"错误：{err}", err=True)
    if isinstance(err, ImportRejected):
        for line in err.problems:
            click.echo(f"  - {line}", err=True)
    sys.exit(err.exit_code)


class _Group(click.Group):
    """Turns domain errors raised anywhere below into a Chinese message and exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GongkaiError as err:
            _fail(err)


def _parse_as_of(value: str | None) -> date | None:
    """The ``--as-of`` date given, or None (the services then take today in the office's zone)."""
    from gongkai.core.dates import parse_date

    return parse_date(value, field="--as-of") if value else None


@dataclass
class Ctx:
    """What commands share: the config path and the office given on the command line."""

    config: str | None
    office: str | None = None
    fallback_said: bool = False
    """Whether the use of the shipped demo configuration has been said (once per command)."""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    metavar="PATH",
    help="配置文件（默认 $GONGKAI_CONFIG 或 config/gongkai.toml；当前文件夹没有 config/ 时用内置的演示配置）；"
    "也可以是配置文件夹（多个单位：每个单位一个 .toml 文件，共用的设置写在 county.toml）。",
)
@click.option(
    "--office",
    "office",
    metavar="CODE",
    help="单位代码（[office] code；默认 $GONGKAI_OFFICE）：配置文件夹中有多个单位时指定本次处理哪个单位。",
)
@click.version_option(package_name="gongkai")
@click.pass_context
def main(ctx: click.Context, config: str | None, office: str | None) -> None:
    """Gongkai（公开）：政府信息公开工作 —— 期限计算、申请登记、提醒、目录与年度报告。"""
    ctx.obj = Ctx(config=config, office=office)


# -- shared plumbing ---------------------------------------------------------------------------


def _settings(ctx: click.Context) -> Settings:
    from gongkai.core.settings import DEFAULT_CONFIG_PATH, falls_back_to_demo, load_settings
    from gongkai.core.shipped import DEMO_CONFIG

    shared = ctx.find_object(Ctx)
    explicit = shared.config if shared is not None else None
    office = shared.office if shared is not None else None
    if falls_back_to_demo(explicit) and not (shared is not None and shared.fallback_said):
        click.echo(
            f"未找到 {DEFAULT_CONFIG_PATH.as_posix()}（当前文件夹 {Path.cwd()}），也未用 --config 或环境变量 "
            f"GONGKAI_CONFIG 指定配置文件：使用内置的演示配置（演示单位，虚构数据）{DEMO_CONFIG}；正式使用时请把它复制为"
            f"本文件夹的 {DEFAULT_CONFIG_PATH.as_posix()}，按其中的说明改为本单位的配置。",
            err=True,
        )
        if shared is not None:
            shared.fallback_said = True
    return load_settings(explicit, office)


@contextmanager
def _env(ctx: click.Context, as_of: str | None = None, *, records: bool = False) -> Iterator[Office]:
    """The office's register opened for work (:func:`gongkai.services.office.open_office`). ``records``: the
    command sends or records, so a business date after today is refused before anything starts."""
    from gongkai.services.office import open_office

    settings = _settings(ctx)
    with open_office(settings, _parse_as_of(as_of), records=records) as office:
        yield office


def _actor(office: Office, by: str | None) -> Actor:
    """Who acts: the staff member ``--by``/``$GONGKAI_USER`` names (their roles apply), else the operator."""
    from gongkai.services.actor import Actor

    return Actor.terminal(office.settings, _who(by))


def _who(by: str | None) -> str:
    return by or os.environ.get("GONGKAI_USER") or getpass.getuser()


def _as_of_option(f: F) -> F:
    return click.option(
        "--as-of", "as_of", metavar="YYYY-MM-DD", help="按哪一天计算（默认：本单位时区的今天）。"
    )(f)


def _by_option(f: F) -> F:
    return click.option(
        "--by",
        metavar="STAFF_ID",
        help="登记人（默认 $GONGKAI_USER 或系统用户名）；是配置文件中的工作人员编号时按其角色授权（如批准延期须为负责人）。",
    )(f)


# -- init --------------------------------------------------------------------------------------


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """创建或升级数据库，并检查配置文件；有工作人员的通知环境变量未设置时逐条说明并以退出码 1 结束。"""
    from gongkai.services.office import initialise

    settings = _settings(ctx)
    found = initialise(settings, os.environ)
    kind = "演示登记簿（演示单位的虚构数据）" if found.demo else "本单位登记簿"
    merged = settings.folder / "county.toml" if settings.folder is not None else None
    about = (f"并入 {merged}；" if merged is not None and merged.is_file() else "") + (
        f"单位代码 {settings.office.code}，" if settings.folder is not None else ""
    )
    _echo(f"配置检查通过：{found.config_path}（{about}{found.office_name}，工作人员 {found.staff} 名）。")
    _echo(f"数据库已就绪：{found.database}（结构版本 {found.schema}，{kind}）。")
    for line in found.unset_notify:
        click.echo(f"注意：{line}。", err=True)
    if found.unset_notify:
        # Ran, and found problems (exit 1): reminders for these people would fail at the first send.
        sys.exit(1)


# -- deadline ----------------------------------------------------------------------------------


@main.command()
@click.option("--received", required=True, metavar="YYYY-MM-DD", help="收到申请之日（《条例》第三十一条）。")
@click.option("--channel", metavar="CH", help="申请方式：in_person|post|letter|online|fax（或中文）。")
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="KIND:DATE[:N]",
    help="事件，可重复，如 correction_requested:2025-02-05、extension_approved:2025-02-20:10。",
)
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（字段见 docs/formats.md）。")
def deadline(
    received: str, channel: str | None, events: tuple[str, ...], as_of: str | None, as_json: bool
) -> None:
    """期限计算器：一件申请的各项期限（无需数据库）。"""
    from gongkai.core.clockseam import office_today
    from gongkai.core.codes import find_channel
    from gongkai.core.dates import parse_date
    from gongkai.services.calculator import calculate_deadline, parse_event

    received_on = parse_date(received, field="--received")
    ch = None
    if channel:
        ch = find_channel(channel)
        if ch is None:
            raise InputError(
                f"--channel “{channel}”无效，应为 in_person、post、letter、online、fax 或 当面、邮寄、平常信函、网络、传真。"
            )
    evs = [parse_event(e) for e in events]
    result = calculate_deadline(received_on, evs, as_of=_parse_as_of(as_of) or office_today(), channel=ch)
    if result.note:
        click.echo(f"提示：{result.note}", err=True)
    if as_json:
        _echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    _print_clock(result.clock)


def _print_clock(clock: Clock) -> None:
    from gongkai.core.codes import STATES

    flag = "（暂定）" if clock.provisional else ""
    _echo(f"状态：{STATES[clock.state]}")
    _echo(f"法定答复期限：{clock.due}{flag}")
    _echo(f"从严提醒期限：{clock.safe_due}{flag}")
    _echo(f"补正告知期限：{clock.correction_notice_due}")
    _echo(f"延期最迟可至：{clock.extension_limit}{'（暂定）' if clock.extension_limit_provisional else ''}")
    if clock.paused_working_days:
        _echo(f"暂停计时：{clock.paused_working_days} 个工作日")
    _echo("计算过程：")
    for line in clock.explain:
        _echo(f"  {line}")
    for w in clock.warnings:
        _echo(f"  注意：{w}")


# -- request -----------------------------------------------------------------------------------


@main.group(cls=_Group)
def request() -> None:
    """依申请公开：申请登记、事件、列表、详情、导入。"""


@request.command("add")
@click.option("--ref", metavar="REF", help="编号（默认按年份自动编号，如 2026-0042）。")
@click.option("--received", required=True, metavar="YYYY-MM-DD", help="收到申请之日（第三十一条）。")
@click.option("--channel", metavar="CH", help="申请方式：当面|邮寄|平常信函|网络|传真（或英文代码）。")
@click.option(
    "--applicant-type",
    required=True,
    metavar="TYPE",
    help="申请人类型：自然人|商业企业|科研机构|社会公益组织|法律服务机构|其他。",
)
@click.option("--applicant-name", required=True, metavar="NAME", help="申请人姓名或名称（个人信息）。")
@click.option("--contact", metavar="TEXT", help="联系方式（个人信息）。")
@click.option("--id-number", metavar="ID", help="证件号码（个人信息）。")
@click.option("--content", required=True, metavar="TEXT", help="申请内容。")
@click.option("--assignee", metavar="STAFF_ID", help="承办人（配置文件中的工作人员编号）。")
@click.option(
    "--arrived-at",
    metavar="'YYYY-MM-DD HH:MM'",
    help="技术到达时间（网上、传真、平常信函到达本机关的时间，本单位时区）；与 --received 不同时填写。",
)
@_as_of_option
@_by_option
@click.pass_context
def request_add(
    ctx: click.Context,
    ref: str | None,
    received: str,
    channel: str | None,
    applicant_type: str,
    applicant_name: str,
    contact: str | None,
    id_number: str | None,
    content: str,
    assignee: str | None,
    arrived_at: str | None,
    as_of: str | None,
    by: str | None,
) -> None:
    """登记一件新申请。"""
    from gongkai.core.codes import find_applicant_type, find_channel
    from gongkai.core.dates import parse_date
    from gongkai.core.idnumber import check_id_number
    from gongkai.services.applications import register_application

    received_on = parse_date(received, field="--received")
    atype = find_applicant_type(applicant_type)
    if atype is None:
        raise InputError(
            "--applicant-type 应为 自然人、商业企业、科研机构、社会公益组织、法律服务机构 或 其他。"
        )
    ch = None
    if channel:
        ch = find_channel(channel)
        if ch is None:
            raise InputError("--channel 应为 当面、邮寄、平常信函、网络 或 传真。")
    if id_number:
        check_id_number(id_number, field="--id-number")
    with _env(ctx, as_of, records=True) as env:
        done = register_application(
            env,
            _actor(env, by),
            ref=ref,
            received_on=received_on,
            applicant_type=atype,
            applicant_name=applicant_name,
            content=content,
            channel=ch,
            contact=contact,
            id_number=id_number,
            assignee=assignee,
            arrived_at=_parse_arrival(arrived_at, env.settings.tz) if arrived_at else None,
        )
    clock = done.clock
    flag = "（暂定）" if clock.provisional else ""
    _echo(f"已登记申请 {done.ref}：从严提醒期限 {clock.safe_due}{flag}，法定答复期限 {clock.due}{flag}。")


def _parse_arrival(text: str, tz: Any) -> datetime:
    """``YYYY-MM-DD HH:MM`` in the office's time zone, as an aware datetime."""
    try:
        naive = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise InputError(f"--arrived-at 应为“YYYY-MM-DD HH:MM”格式的时间，实际为“{text}”。") from None
    return naive.replace(tzinfo=tz)


def _event_help() -> str:
    from gongkai.core.codes import OUTCOMES

    rows = "\n".join(f"  {o.row:<6} {o.code:<27} {o.label}" for o in OUTCOMES)
    return (
        "为申请登记一个事件，如 correction_requested:2025-02-05 或 replied:2025-03-01:granted。\n\n"
        "答复（replied）须写明办理结果：年度报告表三的行号、代码或标准名称均可：\n\n"
        f"\b\n{rows}"
    )


@request.command(
    "event", help=_event_help(), short_help="为申请登记一个事件（补正、征求意见、延期、答复等）。"
)
@click.argument("ref")
@click.argument("event_spec", metavar="KIND:DATE[:PARAM]")
@click.option("--note", metavar="TEXT", help="备注。")
@_as_of_option
@_by_option
@click.pass_context
def request_event(
    ctx: click.Context, ref: str, event_spec: str, note: str | None, as_of: str | None, by: str | None
) -> None:
    from gongkai.core.codes import EVENT_KINDS, STATES
    from gongkai.services.applications import parse_event, record_event

    event = parse_event(event_spec)
    with _env(ctx, as_of, records=True) as env:
        clock = record_event(env, _actor(env, by), ref, event, note=note).clock
    flag = "（暂定）" if clock.provisional else ""
    _echo(
        f"已登记 {ref}：{EVENT_KINDS[event.kind]}（{event.on}）。当前状态：{STATES[clock.state]}；"
        f"法定答复期限 {clock.due}{flag}。"
    )
    for w in clock.warnings:
        _echo(f"注意：{w}")


@request.command("list")
@click.option(
    "--due-within", type=int, metavar="N", help="只列出距从严期限不超过 N 个工作日（含已超期）的未办结申请。"
)
@click.option(
    "--state",
    type=click.Choice(
        ["received", "awaiting_correction", "in_progress", "paused", "replied", "abandoned", "withdrawn"]
    ),
    help="只列出该状态。",
)
@click.option("--all", "include_closed", is_flag=True, help="包括已办结的申请。")
@click.option("--year", type=int, metavar="YYYY", help="只列出该年收到的申请。")
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.pass_context
def request_list(
    ctx: click.Context,
    due_within: int | None,
    state: str | None,
    include_closed: bool,
    year: int | None,
    as_of: str | None,
    as_json: bool,
) -> None:
    """列出申请及其期限（默认：未办结的，最急的在前）。"""
    from gongkai.services.applications import list_applications

    with _env(ctx, as_of) as env:
        items = list_applications(
            env,
            _actor(env, None),
            include_closed=include_closed,
            state=state,
            due_within=due_within,
            year=year,
            explain=as_json,
        )
    if as_json:
        _echo(json.dumps([a.to_json() for a in items], ensure_ascii=False, indent=2))
        return
    _echo(_list_table(items, env.as_of))


def _list_table(items: list[ApplicationView], as_of: date) -> str:
    from gongkai.core.codes import STATES
    from gongkai.files.display import table

    rows = []
    for app in items:
        c = app.clock
        notes = []
        if c.overdue:
            notes.append("已超期")
        if c.provisional:
            notes.append("暂定")
        if c.extended:
            notes.append("已延期")
        left = "" if c.working_days_left is None else str(c.working_days_left)
        rows.append(
            [
                app.ref,
                STATES[c.state],
                str(app.received_on),
                str(c.safe_due),
                str(c.due),
                left,
                app.assignee or "",
                "、".join(notes),
            ]
        )
    head = ["编号", "状态", "收到日期", "从严期限", "法定期限", "剩余工作日", "承办人", "备注"]
    summary = f"截至 {as_of}：共 {len(items)} 件"
    return (table(head, rows) + "\n" + summary) if rows else summary + "。"


@request.command("show")
@click.argument("ref")
@_as_of_option
@click.option(
    "--json", "as_json", is_flag=True, help="输出 JSON（期限字段见 docs/formats.md，不含个人信息）。"
)
@click.pass_context
def request_show(ctx: click.Context, ref: str, as_of: str | None, as_json: bool) -> None:
    """显示一件申请：登记信息、事件记录和期限计算过程。"""
    from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, EVENT_KINDS, OUTCOME_BY_ROW
    from gongkai.core.idnumber import mask_id_number
    from gongkai.services.applications import application_detail

    with _env(ctx, as_of) as env:
        app = application_detail(env, _actor(env, None), ref)
    if as_json:
        _echo(json.dumps(app.to_json(), ensure_ascii=False, indent=2))
        return
    view = app.view
    _echo(f"编号：{view.ref}")
    _echo(f"收到日期：{view.received_on}（{CHANNELS.get(view.channel or '', '申请方式未登记')}）")
    if app.arrived_at is not None:
        _echo(f"到达时间：{app.arrived_at.astimezone(env.settings.tz):%Y-%m-%d %H:%M}")
    _echo(f"申请人类型：{APPLICANT_TYPES[view.applicant_type]}")
    _echo(
        f"申请人：{app.applicant_name}    联系方式：{app.applicant_contact or ''}    "
        f"证件号码：{mask_id_number(app.applicant_id_number)}"
    )
    _echo(f"申请内容：{app.content}")
    _echo(f"承办人：{view.assignee or '未指定'}")
    if app.outcome_row:
        _echo(f"办理结果：{app.outcome_row} {OUTCOME_BY_ROW[app.outcome_row].label}")
    _echo("事件记录：")
    if not app.events:
        _echo("  （无）")
    for r in app.events:
        extra = f" {r.days}个工作日" if r.days else (f" 至 {r.until}" if r.until else "")
        outcome = f" {r.outcome}" if r.outcome else ""
        _echo(
            f"  {r.occurred_on}  {EVENT_KINDS.get(r.kind, r.kind)}{extra}{outcome}"
            f"（{r.recorded_by} 登记于 {r.recorded_at:%Y-%m-%d %H:%M}）"
        )
    _print_clock(app.clock)


@request.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_as_of_option
@_by_option
@click.pass_context
def request_import(ctx: click.Context, file: Path, as_of: str | None, by: str | None) -> None:
    """导入申请登记簿（CSV 或 XLSX；全部正确才写入，有误则一行也不写入并列出每个错误行）。"""
    from gongkai.services.applications import import_register

    with _env(ctx, as_of, records=True) as env:
        result = import_register(env, _actor(env, by), file)
    _echo(
        f"已导入 {result.file}（{result.encoding}）：共 {result.rows} 行，新登记 {result.inserted} 件，"
        f"追加事件 {result.events_added} 条，未变化 {result.unchanged} 件。"
    )


# -- item (proactive disclosure) ---------------------------------------------------------------


@main.group(cls=_Group)
def item() -> None:
    """主动公开信息（公开目录条目）：登记、列表、详情、导入、审核记录、变更记录。"""


@item.command("add")
@click.option("--index-no", required=True, metavar="NO", help="索引号（本单位内唯一）。")
@click.option("--title", required=True, metavar="TEXT", help="名称。")
@click.option("--summary", default="", metavar="TEXT", help="内容概述。")
@click.option(
    "--generated", required=True, metavar="YYYY-MM-DD", help="生成（形成）日期，第二十六条期限由此起算。"
)
@click.option(
    "--category",
    required=True,
    metavar="C",
    help="类别：第二十条的类别（如 规范性文件、机构职能）或配置中的类别。",
)
@click.option("--doc-number", metavar="TEXT", help="文号。")
@click.option("--issuing-body", metavar="TEXT", help="发布机构。")
@click.option("--five-publics", metavar="X", help="五公开：决策|执行|管理|服务|结果。")
@click.option(
    "--attribute",
    default="主动公开",
    show_default=True,
    metavar="A",
    help="公开属性：主动公开|依申请公开|不予公开。",
)
@click.option("--reason", metavar="TEXT", help="不予公开的法律依据（公开属性为不予公开时必填）。")
@click.option("--valid-from", metavar="YYYY-MM-DD", help="生效日期。")
@click.option(
    "--valid-until", metavar="YYYY-MM-DD", help="有效期至（最后一天有效；定期检查据此提示有效期届满）。"
)
@click.option("--published", metavar="YYYY-MM-DD", help="公开日期。")
@click.option("--channel", metavar="TEXT", help="公开渠道。")
@click.option("--url", metavar="URL", help="网址。")
@click.option("--owner", metavar="STAFF_ID", help="负责人（配置文件中的工作人员编号）。")
@_as_of_option
@_by_option
@click.pass_context
def item_add(
    ctx: click.Context,
    index_no: str,
    title: str,
    summary: str,
    generated: str,
    category: str,
    doc_number: str | None,
    issuing_body: str | None,
    five_publics: str | None,
    attribute: str,
    reason: str | None,
    valid_from: str | None,
    valid_until: str | None,
    published: str | None,
    channel: str | None,
    url: str | None,
    owner: str | None,
    as_of: str | None,
    by: str | None,
) -> None:
    """登记一条主动公开信息。"""
    from gongkai.core.dates import parse_date
    from gongkai.services.items import add_item, find_attribute, find_five_publics

    attr = find_attribute(attribute)
    if attr is None:
        raise InputError("--attribute 应为 主动公开、依申请公开 或 不予公开。")
    five = None
    if five_publics:
        five = find_five_publics(five_publics)
        if five is None:
            raise InputError("--five-publics 应为 决策、执行、管理、服务 或 结果。")
    generated_on = parse_date(generated, field="--generated")
    valid_from_on = parse_date(valid_from, field="--valid-from") if valid_from else None
    valid_until_on = parse_date(valid_until, field="--valid-until") if valid_until else None
    published_on = parse_date(published, field="--published") if published else None
    with _env(ctx, as_of, records=True) as env:
        new = add_item(
            env,
            _actor(env, by),
            index_no=index_no,
            title=title,
            summary=summary,
            generated_on=generated_on,
            category=category,
            doc_number=doc_number,
            issuing_body=issuing_body,
            five_publics=five,
            attribute=attr,
            attribute_reason=reason,
            valid_from=valid_from_on,
            valid_until=valid_until_on,
            published_on=published_on,
            channel=channel,
            url=url,
            owner=owner,
        )
    due = new.publication_due
    tail = f"第二十六条公开期限 {due}。" if due else "无待公开期限。"
    _echo(f"已登记主动公开信息 {new.index_no}：{tail}")


@item.command("list")
@click.option("--unpublished", is_flag=True, help="只列出待公开的（未公开，或公开后又有变更）。")
@click.option("--category", metavar="C", help="只列出该类别。")
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.pass_context
def item_list(
    ctx: click.Context, unpublished: bool, category: str | None, as_of: str | None, as_json: bool
) -> None:
    """列出主动公开信息及其第二十六条公开期限。"""
    from gongkai.files.display import table
    from gongkai.services.items import list_catalogue_items

    with _env(ctx, as_of) as env:
        rows = list_catalogue_items(env, _actor(env, None), unpublished=unpublished, category=category)
    day = env.as_of
    if as_json:
        _echo(json.dumps([it.to_json() for it in rows], ensure_ascii=False, indent=2))
        return
    body = []
    for it in rows:
        f, d = it.fields, it.publication_due
        body.append(
            [
                f["index_no"],
                f["title"][:30],
                f["category"],
                f["generated_on"],
                f["published_on"] or "",
                str(d or ""),
                "已逾期" if d is not None and d < day else "",
            ]
        )
    head = ["索引号", "名称", "类别", "生成日期", "公开日期", "公开期限", "备注"]
    summary = f"截至 {day}：共 {len(rows)} 条"
    _echo((table(head, body) + "\n" + summary) if body else summary + "。")


@item.command("show")
@click.argument("index_no")
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（含审核记录、变更记录和公开期限）。")
@click.pass_context
def item_show(ctx: click.Context, index_no: str, as_of: str | None, as_json: bool) -> None:
    """显示一条主动公开信息：登记信息、审核记录、变更记录、定期检查记录和第二十六条公开期限。"""
    from gongkai.services.items import item_detail, item_vocabularies

    with _env(ctx, as_of) as env:
        detail = item_detail(env, _actor(env, None), index_no)
    if as_json:
        _echo(json.dumps(detail.to_json(), ensure_ascii=False, indent=2))
        return
    attributes, validities, results = item_vocabularies()
    it = detail.to_json()
    _echo(f"索引号：{it['index_no']}")
    _echo(f"名称：{it['title']}")
    _echo(f"内容概述：{it['summary'] or '（空）'}")
    _echo(
        f"类别：{it['category']}{'（第二十条第' + it['art20_item'] + '项）' if it['art20_item'] else ''}    "
        f"五公开：{it['five_publics'] or '未标注'}"
    )
    _echo(f"生成日期：{it['generated_on']}    变更日期：{it['changed_on'] or '无'}")
    _echo(f"文号：{it['doc_number'] or ''}    发布机构：{it['issuing_body'] or ''}")
    reason = f"（{it['attribute_reason']}）" if it["attribute_reason"] else ""
    _echo(
        f"公开属性：{attributes.get(it['attribute'], it['attribute'])}{reason}    "
        f"有效性：{validities.get(it['validity'], it['validity'])}"
    )
    if it["valid_from"] or it["valid_until"] or it["repealed_on"]:
        _echo(
            f"生效日期：{it['valid_from'] or '未填'}    有效期至：{it['valid_until'] or '未填'}    "
            f"废止日期：{it['repealed_on'] or '无'}"
        )
    _echo(
        f"公开日期：{it['published_on'] or '未公开'}    渠道：{it['channel'] or ''}    网址：{it['url'] or ''}"
    )
    if it["withdrawn_on"]:
        _echo(f"撤下日期：{it['withdrawn_on']}")
    _echo(f"第二十六条公开期限：{it['publication_due'] or '无（已公开且其后无变更，或非主动公开）'}")
    reviews, changes = it["reviews"], it["changes"]
    _echo("审核记录：" if reviews else "审核记录：（无）")
    for r in reviews:
        extra = f"，依据：{r['legal_ground']}" if r["legal_ground"] else ""
        referral = "，已移送" if r["referral"] else ""
        _echo(
            f"  {r['reviewed_on']}  {r['reviewer']}：{results.get(r['result'], r['result'])}{extra}{referral}"
            f"（{r['recorded_by']} 登记）"
        )
    _echo("变更记录：" if changes else "变更记录：（无）")
    for ch in changes:
        _echo(f"  {ch['changed_on']}  {ch['what']}（{ch['recorded_by']} 登记）")
    checks = detail.content_reviews
    _echo("定期检查记录：" if checks else "定期检查记录：（无）")
    for rec in checks:
        _echo(
            f"  {rec.reviewed_on}  任务 #{rec.task_id}【{rec.kind_label}】{rec.reviewer}："
            f"{rec.outcome_label}，{rec.reason}（{rec.recorded_by} 登记）"
        )


@item.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_as_of_option
@_by_option
@click.pass_context
def item_import(ctx: click.Context, file: Path, as_of: str | None, by: str | None) -> None:
    """导入主动公开信息（CSV 或 XLSX；全部正确才写入，有误则一行也不写入并列出每个错误行）。"""
    from gongkai.services.items import import_catalogue_items

    with _env(ctx, as_of, records=True) as env:
        result = import_catalogue_items(env, _actor(env, by), file)
    _echo(
        f"已导入 {result.file}（{result.encoding}）：共 {result.rows} 行，新登记 {result.inserted} 条，"
        f"更新 {result.updated} 条，未变化 {result.unchanged} 条；变更记录 {result.changes} 条，审核记录 {result.reviews} 条。"
    )


@item.command("review")
@click.argument("index_no")
@click.option("--reviewer", required=True, metavar="NAME", help="审核人。")
@click.option("--date", "on", required=True, metavar="YYYY-MM-DD", help="审核日期。")
@click.option(
    "--result",
    required=True,
    metavar="R",
    help="审核结果：同意公开|删除（处理）后公开|不予公开（或 publish|publish_redacted|withhold）。",
)
@click.option("--legal-ground", metavar="TEXT", help="不予公开的法律依据（不予公开时必填）。")
@click.option("--referral", is_flag=True, help="已报请有关主管部门或保密行政管理部门确定。")
@click.option("--note", metavar="TEXT", help="备注。")
@_by_option
@click.pass_context
def item_review(
    ctx: click.Context,
    index_no: str,
    reviewer: str,
    on: str,
    result: str,
    legal_ground: str | None,
    referral: bool,
    note: str | None,
    by: str | None,
) -> None:
    """登记公开前审查记录（条例第十七条）。"""
    from gongkai.core.dates import parse_date
    from gongkai.services.items import review_item

    day = parse_date(on, field="--date")
    with _env(ctx) as env:
        done = review_item(
            env,
            _actor(env, by),
            index_no,
            reviewer=reviewer,
            reviewed_on=day,
            result=result,
            legal_ground=legal_ground,
            referral=referral,
            note=note,
        )
    _echo(f"已登记 {index_no} 的审核记录：{done.reviewed_on} {done.reviewer} {done.result_label}。")


@item.command("change")
@click.argument("index_no")
@click.option(
    "--date", "on", required=True, metavar="YYYY-MM-DD", help="变更日期（新的 20 个工作日公开期限由此起算）。"
)
@click.option("--what", required=True, metavar="TEXT", help="变更了什么，例如“办公时间调整”。")
@_as_of_option
@_by_option
@click.pass_context
def item_change(
    ctx: click.Context, index_no: str, on: str, what: str, as_of: str | None, by: str | None
) -> None:
    """登记信息变更（第二十六条：自变更之日起 20 个工作日内公开）。"""
    from gongkai.core.dates import parse_date
    from gongkai.services.items import change_item

    day = parse_date(on, field="--date")
    with _env(ctx, as_of, records=True) as env:
        due = change_item(env, _actor(env, by), index_no, changed_on=day, what=what).publication_due
    tail = f"变更后的信息应于 {due} 前公开。" if due else "该信息目前无待公开期限。"
    _echo(f"已登记 {index_no} 的变更（{day}）：{tail}")


# -- calendar ----------------------------------------------------------------------------------


@main.group(cls=_Group)
def calendar() -> None:
    """工作日日历：查看某年安排，导入国务院办公厅公布的放假安排。"""


@calendar.command("show")
@click.argument("year", type=int)
@click.pass_context
def calendar_show(ctx: click.Context, year: int) -> None:
    """显示某年的放假和调休上班安排、来源以及每月工作日数。"""
    from gongkai.core.codes import WEEKDAYS_ZH
    from gongkai.services.workcalendar import calendar_year

    s = calendar_year(year)
    _echo(f"{year} 年：{'已公布' if s.announced else '未公布（暂定）'}；来源：{s.source}")
    _echo("放假：")
    for d, n in s.days_off:
        _echo(f"  {d} {WEEKDAYS_ZH[d.weekday()]}  {n}")
    _echo("调休上班：" + ("" if s.makeup_workdays else "无"))
    for d, n in s.makeup_workdays:
        _echo(f"  {d} {WEEKDAYS_ZH[d.weekday()]}  {n}")
    _echo("每月工作日：" + "，".join(f"{m}月 {n}" for m, n in enumerate(s.workdays_per_month, start=1)))


@calendar.command("import", short_help="导入某年放假安排，重新计算暂定期限并列出变化。")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", metavar="TEXT", help="来源，如“国务院办公厅关于2027年部分节假日安排的通知”。")
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help="缺少某个法定节假日（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节）的安排也导入（默认拒绝）。",
)
@_as_of_option
@_by_option
@click.pass_context
def calendar_import(
    ctx: click.Context,
    file: Path,
    source: str | None,
    allow_incomplete: bool,
    as_of: str | None,
    by: str | None,
) -> None:
    """导入放假安排（列：日期、类型 off|makeup_workday、名称）；文件中出现的每一年按完整安排替换，
    并重新计算所有暂定期限，列出发生变化的期限。缺少法定节假日的年份默认拒绝导入。"""
    from gongkai.services.workcalendar import import_calendar

    with _env(ctx, as_of, records=True) as env:
        done = import_calendar(env, _actor(env, by), file, source=source, allow_incomplete=allow_incomplete)
    for y in done.years:
        _echo(f"已导入 {y.year} 年放假安排：放假 {y.days_off} 天，调休上班 {y.makeup_workdays} 天。")
        if y.missing:
            _echo(
                f"注意：{y.year} 年安排缺少法定节假日{'、'.join(y.missing)}，已按 --allow-incomplete 导入。"
            )
    if not done.moved:
        _echo("没有期限因此变化。")
        return
    _echo(f"{len(done.moved)} 件申请的期限发生变化：")
    for m in done.moved:
        tag = "提前，请注意" if m.earlier else "推后"
        _echo(
            f"  {m.ref}：从严期限 {m.old_safe_due} → {m.new_safe_due}，法定期限 {m.old_due} → {m.new_due}（{tag}）"
        )


# -- scheduled processes ---------------------------------------------------------------------


@contextmanager
def _prefect_for_cli() -> Iterator[None]:
    """Prefect's environment for a one-off run: files under GONGKAI_HOME, telemetry off, and the
    API of a running ``gongkai serve`` when there is one (so the run shows in its UI); otherwise a
    private, supervised Prefect server for the duration of the run (it never outlives us)."""
    import urllib.request

    from gongkai.core.settings import gongkai_home
    from gongkai.runtime.prefect_env import configure

    prefect_home = configure(gongkai_home())
    # Staff read this terminal: Prefect's per-task lines (English) stay in its UI and log, warnings still show.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    url_file = prefect_home / "api-url"
    if "PREFECT_API_URL" not in os.environ and url_file.exists():
        url = url_file.read_text(encoding="utf-8").strip()
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):  # noqa: S310 - loopback
                os.environ["PREFECT_API_URL"] = url
        except OSError:
            pass
    from gongkai.flows.serve import one_off_server, prefect_api_configured

    if prefect_api_configured():
        yield
        return

    with one_off_server(prefect_home):
        yield


def _run_flow(ctx: click.Context, process: str, day: date, year: int) -> Any:
    """What the flow of ``process`` returns. A running ``gongkai serve`` of this home runs it in its own process
    (Prefect already imported and connected there; the run shows in its UI) and the console channel's messages
    are shown here; otherwise this process runs it (see :func:`_prefect_for_cli`)."""
    from gongkai.core.settings import gongkai_home
    from gongkai.flows.serve import ServedRunError, run_in_serve
    from gongkai.runtime.prefect_env import configure

    # A Prefect chosen explicitly (a test harness, an administrator's) is kept. A serve with the same configuration
    # and database checked the register when it started.
    if "PREFECT_API_URL" not in os.environ:
        # The summaries' module (and the database layer under it) is imported while serve works, not after.
        reply = run_in_serve(
            configure(gongkai_home()),
            process,
            day,
            year,
            meanwhile=lambda: importlib.import_module("gongkai.services.processes"),
        )
        if reply is not None:
            console = reply.get("console", "")
            if console.strip():
                click.echo(re.sub(r"^=== ", "", console, flags=re.MULTILINE).rstrip("\n"), err=True)
            if "error" in reply:
                raise ServedRunError(reply["error"], int(reply["exit_code"]))
            if "failed" in reply:
                log_file = gongkai_home() / "logs" / "gongkai.log"
                raise ServedRunError(
                    f"本次运行在 gongkai serve 中失败（{reply['failed']}），详见 {log_file}。", 1
                )
            return reply["result"]
    # The register is checked here, not only in the flow's tasks: a refusal is then one sentence, not a failed run.
    with _env(ctx, day.isoformat(), records=True):
        pass
    ctx.with_resource(_prefect_for_cli())  # a private server, if any, stops when the command ends
    from gongkai.flows.registry import FLOWS

    if process == "report":
        return FLOWS["report"](year=year, as_of=day)
    return FLOWS[process](as_of=day)


# report_stats words each missing yearly figure like this; the one-line summary lists just their names
_MISSING_FIGURE = re.compile(r"“([^”]+)”尚未录入（来自其他系统")


def _report_not_final(built: processes.ReportBuilt) -> str | None:
    """One Chinese line saying what keeps a built report from being made final, or None."""
    parts = []
    if built.failed_identities:
        parts.append(f"勾稽关系不成立：{'、'.join(built.failed_identities)}")
    figures, others = [], []
    for text in built.missing:
        found = _MISSING_FIGURE.search(text)
        if found:
            figures.append(found.group(1))
        else:
            others.append(text.rstrip("。"))
    if figures:
        parts.append(
            f"其他系统的年度数据未录入：{'、'.join(figures)}（用 gongkai report figures set 或 import 录入）"
        )
    parts += others
    if built.unfinished:
        parts.append(f"叙述部分待填写：{'、'.join(built.unfinished)}（编辑 {built.narrative_file}）")
    if not parts:
        return None
    return f"{built.year} 年度报告第 {built.version} 版尚不能定稿：" + "；".join(parts) + "。"


@main.command(
    "run",
    short_help="立即运行一个流程：reminders 期限提醒、catalogue 公开目录、review 内容检查、report 年度报告。",
)
@click.argument("process", type=click.Choice(["reminders", "catalogue", "review", "report"]))
@_as_of_option
@click.option("--year", type=int, metavar="YYYY", help="report：报告年度（默认上一年）。")
@click.option("--json", "as_json", is_flag=True, help="以一个 JSON 对象输出本次运行的汇总。")
@click.pass_context
def run_process(ctx: click.Context, process: str, as_of: str | None, year: int | None, as_json: bool) -> None:
    """立即运行一个流程（reminders：期限提醒；catalogue：公开目录和指南；review：定期内容检查；report：年度报告），
    按某一业务日期（默认今天）。"""
    from gongkai.services.office import business_day

    settings = _settings(ctx)
    day = business_day(settings, _parse_as_of(as_of), records=True)  # a future date: refused before anything
    os.environ.update(settings.environment())
    # Prefect keeps what a flow returns, so the flows return their summary's JSON; read back as the typed summary.
    result = _run_flow(ctx, process, day, year or day.year - 1)
    from gongkai.services import processes

    if process == "report":
        built = processes.ReportBuilt.from_json(result)
        if as_json:
            _echo(json.dumps(built.to_json(), ensure_ascii=False))
        else:
            _echo(f"{built.year} 年度报告第 {built.version} 版：" + "，".join(built.files.values()))
        why = _report_not_final(built)
        if why:
            click.echo(why, err=True)
        if built.failed_identities or built.missing:
            sys.exit(1)
        return
    summaries: dict[str, type[_RunSummary]] = {
        "reminders": processes.ReminderRunSummary,
        "catalogue": processes.CatalogueRunSummary,
        "review": processes.ReviewRunSummary,
    }
    summary = summaries[process].from_json(result)
    _echo(json.dumps(summary.to_json(), ensure_ascii=False) if as_json else _run_line(summary))
    _echo_owed(summary.settled, settings)
    if _run_found_problems(summary):
        sys.exit(1)


if TYPE_CHECKING:
    from typing import TypeAlias

    _RunSummary: TypeAlias = (
        processes.ReminderRunSummary | processes.CatalogueRunSummary | processes.ReviewRunSummary
    )


def _run_line(summary: _RunSummary) -> str:
    """What a run did, in one Chinese sentence (without ``--json``)."""
    from gongkai.services import processes

    if isinstance(summary, processes.CatalogueRunSummary):
        c, d = summary.counts, summary.counts.diff
        return (
            f"{c.period} 公开目录 {c.entries} 条：新增 {d['added']}、变更 {d['changed']}、"
            f"废止 {d['repealed']}、撤下 {d['withdrawn']}；完整性问题 {c.findings} 项。"
            f"文件：{c.files.get('catalogue.html', '')} 等"
        )
    if isinstance(summary, processes.ReviewRunSummary):
        r = summary.counts
        return (
            f"{r.as_of} 定期内容检查：发现 {r.found} 项，新任务 {r.new} 个，"
            f"待处理 {r.open} 个（紧急 {r.urgent}、逾期 {r.overdue}），"
            f"自动关闭 {r.closed} 个；通知已发送 {summary.delivered.sent} 条、失败 {summary.delivered.failed} 条。"
            "用 gongkai review list 查看任务。"
        )
    p, s = summary.planned, summary.delivered
    return (
        f"{summary.as_of} 期限提醒：应提醒 {p.due} 条，已发送 {s.sent} 条，"
        f"失败 {s.failed} 条（留在待发队列，下次运行重试），"
        f"此前已发送 {p.already_sent} 条。"
    )


def _run_found_problems(summary: _RunSummary) -> bool:
    """Exit 1: catalogue findings, open review tasks, failed sends, or messages not yet confirmed."""
    from gongkai.services import processes

    if summary.settled.outstanding:
        return True
    if isinstance(summary, processes.CatalogueRunSummary):
        return bool(summary.counts.findings)
    if isinstance(summary, processes.ReviewRunSummary):
        return bool(summary.counts.open or summary.delivered.failed)
    return bool(summary.delivered.failed)


def _echo_owed(settled: processes.Settlement, settings: Settings) -> None:
    """Say (on stderr) which messages a run could not confirm, and when they will be retried."""
    if not settled.outstanding:
        return
    when = ""
    if settled.retry_at is not None:
        moment = settled.retry_at.astimezone(settings.tz)
        if moment <= datetime.now(settings.tz) + timedelta(minutes=1):
            when = "，现在即可重试（gongkai serve 会每隔几分钟自动重试，也可稍后再次运行本命令）"
        else:
            when = f"，最早于 {moment:%Y-%m-%d %H:%M} 重试（gongkai serve 届时会自动重试，也可届时再次运行本命令）"
    interrupted = settled.interrupted
    click.echo(
        f"注意：还有 {settled.outstanding} 条消息未确认送达"
        + (f"，其中 {interrupted} 条的发送被中断（重发时标注“可能重复”）" if interrupted else "")
        + when
        + "；全部送达前本期不记为已完成。",
        err=True,
    )


@main.command()
@click.option("--port", type=int, metavar="PORT", help="本地 Prefect 服务端口（默认自动选择空闲端口）。")
@click.pass_context
def serve(ctx: click.Context, port: int | None) -> None:
    """无人值守运行全部定时流程（启动本地 Prefect 服务，补做停机期间错过的一期）；SIGTERM 停止。"""
    import logging
    from logging.handlers import RotatingFileHandler

    from gongkai.core.settings import gongkai_home
    from gongkai.notify.channels import RedactingFilter

    settings = _settings(ctx)
    os.environ.update(settings.environment())
    # The terminal (or the journal) gets the Chinese start-up summary and warnings; the developers' log, in
    # English, goes to a file. Prefect's per-run lines are in its UI, not repeated on the console.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    logs = gongkai_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_file = logs / "gongkai.log"
    to_file = RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    to_file.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    for handler in (to_file, console):
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[to_file, console])
    logging.getLogger("gongkai").setLevel(logging.INFO)
    _echo(f"Gongkai 正在启动：{settings.office.name}。")
    with _env(ctx) as env:
        _load_demo_if_empty(env)
    from gongkai.flows.serve import run as serve_forever

    serve_forever(settings, port=port, announce=_echo, log_file=log_file)


@main.command()
@click.option("--port", type=int, metavar="PORT", help="工作台端口（默认：配置文件 [desk] port，8400）。")
@click.pass_context
def desk(ctx: click.Context, port: int | None) -> None:
    """只启动员工工作台（网页）；通常用 gongkai serve，它同时启动工作台和定时任务。"""
    from gongkai.desk.server import serve_desk

    settings = _settings(ctx)
    os.environ.update(settings.environment())
    with _env(ctx) as env:
        _load_demo_if_empty(env)
    serve_desk(port, announce=_echo)


@main.command(
    short_help="县级部署：把定时流程注册到 PREFECT_API_URL 指定的 Prefect 服务器（process 工作池）。"
)
@click.option(
    "--pool",
    default="gongkai",
    show_default=True,
    metavar="NAME",
    help="Prefect 工作池名称（process 类型；没有则创建）。",
)
@click.pass_context
def deploy(ctx: click.Context, pool: str) -> None:
    """县级部署：在环境变量 PREFECT_API_URL 指定的 Prefect 服务器上注册本单位的定时流程（每个流程一个部署，
    按本单位时区定时，同一流程同时只运行一次），由 prefect worker start --pool NAME 执行。配置文件夹且未用 --office
    时注册文件夹中的全部单位。再次运行时更新，不会重复；修改配置中的定时安排后请再次运行。单机运行请用 gongkai serve。"""
    from gongkai.core.settings import gongkai_home
    from gongkai.runtime.prefect_env import configure

    if not os.environ.get("PREFECT_API_URL", "").strip():
        raise GongkaiError(
            "未设置环境变量 PREFECT_API_URL：gongkai deploy 只用于县级部署（独立的 Prefect 服务器和 worker），"
            "单机运行请用 gongkai serve。"
        )
    offices = _all_offices(ctx)
    configure(gongkai_home())
    from gongkai.flows.deploy import register

    deps = register(offices, pool)
    names = "、".join(cfg.office.name for cfg in offices)
    _echo(
        f"已在 Prefect 服务器 {os.environ['PREFECT_API_URL']} 的工作池 {pool}（process）注册 {names} 的 {len(deps)} 个部署："
    )
    for deployment in deps:
        schedule = deployment.schedules[0].schedule if deployment.schedules else None
        when = f"{schedule.cron}（{schedule.timezone}）" if schedule is not None else "不定时（手动运行）"  # type: ignore[union-attr]
        _echo(f"  {deployment.flow_name}/{deployment.name}：{when}，同时只运行一次")
    _echo(
        f"执行：在装有 Gongkai 的机器上运行 prefect worker start --pool {pool}（环境变量见 README「County deployment」）。"
        "修改配置中的定时安排后，请再次运行 gongkai deploy。"
    )


def _all_offices(ctx: click.Context) -> list[Settings]:
    """The office ``--office`` (or ``GONGKAI_OFFICE``) names, else every office of a configuration folder (each
    loaded and checked: one office's mistake stops the command before anything is registered), else the one
    office of the configuration file."""
    from gongkai.core.settings import OFFICE_ENV, load_settings, office_files, resolve_config_path

    shared = ctx.find_object(Ctx)
    explicit = shared.config if shared is not None else None
    named = (shared.office if shared is not None else None) or os.environ.get(OFFICE_ENV, "").strip()
    if named:
        return [_settings(ctx)]
    path = resolve_config_path(explicit)
    if not path.is_dir():
        return [_settings(ctx)]
    return [load_settings(path, code) for code in office_files(path)]


@main.group(cls=_Group)
def user() -> None:
    """员工工作台的账号：设置密码、查看账号。"""


def _read_password(staff_id: str) -> str:
    """The new password from the terminal (asked twice, not echoed) or, when stdin is not a terminal, its
    first line. Never from an argument: arguments are visible to every user of the server (``ps``)."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"为 {staff_id} 设置新密码（输入时不显示）：")
        if getpass.getpass("再输入一次：") != first:
            raise InputError("两次输入的密码不一致，未作修改。")
        return first
    line = sys.stdin.readline()
    if not line:
        raise InputError("未从标准输入读到密码（应为一行文字）。")
    return line.rstrip("\r\n")


@user.command("password")
@click.argument("staff_id", metavar="ID")
@_by_option
@click.pass_context
def user_password(ctx: click.Context, staff_id: str, by: str | None) -> None:
    """设置 ID 的工作台登录密码（从终端输入两次，或从标准输入读一行）；该人员已登录的会话随即失效。"""
    from gongkai.services.accounts import set_password

    password = _read_password(staff_id)
    with _env(ctx) as env:
        set_password(env, _actor(env, by), staff_id, password)
    _echo(f"已设置 {staff_id} 的工作台密码。")


@user.command("list")
@_by_option
@click.pass_context
def user_list(ctx: click.Context, by: str | None) -> None:
    """列出人员及其工作台账号状态（是否已设密码、最近登录、是否锁定）。"""
    from gongkai.files.display import table
    from gongkai.services.accounts import list_accounts

    with _env(ctx) as env:
        accounts = list_accounts(env, _actor(env, by))
        tz = env.settings.tz
    rows = []
    now = datetime.now(tz)
    for a in accounts:
        locked = a.locked_until is not None and a.locked_until > now
        rows.append(
            [
                a.staff_id,
                a.name,
                "、".join(a.roles),
                ("已设置" if a.has_password else "未设置") + ("（已锁定）" if locked else ""),
                a.last_login_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if a.last_login_at else "—",
                "在职" if a.active else "已不在配置中",
            ]
        )
    _echo(table(["标识", "姓名", "角色", "密码", "最近登录", "状态"], rows))


def _load_demo_if_empty(env: Office) -> bool:
    """Load the demo office into an empty demo register and say so (:func:`gongkai.services.demo.load_demo_if_empty`)."""
    from gongkai.services.demo import load_demo_if_empty

    loaded = load_demo_if_empty(env, _actor(env, None))
    if loaded is None:
        return False
    _echo(
        f"已载入演示数据：{loaded.office}，申请 {loaded.applications} 件"
        f"（未办结 {loaded.open} 件），主动公开信息 {loaded.items} 条，复议诉讼 {loaded.appeals} 件。"
    )
    return True


# -- content review ---------------------------------------------------------------------------


@main.group(cls=_Group)
def review() -> None:
    """定期内容检查任务：列表、详情、登记处理结果、年度检查记录。"""


@review.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "done", "closed", "all"]),
    default="open",
    show_default=True,
    help="open：待处理；done：已登记结果；closed：情况已消除自动关闭；all：全部。",
)
@click.option("--kind", metavar="KIND", help="只列某一检查项（pii、rereview、draft、withheld……）。")
@click.option("--owner", metavar="STAFF_ID", help="只列某人负责的任务。")
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def review_list(
    ctx: click.Context, status: str, kind: str | None, owner: str | None, as_of: str | None, as_json: bool
) -> None:
    """列出定期内容检查发现的任务，紧急的和快到期的在前。"""
    from gongkai.services.review import check_kind, list_review_tasks

    check_kind(kind)
    with _env(ctx, as_of) as env:
        tasks = list_review_tasks(env, _actor(env, None), status=None if status == "all" else status, kind=kind,
                                  owner=owner)  # fmt: skip
        names = {s.id: s.name for s in env.settings.staff}
        default_owner = env.settings.review_owner.name
    if as_json:
        _echo(json.dumps([t.to_json() for t in tasks], ensure_ascii=False, indent=2))
        return
    if not tasks:
        _echo("没有符合条件的检查任务。")
        return
    labels = {"open": "待处理", "done": "已处理", "closed": "已自动关闭"}
    for t in tasks:
        flags = ("【紧急】" if t.urgent else "") + ("【已逾期】" if t.overdue else "")
        who = names.get(t.owner_id or "", default_owner)
        _echo(f"#{t.id} {flags}【{t.kind_label}】{t.ref}  负责人：{who}  "
              f"处理期限：{t.due_on}  状态：{labels.get(t.status, t.status)}")  # fmt: skip
        _echo(f"    {t.detail}")
    _echo(
        f"共 {len(tasks)} 个。登记处理结果：gongkai review record 任务号 --outcome 结果 --reviewer 审查人 --reason 理由"
    )


@review.command("show")
@click.argument("task_id", type=int)
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_context
def review_show(ctx: click.Context, task_id: int, as_of: str | None, as_json: bool) -> None:
    """显示一个检查任务、可登记的处理结果和已登记的结果。"""
    from gongkai.services.review import review_task

    with _env(ctx, as_of) as env:
        found = review_task(env, _actor(env, None), task_id)
        names = {s.id: s.name for s in env.settings.staff}
        default_owner = env.settings.review_owner.name
    if as_json:
        _echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    t = found.task
    labels = {"open": "待处理", "done": "已登记处理结果", "closed": "情况已消除，自动关闭"}
    _echo(f"检查任务 #{t.id}【{t.kind_label}】{t.ref}" + ("（紧急）" if t.urgent else ""))
    _echo(f"说明：{t.detail}")
    _echo(
        f"负责人：{names.get(t.owner_id or '', default_owner)}    发现日期：{t.found_on}    "
        f"最近一次发现：{t.last_found_on}    处理期限：{t.due_on}" + ("（已逾期）" if t.overdue else "")
    )
    if t.deadline:
        _echo(f"第二十六条公开期限：{t.deadline}")
    _echo(f"状态：{labels.get(t.status, t.status)}" + (f"（{t.closed_on}）" if t.closed_on else ""))
    _echo("可登记的处理结果：" + "；".join(f"{a.outcome}（{a.label}）" for a in found.allowed))
    _echo("处理记录：" if found.records else "处理记录：（无）")
    for r in found.records:
        _echo(f"  {r.reviewed_on}  {r.reviewer}：{r.outcome_label}，{r.reason}（{r.recorded_by} 登记）")


@review.command("record")
@click.argument("task_id", type=int)
@click.option("--outcome", required=True, metavar="OUTCOME",
              help="处理结果：keep（保留）| update（已更新）| withdraw（撤下）| repealed（标注废止）| "
                   "publish（予以公开）| withhold（继续不予公开）；也可写中文。")  # fmt: skip
@click.option("--reviewer", required=True, metavar="NAME", help="审查人姓名。")
@click.option(
    "--reason", required=True, metavar="TEXT", help="理由或所做的处理；继续不予公开时写明法律依据。"
)
@click.option("--on", "on", metavar="YYYY-MM-DD", help="审查日期（默认今天）。")
@click.option(
    "--repealed-on", metavar="YYYY-MM-DD", help="标注废止时的废止日期（默认：已登记的废止日期或审查日期）。"
)
@_as_of_option
@_by_option
@click.pass_context
def review_record(
    ctx: click.Context,
    task_id: int,
    outcome: str,
    reviewer: str,
    reason: str,
    on: str | None,
    repealed_on: str | None,
    as_of: str | None,
    by: str | None,
) -> None:
    """登记一个检查任务的处理结果（审查人、日期、理由），并据此更新该条信息；登记后不再提示。"""
    from gongkai.core.dates import parse_date
    from gongkai.services.review import record_review_outcome

    with _env(ctx, as_of, records=True) as env:
        done = record_review_outcome(
            env,
            _actor(env, by),
            task_id,
            outcome=outcome,
            reviewer=reviewer,
            reason=reason,
            reviewed_on=parse_date(on, field="--on") if on else None,
            repealed_on=parse_date(repealed_on, field="--repealed-on") if repealed_on else None,
        )
    _echo(f"已登记检查任务 #{done.task_id}（{done.kind_label}，{done.ref}）的处理结果："
          f"{done.outcome_label}。处理：{done.effect}。")  # fmt: skip


@review.command("history")
@click.option("--year", type=int, metavar="YYYY", help="年度（默认今年）。")
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（records 与 figures）。")
@click.pass_context
def review_history(ctx: click.Context, year: int | None, as_of: str | None, as_json: bool) -> None:
    """某一年度登记的检查处理结果和汇总数字（年度报告正文可引用）。"""
    from gongkai.services.review import review_year

    with _env(ctx, as_of) as env:
        found = review_year(env, _actor(env, None), year)
    if as_json:
        _echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    _echo(found.sentence or f"{found.year} 年尚无定期内容检查记录。")
    for r in found.records:
        _echo(f"  {r.reviewed_on}  #{r.task_id}【{r.kind_label}】{r.ref}  {r.reviewer}："
              f"{r.outcome_label}，{r.reason}")  # fmt: skip


# -- annual report ------------------------------------------------------------------------------


@main.group(cls=_Group)
def report() -> None:
    """年度报告：生成（JSON/HTML/Markdown/DOCX/PDF）、录入其他系统的年度数据、定稿与重新开启。"""


def _check_line(c: Any) -> str:
    # the message of a check not run already starts with "I6 未核对："
    return f"  {c.message}" if not c.checked else f"  {c.id} {c.mark}：{c.message}"


def _check_output(output: Path, *, force: bool) -> None:
    """Refuse an ``--output`` that cannot or should not be written, before anything is built or stored."""
    if output.is_dir():
        raise InputError(
            f"--output {output} 是已存在的文件夹，应为要写入的文件路径（如 {output / 'report.html'}）。"
        )
    if output.exists() and not force:
        raise InputError(f"--output 文件 {output} 已存在；确需覆盖请加 --force。")
    ancestor = output.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"--output {output} 无法写入：{ancestor} 是文件而不是文件夹。")
    writable = output if output.exists() else ancestor
    if not os.access(writable, os.W_OK):
        raise InputError(f"--output {output} 无法写入：没有 {writable} 的写入权限。")


@report.command("build")
@click.option("--year", type=int, metavar="YYYY", help="报告年度（默认：本单位时区今天的上一年）。")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html", "md", "docx", "pdf"]),
    default="json",
    show_default=True,
    help="输出格式。",
)
@click.option(
    "--template",
    type=click.Choice(["2021", "pre2019"]),
    default="2021",
    show_default=True,
    help="版式：2021 国家标准格式，或 2019 年以前的旧版式（仅 HTML）。",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="输出文件（默认：$GONGKAI_HOME/report/年度/ 下按版本命名；JSON 不指定时打印到屏幕）；上级文件夹不存在时自动创建。",
)
@click.option("--force", is_flag=True, help="--output 文件已存在时覆盖。")
@_as_of_option
@_by_option
@click.pass_context
def report_build(
    ctx: click.Context,
    year: int | None,
    fmt: str,
    template: str,
    output: Path | None,
    force: bool,
    as_of: str | None,
    by: str | None,
) -> None:
    """生成年度报告：统计、勾稽关系检查，保存为新版本并输出文件；勾稽关系 I1–I5 不成立时退出码为 1。"""
    from gongkai.services.report import build_annual_report

    if output is not None:
        _check_output(output, force=force)
    with _env(ctx, as_of, records=True) as env:
        result = build_annual_report(env, _actor(env, by), year=year, formats=(fmt,), template=template)
    year = result.year
    made = result.files.get(fmt)
    if fmt == "json" and output is None:
        _echo(json.dumps(result.data, ensure_ascii=False, indent=2))
    elif made is not None:
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(made.read_bytes())
            made = output
        _echo(f"已生成 {year} 年度报告第 {result.version} 版：{made}")
    err = sys.stderr if fmt == "json" and output is None else None
    lines = [f"{year} 年度报告第 {result.version} 版（草稿）勾稽关系检查："]
    lines += [_check_line(c) for c in result.checks]
    if result.missing:
        lines.append("尚缺数据（补齐前不能输出 HTML/DOCX/PDF，也不能定稿）：")
        lines += [f"  - {m}" for m in result.missing]
    if result.unfinished:
        lines.append(f"叙述部分待填写：{'、'.join(result.unfinished)}（编辑 {result.narrative_file}）")
    for line in lines:
        click.echo(line, err=err is not None)
    if result.hard_failures:
        sys.exit(1)
    if fmt != "json" and made is None:
        sys.exit(1)


@report.command(
    "check", short_help="核对已发布的年度报告文件（JSON、HTML 或 DOCX，任何系统生成）的勾稽关系 I1–I5。"
)
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="以 JSON 输出（每处不成立：勾稽关系、表、行、列、应为、实际）。"
)
def report_check(file: Path, as_json: bool) -> None:
    """核对已发布的年度报告文件（JSON、HTML 或 DOCX，2021 年格式，任何系统生成）的勾稽关系 I1–I5；不成立时退出码为 1。"""
    from gongkai.services.report import check_report_file

    found = check_report_file(file)
    if as_json:
        _echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
    else:
        kinds = {"json": "JSON", "html": "HTML", "docx": "DOCX"}
        year = f"，{found.year} 年度" if found.year is not None else ""
        _echo(f"文件 {file}（{kinds[found.kind]}{year}）勾稽关系核对：")
        for c in found.checks:
            if c.ok:
                _echo(f"  {c.message}" if not c.checked else f"  {c.id} 通过")
                continue
            _echo(f"  {c.id} {c.mark}：")
            if not c.violations:
                _echo(f"    {c.message}")
            for v in c.violations:
                _echo(f"    {v.table}“{v.row}”“{v.column}”：应为 {v.expected}，实际为 {v.found}")
        if found.failed:
            _echo(f"不成立的勾稽关系：{'、'.join(found.failed)}（共 {len(found.failures)} 处）。")
        else:
            _echo(
                "I1–I5 全部成立。" + ("（正文与表格的数字有不一致，见 I8 提示。）" if found.warnings else "")
            )
    if found.failed:
        sys.exit(1)


@report.group("figures", cls=_Group)
def report_figures() -> None:
    """其他系统掌握的年度数据（行政许可、行政处罚、行政强制决定数，行政事业性收费万元）。"""


@report_figures.command("set")
@click.option("--year", type=int, required=True, metavar="YYYY")
@click.option(
    "--key", required=True, metavar="KEY", help="行政许可|行政处罚|行政强制|行政事业性收费（或英文代码）。"
)
@click.option("--value", required=True, metavar="N", help="数量；收费为万元，可带小数。")
@click.option("--source", required=True, metavar="TEXT", help="数据来源，如“县行政审批服务局统计”。")
@_by_option
@click.pass_context
def report_figures_set(
    ctx: click.Context, year: int, key: str, value: str, source: str, by: str | None
) -> None:
    """录入或更正一项年度数据。"""
    from decimal import Decimal, InvalidOperation

    from gongkai.services.report import figure_key, set_figure

    code = figure_key(key)
    if code is None:
        raise InputError(f"--key “{key}”无效，应为 行政许可、行政处罚、行政强制 或 行政事业性收费。")
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise InputError(f"--value 应为数字，实际为“{value}”。") from None
    with _env(ctx) as env:
        fig = set_figure(env, _actor(env, by), year=year, key=code, value=number, source=source)
    _echo(f"已录入 {year} 年 {fig.label}：{fig.shown}（来源：{fig.source}）。")


@report_figures.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_by_option
@click.pass_context
def report_figures_import(ctx: click.Context, file: Path, by: str | None) -> None:
    """从 CSV/XLSX 导入年度数据（列：年度、项目、数值、来源）；全部正确才写入。"""
    from gongkai.services.report import import_figures

    with _env(ctx) as env:
        figures = import_figures(env, _actor(env, by), file)
    _echo(f"已导入 {len(figures)} 项年度数据。")


@report_figures.command("show")
@click.option("--year", type=int, required=True, metavar="YYYY")
@click.pass_context
def report_figures_show(ctx: click.Context, year: int) -> None:
    """显示某年已录入的年度数据。"""
    from gongkai.services.report import show_figures

    with _env(ctx) as env:
        figures = show_figures(env, _actor(env, None), year)
    if not figures:
        _echo(f"{year} 年尚未录入年度数据。")
    for fig in figures:
        _echo(f"{fig.label}：{fig.shown}（来源：{fig.source}）")


@report.command("finalize")
@click.option("--year", type=int, required=True, metavar="YYYY")
@_as_of_option
@_by_option
@click.pass_context
def report_finalize(ctx: click.Context, year: int, as_of: str | None, by: str | None) -> None:
    """定稿最新版本并锁定该年度数据（次年 1 月 1 日起）；勾稽关系不成立、数据缺失或叙述未完成时拒绝（退出码 1）。"""
    from gongkai.services.report import finalize_annual_report

    with _env(ctx, as_of, records=True) as env:
        done = finalize_annual_report(env, _actor(env, by), year)
    _echo(f"{year} 年度报告第 {done.version} 版已定稿，该年度数据已锁定。")


@report.command("reopen")
@click.option("--year", type=int, required=True, metavar="YYYY")
@click.option("--reason", required=True, metavar="TEXT", help="重新开启的原因（记入日志）。")
@_by_option
@click.pass_context
def report_reopen(ctx: click.Context, year: int, reason: str, by: str | None) -> None:
    """重新开启已定稿的年度（原因记入日志），以便更正数据后重新生成。"""
    from gongkai.services.report import reopen_annual_report

    with _env(ctx) as env:
        reopen_annual_report(env, _actor(env, by), year, reason=reason)
    _echo(f"已重新开启 {year} 年度，原因已记录。更正后请重新生成并定稿。")


# -- county ------------------------------------------------------------------------------------


@main.group(cls=_Group)
def county() -> None:
    """全县汇总（只读）：各单位年度报告数据（表二、表三、表四）的逐单位列示、合计与勾稽关系核对。"""


@county.command(
    "report", short_help="汇总所有单位某年度的年度报告数据（表二、表三、表四）与合计，逐单位核对勾稽关系。"
)
@click.option("--year", type=int, required=True, metavar="YYYY", help="报告年度。")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html", "xlsx"]),
    default="json",
    show_default=True,
    help="输出格式：JSON（默认打印到屏幕）、HTML 或 XLSX（写入文件并打印其路径）。",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="输出文件（默认：HTML/XLSX 写到 $GONGKAI_HOME/county/county-report-年度.html|xlsx，JSON 打印到屏幕）。",
)
@click.option("--force", is_flag=True, help="--output 文件已存在时覆盖。")
def county_report(year: int, fmt: str, output: Path | None, force: bool) -> None:
    """汇总数据库中所有单位某年度的年度报告数据：每个单位一行（已定稿的取定稿报告，未定稿的实时统计）和合计，并逐单位、
    对合计核对勾稽关系 I1–I5；有单位不成立时列出单位、表、行、列，退出码为 1。"""
    from gongkai.core.settings import database_url, gongkai_home
    from gongkai.report.county import render_html, write_xlsx
    from gongkai.services.actor import Actor
    from gongkai.services.county import county_report as make_report
    from gongkai.store.db import open_database

    if output is not None:
        _check_output(output, force=force)
    engine = open_database(database_url())
    try:
        found = make_report(engine, Actor.operator(_who(None)), year)
    finally:
        engine.dispose()
    to_stdout = fmt == "json" and output is None
    if to_stdout:
        _echo(found.dumps())
    else:
        path = output or gongkai_home() / "county" / f"county-report-{year}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            write_xlsx(found, path)
        else:
            path.write_text(found.dumps() if fmt == "json" else render_html(found), encoding="utf-8")
        _echo(f"已生成 {year} 年度全县汇总（{len(found.offices)} 个单位）：{path}")
    lines = []
    for office in found.offices:
        lines += [f"单位“{office.name}”（{office.code}，{office.status_label}）：{m}" for m in office.missing]
    failing = [(f"单位“{o.name}”（{o.code}，{o.status_label}）", o.failures) for o in found.failing]
    if found.total_failures:
        failing.append(("合计", found.total_failures))
    for who, failures in failing:
        for v in failures:
            where = (
                f"{v.table}“{v.row}”“{v.column}”：应为 {v.expected}，实际为 {v.found}" if v.table else v.text
            )
            lines.append(f"{who} {v.identity} 不成立：{where}")
    if failing:
        lines.append(f"勾稽关系不成立：{'、'.join(who for who, _ in failing)}。")
    elif found.offices:
        lines.append(f"{len(found.offices)} 个单位及合计的勾稽关系 I1–I5 全部成立。")
    else:
        lines.append("数据库中还没有任何单位。")
    for line in lines:
        click.echo(line, err=to_stdout)
    if failing:
        sys.exit(1)


@county.command(
    "status", short_help="全县各单位的工作状态：在办、逾期、待公开、检查任务、未送达消息和去年年度报告。"
)
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（字段见 README“County overview”）。")
def county_status(as_of: str | None, as_json: bool) -> None:
    """数据库中每个单位一行（按单位代码排序）和全县合计：在办申请、逾期（已过答复期限）、3 个工作日内到期、待批准的延期、
    待公开和超过 20 个工作日仍未公开的主动公开事项、未处理和逾期的定期检查任务、未确认送达和发送失败的提醒消息，以及上一年度
    年度报告的状态（未生成、草稿第几版、已定稿）和尚未录入的年度数据。只读，不改动任何数据。"""
    from gongkai.core.clockseam import office_today
    from gongkai.core.settings import database_url
    from gongkai.files.display import table
    from gongkai.services.actor import Actor
    from gongkai.services.county import COUNTED, county_overview
    from gongkai.store.db import open_database

    day = _parse_as_of(as_of) or office_today()
    engine = open_database(database_url())
    try:
        found = county_overview(engine, Actor.operator(_who(None)), day)
    finally:
        engine.dispose()
    if as_json:
        _echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    year = found.report_year
    headers = ["单位", "代码", "在办申请", "逾期", "3个工作日内到期", "待批延期", "待公开事项", "超期未公开"]
    headers += ["检查任务", "逾期任务", "未确认消息", "发送失败", f"{year}年度报告", "未录入的年度数据"]
    rows = [
        [
            o.name,
            o.code,
            *(str(getattr(o, k)) for k in COUNTED),
            o.report_label,
            "、".join(o.missing_figures) or "—",
        ]
        for o in found.offices
    ]
    rows.append(
        ["合计", "", *(str(found.totals[k]) for k in COUNTED), f"{found.reports_final} 个单位已定稿", ""]
    )
    _echo(f"全县各单位工作状态（截至 {day.isoformat()}，共 {len(found.offices)} 个单位）")
    _echo(table(headers, rows))
    if found.january:
        _echo(
            f"{year} 年度报告须于 {year + 1}-01-31 前公开发布：{len(found.offices) - found.reports_final} 个单位尚未定稿。"
        )


# -- demo --------------------------------------------------------------------------------------


@main.command(short_help="备份整个数据库（服务运行时也可以），备份文件仅本账号可读。")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="备份文件（不得已存在）；默认：[backup] folder（GONGKAI_HOME/backups）下的 gongkai-年月日-时分秒-manual.sqlite 或 .dump（夜间备份的保留份数不删除它）。",
)
@click.pass_context
def backup(ctx: click.Context, output: Path | None) -> None:
    """备份整个数据库（服务运行时也可以）：SQLite 用在线备份，PostgreSQL 用 pg_dump；备份文件只有本账号可读（0600），
    打印其路径。备份含申请人的个人信息，请妥善保管。"""
    from datetime import UTC

    from gongkai.core.settings import database_url, gongkai_home
    from gongkai.services.backup import make_backup

    settings = _settings(ctx)
    folder = settings.backup.folder_in(gongkai_home())
    made = make_backup(
        database_url(), output=output, folder=folder, tz=settings.tz, now=datetime.now(UTC), manual=True
    )
    _echo(str(made))


@main.command(short_help="把备份恢复到空数据库，再升级到当前的数据库架构。")
@click.argument("file", type=click.Path(path_type=Path))
def restore(file: Path) -> None:
    """把 gongkai backup 生成的备份恢复到空数据库（GONGKAI_HOME 或 GONGKAI_DATABASE_URL 指向的新位置），再升级到
    当前的数据库架构。目标数据库不是空的、备份文件损坏或数据库类型不同时拒绝（退出码 2），不做任何改动。"""
    from gongkai.core.settings import database_url, redact_url
    from gongkai.services.backup import restore as restore_backup

    url = database_url()
    done = restore_backup(file, url)
    revisions = (
        done.from_revision
        if done.from_revision == done.to_revision
        else f"{done.from_revision} → {done.to_revision}"
    )
    _echo(f"已把 {file} 恢复到 {redact_url(url)}（数据库架构版本 {revisions}）。下一步：gongkai serve。")


# -- office: moving one office between databases -----------------------------------------------


@main.group(cls=_Group)
def office() -> None:
    """单位数据的迁移：把本单位的全部数据导出为一个文件，再导入另一个数据库（如单机迁入县级部署，或反向）。"""


@office.command("export", short_help="把本单位的全部数据导出为一个文件（仅本账号可读）。")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="导出文件（不得已存在）；默认：[backup] folder（GONGKAI_HOME/backups）下的 gongkai-office-单位代码-年月日-时分秒.jsonl.gz。",
)
@click.pass_context
def office_export(ctx: click.Context, output: Path | None) -> None:
    """把配置文件 [office] code 所指单位的全部数据（申请及其事件、工作人员、目录、检查、提醒发件箱、年度报告、
    账号、审计记录等，不含全国共用的节假日安排）在一次读事务中导出为一个文件（0600），打印其路径。文件含申请人的
    个人信息，请妥善保管。"""
    from datetime import UTC

    from gongkai.core.settings import database_url, gongkai_home
    from gongkai.services.officemove import export_office

    settings = _settings(ctx)
    path, moved = export_office(
        database_url(),
        settings.office.code,
        output=output,
        folder=settings.backup.folder_in(gongkai_home()),
        tz=settings.tz,
        now=datetime.now(UTC),
    )
    _echo(str(path))
    click.echo(f"已导出单位“{moved.code}”的 {sum(moved.counts.values())} 行数据。", err=True)


@office.command("import", short_help="把 gongkai office export 的文件导入本数据库，成为一个新单位。")
@click.argument("file", type=click.Path(path_type=Path))
def office_import(file: Path) -> None:
    """把 gongkai office export 生成的文件导入本配置的数据库（GONGKAI_HOME 或 GONGKAI_DATABASE_URL），成为使用文件中
    单位代码的新单位（一个事务，全部导入或全部不导入）。已有该单位代码且有数据、数据库架构版本不同、文件损坏时拒绝
    （退出码 2），不做任何改动。"""
    from gongkai.core.settings import database_url, redact_url
    from gongkai.services.officemove import import_office

    url = database_url()
    moved = import_office(url, file)
    _echo(
        f"已把单位“{moved.code}”的 {sum(moved.counts.values())} 行数据导入 {redact_url(url)}。"
        "请核对各表行数（gongkai office export 时打印的文件与导入结果一致），再用该单位的配置启动服务。"
    )
    for name, n in moved.counts.items():
        if n:
            _echo(f"  {name}: {n}")


@main.command()
@_as_of_option
@click.pass_context
def demo(ctx: click.Context, as_of: str | None) -> None:
    """演示：登记簿为空时载入演示单位一年的数据，然后列出未办结申请及其期限（须使用演示配置，demo = true）。"""
    from gongkai.services.applications import list_applications
    from gongkai.services.demo import ensure_demo_configuration

    # Checked before the database is opened: a real office's home stays as it was.
    ensure_demo_configuration(_settings(ctx))
    with _env(ctx, as_of, records=True) as env:
        _load_demo_if_empty(env)
        items = list_applications(env, _actor(env, None))
    _echo(_list_table(items, env.as_of))


def run() -> None:  # pragma: no cover - console entry point alias
    """Entry point used by ``python -m gongkai``."""
    main()
