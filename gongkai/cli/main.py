"""The ``gongkai`` command line (CONTRACT section 1).

Messages for staff are in Chinese. Domain code raises :class:`gongkai.core.errors.GongkaiError`; only
this module turns it into a message and an exit status (0 ok, 1 problems found, 2 bad input or
configuration). Heavy modules (SQLAlchemy, pydantic, openpyxl, Prefect) are imported inside the
commands that need them, so ``gongkai --help`` and ``gongkai deadline`` start fast.
"""

from __future__ import annotations

import getpass
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
    from sqlmodel import Session

    from gongkai.core.settings import Settings
    from gongkai.register.deadlines import Clock
    from gongkai.register.workcal import WorkCalendar
    from gongkai.store.models import Application

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


def _parse_as_of(value: str | None, tz: str = "Asia/Shanghai", *, records: bool = False) -> date:
    """The ``--as-of`` date (default today in the office's zone). For a command that sends or records
    (``records``), a date after today is refused (exit 2) before anything starts."""
    from gongkai.core.clockseam import business_date, office_today
    from gongkai.core.dates import parse_date

    day = parse_date(value, field="--as-of") if value else None
    if records:
        return business_date(day, tz)
    return day if day is not None else office_today(tz)


@dataclass
class Ctx:
    """What commands share: the config path given on the command line."""

    config: str | None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config", metavar="PATH", help="配置文件（默认 config/gongkai.toml 或 $GONGKAI_CONFIG）。"
)
@click.version_option(package_name="gongkai")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Gongkai（公开）：政府信息公开工作 —— 期限计算、申请登记、提醒、目录与年度报告。"""
    ctx.obj = Ctx(config=config)


# -- shared plumbing ---------------------------------------------------------------------------


@dataclass
class Env:
    """An open database with the settings and the calendar."""

    settings: Settings
    session: Session
    calendar: WorkCalendar
    as_of: date
    register_kind: str
    """``demo`` or ``live`` (:mod:`gongkai.store.registerkind`), the same as the configuration's."""


def _settings(ctx: click.Context) -> Settings:
    from gongkai.core.settings import load_settings

    shared = ctx.find_object(Ctx)
    return load_settings(shared.config if shared is not None else None)


@contextmanager
def _env(ctx: click.Context, as_of: str | None = None, *, records: bool = False) -> Iterator[Env]:
    """The register opened for work: settings, database (migrated), the register's kind held against the
    configuration before anything is written, staff synchronised, the calendar. ``records``: the command
    sends or records, so a business date after today is refused before anything starts."""
    from gongkai.register import repository as register
    from gongkai.store.db import open_database, session_scope
    from gongkai.store.registerkind import ensure_register_kind

    settings = _settings(ctx)
    day = _parse_as_of(as_of, settings.office.timezone, records=records)
    engine = open_database()
    try:
        with session_scope(engine) as session:
            kind = ensure_register_kind(session, settings)
            register.sync_staff(session, [(s.id, s.name, s.role) for s in settings.staff])
            calendar = register.load_calendar(session)
            yield Env(settings, session, calendar, day, kind)
    finally:
        engine.dispose()


def _who(by: str | None) -> str:
    return by or os.environ.get("GONGKAI_USER") or getpass.getuser()


def _as_of_option(f: F) -> F:
    return click.option(
        "--as-of", "as_of", metavar="YYYY-MM-DD", help="按哪一天计算（默认：本单位时区的今天）。"
    )(f)


def _by_option(f: F) -> F:
    return click.option("--by", metavar="STAFF_ID", help="登记人（默认 $GONGKAI_USER 或系统用户名）。")(f)


# -- init --------------------------------------------------------------------------------------


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """创建或升级数据库，并检查配置文件；有工作人员的通知环境变量未设置时逐条说明并以退出码 1 结束。"""
    from gongkai.core.settings import database_url, redact_url
    from gongkai.store.db import HEAD
    from gongkai.store.registerkind import DEMO

    with _env(ctx) as env:
        n = len(env.settings.staff)
    kind = "演示登记簿（演示单位的虚构数据）" if env.register_kind == DEMO else "本单位登记簿"
    _echo(f"配置检查通过：{env.settings.path}（{env.settings.office.name}，工作人员 {n} 名）。")
    _echo(f"数据库已就绪：{redact_url(database_url())}（结构版本 {HEAD}，{kind}）。")
    unset = env.settings.unset_notify_variables(os.environ)
    for line in unset:
        click.echo(f"注意：{line}。", err=True)
    if unset:
        # Ran, and found problems (exit 1): reminders for these people would fail at the first send.
        sys.exit(1)


# -- deadline ----------------------------------------------------------------------------------


