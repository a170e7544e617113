"""The wheel, as a user gets it: built from this clone, installed (not editable) in a fresh virtual environment
outside the clone, and used from an empty folder — no ``config/``, no ``templates/``, no ``GONGKAI_HOME``, no
``PYTHONPATH``. ``gongkai demo``, ``gongkai run catalogue``, ``gongkai report build --format pdf`` and ``gongkai
serve`` (a scheduled flow run by its deployment, then SIGTERM) must work there, and the wheel must hold Gongkai's
own package only (``gongkai.flows`` and ``gongkai.tasks``, never top-level ``flows`` or ``tasks``), with the
templates and the demo configuration as package data.

The new environment sees this test environment's installed dependencies through a ``.pth`` file listing its
site-packages (plain paths are added; the editable install's own ``.pth`` hook there is not run), so nothing is
downloaded and ``gongkai`` itself comes from the wheel. (Slow, about 2 minutes: two Prefect servers.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port
from tests.test_serve import _port_closed, _stop, _wait
from tests.test_serve_orphans import _assert_nothing_left

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SOURCES = ("pyproject.toml", "README.md", "gongkai", "flows", "tasks", "templates", "config")
"""What the wheel is built from."""

pytestmark = pytest.mark.once


@dataclass(frozen=True)
class Installed:
    """The wheel file, the virtual environment it is installed in, and that environment's site-packages."""

    wheel: Path
    venv: Path
    site_packages: Path

    @property
    def gongkai(self) -> str:
        return str(self.venv / "bin" / "gongkai")


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from this clone and installed in a new virtual environment outside it."""
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(REPO), "the new environment must be outside the clone"
    # Built from a copy of what the wheel is made of: a stale build/ folder of the clone cannot leak into it.
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, source / name)
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(root / "dist"),
            ".",
        ],
        cwd=source,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (root / "dist").glob("gongkai-*.whl")

    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = str(venv / "bin" / "python")
    site = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "test-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(ours)), encoding="utf-8"
    )
    put = _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", str(wheel)],
    )
    assert put.returncode == 0, put.stdout[-3000:] + put.stderr[-3000:]
    return Installed(wheel, venv, site)


def _env(installed: Installed) -> dict[str, str]:
    """The user's environment: nothing of Gongkai's, Prefect's or Python's path settings from this test run."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "GONGKAI_")) and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    env.update(
        PATH=f"{installed.venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    return env


@pytest.fixture
def empty_folder(tmp_path: Path) -> Iterator[Path]:
    """A fresh, empty working folder; any process left with its home is killed afterwards (and fails the test)."""
    folder = tmp_path / "office"
    folder.mkdir()
    yield folder
    _assert_nothing_left(folder / "var", 30, "after the test")


def test_wheel_holds_gongkai_with_its_templates_and_demo_configuration(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    tops = {name.split("/", 1)[0] for name in names}
    name, version = installed.wheel.name.split("-")[:2]
    assert tops == {"gongkai", f"{name}-{version}.dist-info"}, tops
    packages = [p.parent.relative_to(REPO) for p in REPO.glob("gongkai/**/__init__.py")]
    packages += [Path("gongkai") / p.parent.relative_to(REPO) for folder in ("flows", "tasks")
                 for p in (REPO / folder).glob("**/__init__.py")]  # fmt: skip
    missing = sorted(str(p) for p in packages if f"{p.as_posix()}/__init__.py" not in names)
    assert not missing, f"packages of the source tree not in the wheel: {missing}"
    templates = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "templates").glob("**/*.j2"))
    assert templates and not [t for t in templates if f"gongkai/{t}" not in names]
    assert "gongkai/config/gongkai.toml" in names
    assert "gongkai/register/seeded_calendar.json" in names  # the calendar's seeded years

    site = installed.site_packages
    assert not (site / "flows").exists() and not (site / "tasks").exists()
    where = _run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "import gongkai, gongkai.flows; print(gongkai.__file__)",
        ],
        env=_env(installed),
        cwd=installed.venv,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout

    # The shipped templates are found next to the installed package; an office's own folder still wins.
    probe = (
        "from gongkai.files.render import environment, render\n"
        "print(environment().get_template('catalogue/catalogue.md.j2').filename)\n"
        "print(render('catalogue/guide.md.j2'), end='')\n"
    )
    override = installed.venv.parent / "office-templates"
    (override / "catalogue").mkdir(parents=True, exist_ok=True)
    (override / "catalogue" / "guide.md.j2").write_text("本单位自己的指南模板\n", encoding="utf-8")
    python = str(installed.venv / "bin" / "python")
    shown = _run(
        [python, "-c", probe], env={**_env(installed), "GONGKAI_TEMPLATES": str(override)}, cwd=override
    )
    assert shown.returncode == 0, shown.stderr
    found, rendered = shown.stdout.splitlines()
    assert Path(found) == site / "gongkai" / "templates" / "catalogue" / "catalogue.md.j2"
    assert rendered == "本单位自己的指南模板"


