"""The nightly-backup flow under Prefect's test harness: the backup lands in ``[backup] folder`` with the retention
of ``[backup] keep``; a failing backup alerts the administrator once, through the outbox, on a loopback SMTP server."""

from __future__ import annotations

import re
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.flows.test_reminders_flow import _config
from tests.servers import SmtpSink

AS_OF = date(2026, 11, 27)


def _office(tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch, backup: str) -> Path:
    """The demo office in a fresh SQLite database, staff notified on the loopback server, ``[backup]`` as given."""
    from gongkai.cli.main import main

    path = _config(tmp_path, smtp, monkeypatch)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\[backup\]\n(?:[a-z]+ = .*\n)*", "[backup]\n" + backup + "\n", text)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{tmp_path}/gongkai.db")
    result = CliRunner().invoke(main, ["demo", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    return path


def test_nightly_backup_writes_a_private_backup_and_keeps_the_newest(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gongkai.flows.backup import nightly_backup

    folder = tmp_path / "nightly"
    _office(tmp_path, smtp, monkeypatch, f'time = "03:15"\nkeep = 3\nfolder = "{folder}"')
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    old = [folder / f"gongkai-202611{day:02d}-031500.sqlite" for day in range(1, 6)]
    keep_me = folder / "before-upgrade.sqlite"
    for p in [*old, keep_me]:
        p.write_text("x", encoding="utf-8")

    summary = nightly_backup(as_of=AS_OF)
    made = Path(summary["file"])
    assert made.parent == folder and stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(Path(p) for p in summary["deleted"]) == old[:3]
    assert sorted(folder.iterdir()) == sorted([*old[3:], made, keep_me])
    assert made.read_bytes().startswith(b"SQLite format 3\x00")
    assert smtp.messages == []


def test_a_failing_backup_alerts_the_administrator_once(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gongkai.flows.backup import nightly_backup

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be", encoding="utf-8")
    _office(tmp_path, smtp, monkeypatch, f'folder = "{blocker}/backups"')

    for _ in range(2):  # the scheduled run and, say, a retry from the UI the same day
        state = nightly_backup(as_of=AS_OF, return_state=True)
        assert state.is_failed()
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.to == ["wang@example.com"]  # the administrator
    assert "数据备份失败" in mail.subject
    assert "夜间数据备份失败" in mail.text and str(blocker) in mail.text
    assert not re.search(r"1[3-9]\d{9}", mail.text + mail.subject)


def test_restore_drill_backup_during_delivery_then_restore_sends_nothing_twice(
    tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's drill: a backup taken while the reminder run is delivering, restored into a new home; the next
    run there repeats no digest the backup records as sent or in flight (its lease holds those), and the run after
    that sends nothing at all. (Digests sent after the backup's moment are not in it: those go out again, as
    everything recorded after a backup is lost with a restore — the README says so.)"""
    import sqlite3
    import threading
    import time
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from gongkai.flows.reminders import deadline_reminders

    from gongkai.cli.main import main
    from gongkai.services.backup import make_backup

    _office(tmp_path, smtp, monkeypatch, "")
    url = f"sqlite:///{tmp_path}/gongkai.db"
    smtp.delay = 0.4
    copy = tmp_path / "during.sqlite"

    def back_up_once_delivering() -> None:
        while not smtp.messages:
            time.sleep(0.01)
        make_backup(url, output=copy, folder=tmp_path, tz=ZoneInfo("UTC"), now=datetime.now(UTC))

    thread = threading.Thread(target=back_up_once_delivering, daemon=True)
    thread.start()
    first = deadline_reminders(as_of=AS_OF)
    thread.join(30)
    assert first["sent"] == first["due"] and len(smtp.messages) == 3
    with sqlite3.connect(copy) as conn:
        recorded = {
            recipient
            for (recipient,) in conn.execute(
                "SELECT DISTINCT recipient FROM reminder_outbox WHERE status IN ('sent', 'sending')"
            )
        }
    assert recorded, "the backup was taken after the first digest went out"

    smtp.delay = 0.0
    smtp.messages.clear()
    new_home = tmp_path / "new-home"
    monkeypatch.setenv("GONGKAI_HOME", str(new_home))
    monkeypatch.setenv("GONGKAI_DATABASE_URL", f"sqlite:///{new_home}/gongkai.db")
    result = CliRunner().invoke(main, ["restore", str(copy)])
    assert result.exit_code == 0, result.output

    deadline_reminders(as_of=AS_OF)
    again = {address.split("@")[0] for mail in smtp.messages for address in mail.to}
    assert not again & recorded, f"sent twice after the restore: {again & recorded}"
    smtp.messages.clear()
    deadline_reminders(as_of=AS_OF)
    assert smtp.messages == []
