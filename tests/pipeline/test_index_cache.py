"""The script index: cached on disk keyed on the database's change token, checked on load, and searched in
its frozen (array) form exactly as in its dictionary form."""

from __future__ import annotations

import json
import random
import sqlite3

from bot.config import Settings, open_engine
from bot.pipeline import cache
from bot.pipeline.match import ScriptIndex
from bot.store.patterns import version

WORDS = ["退保", "理财", "保本", "年化", "客服", "理赔", "手续费", "解冻", "账户", "验证码", "贷款", "保单", "收益", "补偿",
         "代理", "维权", "投诉", "银保监", "会员", "扣费", "取消", "百万", "保障", "转账", "安全", "链接", "下载"]


def _random_index(n: int, seed: int = 1) -> ScriptIndex:
    r = random.Random(seed)
    idx = ScriptIndex()
    for sid in r.sample(range(1, 10 * n), n):
        terms = [r.choice(WORDS) + r.choice(["", "", str(r.randint(0, 40))]) for _ in range(r.randint(1, 9))]
        idx.add(sid, r.choice(["a", "b", "c"]), "".join(terms) + "原文", "".join(terms), terms)
    return idx


def test_frozen_form_gives_the_same_candidates_and_matches(engine):
    live = _random_index(3000)
    frozen = ScriptIndex.from_arrays(live.to_arrays())
    assert len(frozen) == len(live) and frozen._frozen is not None
    r = random.Random(7)
    for _ in range(200):
        text = "".join(r.choice(WORDS) for _ in range(r.randint(1, 30)))
        norm = engine.normalizer(text)
        terms = engine.segmenter.terms(engine.segmenter.cut(norm.text)) + [r.choice(WORDS) + str(r.randint(0, 40))]
        assert frozen.candidates(set(terms)) == live.candidates(set(terms))
        got = frozen.search(norm, terms, floor=10.0)
        assert [(m.pattern_id, m.similarity, m.script) for m in got] == \
            [(m.pattern_id, m.similarity, m.script) for m in live.search(norm, terms, floor=10.0)]
    assert frozen._frozen is not None  # searching never thawed it


def test_frozen_form_thaws_on_change():
    live = _random_index(200)
    frozen = ScriptIndex.from_arrays(live.to_arrays())
    sid = next(iter(live.scripts))
    frozen.remove(sid)
    live.remove(sid)
    assert frozen._frozen is None and frozen.scripts == live.scripts
    assert {t: p for t, p in frozen.postings.items()} == {t: p for t, p in live.postings.items()}


def test_candidates_do_not_scan_every_slot(monkeypatch):
    """The numpy path sums the touched postings only: np.bincount is never asked for a slot per script."""
    import numpy as np

    idx = ScriptIndex.from_arrays(_random_index(5000).to_arrays())
    sizes = []
    real = np.bincount

    def spy(x, weights=None, minlength=0):
        sizes.append(max(len(x), minlength))
        return real(x, weights=weights, minlength=minlength)

    monkeypatch.setattr(np, "bincount", spy)
    terms = {w + str(i) for w in WORDS[:12] for i in range(3)}
    assert idx.candidates(terms)
    assert sizes and max(sizes) < 1000 < len(idx)


def _db(tmp_path, name="pg.db"):
    return str(tmp_path / name)


def test_a_restart_loads_the_index_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_CACHE_DIR", str(tmp_path / "cache"))
    db = _db(tmp_path)
    e = open_engine(Settings(db_path=db))
    n = len(e.index)
    e.close()
    assert list((tmp_path / "cache").glob("script-index-*.npz"))
    e = open_engine(Settings(db_path=db))
    try:
        assert e.index._frozen is not None and len(e.index) == n  # loaded, not rebuilt
        assert e.analyze("您的保单收益太低，建议退保购买年化10%保本理财").matches is not None
    finally:
        e.close()


def test_any_write_to_patterns_invalidates_the_cache(tmp_path, monkeypatch):
    """A change made behind the bot's back (a sqlite3 shell) renews the token: the next start rebuilds."""
    monkeypatch.setenv("BOT_CACHE_DIR", str(tmp_path / "cache"))
    db = _db(tmp_path)
    e = open_engine(Settings(db_path=db))
    before = version(e.store)
    pid = next(iter(e.scripts()))
    e.close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update patterns set text = '全新话术：先交解冻费再理赔', norm = '全新话术：先交解冻费再理赔', "
                     "terms = ? where id = ?", [json.dumps(["全新话术", "解冻费", "理赔"], ensure_ascii=False), pid])
    conn.close()
    e = open_engine(Settings(db_path=db))
    try:
        assert version(e.store) != before
        assert e.index._frozen is None  # rebuilt from the store
        assert e.index.scripts[pid].text == "全新话术：先交解冻费再理赔"
    finally:
        e.close()


def test_hit_counters_do_not_invalidate(tmp_path):
    e = open_engine(Settings(db_path=_db(tmp_path)))
    try:
        before = version(e.store)
        pid = next(iter(e.scripts()))
        e.store.execute("update patterns set hits = hits + 1 where id = ?", [pid])
        assert version(e.store) == before
        e.store.execute("update patterns set status = 'retired' where id = ?", [pid])
        assert version(e.store) != before
    finally:
        e.close()


def test_a_cache_for_another_state_is_refused(tmp_path, monkeypatch):
    """A file under the right name but saved for another state (a copy of another database) is not used."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOT_CACHE_DIR", str(folder))
    db = _db(tmp_path)
    e = open_engine(Settings(db_path=db))
    e.close()
    [path] = folder.glob("script-index-*.npz")
    key = path.stem.removeprefix("script-index-")
    import numpy as np

    cache.save_arrays(folder, "script-index", key, {**_random_index(50).to_arrays(),
                                                     "version": np.frombuffer(b"other:50", dtype=np.uint8)})
    e = open_engine(Settings(db_path=db))
    try:
        assert e.index._frozen is None and len(e.index) != 50
        assert len(e.index) == e.store.execute("select count(*) from patterns where status = 'active'").fetchone()[0]
    finally:
        e.close()


def _reference_candidates(idx: ScriptIndex, terms: set[str], limit: int = 8) -> list[tuple[float, int]]:
    """Every script's summed IDF in a dict, the best by heapq.nlargest: what candidates() must equal."""
    import heapq
    from collections import defaultdict

    max_df = max(30, int(len(idx) * 0.05))
    acc: dict[int, float] = defaultdict(float)
    for t in terms:
        p = idx.postings.get(t)
        if not p or len(p) > max_df:
            continue
        for sid in p:
            acc[sid] += idx.idf(t)
    return heapq.nlargest(limit, ((w, sid) for sid, w in acc.items()))


def test_candidates_equal_the_plain_dictionary_sum():
    live = _random_index(4000, seed=3)
    frozen = ScriptIndex.from_arrays(live.to_arrays())
    r = random.Random(5)
    for _ in range(300):
        terms = {r.choice(WORDS) + r.choice(["", str(r.randint(0, 40))]) for _ in range(r.randint(1, 40))}
        want = _reference_candidates(live, terms)
        assert live.candidates(terms) == want
        assert frozen.candidates(terms) == want
