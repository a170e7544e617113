"""The outbox and the notifier with real parts: a real database (SQLite and PostgreSQL), a real SMTP server on
loopback (aiosmtpd) and a real HTTP server for the administrators' fallback channel (Apprise's ``json://``).

What is asserted is what people receive: the messages the servers got, counted per reminder.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gongkai.core.errors import ConfigError
from gongkai.core.messages import PlannedReminder
from gongkai.core.settings import Settings, load_settings
from gongkai.files.render import TEMPLATES_ENV, render
from gongkai.notify.channels import Notifier, RedactingFilter, redact, resolve_target
from gongkai.notify.outbox import (
    OUTBOX,
    DeliveryCounts,
    FaultPoint,
    Faults,
    OutboxCounts,
    deliver,
    write_outbox,
)
from gongkai.store.db import open_database
from tests.offices import FIRST_OFFICE, office_session
from tests.servers import HookServer, SmtpSink, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBJECT_RE = re.compile(
    r"【政务公开提醒】\d{4}-\d{2}-\d{2} [\u4e00-\u9fff、]+：待办 \d+ 项(（逾期 \d+ 项）)?(（可能重复）)?"
)


# --------------------------------------------------------------------------------------------------------------
# Office, database, clock, plan.

CONFIG = """
[office]
name = "嘉祥街道办事处"
disclosure_unit = "嘉祥街道党政综合办公室"
timezone = "Asia/Shanghai"

[[staff]]
id = "wang"
name = "王丽"
role = ["handler", "administrator"]
notify = ["env:GONGKAI_NOTIFY_WANG"]

[[staff]]
id = "li"
name = "李强"
role = "handler"
notify = ["env:GONGKAI_NOTIFY_LI"]

[[staff]]
id = "zhao"
name = "赵建国"
role = "unit_head"
notify = ["env:GONGKAI_NOTIFY_ZHAO"]

[[staff]]
id = "sun"
name = "孙敏"
role = "handler"

[reminders]
max_send_attempts = 5

[notifications]
fallback = [{fallback}]
retry_delays = [0]
lease_minutes = 30
"""


def make_settings(tmp_path: Path, *, fallback: bool = True) -> Settings:
    path = tmp_path / "gongkai.toml"
    path.write_text(
        CONFIG.replace("{fallback}", '"env:GONGKAI_NOTIFY_FALLBACK"' if fallback else ""), "utf-8"
    )
    return load_settings(path)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpSink, hook: HookServer) -> Settings:
    """The test office: wang, li and zhao by email to the SMTP sink, the fallback channel to the hook server."""
    for staff in ("wang", "li", "zhao"):
        monkeypatch.setenv(f"GONGKAI_NOTIFY_{staff.upper()}", smtp.url(f"{staff}@example.com"))
    monkeypatch.setenv("GONGKAI_NOTIFY_FALLBACK", hook.url)
    return make_settings(tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_database(db_url)
    yield eng
    eng.dispose()


class Clock:
    """A clock the test moves by hand (timezone-aware, as the office's clock seam gives)."""

    def __init__(self, day: date, hour: int = 8, minute: int = 30) -> None:
        self.t = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **delta: float) -> None:
        self.t += timedelta(**delta)

    def morning_of(self, day: date) -> None:
        self.t = datetime(day.year, day.month, day.day, 8, 30, tzinfo=SHANGHAI)


def reminder(
    key: str,
    who: str | tuple[str, ...],
    ref: str,
    text: str,
    *,
    deadline: date | None = None,
    urgency: int = 3,
    kind: str = "reply",
    escalation: bool = False,
) -> PlannedReminder:
    recipients = (who,) if isinstance(who, str) else who
    return PlannedReminder(key, recipients, kind, ref, deadline, urgency, text, escalation)


DAY = date(2026, 11, 23)  # a Monday

PLAN = [
    reminder(
        "app:1:reply:5:v1",
        "wang",
        "2026-0001",
        "2026-0001：答复期限 2026-11-30，还有 5 个工作日，请按期答复",
        deadline=date(2026, 11, 30),
        urgency=6,
    ),
    reminder(
        "app:2:overdue:2026-11-23",
        "wang",
        "2026-0002",
        "2026-0002：已超过答复期限 1 个工作日，请立即答复",
        deadline=date(2026, 11, 20),
        urgency=0,
        kind="overdue",
    ),
    reminder(
        "app:3:reply:1:v1",
        "li",
        "2026-0003",
        "2026-0003：答复期限 2026-11-24，还有 1 个工作日，请按期答复",
        deadline=date(2026, 11, 24),
        urgency=2,
    ),
    reminder(
        "app:2:escalation:2026-11-23",
        ("zhao", "wang"),
        "2026-0002",
        "2026-0002：已超过答复期限 1 个工作日（承办人：王丽），请督办",
        deadline=date(2026, 11, 20),
        urgency=0,
        kind="escalation",
        escalation=True,
    ),
    reminder(
        "app:4:reply:3:v1",
        "sun",
        "2026-0004",
        "2026-0004：答复期限 2026-11-26，还有 3 个工作日",
        deadline=date(2026, 11, 26),
    ),
]
"""wang: 3 lines, li: 1, zhao: 1, sun: none (no channel: unroutable)."""


