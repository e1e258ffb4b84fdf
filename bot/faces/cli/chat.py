"""``python run.py chat``: talk to the same bot in the terminal, no Telegram needed."""

from __future__ import annotations

import argparse
import io
import sys
from typing import TYPE_CHECKING, TextIO

from bot.faces.cli.common import with_engine

if TYPE_CHECKING:
    from bot.pipeline.engine import Engine


def chat_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--admin", action="store_true", help="以管理员身份对话（可用管理员命令）")


@with_engine
def chat(args: argparse.Namespace, engine: Engine) -> int:
    """The chat on stdin/stdout with the engine on BOT_DB_PATH."""
    return run_chat(engine, admin=args.admin)


def _lenient(stream: TextIO) -> TextIO:
    """stdin decoded as UTF-8 with bad bytes replaced: one undecodable line must not end the chat."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return stream
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")


def run_chat(engine: Engine, admin: bool = False, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """One message per line (as if each line were sent in Telegram); prints the bot's reply to each."""
    from bot.conversation import HELP, respond  # here, not at the top: `run.py --help` stays light

    stdin = stdin or _lenient(sys.stdin)
    stdout = stdout or sys.stdout
    if hasattr(stdin, "isatty") and stdin.isatty():
        stdout.write(HELP + "\n\n输入一条消息后按回车；/quit 或 Ctrl-D 退出。\n> ")
        stdout.flush()
    for raw in stdin:
        line = raw.rstrip("\r\n")
        if line.strip() in ("/quit", "/exit"):
            break
        if line.strip():
            reply = respond(engine, line, user_id="terminal", is_admin=admin)
            stdout.write(reply.text + "\n\n")
        if hasattr(stdin, "isatty") and stdin.isatty():
            stdout.write("> ")
        stdout.flush()
    return 0
