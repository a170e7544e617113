"""A real office's configuration for the tests that need one beside the demo's: its own name and staff,
``demo`` unset (CONTRACT section 1: a real office's register starts empty)."""

from __future__ import annotations


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