def run_day(
    engine: Engine,
    settings: Settings,
    plan: list[PlannedReminder],
    *,
    as_of: date,
    clock: Clock,
    faults: Faults | None = None,
    notifier: Notifier | None = None,
    sleeps: list[float] | None = None,
) -> tuple[OutboxCounts, DeliveryCounts]:
    """What the daily flow does: write the plan, then deliver."""
    with office_session(engine) as session:
        written = write_outbox(session, plan, settings=settings, as_of=as_of, now=clock())
    delivered = deliver(
        engine,
        office_id=FIRST_OFFICE,
        settings=settings,
        as_of=as_of,
        notifier=notifier or Notifier(),
        now=clock,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        faults=faults,
    )
    return written, delivered


def statuses(engine: Engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(OUTBOX.c.key, OUTBOX.c.recipient, OUTBOX.c.status)).all()
    return {(key, recipient): status for key, recipient, status in rows}


def times_received(smtp: SmtpSink, text: str) -> int:
    """How many messages carried the reminder line ``text`` (each message counted once)."""
    return sum(1 for m in smtp.messages if text in m.text)


# --------------------------------------------------------------------------------------------------------------
# Happy path.


def test_one_digest_per_recipient_and_nothing_twice(engine: Engine, office: Settings, smtp: SmtpSink) -> None:
    clock = Clock(DAY)
    written, delivered = run_day(engine, office, PLAN, as_of=DAY, clock=clock)

    assert written == OutboxCounts(due=5, new=5, already_sent=0, superseded=0, unroutable=1, escalated=1)
    assert delivered == DeliveryCounts(sent=5, messages=3, failed=0, possible_repeats=0, alerts=0)
    assert sorted(m.to[0] for m in smtp.messages) == [
        "li@example.com",
        "wang@example.com",
        "zhao@example.com",
    ]
    (wang,) = smtp.to("wang@example.com")
    assert wang.subject == "【政务公开提醒】2026-11-23 期限提醒：待办 3 项（逾期 2 项）"
    # Most urgent first: the two overdue lines (urgency 0), then the reply deadline.
    positions = [wang.text.index(r.text) for r in (PLAN[3], PLAN[1], PLAN[0])]
    assert positions == sorted(positions)
    assert wang.html is not None and re.search(r"<th[^>]*>编号</th><th[^>]*>事项</th><th[^>]*>期限</th><th>说明</th>",
                                               wang.html)  # fmt: skip
    # The narrow 事项 column keeps its label on one line (it wrapped one character a line).
    assert re.search(r'<td style="white-space: nowrap; min-width: 6em;">逾期督办</td>', wang.html)
    # The plain-text part is the text template (numbered lines, one reminder a line), not a conversion of the
    # HTML table (one cell a line).
    assert re.search(r"^1\. 【逾期督办】期限 2026-11-20（已逾期）$", wang.text, re.MULTILINE), wang.text
    assert "\n编号\n" not in wang.text and "<" not in wang.text
    assert all(status == "sent" for status in statuses(engine).values())

    # The same day again (a re-run, a restart): nothing is sent twice.
    clock.advance(hours=2)
    written, delivered = run_day(engine, office, PLAN, as_of=DAY, clock=clock)
    assert (written.new, written.already_sent) == (0, 5)
    assert delivered == DeliveryCounts()
    assert len(smtp.messages) == 3


# --------------------------------------------------------------------------------------------------------------
# A process killed at each step.


class Killed(Exception):
    """Stands for the process dying (power cut, OOM kill) at a fault point."""


class KillAt(Faults):
    def __init__(self, point: FaultPoint) -> None:
        self.point = point

    def hit(self, point: FaultPoint) -> None:
        if point == self.point:
            raise Killed(point)


@pytest.mark.parametrize(
    "point",
    ["after_write", "before_claim", "after_claim", "before_send", "after_send_accepted", "after_mark"],
)
def test_killed_at_each_step_nothing_lost_repeat_only_after_accept(
    engine: Engine, office: Settings, smtp: SmtpSink, point: str
) -> None:
    clock = Clock(DAY)
    texts = {r.text: len([p for p in r.recipients if p != "sun"]) for r in PLAN}
    with office_session(engine) as session:
        write_outbox(session, PLAN, settings=office, as_of=DAY, now=clock())
    if point != "after_write":
        with pytest.raises(Killed):
            deliver(
                engine,
                office_id=FIRST_OFFICE,
                settings=office,
                as_of=DAY,
                notifier=Notifier(),
                now=clock,
                faults=KillAt(point),
            )  # type: ignore[arg-type]
    # The first channel in order is li's: it is the one the crash interrupted.
    killed_in_flight = point in ("after_claim", "before_send", "after_send_accepted")

    # Restarted a few minutes later: everything else goes out; rows claimed by the dead run wait for their lease.
    clock.advance(minutes=5)
    run_day(engine, office, PLAN, as_of=DAY, clock=clock)
    li_line = "2026-0003：答复期限 2026-11-24，还有 1 个工作日，请按期答复"
    assert times_received(smtp, li_line) == (0 if point in ("after_claim", "before_send") else 1)

    # After the lease: the interrupted rows are sent again, labelled as a possible repeat.
    clock.advance(minutes=office.notifications.lease_minutes + 1)
    _, last = run_day(engine, office, PLAN, as_of=DAY, clock=clock)

    for text, recipients in texts.items():
        expected = recipients + (1 if point == "after_send_accepted" and text == li_line else 0)
        assert times_received(smtp, text) == expected, (point, text)
    li_mail = smtp.to("li@example.com")
    if point == "after_send_accepted":
        first, second = li_mail
        assert "可能重复" not in first.subject
        assert second.subject.endswith("（可能重复）") and "（可能重复）" in second.text
        assert last.possible_repeats == 1
    elif killed_in_flight:
        # Never sent before, but the run cannot know that: labelled, and delivered exactly once.
        (only,) = li_mail
        assert "可能重复" in only.subject
    else:
        (only,) = li_mail
        assert "可能重复" not in only.subject
    assert set(statuses(engine).values()) == {"sent"}


