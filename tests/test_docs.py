"""The docs and the wiring agree: every CLI command is in the README with help, the two README
commands are what CI runs, every config file validates (STYLE point 9)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gongkai.cli.main import main

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
    commands = [
        line.strip() for b in blocks for line in b.splitlines() if line.strip() and not line.startswith("#")
    ]
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci


def test_shipped_config_validates() -> None:
    from gongkai.core.settings import load_settings

    for path in (ROOT / "config").glob("*.toml"):
        settings = load_settings(path)
        assert settings.staff


# -- docs/ is generated from the code where it can be, and stands alone ----------------------------------------

DOCS = ROOT / "docs"


def test_cli_reference_is_generated_from_help() -> None:
    from gongkai.cli.docgen import cli_reference

    current = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert current == cli_reference(), "docs/cli.md is out of date: run `python -m gongkai.cli.docgen`"
    for path, _ in COMMANDS:
        assert f"## `{path}`\n" in current, path


@pytest.mark.parametrize("name", ["rules.md", "formats.md"])
def test_docs_tables_are_generated_from_the_code(name: str) -> None:
    from gongkai.cli.docgen import BLOCKS, fill_blocks

    current = (DOCS / name).read_text(encoding="utf-8")
    assert current == fill_blocks(current, BLOCKS[name]), (
        f"docs/{name} is out of date: run `python -m gongkai.cli.docgen`"
    )


def test_rules_list_every_outcome() -> None:
    from gongkai.core.codes import OUTCOMES

    rules = (DOCS / "rules.md").read_text(encoding="utf-8")
    for outcome in OUTCOMES:
        assert f"| {outcome.row} |" in rules and f"`{outcome.code}`" in rules and outcome.label in rules


def test_docgen_refuses_unknown_or_missing_blocks() -> None:
    from gongkai.cli.docgen import BLOCKS, fill_blocks

    with pytest.raises(ValueError, match="outcomes"):
        fill_blocks("no blocks at all\n", BLOCKS["rules.md"])
    with pytest.raises(ValueError, match="'nonsense'"):
        fill_blocks(
            "<!-- BEGIN generated:nonsense -->\nx\n<!-- END generated:nonsense -->\n", BLOCKS["rules.md"]
        )


def _readme_table_commands() -> list[str]:
    """The command words of each command in the README's command table: ``gongkai request add|event`` gives
    ``gongkai request add`` and ``gongkai request event``; arguments and options are left out."""
    section = README[README.index("## Command line") :]
    section = section[: section.index("\n## ", 1)]
    found: list[str] = []
    for line in section.splitlines():
        if not line.startswith("| `gongkai"):
            continue
        first_cell = line.split(" | ")[0]
        for code in re.findall(r"`(gongkai [^`]*)`", first_cell):
            words = re.match(r"gongkai((?: [a-z][\w|-]*)*)", code)
            assert words, code
            paths = ["gongkai"]
            for word in words.group(1).split():
                paths = [f"{p} {alt}" for p in paths for alt in word.split("|")]
            found += paths
    return found


def test_every_command_in_the_readme_table_exists() -> None:
    commands = {path: cmd for path, cmd in COMMANDS}
    table = _readme_table_commands()
    assert len(table) >= len([c for c in commands.values() if not isinstance(c, click.Group)])
    for written in table:
        words = written.split()
        # Words after a command that is not a group are its arguments (`gongkai run reminders`).
        while " ".join(words) not in commands and len(words) > 2:
            words.pop()
        path = " ".join(words)
        assert path in commands, f"the README's command table names {written!r}, which the CLI does not have"
        if path != written:
            assert not isinstance(commands[path], click.Group), f"{written!r}: no such subcommand of {path}"


def test_every_cli_command_is_in_the_readme_table() -> None:
    table = set(_readme_table_commands())
    for path, cmd in COMMANDS:
        if not isinstance(cmd, click.Group):
            assert any(t == path or t.startswith(path + " ") for t in table), (
                f"{path} is not in the README table"
            )


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def test_docs_and_readme_need_nothing_outside_the_clone() -> None:
    for path in _markdown_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.\./shared|\bshared/|CONTRACT|ogi-rules", text), (
            f"{path.name} cites a file not in the clone"
        )
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            assert (path.parent / target).resolve().is_relative_to(ROOT), (
                f"{path.name}: {target} leaves the clone"
            )
            assert (path.parent / target).exists(), f"{path.name}: link to {target}, which does not exist"


def test_tests_need_nothing_outside_the_clone() -> None:
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""parent\s*/\s*["']shared["']|\.\./shared|ROOT\.parent\b""", text), path


def test_every_safe_reading_in_the_readme_is_in_the_rules() -> None:
    rules = (DOCS / "rules.md").read_text(encoding="utf-8")
    for point in sorted(set(re.findall(r"\bU\d{1,2}\b", README))):
        assert re.search(rf"\b{point}\b", rules), f"{point} (README) is missing from docs/rules.md"
