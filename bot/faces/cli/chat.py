"""``python run.py chat``: talk to the same bot in the terminal, no Telegram needed."""

from __future__ import annotations

import sys

from bot.conversation import HELP, respond
from bot.pipeline.engine import Engine


def run_chat(engine: Engine, admin: bool = False, stdin=None, stdout=None) -> int:
    """One message per line (as if each line were sent in Telegram); prints the bot's reply to each."""
    stdin = stdin or sys.stdin
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
