"""Every page of the desk, as the demo's administrator and unit head see it: the language is declared, there is
one ``<h1>``, every form control has a label (``<label for>``, a wrapping label or ``aria-label``), every state-
changing form carries its CSRF token first, and nothing the Content-Security-Policy would block is in the markup
(inline scripts, ``style=`` attributes, ``on…=`` handlers)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.desk.conftest import DeskClient, DeskSetup, signed_in


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.h1 = 0
        self.labels_for: set[str] = set()
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.in_label = 0
        self.wrapped: list[str] = []
        self.inline: list[str] = []
        self.forms: list[list[str]] = []  # the names of each POST form's fields, in order
        self.in_post_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labels_for.add(str(a["for"]))
        if tag == "script" and "src" not in a:
            self.inline.append("inline <script>")
        for name in a:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}=")
        if tag == "form":
            self.in_post_form = (a.get("method") or "get").lower() == "post"
            if self.in_post_form:
                self.forms.append([])
        if tag in ("input", "select", "textarea"):
            if self.in_post_form and a.get("name"):
                self.forms[-1].append(str(a["name"]))
            kind = (a.get("type") or "").lower()
            if tag == "input" and kind in ("hidden", "submit", "button", "reset", "image"):
                return
            if self.in_label:
                self.wrapped.append(str(a.get("name")))
            else:
                self.controls.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1
        if tag == "form":
            self.in_post_form = False


def _pages(client: DeskClient) -> list[str]:
    paths = ["/", "/applications", "/applications/new", "/items", "/items/new", "/review", "/head", "/report",
             "/admin", "/admin/accounts", "/admin/audit", "/admin/calendar", "/imports", "/password", "/catalogue"]  # fmt: skip
    listing = client.get("/applications?scope=all").text
    paths += sorted(set(re.findall(r'href="(/applications/20\d\d-\d+)"', listing)))[:3]
    items = client.get("/items").text
    paths += sorted(set(re.findall(r'href="(/items/[^"?]+)"', items)) - {"/items/new"})[:2]
    return paths


@pytest.mark.parametrize("person", ["wang", "zhao"])
def test_every_page_is_labelled_and_csp_clean(demo_desk: DeskSetup, person: str) -> None:
    client = signed_in(demo_desk, person)
    problems: list[str] = []
    checked = pages = 0
    for path in _pages(client):
        response = client.get(path)
        if response.status_code == 403:
            continue  # a page of another role
        assert response.status_code == 200, (path, response.status_code)
        page = _Page()
        page.feed(response.text)
        pages += 1
        checked += len(page.controls) + len(page.wrapped)
        if page.lang != "zh-CN":
            problems.append(f"{path}: lang={page.lang}")
        if page.h1 != 1:
            problems.append(f"{path}: {page.h1} <h1>")
        for tag, attrs in page.controls:
            if attrs.get("aria-label") or attrs.get("aria-labelledby"):
                continue
            if not attrs.get("id") or attrs["id"] not in page.labels_for:
                problems.append(f"{path}: <{tag} name={attrs.get('name')}> has no label")
        problems += [f"{path}: {what}" for what in page.inline]
        for fields in page.forms:
            if not fields or fields[0] != "csrf_token":
                problems.append(f"{path}: a POST form whose first field is not csrf_token: {fields[:3]}")
    assert not problems, "\n".join(problems)
    assert pages >= 12 and checked >= 40, (pages, checked)  # the check looked at real pages and forms
