"""Measure conversation judging: recall and false-positive rate per message alone vs as a conversation.

For every conversation of the file (lines ``{"label": "scam"|"legit", "messages": [...]}``, e.g.
tests/corpus/conversations.jsonl) the engine judges each message alone and the messages joined, as the
bot does with forwards that arrive together (bot/conversation/batching.py). ``high``/``medium`` count as
"scam". Reported:

* **per message alone, any**: the conversation counts as flagged when at least one of its messages alone
  is — what a user forwarding the chat got before (one reply per message);
* **per message alone, messages**: the share of single messages flagged;
* **as a conversation**: the joined verdict;
* how many scam conversations only the joined verdict catches, and how many flagged conversations
  the joined verdict loses.

    python tools/eval_conversations.py tests/corpus/conversations.jsonl [--json] [--errors N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCAM = ("high", "medium")


def read(path: str) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in ("scam", "legit") or not isinstance(row.get("messages"), list):
            raise ValueError(f"line {n}: needs \"label\" (scam/legit) and a \"messages\" list")
        rows.append(row)
    return rows


def judge_all(engine: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each conversation's risks: alone (per message) and as the bot judges the conversation."""
    from bot.conversation.batching import judge

    out = []
    for r in rows:
        cv = judge(engine, [str(m) for m in r["messages"]], explain=False)
        out.append({"id": r.get("id", ""), "label": r["label"], "alone": list(cv.alone), "joined": cv.verdict.risk})
    return out


def _rate(n: int, d: int) -> float:
    return round(100.0 * n / d, 1) if d else 0.0


def summarize(judged: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures (percentages) for scam and legitimate conversations."""
    res: dict[str, Any] = {}
    for label in ("scam", "legit"):
        rows = [j for j in judged if j["label"] == label]
        msgs = [risk for j in rows for risk in j["alone"]]
        any_alone = sum(any(x in SCAM for x in j["alone"]) for j in rows)
        joined = sum(j["joined"] in SCAM for j in rows)
        res[label] = {
            "conversations": len(rows), "messages": len(msgs),
            "alone_any": _rate(any_alone, len(rows)), "alone_messages": _rate(sum(x in SCAM for x in msgs), len(msgs)),
            "joined": _rate(joined, len(rows)),
            "only_joined": sum(j["joined"] in SCAM and not any(x in SCAM for x in j["alone"]) for j in rows),
            "only_alone": sum(j["joined"] not in SCAM and any(x in SCAM for x in j["alone"]) for j in rows),
        }
    return res


def report(s: dict[str, Any]) -> str:
    sc, lg = s["scam"], s["legit"]
    return "\n".join([
        f"{sc['conversations']} scam conversations ({sc['messages']} messages), "
        f"{lg['conversations']} legitimate ({lg['messages']} messages)",
        "",
        "| judged | recall (scam) | false-positive rate (legit) |",
        "|---|---|---|",
        f"| per message alone: any message flagged | {sc['alone_any']}% | {lg['alone_any']}% |",
        f"| per message alone: share of messages flagged | {sc['alone_messages']}% | {lg['alone_messages']}% |",
        f"| as a conversation | {sc['joined']}% | {lg['joined']}% |",
        "",
        f"scam conversations caught only as a conversation: {sc['only_joined']}; "
        f"flagged alone but not as a conversation: {sc['only_alone']}",
        f"legitimate conversations flagged only as a conversation: {lg['only_joined']}; "
        f"flagged alone but not as a conversation: {lg['only_alone']}",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="recall / false-positive rate per message alone vs as a conversation")
    ap.add_argument("file")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", type=int, default=0, help="list up to N misses and false alarms (ids only)")
    args = ap.parse_args(argv)
    from bot.config import Settings, open_engine

    try:
        rows = read(args.file)
    except (OSError, ValueError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    engine = open_engine(Settings.from_env())
    try:
        judged = judge_all(engine, rows)
    finally:
        engine.close()
    s = summarize(judged)
    print(json.dumps(s, ensure_ascii=False, indent=1) if args.json else report(s))
    if args.errors:
        bad = [j for j in judged if (j["label"] == "scam") != (j["joined"] in SCAM)][: args.errors]
        for j in bad:
            print(f"{'missed' if j['label'] == 'scam' else 'false alarm'}: {j['id']} alone={j['alone']} joined={j['joined']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
