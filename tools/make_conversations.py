"""Build tests/corpus/conversations.jsonl: multi-message conversations, split from the corpora's rows.

Why split rows: a forwarded "customer service" chat arrives as several short messages — greeting, what
the caller knew, the offer, the contact — and the corpora's longer rows are such chats written as one
text. Each chosen row is cut at its sentence and clause ends and the pieces are merged, in order, into
3-4 messages of similar length (2 for shorter rows), the way a chat's bubbles read. The conversation
keeps the row's label and type and says where it came from; ``text`` is the messages joined, one per
line, as the bot judges them (so ``python run.py eval`` and the tools that read every corpus's ``text``
read this file too).

Which rows: only the corpora we tune on or leave out of training, never the held-out ones
(``heldout.jsonl``, ``real_test.jsonl`` stay held out), and never pinyin-only rows. Rows are taken in
file order, hard legitimate rows (agents' follow-ups, renewals, family chat, warnings…) first, up to a
quota per file; nothing is chosen by what the engine says about it.

    python tools/make_conversations.py            # writes tests/corpus/conversations.jsonl
    python tools/make_conversations.py --check    # exit 1 if the file is not what this would write
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
OUT = CORPUS / "conversations.jsonl"
#: (file, scam quota, legit quota): dev3 first (never trained on), then the tuned-on corpora.
QUOTAS = (("dev3.jsonl", 40, 35), ("dev2.jsonl", 25, 25), ("train.jsonl", 20, 20), ("train2.jsonl", 10, 10),
          ("labeled.jsonl", 5, 10))
HELD_OUT = {"heldout.jsonl", "real_test.jsonl"}
HARD_LEGIT = {"agent_real", "renewal", "family_chat", "visit", "claim_real", "surrender_paid", "loan_real",
              "antifraud_warning", "bank_real"}
MIN_CHARS = 40
CLAUSE = re.compile(r"(?<=[。！？!?；;\n，])|(?<=,)(?!\d)")


def clauses(text: str) -> list[str]:
    return [c for c in (p.strip() for p in CLAUSE.split(text)) if c]


def split_messages(text: str) -> list[str]:
    """The text as 2-4 messages: clauses merged in order into pieces of about equal length."""
    parts = clauses(text)
    n = 4 if len(text) >= 120 and len(parts) >= 4 else 3 if len(parts) >= 3 else 2
    n = min(n, len(parts))
    target = len(text) / n
    out: list[str] = []
    cur = ""
    for i, p in enumerate(parts):
        cur += p
        left_parts, left_msgs = len(parts) - i - 1, n - len(out) - 1
        if left_msgs > 0 and (len(cur) >= target or left_parts == left_msgs):
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def wanted(row: dict) -> bool:
    return (isinstance(row.get("text"), str) and len(row["text"]) >= MIN_CHARS and len(clauses(row["text"])) >= 2
            and "pinyin" not in (row.get("tags") or []) and row.get("label") in ("scam", "legit"))


def conversations() -> list[dict]:
    out = []
    for name, scam_quota, legit_quota in QUOTAS:
        assert name not in HELD_OUT
        rows = [(i, json.loads(line)) for i, line in enumerate((CORPUS / name).read_text(encoding="utf-8").splitlines(), 1)
                if line.strip()]
        rows = [(i, r) for i, r in rows if wanted(r)]
        scams = [(i, r) for i, r in rows if r["label"] == "scam"][:scam_quota]
        legit = [(i, r) for i, r in rows if r["label"] == "legit"]
        legit.sort(key=lambda x: (not set(x[1].get("tags") or []) & HARD_LEGIT, x[0]))
        for i, r in sorted(scams + legit[:legit_quota], key=lambda x: x[0]):
            msgs = split_messages(r["text"])
            if len(msgs) < 2:
                continue
            out.append({"id": f"{name.removesuffix('.jsonl')}:{i}", "label": r["label"], "type": r.get("type", ""),
                        "tags": r.get("tags") or [], "source": f"tests/corpus/{name} line {i}", "messages": msgs,
                        "text": "\n".join(msgs)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that the file is up to date")
    args = ap.parse_args(argv)
    text = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations())
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} differs from what tools/make_conversations.py writes")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    print(f"wrote {OUT.relative_to(ROOT)}: {sum(r['label'] == 'scam' for r in rows)} scam, "
          f"{sum(r['label'] == 'legit' for r in rows)} legit conversations, "
          f"{sum(len(r['messages']) for r in rows)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
