"""PolicyGuard speed benchmark (issues 5 and 16): the engine at 1,000-100,000 scripts and 100,000-1,000,000 numbers.

    python bench/run.py                      # the full run (scripts 1000,10000,100000; numbers 100000,1000000)
    python bench/run.py --scripts 10000,100000 --numbers 1000000   # issue 16's check
    python bench/run.py --quick              # a smoke run in well under 2 minutes
    python bench/run.py --scripts 10000 --numbers 1000000 --messages 60

What it does, in one run (so the ratios compare like with like on whatever this machine is doing):

1. Builds databases in a temporary folder: the seeded database plus M reported numbers (one per M), and
   for each N a copy of the largest-M database with N synthetic scam scripts added (``bench/synth.py``),
   their normalized text and content words precomputed exactly as ``admin import`` stores them.
2. For each database, a fresh worker process builds the ``Engine`` and analyses every message of
   ``bench/messages.jsonl`` (scam and legitimate; short SMS and ~1,000-character texts) several times,
   timing beside each call (wall clock and the thread's CPU clock) the two references: plain ``jieba.lcut`` of the same message (the floor: the
   engine must segment each message once) and a brute-force ``rapidfuzz.process.extract`` over every
   stored script (the naive implementation). It reports the peak RSS of that process (engine and index
   loaded, all messages analysed, before the reference jieba's dictionary is loaded into the same process;
   with it, in ``peak_mb_with_reference``) and the verdicts on the labeled corpus.
   With the per-stage breakdown (``bench/stages.py``): each step of ``analyze`` timed on the CPU clock.
3. Start-up to first answer: ``python run.py check TEXT`` as a subprocess against the prepared database,
   from process start to the first byte of the answer (and the process's CPU seconds), beside
   ``python -c "import jieba; jieba.initialize()"``, at the target size and every larger one.
4. Number lookups: ``Engine.lookup`` (parse + registry + look-alike check + primary-key read) and the bare
   primary-key read, for hits and misses, per M.

It prints a table and writes ``bench/out/bench-<stamp>.json`` and ``.md`` (and ``latest.json``/``latest.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

MESSAGES = BENCH / "messages.jsonl"
OUT = BENCH / "out"
LABELED = ROOT / "tests" / "corpus" / "labeled.jsonl"

#: issue 16's targets, as ratios measured in one run (CPU time where the machine is shared)
TARGETS = {"median_vs_jieba": 2.0, "p99_vs_jieba": 4.0, "speedup_vs_brute": 50.0, "growth_10k_to_100k": 1.3,
           "startup_vs_jieba": 1.2, "peak_mb": 250.0}


# --- helpers ----------------------------------------------------------------------------------------------


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def load_messages(limit: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit and limit < len(rows):  # keep the short/long and scam/legit mix
        rows = [rows[round(i * len(rows) / limit)] for i in range(limit)]
    return rows


def peak_kb() -> float:
    """This process's peak resident memory in KiB: ``VmHWM`` (Linux), else ``ru_maxrss``. Not ru_maxrss on
    Linux: it survives ``exec``, so a worker would report the peak of the bench process it was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    import resource

    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def env_for(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BOT_DB_PATH"] = str(db)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def run_worker(args: list[str], db: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(BENCH / "run.py"), "_worker", "--db", str(db), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env_for(db))
    if p.returncode != 0:
        raise SystemExit(f"worker failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def close_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# --- building databases -----------------------------------------------------------------------------------


def build_seed(tmp: Path) -> Path:
    """The seeded database (what a fresh install has), built by the engine itself."""
    from bot.config import Settings, open_engine

    db = tmp / "seed.db"
    e = open_engine(Settings(db_path=str(db)))
    e.close()
    close_db(db)
    return db


def number_rows(m: int):
    """m distinct reported numbers (registry key, type, note, reports, first, last): ``bench/make_bulk.py``'s
    generator (the one bulk-import files are made with), or ``synth.numbers`` where it is absent."""
    try:
        import make_bulk
    except ImportError:
        import synth

        for i, (k, t, note) in enumerate(synth.numbers(m)):
            yield k, t, note, 1 + i % 7, "2024-01-02", "2025-03-04"
        return
    for r in make_bulk.numbers(m):
        yield r["number"], r["type"], r["note"], r["reports"], r["first_reported"], r["last_reported"]


def add_numbers(db: Path, m: int) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "insert or ignore into numbers (number, scam_type, note, reports, first_reported, last_reported, "
            "status, source, created_by, created_at) values (?, ?, ?, ?, ?, ?, 'active', 'import', 'bench', ?)",
            ((*r, stamp) for r in number_rows(m)))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def script_rows(n: int, engine) -> list[tuple[str, str, str, str]]:
    """(type, text, norm, terms JSON) for the first n synthetic scripts, forms computed by the engine."""
    import synth

    rows = []
    for s in synth.scripts(n):
        norm, terms = engine.script_forms(s["text"])
        rows.append((s["type"], s["text"], norm, json.dumps(terms, ensure_ascii=False)))
    return rows


def add_scripts(db: Path, rows: list[tuple[str, str, str, str]]) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "insert into patterns (scam_type, text, norm, terms, status, source, created_by, created_at, updated_at) "
            "values (?, ?, ?, ?, 'active', 'import', 'bench', ?, ?)", ((*r, stamp, stamp) for r in rows))
        conn.execute("insert or replace into meta (key, value) values ('admin_version', ?)", [str(time.time())])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# --- the worker (a fresh process per database) ------------------------------------------------------------


