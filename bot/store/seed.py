"""Seeding from the data files (``scam_patterns/scripts/*.yaml``, ``numbers.csv``).

Seeding is idempotent: every seeded row carries a ``seed_key`` (file + id), so editing a data file and
restarting updates rows in place, retires rows whose entry was removed from the file, and never
touches what admins added. It runs only when the files' fingerprint changed (meta ``seed_fingerprint``).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml

from bot.config import KNOWLEDGE_DIR, PATTERNS_DIR
from bot.store import numbers, patterns
from bot.store.db import get_meta, now, set_meta, write
from bot.store.schema import ACTIVE, RETIRED, SEED


def seed_files() -> list[Path]:
    """The data files whose content decides the seeded rows and their precomputed forms."""
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
            rec = {**row, "norm": norm, "terms": json.dumps(terms, ensure_ascii=False), "source": SEED,
                   "updated_at": stamp}
            old = existing.get(row["seed_key"])
            if old:
                patterns.update(db, old["id"], rec)  # keeps its status: an admin's retirement sticks
            else:
                patterns.insert(db, {**rec, "status": ACTIVE, "created_by": SEED, "created_at": stamp})
        for key, old in existing.items():
            if key not in seen and key.startswith("scripts/") and old["status"] == ACTIVE:
                patterns.update(db, old["id"], {"status": RETIRED, "updated_at": stamp})
        # recompute precomputed forms of admin-added patterns too (normalization data may have changed)
        for r in list(db.query("select id, text from patterns where seed_key is null")):
            norm, terms = canonical(r["text"])
            patterns.update(db, r["id"], {"norm": norm, "terms": json.dumps(terms, ensure_ascii=False)})
        for r in load_seed_numbers():
            key = number_key(r["number"])
            if not key:
                continue
            prev = numbers.get(db, key)
            rec = {"number": key, "scam_type": r.get("type", "") or "", "note": r.get("note", "") or "",
                   "source": SEED, "seed_key": f"numbers.csv#{key}", "first_reported": r.get("date") or None,
                   "last_reported": r.get("date") or None}
            if prev is None:
                numbers.insert(db, {**rec, "reports": 1, "status": ACTIVE, "created_by": SEED, "created_at": stamp})
            elif prev.get("source") == SEED:
                numbers.update(db, key, rec)
        set_meta(db, "seed_fingerprint", fp)
    return True
