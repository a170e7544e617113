"""The office's configuration: one TOML file, validated into frozen settings.

``load_settings()`` reads ``config/gongkai.toml`` (or ``--config PATH`` / ``GONGKAI_CONFIG``; with none of them
and no such file, the shipped demo configuration) and returns a :class:`Settings`. ``PATH`` may also be a folder of
offices (a county's deployment): one ``*.toml`` per office, each naming its ``[office] code``, and an optional
``county.toml`` whose settings every office takes unless its own file says otherwise; the office is chosen by
``--office CODE`` / ``GONGKAI_OFFICE`` (not needed when the folder holds one office). Every problem in the file
becomes one :class:`~gongkai.core.errors.ConfigError` whose message, in Chinese, names the file, the key as a
dotted path with list items counted from 1 (``staff 第 3 项的 role``) and what was expected; when there are
several problems, all of them are listed, one per line.

The file holds the office's policy only. Notification URLs (which may carry passwords or tokens) are refused: a
staff member's ``notify`` entries name an environment variable (``env:NAME``) or a Prefect Secret block
(``secret:block-name``) that holds the URL. The database URL and the working folder come from the environment too
(:func:`database_url`, :func:`gongkai_home`).

Nothing here reads a file or the environment at import time, and nothing heavy is imported: the command line
imports this module on every start.
"""

from __future__ import annotations

import datetime
import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from gongkai.core.codes import ART20_CATEGORIES, ART20_DESCRIPTIONS, ART20_ITEMS, OWN_CATEGORY_DESCRIPTION
from gongkai.core.errors import ConfigError
from gongkai.core.home import DATABASE_URL_ENV as DATABASE_URL_ENV
from gongkai.core.home import HOME_ENV as HOME_ENV
from gongkai.core.home import database_url as database_url
from gongkai.core.home import gongkai_home as gongkai_home
from gongkai.core.shipped import DEMO_CONFIG
from gongkai.core.webaddress import web_address_problem

CONFIG_ENV: Final = "GONGKAI_CONFIG"
"""Environment variable naming the configuration file (after ``--config``, before the default)."""

OFFICE_ENV: Final = "GONGKAI_OFFICE"
"""Environment variable naming the office (its ``[office] code``) in a configuration folder (after ``--office``)."""

COUNTY_FILE: Final = "county.toml"
"""The file of a configuration folder that holds the settings all its offices share (not an office)."""

DEFAULT_CONFIG_PATH: Final = Path("config") / "gongkai.toml"
"""The configuration file used when neither ``--config`` nor ``GONGKAI_CONFIG`` is given (relative to the
current directory)."""


Role = Literal["handler", "unit_head", "administrator", "county"]
"""A staff member's role in the disclosure work. ``county``: the county's open-government office (县政务公开办),
which reads every office's status and reports and changes nothing (it holds no other role's rights)."""

ROLE_LABELS: Final[dict[Role, str]] = {
    "handler": "承办人",
    "unit_head": "信息公开工作机构负责人",
    "administrator": "管理员",
    "county": "县级政务公开工作人员（只读）",
}
"""The Chinese label of each role, for messages and documents."""

ROLE_ALIASES: Final[dict[str, Role]] = {
    **{role: role for role in ROLE_LABELS},
    "承办人": "handler",
    "负责人": "unit_head",
    "科室负责人": "unit_head",
    "信息公开工作机构负责人": "unit_head",
    "管理员": "administrator",
    "县级": "county",
    "县级政务公开工作人员": "county",
}
"""Every spelling of a role accepted in the configuration: the English name or its Chinese name."""

_ROLE_CHOICES: Final = (
    "、".join(f"{role}（{label}）" for role, label in ROLE_LABELS.items()) + "，中文名称亦可"
)

_STAFF_ID_RE: Final = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_ENV_NAME_RE: Final = re.compile(r"[A-Z_][A-Z0-9_]*")
_SECRET_BLOCK_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]*")
_MONTH_DAY_RE: Final = re.compile(r"([0-9]{2})-([0-9]{2})")


# --------------------------------------------------------------------------------------------------------------
# Validators. Their messages are phrases that follow the key in the final sentence ("staff 第 1 项的 id 应为…").


_Loc = tuple[int | str, ...]
"""Where a value is in the file, as pydantic gives it: ``("staff", 1, "notify", 0)`` (list indices from 0)."""


class _KeyedProblems(ValueError):
    """Several problems found by one validator, each under a key relative to the value being validated.

    A relative key is a location like pydantic's: ``()`` (the value itself), ``(1,)`` (its second item) or
    ``("staff", 2, "id")`` (a path below it); :func:`_dotted` spells it for staff.
    """

    def __init__(self, problems: list[tuple[_Loc, str]]) -> None:
        super().__init__("；".join(f"{_dotted(key)} {phrase}".strip() for key, phrase in problems))
        self.problems = problems


