"""The services for applications, called as the desk will call them: the office's register opened as a unit of
work, a staff member's Actor, typed results. On SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gongkai.core.errors import NotAllowed
from gongkai.core.settings import Settings, load_settings
from gongkai.services.actor import Actor
from gongkai.services.applications import (
    application_detail,
    calculate_deadline,
    list_applications,
    parse_event,
    record_event,
    register_application,
)
from gongkai.services.office import open_office, readonly_calendar

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO / "config" / "gongkai.toml")


def _register(settings: Settings, db_url: str, actor: Actor) -> None:
    with open_office(settings, date(2025, 1, 24), records=True, url=db_url) as office:
        done = register_application(
            office,
            actor,
            ref="R-1",
            received_on=date(2025, 1, 24),
            applicant_type="natural_person",
            applicant_name="张小明",
            content="请求公开某文件",
            assignee="li",
        )
    assert (done.ref, done.clock.due) == ("R-1", date(2025, 2, 27))


def test_a_handler_records_events_but_not_an_extension(settings: Settings, db_url: str) -> None:
    li = Actor.staff(settings, "li")
    _register(settings, db_url, li)
    with pytest.raises(NotAllowed, match="li 无权批准延期答复"):
        with open_office(settings, date(2025, 2, 20), records=True, url=db_url) as office:
            record_event(office, li, "R-1", parse_event("extension_approved:2025-02-20"))
    with open_office(settings, date(2025, 2, 20), url=db_url) as office:
        detail = application_detail(office, li, "R-1")
    assert detail.events == () and detail.clock.extended is False  # the refusal wrote nothing

    with open_office(settings, date(2025, 2, 20), records=True, url=db_url) as office:
        done = record_event(
            office, li, "R-1", parse_event("correction_requested:2025-02-05"), note="缺少年份"
        )
    assert done.clock.state == "awaiting_correction"
    with open_office(settings, date(2025, 2, 20), records=True, url=db_url) as office:
        record_event(office, li, "R-1", parse_event("correction_received:2025-02-12"))
        done = record_event(
            office, Actor.staff(settings, "zhao"), "R-1", parse_event("extension_approved:2025-02-20")
        )
    assert done.clock.extended is True

    with open_office(settings, date(2025, 2, 20), url=db_url) as office:
        listed = list_applications(office, li)
        detail = application_detail(office, li, "R-1")
    assert [v.ref for v in listed] == ["R-1"] and listed[0].assignee == "li"
    assert [(e.kind, e.recorded_by) for e in detail.events] == [
        ("correction_requested", "li"),
        ("correction_received", "li"),
        ("extension_approved", "zhao"),
    ]
    shown = detail.to_json()
    assert list(shown)[:3] == ["ref", "received", "due"] and shown["events"][-1]["recorded_by"] == "zhao"
    assert "张小明" not in str(shown) and detail.applicant_name == "张小明"


def test_the_calculator_needs_no_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/none.db"
    found = readonly_calendar(url)
    assert found.note is None and not (tmp_path / "none.db").exists()
    result = calculate_deadline(date(2025, 1, 24), [], as_of=date(2025, 1, 24), calendar=found)
    assert result.to_json()["due"] == "2025-02-27"
