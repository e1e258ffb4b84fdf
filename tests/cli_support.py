"""Run the command line in the test process: ``bot.faces.cli.main(argv)`` with its own environment,
stdin, stdout and stderr, and what it printed and returned.

Why not a subprocess: each one imports the package and builds an engine from scratch (~3 s); in the
test process the start-up caches are warm (~1 s) and a failure shows the traceback of the code itself.
The few things only a real process shows (the entry points, the exit status of the interpreter, what
logging prints on stderr) keep their subprocess tests in tests/faces/test_cli.py.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from unittest import mock


@dataclass(frozen=True)
class Ran:
    """What one command did (the fields a ``subprocess.CompletedProcess`` has, as text)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(argv: list[str], db: Path | str, stdin: bytes | str = b"", env: dict[str, str] | None = None) -> Ran:
    """``python run.py *argv`` with BOT_DB_PATH=db, no TELEGRAM_BOT_TOKEN, ``stdin`` as its input and the
    extra ``env``; the environment and the standard streams are restored afterwards."""
    from bot.faces.cli import main

    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, {"BOT_DB_PATH": str(db), **(env or {})}), \
            mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")), \
            redirect_stdout(out), redirect_stderr(err):
        os.environ.pop("TELEGRAM_BOT_TOKEN", None)
        code = main([str(a) for a in argv])
    return Ran(code, out.getvalue(), err.getvalue())
