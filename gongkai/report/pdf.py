"""The annual report as PDF, printed by a real layout engine installed on the server.

* :func:`html_to_pdf` prints the website HTML with headless Chromium (``--print-to-pdf``; the template's
  ``@media print`` rules give A4 pages). Debian package ``chromium``.
* :func:`docx_to_pdf` converts the DOCX with LibreOffice (``soffice --headless --convert-to pdf``), when it is
  installed. Debian package ``libreoffice-writer`` (or ``libreoffice-writer-nogui``).
* :func:`pdf` tries Chromium first, then LibreOffice.

Each converter runs in a fresh temporary directory (its own profile and ``HOME``, nothing written elsewhere),
in a process group of its own with a timeout: on timeout the whole group is killed, browser helpers
included. The HTML is the report's own (no scripts, no external resources, every office-entered text
escaped) and Chromium is started without its network services, so ``--no-sandbox`` (needed as root and in
most containers) exposes nothing. (Scripts cannot simply be switched off: ``--blink-settings=scriptEnabled=
false`` makes Chromium 156 write no PDF at all.)

A converter that is not installed is an :class:`~gongkai.core.errors.InputError` naming the Debian package; one
that fails or times out is a :class:`PdfError`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from gongkai.core.errors import GongkaiError, InputError

CHROMIUM_NAMES: Final[tuple[str, ...]] = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
"""Commands tried, in order, after ``/usr/bin/chromium``."""

SOFFICE_NAMES: Final[tuple[str, ...]] = ("soffice", "libreoffice")
"""LibreOffice commands tried, in order."""

CHROMIUM_PACKAGE: Final = "chromium"
SOFFICE_PACKAGE: Final = "libreoffice-writer"

CHROMIUM_TIMEOUT: Final = 120.0
SOFFICE_TIMEOUT: Final = 180.0

# The flags the tests use for the same browser (tests/gongkai/test_report_render.py), plus printing.
_CHROMIUM_FLAGS: Final[tuple[str, ...]] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
)

_PDF_MAGIC: Final = b"%PDF-"


class PdfError(GongkaiError):
    """A PDF converter was found but failed, timed out, or wrote no PDF."""


def _locate(
    explicit: str | os.PathLike[str] | None, names: Sequence[str], first: str | None = None
) -> str | None:
    """The converter to run: ``explicit`` if given (None when it does not exist), else the first found."""
    if explicit is not None:
        path = Path(explicit)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else shutil.which(str(explicit))
    if first is not None and os.access(first, os.X_OK):
        return first
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def find_chromium(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """The Chromium executable (``/usr/bin/chromium`` first), or None."""
    return _locate(explicit, CHROMIUM_NAMES, "/usr/bin/chromium")


def find_soffice(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """The LibreOffice executable (``soffice``), or None."""
    return _locate(explicit, SOFFICE_NAMES)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the converter's process group (it was started as the leader of a new session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group is already gone
        pass


def _run(command: Sequence[str], *, workdir: Path, timeout: float, what: str) -> None:
    """Run a converter in its own process group with ``HOME`` in ``workdir``; kill the group on timeout.

    Raises :class:`PdfError` on timeout or a non-zero exit (with the end of its error output).
    """
    env = {
        **os.environ,
        "HOME": str(workdir),
        "XDG_CONFIG_HOME": str(workdir / "config"),
        "XDG_CACHE_HOME": str(workdir / "cache"),
        "TMPDIR": str(workdir),
    }
    proc = subprocess.Popen(
        list(command),
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a group of its own: a hung browser is ended with all its children
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise PdfError(f"{what}在 {timeout:g} 秒内没有完成，已终止；请稍后重试或检查服务器负载。") from None
    finally:
        # Helpers (renderer, zygote, LibreOffice's own child) must not outlive the conversion.
        _kill_group(proc)
        if proc.poll() is None:  # pragma: no cover - only if the group kill above was refused
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip()[-500:]
        raise PdfError(f"{what}失败（退出码 {proc.returncode}）：{tail or '无错误输出'}")


def _read_pdf(path: Path, what: str) -> bytes:
    if not path.is_file():
        raise PdfError(f"{what}没有生成 PDF 文件。")
    data = path.read_bytes()
    if not data.startswith(_PDF_MAGIC):
        raise PdfError(f"{what}生成的文件不是 PDF。")
    return data


def html_to_pdf(
    html: str, *, chromium: str | os.PathLike[str] | None = None, timeout: float = CHROMIUM_TIMEOUT
) -> bytes:
    """Print ``html`` (a complete document, e.g. from ``render_report(fmt="html")``) to PDF with headless
    Chromium; returns the PDF bytes.

    ``chromium`` overrides the executable. Raises :class:`InputError` when Chromium is not installed (Debian
    package ``chromium``), :class:`PdfError` when it fails or runs longer than ``timeout`` seconds (its whole
    process group is then killed).
    """
    executable = find_chromium(chromium)
    if executable is None:
        raise InputError(
            f"找不到 Chromium 浏览器，无法由网页版报告生成 PDF：请安装 Debian 软件包 {CHROMIUM_PACKAGE}"
            f"（apt-get install -y {CHROMIUM_PACKAGE}）。"
        )
    with tempfile.TemporaryDirectory(prefix="gongkai-pdf-") as tmp:
        workdir = Path(tmp)
        page = workdir / "report.html"
        page.write_text(html, encoding="utf-8")
        out = workdir / "report.pdf"
        command = [
            executable,
            *_CHROMIUM_FLAGS,
            f"--user-data-dir={workdir / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        _run(command, workdir=workdir, timeout=timeout, what="Chromium 打印 PDF")
        return _read_pdf(out, "Chromium")


def docx_to_pdf(
    docx: bytes, *, soffice: str | os.PathLike[str] | None = None, timeout: float = SOFFICE_TIMEOUT
) -> bytes:
    """Convert DOCX bytes (e.g. from :func:`gongkai.report.docx.build_docx`) to PDF with LibreOffice.

    Raises :class:`InputError` when LibreOffice is not installed (Debian package ``libreoffice-writer``),
    :class:`PdfError` when the conversion fails or runs longer than ``timeout`` seconds.
    """
    executable = find_soffice(soffice)
    if executable is None:
        raise InputError(
            f"找不到 LibreOffice（soffice），无法由 Word 版报告生成 PDF：请安装 Debian 软件包 {SOFFICE_PACKAGE}"
            f"（apt-get install -y {SOFFICE_PACKAGE}），或改用 Chromium 由网页版生成。"
        )
    with tempfile.TemporaryDirectory(prefix="gongkai-pdf-") as tmp:
        workdir = Path(tmp)
        source = workdir / "report.docx"
        source.write_bytes(docx)
        outdir = workdir / "out"
        command = [
            executable,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nofirststartwizard",
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(outdir),
            str(source),
        ]
        _run(command, workdir=workdir, timeout=timeout, what="LibreOffice 转换 PDF")
        return _read_pdf(outdir / "report.pdf", "LibreOffice")


def pdf(
    html: str,
    docx: bytes | None = None,
    *,
    chromium: str | os.PathLike[str] | None = None,
    soffice: str | os.PathLike[str] | None = None,
) -> bytes:
    """The report as PDF: printed from ``html`` by Chromium; if Chromium is missing or fails, converted from
    ``docx`` by LibreOffice (when ``docx`` is given).

    Raises :class:`InputError` when neither converter is installed (naming both packages), else the last
    converter's error.
    """
    try:
        return html_to_pdf(html, chromium=chromium)
    except (InputError, PdfError) as chromium_error:
        if docx is None:
            raise
        try:
            return docx_to_pdf(docx, soffice=soffice)
        except InputError:
            if isinstance(chromium_error, PdfError):
                raise chromium_error from None
            raise InputError(
                f"找不到生成 PDF 的程序：请安装 Debian 软件包 {CHROMIUM_PACKAGE}（推荐）或 {SOFFICE_PACKAGE}。"
            ) from None
        except PdfError as soffice_error:
            raise PdfError(f"{chromium_error}；改用 LibreOffice 也失败：{soffice_error}") from None


__all__ = [
    "CHROMIUM_PACKAGE",
    "SOFFICE_PACKAGE",
    "PdfError",
    "docx_to_pdf",
    "find_chromium",
    "find_soffice",
    "html_to_pdf",
    "pdf",
]
