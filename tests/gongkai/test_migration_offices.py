"""Revision 0010 (offices in the data) on a populated register: the demo office as the 0009 release left it.

``tests/data/register-0009-demo.json.gz`` was written by the code at revision 0009 (commit c5e0848): ``gongkai demo
--as-of 2026-11-27``, ``report figures set``, ``report build --year 2025`` (twice), ``run reminders``, ``run
review``, ``run catalogue`` and ``user password wang`` on the shipped demo configuration; then every row of every
table and the report statistics that code computed for 2025 and 2026. The test loads those rows into a database at
0009 (SQLite and PostgreSQL), upgrades it as any command does, and checks that nothing was lost.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gongkai.core.settings import load_settings
from gongkai.register import repository as register
from gongkai.report.stats import compute_statistics
from gongkai.services.office import open_office
from gongkai.store.db import HEAD, current_revision, make_engine, open_database, upgrade

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "data" / "register-0009-demo.json.gz"


def _load_fixture() -> dict[str, Any]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _decode(value: Any, column: sa.Column[Any]) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Integer | sa.Float):
        return Decimal(value)
    return value


def _load_at_0009(url: str, fixture: dict[str, Any]) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            for table in meta.sorted_tables:
                dump = fixture["tables"].get(table.name)
                if not dump or not dump["rows"]:
                    continue
                columns = [table.c[name] for name in dump["columns"]]
                rows = [
                    {c.name: _decode(v, c) for c, v in zip(columns, row, strict=True)} for row in dump["rows"]
                ]
                conn.execute(sa.insert(table), rows)
                if (
                    conn.dialect.name == "postgresql"
                    and "id" in table.c
                    and isinstance(table.c.id.type, sa.Integer)
                ):
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"
                        )
                    )
        assert current_revision(engine) == "0009"
    finally:
        engine.dispose()


def test_a_populated_0009_register_becomes_office_one_without_loss(db_url: str) -> None:
    fixture = _load_fixture()
    assert fixture["revision"] == "0009"
    _load_at_0009(db_url, fixture)

    engine = open_database(db_url)
    try:
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            for table, dump in fixture["tables"].items():
                if table == "register_info":
                    continue
                count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                assert count == len(dump["rows"]), table
                if "office_id" in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
                    offices = conn.execute(sa.text(f"SELECT DISTINCT office_id FROM {table}")).scalars().all()
                    assert offices in ([], [1]), table
            assert not sa.inspect(conn).has_table("register_info")
            office = conn.execute(sa.text("SELECT id, code, name, kind, set_by FROM office")).all()
            assert [tuple(r) for r in office] == [(1, "default", "嘉祥街道办事处", "demo", "upgrade")]
            # The surrogate ids the rows had are the ids they have.
            for table in (
                "application",
                "application_event",
                "proactive_item",
                "reminder_outbox",
                "review_task",
            ):
                ids = conn.execute(sa.text(f"SELECT id FROM {table} ORDER BY id")).scalars().all()
                dump = fixture["tables"][table]
                position = dump["columns"].index("id")
                assert ids == sorted(row[position] for row in dump["rows"]), table
    finally:
        engine.dispose()

    # The shipped demo configuration (no [office] code) opens it as office "default", and the register reads as
    # it did: the same statistics, a reference found with its events.
    settings = load_settings(REPO / "config" / "gongkai.toml")
    with open_office(settings, url=db_url) as office:
        assert (office.office_id, office.register_kind) == (1, "demo")
        for year, expected in fixture["statistics"].items():
            stats = compute_statistics(office.session, year=int(year), office_name="嘉祥街道办事处")
            assert stats.to_json() == expected, year
        apps = fixture["tables"]["application"]
        ref = apps["rows"][0][apps["columns"].index("ref")]
        app = register.get_application(office.session, ref)
        assert app.ref == ref and app.office_id == 1
        events = fixture["tables"]["application_event"]
        app_position = events["columns"].index("application_id")
        expected_events = [row for row in events["rows"] if row[app_position] == app.id]
        assert len(register.application_events(office.session, app)) == len(expected_events) > 0
