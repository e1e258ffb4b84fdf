"""The SQLite store (sqlite-utils): schema under ``sqlite_utils.Migrations``, seeding from the data files.

Seeding is idempotent: every seeded row carries a ``seed_key`` (file + id), so editing a data file and
restarting updates rows in place, retires rows whose entry was removed from the file, and never
touches what admins added. Message text that users send for checking is never stored here.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml
from sqlite_utils import Migrations

from bot.config import KNOWLEDGE_DIR, PATTERNS_DIR

migrations = Migrations("policyguard")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["patterns"].create(
        {
            "id": int,
            "scam_type": str,
            "text": str,
            "norm": str,
            "terms": str,  # JSON list: precomputed content words (the index is rebuilt from these)
            "status": str,  # active | pending | retired
            "source": str,  # seed | admin | import | report
            "seed_key": str,
            "created_by": str,
            "created_at": str,
            "updated_at": str,
            "hits": int,
            "false_positives": int,
            "note": str,
        },
        pk="id",
        defaults={"status": "active", "hits": 0, "false_positives": 0, "source": "admin"},
        not_null={"scam_type", "text"},
    )
    db["patterns"].create_index(["seed_key"], unique=True)
    db["patterns"].create_index(["status"])
    db["numbers"].create(
        {
            "number": str,  # normalized registry key (see bot.numbers.parse)
            "scam_type": str,
            "note": str,
            "reports": int,
            "first_reported": str,
            "last_reported": str,
            "status": str,
            "source": str,
            "seed_key": str,
            "created_by": str,
            "created_at": str,
        },
        pk="number",
        defaults={"status": "active", "reports": 1, "source": "admin"},
    )
    db["audit"].create(
        {"id": int, "at": str, "actor": str, "action": str, "target": str, "before": str, "after": str},
        pk="id",
    )
    # statistics: counts and pattern ids only, never text
    db["checks"].create(
        {"id": int, "at": str, "day": str, "risk": str, "score": float, "pattern_ids": str, "scam_types": str,
         "face": str},
        pk="id",
    )
    db["checks"].create_index(["day"])
    db["feedback"].create(
        {"check_id": int, "user_hash": str, "vote": str, "at": str}, pk=("check_id", "user_hash")
    )
    db["meta"].create({"key": str, "value": str}, pk="key")


@migrations()
def m002_reports_lifecycle(db: sqlite_utils.Database) -> None:
    """The admin lifecycle (issue 4): the users' report queue, 误报/hit counters on numbers, bulk-import
    batches (so an import can be undone), and revert links on audit rows."""
    db["reports"].create(
        {
            "id": int,
            "kind": str,  # text | number
            "text": str,  # redacted (bot.redact) before it is ever written
            "number": str,  # registry key of the reported number (or the scammer's contact number in a text)
            "scam_type": str,  # the engine's guess; the admin may change it on approval
            "risk": str,  # the engine's risk level at submission
            "score": float,
            "masked": str,  # JSON: what redaction masked, as counts {"id_number": 1, ...}
            "reporter_hash": str,  # the first reporter (salted hash, see user_hash)
            "count": int,  # how many distinct reporters sent it
            "dedup_key": str,  # salted hash of the normalized text (digits collapsed) or number key
            "status": str,  # pending | approved | rejected
            "created_at": str,
            "updated_at": str,
            "last_reported_at": str,
            "reviewed_by": str,
            "reviewed_at": str,
            "outcome": str,  # "pattern:12" / "number:+8613912345678"
            "reason": str,  # why it was rejected
        },
        pk="id",
        defaults={"status": "pending", "count": 1},
        not_null={"kind", "dedup_key"},
    )
    db["reports"].create_index(["dedup_key"], unique=True)
    db["reports"].create_index(["status", "count"])
    db["report_reporters"].create(
        {"report_id": int, "reporter_hash": str, "created_at": str},
        pk=("report_id", "reporter_hash"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["report_reporters"].create_index(["reporter_hash", "created_at"])
    for col in ("hits", "false_positives"):
        db["numbers"].add_column(col, int, not_null_default=0)
    db["numbers"].add_column("updated_at", str)
    # the audit id of the import that created the row (no index: only an import's undo reads it, and
    # every index costs time on a million-number import)
    db["numbers"].add_column("batch", int)
    db["patterns"].add_column("batch", int)
    db["audit"].add_column("reverted_by", int)  # the audit id of the revert that undid this change
    db["audit"].create_index(["target"])
    db["audit"].create_index(["actor"])
    # before-values of rows a bulk import changed (created rows are found by their ``batch``)
    db["audit_items"].create({"audit_id": int, "target": str, "before": str}, pk=("audit_id", "target"))


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating the folder) with WAL and a busy timeout, and apply pending migrations."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA busy_timeout = 30000")
    if str(path) != ":memory:":
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
    migrations.apply(db)
    return db


@contextlib.contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction (BEGIN IMMEDIATE: take the write lock up front, wait on busy, never
    fail half-way on a lock upgrade). sqlite-utils calls inside nest as savepoints, so the whole block
    commits or rolls back as one."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    rows = list(db.query("select value from meta where key = ?", [key]))
    return rows[0]["value"] if rows else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db["meta"].upsert({"key": key, "value": value}, pk="key")


def user_hash(db: sqlite_utils.Database, user_id: int | str) -> str:
    """A salted SHA-256 of a user id, so reports and feedback can be counted per person without storing
    who they are. The salt is created once per database (meta key ``user_salt``); creating it is
    race-free (INSERT OR IGNORE, then read back whichever salt won)."""
    salt = get_meta(db, "user_salt")
    if salt is None:
        with write(db):
            db.execute("insert or ignore into meta (key, value) values ('user_salt', ?)", [secrets.token_hex(16)])
        salt = get_meta(db, "user_salt") or ""
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()


# --- seed data -------------------------------------------------------------------------------------


def seed_files() -> list[Path]:
    files = sorted((PATTERNS_DIR / "scripts").glob("*.yaml")) + [PATTERNS_DIR / "numbers.csv"]
    files += [KNOWLEDGE_DIR / "normalization.yaml", KNOWLEDGE_DIR / "stopwords.txt", KNOWLEDGE_DIR / "insurers.yaml"]
    files += sorted((PATTERNS_DIR / "signals").glob("*.yaml"))  # the rules' terms teach the segmenter
    return [f for f in files if f.exists()]


def seed_fingerprint() -> str:
    h = hashlib.sha256()
    for f in seed_files():
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def load_seed_scripts() -> list[dict[str, Any]]:
    """Scripts from ``scam_patterns/scripts/*.yaml``, each with a stable ``seed_key``."""
    rows = []
    for f in sorted((PATTERNS_DIR / "scripts").glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        stype = str(data.get("type") or f.stem)
        for s in data.get("scripts") or []:
            if isinstance(s, dict) and str(s.get("text", "")).strip():
                rows.append({
                    "scam_type": str(s.get("type") or stype),
                    "text": str(s["text"]).strip(),
                    "seed_key": f"scripts/{f.name}#{s.get('id') or hashlib.md5(str(s['text']).encode()).hexdigest()[:10]}",
                    "note": str(s.get("source") or ""),
                })
    return rows


def load_seed_numbers() -> list[dict[str, Any]]:
    f = PATTERNS_DIR / "numbers.csv"
    if not f.exists():
        return []
    with f.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if (r.get("number") or "").strip()]


def seed(
    db: sqlite_utils.Database,
    canonical: Callable[[str], tuple[str, list[str]]],
    number_key: Callable[[str], str | None],
    force: bool = False,
) -> bool:
    """Bring seeded rows in line with the data files. Returns True if anything was (re)seeded.

    ``canonical`` turns a script's text into (normalized text, content words); ``number_key`` turns a
    number into its registry key. When normalization data changed, every pattern's precomputed
    forms are recomputed, admin-added ones included.
    """
    fp = seed_fingerprint()
    if not force and get_meta(db, "seed_fingerprint") == fp:
        return False
    stamp = now()
    with write(db):
        existing = {r["seed_key"]: r for r in db.query("select id, seed_key, status from patterns where seed_key is not null")}
        seen = set()
        for row in load_seed_scripts():
            norm, terms = canonical(row["text"])
            seen.add(row["seed_key"])
            rec = {**row, "norm": norm, "terms": json.dumps(terms, ensure_ascii=False), "source": "seed",
                   "updated_at": stamp}
            old = existing.get(row["seed_key"])
            if old:
                db["patterns"].update(old["id"], rec)  # keeps its status: an admin's retirement sticks
            else:
                db["patterns"].insert({**rec, "status": "active", "created_by": "seed", "created_at": stamp})
        for key, old in existing.items():
            if key not in seen and key.startswith("scripts/") and old["status"] == "active":
                db["patterns"].update(old["id"], {"status": "retired", "updated_at": stamp})
        # recompute precomputed forms of admin-added patterns too (normalization data may have changed)
        for r in list(db.query("select id, text from patterns where seed_key is null")):
            norm, terms = canonical(r["text"])
            db["patterns"].update(r["id"], {"norm": norm, "terms": json.dumps(terms, ensure_ascii=False)})
        for r in load_seed_numbers():
            key = number_key(r["number"])
            if not key:
                continue
            prev = db["numbers"].get(key) if _exists(db, key) else None
            rec = {"number": key, "scam_type": r.get("type", "") or "", "note": r.get("note", "") or "",
                   "source": "seed", "seed_key": f"numbers.csv#{key}", "first_reported": r.get("date") or None,
                   "last_reported": r.get("date") or None}
            if prev is None:
                db["numbers"].insert({**rec, "reports": 1, "status": "active", "created_by": "seed", "created_at": stamp})
            elif prev.get("source") == "seed":
                db["numbers"].update(key, rec)
        set_meta(db, "seed_fingerprint", fp)
    return True


def _exists(db: sqlite_utils.Database, number: str) -> bool:
    return bool(list(db.query("select 1 from numbers where number = ?", [number])))


def active_patterns(db: sqlite_utils.Database) -> Iterable[dict[str, Any]]:
    return db.query("select id, scam_type, text, norm, terms from patterns where status = 'active'")


def reported_number(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    """An index read on the primary key."""
    rows = list(db.query("select * from numbers where number = ? and status = 'active'", [key]))
    return rows[0] if rows else None


def backup(source: sqlite_utils.Database | str | Path, dest: str | Path, pages: int = 1024) -> dict[str, int]:
    """An online backup of the database to ``dest`` (sqlite3's backup API: a consistent snapshot taken
    while the bot keeps reading and writing; ``pages`` per step, so writers are not blocked for long).
    The copy is checked (``PRAGMA integrity_check``) and returned as row counts per table.
    ``dest`` must not exist: a backup never overwrites a file."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = source.conn if isinstance(source, sqlite_utils.Database) else sqlite3.connect(str(source), timeout=30)
    tmp = dest.with_name(dest.name + ".part")
    out = sqlite3.connect(str(tmp))
    try:
        src.backup(out, pages=pages)
        out.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        ok = out.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise sqlite3.DatabaseError(f"backup failed its integrity check: {ok}")
        tables = [r[0] for r in out.execute("select name from sqlite_master where type = 'table' "
                                            "and name not like 'sqlite_%' order by name")]
        counts = {t: int(out.execute(f"select count(*) from [{t}]").fetchone()[0]) for t in tables}
    except BaseException:
        out.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        out.close()
        if not isinstance(source, sqlite_utils.Database):
            src.close()
    tmp.replace(dest)
    return counts
