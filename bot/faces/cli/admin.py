"""``python run.py admin …``: change the scripts and numbers, review the users' reports, back up.

Each sub-command is an options function beside the function that runs it, registered in
:data:`ADMIN_COMMANDS` (the order ``admin --help`` lists them in). Every change is made as actor
``cli`` and prints how to undo it. An :class:`bot.admin.AdminError` (a refused change, an unknown id)
is one line ``错误：…`` on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.faces.cli.apikeys import api_key_options, run_api_key
from bot.faces.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    Command,
    add_commands,
    db_path,
    err,
    find,
    out,
    positional,
    with_engine,
)

if TYPE_CHECKING:
    from bot.pipeline.engine import Engine

ACTOR = "cli"
#: Import warnings shown (errors are capped by bot.admin.MAX_LISTED_ERRORS).
MAX_LISTED_WARNINGS = 20


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)


# --- bulk files ----------------------------------------------------------------------------------------------


def import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    p.add_argument("--allow-errors", action="store_true", help="有错误行时仍导入正确的行")
    p.add_argument("--force", action="store_true", help="话术试运行未通过也导入（同 add-pattern --force）")


@with_engine
def import_file(args: argparse.Namespace, engine: Engine) -> int:
    """Import a file: a file with a bad row imports nothing (unless --allow-errors)."""
    from bot import admin

    res = admin.import_file(engine, args.file, actor=ACTOR, allow_errors=args.allow_errors, progress=True,
                            force=args.force)
    for e in res.errors[: admin.MAX_LISTED_ERRORS]:
        err(e)
    if len(res.errors) > admin.MAX_LISTED_ERRORS:
        err(f"……另有 {len(res.errors) - admin.MAX_LISTED_ERRORS} 行错误未列出")
    if res.aborted:
        err(f"导入已取消：{len(res.errors)} 行有错误，未导入任何内容（加 --allow-errors 可只导入正确的行）。")
        return EXIT_FAIL
    for w in res.warnings[:MAX_LISTED_WARNINGS]:
        err("提醒：" + w)
    out(f"导入完成（审计 #{res.audit_id}）：话术 {res.imported_scripts} 条，号码 {res.imported_numbers} 个"
        f"（新增 {res.new_numbers}，合并 {res.updated_numbers}），重复跳过 {res.skipped_duplicates} 条，"
        f"错误 {len(res.errors)} 行。撤销：python run.py admin revert {res.audit_id}")
    return EXIT_OK


def export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="文件已存在时覆盖")


@with_engine
def export_file(args: argparse.Namespace, engine: Engine) -> int:
    """Write the live scripts and numbers to a file that ``import`` reads back unchanged."""
    from bot import admin

    res = admin.export_file(engine, args.file, force=args.force)
    out(f"已导出：话术 {res['scripts']} 条，号码 {res['numbers']} 个 → {args.file}")
    return EXIT_OK


# --- scripts and numbers -----------------------------------------------------------------------------------


def add_pattern_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--type", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--dry-run", action="store_true", help="只报告会命中什么，不做修改")
    p.add_argument("--force", action="store_true", help="试运行未通过也添加")
    p.add_argument("--json", action="store_true", help="以 JSON 输出试运行报告")


@with_engine
def add_pattern(args: argparse.Namespace, engine: Engine) -> int:
    """Add a script after its dry run; a dry run that fails refuses it (exit 1) unless --force."""
    from bot import admin

    r = admin.add_pattern(engine, args.type, args.text, actor=ACTOR, dry_run=args.dry_run, force=args.force)
    if args.json:
        out(_dumps(r.report))
    elif r.dry_run:
        out(r.summary)
    else:
        out(f"已添加话术 #{r.id}（{r.scam_type}）" + ("，已强制添加（试运行未通过）" if r.forced else "")
            + f"。撤销：python run.py admin revert {r.audit_id}")
    return EXIT_FAIL if r.dry_run and r.refused else EXIT_OK


def add_number_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("number")
    p.add_argument("--type", required=True)
    p.add_argument("--note", default="")


@with_engine
def add_number(args: argparse.Namespace, engine: Engine) -> int:
    """Register a reported scam number (or add a report to one already registered)."""
    from bot import admin

    row = admin.add_number(engine, args.number, args.type, args.note or "", actor=ACTOR)
    out(f"已登记号码 {row['number']}（累计举报 {row['reports']} 次）。撤销：python run.py admin revert {row['audit_id']}")
    return EXIT_OK


@with_engine
def del_pattern(args: argparse.Namespace, engine: Engine) -> int:
    """Retire a script (it stays in the history; ``revert`` brings it back)."""
    from bot import admin

    admin.del_pattern(engine, args.id, actor=ACTOR)
    out(f"已停用话术 #{str(args.id).lstrip('#')}。")
    return EXIT_OK


@with_engine
def del_number(args: argparse.Namespace, engine: Engine) -> int:
    """Remove a reported number from the live registry."""
    from bot import admin

    row = admin.del_number(engine, args.number, actor=ACTOR)
    out(f"已移除号码 {row['number']}。")
    return EXIT_OK


# --- history -------------------------------------------------------------------------------------------------


@with_engine
def revert(args: argparse.Namespace, engine: Engine) -> int:
    """Undo one change, named by its audit id or by its target (the target's latest change)."""
    from bot import admin

    r = admin.revert(engine, args.ref, actor=ACTOR)
    out(f"{r.message}（审计 #{r.audit_id}）")
    return EXIT_OK


def history_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--target", help="只看一个对象，如 pattern:12、number:13912345678、report:3")
    p.add_argument("--json", action="store_true")


@with_engine
def history(args: argparse.Namespace, engine: Engine) -> int:
    """The audit log, newest first."""
    from bot import admin

    rows = admin.history(engine, limit=args.limit, target=args.target)
    out(_dumps(rows) if args.json else admin.format_history(rows))
    return EXIT_OK


# --- the users' reports --------------------------------------------------------------------------------------


def pending_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")


@with_engine
def pending(args: argparse.Namespace, engine: Engine) -> int:
    """The report queue, most-reported first."""
    from bot.admin import reports

    out(_dumps(reports.pending(engine, args.limit)) if args.json else reports.format_pending(engine, args.limit))
    return EXIT_OK


def approve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    p.add_argument("--type", help="诈骗类型（默认用引擎的判断）")
    p.add_argument("--text", help="改为话术：用这段文字作为话术")
    p.add_argument("--as", dest="as_kind", choices=["pattern", "number"], help="生成话术或登记号码")
    p.add_argument("--force", action="store_true", help="试运行未通过也添加")


@with_engine
def approve(args: argparse.Namespace, engine: Engine) -> int:
    """Approve a report: it becomes a live script or a reported number."""
    from bot.admin import reports

    r = reports.approve(engine, args.id, ACTOR, as_type=args.type, as_pattern_text=args.text,
                        as_kind=args.as_kind, force=args.force)
    out(r.message + f" 撤销：python run.py admin revert {r.audit_id}")
    return EXIT_OK


def reject_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    p.add_argument("--reason", default="")


@with_engine
def reject(args: argparse.Namespace, engine: Engine) -> int:
    """Reject a report, with the reason kept in its row."""
    from bot.admin import reports

    reports.reject(engine, args.id, ACTOR, reason=args.reason or "")
    out(f"已驳回举报 #{str(args.id).lstrip('#')}。")
    return EXIT_OK


# --- quality of the scripts ----------------------------------------------------------------------------------


def noisy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threshold", type=int, default=3)


@with_engine
def noisy(args: argparse.Namespace, engine: Engine) -> int:
    """The scripts users voted 误报 on at least --threshold times."""
    from bot import admin

    rows = admin.flag_noisy_patterns(engine, threshold=args.threshold)
    if not rows:
        out(f"没有误报次数达到 {args.threshold} 的话术。")
    for r in rows:
        out(f"#{r['id']} {r['scam_type']} 误报 {r['false_positives']} 次 / 命中 {r['hits']} 次：{r['text'][:60]}")
    return EXIT_OK


def limit_options(default: int) -> Callable[[argparse.ArgumentParser], None]:
    """Options of a listing: --limit with this default."""

    def options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--limit", type=int, default=default)

    return options


@with_engine
def masscheck(args: argparse.Namespace, engine: Engine) -> int:
    """How often each script hits the known legitimate and the scam messages."""
    from bot.admin.masscheck import rule_hits

    rows = rule_hits(engine)[: args.limit]
    out("编号\t类型\t正常消息命中\t诈骗消息命中\t话术")
    for r in rows:
        out(f"#{r['id']}\t{r['scam_type']}\t{r['legit_hits']}\t{r['scam_hits']}\t{r['text'][:40]}")
    return EXIT_OK


# --- leaks -----------------------------------------------------------------------------------------------------


def leaks_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--month", help="只看这个月（YYYY-MM）")
    p.add_argument("--csv", metavar="FILE", help="同时写成 CSV（隐藏的格子写作 <N）")
    p.add_argument("--min-count", type=int, default=5, help="少于这个次数的格子不显示（默认 5）")


@with_engine
def leaks(args: argparse.Namespace, engine: Engine) -> int:
    """What scam callers knew, per insurer and month (users' answers to the leak question), with every
    cell below --min-count hidden so no single answer can be singled out."""
    import csv

    from bot.conversation import leaks as leak_table

    if not leak_table.valid_month(args.month):
        err("错误：" + leak_table.BAD_MONTH)
        return EXIT_FAIL
    if args.min_count < 1:
        err("错误：--min-count 至少为 1。")
        return EXIT_FAIL
    rows = leak_table.leak_table(engine, args.month, args.min_count)
    out(leak_table.leak_table_text(rows, args.min_count, args.month))
    if args.csv:
        try:
            with open(args.csv, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["insurer_id", "insurer", "month", *(k for k, _ in leak_table.ITEMS)])
                for r in rows:
                    w.writerow([r.insurer_id, r.insurer, r.month,
                                *(leak_table.cell_text(r.cells[k], args.min_count) for k, _ in leak_table.ITEMS)])
        except OSError as e:
            err(f"错误：无法写入 {args.csv}：{e.strerror or e}")
            return EXIT_FAIL
        out(f"已写入 {args.csv}：{len(rows)} 行")
    return EXIT_OK


# --- backup --------------------------------------------------------------------------------------------------


def backup(args: argparse.Namespace) -> int:
    """An online copy of BOT_DB_PATH (safe while the bot runs), checked after writing.
    No Engine is opened: a backup must not seed or migrate the database it copies."""
    import sqlite3

    from bot.store import backup as backup_db

    src = Path(db_path())
    if not src.is_file():
        err(f"错误：数据库不存在：{src}")
        return EXIT_FAIL
    try:
        counts = backup_db(src, args.file)
    except FileExistsError:
        err(f"错误：{args.file} 已存在，备份不会覆盖已有文件。")
        return EXIT_FAIL
    except (sqlite3.Error, OSError) as e:
        err(f"错误：备份失败：{e}")
        return EXIT_FAIL
    out(f"已备份到 {args.file}（完整性检查通过）：" + "，".join(f"{t} {n}" for t, n in counts.items()
                                                         if t in ("patterns", "numbers", "reports", "audit")))
    return EXIT_OK


ADMIN_COMMANDS: tuple[Command, ...] = (
    Command("import", "导入 .jsonl/.csv/.yaml", import_file, import_options),
    Command("export", "导出为 .jsonl/.csv/.yaml", export_file, export_options),
    Command("add-pattern", "添加诈骗话术（先试运行，未通过则拒绝）", add_pattern, add_pattern_options),
    Command("add-number", "登记诈骗号码", add_number, add_number_options),
    Command("del-pattern", "停用话术", del_pattern, positional("id")),
    Command("del-number", "移除号码", del_number, positional("number")),
    Command("revert", "撤销一次修改：审计编号，或 pattern:ID / number:号码", revert, positional("ref")),
    Command("history", "审计日志（最新在前）", history, history_options),
    Command("pending", "待审核的用户举报", pending, pending_options),
    Command("approve", "通过举报：生成话术或登记号码", approve, approve_options),
    Command("reject", "驳回举报", reject, reject_options),
    Command("noisy", "误报反馈较多的话术", noisy, noisy_options),
    Command("masscheck", "每条话术在正常/诈骗消息上的命中数", masscheck, limit_options(30)),
    Command("backup", "在线备份数据库到 FILE（机器人运行时也可以）", backup, positional("file")),
    Command("leaks", "对方知道哪些信息：按保险公司、月份统计（少于 5 次不显示）", leaks, leaks_options),
    Command("api-key", "HTTP API 密钥：create / list / revoke", run_api_key, api_key_options),
)


def admin_options(p: argparse.ArgumentParser) -> None:
    add_commands(p, ADMIN_COMMANDS, dest="admin_cmd", required=True)


def run_admin(args: argparse.Namespace) -> int:
    """Run the chosen admin sub-command; a refused change is one line on stderr and exit status 1."""
    from bot.admin import AdminError

    try:
        return find(ADMIN_COMMANDS, args.admin_cmd).run(args)
    except AdminError as e:
        err(f"错误：{e}")
        return EXIT_FAIL