def _quote(text: str, limit: int = 60) -> str:
    """``text`` in double quotes, shortened to ``limit`` characters."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _describe(value: object) -> str:
    """What came, for a message: the kind of value and, unless it may hold a secret, the value itself."""
    if isinstance(value, bool):
        return f"布尔值 {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"整数 {value}"
    if isinstance(value, float):
        return f"小数 {value}"
    if isinstance(value, str):
        if "://" in value:
            # A URL may carry a password or a token: never echo it.
            return "一个网址（为防泄露密码或令牌，此处不显示其内容）"
        return f"字符串 {_quote(value)}"
    if isinstance(value, list | tuple):
        return "一个列表"
    if isinstance(value, dict):
        return "一个表（table）"
    if isinstance(value, datetime.date | datetime.time):
        return f"日期时间 {value.isoformat()}"
    return f"{type(value).__name__} 类型的值"


DEFAULT_OFFICE_CODE: Final = "default"
"""The office code of a configuration that names none (one office on its own server)."""

_OFFICE_CODE = re.compile(r"[a-z0-9-]{1,32}")


def _valid_office_code(value: str) -> str:
    if not _OFFICE_CODE.fullmatch(value):
        raise ValueError(f"应为小写英文字母、数字或“-”，最多 32 个字符，实际为 {_quote(value)}")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("不能为空")
    return value


def _valid_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'应为 IANA 时区名（例如 "Asia/Shanghai"），实际为 {_quote(value)}，时区数据库中没有这个时区'
        ) from None
    return value


def _valid_website(value: str) -> str:
    problem = web_address_problem(value) if value else None
    if problem is not None:
        raise ValueError(problem)
    return value


def _valid_staff_id(value: str) -> str:
    if not _STAFF_ID_RE.fullmatch(value):
        raise ValueError(
            "应为以小写英文字母开头、只含小写字母、数字、下划线或连字符、不超过 32 个字符的标识"
            f'（例如 "wang"），实际为 {_quote(value)}'
        )
    return value


def _valid_notify_target(value: str) -> str:
    expected = (
        '应为 "env:环境变量名"、"secret:Secret块名" 或 "console"（例如 "env:GONGKAI_NOTIFY_WANG"、'
        '"secret:notify-wang"）'
    )
    if "://" in value:
        raise ValueError(
            "不能直接写通知网址（网址里可能含有密码或令牌，不得写入配置文件）；请把网址放进环境变量或 Prefect "
            'Secret 块，这里写 "env:环境变量名" 或 "secret:Secret块名"（为防泄露，此处不显示所填内容）'
        )
    if value == "console":
        return value
    kind, colon, name = value.partition(":")
    if colon and kind == "env":
        if not _ENV_NAME_RE.fullmatch(name):
            raise ValueError(
                "中的环境变量名应只含大写英文字母、数字和下划线，且不以数字开头（例如 GONGKAI_NOTIFY_WANG），"
                f"实际为 {_safe_name(name)}"
            )
        return value
    if colon and kind == "secret":
        if not _SECRET_BLOCK_RE.fullmatch(name):
            raise ValueError(
                "中的 Secret 块名应只含小写英文字母、数字和连字符，且以字母或数字开头（例如 notify-wang），"
                f"实际为 {_safe_name(name)}"
            )
        return value
    # Anything else may be a pasted token or password: say what is expected, never what came.
    raise ValueError(f"{expected}，所填内容不是这几种写法（为防泄露，此处不显示所填内容）")


def _safe_name(name: str) -> str:
    """A malformed variable or block name, unless it looks like it could carry a credential."""
    if any(ch in name for ch in ":@/"):
        return "（疑似含有密码或令牌，此处不显示）"
    return _quote(name, limit=40)


def _parse_roles(value: object) -> object:
    """Accept one role or a list of roles; normalise to a tuple without repeats."""
    single = isinstance(value, str)
    items = [value] if single else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"应为一个角色名或角色名的列表（可选：{_ROLE_CHOICES}），实际为{_describe(value)}")
    if not items:
        raise ValueError(f"至少要有一个角色（可选：{_ROLE_CHOICES}）")
    problems: list[tuple[_Loc, str]] = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or item.strip() not in ROLE_ALIASES:
            key: _Loc = () if single else (index,)
            problems.append((key, f"应为以下之一：{_ROLE_CHOICES}，实际为{_describe(item)}"))
    if problems:
        raise _KeyedProblems(problems)
    return tuple(dict.fromkeys(ROLE_ALIASES[item.strip()] for item in items))


def _strictly_decreasing(value: tuple[int, ...]) -> tuple[int, ...]:
    for index in range(1, len(value)):
        if value[index] >= value[index - 1]:
            shown = "[" + ", ".join(str(v) for v in value) + "]"
            raise ValueError(
                f"应为严格递减的工作日数列表（例如 [10, 5, 3, 1, 0]），实际为 {shown}："
                f"第 {index + 1} 项 {value[index]} 不小于前一项 {value[index - 1]}"
            )
    return value


def _valid_month_day(value: str) -> str:
    match = _MONTH_DAY_RE.fullmatch(value)
    if match:
        try:
            # A non-leap year: 02-29 would silently never arrive in most years.
            datetime.date(2001, int(match[1]), int(match[2]))
            return value
        except ValueError:
            pass
    raise ValueError(f'应为每年都有的“月-日”日期（MM-DD，例如 "12-01"），实际为 {_quote(value)}')


_CRON_FIELDS: Final = (("分钟", 0, 59), ("小时", 0, 23), ("日", 1, 31), ("月", 1, 12), ("星期", 0, 7))
_CRON_EXPECTED: Final = (
    '应为 5 段、以空格分隔的 cron 表达式（分钟 小时 日 月 星期，例如 "30 8 * * *" 表示每天 8:30；'
    "每段可写 *、*/n、数字、a-b、a-b/n 或以逗号分隔的列表）"
)
_NUMBER_RE: Final = re.compile(r"[0-9]+")


def _cron_field_problem(text: str, low: int, high: int) -> str | None:
    """Why one cron field is wrong, or ``None``."""
    for part in text.split(","):
        if not part:
            return f"“{text}”中有空的列表项"
        base, slash, step = part.partition("/")
        if slash and (not _NUMBER_RE.fullmatch(step) or not 1 <= int(step) <= high):
            return f"“{part}”中的步长应为 1 到 {high} 的整数"
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        if slash and not dash:
            return f"“{part}”中 / 前面应为 * 或范围 a-b"
        for number in (start, end) if dash else (start,):
            if not _NUMBER_RE.fullmatch(number):
                return f"“{number}”不是数字"
            if not low <= int(number) <= high:
                return f"{number} 超出范围 {low}-{high}"
        if dash and int(start) > int(end):
            return f"范围 {base} 的起点大于终点"
    return None


_PUBLIC_URL_RE: Final = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9\-._~%!$&'()*+,;=:@/?#]*)?"
)


def _valid_public_url(value: str) -> str:
    if value and not _PUBLIC_URL_RE.fullmatch(value):
        raise ValueError(
            '应为以 http:// 或 https:// 开头、不含空格、引号和尖括号的网址（例如 "https://www.example.gov.cn/xxgk/ml/"），'
            "或不写"
        )
    return value


def _valid_cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(f"{_CRON_EXPECTED}，实际为 {_quote(value)}，有 {len(fields)} 段")
    for position, (text, (name, low, high)) in enumerate(zip(fields, _CRON_FIELDS, strict=True), start=1):
        problem = _cron_field_problem(text, low, high)
        if problem:
            raise ValueError(f"{_CRON_EXPECTED}，实际为 {_quote(value)}：第 {position} 段（{name}）{problem}")
    return value


NonBlankStr = Annotated[StrictStr, AfterValidator(_not_blank)]
OfficeCode = Annotated[StrictStr, AfterValidator(_valid_office_code)]
Roles = Annotated[tuple[Role, ...], BeforeValidator(_parse_roles)]
NotifyTarget = Annotated[StrictStr, AfterValidator(_valid_notify_target)]
LadderStep = Annotated[StrictInt, Field(ge=0, le=60)]
Ladder = Annotated[tuple[LadderStep, ...], Field(min_length=1), AfterValidator(_strictly_decreasing)]
Cron = Annotated[StrictStr, AfterValidator(_valid_cron)]


# --------------------------------------------------------------------------------------------------------------
# The sections of the file.


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Office(_Section):
    """``[office]``: who the office is, for documents, the disclosure guide and the office's clock."""

    name: NonBlankStr = Field(description="机关名称，例如 嘉祥街道办事处")
    timezone: Annotated[StrictStr, AfterValidator(_valid_timezone)] = Field(
        default="Asia/Shanghai", description="时区"
    )
    disclosure_unit: NonBlankStr = Field(description="政府信息公开工作机构名称")
    address: StrictStr = Field(default="", description="办公地址")
    office_hours: StrictStr = Field(default="", description="办公时间")
    phone: StrictStr = Field(default="", description="联系电话")
    fax: StrictStr = Field(default="", description="传真")
    email: StrictStr = Field(default="", description="电子邮箱")
    website: Annotated[StrictStr, AfterValidator(_valid_website)] = Field(default="", description="网站")
    postcode: StrictStr = Field(default="", description="邮政编码")
    code: OfficeCode = Field(
        default=DEFAULT_OFFICE_CODE,
        description="单位代码（小写英文字母、数字或“-”，最多 32 个字符）；一个单位单独使用时可省略",
    )
    demo: StrictBool = Field(
        default=False,
        description="演示配置：true 时空登记簿载入演示单位的虚构数据；真实单位删除此项或设为 false",
    )


