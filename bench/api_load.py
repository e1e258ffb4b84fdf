"""Load on the HTTP API (issue 17): throughput and latency of ``python run.py serve`` with 1 and 2 workers,
beside the in-process engine rate, on loopback.

    python bench/api_load.py                               # workers 1 and 2, the defaults below
    python bench/api_load.py --workers 1,2 --requests 3000 --concurrency 16 --batch 20
    python bench/api_load.py --quick                       # a smoke run (tens of requests)

What it does, in one run (so the figures compare like with like on whatever this machine is doing):

1. Seeds a database in a temporary folder and measures the **in-process engine rate**: ``Engine.analyze``
   over ``bench/messages.jsonl`` (48 short SMS, 12 texts of ~1,000 characters) on one core, messages/s.
2. For each worker count N: starts ``python run.py serve --workers N`` on a free loopback port (a key
   with every scope; no rate limit), waits until every worker has started, warms up, then
   - **max throughput**: a closed loop of ``--concurrency`` clients sending ``--requests`` single
     ``POST /v1/check`` requests (messages in turn): requests/s, p50/p99 latency;
   - with ``--batch B``: the same with ``POST /v1/check/batch`` of B texts (texts/s: less HTTP and JSON
     work per message, so closer to what the engine can do);
   - **sustainable rate**: an open loop sending single checks at ``--load`` (default 0.7) of the measured
     maximum for ``--seconds``, each request's latency from its scheduled start (so queueing counts):
     p50/p99 and p99 ÷ p50.
   then stops the server with SIGTERM.
3. Prints a markdown table (and JSON with ``--json FILE``), with the load average before and after each
   step: the machine is shared, and the client runs on the same cores as the server.

The number of requests and clients is bounded by the options; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT)]
MESSAGES = BENCH / "messages.jsonl"
#: Hard bounds, whatever the options say: this is a benchmark, not a flood.
MAX_REQUESTS = 20_000
MAX_CONCURRENCY = 64
MAX_SECONDS = 120


def load_messages() -> list[str]:
    return [json.loads(line)["text"] for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    if not s:
        return 0.0
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --- the engine in this process -------------------------------------------------------------------------


def prepare_db(folder: Path) -> tuple[Path, str]:
    """A seeded database and a key with every scope on it."""
    from bot.config import Settings, open_engine
    from bot.faces.api.keys import SCOPES, create_key

    db = folder / "load.db"
    engine = open_engine(Settings(db_path=str(db)))
    try:
        key = create_key(engine.store, "load", frozenset(SCOPES), actor="bench")
    finally:
        engine.close()
    return db, key


def engine_rate(db: Path, messages: list[str], passes: int) -> dict[str, float]:
    """Messages per second of ``Engine.analyze`` on one core, after one warm-up pass."""
    from bot.config import Settings, open_engine

    engine = open_engine(Settings(db_path=str(db)))
    try:
        for m in messages:
            engine.analyze(m)
        times = []
        t0 = time.perf_counter()
        for _ in range(passes):
            for m in messages:
                t = time.perf_counter()
                engine.analyze(m)
                times.append(time.perf_counter() - t)
        wall = time.perf_counter() - t0
    finally:
        engine.close()
    return {"messages_per_s": len(times) / wall, "p50_ms": pct(times, 50) * 1000, "p99_ms": pct(times, 99) * 1000}


# --- the server -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python run.py serve --workers N`` as a subprocess, its log in a file."""

    def __init__(self, db: Path, workers: int, folder: Path) -> None:
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"serve-{workers}.log"
        env = dict(os.environ, BOT_DB_PATH=str(db), BOT_API_RATE_PER_MINUTE="0", BOT_LOG_LEVEL="INFO",
                   NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(self.port), "--workers",
                                      str(workers)], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_started(self, timeout: float = 180.0) -> None:
        """Until every worker has logged "Application startup complete" (a ready port is not enough: the
        first worker up accepts the connections meant for the others until they start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited: " + self.log_path.read_text("utf-8", "replace")[-2000:])
            if self.log_path.read_text("utf-8", "replace").count("Application startup complete") >= self.workers:
                return
            time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self._log.close()


# --- the client -------------------------------------------------------------------------------------------


async def closed_loop(base: str, key: str, bodies: list[tuple[str, dict[str, Any]]], concurrency: int,
                      requests: int) -> dict[str, Any]:
    """``concurrency`` clients, each sending its next request when its last one is answered."""
    import httpx

    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": "Bearer " + key}, limits=limits,
                                 timeout=60, trust_env=False) as client:
        async def one_client() -> None:
            nonlocal failures
            for i in counter:
                path, body = bodies[i % len(bodies)]
                t = time.perf_counter()
                r = await client.post(path, json=body)
                latencies.append(time.perf_counter() - t)
                failures += r.status_code != 200

        t0 = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"requests": len(latencies), "failures": failures, "wall_s": wall, "per_s": len(latencies) / wall,
            "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000}


async def open_loop(base: str, key: str, texts: list[str], rate: float, seconds: float,
                    concurrency: int) -> dict[str, Any]:
    """Single checks started at ``rate`` per second for ``seconds``; each latency counts from the request's
    scheduled start, so time spent waiting behind others counts too."""
    import httpx

    latencies: list[float] = []
    failures = 0
    n = max(1, int(rate * seconds))
    limits = httpx.Limits(max_connections=concurrency * 4, max_keepalive_connections=concurrency * 4)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": "Bearer " + key}, limits=limits,
                                 timeout=60, trust_env=False) as client:
        t0 = time.perf_counter()

        async def one(i: int) -> None:
            nonlocal failures
            due = t0 + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            r = await client.post("/v1/check", json={"text": texts[i % len(texts)]})
            latencies.append(time.perf_counter() - due)
            failures += r.status_code != 200

        await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - t0
    p50, p99 = pct(latencies, 50) * 1000, pct(latencies, 99) * 1000
    return {"rate": rate, "requests": n, "failures": failures, "achieved_per_s": n / wall, "p50_ms": p50,
            "p99_ms": p99, "p99_over_p50": p99 / p50 if p50 else 0.0}


def measure(db: Path, key: str, workers: int, texts: list[str], a: argparse.Namespace, folder: Path) -> dict[str, Any]:
    server = Server(db, workers, folder)
    out: dict[str, Any] = {"workers": workers}
    try:
        server.wait_started()
        singles = [("/v1/check", {"text": t}) for t in texts]
        asyncio.run(closed_loop(server.base, key, singles, a.concurrency, min(len(texts) * 2, a.requests)))  # warm-up
        out["load_before"] = loadavg()
        log(f"{workers} worker(s): closed loop, {a.requests} single checks, {a.concurrency} clients")
        out["single"] = asyncio.run(closed_loop(server.base, key, singles, a.concurrency, a.requests))
        if a.batch:
            batches = [("/v1/check/batch", {"items": [{"id": j, "text": texts[(i + j) % len(texts)]}
                                                      for j in range(a.batch)]}) for i in range(len(texts))]
            n = max(1, a.requests // a.batch)
            log(f"{workers} worker(s): closed loop, {n} batches of {a.batch}")
            res = asyncio.run(closed_loop(server.base, key, batches, a.concurrency, n))
            res["texts_per_s"] = res["per_s"] * a.batch
            out["batch"] = res
        rate = out["single"]["per_s"] * a.load
        log(f"{workers} worker(s): open loop at {rate:.0f}/s for {a.seconds:.0f} s")
        out["sustained"] = asyncio.run(open_loop(server.base, key, texts, rate, a.seconds, a.concurrency))
        out["load_after"] = loadavg()
    finally:
        out["exit_status"] = server.stop()
    return out


# --- report -----------------------------------------------------------------------------------------------


def table(engine: dict[str, float], rows: list[dict[str, Any]], batch: int) -> str:
    head = ("| workers | checks/s (single) | p50 ms | p99 ms | " + (f"texts/s (batch {batch}) | " if batch else "")
            + "sustained rate/s | p50 ms | p99 ms | p99 ÷ p50 | load avg before → after |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        s, o = r["single"], r["sustained"]
        cells = [str(r["workers"]), f"{s['per_s']:.0f}", f"{s['p50_ms']:.1f}", f"{s['p99_ms']:.1f}"]
        if batch:
            cells.append(f"{r['batch']['texts_per_s']:.0f}")
        cells += [f"{o['rate']:.0f}", f"{o['p50_ms']:.1f}", f"{o['p99_ms']:.1f}", f"{o['p99_over_p50']:.1f}×",
                  f"{r['load_before']} → {r['load_after']}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"In-process engine (one core, no HTTP): {engine['messages_per_s']:.0f} messages/s "
                 f"(p50 {engine['p50_ms']:.1f} ms, p99 {engine['p99_ms']:.1f} ms).")
    if len(rows) >= 2 and rows[0]["workers"] == 1:
        for r in rows[1:]:
            ratio = r["single"]["per_s"] / rows[0]["single"]["per_s"]
            extra = ""
            if batch:
                extra = f"; batch: {r['batch']['texts_per_s'] / rows[0]['batch']['texts_per_s']:.2f}×"
            lines.append(f"{r['workers']} workers ÷ 1 worker: single checks {ratio:.2f}×{extra}.")
    fails = sum(r["single"]["failures"] + r["sustained"]["failures"] + (r.get("batch") or {}).get("failures", 0)
                for r in rows)
    lines.append(f"Failed requests: {fails}; server exit statuses: {[r['exit_status'] for r in rows]}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    ap.add_argument("--requests", type=int, default=3000, help="single checks in the closed loop")
    ap.add_argument("--concurrency", type=int, default=16, help="clients in the closed loop")
    ap.add_argument("--batch", type=int, default=20, help="texts per batch request (0: no batch step)")
    ap.add_argument("--load", type=float, default=0.7, help="the open loop's rate, as a fraction of the maximum")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the open loop")
    ap.add_argument("--engine-passes", type=int, default=5, help="passes over the messages for the engine rate")
    ap.add_argument("--quick", action="store_true", help="a smoke run: tiny numbers")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    a = ap.parse_args(argv)
    if a.quick:
        a.requests, a.concurrency, a.batch, a.seconds, a.engine_passes = 40, 4, 5, 2.0, 1
    a.requests = max(1, min(a.requests, MAX_REQUESTS))
    a.concurrency = max(1, min(a.concurrency, MAX_CONCURRENCY))
    a.batch = max(0, min(a.batch, 100))
    a.seconds = max(1.0, min(a.seconds, MAX_SECONDS))
    a.load = max(0.05, min(a.load, 1.0))
    workers = [int(w) for w in str(a.workers).split(",") if w.strip()]
    texts = load_messages()
    with tempfile.TemporaryDirectory(prefix="pg-api-load-") as tmp:
        folder = Path(tmp)
        log(f"seeding a database (load average {loadavg()})")
        db, key = prepare_db(folder)
        engine = engine_rate(db, texts, a.engine_passes)
        log(f"in-process engine: {engine['messages_per_s']:.0f} messages/s")
        rows = [measure(db, key, w, texts, a, folder) for w in workers]
    report = table(engine, rows, a.batch)
    print(f"{time.strftime('%Y-%m-%d %H:%M')} · {os.cpu_count()} cores · {len(texts)} messages · "
          f"{a.requests} requests, {a.concurrency} clients\n")
    print(report)
    if a.json:
        Path(a.json).write_text(json.dumps({"engine": engine, "rows": rows, "options": vars(a)}, indent=1),
                                encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
