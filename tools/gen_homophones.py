"""Generate knowledge/homophones.yaml: same-sound spellings of the key words scammers disguise.

Scammers swap one character of a keyword for another with the same pronunciation (理陪款, 手绪费, 验证马,
冻节, 全鹅退保) so that keyword filters miss it. For every key word (the `variants` keys and
`pinyin_keywords` of knowledge/normalization.yaml, plus `homophone_keywords`) this writes each spelling
that replaces ONE character by a common character (GB2312 level 1) with exactly the same pinyin and
tone — and keeps it only if it cannot be ordinary text:
  * it is not a word in jieba's dictionary (报单, 年画, 克服 are words: dropped);
  * it never occurs in the known-legitimate corpora given on the command line (this drops
    spellings that arise across word boundaries in ordinary text, e.g. 里才 in 这里才是);
  * it never straddles a word boundary in the project's own corpora (tests/corpus/*.jsonl, scam and
    legitimate rows alike: a scam's other words are ordinary words): 收医 in 回收|医保卡 is not 收益.

    python tools/gen_homophones.py ../shared/data/public/ham_sample.csv ../shared/data/public/telecom_fraud_texts_5/label00-last.utf8.csv ...

The engine reads the result as extra `variants` (knowledge/normalization.yaml's own entries win).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.pinyin_dict import pinyin_dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.pipeline.normalize import _is_han, basic, to_simplified  # noqa: E402


def level1(ch: str) -> bool:
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def sound_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    for cp in sorted(pinyin_dict):
        ch = chr(cp)
        if not level1(ch):
            continue
        for syl in pinyin([ch], style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)[0]:
            table[syl].append(ch)
    return table


def jieba_words() -> set[str]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    return {line.split(" ", 1)[0] for line in path.read_text(encoding="utf-8").splitlines() if line}


def legit_text(paths: list[str]) -> str:
    parts = []
    for p in paths:
        t = Path(p).read_text(encoding="utf-8", errors="replace")
        parts.append(to_simplified(basic(t).text).replace(" ", ""))
    return "\n".join(parts)


def corpus_texts() -> list[str]:
    """Every text of tests/corpus/*.jsonl, normalized like the legitimate corpora."""
    import json

    texts = []
    for path in sorted((ROOT / "tests" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(to_simplified(basic(str(json.loads(line).get("text", ""))).text).replace(" ", ""))
    return texts


def _inner_bounds(tokens: list[str]) -> set[int]:
    """The offsets of the word boundaries inside a segmented word."""
    bounds, pos = set(), 0
    for tok in tokens[:-1]:
        pos += len(tok)
        bounds.add(pos)
    return bounds


def straddling(texts: list[str], candidates: dict[str, str]) -> set[str]:
    """The candidate spellings (spelling -> its key word) that occur in ``texts`` with a jieba word boundary
    inside them where the key word itself has none (指定|帐户 splits like 指定|账户 and stays)."""
    import jieba

    own = {w: _inner_bounds(jieba.lcut(w)) for w in set(candidates.values())}
    found = set()
    for t in texts:
        hits = [f for f in candidates if f in t]
        if not hits:
            continue
        bounds = _inner_bounds(jieba.lcut(t))
        for f in hits:
            start = t.find(f)
            while start >= 0:
                if any(start < b < start + len(f) and b - start not in own[candidates[f]] for b in bounds):
                    found.add(f)
                start = t.find(f, start + 1)
    return found


def main(argv: list[str]) -> int:
    norm = yaml.safe_load((ROOT / "knowledge" / "normalization.yaml").read_text(encoding="utf-8"))
    words = set(norm.get("variants") or {}) | set(norm.get("pinyin_keywords") or []) | set(norm.get("homophone_keywords") or [])
    # Cantonese function words (我哋 → 我们 …) are variants too, but nobody disguises them
    words -= {canon for canon, spellings in (norm.get("variants") or {}).items()
              if spellings and all(len(s) <= 2 and all(_is_han(c) for c in s) for s in spellings)
              and canon not in (norm.get("homophone_keywords") or [])}
    words = sorted(w for w in words if 2 <= len(w) <= 6 and all(_is_han(c) for c in w))
    taken = {s for spellings in (norm.get("variants") or {}).values() for s in spellings or []}
    table = sound_table()
    dictionary = jieba_words()
    corpus = legit_text(argv[1:])
    out: dict[str, list[str]] = {}
    for w in words:
        syls = lazy_pinyin(w, style=Style.TONE3, neutral_tone_with_five=True)
        forms = set()
        for i, (ch, syl) in enumerate(zip(w, syls, strict=True)):
            for alt in table.get(syl, []):
                if alt == ch:
                    continue
                f = w[:i] + alt + w[i + 1 :]
                if f in dictionary or f in taken or f in words or f in corpus:
                    continue
                forms.add(f)
        if forms:
            out[w] = forms
    crossing = straddling(corpus_texts(), {f: w for w, forms in out.items() for f in forms})
    out = {w: sorted(forms - crossing) for w, forms in out.items() if forms - crossing}
    header = (
        "# knowledge/homophones.yaml — GENERATED by tools/gen_homophones.py; do not edit by hand.\n"
        "# Same-sound spellings (one character swapped for a common character with the same pinyin and tone)\n"
        "# of the key words in knowledge/normalization.yaml, minus dictionary words and anything seen in the\n"
        "# known-legitimate corpora. Read by the engine as extra `variants`.\n"
    )
    body = yaml.safe_dump({"homophones": out}, allow_unicode=True, width=120, sort_keys=True)
    (ROOT / "knowledge" / "homophones.yaml").write_text(header + body, encoding="utf-8")
    print(f"{len(out)} words, {sum(len(v) for v in out.values())} spellings "
          f"({len(crossing)} dropped as straddling a word boundary)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
