"""The engine: text → normalize → segment → extract → match → verdict. No Telegram here.

One :class:`Engine` is built per process (it loads the knowledge, the rules, the jieba dictionary and
the script index once) and then analyses messages without touching the database except for the
number registry's primary-key reads.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import dataclasses
import functools
import hashlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from bot.config import KNOWLEDGE_DIR, MAX_TEXT_CHARS, ROOT
from bot.model import LinkCheck, Lookup, Verdict
from bot.pipeline import cache, classifier, links
from bot.pipeline import numbers as numbers_mod
from bot.pipeline.extract import Extracted, OrgFinder, extract
from bot.pipeline.knowledge import Knowledge
from bot.pipeline.match import Script, ScriptIndex
from bot.pipeline.normalize import Normalized, Normalizer, Rewriter, basic
from bot.pipeline.rules.index import IndexedSignalSet
from bot.pipeline.rules.signals import Rule, Span, load_rules, rule_files
from bot.pipeline.safe_text import safe_text
from bot.pipeline.score import MATCH_FLOOR, Scorer
from bot.pipeline.segment import Segmenter

log = logging.getLogger(__name__)

#: Script indexes kept in the cache folder: one per database (the bot's, a CLI's copy, a backup being
#: checked), the most recently built first.
INDEX_CACHES = 4


class ScriptStore(Protocol):
    """What the engine reads from the store it is handed (``bot.store.Store``; a test may hand anything
    with these methods): the scripts to index and the reported-number registry."""

    def active_patterns(self) -> Iterable[dict[str, Any]]: ...

    def reported_number(self, key: str) -> dict[str, Any] | None: ...

    def close(self) -> None: ...


class Engine:
    """Analyse messages and look numbers up. Thread-safe for reads; admin changes go through ``reload``.

    Built by ``bot.config.open_engine``, which opens the store, seeds it and calls :meth:`reload`: the
    engine itself reads neither the environment nor the database file, only what ``store`` returns.
    """

    def __init__(self, store: ScriptStore, *, knowledge: Knowledge | None = None,
                 cache_folder: Path | None = None):
        self.store = store
        self.cache_dir = cache_folder
        parts = None if knowledge is not None else _load_parts(self.cache_dir)
        if parts is None:
            self.knowledge = knowledge or Knowledge.load()
            self.normalizer = Normalizer()
            self.rules = load_rules(self.normalizer.canonical)
            memo: dict[str, str] = {}
        else:
            self.knowledge, self.normalizer, self.rules, memo = parts
        # what every start normalizes (insurer names and aliases, the vocabulary, the classifier's topic
        # words: ~500 strings, ~40 ms) is remembered in the start-up cache
        canonical = _Memo(self.normalizer.canonical, memo)
        self.orgs = OrgFinder(self.knowledge, canonical)
        self.signals = IndexedSignalSet(self.rules)
        vocabulary = self._vocabulary(canonical)
        self.segmenter = Segmenter(vocabulary, cache_dir=self.cache_dir)
        self.classifier = classifier.build(canonical, self.cache_dir)
        if knowledge is None and (parts is None or canonical.added):
            _save_parts(self.cache_dir, self.knowledge, self.normalizer, self.rules, canonical.memo)
        self.scorer = Scorer(self.knowledge)
        self.link_rules = links.LinkRules.build(self.knowledge)
        self._lock = threading.RLock()
        self.index = ScriptIndex()  # empty until reload(): the store may have to be seeded first

    @property
    def db(self) -> ScriptStore:
        """The store, under the name callers used before it was handed in (``engine.db["patterns"]``)."""
        return self.store

    # --- set-up -----------------------------------------------------------------------------------

    def _vocabulary(self, canonical: Callable[[str], str] | None = None) -> set[str]:
        canonical = canonical or self.normalizer.canonical
        words = set(self.signals.vocabulary())
        for o in self.knowledge.organizations:
            words.update(canonical(a) for a in [o.name, *o.aliases])
        words.update(self.normalizer.variants.mapping.values())
        words.update(self.normalizer.synonyms.mapping.values())
        return {w for w in words if w and not w.startswith("@")}

    def script_forms(self, text: str) -> tuple[str, list[str]]:
        """A script's normalized text and content words (stored precomputed in the database)."""
        norm = self.normalizer(text).text
        return norm, self.segmenter.terms(self.segmenter.cut(norm))

    def number_key(self, raw: str) -> str | None:
        p = numbers_mod.parse(raw)
        return p.normalized if p else None

    def reload(self) -> None:
        """Rebuild the script index from the store (at start, after admin changes or an import).

        The built index is cached on disk (flat arrays, ``bot.pipeline.cache``) keyed on the store's change
        token (``patterns_version``: renewed by triggers on every change of a script) and on the code and
        data that shape it; a start on an unchanged database loads it instead of reading every script."""
        version = getattr(self.store, "patterns_version", lambda: None)()
        key = hashlib.sha256(f"{version}|{_parts_key()}".encode()).hexdigest()[:24] if version else None
        index = self._cached_index(key, version)
        if index is None:
            index = self._build_index()
            if key is not None:
                with contextlib.suppress(ValueError):  # a word the flat form cannot hold: no cache
                    cache.save_arrays(self.cache_dir, "script-index", key,
                                      {**index.to_arrays(), "version": _text_array(version or "")}, keep=INDEX_CACHES)
        with self._lock:
            self.index = index

    def _cached_index(self, key: str | None, version: str | None) -> ScriptIndex | None:
        """The cached index for this state of the store, checked against it: the token it was saved under
        and the number of active scripts must both match (the version string carries both)."""
        if key is None:
            return None
        arrays = cache.load_arrays(self.cache_dir, "script-index", key)
        if arrays is None:
            return None
        try:
            saved = bytes(arrays.pop("version")).decode("utf-8")
            index = ScriptIndex.from_arrays(arrays)
        except (KeyError, ValueError, UnicodeDecodeError) as e:
            log.warning("cached script index unusable (%s): rebuilding", e)
            return None
        if saved != version or not version.endswith(f":{len(index)}"):
            log.warning("cached script index does not match the database: rebuilding")
            return None
        return index

    def _build_index(self) -> ScriptIndex:
        index = ScriptIndex()
        for r in self.store.active_patterns():
            try:
                terms = json.loads(r["terms"] or "[]")
            except ValueError:
                terms = []
            if not r["norm"]:
                r["norm"], terms = self.script_forms(r["text"])
            index.add(r["id"], r["scam_type"], r["text"], r["norm"], terms)
        return index

    def index_add(self, pid: int, scam_type: str, text: str) -> None:
        norm, terms = self.script_forms(text)
        with self._lock:
            self.index.add(pid, scam_type, text, norm, terms)

    def index_remove(self, pid: int) -> None:
        with self._lock:
            self.index.remove(pid)

    def scripts(self) -> dict[int, Script]:
        """A snapshot of the indexed scripts (id → script), safe to read while admins change them."""
        with self._lock:
            return dict(self.index.scripts)

    def index_copy(self) -> ScriptIndex:
        """A copy of the script index that can be changed without touching the live one (the mass-check
        adds a candidate script to it)."""
        with self._lock:
            return self.index.copy()

    def with_index(self, index: ScriptIndex) -> Engine:
        """An engine sharing everything with this one but matching against ``index`` (a what-if: the
        mass-check's verdicts with a candidate script). Changes to either index do not reach the other."""
        clone = copy.copy(self)
        clone.index = index
        clone._lock = threading.RLock()
        return clone

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing twice
            self.store.close()

    # --- numbers ----------------------------------------------------------------------------------

    def lookup(self, raw: str) -> Lookup:
        """Classify one phone number (official / reported / lookalike / unknown / invalid)."""
        return numbers_mod.lookup(safe_text(str(raw)), self.knowledge, self.store.reported_number)

    def check_link(self, url: str) -> LinkCheck:
        """Classify one URL or bare domain (official / lookalike / shortener / ip / unknown)."""
        return links.check(url, self.knowledge, self.link_rules)

    def lookup_any(self, raw: str) -> Lookup | LinkCheck:
        """A lookup of whatever was sent: a link (URL or bare domain) or a phone number."""
        return self.check_link(raw) if links.looks_like_link(raw) else self.lookup(raw)

    # --- analysis ---------------------------------------------------------------------------------

    def analyze(self, text: str | bytes | None, *, second_opinion: bool = True) -> Verdict:
        """The verdict for one message. Never raises on any input. ``second_opinion=False`` leaves the
        classifier out (``eval --mode rules`` measures the rules alone)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        text = "" if text is None else str(text)
        truncated = len(text) > MAX_TEXT_CHARS
        if truncated:
            text = text[:MAX_TEXT_CHARS]
        text = safe_text(text)  # the faces already did; a caller that didn't must not crash a renderer
        b = basic(text)
        norm = self.normalizer(text, b)
        v = Verdict(text=text, truncated=truncated, traditional=norm.traditional)
        if not any(c.isalnum() for c in norm.text):
            v.empty = True
            v.advice = self.scorer.safe_advice(v, [])
            return v
        ex, lookups, v.urls, features = self._evidence(b, norm)
        fired = self.signals.evaluate(norm, features)
        if self.classifier is not None and second_opinion:
            hit = self.classifier.hit(norm.text, bool(features.get("insurer") or features.get("regulator")),
                                      rules_fired=any(s.weight > 0 for s in fired))
            if hit is not None:
                fired.append(hit)
        tokens = self.segmenter.cut(norm.text)
        with self._lock:
            index = self.index
        # a match below MATCH_FLOOR adds nothing to the score and is not shown: don't re-rank for it
        matches = index.search(norm, self.segmenter.terms(tokens), floor=MATCH_FLOOR)
        v = self.scorer.verdict(v, norm.text, ex, lookups, fired, matches)
        if v.risk != "none":
            v.highlights = highlights(v, norm, tokens)
        return v

    def scam_probability(self, text: str) -> float | None:
        """The classifier's own P(scam) for a message (None without a classifier): ``eval --mode
        classifier`` measures it alone, without its topic gate or the rules."""
        if self.classifier is None:
            return None
        return self.classifier.probability(self.normalizer(safe_text(str(text)[:MAX_TEXT_CHARS])).text)

    def contexts(self, text: str) -> list[str]:
        """How a message speaks: the ``contexts:`` of signals.yaml that hold for it (asking, warning…). The
        tests check every context's examples through it; it is also the quickest way to see why a rule
        was switched off for a message."""
        text = safe_text(str(text)[:MAX_TEXT_CHARS])
        b = basic(text)
        norm = self.normalizer(text, b)
        return self.signals.contexts_of(norm, self._evidence(b, norm)[3])

    def _evidence(self, b: Normalized, norm: Normalized
                  ) -> tuple[Extracted, list[Lookup], list[LinkCheck], dict[str, list[Span]]]:
        """What extraction finds, the numbers and the links looked up (each once), and the @features the
        rules read."""
        ex = extract(b, norm, self.knowledge, self.orgs)
        lookups = self._lookups(ex)
        checks = self._link_checks(ex)
        return ex, lookups, checks, self._features(ex, lookups, checks)

    def _link_checks(self, ex: Extracted) -> list[LinkCheck]:
        """Each extracted URL checked, in the message's order (the verdict's ``urls``)."""
        out = []
        for f in ex.urls:
            c = self.check_link(str(f.value))
            c.input = ""
            out.append(c)
        return out

    def _lookups(self, ex: Extracted) -> list[Lookup]:
        out, seen = [], set()
        for f in ex.phones:
            p = f.value
            if p.normalized in seen:
                continue
            seen.add(p.normalized)
            out.append(self.lookup(p.raw))
        return out

    def _features(self, ex: Extracted, lookups: list[Lookup], checks: list[LinkCheck]) -> dict[str, list[Span]]:
        feats: dict[str, list[Span]] = defaultdict(list)
        by_key = {lk.normalized: lk for lk in lookups}
        for f in ex.phones:
            lk = by_key.get(f.value.normalized)
            span = (f.start, f.end)
            if f.value.kind == "mobile":
                feats["mobile"].append(span)
            if lk is not None and lk.status != "official":
                feats["non_official_number"].append(span)
            elif lk is not None:
                feats["official_number"].append(span)
            if lk is not None and lk.warnings:
                feats["warned_number"].append(span)
        if ex.placeholder_phone:
            feats["mobile"].append((0, 0))
            feats["non_official_number"].append((0, 0))
        for f, check in zip(ex.urls, checks, strict=True):
            feats["url"].append((f.start, f.end))
            if check.status != "official":
                feats["unofficial_url"].append((f.start, f.end))
            if check.status in ("lookalike", "shortener", "ip"):
                feats[f"{check.status}_url"].append((f.start, f.end))
        for f in ex.contacts:
            feats["contact_handle"].append((f.start, f.end))
        if ex.placeholder_url:
            feats["url"].append((0, 0))
            feats["unofficial_url"].append((0, 0))
        for f in ex.percents:
            if 6 <= float(f.value) <= 100:
                feats["percent_high"].append((f.start, f.end))
        for f in ex.amounts:
            feats["amount"].append((f.start, f.end))
        for f in ex.orgs:
            key = "regulator" if f.value.kind == "regulator" else "insurer" if f.value.kind == "insurer" else ""
            if key:
                feats[key].append((f.start, f.end))
        return feats

# --- start-up cache ----------------------------------------------------------------------------------------
# Building the knowledge, the normalizer's rewrite tables (pinyin spellings of every key word: pypinyin) and
# the rules costs more than loading the segmenter. What they are built from is cached as JSON (the rewrite
# mappings, the rules' fields, the knowledge's records: never a pickle, see ``bot.pipeline.cache``), keyed by
# a fingerprint of every input: the data files, the code that reads them, and the versions of the libraries
# that shape them. The automata are rebuilt from it (a few milliseconds).

_CACHE_VERSION = "3"


@functools.cache
def _parts_key() -> str:
    """Once per process: it reads every module and data file (~10 ms), and the engine asks at every reload."""
    import sys
    from importlib import metadata

    h = hashlib.sha256(_CACHE_VERSION.encode())
    h.update(sys.version.encode())
    for pkg in ("pypinyin", "opencc", "pyahocorasick", "jieba", "rjieba", "pyyaml"):
        try:
            h.update(f"{pkg}={metadata.version(pkg)}".encode())
        except metadata.PackageNotFoundError:
            h.update(pkg.encode())
    package = Path(__file__).resolve().parents[1]  # every module of bot/, in subfolders too
    files = sorted(package.rglob("*.py")) + sorted(p for p in KNOWLEDGE_DIR.glob("*") if p.is_file())
    files += rule_files()  # every rules file: scam_patterns/signals/*.yaml
    for f in files:
        h.update(f.relative_to(ROOT).as_posix().encode())
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"-")
    return h.hexdigest()[:24]


class _Memo:
    """``canonical`` with the answers it has given remembered (and ``added`` set when one was new)."""

    def __init__(self, fn: Callable[[str], str], memo: dict[str, str]):
        self.fn, self.memo, self.added = fn, memo, False

    def __call__(self, text: str) -> str:
        v = self.memo.get(text)
        if v is None:
            v = self.memo[text] = self.fn(text)
            self.added = True
        return v


def _load_parts(folder: Path | None) -> tuple[Knowledge, Normalizer, list[Rule], dict[str, str]] | None:
    d = cache.load_json(folder, "engine-parts", _parts_key())
    if not isinstance(d, dict):
        return None
    try:
        knowledge = Knowledge.from_json(d["knowledge"])
        normalizer = Normalizer(Rewriter(d["variants"]), Rewriter(d["synonyms"]))
        rules = [Rule(**r) for r in d["rules"]]
        memo = {str(k): str(v) for k, v in d["canonical"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        log.warning("start-up cache engine-parts unusable (%s): rebuilding", e)
        return None
    return knowledge, normalizer, rules, memo


def _save_parts(folder: Path | None, knowledge: Knowledge, normalizer: Normalizer, rules: list[Rule],
                memo: dict[str, str]) -> None:
    cache.save_json(folder, "engine-parts", _parts_key(), {
        "knowledge": knowledge.to_json(),
        "variants": normalizer.variants.mapping, "synonyms": normalizer.synonyms.mapping,
        "rules": [dataclasses.asdict(r) for r in rules], "canonical": memo,
    })


def _text_array(text: str) -> Any:
    import numpy as np

    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()


def highlights(v: Verdict, norm: Normalized, tokens: list[str]) -> list[tuple[int, int]]:
    """Where to mark the user's text: the evidence (the positive rules' and matched scripts' spans) grown
    to whole words and merged, so a mark never cuts a word (【国家安全账】户 becomes 国家安全账户), without
    spaces at its edges. The words are the segmentation already done, mapped back to the original text."""
    bounds = word_bounds(norm, tokens)
    out: list[list[int]] = []
    for a, b in sorted(evidence_spans(v)):
        i = bisect.bisect_right(bounds, a)
        a = bounds[i - 1] if i else 0
        j = bisect.bisect_left(bounds, b)
        b = bounds[j] if j < len(bounds) else len(v.text)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [_trim(v.text, a, b) for a, b in out]


def evidence_spans(v: Verdict) -> set[tuple[int, int]]:
    """Where in the user's text the evidence is: the positive rules' and the matched scripts' spans."""
    spans = {(e.start, e.end) for s in v.signals if s.weight > 0 for e in s.evidence if e.end > e.start}
    spans |= {(e.start, e.end) for m in v.matches for e in m.evidence if e.end > e.start}
    return spans


def word_bounds(norm: Normalized, tokens: list[str]) -> list[int]:
    """Where the words of the normalized text start, as offsets in the user's original text (through the
    normalizer's map back), so highlights can be widened without segmenting again. Each word ends where
    the next begins: a rewritten stretch (国家安全账户 → 安全账户) then still ends where the original does."""
    bounds, pos = [0], 0
    for t in tokens:
        bounds.append(norm.span(pos, pos + 1)[0])
        pos += len(t)
    bounds.append(len(norm.original))
    return sorted(set(bounds))


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """A highlight without the spaces or line breaks at its edges."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