def _readonly_calendar() -> WorkCalendar:
    """The calendar for ``gongkai deadline``: imported years from an existing database, if any.

    Reads with plain SQL and never creates or migrates a database: the calculator works without one.
    """
    from gongkai.core.settings import database_url
    from gongkai.register.workcal import WorkCalendar, YearSchedule

    url = database_url()
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return WorkCalendar()
    import sqlalchemy as sa

    overrides: dict[int, YearSchedule] = {}
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("calendar_year"):
                return WorkCalendar()
            years = {y: s for y, s in conn.execute(sa.text("SELECT year, source FROM calendar_year"))}
            days: dict[int, list[tuple[Any, str, str]]] = {}
            for d, y, kind, name in conn.execute(sa.text("SELECT day, year, kind, name FROM calendar_day")):
                days.setdefault(y, []).append(
                    (d if isinstance(d, date) else date.fromisoformat(str(d)), kind, name)
                )
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        click.echo("提示：未能读取数据库中导入的放假安排，按内置日历计算。", err=True)
        return WorkCalendar()
    for y, source in years.items():
        entries = days.get(y, [])
        overrides[y] = YearSchedule(
            y,
            {d: n for d, k, n in entries if k == "off"},
            {d: n for d, k, n in entries if k == "makeup_workday"},
            announced=True,
            source=source,
        )
    return WorkCalendar(overrides)


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
    from gongkai.core.codes import find_channel
    from gongkai.core.dates import parse_date
    from gongkai.register.deadlines import compute_clock, parse_event_spec

    received_on = parse_date(received, field="--received")
    ch = None
    if channel:
        ch = find_channel(channel)
        if ch is None:
            raise InputError(
                f"--channel “{channel}”无效，应为 in_person、post、letter、online、fax 或 当面、邮寄、平常信函、网络、传真。"
            )
    evs = [parse_event_spec(e) for e in events]
    clock = compute_clock(
        received_on,
        evs,
        calendar=_readonly_calendar(),
        as_of=_parse_as_of(as_of),
        channel=ch,
        ignore_future=True,
    )
    if as_json:
        _echo(json.dumps(clock.to_json(), ensure_ascii=False, indent=2))
        return
    _print_clock(clock)


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
    from gongkai.register import repository as register

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
        arrived = _parse_arrival(arrived_at, env.settings.tz) if arrived_at else None
        data = register.NewApplication(
            ref=ref or register.next_ref(env.session, received_on.year),
            received_on=received_on,
            applicant_type=atype,
            applicant_name=applicant_name,
            content=content,
            channel=ch,
            applicant_contact=contact,
            applicant_id_number=id_number,
            assignee_id=assignee,
            arrived_at=arrived,
        )
        app, clock = register.add_application(
            env.session, data, calendar=env.calendar, as_of=env.as_of, recorded_by=_who(by)
        )
    flag = "（暂定）" if clock.provisional else ""
    _echo(f"已登记申请 {app.ref}：从严提醒期限 {clock.safe_due}{flag}，法定答复期限 {clock.due}{flag}。")


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
    from gongkai.register import repository as register
    from gongkai.register.deadlines import parse_event_spec

    event = parse_event_spec(event_spec)
    with _env(ctx, as_of, records=True) as env:
        _app, clock = register.record_event(
            env.session, ref, event, calendar=env.calendar, as_of=env.as_of, recorded_by=_who(by), note=note
        )
    flag = "（暂定）" if clock.provisional else ""
    _echo(
        f"已登记 {ref}：{EVENT_KINDS[event.kind]}（{event.on}）。当前状态：{STATES[clock.state]}；"
        f"法定答复期限 {clock.due}{flag}。"
    )
    for w in clock.warnings:
        _echo(f"注意：{w}")


def _clock_json(app: Application, clock: Clock) -> dict[str, Any]:
    return {
        "ref": app.ref,
        **clock.to_json(),
        "assignee": app.assignee_id,
        "channel": app.channel,
        "applicant_type": app.applicant_type,
    }


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
    from gongkai.register import repository as register

    with _env(ctx, as_of) as env:
        items = register.list_applications(
            env.session,
            calendar=env.calendar,
            as_of=env.as_of,
            include_closed=include_closed,
            state=state,
            due_within=due_within,
            year=year,
            explain=as_json,
        )
        as_of_day = env.as_of
    if as_json:
        _echo(json.dumps([_clock_json(a, c) for a, c in items], ensure_ascii=False, indent=2))
        return
    _echo(_list_table(items, as_of_day))


def _list_table(items: list[tuple[Application, Clock]], as_of: date) -> str:
    from gongkai.core.codes import STATES
    from gongkai.files.display import table

    rows = []
    for app, c in items:
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
                app.assignee_id or "",
                "、".join(notes),
            ]
        )
    head = ["编号", "状态", "收到日期", "从严期限", "法定期限", "剩余工作日", "承办人", "备注"]
    summary = f"截至 {as_of}：共 {len(items)} 件"
    return (table(head, rows) + "\n" + summary) if rows else summary + "。"


