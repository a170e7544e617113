"""What asgi-csrf 0.11 (the latest) gets wrong, put right in front of it.

* **Upload forms** (``multipart/form-data``): asgi-csrf builds its multipart parser with an argument that
  python-multipart 0.0.26 and later no longer take (every upload was answered 500; upstream simonw/asgi-csrf#38,
  and python-multipart older than 0.0.26 has known vulnerabilities), and it looks for a field named
  ``csrftoken`` whatever ``form_input`` says. Here the body is read up to the token field (a file part before it is
  refused, asgi-csrf's rule, so an upload is never held in memory to find it), the token is checked against the
  signed cookie as asgi-csrf checks it, and the request goes on with the token in asgi-csrf's header, which it
  accepts without reading the body again.
* **A bearer header**: asgi-csrf lets any POST carrying ``Authorization: Bearer …`` through unchecked. The desk has
  no bearer tokens, so the header is removed before the check.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

from asgi_csrf import DEFAULT_HTTP_HEADER, DEFAULT_SIGNING_NAMESPACE
from itsdangerous import BadSignature, URLSafeSerializer
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = DEFAULT_HTTP_HEADER.encode("latin-1")
TOKEN_LIMIT = 1024
"""The longest token field read (asgi-csrf's tokens are about 60 characters)."""

Refuse = Callable[[Scope, Send, Any], Awaitable[None]]


class UploadCsrf:
    """In front of asgi-csrf (see the module's docstring): checks the token of multipart POSTs itself and drops
    ``Authorization`` from every request."""

    def __init__(self, app: ASGIApp, *, secret: str, cookie_name: str, field: str, refuse: Refuse) -> None:
        self.app = app
        self.signer = URLSafeSerializer(secret)
        self.cookie_name = cookie_name
        self.field = field.encode()
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"authorization"]
        content_type = dict(headers).get(b"content-type", b"")
        if parse_options_header(content_type)[0].lower() != b"multipart/form-data":
            await self.app({**scope, "headers": headers}, receive, send)
            return
        boundary = parse_options_header(content_type)[1].get(b"boundary")
        token, replay = await _token_of(boundary, self.field, receive) if boundary else (None, receive)
        cookie = _cookie(headers, self.cookie_name)
        if (
            token is None
            or cookie is None
            or not secrets.compare_digest(token, cookie)
            or not self._signed(cookie)
        ):
            await self.refuse(scope, send, None)
            return
        headers = [(k, v) for k, v in headers if k.lower() != HEADER] + [(HEADER, token.encode("latin-1"))]
        await self.app({**scope, "headers": headers}, replay, send)

    def _signed(self, cookie: str) -> bool:
        try:
            self.signer.loads(cookie, DEFAULT_SIGNING_NAMESPACE)
        except BadSignature:
            return False
        return True


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    for key, value in headers:
        if key.lower() == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header carries no token
                return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class _Found(Exception):
    def __init__(self, token: bytes | None) -> None:
        self.token = token


class _Finder:
    """MultipartParser callbacks that stop at the token field's end (found) or at a file part (refused)."""

    def __init__(self, field: bytes) -> None:
        self.field = field
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition = b""
        self.in_token = False
        self.token = bytearray()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: self.header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self.header_value.extend(data[start:end]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.disposition, self.in_token = b"", False

    def header_end(self) -> None:
        if bytes(self.header_name).strip().lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"filename" in options:
            raise _Found(None)  # a file before the token
        self.in_token = options.get(b"name") == self.field

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_token:
            self.token.extend(data[start:end])
            if len(self.token) > TOKEN_LIMIT:
                raise _Found(None)

    def part_end(self) -> None:
        if self.in_token:
            raise _Found(bytes(self.token))


async def _token_of(boundary: bytes, field: bytes, receive: Receive) -> tuple[str | None, Receive]:
    """The token field's value read from the body (``None``: absent, or after a file), and a ``receive`` that
    replays what was read, then the rest."""
    seen: list[Message] = []
    finder = _Finder(field)
    parser = MultipartParser(boundary, finder.callbacks())
    token: bytes | None = None
    more = True
    while more:
        message = await receive()  # (the size limit outside may stop the request here: let it)
        seen.append(message)
        if message["type"] != "http.request":
            break
        try:
            parser.write(message.get("body", b""))
        except _Found as found:
            token = found.token
            break
        except MultipartParseError:
            break
        more = message.get("more_body", False)

    async def replay() -> Message:
        return seen.pop(0) if seen else await receive()

    return (token.decode("latin-1") if token is not None else None), replay
