"""Start-up caches: the results of expensive builds (the engine's parts, the classifier's weights, the
script index), one file per kind, named ``<kind>-<key>.<ext>`` where the key fingerprints every input.

Safe by construction, because a cache is read before anything else runs:

* the folder must be a real directory (not a symlink) owned by this user with mode 0700 — a folder this
  module creates is made so; one owned by us that nobody else can write to is tightened to 0700; any
  other (someone else's, group- or world-writable: ``/tmp`` is shared) is refused and nothing is cached;
* the formats cannot run code: JSON, and NumPy ``.npz`` arrays read with ``allow_pickle=False``. No
  pickle is ever loaded (a planted pickle in a shared temp folder used to run code at start-up);
* files are opened without following symlinks and must be regular files owned by this user.

A stale, broken, refused or unwritable cache is never fatal: the caller rebuilds and runs without it."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

_MODE = 0o700


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def safe_folder(d: Path) -> bool:
    """Whether ``d`` may hold caches, creating it (mode 0700) when it is missing: a directory, not a
    symlink, owned by this user, nobody else able to write to it (then tightened to 0700)."""
    try:
        d.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=_MODE)
        st = d.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != _uid():
            log.warning("start-up cache folder %s refused: not a folder owned by this user", d)
            return False
        if st.st_mode & 0o022:
            log.warning("start-up cache folder %s refused: others can write to it (mode %o)", d,
                        stat.S_IMODE(st.st_mode))
            return False
        if stat.S_IMODE(st.st_mode) != _MODE:
            os.chmod(d, _MODE)
        return os.access(d, os.W_OK)
    except OSError:
        return False


def cache_dir() -> Path | None:
    """Where start-up caches live: ``BOT_CACHE_DIR`` (only that folder when set), else the user's cache
    folder (``~/.cache/policyguard``), else a folder of this user's in the temp folder; None when none is
    safe (:func:`safe_folder`) and writable (then nothing is cached)."""
    env = os.environ.get("BOT_CACHE_DIR", "").strip()
    if env:
        choices = [Path(env)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        choices = [Path(xdg) / "policyguard" if xdg else Path.home() / ".cache" / "policyguard",
                   Path(tempfile.gettempdir()) / f"policyguard-cache-{_uid()}"]
    for d in choices:
        if safe_folder(d):
            return d
    return None


def cache_path(folder: Path | None, kind: str, key: str, ext: str = "json") -> Path | None:
    return folder / f"{kind}-{key}.{ext}" if folder is not None else None


def _open_own(path: Path) -> IO[bytes] | None:
    """The file for reading, or None: missing, a symlink, not a regular file, or not this user's."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != _uid():
        os.close(fd)
        log.warning("start-up cache %s refused: not a regular file of this user's", path)
        return None
    return os.fdopen(fd, "rb")


def _load(folder: Path | None, kind: str, key: str, ext: str, read: Callable[[IO[bytes]], Any]) -> Any | None:
    path = cache_path(folder, kind, key, ext)
    if path is None:
        return None
    fh = _open_own(path)
    if fh is None:
        return None
    try:
        with fh:
            return read(fh)
    except Exception as e:  # a stale or broken cache is rebuilt, never fatal
        log.warning("start-up cache %s unreadable (%s): rebuilding", path, e)
        return None


def _save(folder: Path | None, kind: str, key: str, ext: str, write: Callable[[IO[bytes]], None],
          keep: int = 1) -> None:
    """Write atomically (a private temporary file, then a rename), keeping only the ``keep`` newest files
    of the same kind (this one included)."""
    path = cache_path(folder, kind, key, ext)
    if path is None:
        return
    try:
        others = [f for f in path.parent.glob(f"{kind}-*.{ext}") if f != path]
        with contextlib.suppress(OSError):
            others.sort(key=lambda f: f.stat().st_mtime, reverse=True)
        for old in others[keep - 1:]:
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-")
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception as e:  # read-only folder, full disk: run without the cache
        log.warning("could not write start-up cache %s: %s", path, e)


def load_json(folder: Path | None, kind: str, key: str) -> Any | None:
    """The cached value (plain JSON: dicts, lists, strings, numbers), or None."""
    return _load(folder, kind, key, "json", lambda fh: json.loads(fh.read().decode("utf-8")))


def save_json(folder: Path | None, kind: str, key: str, obj: Any) -> None:
    try:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:  # something JSON cannot hold: run without the cache
        log.warning("start-up cache %s not written: %s", kind, e)
        return
    _save(folder, kind, key, "json", lambda fh: fh.write(data) and None)


def load_arrays(folder: Path | None, kind: str, key: str) -> dict[str, Any] | None:
    """Cached NumPy arrays (``.npz``, read with ``allow_pickle=False``: an object array is refused)."""
    import numpy as np

    def read(fh: IO[bytes]) -> dict[str, Any]:
        with np.load(fh, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    return _load(folder, kind, key, "npz", read)


def save_arrays(folder: Path | None, kind: str, key: str, arrays: dict[str, Any], keep: int = 1) -> None:
    """Write arrays (``.npz``); ``keep``: how many files of this kind to keep (one per database, say)."""
    import numpy as np

    _save(folder, kind, key, "npz", lambda fh: np.savez(fh, **arrays), keep)