# --------------------------------------------------------------------------------------------------------------
# The mail server down for three days.


def ladder_plan(day: date) -> list[PlannedReminder]:
    """What the planner would say on ``day`` (Mon 23 … Thu 26 Nov 2026): application 1's deadline is Fri 27 (the
    ladder moves 5 → 3 → 3 → 1), application 2 is overdue (a new line every day), application 3 waits for the
    extension decision (the same key every day)."""
    left = (date(2026, 11, 27) - day).days
    rung = min(r for r in (10, 5, 3, 1, 0) if left <= r)
    return [
        reminder(
            f"app:1:reply:{rung}:v1",
            "wang",
            "2026-0001",
            f"2026-0001：答复期限 2026-11-27，还有 {left} 个工作日（{day}）",
            deadline=date(2026, 11, 27),
            urgency=left + 1,
        ),
        reminder(
            f"app:2:overdue:{day}",
            "li",
            "2026-0002",
            f"2026-0002：已逾期，请立即答复（{day}）",
            deadline=date(2026, 11, 20),
            urgency=0,
            kind="overdue",
        ),
        reminder(
            "app:3:extension:2026-11-30",
            "li",
            "2026-0003",
            "2026-0003：请决定是否延期",
            deadline=date(2026, 11, 30),
            urgency=4,
            kind="extension",
        ),
    ]


def test_smtp_down_three_days_then_back(
    engine: Engine, office: Settings, smtp: SmtpSink, hook: HookServer
) -> None:
    days = [DAY + timedelta(days=n) for n in range(4)]
    clock = Clock(days[0])
    smtp.stop()  # the port now refuses connections
    sleeps: list[float] = []
    for n, day in enumerate(days[:3]):
        clock.morning_of(day)
        _, delivered = run_day(engine, office, ladder_plan(day), as_of=day, clock=clock, sleeps=sleeps)
        assert delivered.sent == 0 and delivered.failed == 3
        assert delivered.alerts == 1
        assert len(hook.posts) == n + 1, f"one alert on day {n + 1}"
        if n == 0:
            # A second run the same day (e.g. a restart) fails again, but does not alert again.
            clock.advance(hours=1)
            _, again = run_day(engine, office, ladder_plan(day), as_of=day, clock=clock)
            assert again.failed == 3 and again.alerts == 0 and len(hook.posts) == 1
    assert sleeps and set(sleeps) == {0.0}
    alert = hook.posts[0]
    assert "发送失败" in alert["title"]
    assert "王丽（wang） 的通知渠道 env:GONGKAI_NOTIFY_WANG" in alert["message"]
    assert "李强（li） 的通知渠道 env:GONGKAI_NOTIFY_LI" in alert["message"]
    assert len(smtp.messages) == 0

    smtp.start()  # day 4: the mail server is back
    clock.morning_of(days[3])
    written, delivered = run_day(engine, office, ladder_plan(days[3]), as_of=days[3], clock=clock)

    assert len(hook.posts) == 3, "no alert on the day things work"
    today = ladder_plan(days[3])
    for item in today:
        assert times_received(smtp, item.text) == 1
    (wang,) = smtp.to("wang@example.com")
    (li,) = smtp.to("li@example.com")
    assert (
        "还有 1 个工作日" in wang.text and "还有 3 个工作日" not in wang.text and "还有 4 个" not in wang.text
    )
    assert li.text.count("已逾期，请立即答复") == 1 and f"（{days[3]}）" in li.text
    assert delivered.sent == 3 and delivered.failed == 0 and delivered.alerts == 0
    final = statuses(engine)
    assert final[("app:1:reply:5:v1", "wang")] == "superseded"
    assert final[("app:1:reply:3:v1", "wang")] == "superseded"
    assert all(final[(f"app:2:overdue:{d}", "li")] == "superseded" for d in days[:3])
    assert final[("app:3:extension:2026-11-30", "li")] == "sent"
    assert written.superseded == 2  # day 3's rung-3 line and day 3's overdue line
    with engine.connect() as conn:
        attempts = conn.execute(
            sa.select(OUTBOX.c.attempts).where(OUTBOX.c.key == "app:3:extension:2026-11-30")
        ).scalar_one()
    assert attempts >= office.reminders.max_send_attempts


