"""Proves both database backends that CI provides actually work, Chinese text included."""

from __future__ import annotations

import pytest


def test_roundtrip_chinese_text(db_url: str, request: pytest.FixtureRequest) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        assert engine.dialect.name == request.node.callspec.params["db_url"]
        metadata = sa.MetaData()
        table = sa.Table(
            "ci_probe",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(64), nullable=False),
        )
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"name": "嘉祥街道"}])
        with engine.connect() as conn:
            assert conn.execute(sa.select(table.c.name)).scalar_one() == "嘉祥街道"
    finally:
        engine.dispose()
