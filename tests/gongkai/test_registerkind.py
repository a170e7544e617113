"""The register's kind (demo or live): written once from the configuration, then held against it.

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
from gongkai.store.registerkind import DEMO, LIVE, RegisterKindError, ensure_register_kind, register_kind

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
            tuple(r) for r in conn.execute(sa.text("SELECT id, kind, office_name, set_by FROM register_info"))
        ]


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
    with session_scope(engine) as session:
        register.sync_staff(session, [(s.id, s.name, s.role) for s in live_settings.staff])
        load_demo(session, calendar=register.load_calendar(session), as_of=date(2026, 11, 27))
    with pytest.raises(RegisterKindError), session_scope(engine) as session:
        ensure_register_kind(session, live_settings)
    assert _info(engine) == []  # refused: nothing written
