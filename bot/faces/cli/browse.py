"""``python run.py browse``: Datasette on the bot's database (BOT_DB_PATH), on 127.0.0.1 only.

Why a command and not just ``datasette FILE -m datasette.metadata.json``: Datasette names a database
after its file, and metadata applies by that name. The bundled file protects a database called
``policyguard``; opened as ``pg-2026-01-01.db`` (the README's own backups) anonymous visitors could read
``meta`` (the salt that turns reporter hashes back into Telegram ids) and run SQL (issue 15). This command
writes the metadata for the file's own name, with custom SQL (instance-wide too) and ``meta`` open only
to root, and always listens on the loopback address.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.faces.cli.common import EXIT_FAIL, EXIT_USAGE, db_path, err, out

HOST = "127.0.0.1"
METADATA = Path(__file__).resolve().parents[3] / "datasette.metadata.json"
#: Only Datasette's root user (``--root`` prints a login link) may run SQL or read these tables.
ROOT_ONLY = {"id": "root"}
PRIVATE_TABLES = ("meta", "api_keys")


def browse_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8001, help="端口（默认 8001；0 表示随便选一个空闲端口）")
    p.add_argument("--root", action="store_true", help="打印 root 登录链接（root 可运行 SQL、查看 meta 表）")


def metadata_for(db_file: str | Path, base: Path = METADATA) -> dict[str, Any]:
    """The bundled metadata, applied to the database under the name Datasette will give ``db_file`` (its
    stem), with SQL and the private tables closed to everyone but root whatever the bundled file says."""
    meta = json.loads(base.read_text(encoding="utf-8"))
    databases = meta.get("databases") or {}
    settings = next(iter(databases.values()), {}) if databases else {}
    settings = json.loads(json.dumps(settings))  # a copy
    settings["allow_sql"] = ROOT_ONLY
    tables = settings.setdefault("tables", {})
    for name in PRIVATE_TABLES:
        tables.setdefault(name, {}).update({"hidden": True, "allow": ROOT_ONLY})
    meta["databases"] = {Path(db_file).stem: settings}
    meta["allow_sql"] = ROOT_ONLY
    return meta


def datasette_command(db_file: str | Path, metadata_file: str | Path, port: int, root: bool) -> list[str]:
    """The Datasette command line: the database, the generated metadata, the loopback address."""
    cmd = [sys.executable, "-m", "datasette", "serve", str(db_file), "-m", str(metadata_file), "-h", HOST,
           "-p", str(int(port))]
    return cmd + (["--root"] if root else [])


def browse(args: argparse.Namespace) -> int:
    """Serve BOT_DB_PATH with Datasette until Ctrl-C; one clear line when it cannot."""
    path = Path(db_path())
    if not path.is_file():
        err(f"数据库文件不存在：{path}（先运行一次 python run.py check … 或设置 BOT_DB_PATH）")
        return EXIT_FAIL
    if not 0 <= int(args.port) <= 65535:
        err(f"端口 {args.port} 无效（0-65535）")
        return EXIT_USAGE
    try:
        import datasette  # noqa: F401 - only to say clearly that it is missing
    except ImportError:
        err("浏览数据库需要 Datasette：pip install -e '.[browse]'")
        return EXIT_FAIL
    with tempfile.TemporaryDirectory(prefix="policyguard-browse-") as tmp:
        meta_file = Path(tmp) / "metadata.json"
        meta_file.write_text(json.dumps(metadata_for(path), ensure_ascii=False), encoding="utf-8")
        where = f"http://{HOST}:{args.port}/{path.stem}" if args.port else f"http://{HOST}（端口见下方 Datasette 的输出）"
        out(f"Datasette：{where}（只在本机可访问；Ctrl-C 停止）")
        try:
            return subprocess.call(datasette_command(path, meta_file, args.port, args.root))
        except KeyboardInterrupt:
            return 0
