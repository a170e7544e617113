"""The configuration file: the shipped one loads, defaults apply, and every mistake is named precisely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from gongkai.core.errors import ConfigError
from gongkai.core.settings import (
    ROLE_LABELS,
    Reminders,
    Schedules,
    database_url,
    falls_back_to_demo,
    gongkai_home,
    load_settings,
    parse_notify_target,
    redact_url,
    resolve_config_path,
)
from gongkai.core.shipped import DEMO_CONFIG

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "config" / "gongkai.toml"

MINIMAL = """\
[office]
name = "测试街道办事处"
disclosure_unit = "测试街道党政综合办公室"

[[staff]]
id = "wang"
name = "王丽"
role = ["handler", "administrator"]

[[staff]]
id = "zhao"
name = "赵建国"
role = "unit_head"
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GONGKAI_CONFIG", "GONGKAI_HOME", "GONGKAI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str, name: str = "gongkai.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    """Write ``text``, load it, and return the path and the ConfigError's message."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return path, str(info.value)


# --- loading -------------------------------------------------------------------------------------------------


def test_shipped_config_loads() -> None:
    settings = load_settings(SHIPPED)

    assert settings.path == SHIPPED
    assert settings.office.name == "嘉祥街道办事处"
    assert settings.office.disclosure_unit == "嘉祥街道党政综合办公室"
    assert settings.office.email.endswith(".example")
    assert settings.tz == ZoneInfo("Asia/Shanghai")
    assert [person.id for person in settings.staff] == ["wang", "li", "zhao"]
    assert [person.id for person in settings.staff_with_role("handler")] == ["wang", "li"]
    assert [person.id for person in settings.staff_with_role("unit_head")] == ["zhao"]
    assert [person.id for person in settings.staff_with_role("administrator")] == ["wang"]
    assert all(
        target == "console" or target.startswith("env:")
        for person in settings.staff
        for target in person.notify
    )


def test_shipped_config_writes_out_every_default() -> None:
    settings = load_settings(SHIPPED)

    assert settings.reminders == Reminders()
    assert settings.schedules == Schedules()


def test_defaults_apply(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))

    assert settings.office.timezone == "Asia/Shanghai"
    assert settings.office.phone == ""
    assert settings.reminders.ladder == (10, 5, 3, 1, 0)
    assert settings.reminders.overdue_every_working_day is True
    assert settings.reminders.extension_decision_days == 3
    assert settings.reminders.escalate_overdue_to == ("unit_head", "administrator")
    assert settings.reminders.item_publication_ladder == (5, 3, 1, 0)
    assert settings.reminders.calendar_missing_from == "12-01"
    assert settings.reminders.max_send_attempts == 5
    assert settings.schedules.reminders == "30 8 * * *"
    assert settings.schedules.catalogue == "0 9 1 1,4,7,10 *"
    assert settings.schedules.review == "0 9 * * 1"
    assert settings.schedules.report_readiness == "0 9 2,9,16,23,30 1 *"
    assert settings.staff[0].notify == ()
    assert settings.office.demo is False  # a configuration is a real office's unless it says otherwise


def test_shipped_config_is_the_demo_offices() -> None:
    assert load_settings(SHIPPED).office.demo is True
    text = SHIPPED.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines()) if row.strip() == "demo = true")
    comment = "\n".join(text.splitlines()[line - 3 : line])
    assert "删除" in comment and "false" in comment  # going live: delete the line or set false


def test_roles_normalised_to_a_tuple_and_lookups(tmp_path: Path) -> None:
    text = MINIMAL.replace('role = "unit_head"', 'role = ["unit_head", "handler", "unit_head"]')
    settings = load_settings(write(tmp_path, text))

    zhao = settings.staff_by_id("zhao")
    assert zhao is not None
    assert zhao.role == ("unit_head", "handler")
    assert zhao.role_labels == (ROLE_LABELS["unit_head"], ROLE_LABELS["handler"])
    assert settings.staff_by_id("nobody") is None
    assert settings.staff_with_role("handler") == (settings.staff[0], zhao)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('["承办人", "unit_head"]', ("handler", "unit_head")),
        ('["负责人", "管理员"]', ("unit_head", "administrator")),
        ('"科室负责人"', ("unit_head",)),
        ('["信息公开工作机构负责人", "unit_head"]', ("unit_head",)),
    ],
)
def test_roles_accepted_by_their_chinese_names(
    tmp_path: Path, written: str, expected: tuple[str, ...]
) -> None:
    settings = load_settings(write(tmp_path, MINIMAL.replace('role = "unit_head"', f"role = {written}")))

    zhao = settings.staff_by_id("zhao")
    assert zhao is not None and zhao.role == expected


