"""Importing a file (``GET/POST /imports``): a request register (CONTRACT section 3) or catalogue items, all or
nothing. The upload is copied to a temporary folder under its own name (so that every message names the file
the person chose) and removed afterwards, whatever happened; a refused file shows every bad row."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Final

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gongkai.core.errors import ImportRejected, InputError, NotFound
from gongkai.desk.web import Ctx, page
from gongkai.services.actor import require_work

_UNSAFE_NAME: Final = re.compile(r"[\x00-\x1f\x7f/\\]")
_NAME_MAX: Final = 120


def _file_name(given: str) -> str:
    """The uploaded file's own name, without any folder a browser sent and without control characters."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip()
    if name in ("", ".", ".."):
        return "upload"
    if len(name) > _NAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        name = (
            (stem[: _NAME_MAX - len(suffix) - 1] + dot + suffix)
            if dot and len(suffix) < 10
            else name[:_NAME_MAX]
        )
    return name


def _form(ctx: Ctx, *, status: int = 200, kind: str = "register", errors: dict[str, str] | None = None,
          rejected: ImportRejected | None = None) -> Response:  # fmt: skip
    from gongkai.services.imports import IMPORT_KINDS

    return ctx.render(
        "imports.html", status=status, kinds=IMPORT_KINDS, kind=kind, errors=errors or {}, rejected=rejected
    )


@page()
def import_form(ctx: Ctx) -> Response:
    return _form(ctx)


@page()
def import_upload(ctx: Ctx) -> Response:
    from gongkai.services.imports import IMPORT_KINDS, IMPORT_SUFFIXES, import_file

    require_work(ctx.me, "导入文件")  # a 403 before the form is judged

    kind = ctx.field("kind")
    upload = ctx.upload("file")
    errors: dict[str, str] = {}
    if kind not in IMPORT_KINDS:
        errors["kind"] = f"请选择导入的内容：{'或'.join(IMPORT_KINDS.values())}。"
    if upload is None:
        errors["file"] = "请选择要导入的文件。"
    elif Path(_file_name(upload.filename or "")).suffix.lower() not in IMPORT_SUFFIXES:
        errors["file"] = (
            f"文件“{_file_name(upload.filename or '')}”的格式无法导入：只接受 .csv 或 .xlsx 文件"
            "（CSV 为 UTF-8、带 BOM 的 UTF-8 或 GB18030 编码）。"
        )
    if errors or upload is None:
        return _form(ctx, status=400, kind=kind, errors=errors)
    folder = Path(tempfile.mkdtemp(prefix="gongkai-import-"))
    try:
        path = folder / _file_name(upload.filename or "")
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        with ctx.unit(records=True) as office:
            done = import_file(office, ctx.me, kind, path)
    except ImportRejected as exc:
        return _form(ctx, status=400, kind=kind, rejected=exc)
    except InputError as exc:
        if isinstance(exc, NotFound):
            raise
        return _form(ctx, status=400, kind=kind, errors={"file": str(exc)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    counts = "，".join(f"{label} {n}" for label, n in done.counts)
    return ctx.redirect(
        "/imports", flash=f"已导入 {done.file}（{IMPORT_KINDS[kind]}，{done.encoding}）：{counts}。"
    )


routes: list[BaseRoute] = [
    Route("/imports", import_form, methods=["GET"]),
    Route("/imports", import_upload, methods=["POST"]),
]
