"""What users see stays what was recorded: every corpus verdict and a scripted chat session.

A change that alters output on purpose re-records with ``python tools/golden.py record`` and says so
in its commit; any other difference is a regression."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _golden():
    spec = importlib.util.spec_from_file_location("golden", ROOT / "tools" / "golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_output_matches_the_recording():
    diffs = _golden().differences()
    assert diffs == [], "\n".join(diffs[:20])


def test_recording_covers_every_corpus_row_and_command():
    golden = _golden()
    recorded = (ROOT / "tests" / "golden" / "verdicts.jsonl").read_text(encoding="utf-8").splitlines()
    assert len([r for r in recorded if '"public/' not in r]) == len(golden.corpus_texts())
    script = (ROOT / "tests" / "golden" / "chat_session.in").read_text(encoding="utf-8")
    from bot.conversation import COMMANDS
    for name in COMMANDS:
        assert f"/{name}" in script, name