def test_staff_are_counted_from_one_in_messages(tmp_path: Path) -> None:
    _, message = config_error(tmp_path, MINIMAL.replace('role = "unit_head"', 'role = "boss"'))

    assert "staff 第 2 项的 role" in message  # zhao is the second person in the file
    assert "[1]" not in message and "[0]" not in message
    assert "中文名称亦可" in message


@pytest.mark.parametrize(
    "url", ['"><script>alert(1)</script>', "www.example.gov.cn", "https://a b.cn/", "javascript:x"]
)
def test_catalogue_public_url_must_be_a_plain_web_address(tmp_path: Path, url: str) -> None:
    _, message = config_error(tmp_path, MINIMAL + f"\n[catalogue]\npublic_url = {json.dumps(url)}\n")
    assert "catalogue.public_url" in message and "http" in message


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))

    with pytest.raises(ValidationError):
        settings.office.name = "别的名字"


def test_file_saved_with_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "gongkai.toml"
    path.write_bytes(MINIMAL.encode("utf-8-sig"))

    assert load_settings(path).office.name == "测试街道办事处"


def test_calendar_missing_from_date(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))

    assert settings.reminders.calendar_missing_from_date(2026).isoformat() == "2026-12-01"


def test_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, gongkai.core.settings; "
        "heavy = [m for m in ('prefect', 'sqlalchemy', 'sqlmodel', 'apprise', 'jinja2') if m in sys.modules]; "
        "sys.exit(str(heavy) if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- one test per kind of mistake: the file, the dotted key and what was expected -------------------------------


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        pytest.param(
            "colour = 1\n" + MINIMAL,
            "colour",
            ["未知的配置项", "office、staff、reminders、schedules"],
            id="unknown-top-level-key",
        ),
        pytest.param(
            MINIMAL.replace("[office]\n", '[office]\nnmae = "x"\n'),
            "office.nmae",
            ["未知的配置项", "是不是想写 name", "disclosure_unit"],
            id="unknown-office-key",
        ),
        pytest.param(
            MINIMAL.replace('name = "测试街道办事处"\n', ""),
            "office.name",
            ["缺少必填项"],
            id="missing-office-name",
        ),
        pytest.param(
            MINIMAL.replace('name = "测试街道办事处"', 'name = "  "'),
            "office.name",
            ["不能为空"],
            id="blank-office-name",
        ),
        pytest.param(
            MINIMAL.replace("[office]\n", '[office]\ntimezone = "Asia/Beijing"\n'),
            "office.timezone",
            ["IANA 时区名", "Asia/Beijing"],
            id="bad-timezone",
        ),
        pytest.param(
            MINIMAL.replace("[office]\n", '[office]\ndemo = "yes"\n'),
            "office.demo",
            ["布尔值（true 或 false）", '字符串 "yes"'],
            id="demo-not-boolean",
        ),
        pytest.param(
            MINIMAL.replace('role = "unit_head"', 'role = "boss"'),
            "staff 第 2 项的 role",
            ["应为以下之一", "unit_head", "boss"],
            id="bad-role",
        ),
        pytest.param(
            MINIMAL.replace('role = "unit_head"', 'role = ["unit_head", "chief"]'),
            "staff 第 2 项的 role 第 2 项",
            ["应为以下之一", "chief"],
            id="bad-role-in-list",
        ),
        pytest.param(
            MINIMAL.replace('id = "zhao"', 'id = "Zhao Jianguo"'),
            "staff 第 2 项的 id",
            ["小写英文字母开头", "Zhao Jianguo"],
            id="bad-staff-id",
        ),
        pytest.param(
            MINIMAL + '\n[[staff]]\nid = "wang"\nname = "王磊"\nrole = "handler"\n',
            "staff 第 3 项的 id",
            ["staff 第 1 项的 id 重复", "wang"],
            id="duplicate-staff-id",
        ),
        pytest.param(
            MINIMAL.replace('role = ["handler", "administrator"]', 'role = "handler"'),
            "staff",
            ["administrator", "管理员"],
            id="no-administrator",
        ),
        pytest.param(
            MINIMAL.replace('role = "unit_head"', 'role = "handler"'),
            "staff",
            ["unit_head", "信息公开工作机构负责人"],
            id="no-unit-head",
        ),
        pytest.param(
            MINIMAL + 'notify = ["env:gongkai-notify"]\n',
            "staff 第 2 项的 notify 第 1 项",
            ["环境变量名", "大写英文字母", "gongkai-notify"],
            id="bad-env-name",
        ),
        pytest.param(
            MINIMAL + 'notify = ["secret:Notify_Zhao"]\n',
            "staff 第 2 项的 notify 第 1 项",
            ["Secret 块名", "Notify_Zhao"],
            id="bad-secret-block-name",
        ),
        pytest.param(
            MINIMAL + "\n[reminders]\nladder = [10, 5, 5, 1]\n",
            "reminders.ladder",
            ["严格递减", "[10, 5, 5, 1]"],
            id="ladder-not-decreasing",
        ),
        pytest.param(
            MINIMAL + "\n[reminders]\nladder = [3, 1, -1]\n",
            "reminders.ladder 第 3 项",
            ["应不小于 0", "-1"],
            id="ladder-negative",
        ),
        pytest.param(
            MINIMAL + "\n[reminders]\nladder = [90, 1]\n",
            "reminders.ladder 第 1 项",
            ["应不大于 60", "90"],
            id="ladder-too-long",
        ),
        pytest.param(
            MINIMAL + "\n[reminders]\nladder = []\n", "reminders.ladder", ["至少要有 1 项"], id="ladder-empty"
        ),
        pytest.param(
            MINIMAL + '\n[reminders]\nmax_send_attempts = "5"\n',
            "reminders.max_send_attempts",
            ["应为整数", '字符串 "5"'],
            id="string-for-int",
        ),
        pytest.param(
            MINIMAL + "\n[reminders]\nextension_decision_days = 20\n",
            "reminders.extension_decision_days",
            ["应不大于 19"],
            id="extension-decision-too-late",
        ),
        pytest.param(
            MINIMAL + '\n[reminders]\ncalendar_missing_from = "12/1"\n',
            "reminders.calendar_missing_from",
            ["MM-DD", "12/1"],
            id="bad-calendar-missing-from",
        ),
        pytest.param(
            MINIMAL + '\n[reminders]\ncalendar_missing_from = "02-30"\n',
            "reminders.calendar_missing_from",
            ["MM-DD", "02-30"],
            id="impossible-calendar-day",
        ),
        pytest.param(
            MINIMAL + '\n[schedules]\nreminders = "30 8 * *"\n',
            "schedules.reminders",
            ["5 段", "30 8 * * *", "有 4 段"],
            id="cron-too-few-fields",
        ),
        pytest.param(
            MINIMAL + '\n[schedules]\ncatalogue = "0 9 1 1,4,7,13 *"\n',
            "schedules.catalogue",
            ["cron", "第 4 段（月）", "13 超出范围 1-12"],
            id="cron-out-of-range",
        ),
    ],
)
def test_mistake_is_named(tmp_path: Path, text: str, key: str, expected: list[str]) -> None:
    path, message = config_error(tmp_path, text)

    assert str(path) in message
    assert f"{key} " in message
    for fragment in expected:
        assert fragment in message
    assert "\n" not in message  # one mistake, one sentence


