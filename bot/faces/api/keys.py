"""API keys: making, listing and revoking them (``python run.py admin api-key …``), and checking the key
a request presents (:class:`KeyRing`).

Why SHA-256 and not a slow password hash: a key is 32 random bytes made here, not a password a person
chose, so it cannot be guessed from a dictionary; a fast hash lets every request be checked in
microseconds while a stolen database still does not give the keys away. The key is shown once, when it
is made; only its hash and its first characters (to tell keys apart in a listing) are kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

import sqlite_utils

from bot.store import apikeys, now, today
from bot.store import audit as audit_rows
from bot.store.db import write

#: What a key may be allowed to do.
SCOPES = ("check", "lookup", "report")
PREFIX = "pg_"
#: Characters of a key shown in listings (the prefix and a few random ones).
SHOWN = 10
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
#: The name under which keyless use (BOT_API_KEYS_OPEN=1) is logged and counted.
OPEN_NAME = "(open)"


class KeyRefused(ValueError):
    """A key could not be made or revoked; the message says why, for a person."""


@dataclass(frozen=True)
class ApiKey:
    """A valid key as a request sees it: its name and what it may do."""

    name: str
    scopes: frozenset[str]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def parse_scopes(raw: str) -> frozenset[str]:
    """``check,lookup,report`` → the set; an unknown or empty scope list is refused."""
    scopes = {s.strip().lower() for s in str(raw or "").split(",") if s.strip()}
    unknown = sorted(scopes - set(SCOPES))
    if unknown or not scopes:
        raise KeyRefused(f"未知的权限：{','.join(unknown) or '（空）'}；可用：{','.join(SCOPES)}")
    return frozenset(scopes)


def create_key(db: sqlite_utils.Database, name: str, scopes: frozenset[str], actor: str) -> str:
    """Make a key called ``name`` with ``scopes``; the key itself, which is not kept (only its hash)."""
    if not NAME.match(name or ""):
        raise KeyRefused("名称只能用字母、数字和 _ . -（1-64 个字符，以字母或数字开头）。")
    if apikeys.by_name(db, name) is not None:
        raise KeyRefused(f"已有名为 {name} 的密钥（名称不能重复使用，撤销的也一样）。")
    key = PREFIX + secrets.token_urlsafe(32)
    stamp = now()
    row = {"name": name, "prefix": key[:SHOWN], "key_hash": hash_key(key), "scopes": ",".join(sorted(scopes)),
           "created_by": actor, "created_at": stamp}
    with write(db):
        try:
            apikeys.create(db, row)
        except sqlite3.IntegrityError as e:  # another admin made the same name a moment ago
            raise KeyRefused(f"已有名为 {name} 的密钥。") from e
        audit_rows.insert(db, stamp, actor, "api-key-create", f"apikey:{name}", None,
                          {"scopes": row["scopes"], "prefix": row["prefix"]})
    return key


def revoke_key(db: sqlite_utils.Database, name: str, actor: str) -> None:
    """Revoke a key: from the next check of it on (within BOT_API_SYNC_SECONDS in every worker) it is refused."""
    stamp = now()
    with write(db):
        if not apikeys.revoke(db, name, stamp):
            row = apikeys.by_name(db, name)
            raise KeyRefused(f"没有名为 {name} 的密钥。" if row is None else f"密钥 {name} 已于 {row['revoked_at']} 撤销。")
        audit_rows.insert(db, stamp, actor, "api-key-revoke", f"apikey:{name}", {"revoked_at": None},
                          {"revoked_at": stamp})


def list_keys(db: sqlite_utils.Database, days: int = 7) -> list[dict[str, object]]:
    """Every key with its requests today and in the last ``days`` days (UTC)."""
    import datetime as dt

    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days - 1)).strftime("%Y-%m-%d")
    return apikeys.listing(db, today(), since)


class KeyRing:
    """Checks the key of a request against the database, remembering each answer for ``ttl`` seconds.

    Why a cache with a short life: a request should not wait on SQLite, yet a revoked key must stop
    working in every worker within seconds. A key seen within ``ttl`` is answered from memory; older
    answers, and keys not seen yet, are read again (one read by a unique index)."""

    MAX_CACHED = 10_000

    def __init__(self, db: sqlite_utils.Database, ttl: float) -> None:
        self._db = db
        self._ttl = ttl
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}

    def find(self, key: str) -> ApiKey | None:
        """The valid key ``key`` is, or None (unknown or revoked)."""
        digest = hash_key(key)
        stamp = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and stamp - hit[0] < self._ttl:
            return hit[1]
        row = apikeys.by_hash(self._db, digest)
        if len(self._cache) >= self.MAX_CACHED:  # random keys in a flood must not grow memory
            self._cache.clear()
        found = None
        if row is not None and not row["revoked_at"]:
            found = ApiKey(row["name"], frozenset(s for s in str(row["scopes"]).split(",") if s))
        self._cache[digest] = (stamp, found)
        return found
