"""The benchmark (bench/run.py) still runs end to end, at tiny sizes, and writes its report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_quick_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--scripts", "50,200", "--numbers", "500,2000",
         "--messages", "6", "--startup-runs", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=280, cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert "÷ jieba, per message" in p.stdout and "brute ÷ engine" in p.stdout
    report = json.loads((out / "latest-quick.json").read_text(encoding="utf-8"))
    rows = [r for r in report["rows"] if r["scripts_added"]]
    assert [r["scripts_added"] for r in rows] == [50, 200]
    assert all(r["median_us"] > 0 and r["jieba_median_us"] > 0 and r["peak_mb"] > 0 for r in rows)
    assert [lk["numbers"] for lk in report["lookups"]] == [500, 2000]
    assert all(lk["hit_status"] == "reported" for lk in report["lookups"])
    assert report["startup"] and (out / "latest-quick.md").exists()
    # issue 16's columns: CPU-time ratios, the per-stage breakdown (checked against analyze), start-up CPU
    assert all(r["cpu_ratio_median"] > 0 and r["cpu_median_us"] > 0 for r in rows)
    assert all(r["stages_same_verdicts"] == "6/6" and r["stages_median_us"]["normalize"] > 0 for r in rows)
    assert all(st["engine_cpu_s"] > 0 and st["jieba_cpu_s"] > 0 for st in report["startup"].values())
    assert "CPU ratio" in p.stdout and "Per stage" in p.stdout
