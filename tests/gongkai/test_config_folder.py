"""Several offices configured as a folder (CONTRACT section 7): one ``*.toml`` per office, ``county.toml`` shared,
the office chosen by ``--office`` / ``GONGKAI_OFFICE``; and what a database makes of a folder's offices."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai.core.errors import ConfigError
from gongkai.core.settings import load_settings, office_files
from tests.offices import demo_county

OFFICE = """\
[office]
name = "{name}"
disclosure_unit = "{name}党政办公室"
code = "{code}"

[[staff]]
id = "chen"
name = "陈静"
role = ["handler", "administrator", "unit_head"]
"""

COUNTY = """\
[office]
timezone = "Asia/Urumqi"

[schedules]
reminders = "15 7 * * 1-5"

[backup]
keep = 3
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GONGKAI_CONFIG", "GONGKAI_OFFICE", "GONGKAI_HOME", "GONGKAI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _folder(tmp_path: Path, *codes: str, county: str | None = COUNTY) -> Path:
    folder = tmp_path / "county"
    folder.mkdir(parents=True)
    if county is not None:
        (folder / "county.toml").write_text(county, encoding="utf-8")
    for code in codes:
        text = OFFICE.format(name=f"{code}街道办事处", code=code)
        (folder / f"{code}.toml").write_text(text, encoding="utf-8")
    return folder


def test_an_office_of_a_folder_reads_its_file_over_county_toml(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "hedong", "hexi")
    (folder / "hexi.toml").write_text(
        OFFICE.format(name="河西街道办事处", code="hexi") + '\n[schedules]\nreminders = "0 9 * * 1-5"\n',
        encoding="utf-8",
    )
    hedong = load_settings(folder, "hedong")
    assert (hedong.office.code, hedong.office.name) == ("hedong", "hedong街道办事处")
    assert hedong.office.timezone == "Asia/Urumqi"  # from county.toml, the office's table merged key by key
    assert hedong.schedules.reminders == "15 7 * * 1-5" and hedong.backup.keep == 3
    assert hedong.path == (folder / "hedong.toml").resolve() and hedong.folder == folder.resolve()
    assert hedong.environment() == {"GONGKAI_CONFIG": str(folder.resolve()), "GONGKAI_OFFICE": "hedong"}
    assert hedong.files_home(tmp_path / "home") == tmp_path / "home" / "offices" / "hedong"
    hexi = load_settings(folder, "hexi")
    assert hexi.schedules.reminders == "0 9 * * 1-5"  # the office's own value wins
    assert hexi.schedules.catalogue == hedong.schedules.catalogue  # the rest of [schedules] as shared
    assert office_files(folder) == {"hedong": folder / "hedong.toml", "hexi": folder / "hexi.toml"}


def test_a_single_file_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "gongkai.toml"
    path.write_text(OFFICE.format(name="河东街道办事处", code="hedong"), encoding="utf-8")
    settings = load_settings(path)
    assert settings.folder is None and settings.files_home(tmp_path) == tmp_path
    assert load_settings(path, "hedong").office.code == "hedong"
    with pytest.raises(ConfigError) as info:
        load_settings(path, "hexi")
    assert "--office 指定的单位是“hexi”" in str(info.value) and "“hedong”" in str(info.value)


def test_the_office_is_named_by_option_or_environment_unless_the_folder_holds_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, "hedong", "hexi")
    with pytest.raises(ConfigError) as info:
        load_settings(folder)
    message = str(info.value)
    assert "有 2 个单位（hedong、hexi）" in message and "--office" in message and "GONGKAI_OFFICE" in message
    with pytest.raises(ConfigError, match=r"没有单位代码为“hebei”的单位（已配置：hedong、hexi）"):
        load_settings(folder, "hebei")
    monkeypatch.setenv("GONGKAI_OFFICE", "hexi")
    assert load_settings(folder).office.code == "hexi"
    assert load_settings(folder, "hedong").office.code == "hedong"  # --office before the environment
    monkeypatch.delenv("GONGKAI_OFFICE")
    alone = _folder(tmp_path / "one", "hedong", county=None)
    assert load_settings(alone).office.code == "hedong"


def test_a_broken_office_file_stops_that_office_only(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "hedong", "hexi")
    (folder / "hexi.toml").write_text("[office\nname = 1\n", encoding="utf-8")
    assert load_settings(folder, "hedong").office.code == "hedong"
    with pytest.raises(ConfigError) as info:
        load_settings(folder, "hexi")
    assert "hexi.toml" in str(info.value) and "TOML 语法错误" in str(info.value)
    with pytest.raises(ConfigError, match="hexi.toml"):
        office_files(folder)  # a command over every office (deploy) names it


def test_codes_must_be_written_and_distinct(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "hedong")
    (folder / "copy.toml").write_text(OFFICE.format(name="河东", code="hedong"), encoding="utf-8")
    (folder / "nocode.toml").write_text(OFFICE.replace('code = "{code}"\n', "").format(name="某"), "utf-8")
    with pytest.raises(ConfigError) as info:
        office_files(folder)
    message = str(info.value)
    assert "copy.toml 和 hedong.toml 的单位代码都是“hedong”" in message
    assert "nocode.toml 没有写单位代码" in message
    with pytest.raises(ConfigError, match="都是“hedong”"):
        load_settings(folder, "hedong")


