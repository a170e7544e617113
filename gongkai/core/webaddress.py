"""The one check of a web address that staff or the configuration give (an item's 网址, the office's
website), also deciding which stored addresses the catalogue makes clickable.

A web address here is ``http://`` or ``https://`` with a host, and none of the characters that would
let it break out of an HTML attribute or a Markdown link (quotes, angle brackets, backslash, backtick)
or that no valid address contains unencoded (whitespace, control characters): such characters belong
in an address only percent-encoded (``%22``, ``%20``).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

_QUOTES: Final = frozenset("\"'`")
_BRACKETS: Final = frozenset("<>")
# Any character one of the checks below refuses, found in one pass (re's \s is str.isspace): the addresses of a
# catalogue of 50,000 items are looked at character by character only where something is wrong.
_ANY_BAD: Final = re.compile(r"[\"'`<>\\\s\x00-\x1f\x7f]")

# The common address: http(s), a host name of letters, digits, dots and hyphens, no port, no user, then nothing or
# a path, query or fragment. urlsplit finds its host and no port without fail, so it is not asked.
_PLAIN_ADDRESS: Final = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?:[/?#]|\Z)")


def web_address_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable web address, as a Chinese phrase without the value (None when
    it is acceptable). The checks run in the order a person would fix them: characters, scheme, host."""
    bad: list[str] = []
    if _ANY_BAD.search(value) is not None:
        if any(ch in _QUOTES for ch in value):
            bad.append("引号")
        if any(ch in _BRACKETS for ch in value):
            bad.append("尖括号")
        if "\\" in value:
            bad.append("反斜杠")
        if any(ch.isspace() for ch in value):
            bad.append("空白")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value if not ch.isspace()):
            bad.append("控制字符")
    if bad:
        return (
            f"含有网址中不允许的{'、'.join(bad)}（网址不能含引号、尖括号、反斜杠或空白；"
            "确需这些字符时应按网址编码写成 %22、%20 等）"
        )
    if _PLAIN_ADDRESS.match(value) is not None:
        return None
    scheme, sep, _rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "应以 http:// 或 https:// 开头（如 https://www.example.gov.cn/xxgk/）"
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        return "的端口无效（应为 1 至 65535 的数字，如 https://www.example.gov.cn:8443/）"
    if not host:
        return "缺少主机名（域名或 IP 地址），如 https://www.example.gov.cn/"
    return None


def is_web_address(value: str | None) -> bool:
    """Whether ``value`` is an acceptable web address (see :func:`web_address_problem`)."""
    return bool(value) and web_address_problem(value or "") is None


__all__ = ["is_web_address", "web_address_problem"]


_LOCAL_BINDS = frozenset({"127.0.0.1", "localhost", "::1"})


def desk_address(bind: str, port: int) -> str:
    """The staff desk's address as printed at start (CONTRACT section 6: ``员工工作台：http://HOST:PORT/``)."""
    host = f"[{bind}]" if ":" in bind else bind
    return f"http://{host}:{port}/"


def desk_bind_warning(bind: str) -> str | None:
    """The warning (Chinese) printed when the desk listens beyond this machine; ``None`` on loopback."""
    if bind in _LOCAL_BINDS:
        return None
    return (
        f"警告：员工工作台监听 {bind}，本机以外也能访问。工作台本身不提供 HTTPS，密码和申请人信息会以明文传输："
        "请只通过 HTTPS 反向代理（如 nginx，见 README“Staff desk”）对外提供，并把 [desk] base_url 设为 https:// 网址。"
    )
