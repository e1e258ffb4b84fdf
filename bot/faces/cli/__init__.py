"""The command line: ``python run.py [command]`` (``python -m bot`` is the same).

Commands (see the README and ``python run.py --help``): run the bot (default), ``chat``, ``check``,
``lookup``, ``eval``, ``eval-lookups``, ``admin``, ``serve`` (the HTTP API), ``browse`` (Datasette). They are
registered in :data:`COMMANDS` (the admin sub-commands in
:data:`bot.faces.cli.admin.ADMIN_COMMANDS`); each entry names the function that adds its options and
the one that runs it, so ``--help`` is generated from the same table the dispatch uses.
Exit statuses: 0 ok; 1 an operation failed (clear message on stderr); 2 usage error or no token.

Heavy modules (the engine, the conversation, telegram) are imported inside the commands that use
them: ``--help``, a usage error and "no token" answer at once.
"""

from __future__ import annotations

import argparse
import logging

from bot import __version__
from bot.faces.cli.admin import admin_options, run_admin
from bot.faces.cli.browse import browse, browse_options
from bot.faces.cli.chat import chat, chat_options
from bot.faces.cli.check import (
    check,
    check_options,
    eval_lookups,
    eval_lookups_options,
    eval_options,
    evaluate,
    lookup,
    lookup_options,
)
from bot.faces.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, Command, add_commands, err, find
from bot.faces.cli.serve import serve, serve_options

__all__ = ["COMMANDS", "EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def run_bot(args: argparse.Namespace) -> int:
    """Run the Telegram bot; without TELEGRAM_BOT_TOKEN one line saying how, and exit status 2."""
    from bot.config import Settings, token_problem

    settings = Settings.from_env()
    if not settings.token:
        err("未设置 TELEGRAM_BOT_TOKEN：请先 export TELEGRAM_BOT_TOKEN=<BotFather 给的令牌> 再运行；"
            "不用 Telegram 也可以试用：python run.py chat")
        return EXIT_USAGE
    problem = token_problem(settings.token)
    if problem:  # refused at once, before opening anything or calling Telegram with it
        err(problem)
        return EXIT_USAGE
    from bot.faces.tg.app import run

    return run(settings)


#: Every sub-command, in the order ``--help`` lists them; the first is run when none is given.
COMMANDS: tuple[Command, ...] = (
    Command("run", "运行 Telegram 机器人（默认）", run_bot),
    Command("chat", "在终端里和机器人对话（不需要 Telegram）", chat, chat_options),
    Command("check", "分析一条消息（TEXT 或标准输入）", check, check_options),
    Command("lookup", "查询电话号码或网址", lookup, lookup_options),
    Command("eval", "在标注语料上计算精确率、召回率、误报率", evaluate, eval_options),
    Command("eval-lookups", "在号码/网址答案文件上按类别计算查询准确率", eval_lookups, eval_lookups_options),
    Command("admin", "管理话术和号码", run_admin, admin_options),
    Command("serve", "运行 HTTP API（--host、--port、--workers）", serve, serve_options),
    Command("browse", "用 Datasette 在本机浏览数据库（BOT_DB_PATH）", browse, browse_options),
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description="PolicyGuard 保单卫士：识别冒充保险公司和监管部门的诈骗")
    p.add_argument("--version", action="version", version=__version__)
    add_commands(p, COMMANDS, dest="command")
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's arguments), run the command, return its exit status.
    Never a traceback for the user: an unexpected error is one line on stderr and status 1."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2 with a message, --help exits 0
        return int(e.code or 0)
    from bot.config import SettingsError

    try:
        return find(COMMANDS, args.command).run(args)
    except SettingsError as e:  # a setting that can't be used: one line naming it, before anything starts
        err(str(e))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # never a traceback for the user; the detail goes to the log
        logging.getLogger("policyguard").debug("command failed", exc_info=True)
        err(f"出错了：{type(e).__name__}: {str(e)[:200]}")
        return EXIT_FAIL