class Staff(_Section):
    """One ``[[staff]]`` entry: a person who handles, approves or administers the disclosure work."""

    id: Annotated[StrictStr, AfterValidator(_valid_staff_id)] = Field(
        description="人员标识，小写英文，例如 wang"
    )
    name: NonBlankStr = Field(description="姓名")
    role: Roles = Field(description=f"角色：{_ROLE_CHOICES}")
    notify: tuple[NotifyTarget, ...] = Field(
        default=(), description='通知目标，"env:环境变量名" 或 "secret:Secret块名"'
    )

    def has_role(self, role: Role) -> bool:
        """Whether this person holds ``role``."""
        return role in self.role

    @property
    def role_labels(self) -> tuple[str, ...]:
        """The Chinese labels of this person's roles."""
        return tuple(ROLE_LABELS[role] for role in self.role)


class Reminders(_Section):
    """``[reminders]``: when reminders are sent and to whom they escalate. All keys have defaults."""

    ladder: Ladder = Field(default=(10, 5, 3, 1, 0), description="答复期限前第几个工作日提醒")
    overdue_every_working_day: StrictBool = Field(default=True, description="逾期后每个工作日提醒")
    extension_decision_days: Annotated[StrictInt, Field(ge=1, le=19)] = Field(
        default=3, description="原答复期限前第几个工作日请负责人决定是否延期"
    )
    escalate_overdue_to: Roles = Field(
        default=("unit_head", "administrator"), description="逾期时还要通知的角色"
    )
    item_publication_ladder: Ladder = Field(
        default=(5, 3, 1, 0), description="主动公开事项 20 个工作日期限前第几个工作日提醒"
    )
    calendar_missing_from: Annotated[StrictStr, AfterValidator(_valid_month_day)] = Field(
        default="12-01", description="从每年哪天起提醒导入下一年的节假日安排"
    )
    max_send_attempts: Annotated[StrictInt, Field(ge=1, le=20)] = Field(
        default=5, description="一条提醒最多尝试发送几次"
    )

    def calendar_missing_from_date(self, year: int) -> datetime.date:
        """The day of ``year`` from which a missing holiday schedule for ``year + 1`` is reminded."""
        month, day = (int(part) for part in self.calendar_missing_from.split("-"))
        return datetime.date(year, month, day)


class Schedules(_Section):
    """``[schedules]``: when each scheduled process runs (cron, in the office's time zone)."""

    reminders: Cron = Field(default="30 8 * * *", description="每日期限提醒")
    catalogue: Cron = Field(default="0 9 1 1,4,7,10 *", description="每季度公开目录")
    review: Cron = Field(default="0 9 * * 1", description="定期检查")
    report_readiness: Cron = Field(default="0 9 2,9,16,23,30 1 *", description="年度报告准备情况（1月每周）")


class Notifications(_Section):
    """``[notifications]``: how reminders are delivered when a channel fails. All keys have defaults."""

    fallback: tuple[NotifyTarget, ...] = Field(
        default=(),
        description='发送失败时提醒管理员的另一渠道，"env:环境变量名" 或 "secret:Secret块名"（为空则用管理员自己的其他渠道）',
    )
    retry_delays: Annotated[tuple[Annotated[StrictInt, Field(ge=0, le=3600)], ...], Field(max_length=10)] = (
        Field(default=(5, 30, 120), description="同一次运行中发送失败后的重试间隔（秒）")
    )
    lease_minutes: Annotated[StrictInt, Field(ge=1, le=1440)] = Field(
        default=10, description="正在发送的提醒超过多少分钟没有结果，视为中断，下次重发并标明“可能重复”"
    )
    console: StrictBool = Field(default=False, description="同时把提醒打印到控制台日志（演示用）")


def _valid_bind(value: str) -> str:
    import ipaddress

    if value == "localhost":
        return value
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("应为本机的 IP 地址，例如 127.0.0.1（只在本机访问）或 0.0.0.0（所有网卡）") from None
    return value


def _valid_base_url(value: str) -> str:
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError("应为工作台的网址，以 http:// 或 https:// 开头，例如 https://xxgk.example.gov.cn/")
    return value.rstrip("/")


class Desk(_Section):
    """``[desk]``: the staff desk (CONTRACT section 6): where it listens, the address links in notifications
    use, and how long a sign-in lasts. All keys have defaults."""

    bind: Annotated[StrictStr, AfterValidator(_valid_bind)] = Field(
        default="127.0.0.1",
        description="监听地址：127.0.0.1 只允许本机访问；其他地址应放在 HTTPS 反向代理之后",
    )
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = Field(default=8400, description="监听端口")
    base_url: Annotated[StrictStr, AfterValidator(_valid_base_url)] = Field(
        default="", description="工作台对外网址（通知中的链接用），例如 https://xxgk.example.gov.cn"
    )
    idle_minutes: Annotated[StrictInt, Field(ge=5, le=720)] = Field(
        default=30, description="登录后多少分钟无操作自动退出"
    )
    max_hours: Annotated[StrictInt, Field(ge=1, le=24)] = Field(
        default=10, description="登录后最长多少小时必须重新登录"
    )
    upload_limit_mb: Annotated[StrictInt, Field(ge=1, le=200)] = Field(
        default=50, description="上传文件的大小上限（MB）"
    )


_CLOCK_TIME_RE: Final = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def _valid_clock_time(value: str) -> str:
    if not _CLOCK_TIME_RE.fullmatch(value):
        raise ValueError(f'应为 24 小时制的“时:分”（HH:MM，例如 "02:30"），实际为 {_quote(value)}')
    return value


