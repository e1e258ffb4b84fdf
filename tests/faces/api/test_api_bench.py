"""bench/api_load.py still runs end to end (a real server, one worker, tiny numbers), every request
answered 200, and reports what the README quotes; and its stream client speaks HTTP correctly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_api_load_quick_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "api_load.py"), "--quick", "--workers", "1",
                        "--json", str(out)], capture_output=True, text=True, timeout=280, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "In-process engine" in p.stdout and "Failed requests: 0" in p.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    row = report["rows"][0]
    assert row["workers"] == 1 and row["exit_status"] == 0
    assert row["single"]["requests"] == 40 and row["single"]["failures"] == 0 and row["single"]["per_s"] > 0
    assert row["batch"]["texts_per_s"] > 0 and row["healthz"]["failures"] == 0
    assert row["sustained"]["p50_ms"] > 0 and report["engine"]["messages_per_s"] > 0
