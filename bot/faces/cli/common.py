"""What every sub-command of the command line shares: the exit statuses, output, the engine, and the
:class:`Command` entry of the command tables.

Why a table of small entries: each sub-command's options sit beside the function that runs it, and
``build_parser`` (and ``--help``) is generated from the tables, so a command cannot be runnable but
missing from the help, or listed with options it does not read.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.pipeline.engine import Engine

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def no_options(parser: argparse.ArgumentParser) -> None:
    """For a sub-command that takes no options."""


def positional(name: str) -> Callable[[argparse.ArgumentParser], None]:
    """The options of a sub-command that takes just one argument, ``name`` (a file, an id, a number)."""

    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(name)

    return options


@dataclass(frozen=True)
class Command:
    """One sub-command: its name and one-line help (shown by ``--help``), the function that adds its
    options to its parser, and the function that runs it and returns the exit status."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    options: Callable[[argparse.ArgumentParser], None] = no_options


def add_commands(parser: argparse.ArgumentParser, commands: tuple[Command, ...], dest: str,
                 required: bool = False) -> None:
    """A sub-parser per command, in table order (the order ``--help`` lists them in); the chosen
    command's name lands in ``args.<dest>``."""
    sub = parser.add_subparsers(dest=dest, required=required)
    for c in commands:
        c.options(sub.add_parser(c.name, help=c.help))


def find(commands: tuple[Command, ...], name: str | None) -> Command:
    """The entry called ``name``; the first one (the default) when no sub-command was given."""
    return next((c for c in commands if c.name == name), commands[0])


def out(s: str) -> None:
    """One line on stdout, flushed at once (``check --jsonl`` is read line by line by other programs)."""
    sys.stdout.write(s + "\n")
    sys.stdout.flush()


def err(s: str) -> None:
    """One line on stderr: what went wrong, for a person."""
    sys.stderr.write(s + "\n")


def read_stdin() -> str:
    """All of stdin as text; bytes that are not UTF-8 are replaced, never an error."""
    data = sys.stdin.buffer.read() if sys.stdin is not None else b""
    return data.decode("utf-8", "replace")


def db_path() -> str:
    """BOT_DB_PATH (or its default), as every face reads it."""
    from bot.config import Settings

    return Settings.from_env().db_path


@contextmanager
def opened_engine() -> Iterator[Engine]:
    """The engine on BOT_DB_PATH for one command, closed when the command is done (so ``main`` can be
    called many times in one process, as the tests do)."""
    from bot.config import Settings, open_engine

    e = open_engine(Settings.from_env())
    try:
        yield e
    finally:
        e.close()


def with_engine(command: Callable[[argparse.Namespace, Engine], int]) -> Callable[[argparse.Namespace], int]:
    """A command that needs the engine from the start: ``command(args, engine)`` becomes the
    ``run(args)`` of a :class:`Command`, with the engine opened before it and closed after it."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        with opened_engine() as engine:
            return command(args, engine)

    return run