class Backup(_Section):
    """``[backup]``: the nightly backup of the database (``gongkai serve`` schedules it). All keys have defaults."""

    time: Annotated[StrictStr, AfterValidator(_valid_clock_time)] = Field(
        default="02:30", description="每天几点备份（本单位时区，HH:MM）"
    )
    keep: Annotated[StrictInt, Field(ge=1, le=3650)] = Field(default=14, description="保留最近几份夜间备份")
    folder: StrictStr = Field(
        default="", description="备份文件夹（绝对路径，或相对于 GONGKAI_HOME；不写则为 GONGKAI_HOME/backups）"
    )

    @property
    def cron(self) -> str:
        """The daily schedule as a cron string."""
        hour, minute = (int(part) for part in self.time.split(":"))
        return f"{minute} {hour} * * *"

    def folder_in(self, home: Path) -> Path:
        """The backup folder: ``folder`` (relative to ``home`` unless absolute), else ``home/backups``."""
        return home / (Path(self.folder).expanduser() if self.folder.strip() else Path("backups"))


Frequency = Literal["event", "monthly", "quarterly", "yearly"]
"""How often a matter of the standard catalogue produces information (what the completeness check uses)."""

FREQUENCY_LABELS: Final[dict[str, str]] = {
    "event": "随时（信息形成或变更时）",
    "monthly": "每月",
    "quarterly": "每季度",
    "yearly": "每年",
}


def _art20_and_configured(categories: tuple[str, ...]) -> tuple[str, ...]:
    """The Art. 20 categories followed by the office's own."""
    return (*ART20_CATEGORIES, *(c for c in categories if c not in ART20_CATEGORIES))


class CatalogueMatter(_Section):
    """One ``[[catalogue.matters]]`` entry: a matter of the standard catalogue (公开事项标准目录)."""

    item: NonBlankStr = Field(description="公开事项（一级事项）")
    subitem: StrictStr | None = Field(default=None, description="二级事项（选填）")
    content: NonBlankStr = Field(description="公开内容（要素）")
    basis: NonBlankStr = Field(description="公开依据")
    time_limit: NonBlankStr = Field(description="公开时限，例如 信息形成或者变更之日起20个工作日内")
    frequency: Frequency = Field(description="信息形成的频率：event|monthly|quarterly|yearly（完整性检查用）")
    category: NonBlankStr = Field(
        description="由哪一类别的主动公开信息落实（第二十条类别或 categories 中的类别）"
    )
    responsible: NonBlankStr = Field(description="公开主体")
    channels: Annotated[tuple[NonBlankStr, ...], Field(min_length=1)] = Field(
        description="公开渠道和载体（列表）"
    )
    audience: Literal["全社会", "特定群体"] = Field(description="公开对象：全社会 或 特定群体")
    method: Literal["主动", "依申请"] = Field(description="公开方式：主动 或 依申请")
    level: Literal["县级", "乡级"] = Field(description="公开层级：县级 或 乡级")


class Catalogue(_Section):
    """``[catalogue]``: who receives the catalogue digest, the office's own categories, the standard catalogue."""

    owner: Annotated[StrictStr, AfterValidator(_valid_staff_id)] | None = Field(
        default=None, description="接收公开目录摘要的人员标识（默认：第一位管理员）"
    )
    categories: tuple[NonBlankStr, ...] = Field(
        default=(), description="本单位自定的信息类别（第二十条各项之外）"
    )
    category_descriptions: dict[str, NonBlankStr] = Field(
        default_factory=dict,
        description='公开指南“信息分类”表中各类别的说明，例如 { "政府信息公开" = "……" }；'
        "第二十条的类别默认用条文的表述",
    )
    matters: tuple[CatalogueMatter, ...] = Field(
        default=(), description="[[catalogue.matters]] 公开事项标准目录"
    )
    public_url: Annotated[StrictStr, AfterValidator(_valid_public_url)] = Field(
        default="", description="公开目录在本单位网站上的网址（选填，写入目录摘要）"
    )

    @model_validator(mode="after")
    def _check_categories(self) -> Catalogue:
        problems: list[tuple[_Loc, str]] = []
        seen: set[str] = set()
        for index, name in enumerate(self.categories):
            if name in seen:
                problems.append((("categories", index), f"重复（{_quote(name)} 已写过）"))
            seen.add(name)
        allowed = _art20_and_configured(self.categories)
        for name in self.category_descriptions:
            if name not in allowed:
                problems.append(
                    (
                        ("category_descriptions",),
                        f"中的类别 {_quote(name)} 不是第二十条的类别，也不在 categories 中（可用：{'、'.join(allowed)}）",
                    )
                )
        for index, matter in enumerate(self.matters):
            if matter.category not in allowed:
                problems.append(
                    (
                        ("matters", index, "category"),
                        f"应为第二十条的类别（{'、'.join(ART20_CATEGORIES)}）或 categories 中的类别"
                        f"（{'、'.join(self.categories) or '未配置'}），实际为 {_quote(matter.category)}",
                    )
                )
        if problems:
            raise _KeyedProblems(problems)
        return self

    @property
    def all_categories(self) -> tuple[str, ...]:
        """Every category an item may have: the Art. 20 ones, then the office's own."""
        return _art20_and_configured(self.categories)

    def description_of(self, category: str) -> str:
        """The guide's 说明 of ``category``: ``category_descriptions``, else the words of its Art. 20 item
        (``第二十条第（一）项：…``), else a plain note that the office defined it."""
        if category in self.category_descriptions:
            return self.category_descriptions[category]
        if category in ART20_ITEMS:
            return f"第二十条第{ART20_ITEMS[category]}项：{ART20_DESCRIPTIONS[category]}"
        return OWN_CATEGORY_DESCRIPTION


ColumnKind = Literal["news", "policy", "other"]
"""The kind of a website column, which decides how long it may go without an update (U12)."""

COLUMN_KIND_LABELS: Final[dict[str, str]] = {"news": "动态类", "policy": "政策文件类", "other": "其他"}


class ReviewColumn(_Section):
    """One ``[[review.columns]]`` entry: a column of the office's website checked for updates (U12)."""

    name: Annotated[NonBlankStr, Field(max_length=60)] = Field(
        description="栏目名称，例如 工作动态（不超过 60 个字符）"
    )
    kind: ColumnKind = Field(description="栏目类型：news（动态类）| policy（政策文件类）| other（其他）")
    categories: Annotated[tuple[NonBlankStr, ...], Field(min_length=1)] = Field(
        description="哪些类别的主动公开信息发布在该栏目（第二十条类别或 [catalogue] categories 中的类别）"
    )
    stale_days: Annotated[StrictInt, Field(ge=1, le=3660)] | None = Field(
        default=None, description="超过多少天未更新即提示（不写则按栏目类型的默认值）"
    )