def _api_json(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def _run_deployment(api: str, name: str, parameters: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Start a run of the deployment ``name`` through the API (as the UI's "Run" button does) and wait until it
    ends; returns its final state."""
    (deployment,) = [d for d in _api_json(f"{api}/deployments/filter", {}) if d["name"] == name]
    flow_run = _api_json(f"{api}/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _api_json(f"{api}/flow_runs/{flow_run['id']}")["state"]
        if state and state["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return dict(state)
        time.sleep(1)
    pytest.fail(f"the run of {name} did not end within {timeout:.0f} s")


def _package_files(installed: Installed) -> list[Path]:
    """The installed package's files (bytecode caches aside)."""
    return sorted(p for p in (installed.site_packages / "gongkai").rglob("*") if "__pycache__" not in p.parts)


def test_installed_wheel_works_in_an_empty_folder(installed: Installed, empty_folder: Path) -> None:
    env, cwd = _env(installed), empty_folder
    gongkai = installed.gongkai
    before = _package_files(installed)

    demo = _run([gongkai, "demo"], env=env, cwd=cwd)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert demo.stdout.startswith("已载入演示数据：嘉祥街道办事处"), demo.stdout[:500]
    # No configuration here: the shipped demo office's is used, and said once, in Chinese.
    assert demo.stderr.count("未找到 config/gongkai.toml") == 1, demo.stderr
    assert "演示配置" in demo.stderr
    assert [p.suffix for p in (cwd / "var").glob("*.db")] == [".db"], "the register is made in ./var"

    catalogue = _run([gongkai, "run", "catalogue", "--json"], env=env, cwd=cwd)
    assert catalogue.returncode in (0, 1), catalogue.stdout[-2000:] + catalogue.stderr[-2000:]
    summary = json.loads(catalogue.stdout)
    # Exit 1 exactly when a completeness check found something (the demo's catalogue has findings on purpose).
    assert catalogue.returncode == (1 if summary["findings"] or summary.get("outstanding") else 0)
    assert summary["entries"] > 0
    files = [Path(f) for f in summary["files"].values()]
    assert files and all(f.is_file() and f.stat().st_size > 0 for f in files), files
    assert all(f.resolve().is_relative_to(cwd.resolve() / "var") for f in files), files
    assert "Traceback" not in catalogue.stderr

    port, desk_port = free_port(), free_port()
    out, err = cwd.parent / "serve.out", cwd.parent / "serve.err"
    proc = subprocess.Popen(
        [gongkai, "serve", "--port", str(port)],
        stdout=out.open("wb"),
        stderr=err.open("wb"),
        stdin=subprocess.DEVNULL,
        env={**env, "GONGKAI_DESK_PORT": str(desk_port)},
        cwd=cwd,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait(lambda: "Gongkai 已在运行" in out.read_text(encoding="utf-8"), 240, "serving", proc, err)
        # Deployments name their flows by module path (never a file path relative to the folder serve started in)
        entrypoints = {d["name"]: d["entrypoint"] for d in _api_json(f"{api}/deployments/filter", {})}
        assert entrypoints["gongkai-reminders"] == "gongkai.flows.reminders.deadline_reminders", entrypoints
        assert all(e.startswith("gongkai.flows.") and ":" not in e for e in entrypoints.values()), entrypoints
        # A run by its deployment, as the schedule starts it: the runner loads the flow in a new process.
        state = _run_deployment(api, "gongkai-reminders", {"scheduled": True}, timeout=180)
        assert state["type"] == "COMPLETED", state
        # The staff desk from the wheel: its templates and its own copy of htmx are package data.
        desk = f"http://127.0.0.1:{desk_port}"
        assert f"员工工作台：{desk}/" in out.read_text(encoding="utf-8")
        for path, expected in (
            ("/login", 'name="csrf_token"'),
            ("/static/htmx.min.js", "htmx"),
            ("/static/desk.css", "--accent"),
        ):
            with urllib.request.urlopen(desk + path, timeout=10) as resp:  # noqa: S310 - loopback
                assert expected in resp.read().decode("utf-8"), path
    finally:
        code = _stop(proc)
    assert code == 0, err.read_text(encoding="utf-8")[-3000:]
    assert _port_closed(api)
    said = err.read_text(encoding="utf-8")
    assert "Traceback" not in said
    assert said.count("未找到 config/gongkai.toml") == 1, said[-3000:]  # once, though serve reads it twice
    _assert_nothing_left(cwd / "var", 30, "after serve stopped")

    # Everything was written in the working folder, nothing inside the installed package.
    assert sorted(p.name for p in cwd.iterdir()) == ["var"]
    assert _package_files(installed) == before

    # The annual report as PDF, in headless Chromium (after the office's yearly figures from other systems).
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"{CHROMIUM} is missing but CI must run the PDF step", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed (Debian package: chromium): the PDF step skips")
    year = str(date.today().year - 1)
    for key in ("行政许可", "行政处罚", "行政强制", "行政事业性收费"):
        figure = f"report figures set --year {year} --key {key} --value 3 --source 测试".split()
        done = _run([gongkai, *figure], env=env, cwd=cwd)
        assert done.returncode == 0, done.stderr
    build = ["report", "build", "--year", year, "--format", "pdf", "--output", "report.pdf"]
    report = _run([gongkai, *build], env=env, cwd=cwd)
    assert report.returncode == 0, report.stdout[-2000:] + report.stderr[-2000:]
    assert (cwd / "report.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in cwd.iterdir()) == ["report.pdf", "var"]
    assert _package_files(installed) == before