def test_notify_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = MINIMAL + 'notify = ["mailto://zhao:hunter2@mail.example.org?to=zhao@example.org"]\n'
    path, message = config_error(tmp_path, text)

    assert str(path) in message
    assert "staff 第 2 项的 notify 第 1 项" in message
    assert "环境变量" in message and "Secret" in message
    assert "hunter2" not in message
    assert "mail.example.org" not in message
    assert "mailto" not in message


def test_notify_url_given_as_a_plain_string_is_not_echoed(tmp_path: Path) -> None:
    _, message = config_error(tmp_path, MINIMAL + 'notify = "wecombot://secret-bot-key"\n')

    assert "staff 第 2 项的 notify" in message
    assert "secret-bot-key" not in message


def test_unrecognised_notify_value_is_not_echoed(tmp_path: Path) -> None:
    _, message = config_error(tmp_path, MINIMAL + 'notify = ["123456:AAE-bot-token"]\n')

    assert "staff 第 2 项的 notify 第 1 项" in message
    assert "AAE-bot-token" not in message


def test_several_mistakes_are_listed_one_per_line(tmp_path: Path) -> None:
    text = MINIMAL.replace('role = "unit_head"', 'role = "boss"') + "\n[reminders]\nladder = [1, 2]\n"
    path, message = config_error(tmp_path, text)

    lines = message.splitlines()
    assert str(path) in lines[0] and "2 处错误" in lines[0]
    assert "staff 第 2 项的 role" in lines[1]
    assert "reminders.ladder" in lines[2]


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "王丽"', "name = 王丽")
    path, message = config_error(tmp_path, text)

    assert str(path) in message
    assert "第 7 行" in message
    assert "TOML 语法错误" in message