def attempts_of(engine: Engine, recipient: str) -> set[int]:
    with engine.connect() as conn:
        return set(
            conn.execute(sa.select(OUTBOX.c.attempts).where(OUTBOX.c.recipient == recipient)).scalars()
        )


def test_retries_skip_permanent_failures_and_stop_at_max_attempts(
    engine: Engine, office: Settings, monkeypatch: pytest.MonkeyPatch, hook: HookServer
) -> None:
    # A URL Apprise cannot read is not retried within the run (it will not get better by waiting).
    monkeypatch.setenv("GONGKAI_NOTIFY_LI", "notascheme://somewhere")
    sleeps: list[float] = []
    _, delivered = run_day(engine, office, PLAN, as_of=DAY, clock=Clock(DAY), sleeps=sleeps)
    assert sleeps == [] and attempts_of(engine, "li") == {1}
    assert delivered.failed == 1 and delivered.alerts == 1
    assert "通知地址格式无法识别" in hook.posts[0]["message"] and "notascheme" not in hook.posts[0]["message"]

    # A channel that is down is retried after each delay, but a row gets at most max_send_attempts per run.
    monkeypatch.setenv("GONGKAI_NOTIFY_LI", SmtpSink().url("li@example.com"))  # nobody listens there
    patient = office.model_copy(
        update={
            "notifications": office.notifications.model_copy(update={"retry_delays": (0, 0, 0, 0, 0, 0)}),
            "reminders": office.reminders.model_copy(update={"max_send_attempts": 3}),
        }
    )
    clock = Clock(DAY + timedelta(days=1))
    run_day(engine, patient, PLAN, as_of=clock().date(), clock=clock, sleeps=sleeps)
    assert sleeps == [0.0] and attempts_of(engine, "li") == {3}
    # The next run tries once more (a still-relevant reminder is never given up).
    clock.advance(hours=1)
    run_day(engine, patient, PLAN, as_of=clock().date(), clock=clock, sleeps=sleeps)
    assert attempts_of(engine, "li") == {4}


# --------------------------------------------------------------------------------------------------------------
# Two runs at once.


def race(
    engines: list[Engine], settings: Settings, plan: list[PlannedReminder], day: date
) -> list[tuple[OutboxCounts, DeliveryCounts]]:
    """The daily run started in one thread per engine at the same instant; what each run reported."""
    barrier = threading.Barrier(len(engines))
    results: list[tuple[OutboxCounts, DeliveryCounts]] = []
    errors: list[BaseException] = []

    def one_run(eng: Engine) -> None:
        try:
            barrier.wait()
            results.append(run_day(eng, settings, plan, as_of=day, clock=Clock(day)))
        except BaseException as exc:  # re-raised below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=one_run, args=(eng,)) for eng in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


def test_overlapping_runs_send_each_reminder_once(db_url: str, office: Settings, smtp: SmtpSink) -> None:
    smtp.delay = 0.02  # a slow server widens the window in which the two runs overlap
    engines = [open_database(db_url), open_database(db_url)]
    try:
        for n in range(3):
            day = DAY + timedelta(days=n)
            plan = [
                reminder(f"r:{n}:{i}", who, f"2026-{i:04d}", f"2026-{i:04d}：第 {n} 天的提醒 {i}")
                for i, who in enumerate(["wang", "li", "zhao"] * 4)
            ]
            results = race(engines, office, plan, day)
            assert sum(w.new for w, _ in results) == len(plan), "the database inserted each row once"
            assert sum(d.sent for _, d in results) == len(plan), "each row sent by exactly one run"
            for item in plan:
                assert times_received(smtp, item.text) == 1
        assert len(smtp.messages) == 9  # one digest per recipient per day
    finally:
        for eng in engines:
            eng.dispose()


# --------------------------------------------------------------------------------------------------------------
# Secrets and personal data.