class Review(_Section):
    """``[review]``: the periodic content review (Art. 17, 18; ogi-rules 3.3). All keys have defaults."""

    owner: Annotated[StrictStr, AfterValidator(_valid_staff_id)] | None = Field(
        default=None, description="接收没有负责人的事项和网站栏目检查任务的人员标识（默认：公开目录负责人）"
    )
    interval_days: Annotated[StrictInt, Field(ge=7, le=3660)] = Field(
        default=365, description="已公开信息每隔多少天复查一次（各类别未单独设定时）"
    )
    category_intervals: dict[str, Annotated[StrictInt, Field(ge=7, le=3660)]] = Field(
        default_factory=dict, description='按类别设定的复查间隔（天），例如 { "规范性文件" = 180 }'
    )
    withheld_interval_days: Annotated[StrictInt, Field(ge=7, le=3660)] = Field(
        default=180, description="不予公开的信息每隔多少天评估一次能否公开（条例第十八条）"
    )
    task_days: Annotated[StrictInt, Field(ge=1, le=60)] = Field(
        default=10, description="检查任务须在多少个工作日内登记处理结果，逾期即升级督办"
    )
    urgent_task_days: Annotated[StrictInt, Field(ge=0, le=10)] = Field(
        default=1, description="紧急任务（公开内容中发现个人信息）须在多少个工作日内处理"
    )
    news_stale_days: Annotated[StrictInt, Field(ge=1, le=3660)] = Field(
        default=14, description="动态类栏目超过多少天未更新即提示（国办秘函〔2019〕19号所见：2 周）"
    )
    policy_stale_days: Annotated[StrictInt, Field(ge=1, le=3660)] = Field(
        default=183, description="政策文件类栏目超过多少天未更新即提示（6 个月）"
    )
    other_stale_days: Annotated[StrictInt, Field(ge=1, le=3660)] = Field(
        default=365, description="其他栏目超过多少天未更新即提示（1 年）"
    )
    columns: tuple[ReviewColumn, ...] = Field(default=(), description="[[review.columns]] 要检查的网站栏目")

    def interval_for(self, category: str) -> int:
        """The re-review interval in days for items of ``category``."""
        return self.category_intervals.get(category, self.interval_days)

    def stale_days_for(self, column: ReviewColumn) -> int:
        """How many days ``column`` may go without an update."""
        if column.stale_days is not None:
            return column.stale_days
        return {"news": self.news_stale_days, "policy": self.policy_stale_days}.get(
            column.kind, self.other_stale_days
        )


class ConfigFile(_Section):
    """The schema of the whole TOML file, before it is tied to the path it came from (see :class:`Settings`)."""

    office: Office = Field(description="[office] 段")
    staff: Annotated[tuple[Staff, ...], Field(min_length=1)] = Field(description="至少一段 [[staff]]")
    reminders: Reminders = Field(default_factory=Reminders, description="[reminders] 段")
    schedules: Schedules = Field(default_factory=Schedules, description="[schedules] 段")
    notifications: Notifications = Field(default_factory=Notifications, description="[notifications] 段")
    catalogue: Catalogue = Field(default_factory=Catalogue, description="[catalogue] 段")
    review: Review = Field(default_factory=Review, description="[review] 段")
    desk: Desk = Field(default_factory=Desk, description="[desk] 段")
    backup: Backup = Field(default_factory=Backup, description="[backup] 段")

    @model_validator(mode="after")
    def _check_staff_as_a_whole(self) -> ConfigFile:
        problems: list[tuple[_Loc, str]] = []
        known = "、".join(person.id for person in self.staff)
        owners: tuple[tuple[_Loc, str | None], ...] = (
            (("catalogue", "owner"), self.catalogue.owner),
            (("review", "owner"), self.review.owner),
        )
        for key, owner in owners:
            if owner is not None and not any(person.id == owner for person in self.staff):
                problems.append((key, f"应为 [[staff]] 中的人员标识（{known}），实际为 {_quote(owner)}"))
        allowed = self.catalogue.all_categories
        expected = f"应为第二十条的类别或 [catalogue] categories 中的类别（{'、'.join(allowed)}）"
        for category in self.review.category_intervals:
            if category not in allowed:
                problems.append(
                    (
                        ("review", "category_intervals"),
                        f"中的类别 {_quote(category)} 不是第二十条的类别，也不在 [catalogue] categories 中"
                        f"（可用：{'、'.join(allowed)}）",
                    )
                )
        seen_columns: dict[str, int] = {}
        for index, column in enumerate(self.review.columns):
            if column.name in seen_columns:
                first = seen_columns[column.name]
                problems.append(
                    (
                        ("review", "columns", index, "name"),
                        f"与 {_dotted(('review', 'columns', first, 'name'))} 重复（{_quote(column.name)}）",
                    )
                )
            seen_columns.setdefault(column.name, index)
            for c_index, category in enumerate(column.categories):
                if category not in allowed:
                    problems.append(
                        (
                            ("review", "columns", index, "categories", c_index),
                            f"{expected}，实际为 {_quote(category)}",
                        )
                    )
        first_index: dict[str, int] = {}
        for index, person in enumerate(self.staff):
            if person.id in first_index:
                first = first_index[person.id]
                problems.append(
                    (
                        ("staff", index, "id"),
                        f"与 {_dotted(('staff', first, 'id'))} 重复（都是 {_quote(person.id)}），人员标识不能重复",
                    )
                )
            else:
                first_index[person.id] = index
        reasons: dict[Role, str] = {
            "unit_head": "延期答复须经其批准",
            "administrator": "逾期提醒要升级到管理员",
        }
        # The county's office (every person holds ``county``) takes no applications of its own: nobody there
        # decides an extension. It still needs an administrator (its accounts, its own schedules' notices).
        if self.staff and all(person.has_role("county") for person in self.staff):
            del reasons["unit_head"]
        for role, reason in reasons.items():
            if not any(person.has_role(role) for person in self.staff):
                label = f"{role}（{ROLE_LABELS[role]}）"
                problems.append(
                    (("staff",), f"中至少要有一人担任 {label}：{reason}；目前没有人的 role 包含 {role}")
                )
        if problems:
            raise _KeyedProblems(problems)
        return self


