"""Sending one message to one configured target, through Apprise, with secrets kept out of every log.

A staff member's ``notify`` entry names where the URL is kept, never the URL itself (``env:GONGKAI_NOTIFY_WANG``,
``secret:notify-wang``) or is ``console``. :func:`resolve_target` turns the name into the URL at the moment of
sending; the URL is then given to Apprise and forgotten: it is never logged, stored or put into an error message.
Errors name the target *name* instead.

Apprise reports a failed delivery through its return value, never by raising (caronc/apprise ``apprise.py``):
:meth:`Notifier.send` checks it, and ``False``, ``None`` or a partial result all count as failure.

Apprise logs URLs, payloads and, for some plugins, tokens at DEBUG (the WeCom bot key in clear). So during a send
the ``apprise`` logger is held at WARNING or above, and :class:`RedactingFilter` masks anything that looks like a
credential in every record of the ``apprise`` and ``gongkai`` loggers (:func:`install_redaction`).

Email (``mailto://``, ``mailtos://``) with an HTML body is sent as ``multipart/alternative`` with *our* plain-text
part (the text template) beside the HTML: Apprise's email plugin can only derive the text part from the HTML
(``convert_between``: one table cell a line), and gives no way to pass our own. So Apprise parses the URL (its
provider templates know the SMTP host, port and security of 163.com, qq.com and the rest) and Gongkai builds and
sends the message with :mod:`smtplib` (:meth:`Notifier._to_email`). Should an Apprise version not expose the
parsed fields, the message goes through Apprise's own send instead (HTML with its derived text).

The domain never imports Prefect: reading a Prefect Secret block is a function the task layer passes in
(``secret_loader``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from gongkai.core.errors import ConfigError
from gongkai.core.settings import parse_notify_target, redact_url

log = logging.getLogger("gongkai.notify")

SecretLoader = Callable[[str], str]
"""Reads the value of a named secret (in production: a Prefect Secret block; injected by the task layer)."""

_MAIL_SCHEMES: Final = frozenset({"mailto", "mailtos"})
_ERROR_LIMIT: Final = 300
"""``reminder_outbox.last_error`` holds 500 characters; leave room for the caller's own words."""


# --------------------------------------------------------------------------------------------------------------
# Redaction.

# A secret ends where the URL ends: at the first character a URL cannot hold unescaped (space, quote, bracket, any
# non-ASCII character such as Chinese punctuation), and never with sentence punctuation, so that masking
# "（wecombot://KEY）。" leaves "（wecombot://***）。" and not the rest of the sentence swallowed.
_URL_CHARS: Final = r"A-Za-z0-9\-._~%!$&*+,;=:@/?#\[\]"


def _secret(allowed: str) -> str:
    """A run of ``allowed`` URL characters that does not end with ``.,;:!?``."""
    end = allowed.replace(".", "").replace(",", "").replace(";", "").replace(":", "").replace("!", "")
    end = end.replace("?", "")
    return f"[{allowed}]*[{end}]"


# Schemes whose whole path is a token (Apprise's Chinese chat plugins and a few push services).
_TOKEN_SCHEMES: Final = (
    "wecombot",
    "wechat",
    "wecom",
    "pushplus",
    "dingtalk",
    "feishu",
    "lark",
    "wxpusher",
    "serverchan",
    "schan",
    "bark",
    "barks",
)
_TOKEN_URL_RE: Final = re.compile(
    r"(?i)\b(?P<scheme>" + "|".join(_TOKEN_SCHEMES) + r")://(?P<token>" + _secret(_URL_CHARS) + ")"
)
# Query parameters that carry a secret (…?key=…, &access_token=…, ?+X-Token=… headers of json:// and form://).
_SECRET_QUERY_RE: Final = re.compile(
    r"(?i)(?P<name>[?&](?:\+[\w.-]+|[\w.-]*(?:token|key|secret|pass|pwd|sign|auth|sig)[\w.-]*)=)"
    r"(?P<value>" + _secret(_URL_CHARS.replace("&", "").replace("#", "")) + ")"
)
# Webhook URLs that keep the token in the path (Feishu/Lark: /open-apis/bot/v2/hook/<token>).
_HOOK_PATH_RE: Final = re.compile(
    r"(?i)(?P<head>/hook/)(?P<token>"
    + _secret(_URL_CHARS.replace("/", "").replace("?", "").replace("#", ""))
    + ")"
)
_BEARER_RE: Final = re.compile(r"(?i)(?P<head>\b(?:bearer|token)\s+)(?P<token>[A-Za-z0-9._~+/=-]{8,})")


