"""The console channel is an Apprise custom notification: one send path for every channel."""

from __future__ import annotations

from pathlib import Path

from gongkai.notify.channels import CONSOLE_SCHEMA, Notifier, console_url


def test_console_channel_is_an_apprise_url(tmp_path: Path) -> None:
    import apprise

    sink = tmp_path / "消息 folder" / "console.txt"
    sink.parent.mkdir()
    Notifier().send("console", title="warm-up", text="x")  # registers gongkaiconsole:// with Apprise
    channel = apprise.Apprise()
    assert channel.add(console_url(sink)), "Apprise does not know the gongkaiconsole:// schema"
    assert channel.notify(body="第一行\n第二行", title="期限提醒")
    assert sink.read_text(encoding="utf-8") == "=== 期限提醒\n第一行\n第二行\n\n"
    assert console_url(None) == f"{CONSOLE_SCHEMA}://"


def test_notifier_console_goes_through_apprise(tmp_path: Path) -> None:
    """Notifier.send("console") writes the titled message (with the demo prefix) through the same plugin."""
    sink = tmp_path / "console.txt"
    result = Notifier(console_file=sink, title_prefix="【演示】").send("console", title="待办", text="正文\n")
    assert result.ok
    assert sink.read_text(encoding="utf-8") == "=== 【演示】待办\n正文\n\n"