class Settings(ConfigFile):
    """The office's validated configuration, with the file it came from.

    Built by :func:`load_settings` when needed, never at import time. Frozen: pass it around freely.
    """

    path: Path = Field(description="配置文件路径")
    folder: Path | None = Field(
        default=None, description="配置文件夹（多个单位共用一套部署时；单个配置文件时为空）"
    )

    @property
    def source(self) -> str:
        """The configuration for messages: the file, and the folder's ``county.toml`` it was merged with."""
        if self.folder is not None and (self.folder / COUNTY_FILE).is_file():
            return f"{self.path}（并入 {self.folder / COUNTY_FILE}）"
        return str(self.path)

    def environment(self) -> dict[str, str]:
        """The variables a child process (serve's desk and flow runs, a worker's run) needs to load this same
        configuration: ``GONGKAI_CONFIG`` (the folder, or the file) and ``GONGKAI_OFFICE`` (the office's code)."""
        return {CONFIG_ENV: str(self.folder or self.path), OFFICE_ENV: self.office.code}

    def files_home(self, home: Path) -> Path:
        """Where this office's generated files (catalogues, reports, narratives) live under ``$GONGKAI_HOME``: the
        home itself for an office configured by one file (as always), ``HOME/offices/CODE`` for an office of a
        configuration folder, whose offices share one home."""
        return home if self.folder is None else home / "offices" / self.office.code

    @property
    def tz(self) -> ZoneInfo:
        """The office's time zone (``office.timezone``): every "today" and every schedule is in it."""
        return ZoneInfo(self.office.timezone)

    @property
    def catalogue_owner(self) -> Staff:
        """Who receives the catalogue digest: ``[catalogue] owner``, else the first administrator."""
        if self.catalogue.owner is not None:
            person = self.staff_by_id(self.catalogue.owner)
            if person is not None:
                return person
        return self.staff_with_role("administrator")[0]

    @property
    def review_owner(self) -> Staff:
        """Who takes review tasks without an item owner: ``[review] owner``, else the catalogue owner."""
        if self.review.owner is not None:
            person = self.staff_by_id(self.review.owner)
            if person is not None:
                return person
        return self.catalogue_owner

    def staff_by_id(self, staff_id: str) -> Staff | None:
        """The staff member with this id, or ``None``."""
        for person in self.staff:
            if person.id == staff_id:
                return person
        return None

    def staff_with_role(self, role: Role) -> tuple[Staff, ...]:
        """Every staff member holding ``role``, in file order.

        An unknown role is a programming mistake, not a configuration one: it raises ``ValueError``.
        """
        if role not in ROLE_LABELS:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLE_LABELS)}")
        return tuple(person for person in self.staff if person.has_role(role))

    def unset_notify_variables(self, environ: Mapping[str, str]) -> list[str]:
        """One Chinese line per ``env:`` notify target whose variable is unset or blank in ``environ``.

        Each line names the person (place in the file, name and id) and the variable, and says whether that
        person would then receive nothing at all (no other target left: no ``console``, no ``secret:`` block,
        no variable that is set). Secret blocks are not read here (that needs Prefect); they count as usable.
        """
        lines: list[str] = []
        for number, person in enumerate(self.staff, start=1):
            unset = [
                target
                for target in person.notify
                if target.startswith("env:") and not environ.get(target[len("env:") :], "").strip()
            ]
            if not unset:
                continue
            nothing = len(unset) == len(person.notify)
            for target in unset:
                variable = target[len("env:") :]
                effect = (
                    "此人收不到任何通知"
                    if nothing
                    else f"经此渠道的通知发不出去（其他 {len(person.notify) - len(unset)} 个目标仍可用）"
                )
                lines.append(
                    f"第 {number} 位工作人员 {person.name}（{person.id}）的通知目标 {target}：环境变量 {variable} "
                    f"未设置或为空，{effect}"
                )
        return lines


# --------------------------------------------------------------------------------------------------------------
# Finding and reading the file.


def falls_back_to_demo(explicit: str | Path | None) -> bool:
    """Whether :func:`resolve_config_path` gives the shipped demo configuration: no file is named (``explicit``,
    ``GONGKAI_CONFIG``) and the current directory has no ``config/`` at all, so a wheel installed and run in an
    empty folder shows the demo office at once. A ``config/`` folder without ``gongkai.toml`` is someone's
    configuration gone wrong: that stays an error, never a quiet demo. (In a clone's top folder the file is there,
    and is the same demo configuration.) The command line says so once when it happens."""
    named = (explicit is not None and str(explicit).strip()) or os.environ.get(CONFIG_ENV, "").strip()
    return not named and not DEFAULT_CONFIG_PATH.parent.exists() and DEMO_CONFIG.is_file()


def resolve_config_path(explicit: str | Path | None) -> Path:
    """The configuration file to use: ``explicit`` (``--config``), else ``GONGKAI_CONFIG``, else
    ``config/gongkai.toml`` in the current directory, else the shipped demo configuration
    (:data:`~gongkai.core.shipped.DEMO_CONFIG`, ``[office] demo = true``: it can never open a real office's
    register, see :mod:`gongkai.store.registerkind`).

    The first of these that is given is the one used; it is not an error to name a file that others would
    shadow. It may name a configuration folder (see :func:`load_settings`). Raises :class:`ConfigError` when the
    chosen path does not exist.
    """
    from_env = os.environ.get(CONFIG_ENV, "").strip()
    if explicit is not None and str(explicit).strip():
        path = Path(explicit).expanduser()
        origin = "--config 指定的"
    elif from_env:
        path = Path(from_env).expanduser()
        origin = f"环境变量 {CONFIG_ENV} 指定的"
    elif falls_back_to_demo(None):
        return DEMO_CONFIG
    else:
        path = DEFAULT_CONFIG_PATH
        origin = ""
    if path.is_dir():
        return path
    if not path.is_file():
        if origin:
            raise ConfigError(f"找不到{origin}配置文件 {path}（即 {path.absolute()}）。")
        raise ConfigError(
            f"找不到配置文件 {path}（即 {path.absolute()}；可用 --config 或环境变量 {CONFIG_ENV} 指定）。"
        )
    return path


_TOML_MESSAGES: Final = (
    ("Invalid value", "值的写法无法识别，文字要用英文双引号括起来"),
    ("Invalid statement", "无法识别的语句，请检查键名或段名是否用了中文标点"),
    ("Expected '=' after a key", "键名后面缺少 ="),
    ("Cannot overwrite a value", "同一配置项写了两次"),
    ("Cannot declare", "同一段写了两次"),
    ("Unclosed array", "列表缺少结尾的 ]"),
    ("Unclosed inline table", "表缺少结尾的 }"),
    ("Unterminated string", "文字缺少结尾的引号"),
    ("Expected newline or end of document", "一行只能写一个配置项"),
)
_TOML_POSITION_RE: Final = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)\s*$")


