"""docs/usage.md and the command line agree: the command table names each command once, and
every command and option it names exists (``triage --help`` is the program's side)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import click

from triage.cli.main import main

USAGE = Path(__file__).parent.parent / "docs" / "usage.md"


def table_cells() -> list[str]:
    """The first cell of each row of the command table (``| `triage ...` | ...``)."""
    return [line.split("|")[1].strip() for line in USAGE.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `triage")]


def test_the_command_table_names_each_command_once() -> None:
    twice = [cell for cell, n in Counter(table_cells()).items() if n > 1]
    assert not twice, f"docs/usage.md lists these rows more than once: {twice}"


def test_every_command_and_option_in_the_table_exists() -> None:
    wrong = []
    for cell in table_cells():
        for usage in re.findall(r"`(triage [^`]*)`", cell):
            cmd: click.Command = main
            words = usage.split()[1:]
            for w in words:
                subs = getattr(cmd, "commands", {})
                if w in subs:
                    cmd = subs[w]
                elif not w.startswith(("-", "[", "|")) and w.isidentifier() and w.islower() \
                        and subs:
                    wrong.append(f"{usage}: no command {w!r}")
            opts = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
            wrong += [f"{usage}: {cmd.name} has no {o}" for o in re.findall(r"--[a-z-]+", usage)
                      if o not in opts]
    assert not wrong, wrong