def redact(text: str) -> str:
    """``text`` with every URL password and every token-like part masked as ``***``.

    Covers ``scheme://user:password@host`` (:func:`gongkai.core.settings.redact_url`), the path token of
    ``wecombot://KEY``, ``dingtalk://…``, ``feishu://…`` and similar chat schemes, secret-looking query parameters
    (``key=``, ``access_token=``, ``+X-Token=`` headers), ``/hook/<token>`` webhook paths and bearer tokens.
    """
    text = redact_url(text)
    text = _TOKEN_URL_RE.sub(lambda m: f"{m['scheme']}://***", text)
    text = _SECRET_QUERY_RE.sub(lambda m: f"{m['name']}***", text)
    text = _HOOK_PATH_RE.sub(lambda m: f"{m['head']}***", text)
    return _BEARER_RE.sub(lambda m: f"{m['head']}***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and traceback text) through :func:`redact`.

    It never drops a record. Attach it to a logger (records logged *on that logger*) or to a handler (every
    record the handler emits, whichever logger it came from).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in ``record`` in place; always keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed format string: keep the raw text, masked, rather than lose the record.
            message = str(record.msg)
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_REDACTION: Final = RedactingFilter()
_REDACTED_LOGGERS: Final = ("apprise", "gongkai", "gongkai.notify", "gongkai.notify.outbox")


def install_redaction() -> None:
    """Attach :class:`RedactingFilter` to the ``apprise`` and ``gongkai`` loggers and their existing children.

    A logger's filters do not apply to records of its child loggers, so each known logger gets the filter;
    calling this again is harmless (the filter is added once per logger). Logging handlers set up by the command
    line or the Prefect task layer can add :class:`RedactingFilter` themselves for full coverage.
    """
    names = set(_REDACTED_LOGGERS)
    names.update(
        name for name in list(logging.root.manager.loggerDict) if name.startswith(("apprise.", "gongkai."))
    )
    for name in sorted(names):
        logger = logging.getLogger(name)
        if _REDACTION not in logger.filters:
            logger.addFilter(_REDACTION)


_quiet_lock = threading.Lock()
_quiet_levels: list[int] = []
_quiet_saved_level = logging.NOTSET


def _apply_quiet_level(logger: logging.Logger) -> None:
    if _quiet_levels:
        logger.setLevel(max(max(_quiet_levels), _quiet_saved_level))
    else:
        logger.setLevel(_quiet_saved_level)


@contextmanager
def quiet_apprise(level: int = logging.WARNING) -> Iterator[None]:
    """Hold the ``apprise`` logger at ``level`` or above inside the block, then restore its own level.

    Re-entrant and thread-safe: with overlapping sends in several threads the logger stays at the highest level
    any of them asked for until the last one ends.
    """
    global _quiet_saved_level
    logger = logging.getLogger("apprise")
    with _quiet_lock:
        if not _quiet_levels:
            _quiet_saved_level = logger.level
        _quiet_levels.append(level)
        _apply_quiet_level(logger)
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_levels.remove(level)
            _apply_quiet_level(logger)


# --------------------------------------------------------------------------------------------------------------
# Targets.


def resolve_target(name: str, *, secret_loader: SecretLoader | None) -> str | None:
    """The notification URL a configured target name stands for, or ``None`` for the console channel.

    ``env:X`` reads the environment variable ``X``; ``secret:B`` asks ``secret_loader`` for the Secret block ``B``;
    ``console`` is the console channel. Raises :class:`ConfigError` naming the variable or block (never its
    value) when it is missing or empty, or when the name itself is malformed.
    """
    kind, key = parse_notify_target(name)
    if kind == "console":
        return None
    if kind == "env":
        value = os.environ.get(key, "").strip()
        if not value:
            raise ConfigError(
                f"通知目标 {name}：环境变量 {key} 未设置或为空，应为通知网址（例如 mailtos://…、wecombot://…）。"
            )
        return value
    if secret_loader is None:
        raise ConfigError(f"通知目标 {name}：本次运行无法读取 Prefect Secret 块（未提供读取方法）。")
    try:
        value = secret_loader(key)
    except Exception as exc:  # any failure of the injected loader; its message may quote the secret
        raise ConfigError(
            f"通知目标 {name}：无法读取 Prefect Secret 块 {key}（{type(exc).__name__}），请检查该块是否存在。"
        ) from None
    value = (value or "").strip()
    if not value:
        raise ConfigError(f"通知目标 {name}：Prefect Secret 块 {key} 的内容为空，应为通知网址。")
    return value


# --------------------------------------------------------------------------------------------------------------
# The console channel: an Apprise custom notification (``gongkaiconsole://``), so every message takes one send path.

CONSOLE_SCHEMA: Final = "gongkaiconsole"
_console_lock = threading.Lock()
_console_registered = False


def console_url(sink: Path | None = None) -> str:
    """The Apprise URL of the console channel; ``sink``: a file each message is also appended to."""
    if sink is None:
        return f"{CONSOLE_SCHEMA}://"
    return f"{CONSOLE_SCHEMA}://?file={quote(str(sink), safe='')}"


def _to_console(body: str, title: str, *args: Any, meta: dict[str, Any] | None = None, **kwargs: Any) -> bool:
    """Apprise's call for a ``gongkaiconsole://`` URL: the message to the ``gongkai.notify`` log (the command
    line shows it on stderr) and, when the URL names one, appended to a file."""
    log.info("%s\n%s", title, body)
    sink = ((meta or {}).get("qsd") or {}).get("file")
    if sink:
        with _console_lock, Path(sink).open("a", encoding="utf-8") as out:
            out.write(f"=== {title}\n{body.rstrip()}\n\n")
    return True


def _register_console() -> None:
    """Teach Apprise the console schema (once per process; Apprise keeps custom plugins in a global map)."""
    global _console_registered
    if _console_registered:
        return
    from apprise.decorators import notify

    with _console_lock:
        if not _console_registered:
            notify(on=CONSOLE_SCHEMA, name="Gongkai console")(_to_console)  # type: ignore[no-untyped-call]
            _console_registered = True


@dataclass(frozen=True)
class SendResult:
    """What became of one send. ``error`` is redacted, short and in Chinese; ``permanent`` failures (a malformed
    URL, a missing variable) are not retried within the same run."""

    ok: bool
    error: str | None = None
    permanent: bool = False


def _short(text: str, limit: int = _ERROR_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Notifier:
    """Sends a message to a configured target name (see :func:`resolve_target`).

    ``console_file``: the console channel also appends each message to this file (for demos and tests).
    ``title_prefix`` starts every title (the demo register's ``【演示】``, so nobody takes it for real work).
    How long a send may take is Apprise's business: its plugins time out on their own (SMTP: 15 s to connect,
    the same for every later read).
    """

    def __init__(
        self,
        *,
        secret_loader: SecretLoader | None = None,
        console_file: Path | None = None,
        title_prefix: str = "",
    ) -> None:
        self._secret_loader = secret_loader
        self._console_file = console_file
        self._title_prefix = title_prefix
        install_redaction()

    def send(self, target_name: str, *, title: str, text: str, html: str | None = None) -> SendResult:
        """Deliver one message: ``html`` to email targets when given, ``text`` everywhere else.

        Never raises for a delivery problem and logs nothing about it: the outcome, with a redacted Chinese
        error, is in the result, for the caller to record and log with its context.
        """
        title = self._title_prefix + title
        try:
            url = resolve_target(target_name, secret_loader=self._secret_loader)
        except ConfigError as exc:
            return SendResult(ok=False, error=_short(redact(str(exc))), permanent=True)
        if url is None:
            url = console_url(self._console_file)
        return self._to_apprise(target_name, url, title=title, text=text, html=html)

    def _to_apprise(
        self, target_name: str, url: str, *, title: str, text: str, html: str | None
    ) -> SendResult:
        import apprise  # imported when first needed: the command line starts without it

        _register_console()
        scheme = url.partition("://")[0].strip().lower()
        use_html = html is not None and scheme in _MAIL_SCHEMES
        body = html if use_html and html is not None else text
        body_format = apprise.NotifyFormat.HTML if use_html else apprise.NotifyFormat.TEXT
        # Apprise logs a URL it cannot parse verbatim, at ERROR: silence it, the error below says what it means.
        with quiet_apprise(logging.CRITICAL + 1):
            channel = apprise.Apprise()
            added = channel.add(url)
        if not added:
            error = (
                f"通知目标 {target_name} 的通知地址格式无法识别，请检查网址写法（为防泄露，此处不显示网址）。"
            )
            return SendResult(ok=False, error=error, permanent=True)
        if use_html and html is not None:
            sent = self._to_email(target_name, channel[0], title=title, text=text, html=html)
            if sent is not None:
                return sent
        with quiet_apprise():
            result = channel.notify(body=body, title=title, body_format=body_format)
            # Apprise < 2 returns True/False/None; 2.x a result object that is truthy only on full success
            # (a partial delivery is a failure here too).
            if result:
                return SendResult(ok=True)
            detail = ""
            logs = getattr(result, "logs", None)
            for entry in logs() if callable(logs) else ():
                if getattr(entry, "level", "") in ("WARNING", "ERROR", "CRITICAL"):
                    detail = str(getattr(entry, "message", ""))
            status = getattr(getattr(result, "status", None), "name", "FAILURE")
        error = f"经 {target_name} 发送失败（{status}）"
        if detail:
            error += f"：{detail}"
        return SendResult(ok=False, error=_short(redact(error)))

    def _to_email(
        self, target_name: str, plugin: Any, *, title: str, text: str, html: str
    ) -> SendResult | None:
        """Send ``text`` and ``html`` as one ``multipart/alternative`` email per recipient, over the SMTP server,
        security and login Apprise parsed from the URL; ``None`` when the plugin does not expose them."""
        import smtplib
        import ssl
        from email.message import EmailMessage
        from email.utils import formataddr, formatdate, make_msgid

        fields = _email_fields(plugin)
        if fields is None or fields.mode not in ("insecure", "starttls", "ssl"):
            return None
        if not fields.to:
            return SendResult(
                ok=False, error=f"通知目标 {target_name} 的邮件地址没有收件人（to=…）。", permanent=True
            )
        context = ssl.create_default_context()
        if not fields.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            if fields.mode == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    fields.host, fields.port, timeout=fields.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(fields.host, fields.port, timeout=fields.timeout)
            with smtp:
                if fields.mode == "starttls":
                    smtp.starttls(context=context)
                if fields.user and fields.password:
                    smtp.login(fields.user, fields.password)
                refused: dict[str, tuple[int, bytes]] = {}
                # One message per recipient, as Apprise sends them: nobody sees the others' addresses.
                for to in fields.to:
                    message = EmailMessage()
                    message["Subject"] = title
                    message["From"] = formataddr((fields.from_name, fields.from_addr))
                    message["To"] = to
                    if fields.cc:
                        message["Cc"] = ", ".join(fields.cc)
                    if fields.reply_to:
                        message["Reply-To"] = ", ".join(fields.reply_to)
                    message["Date"] = formatdate(localtime=True)
                    message["Message-ID"] = make_msgid(domain=fields.host or None)
                    message.set_content(text)
                    message.add_alternative(html, subtype="html")
                    refused.update(
                        smtp.send_message(
                            message, from_addr=fields.from_addr, to_addrs=[to, *fields.cc, *fields.bcc]
                        )
                    )
        except (OSError, smtplib.SMTPException) as exc:
            error = f"经 {target_name} 发送失败（{type(exc).__name__}）：{exc}"
            return SendResult(ok=False, error=_short(redact(error)))
        if refused:
            error = f"经 {target_name} 发送失败：邮件服务器拒收 {len(refused)} 个收件人"
            return SendResult(ok=False, error=_short(redact(error)))
        return SendResult(ok=True)


def _email_fields(plugin: Any) -> _EmailFields | None:
    """What Apprise's email plugin parsed from the URL, or ``None`` if this Apprise version keeps it elsewhere."""
    try:
        mode = plugin.secure_mode
        from_name, from_addr = plugin.from_addr
        return _EmailFields(
            host=str(plugin.smtp_host),
            port=int(plugin.port),
            mode=str(getattr(mode, "value", mode)).lower(),
            user=plugin.user or None,
            password=plugin.password or None,
            from_name=str(from_name) if from_name else "",
            from_addr=str(from_addr),
            to=[str(addr) for _, addr in plugin.targets],
            cc=sorted(str(a) for a in getattr(plugin, "cc", ())),
            bcc=sorted(str(a) for a in getattr(plugin, "bcc", ())),
            reply_to=sorted(str(a) for a in getattr(plugin, "reply_to", ())),
            verify=bool(getattr(plugin, "verify_certificate", True)),
            timeout=float(getattr(plugin, "socket_connect_timeout", 15)),
        )
    except (AttributeError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _EmailFields:
    host: str
    port: int
    mode: str  # insecure | starttls | ssl
    user: str | None
    password: str | None
    from_name: str
    from_addr: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    reply_to: list[str]
    verify: bool
    timeout: float


__all__ = [
    "Notifier",
    "RedactingFilter",
    "SecretLoader",
    "SendResult",
    "install_redaction",
    "quiet_apprise",
    "redact",
    "resolve_target",
]