def _toml_syntax_message(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    detail = str(error)
    match = _TOML_POSITION_RE.search(detail)
    english = detail[: match.start()] if match else detail
    if match and match[1]:
        where = f"第 {match[1]} 行第 {match[2]} 列"
    else:
        where = f"文件末尾（第 {max(text.count(chr(10)) + (0 if text.endswith(chr(10)) else 1), 1)} 行）"
    chinese = next(
        (zh for prefix, zh in _TOML_MESSAGES if english.startswith(prefix)), "写法不符合 TOML 语法"
    )
    return f"配置文件 {path} {where}有 TOML 语法错误：{chinese}（原文：{english}）。"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{exc.strerror or exc}。") from None
    try:
        # utf-8-sig: Windows Notepad may save the file with a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"配置文件 {path} 第 {line} 行不是 UTF-8 编码：请用 UTF-8 编码保存该文件。"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_syntax_message(path, text, exc)) from None


# --------------------------------------------------------------------------------------------------------------
# Translating validation errors into sentences for staff.

_SECTION_LABELS: Final[dict[str, tuple[type[BaseModel], str]]] = {
    "office": (Office, "[office]"),
    "reminders": (Reminders, "[reminders]"),
    "schedules": (Schedules, "[schedules]"),
    "notifications": (Notifications, "[notifications]"),
    "catalogue": (Catalogue, "[catalogue]"),
    "review": (Review, "[review]"),
    "desk": (Desk, "[desk]"),
    "backup": (Backup, "[backup]"),
}

_EXPECTED_TYPES: Final = {
    "string_type": "文字（用英文双引号括起来）",
    "int_type": "整数",
    "bool_type": "布尔值（true 或 false）",
    "float_type": "数字",
    "list_type": '列表（例如 ["a", "b"]）',
    "tuple_type": '列表（例如 ["a", "b"]）',
    "dict_type": "表（table）",
    "model_type": "表（table，即 [段名] 下的若干配置项）",
    "model_attributes_type": "表（table，即 [段名] 下的若干配置项）",
}


def _dotted(loc: _Loc) -> str:
    """A location as staff count: ``("staff", 1, "notify", 0)`` → ``"staff 第 2 项的 notify 第 1 项"``.

    List items are counted from 1, as people count them (pydantic and TOML arrays count from 0), so the second
    ``[[staff]]`` is ``staff 第 2 项``; dotted table keys stay dotted (``reminders.ladder 第 3 项``).
    """
    key = ""
    after_item = False
    for part in loc:
        if isinstance(part, int):
            key += f" 第 {part + 1} 项"
            after_item = True
        elif not key:
            key = part
        else:
            key += f"的 {part}" if after_item else f".{part}"
            after_item = False
    return key


def _section(loc: tuple[int | str, ...]) -> tuple[type[BaseModel], str] | None:
    """The model and label of the section that ``loc`` (a path to a section, not to a key) points at."""
    if not loc:
        return ConfigFile, "文件顶层"
    if loc[0] == "staff" and len(loc) == 2:
        return Staff, "[[staff]]"
    if loc[:2] == ("catalogue", "matters") and len(loc) == 3:
        return CatalogueMatter, "[[catalogue.matters]]"
    if loc[:2] == ("review", "columns") and len(loc) == 3:
        return ReviewColumn, "[[review.columns]]"
    if len(loc) == 1 and isinstance(loc[0], str):
        return _SECTION_LABELS.get(loc[0])
    return None


def _field_description(loc: tuple[int | str, ...]) -> str | None:
    if not loc or not isinstance(loc[-1], str):
        return None
    found = _section(loc[:-1])
    if found is None:
        return None
    field = found[0].model_fields.get(loc[-1])
    return field.description if field else None


def _phrases(error: Any) -> list[tuple[str, str]]:
    """One pydantic error as ``(dotted key, phrase)`` pairs; the phrase follows the key in the sentence."""
    loc: _Loc = tuple(error["loc"])
    key = _dotted(loc)
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        if isinstance(cause, _KeyedProblems):
            return [(_dotted(loc + relative), phrase) for relative, phrase in cause.problems]
        return [(key, str(cause) if cause is not None else error["msg"])]
    if kind == "missing":
        description = _field_description(loc)
        return [(key, f"缺少必填项（{description}）" if description else "缺少必填项")]
    if kind == "extra_forbidden":
        found = _section(loc[:-1])
        if found is None:
            return [(key, "是未知的配置项")]
        model, label = found
        allowed = list(model.model_fields)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"（是不是想写 {guess[0]}？）" if guess else ""
        return [(key, f"是未知的配置项{hint}；{label} 中允许的配置项为：{'、'.join(allowed)}")]
    if kind in _EXPECTED_TYPES:
        return [(key, f"应为{_EXPECTED_TYPES[kind]}，实际为{_describe(value)}")]
    if kind == "literal_error":
        return [(key, f"应为以下之一：{ctx.get('expected', '')}，实际为{_describe(value)}")]
    if kind == "greater_than_equal":
        return [(key, f"应不小于 {ctx.get('ge')}，实际为{_describe(value)}")]
    if kind == "less_than_equal":
        return [(key, f"应不大于 {ctx.get('le')}，实际为{_describe(value)}")]
    if kind in ("string_too_long", "too_long") and isinstance(value, str):
        return [(key, f"最长 {ctx.get('max_length')} 个字符，实际为 {len(value)} 个字符")]
    if kind == "too_long":
        return [(key, f"最多 {ctx.get('max_length')} 项，实际为 {ctx.get('actual_length')} 项")]
    if kind == "too_short":
        return [(key, f"至少要有 {ctx.get('min_length')} 项，实际为 {ctx.get('actual_length')} 项")]
    # A kind not foreseen above: keep pydantic's words rather than hide the problem.
    return [(key, f"不符合要求（{error['msg']}）")]


def _problem_lines(exc: ValidationError) -> list[str]:
    errors = exc.errors(include_url=False)
    # Every proper prefix of every error's location: the containers that hold a wrong item.
    containers = {tuple(error["loc"][:end]) for error in errors for end in range(len(error["loc"]))}
    lines: list[str] = []
    for error in errors:
        if error["type"] == "too_short" and tuple(error["loc"]) in containers:
            # Pydantic counts only the valid items, so "at least 1, got 0" would follow every bad [[staff]].
            continue
        for key, phrase in _phrases(error):
            lines.append(f"{key} {phrase}" if key else phrase)
    return lines


def _problems_message(path: Path, lines: list[str]) -> str:
    if len(lines) == 1:
        return f"配置文件 {path} 有误：{lines[0]}。"
    body = "\n".join(f"  {number}. {line}。" for number, line in enumerate(lines, start=1))
    return f"配置文件 {path} 有 {len(lines)} 处错误：\n{body}"


def load_settings(path: str | Path | None = None, office: str | None = None) -> Settings:
    """Read and validate the configuration (see :func:`resolve_config_path` for which one).

    A folder holds one office per ``*.toml`` file and, optionally, ``county.toml`` (settings shared by all): the
    office is ``office`` (``--office``), else ``GONGKAI_OFFICE``, else the folder's only office; its file is read
    over ``county.toml`` (tables merged key by key, the office's value winning; lists, such as ``[[staff]]``,
    taken whole). With one file, ``office`` (or ``GONGKAI_OFFICE``), when given, must be the file's code.

    Raises :class:`ConfigError` naming the file, each wrong key and what was expected.
    """
    config_path = resolve_config_path(path)
    wanted = (
        office if office is not None and office.strip() else os.environ.get(OFFICE_ENV, "").strip() or None
    )
    if config_path.is_dir():
        return _load_from_folder(config_path, wanted)
    settings = _validated(_read_toml(config_path), config_path, str(config_path), folder=None)
    if wanted is not None and wanted != settings.office.code:
        given = "--office" if office is not None and office.strip() else f"环境变量 {OFFICE_ENV}"
        raise ConfigError(
            f"{given} 指定的单位是“{wanted}”，但配置文件 {config_path} 的单位代码（[office] code）是"
            f"“{settings.office.code}”：请指定该文件的单位，或用 --config 指定单位“{wanted}”的配置（文件或文件夹）。"
        )
    return settings


def _validated(data: dict[str, Any], path: Path, label: str, *, folder: Path | None) -> Settings:
    try:
        parsed = ConfigFile.model_validate(data)
    except ValidationError as exc:
        # ``from None``: pydantic's own text repeats the input values, which may include a secret.
        raise ConfigError(_problems_message(Path(label), _problem_lines(exc))) from None
    return Settings.model_validate(
        {**dict(parsed), "path": path.resolve(), "folder": folder.resolve() if folder else None}
    )


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` read over ``base``: tables merged key by key, anything else (values, lists) taken from ``over``."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def office_files(folder: Path) -> dict[str, Path]:
    """The offices of a configuration folder: ``{code: file}`` for every ``*.toml`` but ``county.toml``, in code
    order. Raises :class:`ConfigError` listing every file that cannot be read, has no ``[office] code``, or
    repeats another file's code."""
    found, problems = _scan(folder)
    if problems:
        raise ConfigError("\n".join(problems))
    return found


def _scan(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The folder's offices, and a sentence for each file that is not one (read by :func:`office_files`, and by
    :func:`_load_from_folder`, which lets one office's broken file stop that office only)."""
    found: dict[str, Path] = {}
    problems: list[str] = []
    for file in sorted(folder.glob("*.toml")):
        if file.name == COUNTY_FILE or not file.is_file():
            continue
        try:
            office = _read_toml(file).get("office")
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        code = office.get("code") if isinstance(office, dict) else None
        if not isinstance(code, str) or not code.strip():
            problems.append(
                f"配置文件夹 {folder} 中的单位配置文件 {file.name} 没有写单位代码：文件夹中每个单位的文件都要在 "
                "[office] 中写 code（小写英文字母、数字或“-”，各单位不同）。"
            )
        elif code in found:
            problems.append(
                f"配置文件夹 {folder} 中 {found[code].name} 和 {file.name} 的单位代码都是“{code}”：每个单位的代码"
                "必须不同。"
            )
        else:
            found[code] = file
    return dict(sorted(found.items())), problems


def _load_from_folder(folder: Path, wanted: str | None) -> Settings:
    county = folder / COUNTY_FILE
    shared = _read_toml(county) if county.is_file() else {}
    if "staff" in shared:
        raise ConfigError(f"{county} 不能写 [[staff]]：工作人员属于各单位，请写在各单位自己的配置文件中。")
    if isinstance(shared.get("office"), dict) and "code" in shared["office"]:
        raise ConfigError(f"{county} 不能写 [office] code：单位代码写在各单位自己的配置文件中。")
    offices, problems = _scan(folder)
    held = "、".join(offices) or "无"
    also = "".join(f"\n{problem}" for problem in problems)
    if wanted is None and len(offices) == 1 and not problems:
        wanted = next(iter(offices))
    elif wanted is None:
        raise ConfigError(
            f"配置文件夹 {folder} 中有 {len(offices)} 个单位（{held}）：请用 --office 单位代码 或环境变量 "
            f"{OFFICE_ENV} 指定本次处理哪个单位。{also}"
            if offices
            else f"配置文件夹 {folder} 中没有单位配置文件：每个单位一个 .toml 文件（{COUNTY_FILE} 之外），写明 "
            f"[office] code。{also}"
        )
    file = offices.get(wanted)
    if file is None or any(f"“{wanted}”" in problem for problem in problems):
        raise ConfigError(f"配置文件夹 {folder} 中没有单位代码为“{wanted}”的单位（已配置：{held}）。{also}")
    label = f"{file}（并入 {county}）" if county.is_file() else str(file)
    return _validated(_merged(shared, _read_toml(file)), file, label, folder=folder)


def parse_notify_target(target: str) -> tuple[Literal["env", "secret", "console"], str]:
    """Split a validated ``notify`` entry into its kind and name: ``"env:X"`` → ``("env", "X")``;
    ``"console"`` → ``("console", "")`` (the message goes to Gongkai's log: for demos and tests)."""
    try:
        _valid_notify_target(target)
    except ValueError as exc:
        raise ConfigError(f"通知目标 {exc}。") from None
    if target == "console":
        return "console", ""
    kind, _, name = target.partition(":")
    return ("env" if kind == "env" else "secret"), name


# --------------------------------------------------------------------------------------------------------------
# The environment (never the TOML file, never at import time): the working folder and the database are in
# gongkai.core.home (re-exported above); URLs are redacted here.


# The userinfo runs to the last "@" before the host: an unencoded "@" in a password still gets masked whole.
_URL_PASSWORD_RE: Final = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:)(?P<password>[^\s/?#]*)(?P<tail>@[^\s/?#@]*)"
)


def redact_url(url: str) -> str:
    """Mask the password of every URL in ``url``: ``scheme://user:secret@host`` → ``scheme://user:***@host``.

    URLs without a password are returned unchanged. Tokens in a URL's path are not masked.
    """

    def mask(match: re.Match[str]) -> str:
        if not match["password"]:
            return match[0]
        return f"{match['head']}***{match['tail']}"

    return _URL_PASSWORD_RE.sub(mask, url)
