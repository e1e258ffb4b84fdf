"""Start-up caches: pickled results of expensive builds (the engine's parts, the classifier), one file per
kind, named ``<kind>-<key>.pickle`` where the key fingerprints every input. A stale, broken or unwritable
cache is never fatal: the caller rebuilds and runs without it."""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """Where start-up caches live: ``BOT_CACHE_DIR``, else the user's cache folder (``~/.cache/policyguard``),
    else the temp folder; None when none is writable (then nothing is cached)."""
    env = os.environ.get("BOT_CACHE_DIR", "").strip()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    choices = [Path(env)] if env else []
    choices += [Path(xdg) / "policyguard" if xdg else Path.home() / ".cache" / "policyguard",
                Path(tempfile.gettempdir()) / f"policyguard-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"]
    for d in choices:
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    return None


def cache_path(folder: Path | None, kind: str, key: str) -> Path | None:
    return folder / f"{kind}-{key}.pickle" if folder is not None else None


def load(folder: Path | None, kind: str, key: str) -> Any | None:
    """The cached object, or None when there is none or it cannot be read."""
    path = cache_path(folder, kind, key)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception as e:  # a stale or broken cache is rebuilt, never fatal
        log.warning("start-up cache %s unreadable (%s): rebuilding", path, e)
        return None


def save(folder: Path | None, kind: str, key: str, obj: Any) -> None:
    """Write atomically, dropping older files of the same kind."""
    path = cache_path(folder, kind, key)
    if path is None:
        return
    try:
        for old in path.parent.glob(f"{kind}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception as e:  # read-only folder, full disk: run without the cache
        log.warning("could not write start-up cache %s: %s", path, e)
