"""``python run.py serve``: the HTTP API (see ``bot/faces/api/`` and the README's "HTTP API" section)."""

from __future__ import annotations

import argparse

from bot.faces.cli.common import EXIT_OK, EXIT_USAGE, err

MAX_WORKERS = 64


def serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；对外服务用 0.0.0.0）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--workers", type=int, default=1, help="工作进程数（默认 1；一般每个 CPU 核一个）")


def serve(args: argparse.Namespace) -> int:
    """Run the API until stopped (Ctrl-C or SIGTERM)."""
    if not 0 < args.port < 65536:
        err(f"端口必须在 1-65535 之间：{args.port}")
        return EXIT_USAGE
    if not 0 < args.workers <= MAX_WORKERS:
        err(f"--workers 必须在 1-{MAX_WORKERS} 之间：{args.workers}")
        return EXIT_USAGE
    from bot.faces.api.serve import serve as run_server

    run_server(args.host, args.port, args.workers)
    return EXIT_OK