def test_file_not_in_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gongkai.toml"
    path.write_bytes(MINIMAL.encode("gb18030"))

    with pytest.raises(ConfigError, match="UTF-8") as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError, match="找不到") as info:
        load_settings(missing)
    assert str(missing) in str(info.value)


@pytest.mark.parametrize(
    "expression",
    ["30 8 * * *", "0 9 1 1,4,7,10 *", "*/15 8-18 * * 1-5", "0 9-17/2 1-7 */3 0,7", "59 23 31 12 6"],
)
def test_valid_cron_expressions(expression: str) -> None:
    assert Schedules(reminders=expression).reminders == expression


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "@daily",
        "* * * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 0 *",
        "* * * * 8",
        "*/0 * * * *",
        "5/15 * * * *",
        "10-5 * * * *",
        "1,,2 * * * *",
        "a * * * *",
        "* * * JAN *",
    ],
)
def test_invalid_cron_expressions(expression: str) -> None:
    with pytest.raises(ValidationError):
        Schedules(reminders=expression)


# --- which file ---------------------------------------------------------------------------------------------


def test_resolve_prefers_explicit_then_environment_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    default = write(tmp_path / "config", MINIMAL)
    from_env = write(tmp_path, MINIMAL, "from-env.toml")
    explicit = write(tmp_path, MINIMAL, "explicit.toml")

    assert resolve_config_path(None).resolve() == default
    monkeypatch.setenv("GONGKAI_CONFIG", str(from_env))
    assert resolve_config_path(None) == from_env
    assert resolve_config_path(explicit) == explicit
    assert resolve_config_path(str(explicit)) == explicit
    assert load_settings().path == from_env


