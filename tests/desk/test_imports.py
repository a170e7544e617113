"""Importing a register or an items file from the desk (``GET/POST /imports``), against the real application and
database: all or nothing, every bad row listed, the counts on success, the audit entry, other file types refused,
the upload limit of the middleware, and the temporary copy of the upload removed afterwards."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from markupsafe import escape

from gongkai.core.settings import load_settings
from gongkai.services.actor import Actor
from gongkai.services.applications import list_applications
from gongkai.services.items import list_catalogue_items
from gongkai.services.office import open_office
from tests.desk.conftest import AS_OF, PASSWORDS, DeskSetup, _setup, page_text, signed_in
from tests.offices import LIVE_CONFIG

REGISTER_HEADER = "编号,收到日期,申请方式,申请人类型,申请人,申请内容,承办人"
GOOD_REGISTER = f"""{REGISTER_HEADER}
R-1,2026-02-26,当面,自然人,张三,申请公开街道预算,chen
R-2,2026/2/27,网络,商业企业,某某公司,申请公开招标文件,
"""
BAD_REGISTER = f"""{REGISTER_HEADER}
R-1,2026-02-26,当面,自然人,张三,申请公开街道预算,chen
R-2,2026-02-30,当面,自然人,李四,申请公开A,chen
R-3,2026-02-26,当面,外星人,王五,申请公开B,chen
R-4,2026-02-26,当面,自然人,,申请公开C,chen
R-5,2026-02-26,飞鸽,自然人,赵六,申请公开D,nobody
"""
ITEMS = """索引号,名称,生成日期,类别,公开日期
HD-2026-001,河东街道2026年部门预算,2026-02-10,财政预决算,2026-02-12
HD-2026-002,河东街道行政事业性收费目录,2026-02-20,行政事业性收费,
"""


def upload(client, name: str, data: bytes, kind: str = "register"):  # type: ignore[no-untyped-def]
    return client.post("/imports", {"kind": kind}, files={"file": (name, data, "application/octet-stream")})


def register_refs(setup: DeskSetup) -> list[str]:
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        actor = Actor.terminal(setup.settings, "test-reader")
        return sorted(a.ref for a in list_applications(office, actor, include_closed=True))


def item_numbers(setup: DeskSetup) -> list[str]:
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        actor = Actor.terminal(setup.settings, "test-reader")
        return sorted(str(i.fields["index_no"]) for i in list_catalogue_items(office, actor))


def audit(setup: DeskSetup) -> list[tuple[str, str, str | None, str | None]]:
    engine = sa.create_engine(setup.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT actor, action, subject, detail FROM audit_entry WHERE action LIKE '%_imported'"
                )
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def test_the_form(desk: DeskSetup) -> None:
    html = signed_in(desk, "chen").get("/imports").text
    assert html.index('name="csrf_token"') < html.index('type="file"')  # asgi-csrf reads up to the token
    assert 'enctype="multipart/form-data"' in html
    assert '<option value="register"' in html and '<option value="items"' in html
    assert 'accept=".csv,.xlsx"' in html


def test_a_good_register_file_is_imported_counted_and_audited(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = upload(client, "登记簿.csv", GOOD_REGISTER.encode("utf-8-sig"))
    assert response.status_code == 303 and response.headers["location"] == "/imports"
    text = page_text(client.get("/imports"))
    assert "登记簿.csv" in text and "新登记申请 2" in text
    assert register_refs(desk) == ["R-1", "R-2"]
    assert audit(desk) == [
        ("chen", "register_imported", "登记簿.csv", "数据行 2，新登记申请 2，追加事件 0，未变化 0")
    ]


def test_a_register_file_with_bad_rows_lists_every_row_and_writes_nothing(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = upload(client, "bad.csv", BAD_REGISTER.encode("utf-8"))
    assert response.status_code == 400
    problems = [re.sub(r"<[^>]+>", "", li).strip() for li in _items(response.text)]
    assert [p.split("：")[0] for p in problems] == [f"文件 bad.csv 第 {n} 行" for n in (3, 4, 5, 6)]
    assert "4 行有误" in page_text(response)
    assert register_refs(desk) == [] and audit(desk) == []


def _items(html: str) -> list[str]:
    start = html.index('<ol class="problems"')
    body = html[start : html.index("</ol>", start)]
    return body.split("<li>")[1:]


def test_an_items_file_and_an_xlsx_file(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = upload(client, "items.csv", ITEMS.encode("utf-8"), kind="items")
    assert response.status_code == 303
    assert "新增条目 2" in page_text(client.get("/imports"))
    assert item_numbers(desk) == ["HD-2026-001", "HD-2026-002"]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for line in GOOD_REGISTER.splitlines():
        ws.append(line.split(","))
    buffer = io.BytesIO()
    wb.save(buffer)
    assert upload(client, "reg.xlsx", buffer.getvalue()).status_code == 303
    assert register_refs(desk) == ["R-1", "R-2"]
    assert [a[1] for a in audit(desk)] == ["items_imported", "register_imported"]


def test_other_files_and_no_file_are_refused(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    for name in ("register.txt", "register.xls", "register"):
        response = upload(client, name, GOOD_REGISTER.encode())
        assert response.status_code == 400 and "只接受 .csv 或 .xlsx" in page_text(response), name
    none = client.post("/imports", {"kind": "register"})
    assert none.status_code == 400 and "请选择要导入的文件" in page_text(none)
    wrong_kind = upload(client, "a.csv", GOOD_REGISTER.encode(), kind="calendar")
    assert wrong_kind.status_code == 400
    assert register_refs(desk) == [] and audit(desk) == []


def test_only_a_unit_head_imports_extensions(desk: DeskSetup) -> None:
    data = f"{REGISTER_HEADER},延期批准日期\nR-1,2026-02-26,当面,自然人,张三,申请公开,chen,2026-03-02\n"
    refused = upload(signed_in(desk, "chen"), "ext.csv", data.encode())
    assert refused.status_code == 400 and "第 2 行" in page_text(refused)
    assert register_refs(desk) == []
    assert upload(signed_in(desk, "sun"), "ext.csv", data.encode()).status_code == 303
    assert register_refs(desk) == ["R-1"]


def test_the_temporary_copy_is_removed(
    desk: DeskSetup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    client = signed_in(desk, "chen")
    assert upload(client, "a.csv", GOOD_REGISTER.encode()).status_code == 303
    assert upload(client, "b.csv", BAD_REGISTER.encode()).status_code == 400
    assert list(spool.iterdir()) == []


def test_a_file_name_is_text_and_never_a_path(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    name = "../<img src=x onerror=alert(1)>.csv"
    response = upload(client, name, BAD_REGISTER.encode())
    assert response.status_code == 400
    assert (
        "<img src=x" not in response.text and str(escape("<img src=x onerror=alert(1)>.csv")) in response.text
    )


def test_an_upload_over_the_limit_is_refused_by_the_middleware(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "config" / "gongkai.toml"
    path.parent.mkdir()
    path.write_text(LIVE_CONFIG + "\n[desk]\nupload_limit_mb = 1\n", encoding="utf-8")
    setup = _setup(load_settings(path), db_url, tmp_path / "home", PASSWORDS)
    client = signed_in(setup, "chen")
    big = GOOD_REGISTER.encode() + b"R-9,2026-02-26,\xe5\xbd\x93\xe9\x9d\xa2,x,y,z,\n" * 60_000
    assert len(big) > 1024 * 1024
    assert upload(client, "big.csv", big).status_code == 413
    assert register_refs(setup) == []


def test_an_upload_needs_the_csrf_token_before_the_file(desk: DeskSetup) -> None:
    """asgi-csrf 0.11 cannot read multipart bodies with python-multipart >= 0.0.26 (simonw/asgi-csrf#38) and looks
    for a field named ``csrftoken`` there; the desk reads the token itself and lets asgi-csrf check it."""
    client = signed_in(desk, "chen")
    files = {"file": ("a.csv", GOOD_REGISTER.encode(), "text/csv")}
    without = client.post("/imports", {"kind": "register"}, files=files, csrf=False)
    assert without.status_code == 403 and "请求被拒绝" in without.text
    wrong = client.post("/imports", {"kind": "register", "csrf_token": "forged"}, files=files, csrf=False)
    assert wrong.status_code == 403
    token = client.csrf()
    boundary = "gongkai-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{GOOD_REGISTER}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nregister\r\n--{boundary}--\r\n'
    ).encode()
    file_first = client.http.post(
        "/imports", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert file_first.status_code == 403
    assert register_refs(desk) == [] and audit(desk) == []
    assert upload(client, "a.csv", GOOD_REGISTER.encode()).status_code == 303  # the token first: accepted
