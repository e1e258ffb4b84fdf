"""``python run.py admin api-key create|list|revoke``: the HTTP API's keys (see bot/faces/api/keys.py).

The key is printed once, alone on stdout (so ``KEY=$(python run.py admin api-key create …)`` works);
what it is and that it will not be shown again goes to stderr. Only its hash is stored.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.faces.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, Command, db_path, err, find, out

if TYPE_CHECKING:
    from bot.store import Store

ACTOR = "cli"


@contextmanager
def _store() -> Iterator[Store]:
    """The database (created and migrated, not seeded: keys need no scripts)."""
    from bot.store import connect

    db = connect(db_path())
    try:
        yield db
    finally:
        db.close()


def _refusals(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A refused key change is one line ``错误：…`` on stderr and exit status 1."""

    def run(args: argparse.Namespace) -> int:
        from bot.faces.api.keys import KeyRefused

        try:
            return command(args)
        except KeyRefused as e:
            err(f"错误：{e}")
            return EXIT_FAIL

    return run


def api_key_options(p: argparse.ArgumentParser) -> None:
    """One flat command (``create NAME --scopes …``, ``list``, ``revoke NAME``): the action is a choice."""
    p.add_argument("action", choices=[c.name for c in API_KEY_ACTIONS], metavar="ACTION",
                   help="create NAME --scopes … / list / revoke NAME")
    p.add_argument("name", nargs="?", help="密钥名称（如 insurer-app）；日志和用量统计用它")
    p.add_argument("--scopes", help="create 的权限，逗号分隔：check,lookup,report")
    p.add_argument("--json", action="store_true", help="list 以 JSON 输出")


@_refusals
def create(args: argparse.Namespace) -> int:
    from bot.faces.api.keys import create_key, parse_scopes

    if not args.name or args.scopes is None:
        err("用法：python run.py admin api-key create NAME --scopes check,lookup,report")
        return EXIT_USAGE
    scopes = parse_scopes(args.scopes)
    with _store() as db:
        key = create_key(db, args.name, scopes, ACTOR)
    err(f"已创建密钥 {args.name}（权限：{','.join(sorted(scopes))}）。请立即保存，它只显示这一次"
        f"（数据库只保存它的哈希）。撤销：python run.py admin api-key revoke {args.name}")
    out(key)
    return EXIT_OK


def listing(args: argparse.Namespace) -> int:
    from bot.faces.api.keys import list_keys

    with _store() as db:
        rows = list_keys(db)
    if args.json:
        out(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        out("还没有 API 密钥。创建：python run.py admin api-key create NAME --scopes check,lookup")
        return EXIT_OK
    out("名称\t密钥开头\t权限\t创建时间\t状态\t今天请求\t7天请求")
    for r in rows:
        state = f"已撤销 {r['revoked_at']}" if r["revoked_at"] else "有效"
        out(f"{r['name']}\t{r['prefix']}…\t{r['scopes']}\t{r['created_at']}\t{state}\t{r['today']}\t{r['recent']}")
    return EXIT_OK


@_refusals
def revoke(args: argparse.Namespace) -> int:
    from bot.faces.api.keys import revoke_key

    if not args.name:
        err("用法：python run.py admin api-key revoke NAME")
        return EXIT_USAGE
    with _store() as db:
        revoke_key(db, args.name, ACTOR)
    out(f"已撤销密钥 {args.name}：几秒内所有 API 进程都会拒绝它。")
    return EXIT_OK


API_KEY_ACTIONS: tuple[Command, ...] = (
    Command("create", "创建密钥（只显示一次）", create),
    Command("list", "列出密钥、权限和用量", listing),
    Command("revoke", "撤销密钥", revoke),
)


def run_api_key(args: argparse.Namespace) -> int:
    return find(API_KEY_ACTIONS, args.action).run(args)
