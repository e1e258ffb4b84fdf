"""A statistical second opinion: how much a message reads like the scams the project has seen.

Rules (``signals.py``) and script matching (``match.py``) find known wordings; a reworded scheme can fall
between them. This module trains a small text classifier — character 1-3-grams of the normalized text,
TF-IDF, logistic regression (scikit-learn) — on the project's own labeled messages, seed scripts and
known-legitimate messages (``scam_patterns/model.yaml`` lists them), and turns its probability into
points for messages about insurance: up to ``weight`` when it is sure of a scam, and a smaller deduction
(``legit_weight``) only when it is quite sure the text reads like the insurers' notices, warnings and
agents' messages it was shown. It is silent on texts with nothing about insurance (adverts, chat).

Training takes about two seconds; the fitted weights are cached as NumPy arrays next to the engine's
start-up cache, keyed by a hash of the training files and settings, so a restart neither retrains nor
imports scikit-learn.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.config import PATTERNS_DIR, ROOT
from bot.model import SignalHit
from bot.pipeline import cache

log = logging.getLogger(__name__)

MODEL_FILE = PATTERNS_DIR / "model.yaml"
_WHITESPACE = re.compile(r"\s\s+")
#: the names the model's points carry among the verdict's signals
MODEL_SIGNAL = "statistical_resemblance"
MODEL_LEGIT_SIGNAL = "statistical_legit_resemblance"


@dataclass
class ModelSettings:
    weight: float = 40.0
    threshold: float = 0.5
    C: float = 10.0
    topic: list[str] = field(default_factory=list)
    training: list[str] = field(default_factory=list)
    label: str = "整体说法与已知诈骗消息相似"
    explanation: str = ""
    legit_weight: float = 0.0
    legit_threshold: float = 0.2
    legit_label: str = "整体说法与正常通知、提醒相似"
    legit_explanation: str = ""

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> ModelSettings | None:
        try:
            d = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            return None
        return cls(float(d.get("weight", cls.weight)), float(d.get("threshold", cls.threshold)), float(d.get("C", cls.C)),
                   [str(t) for t in d.get("topic") or []], [str(t) for t in d.get("training") or []],
                   str(d.get("label") or cls.label), str(d.get("explanation") or ""),
                   float(d.get("legit_weight", cls.legit_weight)), float(d.get("legit_threshold", cls.legit_threshold)),
                   str(d.get("legit_label") or cls.legit_label), str(d.get("legit_explanation") or ""))


def training_files(patterns: list[str], root: Path = ROOT) -> list[Path]:
    """The training files the patterns name, in a stable order (missing ones are skipped)."""
    return [Path(name) for pattern in patterns for name in sorted(glob.glob(str(root / pattern)))]


def training_rows(patterns: list[str], root: Path = ROOT) -> Iterator[tuple[str, bool]]:
    """(text, is_scam) from the training files, in a stable order."""
    for path in training_files(patterns, root):
        yield from _rows(path)


def _rows(path: Path) -> Iterator[tuple[str, bool]]:
    if path.suffix == ".jsonl":
        yield from _jsonl(path)
    elif path.suffix in (".yaml", ".yml"):
        yield from _yaml(path)


def _jsonl(path: Path) -> Iterator[tuple[str, bool]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                if r.get("label") in ("scam", "legit") and r.get("text"):
                    yield str(r["text"]), r["label"] == "scam"


def _yaml(path: Path) -> Iterator[tuple[str, bool]]:
    for text, is_scam, _ in yaml_rows(path):
        yield text, is_scam


def yaml_rows(path: Path) -> Iterator[tuple[str, bool, str]]:
    """(text, is scam, scam type) of a data file: the ``scripts:`` of scam_patterns/scripts/<type>.yaml
    (every script a scam of the file's type) or the ``messages:`` of known_legit.yaml (every message
    legitimate). Items are mappings with a ``text`` or plain strings. Also what ``eval`` reads a .yaml by."""
    d = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(d, dict):
        raise ValueError(f"{path.name}: expected a mapping with messages: or scripts:")
    scam_type = str(d.get("type") or "")
    for s in d.get("scripts") or []:
        text = s.get("text") if isinstance(s, dict) else s
        if text:
            yield str(text), True, scam_type
    for m in d.get("messages") or []:
        text = m.get("text") if isinstance(m, dict) else m
        if text:
            yield str(text), False, ""


#: Bits per character in an n-gram's integer key: each character counts as its code point + 1 (at most
#: 0x110000, 21 bits), so keys of different sizes never collide (1-grams < 2**21 ≤ 2-grams < 2**42 ≤
#: 3-grams) and three characters fit in an int64.
_BITS = 21
#: Above this many gram hits in a message, they are counted with ``np.unique``; below, in a dict.
_NUMPY_COUNT = 400


def _keys(codes: np.ndarray, n: int) -> np.ndarray:
    """The integer key of every n-gram of a code-point array (:func:`_codes`), in text order."""
    m = len(codes) - n + 1
    key = codes[:m].copy()
    for j in range(1, n):
        key = (key << _BITS) | codes[j : j + m]
    return key


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64) + 1


@dataclass
class Weights:
    """What scoring needs from the fitted model, as flat arrays: for each n-gram size, the grams' integer
    keys (sorted; :func:`_keys`), their idf and coefficient; the intercept and the sizes. Cached (``.npz``)
    instead of scikit-learn's objects, so a warm start imports neither scikit-learn nor scipy, and loading
    is a file read, not a dictionary of 50,000 grams."""

    keys: np.ndarray  # every size's keys, sorted (sizes never collide: see _BITS)
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    sizes: tuple[int, int]

    @property
    def params(self) -> dict[str, tuple[float, float]]:
        """Each gram's (idf, coefficient), as scikit-learn's vocabulary spells it (for tests and tools)."""
        out = {}
        mask = (1 << _BITS) - 1
        for k, i, c in zip(self.keys.tolist(), self.idf.tolist(), self.coef.tolist(), strict=True):
            chars = []
            while k:
                chars.append(chr((k & mask) - 1))
                k >>= _BITS
            out["".join(reversed(chars))] = (i, c)
        return out

    @classmethod
    def from_params(cls, params: dict[str, tuple[float, float]], intercept: float, sizes: tuple[int, int]) -> Weights:
        grams = sorted((int(_keys(_codes(g), len(g))[0]), v) for g, v in params.items() if g)
        return cls(np.array([k for k, _ in grams], dtype=np.int64), np.array([v[0] for _, v in grams], dtype=np.float64),
                   np.array([v[1] for _, v in grams], dtype=np.float64), float(intercept), (int(sizes[0]), int(sizes[1])))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"keys": self.keys, "idf": self.idf, "coef": self.coef, "intercept": np.array([self.intercept]),
                "sizes": np.array(self.sizes, dtype=np.int64)}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> Weights:
        lo, hi = (int(x) for x in a["sizes"].tolist())
        w = cls(a["keys"], a["idf"], a["coef"], float(a["intercept"][0]), (lo, hi))
        if not (len(w.keys) == len(w.idf) == len(w.coef)) or w.keys.dtype != np.int64 or not 1 <= lo <= hi <= 3:
            raise ValueError("classifier arrays disagree")
        return w

    @classmethod
    def of(cls, vectorizer: Any, model: Any) -> Weights:
        idf, coef = vectorizer.idf_, model.coef_[0]
        params = {g: (float(idf[i]), float(coef[i])) for g, i in vectorizer.vocabulary_.items()}
        return cls.from_params(params, float(model.intercept_[0]), tuple(vectorizer.ngram_range))


class Classifier:
    """The fitted model and how its probability becomes points."""

    def __init__(self, settings: ModelSettings, weights: Weights, canonical: Callable[[str], str],
                 reference: tuple[Any, Any] | None = None):
        self.settings = settings
        self.topic = tuple(t for t in (canonical(x) for x in settings.topic) if t)
        # scikit-learn spends ~1 ms per call validating one row; the same arithmetic on the gram arrays takes
        # ~30 µs for an SMS. ``tests/pipeline/test_classifier.py`` checks both agree.
        self._weights = weights
        self._idf_list: list[float] = weights.idf.tolist()
        self._coef_list: list[float] = weights.coef.tolist()
        self._intercept = weights.intercept
        self._sizes = range(weights.sizes[0], weights.sizes[1] + 1)
        self.reference = reference  # (vectorizer, model) when trained in this process

    def probability(self, norm_text: str) -> float:
        """P(scam) for a normalized message: TF-IDF (sublinear tf, l2 norm) · coefficients, as scikit-learn
        computes it, without its per-call overhead. Every n-gram of the text is found at once: its integer
        key looked up in the sorted keys of the model's grams (``np.searchsorted``), not one slice and one
        dictionary read per position. The sums run in scikit-learn's order of first occurrence (1-grams,
        then 2-grams, 3-grams) in Python floats, so the result is the same to the last bit as the
        dictionary version's was."""
        text = _WHITESPACE.sub(" ", norm_text.lower())  # what the char analyzer does before cutting n-grams
        codes = _codes(text)
        w = self._weights
        table = w.keys
        dot = norm = 0.0
        sizes = [n for n in self._sizes if len(codes) >= n]
        if not sizes or not len(table):
            return 1.0 / (1.0 + math.exp(-self._intercept))
        # every gram of every size, 1-grams first: the order scikit-learn's counts are summed in
        key = np.concatenate([_keys(codes, n) for n in sizes])
        pos = np.searchsorted(table, key)
        np.minimum(pos, len(table) - 1, out=pos)
        found = pos[table[pos] == key]
        log = math.log
        if len(found) > _NUMPY_COUNT:
            grams, first, counts = np.unique(found, return_index=True, return_counts=True)
            order = np.argsort(first)
            grams = grams[order]
            items = zip(counts[order].tolist(), w.idf[grams].tolist(), w.coef[grams].tolist(), strict=True)
        else:  # a short message: counting in a dict (first occurrences in order) beats np.unique's sort
            tally: dict[int, int] = {}
            for g in found.tolist():
                tally[g] = tally.get(g, 0) + 1
            idf_list, coef_list = self._idf_list, self._coef_list
            items = ((c, idf_list[g], coef_list[g]) for g, c in tally.items())
        for c, idf, coef in items:
            x = (1.0 + log(c)) * idf
            dot += x * coef
            norm += x * x
        z = self._intercept + (dot / math.sqrt(norm) if norm else 0.0)
        return 1.0 / (1.0 + math.exp(-z))

    def probability_reference(self, norm_text: str) -> float:
        """The same probability through scikit-learn (slow; the oracle for the fast path). Only after
        training in this process."""
        if self.reference is None:
            raise RuntimeError("no scikit-learn model in this process (loaded from the cache)")
        vectorizer, model = self.reference
        return float(model.predict_proba(vectorizer.transform([norm_text]))[0, 1])

    def on_topic(self, norm_text: str, names_an_org: bool) -> bool:
        """Whether the model may ADD points to this message: it names an insurer or the regulator or
        contains a topic term (so an unrelated advert is never flagged on resemblance alone)."""
        return names_an_org or any(t in norm_text for t in self.topic)

    def hit(self, norm_text: str, names_an_org: bool, rules_fired: bool = True) -> SignalHit | None:
        """The model's points as a signal, or None. Points for a scam only on topic; the deduction for a
        text that reads legitimate (a warning, a news story, a genuine notice) applies everywhere, as
        rules fire on such texts about 医保, parcels and bills too. Off topic with no rule fired
        (``rules_fired`` False) there is nothing to add to or take from, so the model is not run."""
        if not rules_fired and not self.on_topic(norm_text, names_an_org):
            return None
        pts = self.points(self.probability(norm_text))
        s = self.settings
        if pts > 0 and self.on_topic(norm_text, names_an_org):
            return SignalHit(MODEL_SIGNAL, pts, [], s.label, s.explanation, [])
        if pts < 0:
            return SignalHit(MODEL_LEGIT_SIGNAL, pts, [], s.legit_label, s.legit_explanation, [])
        return None

    def points(self, probability: float) -> float:
        """``weight`` at probability 1, linear down to 0 at ``threshold``; below ``legit_threshold`` a
        deduction, linear down to ``-legit_weight`` at probability 0; nothing in between."""
        s = self.settings
        if probability < s.legit_threshold and s.legit_weight > 0:
            return -round(s.legit_weight * (s.legit_threshold - probability) / s.legit_threshold, 1)
        if probability < s.threshold:
            return 0.0
        return round(s.weight * min(1.0, (probability - s.threshold) / max(1e-9, 1 - s.threshold)), 1)