@pytest.mark.parametrize(
    ("county", "expected"),
    [
        ("[[staff]]\nid = 'x'\nname = 'x'\nrole = 'handler'\n", "不能写 [[staff]]"),
        ("[office]\ncode = 'x'\n", "不能写 [office] code"),
    ],
)
def test_county_toml_holds_no_staff_and_no_office_code(tmp_path: Path, county: str, expected: str) -> None:
    folder = _folder(tmp_path, "hedong", county=county)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_settings(folder, "hedong")


def test_a_mistake_after_the_merge_names_both_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "hedong", county="[backup]\nkeep = 0\n")
    with pytest.raises(ConfigError) as info:
        load_settings(folder, "hedong")
    message = str(info.value)
    assert "hedong.toml（并入" in message and "county.toml" in message and "keep" in message


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_a_folders_offices_share_one_database_and_see_only_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gongkai.cli.main import main

    folder = tmp_path / "county"
    demo_county(folder, ["hedong", "hexi"])
    url = f"sqlite:///{tmp_path}/county.db"
    monkeypatch.setenv("GONGKAI_DATABASE_URL", url)
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    ambiguous = runner.invoke(main, ["--config", str(folder), "request", "list", "--as-of", "2026-11-27"])
    assert ambiguous.exit_code == 2 and "--office" in ambiguous.output
    first = runner.invoke(
        main, ["--config", str(folder), "--office", "hedong", "demo", "--as-of", "2026-11-27"]
    )
    assert first.exit_code == 0, first.output
    hedong_apps = _count(url, "SELECT count(*) FROM application")
    assert hedong_apps > 0
    # The second office of the folder joins the database (audited), empty until its own data arrives.
    monkeypatch.setenv("GONGKAI_OFFICE", "hexi")
    status = runner.invoke(
        main, ["--config", str(folder), "request", "list", "--as-of", "2026-11-27", "--all", "--json"]
    )
    assert status.exit_code == 0, status.output
    assert json.loads(status.output) == []  # none of hedong's applications
    ref = json.loads(runner.invoke(main, ["--config", str(folder), "--office", "hedong", "request", "list",
                                          "--as-of", "2026-11-27", "--json"]).output)[0]["ref"]  # fmt: skip
    shown = runner.invoke(main, ["--config", str(folder), "request", "show", ref])
    assert shown.exit_code != 0 and ref in shown.output  # hexi holds no such application
    event = runner.invoke(
        main,
        ["--config", str(folder), "request", "event", ref, "withdrawn:2026-11-27", "--as-of", "2026-11-27"],
    )
    assert event.exit_code != 0
    assert _count(url, "SELECT count(*) FROM office") == 2
    assert _count(url, "SELECT count(*) FROM audit_entry WHERE action = 'office_added'") == 1
    assert _count(url, "SELECT count(*) FROM application") == hedong_apps


def test_a_lone_file_never_adds_an_office_to_another_offices_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gongkai.cli.main import main

    folder = tmp_path / "county"
    demo_county(folder, ["hedong"])
    url = f"sqlite:///{tmp_path}/county.db"
    monkeypatch.setenv("GONGKAI_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(folder), "demo", "--as-of", "2026-11-27"]).exit_code == 0
    lone = tmp_path / "hexi.toml"
    lone.write_text(
        (folder / "hedong.toml").read_text("utf-8").replace('code = "hedong"', 'code = "hexi"'), "utf-8"
    )
    refused = runner.invoke(main, ["--config", str(lone), "request", "list", "--as-of", "2026-11-27"])
    assert refused.exit_code == 2 and "“hedong”" in refused.output
    assert _count(url, "SELECT count(*) FROM office") == 1


def test_a_folder_meets_an_upgraded_single_office_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database whose only office is the upgrade's ``default`` is not renamed by a folder's first office (which
    of the folder's offices it is, only its own file can say)."""
    from gongkai.cli.main import main

    url = f"sqlite:///{tmp_path}/one.db"
    monkeypatch.setenv("GONGKAI_DATABASE_URL", url)
    runner = CliRunner()
    shipped = Path(__file__).resolve().parents[2] / "config" / "gongkai.toml"
    assert runner.invoke(main, ["--config", str(shipped), "demo", "--as-of", "2026-11-27"]).exit_code == 0
    folder = tmp_path / "county"
    demo_county(folder, ["hedong"])
    refused = runner.invoke(main, ["--config", str(folder), "request", "list", "--as-of", "2026-11-27"])
    assert refused.exit_code == 2
    assert "只有升级前的单个单位“default”" in refused.output and "gongkai init" in refused.output
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert list(conn.execute(sa.text("SELECT code FROM office")).scalars()) == ["default"]
    engine.dispose()
