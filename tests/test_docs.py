"""The docs and the wiring agree: every CLI command is in the README with help, the two README
commands are what CI runs, every config file validates (STYLE point 9)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gongkai.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "gongkai") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, path)
    return out


COMMANDS = _commands(main)


@pytest.mark.parametrize("path", [p for p, c in COMMANDS if not isinstance(c, click.Group)])
def test_every_command_is_in_the_readme(path: str) -> None:
    # `gongkai request add` may be documented as `gongkai request add|event|...` or on its own.
    *parent, leaf = path.split()
    head = " ".join(parent)
    pattern = re.escape(head) + r" (?:[\w|-]+\|)*" + re.escape(leaf) + r"\b"
    assert re.search(pattern, README), f"{path} is not documented in README.md"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_every_command_has_help(path: str) -> None:
    args = path.split()[1:] + ["--help"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    commands = [line.strip() for b in blocks for line in b.splitlines() if line.strip() and not line.startswith("#")]
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_shipped_config_validates() -> None:
    from gongkai.settings import load_settings

    for path in (ROOT / "config").glob("*.toml"):
        settings = load_settings(path)
        assert settings.staff


def test_domain_never_imports_prefect() -> None:
    for path in (ROOT / "gongkai").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import prefect|from prefect)", text, flags=re.M), path
