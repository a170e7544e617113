"""Flows of a county: one configuration folder, one database, the office named by the flow run's ``office``
parameter (as a worker runs a county's deployments), under Prefect's test harness with a loopback SMTP server."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.offices import demo_county
from tests.servers import SmtpSink

AS_OF = date(2026, 11, 27)
CODES = ("hedong", "hexi")


@pytest.fixture
def county(tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two demo offices in one SQLite database, configured as a folder; GONGKAI_OFFICE unset (the flows name
    their office)."""
    from gongkai.cli.main import main

    folder = tmp_path / "county"
    for variable, address in demo_county(folder, CODES).items():
        monkeypatch.setenv(variable, smtp.url(address))
    monkeypatch.setenv("GONGKAI_CONFIG", str(folder))
    monkeypatch.delenv("GONGKAI_OFFICE", raising=False)
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{tmp_path}/county.db")
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path / "home"))
    for code in CODES:
        result = CliRunner().invoke(main, ["--office", code, "demo", "--as-of", AS_OF.isoformat()])
        assert result.exit_code == 0, result.output
    return tmp_path


def test_each_office_run_reminds_only_its_own_staff_once(county: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.reminders import deadline_reminders

    first: dict[str, Any] = deadline_reminders(as_of=AS_OF, office="hedong")
    assert first["due"] > 0 and first["sent"] == first["due"] and first["failed"] == 0
    assert {r for m in smtp.messages for r in m.to} == {
        f"{sid}-hedong@example.com" for sid in ("wang", "li", "zhao")
    }
    assert all("hedong街道办事处" in m.text for m in smtp.messages)
    sent_to_hedong = len(smtp.messages)

    second: dict[str, Any] = deadline_reminders(as_of=AS_OF, office="hexi")
    assert second["due"] == first["due"]  # the same demo year, its own rows
    later = smtp.messages[sent_to_hedong:]
    assert {r for m in later for r in m.to} == {f"{sid}-hexi@example.com" for sid in ("wang", "li", "zhao")}
    assert all("hexi街道办事处" in m.text and "hedong" not in m.text for m in later)

    again = deadline_reminders(as_of=AS_OF, office="hedong")
    assert again["sent"] == 0 and again["already_sent"] == first["due"]
    assert len(smtp.messages) == 2 * sent_to_hedong


def test_a_run_without_an_office_names_the_choice_to_make(county: Path) -> None:
    from gongkai.flows.reminders import deadline_reminders

    from gongkai.core.errors import ConfigError

    with pytest.raises(ConfigError, match="--office"):
        deadline_reminders(as_of=AS_OF)


def test_the_catalogue_of_each_office_goes_to_its_own_folder(county: Path, smtp: SmtpSink) -> None:
    from gongkai.flows.catalogue import catalogue_update

    for code in CODES:
        catalogue_update(as_of=AS_OF, office=code)
    home = county / "home" / "offices"
    assert sorted(p.name for p in home.iterdir()) == list(CODES)
    for code in CODES:
        written = [p for p in (home / code / "catalogue").rglob("*") if p.is_file()]
        assert written, code
    engine = sa.create_engine(f"sqlite:///{county}/county.db")
    with engine.connect() as conn:
        snapshots = dict(
            conn.execute(
                sa.text(
                    "SELECT o.code, count(*) FROM catalogue_snapshot s JOIN office o ON o.id = s.office_id "
                    "GROUP BY o.code"
                )
            ).all()
        )
    engine.dispose()
    assert snapshots == {"hedong": 1, "hexi": 1}