def test_no_secret_in_logs_errors_or_alerts(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp: SmtpSink,
    hook: HookServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="apprise")
    caplog.set_level(logging.DEBUG, logger="gongkai")
    closed = free_port()
    monkeypatch.setenv("GONGKAI_NOTIFY_WANG", smtp.url("wang@example.com", credentials="user:S3cretPw"))
    monkeypatch.setenv("GONGKAI_NOTIFY_LI", f"json://127.0.0.1:{closed}/?+X-Token=Tok3nSecret")
    monkeypatch.setenv(
        "GONGKAI_NOTIFY_ZHAO", SmtpSink(port=closed).url("zhao@example.com", credentials="user:S3cretPw")
    )
    monkeypatch.setenv("GONGKAI_NOTIFY_FALLBACK", hook.url)
    settings = make_settings(tmp_path)
    clock = Clock(DAY)

    _, delivered = run_day(engine, settings, PLAN, as_of=DAY, clock=clock)

    # wang's server takes the password (SMTP AUTH) and delivers; li's and zhao's channels are down.
    assert len(smtp.to("wang@example.com")) == 1
    assert delivered.failed == 2 and delivered.alerts == 1
    with engine.connect() as conn:
        errors = [e for e in conn.execute(sa.select(OUTBOX.c.last_error)).scalars() if e]
    assert errors and any("env:GONGKAI_NOTIFY_LI" in e for e in errors)
    # And a log line emitted with the secrets in it is masked by the filter on Gongkai's and Apprise's loggers.
    logging.getLogger("apprise").debug("WeCom Bot URL: wecombot://SECRETKEY and %s", "dingtalk://Sig@Tok")
    logging.getLogger("gongkai.notify").warning("target %s", "mailto://user:S3cretPw@host")
    assert "wecombot://***" in caplog.text
    # Apprise was held at WARNING during the sends, and given back its level afterwards.
    chatty = [r for r in caplog.records if r.name == "apprise" and r.levelno < logging.WARNING]
    assert [r.getMessage() for r in chatty] == ["WeCom Bot URL: wecombot://*** and dingtalk://***"]
    assert logging.getLogger("apprise").level == logging.DEBUG

    everything = "\n".join(
        [caplog.text, *errors, json.dumps(hook.posts, ensure_ascii=False)]
        + [m.subject + m.text + (m.html or "") for m in smtp.messages]
    )
    for secret in ("S3cretPw", "Tok3nSecret", "SECRETKEY", "Sig@Tok"):
        assert secret not in everything, secret
    for mail in smtp.messages:
        assert SUBJECT_RE.fullmatch(mail.subject), mail.subject


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mailtos://user:S3cret@smtp.example.com?to=a@b.c", "mailtos://user:***@smtp.example.com?to=a@b.c"),
        ("wecombot://SECRETKEY", "wecombot://***"),
        ("url wecombot://SECRETKEY/?format=text end", "url wecombot://*** end"),
        ("dingtalk://secret@token123", "dingtalk://***"),
        ("feishu://token/secret", "feishu://***"),
        ("json://host:8080/?+X-Token=abc&format=text", "json://host:8080/?+X-Token=***&format=text"),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K3Y",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=T0K",
            "https://oapi.dingtalk.com/robot/send?access_token=***",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/abc-123",
            "https://open.feishu.cn/open-apis/bot/v2/hook/***",
        ),
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer ***"),
        ("mailto://127.0.0.1:25?to=wang@example.com", "mailto://127.0.0.1:25?to=wang@example.com"),
        ("2026-0001：答复期限 2026-11-30", "2026-0001：答复期限 2026-11-30"),
        # Only the secret is masked: the sentence around it stays whole (issue 11).
        ("通知地址（wecombot://SECRETKEY）无效。", "通知地址（wecombot://***）无效。"),
        ("地址 wecombot://SECRETKEY。请检查", "地址 wecombot://***。请检查"),
        ("（dingtalk://secret@token123，已停用）", "（dingtalk://***，已停用）"),
        ("（见 wecombot://SECRETKEY）", "（见 wecombot://***）"),
        ("see (wecombot://SECRETKEY).", "see (wecombot://***)."),
        (
            "（https://oapi.dingtalk.com/robot/send?access_token=T0K）。",
            "（https://oapi.dingtalk.com/robot/send?access_token=***）。",
        ),
        (
            "（https://open.feishu.cn/open-apis/bot/v2/hook/abc-123）。",
            "（https://open.feishu.cn/open-apis/bot/v2/hook/***）。",
        ),
        ("（mailtos://user:S3cret@smtp.example.com）。", "（mailtos://user:***@smtp.example.com）。"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redacting_filter_masks_arguments_and_tracebacks() -> None:
    record = logging.LogRecord(
        "apprise", logging.DEBUG, __file__, 1, "url %s", ("wecombot://SECRETKEY",), None
    )
    try:
        raise RuntimeError("wecombot://SECRETKEY")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "url wecombot://***"
    assert record.exc_text is not None and "SECRETKEY" not in record.exc_text


# --------------------------------------------------------------------------------------------------------------
# The digest's HTML and the templates.


def test_html_part_escapes_reminder_text(engine: Engine, office: Settings, smtp: SmtpSink) -> None:
    plan = [reminder("x:1", "wang", "2026-0009", "2026-0009：<script>alert(1)</script> & <b>加急</b>")]
    run_day(engine, office, plan, as_of=DAY, clock=Clock(DAY))
    (mail,) = smtp.messages
    assert mail.html is not None
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;加急&lt;/b&gt;" in mail.html
    assert "<script>" not in mail.html and "<b>加急" not in mail.html


def test_templates_strict_and_overridable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("notifications/digest_subject.txt.j2", as_of=DAY)
    override = tmp_path / "notifications"
    override.mkdir()
    (override / "digest_subject.txt.j2").write_text("本办事处提醒 {{ as_of|zhdate }}", "utf-8")
    monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path))
    assert render("notifications/digest_subject.txt.j2", as_of=DAY) == "本办事处提醒 2026年11月23日（星期一）"


# --------------------------------------------------------------------------------------------------------------
# Targets and the notifier.


