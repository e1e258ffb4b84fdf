"""The command line: ``python run.py [command]`` (``python -m bot`` is the same).

Commands (see the README): run the bot (default), ``chat``, ``check``, ``lookup``, ``eval``, ``admin``.
Exit statuses: 0 ok; 1 an operation failed (clear message on stderr); 2 usage error or no token.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from bot import __version__

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _engine():
    from bot.config import Settings
    from bot.pipeline.engine import Engine

    return Engine(Settings.from_env().db_path)


def _out(s: str) -> None:
    sys.stdout.write(s + "\n")
    sys.stdout.flush()


def _err(s: str) -> None:
    sys.stderr.write(s + "\n")


def _read_stdin() -> str:
    data = sys.stdin.buffer.read() if sys.stdin is not None else b""
    return data.decode("utf-8", "replace")


def cmd_check(args: argparse.Namespace) -> int:
    from bot import render

    if args.image:
        from bot.pipeline.ocr import check_image_cli

        return check_image_cli(args)
    engine = _engine()
    if args.jsonl:
        for raw in sys.stdin.buffer:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            _out(render.verdict_json(engine.analyze(_jsonl_text(line))))
        return EXIT_OK
    text = " ".join(args.text) if args.text else _read_stdin()
    v = engine.analyze(text)
    _out(render.verdict_json(v) if args.json else render.verdict_text(v))
    return EXIT_OK


def _jsonl_text(line: str) -> str:
    """A --jsonl line: a JSON object with "text", a JSON string, or raw text."""
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    if isinstance(obj, dict):
        return str(obj.get("text") or "")
    if isinstance(obj, str):
        return obj
    return line


def cmd_lookup(args: argparse.Namespace) -> int:
    from bot import render

    lk = _engine().lookup(args.number)
    _out(render.lookup_json(lk) if args.json else render.lookup_text(lk))
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.admin.evaluate import evaluate, format_report, read_labeled

    rows = []
    for f in args.files:
        p = Path(f)
        if not p.exists():
            _err(f"文件不存在：{f}")
            return EXIT_FAIL
        try:
            rows.extend(read_labeled(p, args.label))
        except (ValueError, UnicodeDecodeError) as e:
            _err(f"无法读取 {f}：{e}")
            return EXIT_FAIL
    result = evaluate(_engine(), rows, errors=args.errors)
    _out(json.dumps(result, ensure_ascii=False, indent=1) if args.json else format_report(result))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.faces.cli.chat import run_chat

    return run_chat(_engine(), admin=args.admin)


def cmd_admin(args: argparse.Namespace) -> int:
    from bot import admin

    if args.admin_cmd in ("pending", "approve", "reject"):
        return _admin_reports(args)
    if args.admin_cmd == "backup":
        return _admin_backup(args)
    engine = _engine()
    actor = "cli"
    try:
        if args.admin_cmd == "import":
            res = admin.import_file(engine, args.file, actor=actor, allow_errors=args.allow_errors, progress=True)
            for e in res.errors[: admin.MAX_LISTED_ERRORS]:
                _err(e)
            if len(res.errors) > admin.MAX_LISTED_ERRORS:
                _err(f"……另有 {len(res.errors) - admin.MAX_LISTED_ERRORS} 行错误未列出")
            if res.aborted:
                _err(f"导入已取消：{len(res.errors)} 行有错误，未导入任何内容（加 --allow-errors 可只导入正确的行）。")
                return EXIT_FAIL
            for w in res.warnings[:20]:
                _err("提醒：" + w)
            _out(f"导入完成（审计 #{res.audit_id}）：话术 {res.imported_scripts} 条，号码 {res.imported_numbers} 个"
                 f"（新增 {res.new_numbers}，合并 {res.updated_numbers}），重复跳过 {res.skipped_duplicates} 条，"
                 f"错误 {len(res.errors)} 行。撤销：python run.py admin revert {res.audit_id}")
        elif args.admin_cmd == "export":
            res = admin.export_file(engine, args.file)
            _out(f"已导出：话术 {res['scripts']} 条，号码 {res['numbers']} 个 → {args.file}")
        elif args.admin_cmd == "add-pattern":
            r = admin.add_pattern(engine, args.type, args.text, actor=actor, dry_run=args.dry_run, force=args.force)
            if args.json:
                _out(json.dumps(r.report, ensure_ascii=False, indent=1))
            elif r.dry_run:
                _out(r.summary)
            else:
                _out(f"已添加话术 #{r.id}（{r.scam_type}）" + ("，已强制添加（试运行未通过）" if r.forced else "")
                     + f"。撤销：python run.py admin revert {r.audit_id}")
            if r.dry_run and r.refused:
                return EXIT_FAIL
        elif args.admin_cmd == "add-number":
            row = admin.add_number(engine, args.number, args.type, args.note or "", actor=actor)
            _out(f"已登记号码 {row['number']}（累计举报 {row['reports']} 次）。撤销：python run.py admin revert {row['audit_id']}")
        elif args.admin_cmd == "del-pattern":
            admin.del_pattern(engine, args.id, actor=actor)
            _out(f"已停用话术 #{str(args.id).lstrip('#')}。")
        elif args.admin_cmd == "del-number":
            row = admin.del_number(engine, args.number, actor=actor)
            _out(f"已移除号码 {row['number']}。")
        elif args.admin_cmd == "revert":
            r = admin.revert(engine, args.ref, actor=actor)
            _out(f"{r.message}（审计 #{r.audit_id}）")
        elif args.admin_cmd == "history":
            rows = admin.history(engine, limit=args.limit, target=args.target)
            _out(json.dumps(rows, ensure_ascii=False, indent=1) if args.json else admin.format_history(rows))
        elif args.admin_cmd == "noisy":
            rows = admin.flag_noisy_patterns(engine, threshold=args.threshold)
            if not rows:
                _out(f"没有误报次数达到 {args.threshold} 的话术。")
            for r in rows:
                _out(f"#{r['id']} {r['scam_type']} 误报 {r['false_positives']} 次 / 命中 {r['hits']} 次：{r['text'][:60]}")
        elif args.admin_cmd == "masscheck":
            from bot.admin.masscheck import rule_hits

            rows = rule_hits(engine)[: args.limit]
            _out("编号\t类型\t正常消息命中\t诈骗消息命中\t话术")
            for r in rows:
                _out(f"#{r['id']}\t{r['scam_type']}\t{r['legit_hits']}\t{r['scam_hits']}\t{r['text'][:40]}")
        else:
            return EXIT_USAGE
    except admin.AdminError as e:
        _err(f"错误：{e}")
        return EXIT_FAIL
    return EXIT_OK


def _admin_reports(args: argparse.Namespace) -> int:
    """admin pending / approve / reject: the users' report queue."""
    from bot import admin
    from bot.admin import reports

    engine = _engine()
    try:
        if args.admin_cmd == "pending":
            if args.json:
                _out(json.dumps(reports.pending(engine, args.limit), ensure_ascii=False, indent=1))
            else:
                _out(reports.format_pending(engine, args.limit))
        elif args.admin_cmd == "approve":
            r = reports.approve(engine, args.id, "cli", as_type=args.type, as_pattern_text=args.text,
                                as_kind=args.as_kind, force=args.force)
            _out(r.message + f" 撤销：python run.py admin revert {r.audit_id}")
        else:
            reports.reject(engine, args.id, "cli", reason=args.reason or "")
            _out(f"已驳回举报 #{str(args.id).lstrip('#')}。")
    except admin.AdminError as e:
        _err(f"错误：{e}")
        return EXIT_FAIL
    return EXIT_OK