def _mask_id(value: str | None) -> str:
    if not value:
        return ""
    return value[:4] + "*" * max(0, len(value) - 8) + value[-4:]


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
    from gongkai.register import repository as register

    with _env(ctx, as_of) as env:
        app = register.get_application(env.session, ref)
        rows = register.application_events(env.session, app)
        clock = register.clock_of(
            app,
            [register.event_from_row(r) for r in rows],
            calendar=env.calendar,
            as_of=env.as_of,
            ignore_future=True,
        )
    if as_json:
        out = _clock_json(app, clock)
        out["events"] = [
            {
                "kind": r.kind,
                "date": r.occurred_on.isoformat(),
                "days": r.days,
                "until": r.until.isoformat() if r.until else None,
                "outcome": r.outcome_row,
                "recorded_by": r.recorded_by,
                "recorded_at": r.recorded_at.isoformat(),
            }
            for r in rows
        ]
        _echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    _echo(f"编号：{app.ref}")
    _echo(f"收到日期：{app.received_on}（{CHANNELS.get(app.channel or '', '申请方式未登记')}）")
    if app.arrived_at is not None:
        _echo(f"到达时间：{app.arrived_at.astimezone(env.settings.tz):%Y-%m-%d %H:%M}")
    _echo(f"申请人类型：{APPLICANT_TYPES[app.applicant_type]}")
    _echo(
        f"申请人：{app.applicant_name}    联系方式：{app.applicant_contact or ''}    "
        f"证件号码：{_mask_id(app.applicant_id_number)}"
    )
    _echo(f"申请内容：{app.content}")
    _echo(f"承办人：{app.assignee_id or '未指定'}")
    if app.outcome_row:
        _echo(f"办理结果：{app.outcome_row} {OUTCOME_BY_ROW[app.outcome_row].label}")
    _echo("事件记录：")
    if not rows:
        _echo("  （无）")
    for r in rows:
        extra = f" {r.days}个工作日" if r.days else (f" 至 {r.until}" if r.until else "")
        outcome = f" {r.outcome_row}" if r.outcome_row else ""
        _echo(
            f"  {r.occurred_on}  {EVENT_KINDS.get(r.kind, r.kind)}{extra}{outcome}"
            f"（{r.recorded_by} 登记于 {r.recorded_at:%Y-%m-%d %H:%M}）"
        )
    _print_clock(clock)


