"""Reading one form field from the start of a multipart body, for the CSRF check of uploads (see
:class:`gongkai.desk.app._Csrf`): the body is read only up to that field, never past the first file, and what
was read is replayed to the page."""

from __future__ import annotations

from starlette.types import Message, Receive


class _Stop(Exception):
    """The reader has what it needs (the field, or a file part before it)."""


class _FieldReader:
    """python-multipart callbacks that keep the value of the field ``name`` and stop at it or at a file."""

    def __init__(self, name: str) -> None:
        self.name = name.encode()
        self.value: bytes | None = None
        self._header = b""
        self._header_value = b""
        self._disposition = b""
        self._wanted = False
        self._data = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._header = self._header_value = self._disposition = b""
        self._wanted = False
        self._data = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header = self._header_value = b""

    def headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _kind, options = parse_options_header(self._disposition)
        if b"filename" in options:
            raise _Stop  # a file before the field: the field is not read past it
        self._wanted = options.get(b"name") == self.name

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._wanted:
            self._data += data[start:end]

    def part_end(self) -> None:
        if self._wanted:
            self.value = bytes(self._data)
            raise _Stop


async def multipart_token(content_type: bytes, receive: Receive, name: str) -> tuple[bytes | None, Receive]:
    """The field ``name`` of a ``multipart/form-data`` body (``None`` when a file part or the end comes first, the
    body is malformed, or the value is not ASCII), and a ``receive`` that replays what was read, then reads on."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    messages: list[Message] = []
    reader = _FieldReader(name)
    _kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if boundary:
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                parser.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except (_Stop, MultipartParseError):
            pass

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    value = reader.value
    return (value if value is not None and value.isascii() else None), replay