def test_resolve_without_any_file_falls_back_to_the_shipped_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed wheel used in an empty folder: nothing named, no config/gongkai.toml here -> the shipped demo
    office's configuration (``demo = true``: it can never open a real office's register)."""
    monkeypatch.chdir(tmp_path)

    assert falls_back_to_demo(None)
    assert resolve_config_path(None) == DEMO_CONFIG
    assert (
        DEMO_CONFIG.read_bytes() == SHIPPED.read_bytes()
    )  # in a clone: the repository's config/gongkai.toml
    assert load_settings().office.demo is True


def test_no_fallback_when_a_file_is_named_or_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert not falls_back_to_demo(tmp_path / "typo.toml")
    with pytest.raises(ConfigError, match="--config"):
        resolve_config_path(tmp_path / "typo.toml")
    monkeypatch.setenv("GONGKAI_CONFIG", str(tmp_path / "typo.toml"))
    assert not falls_back_to_demo(None)
    with pytest.raises(ConfigError, match="GONGKAI_CONFIG"):
        resolve_config_path(None)
    monkeypatch.delenv("GONGKAI_CONFIG")
    # A config/ folder without the file is a configuration gone wrong: an error saying how to choose a file.
    write(tmp_path / "config", MINIMAL, "office.toml")
    assert not falls_back_to_demo(None)
    with pytest.raises(ConfigError) as info:
        resolve_config_path(None)
    message = str(info.value)
    assert message.startswith(f"找不到配置文件 {Path('config') / 'gongkai.toml'}")
    assert "--config" in message and "GONGKAI_CONFIG" in message
    (tmp_path / "config" / "gongkai.toml").mkdir()
    assert not falls_back_to_demo(None)
    with pytest.raises(ConfigError, match="配置文件夹 .* 中没有单位配置文件"):
        load_settings(None)  # a folder is a configuration folder: this one holds no office
    (tmp_path / "config" / "gongkai.toml").rmdir()
    default = write(tmp_path / "config", MINIMAL)
    assert not falls_back_to_demo(None)
    assert resolve_config_path(None).resolve() == default


def test_resolve_missing_file_named_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "config", MINIMAL)
    monkeypatch.setenv("GONGKAI_CONFIG", str(tmp_path / "typo.toml"))

    # The environment names a file: a default that happens to exist does not silently replace it.
    with pytest.raises(ConfigError) as info:
        resolve_config_path(None)
    assert "GONGKAI_CONFIG" in str(info.value)
    assert "typo.toml" in str(info.value)


def test_resolve_missing_explicit_file_is_not_replaced_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GONGKAI_CONFIG", str(write(tmp_path, MINIMAL)))

    with pytest.raises(ConfigError, match="--config") as info:
        resolve_config_path(tmp_path / "typo.toml")
    assert "typo.toml" in str(info.value)


def test_resolve_takes_a_folder_as_a_configuration_folder(tmp_path: Path) -> None:
    assert resolve_config_path(tmp_path) == tmp_path  # its offices: tests/gongkai/test_config_folder.py


# --- the environment ----------------------------------------------------------------------------------------


def test_home_and_database_url_default_to_var_in_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert gongkai_home() == (tmp_path / "var").resolve()
    assert database_url() == f"sqlite:///{(tmp_path / 'var' / 'gongkai.db').resolve().as_posix()}"


def test_home_and_database_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path / "home"))
    assert gongkai_home() == (tmp_path / "home").resolve()
    assert database_url().endswith("/home/gongkai.db")

    monkeypatch.setenv("GONGKAI_DATABASE_URL", "postgresql+psycopg://gk:pw@db/gk")
    assert database_url() == "postgresql+psycopg://gk:pw@db/gk"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "postgresql+psycopg://gongkai:s3cret@db.example:5432/gongkai",
            "postgresql+psycopg://gongkai:***@db.example:5432/gongkai",
        ),
        ("postgresql://gk:p@ss:w@db/gk", "postgresql://gk:***@db/gk"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "mailto://wang:s3cret@smtp.example?to=a@example.org",
            "mailto://wang:***@smtp.example?to=a@example.org",
        ),
        (
            "连接 postgresql://a:b@h1/x 失败，改用 mysql://c:d@h2/y",
            "连接 postgresql://a:***@h1/x 失败，改用 mysql://c:***@h2/y",
        ),
        ("postgresql://gongkai@db.example/gongkai", "postgresql://gongkai@db.example/gongkai"),
        ("postgresql://db.example:5432/gongkai", "postgresql://db.example:5432/gongkai"),
        ("sqlite:////srv/gongkai/var/gongkai.db", "sqlite:////srv/gongkai/var/gongkai.db"),
        ("sqlite:///C:/gongkai/var/gongkai.db", "sqlite:///C:/gongkai/var/gongkai.db"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_parse_notify_target() -> None:
    assert parse_notify_target("env:GONGKAI_NOTIFY_WANG") == ("env", "GONGKAI_NOTIFY_WANG")
    assert parse_notify_target("secret:notify-wang") == ("secret", "notify-wang")
    with pytest.raises(ConfigError) as info:
        parse_notify_target("mailto://wang:s3cret@smtp.example")
    assert "s3cret" not in str(info.value)


def test_console_target_is_accepted_and_parsed(tmp_path: Path) -> None:
    from gongkai.core.settings import parse_notify_target

    assert parse_notify_target("console") == ("console", "")
    assert parse_notify_target("env:GONGKAI_X") == ("env", "GONGKAI_X")


# --- [review] ------------------------------------------------------------------------------------------------


def test_review_defaults_and_shipped_values(tmp_path: Path) -> None:
    from gongkai.core.settings import Review

    defaults = load_settings(write(tmp_path, MINIMAL)).review
    assert defaults == Review()
    assert (defaults.interval_days, defaults.withheld_interval_days, defaults.task_days) == (365, 180, 10)
    assert (defaults.news_stale_days, defaults.policy_stale_days, defaults.other_stale_days) == (14, 183, 365)
    assert defaults.columns == ()
    shipped = load_settings(SHIPPED)
    assert shipped.review.interval_for("规范性文件") == 180
    assert shipped.review.interval_for("行政许可") == 365
    assert shipped.review_owner.id == "wang"
    news = next(c for c in shipped.review.columns if c.kind == "news")
    assert shipped.review.stale_days_for(news) == 14


@pytest.mark.parametrize(
    ("extra", "key", "expected"),
    [
        pytest.param(
            "[review]\ninterval_days = 3\n", "review.interval_days", ["应不小于 7"], id="interval-too-short"
        ),
        pytest.param(
            '[review]\nowner = "qian"\n',
            "review.owner",
            ["[[staff]] 中的人员标识", "qian"],
            id="unknown-owner",
        ),
        pytest.param(
            '[review]\ncategory_intervals = { "天气预报" = 30 }\n',
            "review.category_intervals",
            ["天气预报", "不是第二十条的类别"],
            id="unknown-category",
        ),
        pytest.param(
            '[[review.columns]]\nname = "工作动态"\nkind = "blog"\ncategories = ["监督检查"]\n',
            "review.columns 第 1 项的 kind",
            ["news", "policy", "other", "blog"],
            id="bad-column-kind",
        ),
        pytest.param(
            '[[review.columns]]\nname = "工作动态"\nkind = "news"\ncategories = ["天气"]\n',
            "review.columns 第 1 项的 categories 第 1 项",
            ["第二十条的类别", "天气"],
            id="bad-column-category",
        ),
        pytest.param(
            '[[review.columns]]\nname = "A"\nkind = "news"\ncategories = ["监督检查"]\n'
            '[[review.columns]]\nname = "A"\nkind = "other"\ncategories = ["应急管理"]\n',
            "review.columns 第 2 项的 name",
            ["review.columns 第 1 项的 name 重复"],
            id="duplicate-column",
        ),
        pytest.param(
            f'[[review.columns]]\nname = "{"栏" * 61}"\nkind = "news"\ncategories = ["监督检查"]\n',
            "review.columns 第 1 项的 name",
            ["最长 60 个字符", "实际为 61 个字符"],
            id="column-name-too-long",
        ),
        pytest.param(
            '[[review.columns]]\nname = "A"\nkind = "news"\ncategory = ["监督检查"]\n',
            "review.columns 第 1 项的 category",
            ["未知的配置项", "是不是想写 categories"],
            id="unknown-column-key",
        ),
    ],
)
def test_review_mistakes_are_named(tmp_path: Path, extra: str, key: str, expected: list[str]) -> None:
    path, message = config_error(tmp_path, MINIMAL + "\n" + extra)
    assert str(path) in message and key in message, message
    for part in expected:
        assert part in message, message


def test_category_descriptions_name_known_categories(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            MINIMAL + '\n[catalogue]\ncategories = ["社区事务"]\n'
            'category_descriptions = { "社区事务" = "社区公共事务", "统计信息" = "本街道统计数据" }\n',
        )
    )
    assert settings.catalogue.description_of("社区事务") == "社区公共事务"
    assert settings.catalogue.description_of("统计信息") == "本街道统计数据"
    assert settings.catalogue.description_of("财政预决算") == "第二十条第（七）项：财政预算、决算信息"
    path, message = config_error(
        tmp_path, MINIMAL + '\n[catalogue]\ncategory_descriptions = { "天气" = "x" }\n'
    )
    assert str(path) in message and "catalogue.category_descriptions" in message and "天气" in message, (
        message
    )
