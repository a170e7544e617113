"""The ``gongkai`` command line (CONTRACT sections 1 and 2), driven through Click's test runner.

Each test gets an empty GONGKAI_HOME (so a fresh SQLite database) and the repository's
configuration file. Dates are given with ``--as-of`` so that nothing depends on today.
Two tests start real processes: the installed console script, and ``-X importtime``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from gongkai.cli.main import main
from tests.offices import CALENDAR_2027

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "gongkai.toml"
CJK = re.compile(r"[\u4e00-\u9fff]")
SECTION_2_KEYS = [
    "received",
    "due",
    "safe_due",
    "extension_limit",
    "correction_notice_due",
    "paused_working_days",
    "extended",
    "provisional",
    "state",
    "explain",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("GONGKAI_HOME", str(folder))
    monkeypatch.setenv("GONGKAI_CONFIG", str(CONFIG))
    return folder


def gk(*args: str) -> Result:
    """Run ``gongkai ARGS`` in-process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def ok(*args: str) -> Result:
    result = gk(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def refused(*args: str) -> str:
    """Run a command that must fail with exit 2 and one Chinese line on stderr; return that line."""
    result = gk(*args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert CJK.search(lines[0]), lines[0]
    return lines[0]


# -- gongkai deadline ---------------------------------------------------------------------------


def test_deadline_json_is_the_contract_example_without_a_database(home: Path) -> None:
    result = ok("deadline", "--received", "2025-01-24", "--json")
    data = json.loads(result.stdout)
    assert list(data)[: len(SECTION_2_KEYS)] == SECTION_2_KEYS
    assert {k: data[k] for k in SECTION_2_KEYS[:-1]} == {
        "received": "2025-01-24",
        "due": "2025-02-27",
        "safe_due": "2025-02-26",
        "extension_limit": "2025-03-27",
        "correction_notice_due": "2025-02-10",
        "paused_working_days": 0,
        "extended": False,
        "provisional": False,
        "state": "in_progress",
    }
    assert isinstance(data["explain"], list) and data["explain"]
    assert all(isinstance(line, str) and CJK.search(line) for line in data["explain"])
    assert list(home.iterdir()) == []


def test_deadline_example_a_continuation(home: Path) -> None:
    events = [
        "correction_requested:2025-02-05",
        "correction_received:2025-02-12",
        "consultation_sent:2025-03-03",
        "consultation_replied:2025-03-14",
    ]
    args = ["deadline", "--received", "2025-01-24", "--as-of", "2025-03-20", "--json"]
    for e in events:
        args += ["--event", e]
    data = json.loads(ok(*args).stdout)
    assert (data["due"], data["paused_working_days"], data["state"], data["extended"]) == (
        "2025-03-24",
        8,
        "in_progress",
        False,
    )
    extended = json.loads(ok(*args, "--event", "extension_approved:2025-03-20:10").stdout)
    assert extended["extended"] is True and extended["due"] > data["due"]
    # Only one extension: the one approved is the furthest any can reach (README, "extension_limit").
    assert extended["extension_limit"] == extended["due"] < data["extension_limit"]
    assert list(home.iterdir()) == []


def test_deadline_as_of_before_receipt_exits_2(home: Path) -> None:
    line = refused("deadline", "--received", "2026-03-02", "--as-of", "2026-03-01")
    assert "2026-03-01" in line and "2026-03-02" in line and "收到申请" in line


def test_deadline_ignores_events_after_as_of_and_says_so(home: Path) -> None:
    """As of Fri 20 Mar 2026 an extension approved on 25 Mar has not happened: the reply date stays
    Mon 30 Mar (20th working day after Mon 2 Mar), and the output says what was left out."""
    args = [
        "deadline",
        "--received",
        "2026-03-02",
        "--as-of",
        "2026-03-20",
        "--event",
        "extension_approved:2026-03-25",
    ]
    out = ok(*args).stdout
    assert "法定答复期限：2026-03-30" in out
    assert "extension_approved:2026-03-25" in out and "未计入" in out
    data = json.loads(ok(*args, "--json").stdout)
    assert (data["due"], data["extended"]) == ("2026-03-30", False)
    assert data["ignored_events"] == ["extension_approved:2026-03-25"]
    later = json.loads(ok(*args[:3], "--as-of", "2026-03-25", *args[5:], "--json").stdout)
    assert (later["due"], later["extended"], later["ignored_events"]) == ("2026-04-28", True, [])


def test_request_show_as_of_is_checked_against_the_register(home: Path) -> None:
    ok(
        "request",
        "add",
        "--ref",
        "2026-0007",
        "--received",
        "2026-03-02",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张小明",
        "--content",
        "请求公开某文件",
        "--by",
        "wang",
        "--as-of",
        "2026-03-02",
    )
    ok(
        "request",
        "event",
        "2026-0007",
        "extension_approved:2026-03-25",
        "--by",
        "zhao",
        "--as-of",
        "2026-03-25",
    )
    line = refused("request", "show", "2026-0007", "--as-of", "2026-03-01")
    assert "2026-03-01" in line and "2026-03-02" in line
    before = json.loads(ok("request", "show", "2026-0007", "--as-of", "2026-03-20", "--json").stdout)
    assert (before["due"], before["extended"]) == ("2026-03-30", False)
    assert before["ignored_events"] == ["extension_approved:2026-03-25"]
    assert "未计入" in ok("request", "show", "2026-0007", "--as-of", "2026-03-20").stdout
    after = json.loads(ok("request", "show", "2026-0007", "--as-of", "2026-03-26", "--json").stdout)
    assert (after["due"], after["extended"], after["ignored_events"]) == ("2026-04-28", True, [])


def test_deadline_text_with_channel(home: Path) -> None:
    out = ok("deadline", "--received", "2025-01-24", "--channel", "网络", "--as-of", "2025-01-24").stdout
    assert "法定答复期限：2025-02-27" in out
    assert "从严提醒期限：2025-02-26" in out
    assert "互联网" in out  # the Art. 31 rule of the online channel is explained
    assert (
        ok("deadline", "--received", "2025-01-24", "--channel", "online", "--as-of", "2025-01-24").stdout
        == out
    )


@pytest.mark.parametrize(
    "args, named",
    [
        pytest.param(["--received", "2025-13-01"], "--received", id="bad-date"),
        pytest.param(["--received", "24.01.2025"], "--received", id="foreign-date"),
        pytest.param(
            ["--received", "2025-01-24", "--event", "teleported:2025-02-01"], "teleported", id="bad-kind"
        ),
        pytest.param(
            ["--received", "2025-01-24", "--event", "extension_approved:2025-02-28"],
            "2025-02-27",
            id="extension-after-deadline",
        ),
        pytest.param(["--received", "2025-01-24", "--channel", "信鸽"], "--channel", id="bad-channel"),
    ],
)
def test_deadline_bad_input_exits_2(home: Path, args: list[str], named: str) -> None:
    line = refused("deadline", *args)
    assert named in line


# -- gongkai init -----------------------------------------------------------------------------------


def test_init_creates_database(home: Path) -> None:
    out = ok("init").stdout
    assert (home / "gongkai.db").is_file()
    assert str(CONFIG) in out
    assert ok("init").exit_code == 0  # idempotent


def test_without_a_configuration_the_shipped_demo_is_used_and_said_once(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty folder (an installed wheel's first use): the shipped demo office's configuration, said once on
    stderr in Chinese; in the clone's top folder (the README's commands) nothing changes and nothing is said."""
    from gongkai.core.shipped import DEMO_CONFIG

    monkeypatch.delenv("GONGKAI_CONFIG")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = ok("init")
    assert result.stderr.count("未找到 config/gongkai.toml") == 1, result.stderr
    assert "使用内置的演示配置" in result.stderr and str(DEMO_CONFIG) in result.stderr
    assert f"配置检查通过：{DEMO_CONFIG}（嘉祥街道办事处" in result.stdout
    assert list(empty.iterdir()) == [], "nothing is written in the folder when GONGKAI_HOME is elsewhere"

    monkeypatch.chdir(REPO)
    result = ok("init")
    assert "未找到" not in result.stderr and f"配置检查通过：{CONFIG}（" in result.stdout


def test_init_names_the_person_an_unset_notify_variable_leaves_without_messages(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace(
        'notify = ["console"]  # 正式使用改为 ["env:GONGKAI_NOTIFY_LI"]', 'notify = ["env:GONGKAI_NOTIFY_LI"]'
    )
    text = text.replace('notify = ["console"]  # 正式使用改为 ["env:GONGKAI_NOTIFY_ZHAO"]',
                        'notify = ["console", "env:GONGKAI_NOTIFY_ZHAO"]')  # fmt: skip
    config = tmp_path / "office.toml"
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GONGKAI_CONFIG", str(config))
    monkeypatch.delenv("GONGKAI_NOTIFY_LI", raising=False)
    monkeypatch.setenv("GONGKAI_NOTIFY_ZHAO", " ")

    result = gk("init")

    assert result.exit_code == 1, (result.output, result.exception)
    assert (home / "gongkai.db").is_file()  # the database is still made: init ran, and found problems
    lines = result.stderr.strip().splitlines()
    li = next(line for line in lines if "GONGKAI_NOTIFY_LI" in line)
    assert "li" in li and "李" in li and "收不到任何通知" in li
    zhao = next(line for line in lines if "GONGKAI_NOTIFY_ZHAO" in line)
    assert "zhao" in zhao and "收不到任何通知" not in zhao  # the console still reaches him
    monkeypatch.setenv("GONGKAI_NOTIFY_LI", "mailto://127.0.0.1:2525?to=li@example.com")
    monkeypatch.setenv("GONGKAI_NOTIFY_ZHAO", "mailto://127.0.0.1:2525?to=zhao@example.com")
    assert ok("init").stderr == ""


def test_init_refuses_unknown_config_key(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    text = CONFIG.read_text(encoding="utf-8")
    assert 'timezone = "Asia/Shanghai"\n' in text
    bad.write_text(
        text.replace('timezone = "Asia/Shanghai"\n', 'timezone = "Asia/Shanghai"\ncolour = "red"\n'),
        encoding="utf-8",
    )
    monkeypatch.setenv("GONGKAI_CONFIG", str(bad))
    for args in (["init"], ["--config", str(bad), "init"]):
        line = refused(*args)
        assert str(bad) in line and "office.colour" in line
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql+psycopg://u:s3cr3tpw@127.0.0.1:1/x", id="unreachable"),
        pytest.param("postgres://u:s3cr3tpw@127.0.0.1:1/x", id="legacy-scheme"),
    ],
)
def test_init_bad_database_url_is_one_line_without_password(
    home: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GONGKAI_DATABASE_URL", url)
    line = refused("init")
    assert "s3cr3tpw" not in line


# -- gongkai request ------------------------------------------------------------------------------


def test_request_add_event_list_show(home: Path) -> None:
    out = ok(
        "request",
        "add",
        "--received",
        "2025-01-24",
        "--channel",
        "当面",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张小明",
        "--contact",
        "13800138000",
        "--content",
        "请求公开某文件",
        "--assignee",
        "wang",
        "--by",
        "wang",
        "--as-of",
        "2025-01-24",
    ).stdout
    assert "2025-0001" in out and "2025-02-27" in out
    ok(
        "request",
        "add",
        "--ref",
        "2025-0002",
        "--received",
        "2025-02-10",
        "--applicant-type",
        "commercial",
        "--applicant-name",
        "某某有限公司",
        "--contact",
        "ceo@example.com",
        "--content",
        "请求公开另一文件",
        "--by",
        "li",
        "--as-of",
        "2025-02-10",
    )
    ok(
        "request",
        "event",
        "2025-0001",
        "correction_requested:2025-02-05",
        "--by",
        "wang",
        "--as-of",
        "2025-02-05",
    )
    out = ok(
        "request",
        "event",
        "2025-0001",
        "correction_received:2025-02-12",
        "--by",
        "li",
        "--as-of",
        "2025-02-12",
    ).stdout
    assert "2025-03-12" in out

    listing = json.loads(ok("request", "list", "--as-of", "2025-02-20", "--json").stdout)
    assert isinstance(listing, list) and [x["ref"] for x in listing] == ["2025-0002", "2025-0001"]
    for item in listing:
        assert {"ref", "state", *SECTION_2_KEYS} <= set(item)
    first = next(x for x in listing if x["ref"] == "2025-0001")
    assert (first["state"], first["due"], first["safe_due"]) == ("in_progress", "2025-03-12", "2025-03-11")

    raw = ok("request", "list", "--as-of", "2025-02-20", "--json").stdout
    for personal in ("张小明", "13800138000", "某某有限公司", "ceo@example.com"):
        assert personal not in raw

    text = ok("request", "list", "--as-of", "2025-02-20").stdout
    assert "2025-0001" in text and "2025-0002" in text
    soon = json.loads(ok("request", "list", "--as-of", "2025-03-03", "--due-within", "5", "--json").stdout)
    assert [x["ref"] for x in soon] == ["2025-0002"]  # safe_due Fri 7 Mar (4 left); 2025-0001 has 6 left

    shown = json.loads(ok("request", "show", "2025-0001", "--as-of", "2025-02-20", "--json").stdout)
    assert {"ref", "state", *SECTION_2_KEYS} <= set(shown)
    assert shown["explain"] and all(CJK.search(line) for line in shown["explain"])
    assert [(e["kind"], e["recorded_by"]) for e in shown["events"]] == [
        ("correction_requested", "wang"),
        ("correction_received", "li"),
    ]
    assert "张小明" not in json.dumps(shown, ensure_ascii=False)

    show_text = ok("request", "show", "2025-0001", "--as-of", "2025-02-20").stdout
    assert "法定答复期限：2025-03-12" in show_text
    for line in shown["explain"]:
        assert line in show_text


def test_refused_request_event_is_one_line_and_changes_nothing(home: Path) -> None:
    ok(
        "request",
        "add",
        "--ref",
        "R-1",
        "--received",
        "2025-01-24",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张小明",
        "--content",
        "请求公开某文件",
        "--by",
        "wang",
        "--as-of",
        "2025-01-24",
    )
    before = ok("request", "show", "R-1", "--as-of", "2025-03-03", "--json").stdout
    refused(
        "request", "event", "R-1", "extension_approved:2025-02-28", "--by", "zhao", "--as-of", "2025-03-03"
    )
    refused("request", "event", "R-1", "replied:2025-02-20", "--by", "wang", "--as-of", "2025-03-03")
    refused("request", "event", "R-1", "replied:2025-02-20:bogus", "--by", "wang", "--as-of", "2025-03-03")
    refused(
        "request", "event", "R-1", "correction_requested:2025-03-04", "--by", "wang", "--as-of", "2025-03-03"
    )
    assert "R-404" in refused(
        "request", "event", "R-404", "correction_requested:2025-02-05", "--as-of", "2025-03-03"
    )
    assert "R-1" in refused(
        "request",
        "add",
        "--ref",
        "R-1",
        "--received",
        "2025-01-24",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "李四",
        "--content",
        "x",
        "--as-of",
        "2025-01-24",
    )
    assert ok("request", "show", "R-1", "--as-of", "2025-03-03", "--json").stdout == before


# -- gongkai calendar -----------------------------------------------------------------------------


def test_calendar_show(home: Path) -> None:
    out = ok("calendar", "show", "2026").stdout
    assert "2026 年：已公布" in out
    off, _, makeup = out.partition("调休上班：")
    listed_off = {line.split()[0] for line in off.splitlines() if line.startswith("  ")}
    listed_makeup = {line.split()[0] for line in makeup.splitlines() if line.startswith("  ")}
    assert "2026-02-14" in listed_makeup and "2026-02-14" not in listed_off
    assert re.search(r"^  2026-02-14 星期六\s+调休上班$", makeup, re.MULTILINE)
    assert "2026-02-17" in listed_off  # 春节
    later = ok("calendar", "show", "2027").stdout
    assert "未公布" in later and "已公布" not in later


def test_calendar_import_lists_moved_deadlines(home: Path, tmp_path: Path) -> None:
    ok(
        "request",
        "add",
        "--ref",
        "2026-0100",
        "--received",
        "2026-12-04",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张小明",
        "--content",
        "请求公开某文件",
        "--by",
        "wang",
        "--as-of",
        "2026-12-07",
    )
    ok(
        "request",
        "add",
        "--ref",
        "2026-0001",
        "--received",
        "2026-11-02",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张小明",
        "--content",
        "请求公开某文件",
        "--by",
        "wang",
        "--as-of",
        "2026-12-07",
    )
    before = json.loads(ok("request", "show", "2026-0100", "--as-of", "2026-12-07", "--json").stdout)
    assert before["provisional"] is True and before["due"] == "2027-01-04"
    csv_file = tmp_path / "2027.csv"
    csv_file.write_text(CALENDAR_2027, encoding="utf-8")
    out = ok("calendar", "import", str(csv_file), "--by", "wang", "--as-of", "2026-12-07").stdout
    assert "2027" in out
    moved = [line for line in out.splitlines() if "2026-0100" in line]
    assert len(moved) == 1 and "2027-01-04 → 2027-01-06" in moved[0]  # 4-5 Jan off: two days later
    assert "2026-0001" not in out
    after = json.loads(ok("request", "show", "2026-0100", "--as-of", "2026-12-07", "--json").stdout)
    assert (after["provisional"], after["due"]) == (False, "2027-01-06")
    assert "2027 年：已公布" in ok("calendar", "show", "2027").stdout
    # The calculator reads the imported year from the existing database (without migrating it).
    calc = json.loads(ok("deadline", "--received", "2026-12-04", "--as-of", "2026-12-07", "--json").stdout)
    assert (calc["provisional"], calc["due"]) == (False, "2027-01-06")
    again = ok("calendar", "import", str(csv_file), "--by", "wang", "--as-of", "2026-12-07").stdout
    assert "没有期限因此变化" in again


def test_calendar_import_refuses_makeup_on_a_weekday(home: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "bad-2027.csv"
    csv_file.write_text(
        "日期,类型,名称\n2027-01-01,off,元旦\n2027-01-06,makeup_workday,春节\n", encoding="utf-8"
    )
    result = gk("calendar", "import", str(csv_file), "--by", "wang", "--as-of", "2026-12-07")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "bad-2027.csv" in result.stderr
    assert "2027-01-06" in result.stderr
    assert "第 3 行" in result.stderr, result.stderr  # CONTRACT 1: errors name the file and the row
    assert "未公布" in ok("calendar", "show", "2027").stdout


def test_calendar_import_refuses_a_year_missing_statutory_holidays(home: Path, tmp_path: Path) -> None:
    """The issue's file: 元旦 and one make-up day for 2027. Refused naming what is missing; imported
    only with the explicit override, which says what is missing again and records it in the source."""
    csv_file = tmp_path / "2027-partial.csv"
    csv_file.write_text(
        "日期,类型,名称\n2027-01-01,off,元旦\n2027-02-20,makeup_workday,春节\n", encoding="utf-8"
    )
    line = refused("calendar", "import", str(csv_file), "--by", "wang", "--as-of", "2026-12-07")
    assert "2027-partial.csv" in line and "--allow-incomplete" in line
    assert all(h in line for h in ("春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"))
    assert "未公布" in ok("calendar", "show", "2027").stdout
    out = ok(
        "calendar", "import", str(csv_file), "--allow-incomplete", "--by", "wang", "--as-of", "2026-12-07"
    ).stdout
    assert "已导入 2027 年" in out and "清明节" in out
    shown = ok("calendar", "show", "2027").stdout
    assert "2027 年：已公布" in shown and "缺少" in shown and "国庆节" in shown


# -- help everywhere ----------------------------------------------------------------------------------


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from _command_paths(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = list(_command_paths(main))


def test_commands_of_contract_section_1_that_exist_so_far() -> None:
    paths = {" ".join(p) for p in COMMANDS}
    assert {
        "init",
        "deadline",
        "request add",
        "request event",
        "request list",
        "request show",
        "request import",
        "calendar show",
        "calendar import",
    } <= paths


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "gongkai")
def test_every_command_has_help(home: Path, path: tuple[str, ...]) -> None:
    result = ok(*path, "--help")
    assert "Usage:" in result.stdout
    assert CJK.search(result.stdout)
    assert list(home.iterdir()) == []


def test_request_add_with_an_unknown_assignee_lists_the_staff(home: Path) -> None:
    line = refused(
        "request", "add", "--received", "2025-01-24", "--applicant-type", "自然人", "--applicant-name", "张小明",
        "--content", "请求公开某文件", "--assignee", "wangli", "--as-of", "2025-01-24",
    )  # fmt: skip

    assert "wangli" in line
    for staff_id in ("wang", "li", "zhao"):  # the shipped configuration's people
        assert staff_id in line, line


def _groups(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from _groups(cmd, (*prefix, name))


@pytest.mark.parametrize("path", list(_groups(main)), ids=lambda p: " ".join(p) or "gongkai")
def test_every_command_listed_with_a_whole_description(home: Path, path: tuple[str, ...]) -> None:
    """``gongkai --help`` once showed ``run  ...``: Click cuts a long first line and may leave nothing."""
    listing = ok(*path, "--help").stdout.split("Commands:", 1)[1]
    lines = [line.strip() for line in listing.splitlines() if line.strip()]
    assert lines
    for line in lines:
        name, _, description = line.partition(" ")
        assert CJK.search(description), line
        assert not description.strip().endswith("..."), line


# -- the installed script and its start-up cost ---------------------------------------------------------


def test_installed_console_script() -> None:
    script = Path(sys.executable).parent / "gongkai"
    assert script.is_file(), script
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("deadline", "request", "calendar", "init"):
        assert name in done.stdout
    bad = subprocess.run(
        [str(script), "deadline", "--received", "2025-02-30"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "--received" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_import_does_not_load_heavy_modules() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import gongkai.cli.main"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    imported = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "gongkai.cli.main" in imported
    heavy = {m for m in imported if m.split(".")[0] in {"prefect", "sqlalchemy", "pydantic", "openpyxl"}}
    assert heavy == set()


def test_demo_loads_once_and_lists_open_applications(home: Path) -> None:
    """The README's first command: on an empty register the demo office is loaded and the open
    applications are listed with their clocks; a second run lists without loading again."""
    first = ok("demo", "--as-of", "2026-11-27")
    assert "已载入演示数据" in first.output
    assert "从严期限" in first.output and "已超期" in first.output
    second = ok("demo", "--as-of", "2026-11-27")
    assert "已载入演示数据" not in second.output
    rows = json.loads(ok("request", "list", "--all", "--json", "--as-of", "2026-11-27").output)
    assert len(rows) > 100
    # the listing never carries applicants' personal data
    assert all("applicant_name" not in r and "contact" not in r for r in rows)


def test_demo_does_not_mix_with_a_real_register(home: Path) -> None:
    ok(
        "request",
        "add",
        "--received",
        "2026-11-20",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张三",
        "--content",
        "测试",
        "--as-of",
        "2026-11-27",
    )
    out = ok("demo", "--as-of", "2026-11-27").output
    assert "已载入演示数据" not in out
    assert "2026-0001" in out


def test_request_add_with_arrival_time(home: Path) -> None:
    ok(
        "request",
        "add",
        "--received",
        "2026-11-23",
        "--arrived-at",
        "2026-11-21 22:10",
        "--channel",
        "网络",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "李四",
        "--content",
        "x",
        "--as-of",
        "2026-11-27",
    )
    shown = ok("request", "show", "2026-0001", "--as-of", "2026-11-27").output
    assert "到达时间：2026-11-21 22:10" in shown
    line = refused(
        "request",
        "add",
        "--received",
        "2026-11-20",
        "--arrived-at",
        "2026-11-21 22:10",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "李四",
        "--content",
        "x",
        "--as-of",
        "2026-11-27",
    )
    assert "到达时间" in line
    assert "--arrived-at" in refused(
        "request",
        "add",
        "--received",
        "2026-11-20",
        "--arrived-at",
        "昨天",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "李四",
        "--content",
        "x",
    )


def test_unknown_outcome_lists_every_valid_choice(home: Path) -> None:
    from gongkai.core.codes import OUTCOMES

    ok(
        "request",
        "add",
        "--ref",
        "R-9",
        "--received",
        "2025-01-24",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张小明",
        "--content",
        "请求公开某文件",
        "--as-of",
        "2025-01-24",
    )
    line = refused("request", "event", "R-9", "replied:2025-02-20:不予公开", "--as-of", "2025-03-03")
    assert "不予公开" in line
    for outcome in OUTCOMES:
        assert f"{outcome.row} {outcome.code} {outcome.label}" in line
    # The calculator (no register) says the same.
    assert "3.3.4 denied_third_party 保护第三方合法权益" in refused(
        "deadline", "--received", "2025-01-24", "--event", "replied:2025-02-20:不予公开"
    )
    helptext = ok("request", "event", "--help").output
    for outcome in OUTCOMES:
        assert re.search(
            rf"{re.escape(outcome.row)}\s+{outcome.code}\s+{re.escape(outcome.label[:8])}", helptext
        )


@pytest.mark.parametrize(
    ("option", "field", "limit"),
    [
        ("--applicant-name", "申请人", 200),
        ("--contact", "联系方式", 200),
        ("--content", "申请内容", 10000),
        ("--ref", "编号", 64),
    ],
)
def test_request_add_refuses_a_field_over_its_limit(home: Path, option: str, field: str, limit: int) -> None:
    base = {"--ref": "R-1", "--applicant-name": "张三", "--content": "x", "--contact": "13800000000"}
    base[option] = "名" * (limit + 1)
    args = [a for k, v in base.items() for a in (k, v)]
    line = refused(
        "request",
        "add",
        "--received",
        "2025-01-24",
        "--applicant-type",
        "自然人",
        *args,
        "--as-of",
        "2025-01-24",
    )
    assert f"“{field}”" in line and str(limit) in line and str(limit + 1) in line
    base[option] = "名" * limit
    args = [a for k, v in base.items() for a in (k, v)]
    ok(
        "request",
        "add",
        "--received",
        "2025-01-24",
        "--applicant-type",
        "自然人",
        *args,
        "--as-of",
        "2025-01-24",
    )


def _deadline_loading(tmp_path: Path, *args: str) -> tuple[dict[str, object], set[str]]:
    """``gongkai deadline ARGS --json`` in a fresh process with no database: its JSON and which of the heavy
    libraries it loaded."""
    heavy = ("sqlalchemy", "sqlmodel", "prefect", "openpyxl", "holidays", "pydantic")
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: sys.stderr.write('LOADED:' + ','.join(sorted(m for m in {heavy!r}"
        " if m in sys.modules))))\n"
        f"sys.argv = ['gongkai', 'deadline', *{list(args)!r}, '--json']\n"
        "from gongkai.cli.main import main\n"
        "main()\n"
    )
    env = {**os.environ, "GONGKAI_HOME": str(tmp_path / "nothing-here")}
    env.pop("GONGKAI_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stderr.strip().rpartition("LOADED:")[2]
    return json.loads(done.stdout), {m for m in loaded.split(",") if m}


def test_the_calculator_without_a_database_loads_no_database_library(tmp_path: Path) -> None:
    """``gongkai deadline`` needs no database: with none, SQLAlchemy and SQLModel stay unloaded (they cost about
    200 ms of a command that should answer at once; they crept in once through the services' unit of work), and so
    does pydantic (the configuration's models, about 100 ms: the calculator reads no configuration)."""
    out, loaded = _deadline_loading(tmp_path, "--received", "2025-01-24", "--as-of", "2025-03-20")
    assert out["due"] == "2025-02-27"
    assert loaded == set()


@pytest.mark.parametrize(
    ("received", "as_of", "provisional", "holidays"),
    [
        pytest.param("2025-01-24", "2025-03-20", False, False, id="seeded-years"),
        pytest.param("2008-12-20", "2009-01-05", False, False, id="first-seeded-years"),
        pytest.param("2026-12-20", "2026-12-21", True, True, id="into-unannounced-2027"),
    ],
)
def test_deadline_imports_python_holidays_only_for_a_year_without_seed(
    tmp_path: Path, received: str, as_of: str, provisional: bool, holidays: bool
) -> None:
    """The seeded years come from the data shipped with the package; python-holidays (about 100 ms: it imports
    every country's module) is loaded only to estimate a year with neither an import nor a seed."""
    out, loaded = _deadline_loading(tmp_path, "--received", received, "--as-of", as_of)
    assert out["provisional"] is provisional
    assert loaded == ({"holidays"} if holidays else set())
