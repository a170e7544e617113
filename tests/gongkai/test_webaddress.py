"""The one web-address check (items' 网址, the office website in the configuration, catalogue links)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gongkai.catalogue import items
from gongkai.catalogue.documents import _safe_href
from gongkai.core.errors import ConfigError
from gongkai.core.settings import load_settings
from gongkai.core.webaddress import web_address_problem

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "gongkai.toml"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://www.example.gov.cn/xxgk/2026/00001.html", None),
        ("http://jiaxiang-demo.example", None),
        ("HTTPS://Example.gov.cn:8443/a?b=1&c=%E4%B8%AD#top", None),
        ("https://嘉祥.政务/xxgk", None),
        ('http://x"><script>alert(1)</script>', "引号"),
        ("https://example.gov.cn/a b", "空白"),
        ("https://example.gov.cn/<b>", "尖括号"),
        ("https://example.gov.cn/it's", "引号"),
        ("javascript:alert(1)", "http:// 或 https://"),
        ("ftp://example.gov.cn/file", "http:// 或 https://"),
        ("www.example.gov.cn", "http:// 或 https://"),
        ("https://", "主机名"),
        ("https:///path/only", "主机名"),
        ("https://example.gov.cn:99999/", "端口"),
        # around the quick path for plain addresses (scheme, host of letters, digits, dots, hyphens)
        ("https://example.gov.cn?q=1", None),
        ("https://user@example.gov.cn/", None),
        ("http://[::1]:8080/", None),
        ("https://example.gov.cn/\u3000a", "空白"),
        ("https://example.gov.cn/\x7f", "控制字符"),
        ("https:/example.gov.cn", "http:// 或 https://"),
        ("https://example.gov.cn:abc/", "端口"),
    ],
)
def test_one_validator_gives_the_right_reason(value: str, reason: str | None) -> None:
    problem = web_address_problem(value)
    if reason is None:
        assert problem is None
        assert _safe_href(value) == value
    else:
        assert problem is not None and reason in problem, problem
        assert _safe_href(value) is None


def test_item_url_uses_it() -> None:
    base = {"index_no": "A-1", "title": "t", "generated_on": date(2026, 1, 5), "category": "统计信息"}
    bad = items.ItemData(**base, url='http://x"><script>')  # type: ignore[arg-type]
    problems = items.check_item(bad, staff_ids=None, categories=())
    assert any("“网址”" in p and "引号" in p for p in problems), problems
    good = items.ItemData(**base, url="https://www.example.gov.cn/a?b=1")  # type: ignore[arg-type]
    assert not [p for p in items.check_item(good, staff_ids=None, categories=()) if "网址" in p]


def _with_website(tmp_path: Path, website: str) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    start = text.index("\nwebsite = ")
    end = text.index("\n", start + 1)
    path = tmp_path / "g.toml"
    path.write_text(text[:start] + f"\nwebsite = '{website}'" + text[end:], encoding="utf-8")
    return path


def test_configured_website_uses_it(tmp_path: Path) -> None:
    assert load_settings(_with_website(tmp_path, "https://www.example.gov.cn/xxgk")).office.website.endswith(
        "xxgk"
    )
    assert load_settings(_with_website(tmp_path, "")).office.website == ""
    with pytest.raises(ConfigError) as info:
        load_settings(_with_website(tmp_path, 'https://x"><script>'))
    assert "website" in str(info.value) and "引号" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings(_with_website(tmp_path, "www.example.gov.cn"))
    assert "http:// 或 https://" in str(info.value)