def _admin_backup(args: argparse.Namespace) -> int:
    """admin backup FILE: an online copy of BOT_DB_PATH (safe while the bot runs), checked after writing.
    No Engine is opened: a backup must not seed or migrate the database it copies."""
    import sqlite3

    from bot.config import Settings
    from bot.store import backup

    src = Path(Settings.from_env().db_path)
    if not src.is_file():
        _err(f"错误：数据库不存在：{src}")
        return EXIT_FAIL
    try:
        counts = backup(src, args.file)
    except FileExistsError:
        _err(f"错误：{args.file} 已存在，备份不会覆盖已有文件。")
        return EXIT_FAIL
    except (sqlite3.Error, OSError) as e:
        _err(f"错误：备份失败：{e}")
        return EXIT_FAIL
    _out(f"已备份到 {args.file}（完整性检查通过）：" + "，".join(f"{t} {n}" for t, n in counts.items()
                                                          if t in ("patterns", "numbers", "reports", "audit")))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from bot.config import Settings

    settings = Settings.from_env()
    if not settings.token:
        _err("未设置 TELEGRAM_BOT_TOKEN：请先 export TELEGRAM_BOT_TOKEN=<BotFather 给的令牌> 再运行；"
             "不用 Telegram 也可以试用：python run.py chat")
        return EXIT_USAGE
    from bot.faces.tg.app import run

    return run(settings)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description="PolicyGuard 保单卫士：识别冒充保险公司和监管部门的诈骗")
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="运行 Telegram 机器人（默认）").set_defaults(func=cmd_run)
    c = sub.add_parser("chat", help="在终端里和机器人对话（不需要 Telegram）")
    c.add_argument("--admin", action="store_true", help="以管理员身份对话（可用管理员命令）")
    c.set_defaults(func=cmd_chat)
    c = sub.add_parser("check", help="分析一条消息（TEXT 或标准输入）")
    c.add_argument("text", nargs="*", help="要分析的文字；省略则读标准输入")
    c.add_argument("--json", action="store_true", help="输出 JSON 判定")
    c.add_argument("--jsonl", action="store_true", help="标准输入每行一条消息，每行输出一个 JSON 判定")
    c.add_argument("--image", metavar="FILE", help="识别截图中的文字（OCR）再分析")
    c.set_defaults(func=cmd_check)
    c = sub.add_parser("lookup", help="查询电话号码")
    c.add_argument("number", help="号码，如 95519、+86 139 1234 5678")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_lookup)
    c = sub.add_parser("eval", help="在标注语料上计算精确率、召回率、误报率")
    c.add_argument("files", nargs="+", help=".jsonl（text,label,type）、.csv 或纯文本行")
    c.add_argument("--label", choices=["scam", "legit"], help="把文件中所有行视为该标签")
    c.add_argument("--errors", type=int, default=0, metavar="N", help="列出前 N 个错误")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_eval)
    a = sub.add_parser("admin", help="管理话术和号码")
    asub = a.add_subparsers(dest="admin_cmd", required=True)
    x = asub.add_parser("import", help="导入 .jsonl/.csv/.yaml")
    x.add_argument("file")
    x.add_argument("--allow-errors", action="store_true", help="有错误行时仍导入正确的行")
    x = asub.add_parser("export", help="导出为 .jsonl/.csv/.yaml")
    x.add_argument("file")
    x = asub.add_parser("add-pattern", help="添加诈骗话术（先试运行，未通过则拒绝）")
    x.add_argument("--type", required=True)
    x.add_argument("--text", required=True)
    x.add_argument("--dry-run", action="store_true", help="只报告会命中什么，不做修改")
    x.add_argument("--force", action="store_true", help="试运行未通过也添加")
    x.add_argument("--json", action="store_true", help="以 JSON 输出试运行报告")
    x = asub.add_parser("add-number", help="登记诈骗号码")
    x.add_argument("number")
    x.add_argument("--type", required=True)
    x.add_argument("--note", default="")
    x = asub.add_parser("del-pattern", help="停用话术")
    x.add_argument("id")
    x = asub.add_parser("del-number", help="移除号码")
    x.add_argument("number")
    x = asub.add_parser("revert", help="撤销一次修改：审计编号，或 pattern:ID / number:号码")
    x.add_argument("ref")
    x = asub.add_parser("history", help="审计日志（最新在前）")
    x.add_argument("--limit", type=int, default=20)
    x.add_argument("--target", help="只看一个对象，如 pattern:12、number:13912345678、report:3")
    x.add_argument("--json", action="store_true")
    x = asub.add_parser("pending", help="待审核的用户举报")
    x.add_argument("--limit", type=int, default=10)
    x.add_argument("--json", action="store_true")
    x = asub.add_parser("approve", help="通过举报：生成话术或登记号码")
    x.add_argument("id")
    x.add_argument("--type", help="诈骗类型（默认用引擎的判断）")
    x.add_argument("--text", help="改为话术：用这段文字作为话术")
    x.add_argument("--as", dest="as_kind", choices=["pattern", "number"], help="生成话术或登记号码")
    x.add_argument("--force", action="store_true", help="试运行未通过也添加")
    x = asub.add_parser("reject", help="驳回举报")
    x.add_argument("id")
    x.add_argument("--reason", default="")
    x = asub.add_parser("noisy", help="误报反馈较多的话术")
    x.add_argument("--threshold", type=int, default=3)
    x = asub.add_parser("masscheck", help="每条话术在正常/诈骗消息上的命中数")
    x.add_argument("--limit", type=int, default=30)
    x = asub.add_parser("backup", help="在线备份数据库到 FILE（机器人运行时也可以）")
    x.add_argument("file")
    a.set_defaults(func=cmd_admin)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: usage errors exit 2 with a message, --help exits 0
        return int(e.code or 0)
    func = getattr(args, "func", cmd_run)
    try:
        return func(args)
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # never a traceback for the user; the detail goes to the log
        logging.getLogger("policyguard").debug("command failed", exc_info=True)
        _err(f"出错了：{type(e).__name__}: {str(e)[:200]}")
        return EXIT_FAIL