def worker(a: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    import jieba
    from rapidfuzz import fuzz, process

    from bot.config import Settings, open_engine

    jieba.setLogLevel(60)
    e = open_engine(Settings(db_path=str(a.db)))
    build_s = time.perf_counter() - t0
    msgs = load_messages(a.messages)
    texts = [m["text"] for m in msgs]
    for t in texts:  # warm-up: first-call costs (lazy tables, caches) are start-up, not per-message
        e.analyze(t)
    # the engine's own peak, before the reference segmenter's dictionary (~100 MB) joins it in this process
    engine_peak_kb = peak_kb()
    jieba.initialize()
    for t in texts:
        jieba.lcut(t)
    eng: list[list[float]] = [[] for _ in texts]
    jb: list[list[float]] = [[] for _ in texts]
    eng_cpu: list[list[float]] = [[] for _ in texts]
    jb_cpu: list[list[float]] = [[] for _ in texts]
    pc, cpu = time.perf_counter, time.thread_time
    for _ in range(a.repeat):
        for i, t in enumerate(texts):
            c, s = cpu(), pc()
            jieba.lcut(t)
            jb[i].append(pc() - s)
            jb_cpu[i].append(cpu() - c)
            c, s = cpu(), pc()
            e.analyze(t)
            eng[i].append(pc() - s)
            eng_cpu[i].append(cpu() - c)
    total_peak_kb = peak_kb()
    verdicts = [e.analyze(t) for t in texts]
    res: dict[str, Any] = {
        "scripts": len(e.index), "build_s": build_s, "peak_mb": engine_peak_kb / 1024,
        "peak_mb_with_reference": total_peak_kb / 1024,
        "ids": [m["id"] for m in msgs], "size": [m["size"] for m in msgs], "label": [m["label"] for m in msgs],
        "chars": [len(t) for t in texts], "engine": eng, "jieba": jb, "engine_cpu": eng_cpu, "jieba_cpu": jb_cpu,
        "risk": [v.risk for v in verdicts],
    }
    if a.stages:
        import stages

        res["stages"] = stages.breakdown(e, texts, repeat=a.repeat)
    # the naive implementation: normalize, then score every stored script (one core)
    if a.brute:
        norms = [s.norm for s in e.index.scripts.values()]
        pick = list(range(len(texts)))
        if a.brute < len(texts):
            pick = [round(i * len(texts) / a.brute) for i in range(a.brute)]
        brute = {}
        for i in pick:
            s = pc()
            n = e.normalizer(texts[i]).text
            process.extract(n, norms, scorer=fuzz.partial_ratio, limit=3)
            brute[i] = pc() - s
        res["brute"] = brute
    if a.lookups:
        res["lookup"] = lookups(e, a.lookups)
    if a.eval:
        rows = [json.loads(line) for line in Path(a.eval).read_text(encoding="utf-8").splitlines() if line.strip()]
        res["eval"] = [[r["label"], e.analyze(r["text"]).risk] for r in rows]
    print(json.dumps(res))


def lookups(e, k: int) -> dict[str, float]:
    """Median µs of ``Engine.lookup`` and of the bare primary-key read, for reported numbers and misses."""
    from bot.store.numbers import reported as reported_number

    db = e.db.conn
    keys = [r[0] for r in db.execute("select number from numbers where rowid in "
                                     "(select abs(random()) % (select max(rowid) from numbers) + 1 "
                                     f"from numbers limit {k})")]
    r = random.Random(3)
    misses = [f"+86{r.choice(['135', '186', '199'])}{r.randint(0, 99_999_999):08d}" for _ in range(k)]
    raw_hits = [x.replace("+86", "") for x in keys if x.startswith("+86")]
    pc = time.perf_counter
    out: dict[str, float] = {"numbers": db.execute("select count(*) from numbers").fetchone()[0]}
    for name, items, fn in (
        ("pk_hit_us", keys, lambda x: reported_number(e.db, x)),
        ("pk_miss_us", misses, lambda x: reported_number(e.db, x)),
        ("lookup_hit_us", raw_hits, e.lookup),
        ("lookup_miss_us", [x[3:] for x in misses], e.lookup),
    ):
        for x in items[:50]:
            fn(x)
        ts = []
        for x in items:
            s = pc()
            fn(x)
            ts.append(pc() - s)
        out[name] = statistics.median(ts) * 1e6 if ts else float("nan")
    hit = e.lookup(raw_hits[0]) if raw_hits else None
    out["hit_status"] = hit.status if hit else ""
    return out


# --- start-up ---------------------------------------------------------------------------------------------


def first_answer(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from process start to the first byte on its stdout (then it is left to finish), and the
    CPU seconds (user + system) the whole process used: on a shared machine the wall time measures the
    neighbours too, the CPU time mostly not."""
    s = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    assert p.stdout is not None
    p.stdout.read(1)
    t = time.perf_counter() - s
    p.stdout.read()
    _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    return t, usage.ru_utime + usage.ru_stime


def startup(db: Path, runs: int) -> dict[str, Any]:
    env = env_for(db)
    check = [sys.executable, str(ROOT / "run.py"), "check", "您好，我是平安客服，您的保单收益太低，建议退保购买年化10%保本理财"]
    floor = [sys.executable, "-c", "import jieba; jieba.setLogLevel(60); jieba.initialize(); print(1)"]
    first = first_answer(check, env)  # the first start on a new database builds its caches
    first_answer(floor, env)
    eng, jb = [], []
    for _ in range(runs):  # interleaved, so load on the machine hits both alike
        jb.append(first_answer(floor, env))
        eng.append(first_answer(check, env))
    return {"engine_s": statistics.median(x for x, _ in eng), "jieba_s": statistics.median(x for x, _ in jb),
            "engine_cpu_s": statistics.median(c for _, c in eng), "jieba_cpu_s": statistics.median(c for _, c in jb),
            "cpu_ratio": statistics.median(a[1] / b[1] for a, b in zip(eng, jb, strict=True)),
            "first_run_s": first[0], "first_run_cpu_s": first[1], "engine_runs": eng, "jieba_runs": jb}


# --- the report -------------------------------------------------------------------------------------------


def summarize(w: dict[str, Any]) -> dict[str, Any]:
    eng_all = [x for xs in w["engine"] for x in xs]
    jb_all = [x for xs in w["jieba"] for x in xs]
    eng_med = [statistics.median(xs) for xs in w["engine"]]
    jb_med = [statistics.median(xs) for xs in w["jieba"]]
    out = {
        "scripts": w["scripts"], "peak_mb": w["peak_mb"], "build_s": w["build_s"],
        "peak_mb_with_reference": w.get("peak_mb_with_reference", w["peak_mb"]),
        "median_us": statistics.median(eng_all) * 1e6, "p99_us": pct(eng_all, 99) * 1e6,
        "jieba_median_us": statistics.median(jb_all) * 1e6, "jieba_p99_us": pct(jb_all, 99) * 1e6,
        # each message's median engine time ÷ its median jieba time ("… of the same message")
        "per_message_ratio_median": statistics.median(a / b for a, b in zip(eng_med, jb_med, strict=True)),
        "per_message_ratio_p99": pct([a / b for a, b in zip(eng_med, jb_med, strict=True)], 99),
        "per_message_ratio_max": max(a / b for a, b in zip(eng_med, jb_med, strict=True)),
        "throughput_per_s": len(eng_all) / sum(eng_all),
    }
    if w.get("engine_cpu"):
        ec = [statistics.median(xs) for xs in w["engine_cpu"]]
        jc = [statistics.median(xs) for xs in w["jieba_cpu"]]
        ratios = [a / b for a, b in zip(ec, jc, strict=True) if b > 0]
        out["cpu_median_us"] = statistics.median(ec) * 1e6
        out["cpu_jieba_median_us"] = statistics.median(jc) * 1e6
        out["cpu_ratio_median"] = statistics.median(ratios)
        out["cpu_ratio_p99"] = pct(ratios, 99)
        for size in ("short", "long"):
            r = [a / b for a, b, sz in zip(ec, jc, w["size"], strict=True) if sz == size and b > 0]
            if r:
                out[f"cpu_ratio_{size}"] = statistics.median(r)
    if w.get("stages"):
        out["stages_median_us"] = w["stages"]["median_us"]
        out["stages_mean_us"] = w["stages"]["mean_us"]
        out["stages_same_verdicts"] = f"{w['stages']['same_verdicts']}/{w['stages']['messages']}"
    out["median_vs_jieba"] = out["median_us"] / out["jieba_median_us"]
    out["p99_vs_jieba"] = out["p99_us"] / out["jieba_p99_us"]
    for size in ("short", "long"):
        idx = [i for i, s in enumerate(w["size"]) if s == size]
        if idx:
            e_s = [x for i in idx for x in w["engine"][i]]
            j_s = [x for i in idx for x in w["jieba"][i]]
            out[f"{size}_median_us"] = statistics.median(e_s) * 1e6
            out[f"{size}_jieba_median_us"] = statistics.median(j_s) * 1e6
    if w.get("brute"):
        b = {int(k): v for k, v in w["brute"].items()}
        out["brute_median_us"] = statistics.median(b.values()) * 1e6
        out["speedup_vs_brute"] = statistics.median(b[i] / eng_med[i] for i in b)
    return out


def fmt_table(rows: list[dict[str, Any]], starts: dict[int, dict[str, Any]], look: list[dict[str, Any]],
              meta: dict[str, Any]) -> str:
    lines = [
        f"PolicyGuard benchmark — {meta['when']} — {meta['machine']} — {meta['messages']} messages × "
        f"{meta['repeat']} runs (engine and references timed in the same process, interleaved)",
        "",
        "| scripts | numbers | median µs | p99 µs | jieba median µs | jieba p99 µs | ÷ jieba, per message: median "
        "| p99 | median ÷ median | p99 ÷ p99 | brute median µs | brute ÷ engine | msgs/s (1 core) | peak MB "
        "| start-up s | start-up ÷ jieba init |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        st = starts.get(r["scripts_added"])
        su = f"{st['engine_s']:.2f} (jieba {st['jieba_s']:.2f})" if st else "—"
        sr = f"{st['engine_s'] / st['jieba_s']:.2f}×" if st else "—"
        bm = f"{r['brute_median_us']:,.0f}" if "brute_median_us" in r else "—"
        bs = f"{r['speedup_vs_brute']:,.0f}×" if "speedup_vs_brute" in r else "—"
        lines.append(
            f"| {r['scripts']:,} | {r['numbers']:,} | {r['median_us']:,.0f} | {r['p99_us']:,.0f} | "
            f"{r['jieba_median_us']:,.0f} | {r['jieba_p99_us']:,.0f} | {r['per_message_ratio_median']:.2f}× | "
            f"{r['per_message_ratio_p99']:.2f}× | {r['median_vs_jieba']:.2f}× | "
            f"{r['p99_vs_jieba']:.2f}× | {bm} | {bs} | {r['throughput_per_s']:,.0f} | {r['peak_mb']:.0f} | {su} | {sr} |")
    lines += ["", "| by size | scripts | engine median µs | jieba median µs | ratio |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        for size in ("short", "long"):
            if f"{size}_median_us" in r:
                lines.append(f"| {size} | {r['scripts']:,} | {r[f'{size}_median_us']:,.0f} | "
                             f"{r[f'{size}_jieba_median_us']:,.0f} | "
                             f"{r[f'{size}_median_us'] / r[f'{size}_jieba_median_us']:.2f}× |")
    lines += ["", "CPU time (thread CPU clock; each message's median engine CPU ÷ its median `jieba.lcut` CPU):", "",
              "| scripts | engine CPU median µs | jieba CPU median µs | ratio median | ratio p99 | short | long |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "cpu_ratio_median" in r:
            lines.append(f"| {r['scripts']:,} | {r['cpu_median_us']:,.0f} | {r['cpu_jieba_median_us']:,.0f} | "
                         f"{r['cpu_ratio_median']:.2f}× | {r['cpu_ratio_p99']:.2f}× | {r.get('cpu_ratio_short', 0):.2f}× | "
                         f"{r.get('cpu_ratio_long', 0):.2f}× |")
    staged = [r for r in rows if r.get("stages_median_us")]
    if staged:
        names = list(staged[0]["stages_median_us"])
        lines += ["", "Per stage, CPU µs per message (median over messages; mean in brackets); `render_json` is outside "
                      "`analyze`:", "", "| scripts | " + " | ".join(names) + " | staged = analyze |",
                  "|---:|" + "---:|" * (len(names) + 1)]
        for r in staged:
            cells = [f"{r['stages_median_us'][k]:,.0f} ({r['stages_mean_us'][k]:,.0f})" for k in names]
            lines.append(f"| {r['scripts']:,} | " + " | ".join(cells) + f" | {r['stages_same_verdicts']} |")
    if starts:
        lines += ["", "| start-up at scripts | first start s (builds caches) | wall s | jieba init wall s | wall ratio "
                      "| CPU s | jieba init CPU s | CPU ratio |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for n, st in sorted(starts.items()):
            lines.append(f"| {n:,} | {st['first_run_s']:.2f} | {st['engine_s']:.2f} | {st['jieba_s']:.2f} | "
                         f"{st['engine_s'] / st['jieba_s']:.2f}× | {st['engine_cpu_s']:.2f} | {st['jieba_cpu_s']:.2f} | "
                         f"{st['cpu_ratio']:.2f}× |")
    lines += ["", "| numbers stored | Engine.lookup hit µs | lookup miss µs | primary-key read hit µs | miss µs |",
              "|---:|---:|---:|---:|---:|"]
    for lk in look:
        lines.append(f"| {lk['numbers']:,} | {lk['lookup_hit_us']:.1f} | {lk['lookup_miss_us']:.1f} | "
                     f"{lk['pk_hit_us']:.1f} | {lk['pk_miss_us']:.1f} |")
    return "\n".join(lines)


def check_targets(rows: list[dict[str, Any]], starts: dict[int, dict[str, Any]], look: list[dict[str, Any]],
                  evals: dict[str, Any], target_n: int) -> list[tuple[str, bool, str]]:
    """Issue 16's targets, on CPU-time ratios (wall-time ratios are in the tables beside them)."""
    out: list[tuple[str, bool, str]] = []
    tgt = next((r for r in rows if r["scripts_added"] == target_n), rows[-1])
    med = tgt.get("cpu_ratio_median", tgt["per_message_ratio_median"])
    out.append((f"median ≤ {TARGETS['median_vs_jieba']:g}× jieba (per message, CPU)", med <= TARGETS["median_vs_jieba"],
                f"{med:.2f}× at {tgt['scripts']:,} scripts (wall {tgt['per_message_ratio_median']:.2f}×)"))
    p99 = tgt.get("cpu_ratio_p99", tgt["per_message_ratio_p99"])
    out.append((f"p99 ≤ {TARGETS['p99_vs_jieba']:g}× jieba (per message, CPU)", p99 <= TARGETS["p99_vs_jieba"],
                f"{p99:.2f}× (wall {tgt['per_message_ratio_p99']:.2f}×)"))
    if "speedup_vs_brute" in tgt:
        out.append(("≥ 50× faster than brute force", tgt["speedup_vs_brute"] >= TARGETS["speedup_vs_brute"],
                    f"{tgt['speedup_vs_brute']:.0f}×"))
    big = [r for r in rows if r["scripts_added"] > target_n]
    if big:
        hi = big[-1]
        key = "cpu_median_us" if "cpu_median_us" in hi else "median_us"
        g = hi[key] / tgt[key]
        out.append((f"{tgt['scripts']:,} → {hi['scripts']:,} scripts: ≤ {TARGETS['growth_10k_to_100k']:g}× (median CPU)",
                    g <= TARGETS["growth_10k_to_100k"], f"{g:.2f}× (p99 {hi['p99_us'] / tgt['p99_us']:.2f}× wall)"))
    for n, st in sorted(starts.items()):
        if n >= target_n:
            out.append((f"start-up ≤ {TARGETS['startup_vs_jieba']:g}× jieba init at {n:,} scripts (CPU)",
                        st["cpu_ratio"] <= TARGETS["startup_vs_jieba"],
                        f"{st['engine_cpu_s']:.2f} s vs {st['jieba_cpu_s']:.2f} s CPU = {st['cpu_ratio']:.2f}× "
                        f"(wall {st['engine_s']:.2f} s vs {st['jieba_s']:.2f} s = {st['engine_s'] / st['jieba_s']:.2f}×)"))
    out.append((f"peak memory < {TARGETS['peak_mb']:g} MB at {tgt['scripts']:,} scripts", tgt["peak_mb"] < TARGETS["peak_mb"],
                f"{tgt['peak_mb']:.0f} MB"))
    if len(look) >= 2:
        a, b = look[0], look[-1]
        out.append(("lookups µs, independent of M", b["pk_hit_us"] < 1000 and b["pk_hit_us"] <= 3 * a["pk_hit_us"],
                    f"PK read {a['pk_hit_us']:.1f} µs at {a['numbers']:,} vs {b['pk_hit_us']:.1f} µs at {b['numbers']:,}"))
    if evals:
        out.append(("corpus verdicts unchanged vs the seeded DB", evals["changed"] == 0,
                    f"{evals['changed']} of {evals['total']} changed; recall {evals['recall']}, FPR {evals['fpr']}"))
    return out


def eval_compare(base: list[list[str]], big: list[list[str]]) -> dict[str, Any]:
    def scam(risk: str) -> bool:
        return risk in ("high", "medium")

    def rates(rows: list[list[str]]) -> tuple[str, str]:
        pos = [r for r in rows if r[0] == "scam"]
        neg = [r for r in rows if r[0] != "scam"]
        rec = sum(scam(r[1]) for r in pos) / max(1, len(pos))
        fpr = sum(scam(r[1]) for r in neg) / max(1, len(neg))
        return f"{rec:.1%}", f"{fpr:.1%}"

    changed = [i for i, (a, b) in enumerate(zip(base, big, strict=True)) if scam(a[1]) != scam(b[1])]
    risk_changed = sum(1 for a, b in zip(base, big, strict=True) if a[1] != b[1])
    r0, f0 = rates(base)
    r1, f1 = rates(big)
    return {"total": len(base), "changed": len(changed), "changed_lines": [i + 1 for i in changed],
            "risk_level_changed": risk_changed, "recall_seed": r0, "fpr_seed": f0, "recall": r1, "fpr": f1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scripts", default="1000,10000,100000", help="synthetic scripts per database, comma-separated")
    ap.add_argument("--numbers", default="100000,1000000", help="reported numbers per database, comma-separated")
    ap.add_argument("--messages", type=int, default=0, help="use only this many of bench/messages.jsonl (0: all)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per message")
    ap.add_argument("--brute", type=int, default=24, help="messages timed against the brute-force scan (0: none)")
    ap.add_argument("--startup-runs", type=int, default=5)
    ap.add_argument("--target", type=int, default=10000, help="the script count the targets are checked at")
    ap.add_argument("--no-eval", action="store_true", help="skip the labeled-corpus comparison")
    ap.add_argument("--no-stages", action="store_true", help="skip the per-stage breakdown")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, few runs: a smoke test (< 2 minutes)")
    ap.add_argument("--keep", metavar="DIR", help="build the databases in DIR and keep them (default: a temp dir)")
    ap.add_argument("--out", default=str(OUT), help="where the JSON and markdown reports go")
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["_worker"]:
        wp = argparse.ArgumentParser()
        wp.add_argument("--db", required=True)
        wp.add_argument("--messages", type=int, default=0)
        wp.add_argument("--repeat", type=int, default=5)
        wp.add_argument("--brute", type=int, default=0)
        wp.add_argument("--lookups", type=int, default=0)
        wp.add_argument("--eval", default="")
        wp.add_argument("--stages", action="store_true")
        worker(wp.parse_args(argv[1:]))
        return 0
    a = ap.parse_args(argv)
    if a.quick:
        a.scripts = "200,1000" if a.scripts == ap.get_default("scripts") else a.scripts
        a.numbers = "2000,20000" if a.numbers == ap.get_default("numbers") else a.numbers
        a.messages = a.messages or 12
        a.repeat = min(a.repeat, 2)
        a.brute = min(a.brute, 4)
        a.startup_runs = min(a.startup_runs, 1)
        a.no_eval = True
        a.target = int(a.scripts.split(",")[-1]) if a.target == ap.get_default("target") else a.target
    n_list = sorted({int(x) for x in a.scripts.split(",") if x.strip()})
    m_list = sorted({int(x) for x in a.numbers.split(",") if x.strip()})
    target = a.target if a.target in n_list else n_list[min(len(n_list) - 1, 1)]
    t_start = time.perf_counter()
    tmp_ctx = None
    if a.keep:
        tmp = Path(a.keep)
        tmp.mkdir(parents=True, exist_ok=True)
    else:
        tmp_ctx = tempfile.TemporaryDirectory(prefix="pg-bench-")
        tmp = Path(tmp_ctx.name)
    try:
        return _run(a, n_list, m_list, target, tmp, t_start)
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()


def _run(a: argparse.Namespace, n_list: list[int], m_list: list[int], target: int, tmp: Path, t_start: float) -> int:
    from bot.config import Settings, open_engine

    log(f"building databases in {tmp}")
    seed_db = build_seed(tmp)
    by_m: dict[int, Path] = {}
    for m in m_list:
        p = tmp / f"numbers-{m}.db"
        shutil.copy(seed_db, p)
        t = time.perf_counter()
        add_numbers(p, m)
        by_m[m] = p
        log(f"  {m:,} numbers: {time.perf_counter() - t:.1f} s")
    m_max = max(m_list)
    e = open_engine(Settings(db_path=str(seed_db)))
    t = time.perf_counter()
    all_rows = script_rows(max(n_list), e)
    e.close()
    log(f"  {max(n_list):,} synthetic scripts, forms computed: {time.perf_counter() - t:.1f} s")
    by_n: dict[int, Path] = {}
    for n in n_list:
        p = tmp / f"scripts-{n}-numbers-{m_max}.db"
        shutil.copy(by_m[m_max], p)
        add_scripts(p, all_rows[:n])
        by_n[n] = p
    common = ["--messages", str(a.messages), "--repeat", str(a.repeat)]
    rows: list[dict[str, Any]] = []
    evals: dict[str, Any] = {}
    base_eval = None
    if not a.no_eval:
        log("seeded database: verdicts on the labeled corpus")
        w0 = run_worker([*common, "--eval", str(LABELED)], seed_db)
        base_eval = w0["eval"]
        s0 = summarize(w0)
        rows.append({**s0, "scripts_added": 0, "numbers": 0})
    worker_out: dict[int, dict[str, Any]] = {}
    for n in n_list:
        log(f"{n:,} scripts: timing {a.messages or 'all'} messages × {a.repeat}")
        extra = ["--brute", str(a.brute)] + (["--stages"] if not a.no_stages else [])
        if n == target and base_eval is not None:
            extra += ["--eval", str(LABELED)]
        w = run_worker([*common, *extra], by_n[n])
        worker_out[n] = w
        rows.append({**summarize(w), "scripts_added": n, "numbers": m_max})
        if "eval" in w and base_eval is not None:
            evals = eval_compare(base_eval, w["eval"])
    look = []
    for m in m_list:
        log(f"{m:,} numbers: lookups")
        k = 2000 if not a.quick else 300
        look.append(run_worker(["--messages", "1", "--repeat", "1", "--lookups", str(k)], by_m[m])["lookup"])
    starts: dict[int, dict[str, Any]] = {}
    for n in sorted({target} if a.quick else {x for x in n_list if x >= target} | {target}):
        log(f"{n:,} scripts: start-up to first answer")
        starts[n] = startup(by_n[n], a.startup_runs)
    meta = {"when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "messages": len(load_messages(a.messages)),
            "repeat": a.repeat, "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "load_avg": os.getloadavg(), "quick": a.quick, "target_scripts": target, "elapsed_s": 0.0}
    table = fmt_table([r for r in rows if r["scripts_added"] or not r["numbers"]], starts, look, meta)
    targets = check_targets([r for r in rows if r["scripts_added"]], starts, look, evals, target)
    meta["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    lines = [table, "", "| target | met | measured |", "|---|:-:|---|"]
    lines += [f"| {name} | {'yes' if ok else '**no**'} | {how} |" for name, ok, how in targets]
    if evals:
        lines += ["", f"Labeled corpus ({evals['total']} messages): seeded DB recall {evals['recall_seed']}, FPR "
                      f"{evals['fpr_seed']}; with {target:,} synthetic scripts recall {evals['recall']}, FPR {evals['fpr']}; "
                      f"verdicts changed: {evals['changed']} {evals['changed_lines'] or ''} (risk level changed: "
                      f"{evals['risk_level_changed']})."]
    lines += ["", f"Load average during the run: {', '.join(f'{x:.1f}' for x in meta['load_avg'])}; "
                  f"whole run {meta['elapsed_s']} s. Reproduce: `python bench/run.py"
                  + (" --quick" if a.quick else f" --scripts {','.join(map(str, n_list))} --numbers "
                     f"{','.join(map(str, m_list))}") + "`"]
    md = "\n".join(lines)
    print(md)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {"meta": meta, "rows": rows, "startup": starts, "lookups": look, "eval": evals,
              "targets": [{"target": n, "met": ok, "measured": how} for n, ok, how in targets]}
    for name in (f"bench-{stamp}", "latest" + ("-quick" if a.quick else "")):
        (out / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / f"{name}.md").write_text(md + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
