"""Start-up caches (issue 15.3): only in a folder of this user's with mode 0700, and never a format that
runs code when read. Each test here fails on the pickle caches they replace."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from bot.pipeline import cache, classifier
from bot.pipeline.engine import Engine, _parts_key


class _Payload:
    """Unpickling this writes a marker file: what a planted pickle could do instead is anything."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


class _NoScripts:
    def active_patterns(self):
        return []

    def reported_number(self, key):
        return None

    def close(self):
        pass


def _plant(folder: Path, marker: Path) -> None:
    """Pickles with the names the caches had, for every kind and key the engine would read."""
    payload = pickle.dumps(_Payload(marker))
    for kind, key in (("engine-parts", _parts_key()), ("classifier", "x")):
        (folder / f"{kind}-{key}.pickle").write_bytes(payload)
    for ext in ("json", "npz"):
        (folder / f"engine-parts-{_parts_key()}.{ext}").write_bytes(payload)


def test_a_planted_pickle_never_runs(tmp_path):
    folder = tmp_path / "cache"
    assert cache.safe_folder(folder)
    marker = tmp_path / "marker"
    _plant(folder, marker)
    e = Engine(_NoScripts(), cache_folder=folder)
    assert e.analyze("您的保单收益太低，建议退保购买年化10%保本理财").risk in ("high", "medium")
    assert cache.load_json(folder, "engine-parts", _parts_key()) is not None  # rebuilt over the planted file
    assert not marker.exists()


def test_npz_with_objects_is_refused(tmp_path):
    import numpy as np

    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    with (folder / "index-k.npz").open("wb") as fh:
        np.savez(fh, a=np.array([_Payload(tmp_path / "m")], dtype=object))
    assert cache.load_arrays(folder, "index", "k") is None
    assert not (tmp_path / "m").exists()
    cache.save_arrays(folder, "index", "k", {"a": np.arange(3)})
    assert cache.load_arrays(folder, "index", "k")["a"].tolist() == [0, 1, 2]


def test_new_folder_is_0700(tmp_path):
    folder = tmp_path / "a" / "b"
    assert cache.safe_folder(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_world_writable_folder_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    assert not cache.safe_folder(folder)
    monkeypatch.setenv("BOT_CACHE_DIR", str(folder))
    assert cache.cache_dir() is None


def test_own_private_folder_is_tightened(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    os.chmod(folder, 0o755)
    monkeypatch.setenv("BOT_CACHE_DIR", str(folder))
    assert cache.cache_dir() == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_symlinked_folder_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    assert not cache.safe_folder(link)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_someone_elses_folder_is_refused(tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    os.chown(other, 4242, 4242)
    assert not cache.safe_folder(other)
    monkeypatch.setenv("BOT_CACHE_DIR", str(other))
    assert cache.cache_dir() is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_someone_elses_file_is_not_read(tmp_path):
    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    cache.save_json(folder, "k", "1", {"a": 1})
    assert cache.load_json(folder, "k", "1") == {"a": 1}
    os.chown(folder / "k-1.json", 4242, 4242)
    assert cache.load_json(folder, "k", "1") is None


def test_symlinked_file_is_not_followed(tmp_path):
    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    target = tmp_path / "elsewhere.json"
    target.write_text('{"a": 1}')
    (folder / "k-1.json").symlink_to(target)
    assert cache.load_json(folder, "k", "1") is None


def test_broken_json_is_rebuilt_not_fatal(tmp_path):
    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    (folder / f"engine-parts-{_parts_key()}.json").write_text("{not json")
    e = Engine(_NoScripts(), cache_folder=folder)
    assert e.analyze("你好").risk == "none"
    assert isinstance(cache.load_json(folder, "engine-parts", _parts_key()), dict)


def test_warm_engine_gives_the_same_verdicts(tmp_path):
    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    cold = Engine(_NoScripts(), cache_folder=folder)
    warm = Engine(_NoScripts(), cache_folder=folder)
    assert warm.knowledge == cold.knowledge and warm.rules == cold.rules
    assert warm.normalizer.variants.mapping == cold.normalizer.variants.mapping
    for text in ("您的保单收益太低，建议退保购买年化10%保本理财", "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。"):
        assert warm.analyze(text).to_dict() == cold.analyze(text).to_dict()


def test_classifier_weights_round_trip_exactly(tmp_path):
    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    trained = classifier.build(lambda s: s, folder)
    loaded = classifier.build(lambda s: s, folder)
    assert trained is not None and loaded is not None and loaded.reference is None
    assert loaded._weights.params == trained._weights.params and loaded._intercept == trained._intercept
    assert not list(folder.glob("*.pickle"))


def test_keep_the_newest_files_of_a_kind(tmp_path):
    import time

    import numpy as np

    folder = tmp_path / "c"
    assert cache.safe_folder(folder)
    for i in range(6):
        cache.save_arrays(folder, "script-index", f"k{i}", {"a": np.arange(i + 1)}, keep=3)
        time.sleep(0.01)
    assert sorted(f.name for f in folder.glob("script-index-*.npz")) == \
        ["script-index-k3.npz", "script-index-k4.npz", "script-index-k5.npz"]
    cache.save_json(folder, "engine-parts", "a", {})
    cache.save_json(folder, "engine-parts", "b", {})
    assert [f.name for f in folder.glob("engine-parts-*")] == ["engine-parts-b.json"]
