"""The register's kind (demo or live) and its office: written once from the configuration, then held against it.

Real databases (``db_url``: SQLite and PostgreSQL); the settings are the shipped demo configuration and a
real office's, loaded from files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gongkai.core.settings import Settings, load_settings
from gongkai.demo.office import load_demo
from gongkai.register import repository as register
from gongkai.store.db import open_database, session_scope
from gongkai.store.registerkind import (
    DEMO,
    LIVE,
    OFFICE_RENAMED,
    OfficeMismatch,
    RegisterKindError,
    ensure_office,
    ensure_register_kind,
    register_kind,
)
from tests.offices import office_session

REPO = Path(__file__).resolve().parents[2]

LIVE_CONFIG = """\
[office]
name = "河东街道办事处"
disclosure_unit = "河东街道党政办公室"

[[staff]]
id = "wang"
name = "王丽"
role = ["handler", "administrator"]

[[staff]]
id = "li"
name = "李明"
role = "unit_head"
"""


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_database(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def demo_settings() -> Settings:
    return load_settings(REPO / "config" / "gongkai.toml")


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    path = tmp_path / "live.toml"
    path.write_text(LIVE_CONFIG, encoding="utf-8")
    return load_settings(path)


def _info(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.text("SELECT id, kind, name, set_by FROM office ORDER BY id"))
        ]


def _with_code(settings: Settings, code: str) -> Settings:
    return settings.model_copy(update={"office": settings.office.model_copy(update={"code": code})})


@pytest.mark.parametrize(
    ("which", "kind", "name"), [("demo", DEMO, "嘉祥街道办事处"), ("live", LIVE, "河东街道办事处")]
)
def test_an_empty_register_takes_the_kind_of_the_configuration(
    engine: Engine, request: pytest.FixtureRequest, which: str, kind: str, name: str
) -> None:
    settings: Settings = request.getfixturevalue(f"{which}_settings")
    with session_scope(engine) as session:
        assert register_kind(session) is None
        assert ensure_register_kind(session, settings) == kind
    with session_scope(engine) as session:
        assert ensure_register_kind(session, settings) == kind
    assert _info(engine) == [(1, kind, name, "config")]


def test_live_configuration_on_a_demo_register_is_refused(
    engine: Engine, db_url: str, demo_settings: Settings, live_settings: Settings
) -> None:
    with session_scope(engine) as session:
        ensure_register_kind(session, demo_settings)
    with pytest.raises(RegisterKindError) as info, session_scope(engine) as session:
        ensure_register_kind(session, live_settings)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert "嘉祥街道办事处" in message and "虚构" in message
    assert str(live_settings.path) in message
    assert "GONGKAI_HOME" in message and "GONGKAI_DATABASE_URL" in message and "gongkai init" in message
    assert sa.make_url(db_url).database in message
    assert "devpw" not in message
    assert _info(engine) == [(1, DEMO, "嘉祥街道办事处", "config")]


def test_demo_configuration_on_a_live_register_is_refused(
    engine: Engine, demo_settings: Settings, live_settings: Settings
) -> None:
    with session_scope(engine) as session:
        ensure_register_kind(session, live_settings)
    with pytest.raises(RegisterKindError) as info, session_scope(engine) as session:
        ensure_register_kind(session, demo_settings)
    assert "河东街道办事处" in str(info.value) and "不会载入演示数据" in str(info.value)
    assert _info(engine) == [(1, LIVE, "河东街道办事处", "config")]


def test_demo_records_without_a_kind_make_a_demo_register(engine: Engine, live_settings: Settings) -> None:
    """Data written by a path that never asked (an old release, a script): the records decide, not the config."""
    with office_session(
        engine
    ) as session:  # an office with no kind recorded, as the upgrade to 0010 can leave
        register.sync_staff(session, [(s.id, s.name, s.role) for s in live_settings.staff])
        load_demo(session, calendar=register.load_calendar(session), as_of=date(2026, 11, 27))
    with pytest.raises(RegisterKindError), session_scope(engine) as session:
        ensure_register_kind(session, live_settings)
    assert _info(engine) == [(1, None, None, "config")]  # refused: nothing written


# -- the office's code (CONTRACT section 7) -------------------------------------------------------------------


def _codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT code FROM office ORDER BY id")).scalars())


def test_the_upgraded_default_office_takes_the_code_its_configuration_names(
    engine: Engine, live_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with session_scope(engine) as session:
        assert ensure_office(session, live_settings).code == "default"
    caplog.set_level("INFO", logger="gongkai.store.registerkind")
    with session_scope(engine) as session:
        entry = ensure_office(session, _with_code(live_settings, "hedong"))
    assert (entry.id, entry.code, entry.kind) == (1, "hedong", LIVE)
    assert _codes(engine) == ["hedong"]
    assert "hedong" in caplog.text
    with engine.connect() as conn:
        audit = conn.execute(sa.text("SELECT office_id, actor, action, subject FROM audit_entry")).all()
    assert [tuple(r) for r in audit] == [(1, "system", OFFICE_RENAMED, "hedong")]
    # Renamed once: the same configuration finds it, and one without a code no longer does.
    with session_scope(engine) as session:
        assert ensure_office(session, _with_code(live_settings, "hedong")).id == 1
    with pytest.raises(OfficeMismatch) as info, session_scope(engine) as session:
        ensure_office(session, live_settings)
    assert info.value.exit_code == 2
    assert "未写单位代码" in str(info.value) and "“hedong”" in str(info.value)
    assert str(live_settings.path) in str(info.value)


def test_a_code_the_database_does_not_hold_is_refused_and_nothing_written(
    engine: Engine, live_settings: Settings
) -> None:
    with session_scope(engine) as session:
        ensure_office(session, _with_code(live_settings, "hedong"))
    with pytest.raises(OfficeMismatch) as info, session_scope(engine) as session:
        ensure_office(session, _with_code(live_settings, "hexi"))
    message = str(info.value)
    assert "单位代码“hexi”" in message and "“hedong”" in message and "devpw" not in message
    assert _codes(engine) == ["hedong"]


@pytest.mark.parametrize("code", ["HeDong", "he dong", "河东", "a" * 33, ""])
def test_an_office_code_must_be_lower_case_ascii(tmp_path: Path, code: str) -> None:
    from gongkai.core.errors import GongkaiError

    path = tmp_path / "office.toml"
    path.write_text(LIVE_CONFIG.replace("[office]\n", f'[office]\ncode = "{code}"\n'), encoding="utf-8")
    with pytest.raises(GongkaiError) as info:
        load_settings(path)
    assert "code" in str(info.value) and "小写英文字母" in str(info.value)