def test_resolve_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_NOTIFY_X", "mailtos://u:p@h")
    assert resolve_target("env:GONGKAI_NOTIFY_X", secret_loader=None) == "mailtos://u:p@h"
    assert resolve_target("console", secret_loader=None) is None
    assert resolve_target(
        "secret:notify-wang", secret_loader={"notify-wang": "wecombot://K"}.__getitem__
    ) == ("wecombot://K")
    monkeypatch.setenv("GONGKAI_NOTIFY_EMPTY", " ")
    with pytest.raises(ConfigError, match="GONGKAI_NOTIFY_EMPTY"):
        resolve_target("env:GONGKAI_NOTIFY_EMPTY", secret_loader=None)
    with pytest.raises(ConfigError, match="GONGKAI_NOTIFY_MISSING"):
        resolve_target("env:GONGKAI_NOTIFY_MISSING", secret_loader=None)

    def leaky(name: str) -> str:
        raise ValueError("block value is wecombot://SECRETKEY")

    with pytest.raises(ConfigError) as caught:
        resolve_target("secret:notify-wang", secret_loader=leaky)
    assert "notify-wang" in str(caught.value) and "SECRETKEY" not in str(caught.value)
    with pytest.raises(ConfigError, match="Secret"):
        resolve_target("secret:notify-wang", secret_loader=None)


def test_notifier_failures_are_results_not_exceptions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="apprise")
    # A mistyped URL: Apprise would log it verbatim at ERROR (a password or token in it with it).
    for typo in ("notascheme://S3cretPw@nowhere", "wecombot:/S3cretPw", "mailto://S3cretPw@"):
        monkeypatch.setenv("GONGKAI_NOTIFY_BAD", typo)
        bad = Notifier().send("env:GONGKAI_NOTIFY_BAD", title="t", text="x")
        assert (bad.ok, bad.permanent) == (False, True), typo
        assert bad.error is not None and "通知地址格式无法识别" in bad.error and "S3cretPw" not in bad.error
    assert "S3cretPw" not in caplog.text
    missing = Notifier().send("env:GONGKAI_NOTIFY_NOPE", title="t", text="x")
    assert (missing.ok, missing.permanent) == (False, True) and "GONGKAI_NOTIFY_NOPE" in (missing.error or "")

    sink = tmp_path / "console.log"
    ok = Notifier(console_file=sink).send("console", title="【政务公开提醒】标题", text="正文")
    assert ok.ok and "正文" in sink.read_text("utf-8") and "正文" in caplog.text


def test_alert_goes_to_administrators_other_channel_without_fallback(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpSink, hook: HookServer
) -> None:
    settings = make_settings(tmp_path, fallback=False)
    # wang (the administrator) gets his reminders by email and, as a second channel, the hook.
    settings = settings.model_copy(
        update={
            "staff": tuple(
                s.model_copy(update={"notify": ("env:GONGKAI_NOTIFY_WANG", "env:GONGKAI_NOTIFY_WANG_HOOK")})
                if s.id == "wang"
                else s
                for s in settings.staff
            )
        }
    )
    closed = free_port()
    monkeypatch.setenv(
        "GONGKAI_NOTIFY_WANG", f"mailto://127.0.0.1:{closed}?from=gk@example.com&to=wang@example.com"
    )
    monkeypatch.setenv("GONGKAI_NOTIFY_WANG_HOOK", hook.url)
    monkeypatch.setenv("GONGKAI_NOTIFY_LI", smtp.url("li@example.com"))
    monkeypatch.setenv("GONGKAI_NOTIFY_ZHAO", smtp.url("zhao@example.com"))
    _, delivered = run_day(engine, settings, PLAN, as_of=DAY, clock=Clock(DAY))
    assert delivered.failed == 3 and delivered.alerts == 1
    # The hook got wang's digest (his second channel) and then the alert about his email channel.
    titles = [p["title"] for p in hook.posts]
    assert titles[0].startswith("【政务公开提醒】2026-11-23 期限提醒：待办 3 项")
    assert "发送失败" in titles[1] and "env:GONGKAI_NOTIFY_WANG " in hook.posts[1]["message"]


def test_sent_at_stored_in_utc(engine: Engine, office: Settings) -> None:
    clock = Clock(DAY)
    run_day(engine, office, PLAN[:1], as_of=DAY, clock=clock)
    with engine.connect() as conn:
        sent_at = conn.execute(sa.select(OUTBOX.c.sent_at)).scalar_one()
    assert sent_at == clock().astimezone(UTC)


def test_console_channel_for_demos(engine: Engine, office: Settings, smtp: SmtpSink, tmp_path: Path) -> None:
    demo = office.model_copy(
        update={"notifications": office.notifications.model_copy(update={"console": True})}
    )
    sink = tmp_path / "console.txt"
    written, delivered = run_day(
        engine, demo, PLAN, as_of=DAY, clock=Clock(DAY), notifier=Notifier(console_file=sink)
    )
    # Every routed row also goes to the console; the email digests are unchanged.
    assert written.due == 10 and delivered.messages == 6 and len(smtp.messages) == 3
    shown = sink.read_text("utf-8")
    assert shown.count("=== 【政务公开提醒】2026-11-23") == 3 and "李强，您好" in shown


