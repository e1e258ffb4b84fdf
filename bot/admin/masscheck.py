"""Dry-run / mass-check: what a candidate scam script would do before it goes live.

SpamAssassin promotes a rule only after a mass-check has shown its hits on ham and spam; we do the
same for every new script (``admin.add_pattern`` from chat or CLI, report approval). The candidate is
added to a *copy* of the in-memory script index — never to the database — and the known-legitimate
messages (``scam_patterns/known_legit.yaml``) and the labeled corpus (``tests/corpus/labeled.jsonl``,
optional) are analysed with and without it. The report says how many legitimate messages it would
newly flag (with examples), how many scams it newly catches, and how often it matched at all.

A candidate is refused (unless forced) when it is too short or generic to mean anything, when it reads
as a genuine notice itself (issue 15: a renewal reminder from 95519 was accepted as a scam script and then
flagged its own originals), or when it would newly flag any known-legitimate message or more than 1% of
the corpus' legitimate messages. "Reads as a genuine notice": the engine is run on the candidate, and
the statistical model puts it on the legitimate side, or its only contact is an official number or
domain of the insurer it names with no scam signal, or it is nearly the same text as a message of
``known_legit.yaml`` (the templates of insurers' real notices).
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from bot.config import MAX_TEXT_CHARS, PATTERNS_DIR, ROOT
from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine
from bot.pipeline.normalize import Normalized

KNOWN_LEGIT_PATH = PATTERNS_DIR / "known_legit.yaml"
CORPUS_PATH = ROOT / "tests" / "corpus" / "labeled.jsonl"

#: A script shorter than this (normalized, without spaces and punctuation) matches far too much.
MIN_NORM_CHARS = 8
#: A script needs this many distinct content words that are not generic.
MIN_CONTENT_WORDS = 3
#: Refuse when more than this many known-legitimate messages would newly be flagged.
MAX_KNOWN_LEGIT_FLAGGED = 0
#: Refuse when more than this share of the corpus' legitimate messages would newly be flagged.
MAX_CORPUS_LEGIT_SHARE = 0.01
#: Examples shown per list.
EXAMPLES = 5
#: Below this P(scam) of the statistical model the candidate reads as a legitimate message. The project's
#: scam scripts are all above 0.8 and its known-legitimate messages nearly all below 0.3.
LEGIT_PROBABILITY = 0.5
#: A candidate at least this similar (rapidfuzz ratio, normalized text) to a known-legitimate message is
#: that message's template, not a scam's.
TEMPLATE_SIMILARITY = 85
#: The candidate's id inside the copied index (real ids are positive).
CANDIDATE_ID = -1

#: Words that say nothing about which scam a script describes: every insurer's real notices use them.
_GENERIC = """
您好 你好 尊敬 尊敬的 亲爱的 客户 用户 先生 女士 保险 保险公司 公司 客服 客服中心 中心 服务 业务 办理 通知
提醒 温馨 温馨提示 退保 理财 保单 保费 保障 产品 电话 热线 信息 咨询 联系 工作人员 人员 感谢 谢谢 欢迎
您的 我们 我是 您是 这是 今天 现在 近期 相关 情况 问题 可以 需要 请您 如有 疑问 详情 了解 回复 短信 消息 官方 合同
"""
GENERIC_WORDS = frozenset(_GENERIC.split())


@dataclass(frozen=True)
class Sample:
    """One message of a check set."""

    text: str
    label: str  # scam | legit
    source: str  # known_legit | corpus
    ref: str  # the id in known_legit.yaml, or "line N" of the corpus
    type: str | None = None


@dataclass
class DryRun:
    """The mass-check report of one candidate script."""

    scam_type: str
    text: str
    norm: str
    content_words: list[str]
    problems: list[str] = field(default_factory=list)  # why it would be refused
    known_legit_total: int = 0
    corpus_legit_total: int = 0
    corpus_scam_total: int = 0
    corpus_missing: bool = False
    flagged_known: list[Sample] = field(default_factory=list)  # legit, newly flagged
    flagged_corpus: list[Sample] = field(default_factory=list)
    caught: list[Sample] = field(default_factory=list)  # corpus scams newly caught
    hits: dict[str, int] = field(default_factory=dict)  # messages the candidate matched, per set
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def corpus_legit_share(self) -> float:
        return len(self.flagged_corpus) / self.corpus_legit_total if self.corpus_legit_total else 0.0

    def figures(self) -> str:
        """One line of figures (used in refusals)."""
        parts = [f"已知正常消息 {self.known_legit_total} 条中新增误报 {len(self.flagged_known)} 条"]
        if not self.corpus_missing:
            parts.append(f"语料正常消息 {self.corpus_legit_total} 条中新增误报 {len(self.flagged_corpus)} 条"
                         f"（{self.corpus_legit_share:.1%}）")
            parts.append(f"语料诈骗消息 {self.corpus_scam_total} 条中新增识别 {len(self.caught)} 条")
        return "；".join(parts)

    def refusal(self) -> str:
        return ("话术未添加：" + "；".join(self.problems) + "。\n试运行结果：" + self.figures()
                + "。\n确认无误可强制添加（命令行加 --force）。")

    def to_dict(self) -> dict[str, Any]:
        def ex(samples: list[Sample]) -> list[dict[str, str]]:
            return [{"source": s.source, "ref": s.ref, "text": s.text} for s in samples[:EXAMPLES]]

        return {
            "scam_type": self.scam_type, "text": self.text, "normalized_chars": _compact_len(self.norm),
            "content_words": self.content_words, "refused": self.refused, "problems": self.problems,
            "known_legit": {"total": self.known_legit_total, "newly_flagged": len(self.flagged_known),
                            "hits": self.hits.get("known_legit", 0), "examples": ex(self.flagged_known)},
            "corpus_legit": {"total": self.corpus_legit_total, "newly_flagged": len(self.flagged_corpus),
                             "share": round(self.corpus_legit_share, 4), "hits": self.hits.get("corpus_legit", 0),
                             "examples": ex(self.flagged_corpus)},
            "corpus_scam": {"total": self.corpus_scam_total, "newly_caught": len(self.caught),
                            "hits": self.hits.get("corpus_scam", 0), "examples": ex(self.caught)},
            "corpus_missing": self.corpus_missing, "seconds": round(self.seconds, 2),
        }

    def format(self) -> str:
        """The report as the admin reads it (terminal and chat)."""
        label = SCAM_TYPES.get(self.scam_type, self.scam_type)
        lines = [
            "试运行（不修改数据库）",
            f"类型：{self.scam_type}（{label}）",
            f"话术：{self.text}",
            f"规范化后 {_compact_len(self.norm)} 字；内容词 {len(self.content_words)} 个："
            + ("、".join(self.content_words) or "（无）"),
            f"已知正常消息（known_legit.yaml）{self.known_legit_total} 条：新增误报 {len(self.flagged_known)} 条，"
            f"命中 {self.hits.get('known_legit', 0)} 条",
        ]
        if self.corpus_missing:
            lines.append("标注语料（tests/corpus/labeled.jsonl）不存在，已跳过")
        else:
            lines.append(f"语料正常消息 {self.corpus_legit_total} 条：新增误报 {len(self.flagged_corpus)} 条"
                         f"（{self.corpus_legit_share:.1%}），命中 {self.hits.get('corpus_legit', 0)} 条")
            lines.append(f"语料诈骗消息 {self.corpus_scam_total} 条：新增识别 {len(self.caught)} 条，"
                         f"命中 {self.hits.get('corpus_scam', 0)} 条")
        for title, samples in (("会新增误报的正常消息", self.flagged_known + self.flagged_corpus),
                               ("会新增识别的诈骗消息", self.caught)):
            if samples:
                lines.append(title + "：")
                lines.extend(f"  - [{s.source} {s.ref}] {_short(s.text)}" for s in samples[:EXAMPLES])
        legit_hits = self.hits.get("known_legit", 0) + self.hits.get("corpus_legit", 0)
        if legit_hits and not self.refused:
            lines.append(f"⚠️ 与 {legit_hits} 条正常消息相似（暂未改变它们的判定），请确认措辞只有诈骗才会用")
        if self.refused:
            lines.append("结论：❌ 会被拒绝：" + "；".join(self.problems) + "（确认无误可加 --force 强制添加）")
        else:
            lines.append("结论：✅ 可以上线")
        return "\n".join(lines)


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _compact_len(norm: str) -> int:
    return sum(1 for c in norm if c.isalnum())


# --- check sets -------------------------------------------------------------------------------------

_file_cache: dict[str, tuple[float, list[Sample]]] = {}
_file_lock = threading.Lock()


def _cached(path: Path, loader) -> list[Sample]:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return []
    key = str(path)
    with _file_lock:
        hit = _file_cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    samples = loader(path)
    with _file_lock:
        _file_cache[key] = (mtime, samples)
    return samples


def _load_known(path: Path) -> list[Sample]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("messages") if isinstance(data, dict) else data
    out = []
    for i, m in enumerate(items or [], 1):
        if isinstance(m, dict) and str(m.get("text") or "").strip():
            out.append(Sample(str(m["text"]), "legit", "known_legit", str(m.get("id") or i), m.get("kind")))
        elif isinstance(m, str) and m.strip():
            out.append(Sample(m, "legit", "known_legit", str(i)))
    return out


def _load_corpus(path: Path) -> list[Sample]:
    out = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh, 1):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and str(obj.get("text") or "").strip() and obj.get("label") in ("scam", "legit"):
                out.append(Sample(str(obj["text"]), obj["label"], "corpus", f"第{i}行", obj.get("type")))
    return out


def known_legit(path: Path | None = None) -> list[Sample]:
    """The bundled known-legitimate messages (insurers' real notices, anti-fraud warnings, family chat…)."""
    return _cached(Path(path or KNOWN_LEGIT_PATH), _load_known)


def corpus(path: Path | None = None) -> list[Sample]:
    """The project's labeled corpus; empty when the file does not exist."""
    return _cached(Path(path or CORPUS_PATH), _load_corpus)


# --- per-engine caches --------------------------------------------------------------------------------


class _EngineCache:
    def __init__(self) -> None:
        self.forms: dict[str, tuple[Normalized, list[str]]] = {}
        self.generic: frozenset[str] | None = None
        self.base_sig: tuple | None = None
        self.base: dict[str, bool] = {}
        self.lock = threading.Lock()


_caches: weakref.WeakKeyDictionary[Engine, _EngineCache] = weakref.WeakKeyDictionary()


def _cache(engine: Engine) -> _EngineCache:
    c = _caches.get(engine)
    if c is None:
        c = _caches[engine] = _EngineCache()
    return c


def _msg_forms(engine: Engine, text: str) -> tuple[Normalized, list[str]]:
    """A message's normalized form and content words, as ``Engine.analyze`` computes them (cached)."""
    c = _cache(engine)
    f = c.forms.get(text)
    if f is None:
        norm = engine.normalizer(text[:MAX_TEXT_CHARS])
        f = c.forms[text] = (norm, engine.segmenter.terms(engine.segmenter.cut(norm.text)))
    return f


def generic_words(engine: Engine) -> frozenset[str]:
    """Generic words plus every insurer and regulator name (a script of names says nothing)."""
    c = _cache(engine)
    if c.generic is None:
        words = set(GENERIC_WORDS) | set(engine.segmenter.stopwords)
        for o in engine.knowledge.organizations:
            for name in [o.name, *o.aliases]:
                canon = engine.normalizer.canonical(name)
                words.add(canon)
                words.update(engine.segmenter.terms(engine.segmenter.cut(canon)))
        c.generic = frozenset(words)
    return c.generic


def content_words(engine: Engine, terms: list[str] | tuple[str, ...]) -> list[str]:
    """The distinct content words of a script that are not generic, in order."""
    generic = generic_words(engine)
    return [t for t in dict.fromkeys(terms) if t not in generic]


def generic_problems(engine: Engine, norm: str, terms: list[str] | tuple[str, ...]) -> list[str]:
    """Why a script is too short or generic to go live (empty when it is fine)."""
    problems = []
    n = _compact_len(norm)
    if n < MIN_NORM_CHARS:
        problems.append(f"话术太短（规范化后 {n} 字，至少 {MIN_NORM_CHARS} 字）")
    words = content_words(engine, terms)
    if len(words) < MIN_CONTENT_WORDS:
        problems.append(f"话术太笼统（只有 {len(words)} 个有区分度的内容词"
                        + (f"：{'、'.join(words)}" if words else "") + f"，至少 {MIN_CONTENT_WORDS} 个；"
                        "“您好、保险、客服、退保、理财”这类词每条正常通知里都有）")
    return problems


def genuine_notice_problems(engine: Engine, text: str) -> list[str]:
    """Why the candidate script reads as a genuine notice rather than a scam (empty when it does not):
    the engine's verdict on the script itself, its contacts, and the known-legitimate templates."""
    problems = []
    p = engine.scam_probability(text)
    if p is not None and p < LEGIT_PROBABILITY:
        problems.append(f"话术读起来像正规通知（统计模型判断为诈骗的概率只有 {p:.0%}）")
    v = engine.analyze(text, second_opinion=False)
    claimed = set(v.insurers)
    official = [n for n in v.numbers if n.status == "official" and n.insurer in claimed]
    domains = [u.host for u in v.urls if u.status == "official" and u.org in claimed]
    other_contacts = [n for n in v.numbers if n.status != "official"] + [u for u in v.urls if u.host not in domains]
    scam_signal = any(s.weight > 0 for s in v.signals)
    if (official or domains) and not other_contacts and not scam_signal:
        where = "、".join([n.normalized for n in official] + domains)
        problems.append(f"话术读起来像正规通知（只留了{'、'.join(sorted(claimed))}的官方联系方式 {where}，没有诈骗特征）")
    norm = engine.normalizer(text).text
    for s in known_legit():
        if fuzz.ratio(norm, _msg_forms(engine, s.text)[0].text) >= TEMPLATE_SIMILARITY:
            problems.append(f"话术读起来像正规通知（与已知正常消息 {s.ref} 几乎相同）")
            break
    return problems


def _index_sig(engine: Engine) -> tuple:
    """What the cached verdicts without the candidate depend on: the indexed scripts and the admin version."""
    ids = frozenset(engine.scripts())
    return (len(ids), hash(ids), engine.store.changes.version())


def _overlay(engine: Engine, scam_type: str, text: str, norm: str, terms: list[str]) -> Engine:
    """The engine with a copy of its script index that holds the candidate too."""
    idx = engine.index_copy()
    idx.add(CANDIDATE_ID, scam_type, text, norm, terms)
    return engine.with_index(idx)


def dry_run(engine: Engine, scam_type: str, text: str, *, samples: list[Sample] | None = None,
            corpus_path: Path | None = None, known_path: Path | None = None) -> DryRun:
    """Mass-check one candidate script against the known-legitimate set and the labeled corpus.

    Only messages for which the copied index returns the candidate among its matches can change (the
    candidate is otherwise invisible to the verdict), so only those are analysed, with and without it.
    They are analysed without the classifier's second opinion: its deduction for texts that read
    legitimate would hide a script lifted from a genuine notice, and the script would still flag that
    notice's near variants the model is less sure of.
    """
    t0 = time.perf_counter()
    norm, terms = engine.script_forms(text)
    rep = DryRun(scam_type, text, norm, content_words(engine, terms))
    rep.problems = generic_problems(engine, norm, terms) + genuine_notice_problems(engine, text)
    if samples is None:
        kl = known_legit(known_path)
        cp_path = Path(corpus_path or CORPUS_PATH)
        rep.corpus_missing = not cp_path.exists()
        samples = kl + corpus(cp_path)
    rep.known_legit_total = sum(1 for s in samples if s.source == "known_legit")
    rep.corpus_legit_total = sum(1 for s in samples if s.source != "known_legit" and s.label == "legit")
    rep.corpus_scam_total = sum(1 for s in samples if s.source != "known_legit" and s.label == "scam")
    overlay = _overlay(engine, scam_type, text, norm, terms)
    cand_terms = set(terms)
    c = _cache(engine)
    sig = _index_sig(engine)
    with c.lock:
        if c.base_sig != sig:
            c.base_sig, c.base = sig, {}
    hits = {"known_legit": 0, "corpus_legit": 0, "corpus_scam": 0}
    for s in samples:
        norm_s, terms_s = _msg_forms(engine, s.text)
        if not cand_terms.intersection(terms_s):
            continue
        if not any(m.pattern_id == CANDIDATE_ID for m in overlay.index.search(norm_s, terms_s)):
            continue
        base = c.base.get(s.text)
        if base is None:
            base = c.base[s.text] = engine.analyze(s.text, second_opinion=False).is_scam
        v = overlay.analyze(s.text, second_opinion=False)
        if not any(m.pattern_id == CANDIDATE_ID for m in v.matches):
            continue
        key = "known_legit" if s.source == "known_legit" else f"corpus_{s.label}"
        hits[key] += 1
        if v.is_scam and not base:
            if s.label == "legit":
                (rep.flagged_known if s.source == "known_legit" else rep.flagged_corpus).append(s)
            else:
                rep.caught.append(s)
    rep.hits = hits
    if len(rep.flagged_known) > MAX_KNOWN_LEGIT_FLAGGED:
        rep.problems.append(f"会把 {len(rep.flagged_known)} 条已知正常消息误判为诈骗")
    if rep.corpus_legit_total and rep.corpus_legit_share > MAX_CORPUS_LEGIT_SHARE:
        rep.problems.append(f"会把语料中 {len(rep.flagged_corpus)} 条正常消息（{rep.corpus_legit_share:.1%}，"
                            f"上限 {MAX_CORPUS_LEGIT_SHARE:.0%}）误判为诈骗")
    rep.seconds = time.perf_counter() - t0
    return rep


def rule_hits(engine: Engine, samples: list[Sample] | None = None) -> list[dict[str, Any]]:
    """SpamAssassin-style per-rule figures for every active script: how many legitimate and scam
    messages of the check sets it matched (shown as a resemblance). Noisy scripts come first."""
    if samples is None:
        samples = known_legit() + corpus()
    counts: dict[int, dict[str, int]] = {}
    for s in samples:
        for m in engine.analyze(s.text).matches:
            row = counts.setdefault(m.pattern_id, {"legit": 0, "scam": 0})
            row[s.label] += 1
    scripts = engine.scripts()
    out = []
    for pid, c in counts.items():
        sc = scripts.get(pid)
        out.append({"id": pid, "scam_type": sc.scam_type if sc else "", "text": sc.text if sc else "",
                    "legit_hits": c["legit"], "scam_hits": c["scam"]})
    out.sort(key=lambda r: (-r["legit_hits"], -r["scam_hits"], r["id"]))
    return out