def build(canonical: Callable[[str], str], cache_dir: Path | None = None,
          settings: ModelSettings | None = None) -> Classifier | None:
    """The classifier, from the cache when its inputs have not changed; None when there is nothing to
    train on or scikit-learn is missing (the engine then runs on rules and scripts alone)."""
    settings = settings or ModelSettings.load()
    if settings is None or settings.weight <= 0:
        return None
    files = training_files(settings.training)
    key = _key(settings, files)
    cached = cache.load_arrays(cache_dir, "classifier", key)
    if cached is not None:
        try:
            return Classifier(settings, Weights.from_arrays(cached), canonical)
        except (KeyError, TypeError, ValueError) as e:
            log.warning("classifier cache unusable (%s): retraining", e)
    rows = [r for f in files for r in _rows(f)]
    if len({y for _, y in rows}) < 2:
        log.warning("classifier: no training data of both kinds; running without it")
        return None
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        log.warning("classifier: scikit-learn is not installed; running without it")
        return None
    texts = [canonical(t) for t, _ in rows]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=settings.C, max_iter=2000, class_weight="balanced")
    model.fit(x, [y for _, y in rows])
    weights = Weights.of(vectorizer, model)
    cache.save_arrays(cache_dir, "classifier", key, weights.to_arrays())
    return Classifier(settings, weights, canonical, reference=(vectorizer, model))


def _normalizer_inputs() -> list[Path]:
    """The files that decide the canonical text the model is trained on (those that exist)."""
    knowledge = Path(__file__).resolve().parents[2] / "knowledge"
    paths = [Path(__file__).with_name("normalize.py"), knowledge / "normalization.yaml", knowledge / "homophones.yaml"]
    return [p for p in paths if p.exists()]


def _key(settings: ModelSettings, files: list[Path]) -> str:
    """Fingerprint of everything the fitted weights depend on, without importing scikit-learn."""
    from importlib import metadata

    try:
        version = metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        version = "-"
    h = hashlib.sha256(f"v5|{version}|{settings.C}".encode())
    # the model learns from the NORMALIZED text: a change to the normalizer or its data retrains it too
    for f in [*files, Path(__file__), *_normalizer_inputs()]:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:24]
