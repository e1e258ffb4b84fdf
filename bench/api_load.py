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
   - **sustainable rate**: open loops sending one typical scam SMS (the first of the messages: "the
     latency of a single check") at each ``--load`` fraction (default 0.3, 0.5, 0.7) of the measured
     maximum for ``--seconds``, each request's latency from its scheduled start (so queueing counts);
     the sustainable rate is the fastest whose p99 stays within 4× its median.
   then stops the server with SIGTERM.
The load is sent by ``--client stream`` (plain HTTP/1.1 on asyncio streams, ~0.06 ms of CPU a request)
or ``--client httpx`` (httpx.AsyncClient, ~1 ms a request, which on a 2-core machine is taken from the
server's cores: see :class:`StreamClient`). Both report client and server CPU milliseconds a request
(server: from /proc, over the uvicorn parent and its workers), which do not depend on the machine's load.

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
            text = self.log_path.read_text("utf-8", "replace")
            # one worker binds the port only after its start-up: wait for both lines
            if text.count("Application startup complete") >= self.workers and "Uvicorn running on" in text:
                return
            time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self._log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (uvicorn's workers), from /proc: unlike wall
    time, it does not depend on what else the machine is running."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


# --- the clients ------------------------------------------------------------------------------------------


class HttpxClient:
    """The load through ``httpx.AsyncClient``: about 1 ms of client CPU a request on this machine."""

    def __init__(self, base: str, key: str, connections: int) -> None:
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.AsyncClient(base_url=base, headers={"Authorization": "Bearer " + key}, limits=limits,
                                         timeout=60, trust_env=False)

    async def send(self, path: str, body: dict[str, Any] | None) -> int:
        r = await (self._client.get(path) if body is None else self._client.post(path, json=body))
        return r.status_code

    async def close(self) -> None:
        await self._client.aclose()


class StreamClient:
    """The load as plain HTTP/1.1 over asyncio streams, on kept-alive connections: about 0.06 ms of client
    CPU a request, against httpx's ~1 ms. Why it exists: client and server share this machine's two
    cores, so a client that costs half as much CPU as the server's answer caps what a second worker can
    add (2 workers ÷ 1 ≤ 2 × server ÷ (server + client)) and the benchmark would measure the client."""

    def __init__(self, base: str, key: str, connections: int) -> None:
        from urllib.parse import urlsplit

        u = urlsplit(base)
        self._host, self._port = u.hostname or "127.0.0.1", int(u.port or 80)
        self._head = f"Host: {self._host}:{self._port}\r\nAuthorization: Bearer {key}\r\n".encode()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open = 0
        self._limit = asyncio.Semaphore(connections)

    async def send(self, path: str, body: dict[str, Any] | None) -> int:
        if body is None:
            request = f"GET {path} HTTP/1.1\r\n".encode() + self._head + b"\r\n"
        else:
            data = json.dumps(body, ensure_ascii=False).encode()
            request = (f"POST {path} HTTP/1.1\r\n".encode() + self._head
                       + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
        async with self._limit:
            while self._idle:  # a kept-alive connection the server has closed since (its idle timeout): next
                try:
                    return await self._exchange(self._idle.pop(), request)
                except (asyncio.IncompleteReadError, ConnectionError):
                    continue
            return await self._exchange(await asyncio.open_connection(self._host, self._port), request)

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes) -> int:
        reader, writer = conn
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        self._idle.append(conn)
        return status

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


CLIENTS = {"stream": StreamClient, "httpx": HttpxClient}


async def closed_loop(make: Any, bodies: list[tuple[str, dict[str, Any] | None]], concurrency: int,
                      requests: int) -> dict[str, Any]:
    """``concurrency`` clients, each sending its next request when its last one is answered (a body of
    None: a GET)."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))
    client = make(concurrency)

    async def one_client() -> None:
        nonlocal failures
        for i in counter:
            path, body = bodies[i % len(bodies)]
            t = time.perf_counter()
            status = await client.send(path, body)
            latencies.append(time.perf_counter() - t)
            failures += status != 200

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    finally:
        await client.close()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"requests": len(latencies), "failures": failures, "wall_s": wall, "per_s": len(latencies) / wall,
            "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000,
            "client_cpu_ms": cpu * 1000 / max(1, len(latencies))}


def with_server_cpu(pid: int, run: Any) -> dict[str, Any]:
    """``run()``'s figures plus the server's CPU milliseconds per request."""
    before = cpu_seconds(pid)
    res = run()
    res["server_cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / max(1, res["requests"])
    return res


async def open_loop(make: Any, texts: list[str], rate: float, seconds: float, concurrency: int) -> dict[str, Any]:
    """Single checks started at ``rate`` per second for ``seconds``; each latency counts from the request's
    scheduled start, so time spent waiting behind others counts too."""
    latencies: list[float] = []
    failures = 0
    n = max(1, int(rate * seconds))
    client = make(concurrency * 4)
    t0 = time.perf_counter()

    async def one(i: int) -> None:
        nonlocal failures
        due = t0 + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        status = await client.send("/v1/check", {"text": texts[i % len(texts)]})
        latencies.append(time.perf_counter() - due)
        failures += status != 200

    try:
        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        await client.close()
    wall = time.perf_counter() - t0
    p50, p99 = pct(latencies, 50) * 1000, pct(latencies, 99) * 1000
    return {"rate": rate, "requests": n, "failures": failures, "achieved_per_s": n / wall, "p50_ms": p50,
            "p99_ms": p99, "p99_over_p50": p99 / p50 if p50 else 0.0}


def measure(db: Path, key: str, workers: int, texts: list[str], a: argparse.Namespace, folder: Path) -> dict[str, Any]:
    server = Server(db, workers, folder)
    out: dict[str, Any] = {"workers": workers}
    try:
        server.wait_started()
        def make(connections: int) -> Any:
            return CLIENTS[a.client](server.base, key, connections)

        singles: list[tuple[str, dict[str, Any] | None]] = [("/v1/check", {"text": t}) for t in texts]
        asyncio.run(closed_loop(make, singles, a.concurrency, min(len(texts) * 2, a.requests)))  # warm-up
        out["load_before"] = loadavg()
        log(f"{workers} worker(s): closed loop, {a.requests} single checks, {a.concurrency} clients")
        pid = server.proc.pid
        out["single"] = with_server_cpu(pid, lambda: asyncio.run(
            closed_loop(make, singles, a.concurrency, a.requests)))
        log(f"{workers} worker(s): closed loop, {a.requests} GET /healthz (the client's own ceiling)")
        out["healthz"] = with_server_cpu(pid, lambda: asyncio.run(
            closed_loop(make, [("/healthz", None)], a.concurrency, a.requests)))
        if a.batch:
            batches = [("/v1/check/batch", {"items": [{"id": j, "text": texts[(i + j) % len(texts)]}
                                                      for j in range(a.batch)]}) for i in range(len(texts))]
            n = max(1, a.requests // a.batch)
            log(f"{workers} worker(s): closed loop, {n} batches of {a.batch}")
            res = with_server_cpu(pid, lambda: asyncio.run(closed_loop(make, batches, a.concurrency, n)))
            res["texts_per_s"] = res["per_s"] * a.batch
            out["batch"] = res
        out["open_loops"] = []
        for fraction in a.loads:
            rate = out["single"]["per_s"] * fraction
            log(f"{workers} worker(s): open loop of one SMS at {rate:.0f}/s ({fraction:.0%}) for {a.seconds:.0f} s")
            res = asyncio.run(open_loop(make, [texts[0]], rate, a.seconds, a.concurrency))
            res["fraction"] = fraction
            out["open_loops"].append(res)
        out["sustained"] = sustainable(out["open_loops"])
        out["load_after"] = loadavg()
    finally:
        out["exit_status"] = server.stop()
    return out


def sustainable(loops: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest open loop whose p99 stayed within 4× its median (the issue's bound), else the slowest."""
    ok = [r for r in loops if r["p99_over_p50"] <= 4.0 and not r["failures"]]
    return max(ok, key=lambda r: r["rate"]) if ok else min(loops, key=lambda r: r["rate"])


# --- report -----------------------------------------------------------------------------------------------


def _mean(rows: list[dict[str, Any]], step: str, field: str) -> float:
    return sum(r[step][field] for r in rows) / len(rows)


def table(engine: dict[str, float], rows: list[dict[str, Any]], batch: int) -> str:
    head = ("| workers | checks/s (single) | p50 ms | p99 ms | CPU ms/check server + client | "
            + (f"texts/s (batch {batch}) | " if batch else "")
            + "/healthz/s | sustained rate/s | p50 ms | p99 ms | p99 ÷ p50 | load avg before → after |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        s, o = r["single"], r["sustained"]
        cells = [str(r["workers"]), f"{s['per_s']:.0f}", f"{s['p50_ms']:.1f}", f"{s['p99_ms']:.1f}",
                 f"{s['server_cpu_ms']:.1f} + {s['client_cpu_ms']:.1f}"]
        if batch:
            cells.append(f"{r['batch']['texts_per_s']:.0f}")
        cells += [f"{r['healthz']['per_s']:.0f}", f"{o['rate']:.0f}", f"{o['p50_ms']:.1f}", f"{o['p99_ms']:.1f}", f"{o['p99_over_p50']:.1f}×",
                  f"{r['load_before']} → {r['load_after']}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"In-process engine (one core, no HTTP): {engine['messages_per_s']:.0f} messages/s "
                 f"(p50 {engine['p50_ms']:.1f} ms, p99 {engine['p99_ms']:.1f} ms; "
                 f"{1000 / engine['messages_per_s']:.1f} ms a message).")
    ones = [r for r in rows if r["workers"] == 1]
    for w in sorted({r["workers"] for r in rows} - {1}):
        group = [r for r in rows if r["workers"] == w]
        if not ones:
            break
        ratio = _mean(group, "single", "per_s") / _mean(ones, "single", "per_s")
        extra = f"; batch: {_mean(group, 'batch', 'texts_per_s') / _mean(ones, 'batch', 'texts_per_s'):.2f}×" if batch else ""
        lines.append(f"{w} workers ÷ 1 worker (mean of {len(group)} and {len(ones)} runs): single checks {ratio:.2f}×{extra}.")
    fails = sum(r["single"]["failures"] + sum(o["failures"] for o in r["open_loops"]) + (r.get("batch") or {}).get("failures", 0)
                for r in rows)
    lines.append(f"Failed requests: {fails}; server exit statuses: {[r['exit_status'] for r in rows]}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    ap.add_argument("--requests", type=int, default=3000, help="single checks in the closed loop")
    ap.add_argument("--concurrency", type=int, default=16, help="clients in the closed loop")
    ap.add_argument("--batch", type=int, default=20, help="texts per batch request (0: no batch step)")
    ap.add_argument("--load", default="0.3,0.5,0.7",
                    help="the open loops' rates, as fractions of the measured maximum (the sustainable rate is the "
                         "fastest whose p99 stays within 4× its median)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the open loop")
    ap.add_argument("--engine-passes", type=int, default=5, help="passes over the messages for the engine rate")
    ap.add_argument("--client", choices=sorted(CLIENTS), default="stream",
                    help="stream: plain HTTP/1.1 on asyncio streams (default: ~0.06 ms CPU a request); "
                         "httpx: httpx.AsyncClient (~1 ms, which the server's two cores then share)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: tiny numbers")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    a = ap.parse_args(argv)
    if a.quick:
        a.requests, a.concurrency, a.batch, a.seconds, a.engine_passes, a.load = 40, 4, 5, 2.0, 1, "0.5"
    a.requests = max(1, min(a.requests, MAX_REQUESTS))
    a.concurrency = max(1, min(a.concurrency, MAX_CONCURRENCY))
    a.batch = max(0, min(a.batch, 100))
    a.seconds = max(1.0, min(a.seconds, MAX_SECONDS))
    a.loads = [max(0.05, min(float(x), 1.0)) for x in str(a.load).split(",") if x.strip()][:5]
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
          f"{a.requests} requests, {a.concurrency} clients ({a.client})\n")
    print(report)
    if a.json:
        Path(a.json).write_text(json.dumps({"engine": engine, "rows": rows, "options": vars(a)}, indent=1),
                                encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
