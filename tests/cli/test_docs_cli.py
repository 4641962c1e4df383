"""docs/cli.md documents every command, argument and option of `tracklet` (and no more).

Each command has a section headed by its full name in backquotes (``## `tracklet runs
ls` ``); every option of the command (each of its spellings, e.g. ``-o`` and ``--output``,
``--open`` and ``--no-open``) and every argument must be named in that section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracklet.cli.main import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
HEADING = re.compile(r"^(#{1,6}) `(tracklet(?: [a-z-]+)*)`\s*$", re.MULTILINE)


def commands(command: click.Command, name: str = "tracklet") -> Iterator[tuple[str,
                                                                             click.Command]]:
    yield name, command
    if isinstance(command, click.Group):
        for sub_name, sub in sorted(command.commands.items()):
            yield from commands(sub, f"{name} {sub_name}")


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    found = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        assert match.group(2) not in out, f"{match.group(2)} has two sections"
        out[match.group(2)] = text[match.end():end]
    return out


ALL = list(commands(main))


def test_every_documented_command_exists() -> None:
    assert set(sections()) == {name for name, _ in ALL}


@pytest.mark.parametrize(("name", "command"), ALL, ids=[name for name, _ in ALL])
def test_command_section_names_its_options_and_arguments(name: str,
                                                         command: click.Command) -> None:
    section = sections().get(name)
    assert section is not None, f"docs/cli.md has no section '## `{name}`'"
    shown = CliRunner().invoke(main, [*name.split()[1:], "-h"])  # what users see
    assert shown.exit_code == 0, shown.output
    usage = shown.output.splitlines()[0]
    assert usage.startswith(f"Usage: {name} ")
    assert usage in section, f"the section of {name} lacks its usage line {usage!r}"
    for param in command.params:
        if isinstance(param, click.Argument):
            assert param.name is not None
            argument = param.name.upper()  # PROJECT, RUN_PATH, PATHS
            assert f"`{argument}`" in section, (
                f"docs/cli.md does not describe the argument {argument} of {name}")
            continue
        for spelling in [*param.opts, *param.secondary_opts]:
            assert re.search(rf"`{re.escape(spelling)}[` ]", section), (
                f"docs/cli.md does not mention {spelling} in the section of {name}")

