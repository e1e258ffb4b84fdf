"""OCR benchmark: model load, time per fixture screenshot, and what a screenshot costs other users.

    python bench/ocr_bench.py                 # defaults: 3 warm runs per screenshot
    python bench/ocr_bench.py --repeat 5 --threads 1

Prints, for the screenshots in tests/fixtures/screenshots/:
1. cold start: importing rapidocr/onnxruntime/cv2 and loading the models (what the first screenshot
   of a process pays on top of its recognition, since the model is loaded lazily), and the process's
   memory before/after;
2. per screenshot: the first recognition (cold) and the median of ``--repeat`` warm ones, with the
   image size, lines read and confidence;
3. contention: the latency of analysing a text message (Engine.analyze, in the main thread — as the
   bot's engine thread answers another user) when idle, and while screenshots are being read on the
   OCR worker thread (bot.ocr.read_image_async's executor); and the OCR time with and without that
   competing text traffic.

Timings depend on the machine and on what else runs on it: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHOTS = ROOT / "tests" / "fixtures" / "screenshots"
CORPUS = ROOT / "tests" / "corpus" / "labeled.jsonl"


def rss_mb() -> float:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def texts(n: int) -> list[str]:
    out = []
    if CORPUS.exists():
        for line in CORPUS.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line)["text"])
            except (ValueError, KeyError):
                continue
            if len(out) >= n:
                break
    return out or ["【中国人寿】尊敬的客户，您的保单可提前退保转购年化10%保本理财，详询13912345678"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="OCR timings: model load, per screenshot, contention with text")
    ap.add_argument("--repeat", type=int, default=3, help="warm runs per screenshot (median reported)")
    ap.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: its default)")
    ap.add_argument("--texts", type=int, default=40, help="text messages analysed in the contention test")
    args = ap.parse_args(argv)

    from bot.pipeline import ocr

    ocr.OCR_THREADS = args.threads
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"ONNX Runtime threads: {args.threads or 'default'}")

    # 1. cold start
    before = rss_mb()
    started = time.perf_counter()
    import rapidocr_onnxruntime  # noqa: F401 - timed on its own

    t_import = time.perf_counter() - started
    t_load = ocr.preload()
    print(f"\n1. cold start: import {t_import:.2f} s, model load {t_load:.2f} s; "
          f"memory {before:.0f} → {rss_mb():.0f} MB")

    # 2. per screenshot
    shots = sorted(SHOTS.glob("*.png"))
    print(f"\n2. per screenshot (warm: median of {args.repeat})")
    print("   (first/warm: wall-clock seconds; cpu: CPU seconds of one warm run, all threads — less\n"
          "    sensitive to other load on the machine)")
    print(f"   {'screenshot':32} {'size':>9} {'lines':>5} {'conf':>5} {'first':>7} {'warm':>7} {'cpu':>7}")
    warm_all = []
    for p in shots:
        data = p.read_bytes()
        res = ocr.read_image(data)
        first = res.seconds
        warm, cpu = [], []
        for _ in range(args.repeat):
            c = time.process_time()
            warm.append(ocr.read_image(data).seconds)
            cpu.append(time.process_time() - c)
        warm_all.extend(warm)
        print(f"   {p.name:32} {res.width:>4}x{res.height:<4} {res.lines:>5} {res.confidence:>5.2f} "
              f"{first:>6.2f}s {statistics.median(warm):>6.2f}s {statistics.median(cpu):>6.2f}s")
    print(f"   all warm runs: median {statistics.median(warm_all):.2f} s, max {max(warm_all):.2f} s; "
          f"peak memory so far {peak_mb():.0f} MB")

    # 3. contention: text analysis in the main thread while the OCR worker reads screenshots
    from bot.config import Settings, open_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(Settings(db_path=str(Path(tmp) / "bench.db")))
        msgs = texts(args.texts)
        for m in msgs[:5]:
            engine.analyze(m)  # warm the engine
        idle = []
        for m in msgs:
            t = time.perf_counter()
            engine.analyze(m)
            idle.append((time.perf_counter() - t) * 1000)

        data = (SHOTS / "chat_agent_surrender.png").read_bytes()
        solo = [ocr.read_image(data).seconds for _ in range(2)]
        busy: list[float] = []
        ocr_times: list[float] = []
        done = threading.Event()

        def reader() -> None:
            for _ in range(2):
                ocr_times.append(ocr._executor().submit(ocr.read_image, data).result().seconds)
            done.set()

        th = threading.Thread(target=reader)
        th.start()
        i = 0
        while not done.is_set():
            t = time.perf_counter()
            engine.analyze(msgs[i % len(msgs)])
            busy.append((time.perf_counter() - t) * 1000)
            i += 1
            time.sleep(0.02)  # a message every ~20 ms: a busy bot, not a tight loop
        th.join()
        engine.close()
    ocr.shutdown()

    print("\n3. a text message from another user (Engine.analyze, ms)")
    print(f"   idle:                     median {statistics.median(idle):6.1f}  p95 {pct(idle, 95):6.1f}  "
          f"max {max(idle):6.1f}  (n={len(idle)})")
    print(f"   while a screenshot is read: median {statistics.median(busy):6.1f}  p95 {pct(busy, 95):6.1f}  "
          f"max {max(busy):6.1f}  (n={len(busy)})")
    print(f"   the screenshot (chat_agent_surrender.png): alone {statistics.median(solo):.2f} s, "
          f"with the text traffic {statistics.median(ocr_times):.2f} s")
    return 0


def peak_mb() -> float:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except (ImportError, OSError):
        return float("nan")


if __name__ == "__main__":
    sys.exit(main())