def test_digest_footer_only_when_applications_are_concerned(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from gongkai.notify.outbox import render_digest

    settings = make_settings(tmp_path, fallback=False)

    def row(key: str, kind: str) -> SimpleNamespace:
        return SimpleNamespace(
            key=key, kind=kind, ref="X", deadline=None, urgency=1, text="说明", possible_repeat=False
        )

    _, app_text, app_html = render_digest(
        [row("app:1:reply:3:v1", "reply")], settings=settings, recipient="wang", as_of=date(2026, 11, 27)
    )
    _, cat_text, cat_html = render_digest(
        [row("catalogue:2026-Q3:2026-10-01", "catalogue")],
        settings=settings,
        recipient="wang",
        as_of=date(2026, 11, 27),
    )
    assert "gongkai request event" in app_text and "gongkai request event" in app_html
    assert "gongkai request event" not in cat_text and "gongkai request event" not in cat_html


def _row(key: str, kind: str, *, deadline: date | None = None, urgency: int = 1) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(key=key, kind=kind, ref="X", deadline=deadline, urgency=urgency, text="说明",
                           possible_repeat=False)  # fmt: skip


def test_overdue_is_the_date_not_the_urgency(tmp_path: Path) -> None:
    """An urgent review task due tomorrow is planned with urgency 0 (it sorts first) but it is not late."""
    from gongkai.notify.outbox import render_digest

    settings = make_settings(tmp_path, fallback=False)
    today = date(2026, 11, 23)
    urgent = _row("review:7:2026-W48", "review", deadline=date(2026, 11, 24), urgency=0)
    subject, text, html = render_digest([urgent], settings=settings, recipient="wang", as_of=today)
    assert "逾期" not in subject and "已逾期" not in text and "已逾期" not in html
    late = _row("review:8:overdue:2026-11-23", "review_overdue", deadline=date(2026, 11, 20), urgency=0)
    # Someone else's date passing (the applicant's correction period) is not the office being late.
    theirs = _row("app:9:correction_expired:2026-11-20", "correction_expired", deadline=date(2026, 11, 20))
    subject, text, html = render_digest(
        [urgent, late, theirs], settings=settings, recipient="wang", as_of=today
    )
    assert subject.endswith("（逾期 1 项）")
    assert text.count("（已逾期）") == 1 and html.count("（已逾期）") == 1
    assert "其中 1 项已逾期" in text
    # An office's own templates read the same answer from the digest lines and the context.
    from gongkai.notify.outbox import _digest_items

    overdue = {i.kind: i.overdue for i in _digest_items([urgent, late, theirs], today)}
    assert overdue == {"review": False, "review_overdue": True, "correction_expired": False}


@pytest.mark.parametrize(
    ("kinds", "topic"),
    [
        (["catalogue"], "公开目录更新"),
        (["report"], "年度报告"),
        (["report_readiness"], "年度报告准备"),
        (["review"], "内容检查"),
        (["reply", "overdue"], "期限提醒"),
        (["review_overdue"], "期限提醒"),
        (["reply", "review", "catalogue"], "期限提醒、公开目录更新、内容检查"),
    ],
)
def test_digest_subject_names_what_it_is_about(tmp_path: Path, kinds: list[str], topic: str) -> None:
    from gongkai.notify.outbox import render_digest

    settings = make_settings(tmp_path, fallback=False)
    rows = [_row(f"{kind}:{n}", kind) for n, kind in enumerate(kinds)]
    subject, _, _ = render_digest(rows, settings=settings, recipient="wang", as_of=date(2026, 10, 1))
    assert subject == f"【政务公开提醒】2026-10-01 {topic}：待办 {len(kinds)} 项"
    assert SUBJECT_RE.fullmatch(subject)


def test_daily_plan_never_supersedes_a_weekly_or_yearly_notice(
    engine: Engine, office: Settings, smtp: SmtpSink
) -> None:
    """A review notice (or a catalogue/report notice) that failed on Monday is delivered when the channel is back,
    although Tuesday's daily plan does not contain it; the weekly review replaces its own earlier weeks."""
    clock = Clock(DAY)
    notice = reminder("review:7:2026-W48", "li", "JX/2026-00001",
                      "【新】检查任务 #7（已公开信息定期复查）：请复查", kind="review")  # fmt: skip
    report = reminder("report:2025:2026-11-23", "li", "2025", "2025 年度报告已生成", kind="report")
    smtp.stop()
    with office_session(engine) as session:
        write_outbox(session, [notice], settings=office, as_of=DAY, now=clock(), supersede={"review"})
        write_outbox(session, [report], settings=office, as_of=DAY, now=clock(), supersede=False)
    deliver(
        engine,
        office_id=FIRST_OFFICE,
        settings=office,
        as_of=DAY,
        notifier=Notifier(),
        now=clock,
        sleep=lambda _s: None,
    )
    assert statuses(engine)[("review:7:2026-W48", "li")] == "pending"
    # Tuesday: the daily plan (one reminder for wang) leaves both pending notices alone; li gets them now.
    smtp.start()
    tuesday = DAY + timedelta(days=1)
    clock.morning_of(tuesday)
    written, delivered = run_day(engine, office, PLAN[:1], as_of=tuesday, clock=clock)
    assert written.superseded == 0
    assert times_received(smtp, "【新】检查任务 #7") == 1 and times_received(smtp, "2025 年度报告已生成") == 1
    # A pending review notice of an earlier week is replaced by the next week's plan (not sent twice).
    smtp.stop()
    week2 = reminder("review:8:2026-W49", "li", "JX/2026-00002", "【新】检查任务 #8：请复查", kind="review")
    with office_session(engine) as session:
        write_outbox(session, [week2], settings=office, as_of=DAY + timedelta(days=7), now=clock(),
                     supersede={"review"})  # fmt: skip
    deliver(engine, office_id=FIRST_OFFICE, settings=office, as_of=DAY + timedelta(days=7), notifier=Notifier(), now=clock,
            sleep=lambda _s: None)  # fmt: skip
    week3 = reminder(
        "review:8:2026-W50", "li", "JX/2026-00002", "【待处理】检查任务 #8：请复查", kind="review"
    )
    with office_session(engine) as session:
        counts = write_outbox(session, [week3], settings=office, as_of=DAY + timedelta(days=14), now=clock(),
                              supersede={"review"})  # fmt: skip
    assert counts.superseded == 1
    assert statuses(engine)[("review:8:2026-W49", "li")] == "superseded"


# --------------------------------------------------------------------------------------------------------------
# The kill matrix: a run killed at any point, a re-run inside the lease, the next day's run.


class DiesMidSend:
    """A channel whose message reaches the server, then the process dies before Apprise returns."""

    def __init__(self, real: Notifier, target: str) -> None:
        self.real, self.target, self.armed = real, target, True

    def send(self, target_name: str, *, title: str, text: str, html: str | None = None) -> Any:
        result = self.real.send(target_name, title=title, text=text, html=html)
        if self.armed and target_name == self.target:
            self.armed = False
            raise Killed("mid_send")
        return result


CORRECTION_LINE = "2026-0003：补正告知书今天到期（第 7 个工作日），请今天发出"


@pytest.mark.parametrize(
    "point", ["before_claim", "after_claim", "before_send", "mid_send", "after_send_accepted", "after_mark"]
)
def test_kill_matrix_rerun_inside_lease_then_next_day(
    engine: Engine, office: Settings, smtp: SmtpSink, point: str
) -> None:
    """Killed at each point while delivering li's correction notice (due that day, replaced by nothing later):
    a re-run inside the lease reports it unconfirmed and sends nothing twice; the next day's run, whose plan no
    longer contains it, delivers it (labelled 可能重复 when it may have gone out). 0 lost, at most 1 duplicate."""
    clock = Clock(DAY)
    li_row = reminder("app:3:correction_notice:2026-11-23", "li", "2026-0003", CORRECTION_LINE,
                      deadline=DAY, urgency=1, kind="correction_notice")  # fmt: skip
    plan = [PLAN[0], li_row]
    with office_session(engine) as session:
        write_outbox(session, plan, settings=office, as_of=DAY, now=clock())
    notifier: Any = Notifier()
    faults: Faults | None = None
    if point == "mid_send":
        notifier = DiesMidSend(Notifier(), "env:GONGKAI_NOTIFY_LI")
    else:
        faults = KillAt(point)  # type: ignore[arg-type]
    with pytest.raises(Killed):
        deliver(
            engine,
            office_id=FIRST_OFFICE,
            settings=office,
            as_of=DAY,
            notifier=notifier,
            now=clock,
            faults=faults,
        )
    reached_server = point in ("mid_send", "after_send_accepted", "after_mark")

    # systemd restarts the service half a minute later: a re-run inside the lease.
    clock.advance(minutes=1)
    _, rerun = run_day(engine, office, plan, as_of=DAY, clock=clock)
    interrupted = point in ("after_claim", "before_send", "mid_send", "after_send_accepted")
    assert rerun.interrupted == (1 if interrupted else 0)
    assert rerun.outstanding == rerun.interrupted, "an unconfirmed row is reported, never counted as done"
    if interrupted:
        assert rerun.retry_at == clock() - timedelta(minutes=1) + timedelta(
            minutes=office.notifications.lease_minutes
        )
    assert times_received(smtp, CORRECTION_LINE) == (1 if reached_server or not interrupted else 0)

    # The next working day: the plan no longer holds the correction notice; nothing may supersede it.
    tuesday = DAY + timedelta(days=1)
    clock.morning_of(tuesday)
    written, last = run_day(engine, office, [PLAN[0]], as_of=tuesday, clock=clock)
    assert written.superseded == 0
    assert last.outstanding == 0
    received = times_received(smtp, CORRECTION_LINE)
    assert 1 <= received <= 2, "never lost, at most one duplicate"
    li_mail = [m for m in smtp.to("li@example.com") if CORRECTION_LINE in m.text]
    if received == 2 or point in ("after_claim", "before_send"):
        assert "可能重复" in li_mail[-1].subject, "a resend after an interruption is labelled"
    assert set(statuses(engine).values()) == {"sent"}