@request.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_as_of_option
@_by_option
@click.pass_context
def request_import(ctx: click.Context, file: Path, as_of: str | None, by: str | None) -> None:
    """导入申请登记簿（CSV 或 XLSX；全部正确才写入，有误则一行也不写入并列出每个错误行）。"""
    from gongkai.register.importer import import_register

    with _env(ctx, as_of, records=True) as env:
        result = import_register(
            env.session,
            file,
            calendar=env.calendar,
            as_of=env.as_of,
            recorded_by=_who(by),
            staff_ids={s.id for s in env.settings.staff},
        )
    _echo(
        f"已导入 {file.name}（{result.encoding}）：共 {result.rows} 行，新登记 {result.inserted} 件，"
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
    from gongkai.catalogue import items
    from gongkai.core.dates import parse_date
    from gongkai.register.deadlines import publication_due

    attr = items.find_attribute(attribute)
    if attr is None:
        raise InputError("--attribute 应为 主动公开、依申请公开 或 不予公开。")
    five = None
    if five_publics:
        five = items.find_five_publics(five_publics)
        if five is None:
            raise InputError("--five-publics 应为 决策、执行、管理、服务 或 结果。")
    data = items.ItemData(
        index_no=index_no.strip(),
        title=title.strip(),
        summary=summary.strip(),
        generated_on=parse_date(generated, field="--generated"),
        category=category.strip(),
        doc_number=doc_number,
        issuing_body=issuing_body,
        five_publics=five,
        attribute=attr,
        attribute_reason=reason,
        valid_from=parse_date(valid_from, field="--valid-from") if valid_from else None,
        valid_until=parse_date(valid_until, field="--valid-until") if valid_until else None,
        published_on=parse_date(published, field="--published") if published else None,
        channel=channel,
        url=url,
        owner_id=owner,
    )
    with _env(ctx, as_of, records=True) as env:
        new = items.add_item(
            env.session,
            data,
            by=_who(by),
            staff_ids={s.id for s in env.settings.staff},
            categories=env.settings.catalogue.categories,
            as_of=env.as_of,
        )
        due = publication_due(new, env.calendar)
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
    from gongkai.catalogue import items
    from gongkai.files.display import table
    from gongkai.register.deadlines import publication_due

    with _env(ctx, as_of) as env:
        found = items.list_items(env.session, unpublished=unpublished, category=category)
        rows = [(it, publication_due(it, env.calendar)) for it in found]
        day = env.as_of
    if as_json:
        _echo(
            json.dumps(
                [{**items.item_json(it), "publication_due": d.isoformat() if d else None} for it, d in rows],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    body = [
        [
            it.index_no,
            it.title[:30],
            it.category,
            str(it.generated_on),
            str(it.published_on or ""),
            str(d or ""),
            "已逾期" if d is not None and d < day else "",
        ]
        for it, d in rows
    ]
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
    from gongkai.catalogue import items
    from gongkai.review import periodic as review

    with _env(ctx, as_of) as env:
        it = items.get_item(env.session, index_no)
        reviews = items.item_reviews(env.session, it)
        changes = items.item_changes(env.session, it)
        out = items.item_json(it, calendar=env.calendar, reviews=reviews, changes=changes)
        checks = review.history(env.session, item_id=it.id)
    if as_json:
        out.setdefault("reviews", [])
        out.setdefault("changes", [])
        out["content_reviews"] = [_review_record_json(rec) for rec in checks]
        _echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    _echo(f"索引号：{it.index_no}")
    _echo(f"名称：{it.title}")
    _echo(f"内容概述：{it.summary or '（空）'}")
    _echo(
        f"类别：{it.category}{'（第二十条第' + out['art20_item'] + '项）' if out['art20_item'] else ''}    "
        f"五公开：{it.five_publics or '未标注'}"
    )
    _echo(f"生成日期：{it.generated_on}    变更日期：{it.changed_on or '无'}")
    _echo(f"文号：{it.doc_number or ''}    发布机构：{it.issuing_body or ''}")
    reason = f"（{it.attribute_reason}）" if it.attribute_reason else ""
    _echo(
        f"公开属性：{items.ATTRIBUTES.get(it.attribute, it.attribute)}{reason}    "
        f"有效性：{items.VALIDITIES.get(it.validity, it.validity)}"
    )
    if it.valid_from or it.valid_until or it.repealed_on:
        _echo(
            f"生效日期：{it.valid_from or '未填'}    有效期至：{it.valid_until or '未填'}    "
            f"废止日期：{it.repealed_on or '无'}"
        )
    _echo(f"公开日期：{it.published_on or '未公开'}    渠道：{it.channel or ''}    网址：{it.url or ''}")
    if it.withdrawn_on:
        _echo(f"撤下日期：{it.withdrawn_on}")
    _echo(f"第二十六条公开期限：{out['publication_due'] or '无（已公开且其后无变更，或非主动公开）'}")
    _echo("审核记录：" if reviews else "审核记录：（无）")
    for r in reviews:
        extra = f"，依据：{r.legal_ground}" if r.legal_ground else ""
        referral = "，已移送" if r.referral else ""
        _echo(
            f"  {r.reviewed_on}  {r.reviewer}：{items.REVIEW_RESULTS.get(r.result, r.result)}{extra}{referral}"
            f"（{r.recorded_by} 登记）"
        )
    _echo("变更记录：" if changes else "变更记录：（无）")
    for ch in changes:
        _echo(f"  {ch.changed_on}  {ch.what}（{ch.recorded_by} 登记）")
    _echo("定期检查记录：" if checks else "定期检查记录：（无）")
    for rec in checks:
        _echo(
            f"  {rec['reviewed_on']}  任务 #{rec['task_id']}【{rec['kind_label']}】{rec['reviewer']}："
            f"{rec['outcome_label']}，{rec['reason']}（{rec['recorded_by']} 登记）"
        )


@item.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_as_of_option
@_by_option
@click.pass_context
def item_import(ctx: click.Context, file: Path, as_of: str | None, by: str | None) -> None:
    """导入主动公开信息（CSV 或 XLSX；全部正确才写入，有误则一行也不写入并列出每个错误行）。"""
    from gongkai.catalogue.items import import_items

    with _env(ctx, as_of, records=True) as env:
        result = import_items(
            env.session,
            file,
            by=_who(by),
            staff_ids={s.id for s in env.settings.staff},
            categories=env.settings.catalogue.categories,
            as_of=env.as_of,
        )
    _echo(
        f"已导入 {file.name}（{result.encoding}）：共 {result.rows} 行，新登记 {result.inserted} 条，"
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
    from gongkai.catalogue import items
    from gongkai.core.dates import parse_date

    day = parse_date(on, field="--date")
    with _env(ctx) as env:
        review = items.record_review(
            env.session, index_no, reviewer, day, result, legal_ground, referral, note, _who(by)
        )
    _echo(
        f"已登记 {index_no} 的审核记录：{review.reviewed_on} {review.reviewer} {items.REVIEW_RESULTS[review.result]}。"
    )


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
    from gongkai.catalogue import items
    from gongkai.core.dates import parse_date
    from gongkai.register.deadlines import publication_due

    day = parse_date(on, field="--date")
    with _env(ctx, as_of, records=True) as env:
        items.record_change(env.session, index_no, day, what, _who(by), as_of=env.as_of)
        it = items.get_item(env.session, index_no)
        due = publication_due(it, env.calendar)
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
    from gongkai.register.repository import load_calendar
    from gongkai.store.db import open_database, session_scope

    engine = open_database()
    try:
        with session_scope(engine) as session:
            cal = load_calendar(session)
    finally:
        engine.dispose()
    s = cal.schedule(year)
    _echo(f"{year} 年：{'已公布' if s.announced else '未公布（暂定）'}；来源：{s.source}")
    _echo("放假：")
    for d, n in sorted(s.days_off.items()):
        _echo(f"  {d} {WEEKDAYS_ZH[d.weekday()]}  {n}")
    _echo("调休上班：" + ("" if s.makeup_workdays else "无"))
    for d, n in sorted(s.makeup_workdays.items()):
        _echo(f"  {d} {WEEKDAYS_ZH[d.weekday()]}  {n}")
    counts = []
    for m in range(1, 13):
        first = date(year, m, 1)
        last = date(year + (m == 12), m % 12 + 1, 1)
        counts.append(f"{m}月 {cal.workdays_between(first - timedelta(days=1), last)}")
    _echo("每月工作日：" + "，".join(counts))


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
    from gongkai.register import repository as register
    from gongkai.register.workcal import missing_statutory_holidays, read_calendar_file

    schedules = read_calendar_file(file, allow_incomplete=allow_incomplete)
    missing = {s.year: missing_statutory_holidays(s) for s in schedules}
    gaps = "；".join(f"{y} 年缺少{'、'.join(m)}" for y, m in missing.items() if m)
    origin = source or f"本单位导入（{file.name}）"
    if gaps:
        # The note stays in the stored source (at most 200 characters) even after a long --source.
        note = f"（按 --allow-incomplete 导入：{gaps}）"
        origin = (origin[: max(0, 200 - len(note))] + note)[:200]
    with _env(ctx, as_of, records=True) as env:
        moved = register.import_calendar_years(
            env.session, schedules, by=_who(by), source=origin, as_of=env.as_of
        )
    for s in schedules:
        _echo(
            f"已导入 {s.year} 年放假安排：放假 {len(s.days_off)} 天，调休上班 {len(s.makeup_workdays)} 天。"
        )
        if missing[s.year]:
            _echo(
                f"注意：{s.year} 年安排缺少法定节假日{'、'.join(missing[s.year])}，已按 --allow-incomplete 导入。"
            )
    if not moved:
        _echo("没有期限因此变化。")
        return
    _echo(f"{len(moved)} 件申请的期限发生变化：")
    for m in moved:
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


# report_stats words each missing yearly figure like this; the one-line summary lists just their names
_MISSING_FIGURE = re.compile(r"“([^”]+)”尚未录入（来自其他系统")


def _report_not_final(summary: dict[str, Any]) -> str | None:
    """One Chinese line saying what keeps a built report from being made final, or None."""
    parts = []
    if summary["failed_identities"]:
        parts.append(f"勾稽关系不成立：{'、'.join(summary['failed_identities'])}")
    figures, others = [], []
    for text in map(str, summary["missing"]):
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
    if summary["unfinished"]:
        parts.append(
            f"叙述部分待填写：{'、'.join(summary['unfinished'])}（编辑 {summary['narrative_file']}）"
        )
    if not parts:
        return None
    return f"{summary['year']} 年度报告第 {summary['version']} 版尚不能定稿：" + "；".join(parts) + "。"


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
    # The register is checked here, not only in the flow's tasks: a refusal is then one sentence, not a failed run.
    with _env(ctx, as_of, records=True) as env:
        settings = env.settings
        day = env.as_of
    os.environ["GONGKAI_CONFIG"] = str(settings.path)
    ctx.with_resource(_prefect_for_cli())  # a private server, if any, stops when the command ends
    from gongkai.flows.registry import FLOWS

    if process == "report":
        summary = FLOWS["report"](year=year or day.year - 1, as_of=day)
        if as_json:
            _echo(json.dumps(summary, ensure_ascii=False))
        else:
            _echo(
                f"{summary['year']} 年度报告第 {summary['version']} 版："
                + "，".join(summary["files"].values())
            )
        why = _report_not_final(summary)
        if why:
            click.echo(why, err=True)
        if summary["failed_identities"] or summary["missing"]:
            sys.exit(1)
        return
    if process == "catalogue":
        summary = FLOWS["catalogue"](as_of=day)
        if as_json:
            _echo(json.dumps(summary, ensure_ascii=False))
        else:
            d = summary["diff"]
            _echo(
                f"{summary['period']} 公开目录 {summary['entries']} 条：新增 {d['added']}、变更 {d['changed']}、"
                f"废止 {d['repealed']}、撤下 {d['withdrawn']}；完整性问题 {summary['findings']} 项。"
                f"文件：{summary['files'].get('catalogue.html', '')} 等"
            )
        _echo_owed(summary, settings)
        if summary["findings"] or summary.get("outstanding"):
            sys.exit(1)
        return
    if process == "review":
        summary = FLOWS["review"](as_of=day)
        if as_json:
            _echo(json.dumps(summary, ensure_ascii=False))
        else:
            _echo(
                f"{day} 定期内容检查：发现 {summary['found']} 项，新任务 {summary['new']} 个，"
                f"待处理 {summary['open']} 个（紧急 {summary['urgent']}、逾期 {summary['overdue']}），"
                f"自动关闭 {summary['closed']} 个；通知已发送 {summary['sent']} 条、失败 {summary['failed']} 条。"
                "用 gongkai review list 查看任务。"
            )
        _echo_owed(summary, settings)
        if summary["open"] or summary["failed"] or summary.get("outstanding"):
            sys.exit(1)
        return
    summary = FLOWS[process](as_of=day)
    if as_json:
        _echo(json.dumps(summary, ensure_ascii=False))
    else:
        _echo(
            f"{day} 期限提醒：应提醒 {summary.get('due', 0)} 条，已发送 {summary.get('sent', 0)} 条，"
            f"失败 {summary.get('failed', 0)} 条（留在待发队列，下次运行重试），"
            f"此前已发送 {summary.get('already_sent', 0)} 条。"
        )
    _echo_owed(summary, settings)
    if summary.get("failed") or summary.get("outstanding"):
        sys.exit(1)


def _echo_owed(summary: dict[str, Any], settings: Settings) -> None:
    """Say (on stderr) which messages a run could not confirm, and when they will be retried."""
    if not summary.get("outstanding"):
        return
    when = ""
    if summary.get("retry_at"):
        moment = datetime.fromisoformat(summary["retry_at"]).astimezone(settings.tz)
        if moment <= datetime.now(settings.tz) + timedelta(minutes=1):
            when = "，现在即可重试（gongkai serve 会每隔几分钟自动重试，也可稍后再次运行本命令）"
        else:
            when = f"，最早于 {moment:%Y-%m-%d %H:%M} 重试（gongkai serve 届时会自动重试，也可届时再次运行本命令）"
    interrupted = summary.get("interrupted") or 0
    click.echo(
        f"注意：还有 {summary['outstanding']} 条消息未确认送达"
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
    os.environ["GONGKAI_CONFIG"] = str(settings.path)
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


def _load_demo_if_empty(env: Env) -> bool:
    """Load the demo office into an empty demo register (a newcomer sees results at once); a real office's
    register (``[office] demo`` not true) never gets demo data."""
    from sqlmodel import select

    from gongkai.demo.office import load_demo
    from gongkai.store.models import Application
    from gongkai.store.registerkind import DEMO

    if env.register_kind != DEMO or not env.settings.office.demo:
        return False
    if env.session.exec(select(Application.id).limit(1)).first() is not None:
        return False
    handlers = [s.id for s in env.settings.staff if s.has_role("handler")] or [env.settings.staff[0].id]
    summary = load_demo(env.session, calendar=env.calendar, as_of=env.as_of, handlers=handlers)
    _echo(
        f"已载入演示数据：{env.settings.office.name}，申请 {summary.applications} 件"
        f"（未办结 {summary.open} 件），主动公开信息 {summary.items} 条，复议诉讼 {summary.appeals} 件。"
    )
    return True


# -- content review ---------------------------------------------------------------------------


def _review_record_json(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rec["id"],
        "task_id": rec["task_id"],
        "kind": rec["kind"],
        "ref": rec["ref"],
        "outcome": rec["outcome"],
        "reviewer": rec["reviewer"],
        "reviewed_on": rec["reviewed_on"].isoformat(),
        "reason": rec["reason"],
        "recorded_by": rec["recorded_by"],
        "recorded_at": rec["recorded_at"].isoformat(),
    }


def _review_task_json(t: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in t.items() if k != "key"}
    return out


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
    from gongkai.review import periodic as rv

    if kind is not None and kind not in rv.KINDS:
        raise InputError(
            f"检查项“{kind}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in rv.KINDS.items())} 之一。"
        )
    with _env(ctx, as_of) as env:
        tasks = rv.list_tasks(env.session, as_of=env.as_of, status=None if status == "all" else status, kind=kind,
                              owner=owner)  # fmt: skip
        names = {s.id: s.name for s in env.settings.staff}
        default_owner = env.settings.review_owner.name
    if as_json:
        _echo(json.dumps([_review_task_json(t) for t in tasks], ensure_ascii=False, indent=2))
        return
    if not tasks:
        _echo("没有符合条件的检查任务。")
        return
    labels = {"open": "待处理", "done": "已处理", "closed": "已自动关闭"}
    for t in tasks:
        flags = ("【紧急】" if t["urgent"] else "") + ("【已逾期】" if t["overdue"] else "")
        who = names.get(t["owner_id"] or "", default_owner)
        _echo(f"#{t['id']} {flags}【{t['kind_label']}】{t['ref']}  负责人：{who}  "
              f"处理期限：{t['due_on']}  状态：{labels.get(t['status'], t['status'])}")  # fmt: skip
        _echo(f"    {t['detail']}")
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
    from gongkai.review import periodic as rv

    with _env(ctx, as_of) as env:
        found = rv.list_tasks(env.session, as_of=env.as_of, ids=[task_id], status=None)
        if not found:
            raise InputError(f"没有编号为 {task_id} 的检查任务（可用 gongkai review list 查看）。")
        t = found[0]
        records = rv.history(env.session, task_id=task_id)
        names = {s.id: s.name for s in env.settings.staff}
        default_owner = env.settings.review_owner.name
    allowed = [{"outcome": o, "label": rv.outcome_label(t["kind"], o)} for o in rv.ALLOWED[t["kind"]]]
    if as_json:
        out = _review_task_json(t)
        out["allowed_outcomes"] = allowed
        out["records"] = [_review_record_json(r) for r in records]
        _echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    labels = {"open": "待处理", "done": "已登记处理结果", "closed": "情况已消除，自动关闭"}
    _echo(f"检查任务 #{t['id']}【{t['kind_label']}】{t['ref']}" + ("（紧急）" if t["urgent"] else ""))
    _echo(f"说明：{t['detail']}")
    _echo(
        f"负责人：{names.get(t['owner_id'] or '', default_owner)}    发现日期：{t['found_on']}    "
        f"最近一次发现：{t['last_found_on']}    处理期限：{t['due_on']}"
        + ("（已逾期）" if t["overdue"] else "")
    )
    if t["deadline"]:
        _echo(f"第二十六条公开期限：{t['deadline']}")
    _echo(
        f"状态：{labels.get(t['status'], t['status'])}" + (f"（{t['closed_on']}）" if t["closed_on"] else "")
    )
    _echo("可登记的处理结果：" + "；".join(f"{a['outcome']}（{a['label']}）" for a in allowed))
    _echo("处理记录：" if records else "处理记录：（无）")
    for r in records:
        _echo(
            f"  {r['reviewed_on']}  {r['reviewer']}：{r['outcome_label']}，{r['reason']}（{r['recorded_by']} 登记）"
        )


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
    from gongkai.review import periodic as rv

    with _env(ctx, as_of, records=True) as env:
        reviewed_on = parse_date(on, field="--on") if on else env.as_of
        done = rv.record_outcome(
            env.session,
            task_id,
            outcome=outcome,
            reviewer=reviewer,
            reviewed_on=reviewed_on,
            reason=reason,
            by=_who(by),
            as_of=env.as_of,
            repealed_on=parse_date(repealed_on, field="--repealed-on") if repealed_on else None,
        )
    _echo(f"已登记检查任务 #{done.task_id}（{rv.KINDS[done.kind]}，{done.ref}）的处理结果："
          f"{rv.outcome_label(done.kind, done.outcome)}。处理：{done.effect}。")  # fmt: skip


@review.command("history")
@click.option("--year", type=int, metavar="YYYY", help="年度（默认今年）。")
@_as_of_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（records 与 figures）。")
@click.pass_context
def review_history(ctx: click.Context, year: int | None, as_of: str | None, as_json: bool) -> None:
    """某一年度登记的检查处理结果和汇总数字（年度报告正文可引用）。"""
    from gongkai.review import periodic as rv

    with _env(ctx, as_of) as env:
        y = year or env.as_of.year
        records = rv.history(env.session, year=y)
        figures = rv.year_figures(env.session, y)
    if as_json:
        _echo(json.dumps({"year": y, "figures": figures, "records": [_review_record_json(r) for r in records]},
                         ensure_ascii=False, indent=2))  # fmt: skip
        return
    sentence = rv.narrative_sentence(figures, y)
    _echo(sentence or f"{y} 年尚无定期内容检查记录。")
    for r in records:
        _echo(f"  {r['reviewed_on']}  #{r['task_id']}【{r['kind_label']}】{r['ref']}  {r['reviewer']}："
              f"{r['outcome_label']}，{r['reason']}")  # fmt: skip


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
    from gongkai.core.settings import gongkai_home
    from gongkai.report.build import build_report

    if output is not None:
        _check_output(output, force=force)
    with _env(ctx, as_of, records=True) as env:
        year = year or env.as_of.year - 1
        result = build_report(
            env.session,
            settings=env.settings,
            year=year,
            home=gongkai_home(),
            by=_who(by),
            formats=[fmt],
            template=template,
        )
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

    from gongkai.report.stats import figure_key, set_yearly_figure

    code = figure_key(key)
    if code is None:
        raise InputError(f"--key “{key}”无效，应为 行政许可、行政处罚、行政强制 或 行政事业性收费。")
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise InputError(f"--value 应为数字，实际为“{value}”。") from None
    with _env(ctx) as env:
        fig = set_yearly_figure(env.session, year=year, key=code, value=number, source=source, by=_who(by))
    _echo(f"已录入 {year} 年 {fig.label}：{fig.shown}（来源：{fig.source}）。")


@report_figures.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@_by_option
@click.pass_context
def report_figures_import(ctx: click.Context, file: Path, by: str | None) -> None:
    """从 CSV/XLSX 导入年度数据（列：年度、项目、数值、来源）；全部正确才写入。"""
    from gongkai.report.stats import import_yearly_figures

    with _env(ctx) as env:
        figures = import_yearly_figures(env.session, file, by=_who(by))
    _echo(f"已导入 {len(figures)} 项年度数据。")


@report_figures.command("show")
@click.option("--year", type=int, required=True, metavar="YYYY")
@click.pass_context
def report_figures_show(ctx: click.Context, year: int) -> None:
    """显示某年已录入的年度数据。"""
    from gongkai.report.stats import yearly_figures

    with _env(ctx) as env:
        figures = yearly_figures(env.session, year)
    if not figures:
        _echo(f"{year} 年尚未录入年度数据。")
    for fig in figures.values():
        _echo(f"{fig.label}：{fig.shown}（来源：{fig.source}）")


@report.command("finalize")
@click.option("--year", type=int, required=True, metavar="YYYY")
@_as_of_option
@_by_option
@click.pass_context
def report_finalize(ctx: click.Context, year: int, as_of: str | None, by: str | None) -> None:
    """定稿最新版本并锁定该年度数据（次年 1 月 1 日起）；勾稽关系不成立、数据缺失或叙述未完成时拒绝（退出码 1）。"""
    from gongkai.core.settings import gongkai_home
    from gongkai.report.narrative import narrative_path, parse_narrative, unfinished_sections
    from gongkai.report.stats import ReportBlocked, ensure_year_ended, finalize_report

    with _env(ctx, as_of, records=True) as env:
        ensure_year_ended(year, as_of=env.as_of)
        path = narrative_path(gongkai_home(), year)
        sections = parse_narrative(path.read_text(encoding="utf-8")) if path.exists() else {}
        unfinished = unfinished_sections(sections)
        if unfinished:
            click.echo(
                f"错误：{year} 年度报告不能定稿：叙述部分待填写：{'、'.join(unfinished)}（编辑 {path} 后重新生成）。",
                err=True,
            )
            sys.exit(1)
        try:
            _, version = finalize_report(env.session, year, by=_who(by), as_of=env.as_of)
        except ReportBlocked as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(1)
    _echo(f"{year} 年度报告第 {version} 版已定稿，该年度数据已锁定。")


@report.command("reopen")
@click.option("--year", type=int, required=True, metavar="YYYY")
@click.option("--reason", required=True, metavar="TEXT", help="重新开启的原因（记入日志）。")
@_by_option
@click.pass_context
def report_reopen(ctx: click.Context, year: int, reason: str, by: str | None) -> None:
    """重新开启已定稿的年度（原因记入日志），以便更正数据后重新生成。"""
    from gongkai.report.stats import reopen_year

    with _env(ctx) as env:
        reopen_year(env.session, year, by=_who(by), reason=reason)
    _echo(f"已重新开启 {year} 年度，原因已记录。更正后请重新生成并定稿。")


# -- demo --------------------------------------------------------------------------------------


@main.command()
@_as_of_option
@click.pass_context
def demo(ctx: click.Context, as_of: str | None) -> None:
    """演示：登记簿为空时载入演示单位一年的数据，然后列出未办结申请及其期限（须使用演示配置，demo = true）。"""
    from gongkai.register import repository as register
    from gongkai.store.registerkind import RegisterKindError

    settings = _settings(ctx)
    if not settings.office.demo:
        # Checked before the database is opened: a real office's home stays as it was.
        raise RegisterKindError(
            f"配置文件 {settings.path} 是真实单位的配置（未设 demo = true），不能载入演示数据：演示需要随附的演示配置"
            "（config/gongkai.toml，含 demo = true），并把 GONGKAI_HOME 指向一个单独的空文件夹。"
        )
    with _env(ctx, as_of, records=True) as env:
        _load_demo_if_empty(env)
        items = register.list_applications(env.session, calendar=env.calendar, as_of=env.as_of)
        as_of_day = env.as_of
    _echo(_list_table(items, as_of_day))


def run() -> None:  # pragma: no cover - console entry point alias
    """Entry point used by ``python -m gongkai``."""
    main()
