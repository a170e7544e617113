"""A real office's configuration for the tests that need one beside the demo's: its own name and staff,
``demo`` unset (CONTRACT section 1: a real office's register starts empty)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractContextManager as ContextManager

    from sqlalchemy.engine import Engine
    from sqlmodel import Session


def live_config(*, notify: bool = False) -> str:
    """河东街道办事处's configuration; with ``notify``, each person reached through ``env:GONGKAI_NOTIFY_<ID>`` and
    no in-run retry delays (the tests point those variables at the loopback SMTP server)."""
    chen = '\nnotify = ["env:GONGKAI_NOTIFY_CHEN"]' if notify else ""
    sun = '\nnotify = ["env:GONGKAI_NOTIFY_SUN"]' if notify else ""
    extra = "\n[notifications]\nretry_delays = [0]\n" if notify else ""
    return f"""\
[office]
name = "河东街道办事处"
disclosure_unit = "河东街道党政办公室"

[[staff]]
id = "chen"
name = "陈静"
role = ["handler", "administrator"]{chen}

[[staff]]
id = "sun"
name = "孙海"
role = "unit_head"{sun}
{extra}"""


LIVE_CONFIG = live_config()


def office_session(engine: Engine, code: str = "default") -> ContextManager[Session]:
    """One transaction scoped to office ``code`` (made if the database has none such, its kind left for the first
    command or its records to decide): for tests that call the domain on a database directly."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from gongkai.store.db import session_scope

    with engine.begin() as conn:
        # Threads of one test may open it at once (overlapping runs): the first row written is the office.
        conn.execute(
            sa.text(
                "INSERT INTO office (code, set_by, created_at) VALUES (:c, 'config', :t) "
                "ON CONFLICT (code) DO NOTHING"
            ),
            {"c": code, "t": datetime.now(UTC)},
        )
    with engine.connect() as conn:
        office_id = conn.execute(sa.text("SELECT id FROM office WHERE code = :c"), {"c": code}).scalar_one()
    return session_scope(engine, int(office_id))


def demo_county(folder: Path, codes: Sequence[str]) -> dict[str, str]:
    """A configuration folder of demo offices: one file per code, each the shipped demo configuration with that
    ``[office] code``, its own name (``CODE街道办事处``) and every person notified through
    ``env:GONGKAI_NOTIFY_<CODE>_<ID>`` with no in-run retry delays; ``county.toml`` holds a shared ``[backup]``.
    Returns ``{variable: "id-code@example.com"}`` for the caller to point at a mail server."""
    import re

    repo = Path(__file__).resolve().parents[1]
    shipped = (repo / "config" / "gongkai.toml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "county.toml").write_text("[backup]\nkeep = 3\n", encoding="utf-8")
    addresses: dict[str, str] = {}
    for code in codes:
        text = re.sub(
            r'^name = "嘉祥街道办事处"$',
            f'name = "{code}街道办事处"\ncode = "{code}"',
            shipped,
            count=1,
            flags=re.M,
        )
        text = text.replace("retry_delays = [5, 30, 120]", "retry_delays = [0]")
        for sid in ("wang", "li", "zhao"):
            variable = f"GONGKAI_NOTIFY_{code.upper().replace('-', '_')}_{sid.upper()}"
            text = re.sub(
                rf'(id = "{sid}"(?:.|\n)*?notify = )\[[^\]]*\][^\n]*', rf'\1["env:{variable}"]', text, count=1
            )
            addresses[variable] = f"{sid}-{code}@example.com"
        (folder / f"{code}.toml").write_text(text, encoding="utf-8")
    return addresses


FIRST_OFFICE = 1
"""The id of the first office made in a new database (by :func:`office_session` or the first command)."""

# The official 2027 holiday schedule (with its make-up working days) as a `gongkai calendar import` file.
CALENDAR_2027 = """日期,类型,名称
2027-01-01,off,元旦
2027-01-04,off,元旦
2027-01-05,off,元旦
2027-01-09,makeup_workday,元旦
2027-02-05,放假,春节
2027-02-08,off,春节
2027-02-09,off,春节
2027-02-10,off,春节
2027-02-11,off,春节
2027-01-31,调休上班,春节
2027-04-05,off,清明节
2027-05-03,off,劳动节
2027-05-04,off,劳动节
2027-06-09,off,端午节
2027-09-15,off,中秋节
2027-10-01,off,国庆节
2027-10-04,off,国庆节
2027-10-05,off,国庆节
"""
