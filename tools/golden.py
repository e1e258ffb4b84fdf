"""Record, or compare against, the product's observable output: the verdict of every corpus row and a
scripted terminal-chat session covering every command.

Why: a redesign must not change what users see. ``record`` writes ``tests/golden/``; ``compare``
re-runs the same inputs and lists what changed, so a later change can tell what it altered on purpose
(and re-record with ``record`` when it meant to). Rows from ``../shared/data/public`` are kept as
hashes (that data must not be copied into the repository, and whole verdicts would weigh megabytes):
to see how a row changed, run ``python run.py check --json`` on it here and at the recorded commit.

    python tools/golden.py record
    python tools/golden.py compare
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
PUBLIC = ROOT.parent / "shared" / "data" / "public"
PUBLIC_ROWS = 2000
SESSION = GOLDEN / "chat_session.txt"


def corpus_texts() -> list[tuple[str, str]]:
    """(source, text) for every row of the project's corpora and known_legit.yaml."""
    import yaml

    out = []
    for path in sorted((ROOT / "tests" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append((path.name, json.loads(line)["text"]))
    for item in yaml.safe_load((ROOT / "scam_patterns" / "known_legit.yaml").read_text(encoding="utf-8")):
        text = item["text"] if isinstance(item, dict) else item
        out.append(("known_legit.yaml", text))
    return out


def public_texts() -> list[tuple[str, str]]:
    """A fixed sample of PUBLIC_ROWS rows from the public sets (the same rows every time)."""
    if not PUBLIC.is_dir():
        return []
    files = [PUBLIC / "insurance_related_positives.csv", PUBLIC / "ham_sample.csv",
             PUBLIC / "fbs_insurance_term_lines_all_categories.csv"]
    files += sorted((PUBLIC / "telecom_fraud_texts_5").glob("*.csv"))
    rows: list[tuple[str, str]] = []
    per_file = PUBLIC_ROWS // len(files) + 1
    for f in files:
        with f.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            col = "content" if "content" in (reader.fieldnames or []) else (reader.fieldnames or ["text"])[0]
            for i, r in enumerate(reader):
                if i >= per_file:
                    break
                rows.append((f.name, r.get(col) or ""))
    return rows[:PUBLIC_ROWS]


def _env(tmp: str) -> dict[str, str]:
    env = dict(os.environ)
    env["BOT_DB_PATH"] = str(Path(tmp) / "golden.db")
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env["PYTHONHASHSEED"] = "0"
    return env


def check_jsonl(texts: list[str], tmp: str) -> list[str]:
    """``python run.py check --jsonl`` over the texts; one output line per text."""
    stdin = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "check", "--jsonl"], input=stdin,
                         capture_output=True, text=True, env=_env(tmp), cwd=ROOT, check=True)
    lines = res.stdout.splitlines()
    if len(lines) != len(texts):
        raise SystemExit(f"check --jsonl gave {len(lines)} lines for {len(texts)} texts")
    return lines


def chat_transcript(tmp: str) -> str:
    """The scripted admin chat session: every command, good and bad arguments."""
    script = (GOLDEN / "chat_session.in").read_text(encoding="utf-8")
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "chat", "--admin"], input=script,
                         capture_output=True, text=True, env=_env(tmp), cwd=ROOT, check=True)
    return _undate(res.stdout)


def _undate(text: str) -> str:
    """Today's date and clock times vary between runs: replace them with placeholders."""
    import datetime
    import re

    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    text = re.sub(r"T\d\d:\d\d:\d\dZ", "T<time>Z", text)
    return text.replace(today, "<today>")


def sha(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16]


def current() -> tuple[list[dict[str, str]], str]:
    own, pub = corpus_texts(), public_texts()
    with tempfile.TemporaryDirectory() as tmp:
        lines = check_jsonl([t for _, t in own + pub], tmp)
    with tempfile.TemporaryDirectory() as tmp:
        transcript = chat_transcript(tmp)
    rows = []
    for (src, _), line in zip(own, lines[:len(own)], strict=True):
        rows.append({"source": src, "sha": sha(line)})
    for (src, _), line in zip(pub, lines[len(own):], strict=True):
        rows.append({"source": "public/" + src, "sha": sha(line)})
    return rows, transcript


def record() -> int:
    rows, transcript = current()
    with (GOLDEN / "verdicts.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    SESSION.write_text(transcript, encoding="utf-8")
    print(f"recorded {len(rows)} verdicts and a {len(transcript.splitlines())}-line chat session")
    return 0


def differences() -> list[str]:
    """What differs from the recording, one line per changed row (empty: identical)."""
    rows, transcript = current()
    want = [json.loads(x) for x in (GOLDEN / "verdicts.jsonl").read_text(encoding="utf-8").splitlines()]
    if not any(r["source"].startswith("public/") for r in rows):  # no public data on this machine
        want = [w for w in want if not w["source"].startswith("public/")]
    out = []
    if len(rows) != len(want):
        out.append(f"row count {len(rows)} != recorded {len(want)}")
    for i, (have, w) in enumerate(zip(rows, want, strict=False)):
        if have != w:
            out.append(f"row {i} ({w['source']}) differs")
    if transcript != SESSION.read_text(encoding="utf-8"):
        out.append("chat session differs (diff tests/golden/chat_session.txt against `python tools/golden.py show-chat`)")
    return out


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "compare"
    if cmd == "record":
        return record()
    if cmd == "show-chat":
        with tempfile.TemporaryDirectory() as tmp:
            sys.stdout.write(chat_transcript(tmp))
        return 0
    diffs = differences()
    print("\n".join(diffs[:50]) or "identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
