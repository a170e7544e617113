"""Static checks as part of the suite, the same the pre-commit hooks run (.pre-commit-config.yaml): ruff over the
project (``print`` banned outside bench/, a complexity limit), ``ruff format`` applied everywhere,
``mypy --strict`` over the domain package, the flows and the tasks (STYLE point 12), and the import-linter
contracts of pyproject ``[tool.importlinter]`` (the layers, no Prefect/click/web framework in the domain, no
cycles)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shipped_tree import repo_path, shipped_tree

pytestmark = pytest.mark.once  # static checks of the source: the same in every zone

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_ruff_clean() -> None:
    result = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_applied() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean(tmp_path: Path) -> None:
    """Checked in the shipped shape (``gongkai.flows``, ``gongkai.tasks``) so flows see the tasks' types."""
    tree = shipped_tree(tmp_path)
    result = subprocess.run(
        [
            str(BIN / "mypy"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy"),
            "gongkai",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, repo_path(result.stdout + result.stderr)


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts over a tree in the shipped shape (grimp finds packages by
    walking folders and knows nothing of pyproject's package-dir mapping)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(BIN / "lint-imports"), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )


def test_import_contracts_kept(tmp_path: Path) -> None:
    """The layers hold (adapters -> services -> domain -> store/files -> core), the domain imports neither
    Prefect, nor click, nor a web framework, and there is no import cycle at any depth."""
    result = _lint_imports(shipped_tree(tmp_path))
    assert result.returncode == 0, repo_path(result.stdout + result.stderr)


def _nested_ifs(n: int) -> str:
    """A function of cyclomatic complexity ``n + 1``: ``n`` sequential ``if`` statements."""
    body = "".join(f"    if x == {i}:\n        x += 1\n" for i in range(n))
    return f"def f(x: int) -> int:\n{body}    return x\n"


def test_ruff_enforces_the_complexity_limit() -> None:
    """C901 is on at 15 for the domain package: 15 passes, 16 is refused (the split clock keeps to it)."""

    def check(source: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "ruff"), "check", "--stdin-filename", "gongkai/_probe.py", "-"],
            cwd=ROOT,
            input=source,
            capture_output=True,
            text=True,
        )

    at_limit, over = check(_nested_ifs(14)), check(_nested_ifs(15))
    assert at_limit.returncode == 0, at_limit.stdout + at_limit.stderr
    assert over.returncode == 1 and "C901" in over.stdout and "(16 > 15)" in over.stdout, (
        over.stdout + over.stderr
    )


def test_table_handles_declared_once() -> None:
    """``Model.__table__`` is reached in the data model and in ``gongkai.store.tables`` only: every other module
    imports the typed handles from there (no second declaration to drift)."""
    allowed = {ROOT / "gongkai" / "store" / "models.py", ROOT / "gongkai" / "store" / "tables.py"}
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("gongkai", "flows", "tasks")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in allowed
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".__table__" in line
    ]
    assert not found, found
