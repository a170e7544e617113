"""Documentation generated from the code, so that it cannot drift.

- ``docs/cli.md``: the command-line reference, every command's ``--help`` as Click prints it (at a fixed width, so
  the text does not depend on the terminal).
- ``docs/rules.md`` and ``docs/formats.md``: the blocks between ``<!-- BEGIN generated:NAME -->`` and
  ``<!-- END generated:NAME -->`` (the outcome rows of table 三 with their codes and labels, applicant types,
  channels, event kinds, states, the register's import columns), taken from :mod:`gongkai.core.codes`,
  :mod:`gongkai.report.layout` and :mod:`gongkai.register.importer`; the prose around them is written by hand.

``python -m gongkai.cli.docgen`` rewrites these files of a clone; ``python -m gongkai.cli.docgen --check`` changes nothing
and exits 1 when one differs from what the code gives (``tests/test_docs.py`` makes the same comparison).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Final

import click

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, EVENT_KINDS, OUTCOMES, RECEIPT_RULE, STATES
from gongkai.report import layout

DOCS: Final = Path(__file__).resolve().parents[2] / "docs"
"""The ``docs/`` folder of the clone this module was imported from."""

HELP_WIDTH: Final = 100
"""Columns Click wraps the help text at: fixed, so the reference reads the same on every terminal."""

_BLOCK = re.compile(
    r"(<!-- BEGIN generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- END generated:(?P=name) -->)", re.S
)


def _walk(ctx: click.Context) -> Iterator[click.Context]:
    """The context of every command below ``ctx`` (``ctx`` first), subcommands in name order."""
    yield ctx
    command = ctx.command
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(click.Context(sub, info_name=name, parent=ctx))


def cli_reference() -> str:
    """The Markdown of ``docs/cli.md``: one section per command with its ``--help`` text, in command order."""
    from gongkai.cli.main import main

    settings = {**main.context_settings, "terminal_width": HELP_WIDTH, "max_content_width": HELP_WIDTH}
    root = click.Context(main, info_name="gongkai", **settings)
    parts = [
        "# Command-line reference\n",
        "Generated from each command's `--help` by `python -m gongkai.cli.docgen`; do not edit by hand "
        "(`tests/test_docs.py` fails when this file and the command line differ). What the commands do and why "
        "is in the [README](../README.md#command-line); the rules they apply are in [rules.md](rules.md).\n",
    ]
    for ctx in _walk(root):
        parts.append(f"## `{ctx.command_path}`\n")
        parts.append("```text\n" + ctx.command.get_help(ctx).rstrip() + "\n```\n")
    return "\n".join(parts)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def outcomes_table() -> str:
    """Every outcome of table 三: row id, the group and label printed in the report, code and the label that
    commands and imports accept."""
    printed = {r.row_id: r for r in layout.TABLE3_ROWS}
    rows = []
    for o in OUTCOMES:
        row = printed[o.row]
        group = row.groups[-1] if len(row.groups) > 1 else ""
        rows.append((o.row, group, row.label, f"`{o.code}`", o.label))
    return _table(
        ("行号 Row id", "表三分组 Group", "表三所印名称 Printed in table 三", "代码 Code", "名称 Label"), rows
    )


def _applicant_types() -> str:
    return _table(
        ("代码 Code", "表三列 Column of table 三"),
        [(f"`{c}`", label) for c, label in APPLICANT_TYPES.items()],
    )


def _channels() -> str:
    rows = [(f"`{c}`", label, RECEIPT_RULE[c]) for c, label in CHANNELS.items()]
    return _table(("代码 Code", "方式 Channel", "收到申请之日（第三十一条） Date of receipt"), rows)


def _event_kinds() -> str:
    return _table(("代码 Code", "事件 Event"), [(f"`{c}`", label) for c, label in EVENT_KINDS.items()])


def _states() -> str:
    return _table(("代码 Code", "状态 State"), [(f"`{c}`", label) for c, label in STATES.items()])


def _register_columns() -> str:
    from gongkai.register.importer import COLUMNS

    rows = [
        (c.zh, f"`{c.alias}`", "是 yes" if c.required else "", "个人信息 personal data" if c.personal else "")
        for c in COLUMNS
    ]
    return _table(("表头 Header", "别名 Alias", "必填 Required", "说明 Note"), rows)


BLOCKS: Final[dict[str, dict[str, Callable[[], str]]]] = {
    "rules.md": {
        "outcomes": outcomes_table,
        "applicant-types": _applicant_types,
        "channels": _channels,
        "event-kinds": _event_kinds,
        "states": _states,
    },
    "formats.md": {"register-columns": _register_columns},
}
"""The generated blocks of each file of ``docs/``, by file name and block name."""


def fill_blocks(text: str, blocks: dict[str, Callable[[], str]]) -> str:
    """``text`` with the body of each of its generated blocks replaced by what ``blocks`` give now.

    Raises ``ValueError`` naming a block ``text`` has that ``blocks`` do not know, or one of ``blocks`` that
    ``text`` lacks."""
    seen: set[str] = set()

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in blocks:
            raise ValueError(f"unknown generated block {name!r}; known: {', '.join(blocks)}")
        seen.add(name)
        return match.group(1) + blocks[name]() + match.group(4)

    filled = _BLOCK.sub(body, text)
    missing = set(blocks) - seen
    if missing:
        raise ValueError(f"generated blocks missing: {', '.join(sorted(missing))}")
    return filled


def expected(docs: Path = DOCS) -> dict[Path, str]:
    """Each generated file of ``docs`` with the text it should have."""
    wanted = {docs / "cli.md": cli_reference()}
    for name, blocks in BLOCKS.items():
        wanted[docs / name] = fill_blocks((docs / name).read_text(encoding="utf-8"), blocks)
    return wanted


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a generated file is out of date.")
@click.option(
    "--docs", "docs", type=click.Path(file_okay=False, path_type=Path), default=DOCS, show_default=True
)
def main(check: bool, docs: Path) -> None:
    """Regenerate docs/cli.md and the generated blocks of docs/rules.md and docs/formats.md (a developers' tool)."""
    try:
        wanted = expected(docs)
    except (OSError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    stale = []
    for path, text in wanted.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        click.echo(f"{'out of date' if check else 'rewrote'}: {path}", err=True)
    sys.exit(1 if check and stale else 0)


if __name__ == "__main__":
    main()
