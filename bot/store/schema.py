"""The database's shape: table and status names, the columns a change may restore, and the migrations.

Why one module: the status strings (``'active'``…) and the lists of columns that make up a row's
state used to be spelled in four modules; admin, the reports and the conversation now import them
from here, so renaming one is one edit. The migrations run under ``sqlite_utils.Migrations``.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

#: Status of a pattern or a number: matched/looked up, parked, or kept only for history and undo.
ACTIVE, PENDING, RETIRED = "active", "pending", "retired"
STATUSES = (ACTIVE, PENDING, RETIRED)
#: Statuses an export writes out (what is "in use").
IN_USE = (ACTIVE, PENDING)
#: Status of a user's report.
APPROVED, REJECTED = "approved", "rejected"
REPORT_STATUSES = (PENDING, APPROVED, REJECTED)
#: Where a pattern or number came from.
SEED, ADMIN, IMPORT, REPORT = "seed", "admin", "import", "report"

PATTERNS, NUMBERS, AUDIT, AUDIT_ITEMS = "patterns", "numbers", "audit", "audit_items"
REPORTS, REPORT_REPORTERS, CHECKS, FEEDBACK, META = "reports", "report_reporters", "checks", "feedback", "meta"
REPORT_AUTHORS = "report_authors"
API_KEYS, API_USAGE = "api_keys", "api_usage"

#: A number's state: what an audit row records and a revert restores (counters such as hits never are).
NUMBER_STATE = ("scam_type", "note", "reports", "first_reported", "last_reported", "status")
PATTERN_STATE = ("status", "scam_type")
REPORT_STATE = ("status", "scam_type", "reviewed_by", "reviewed_at", "outcome", "reason")
#: Audit target kind → (table, primary key, the state a revert may restore).
TARGETS = {"pattern": (PATTERNS, "id", PATTERN_STATE), "number": (NUMBERS, "number", NUMBER_STATE),
           "report": (REPORTS, "id", REPORT_STATE)}

migrations = Migrations("policyguard")


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


#: The meta key that changes with every change of what the engine's script index is built from (triggers).
PATTERNS_VERSION = "patterns_version"


@migrations()
def m003_patterns_change_counter(db: sqlite_utils.Database) -> None:
    """A change token in ``meta`` that every insert, delete and change of an indexed column of ``patterns``
    renews, whoever writes (the bot, the CLI, an import, the seed, a sqlite3 shell): the engine's cached
    script index is keyed on it, so no writer has to remember to invalidate the cache. The token is random
    rather than a count, so two copies of one database that then change differently never share one. Hit
    and 误报 counters are not indexed and do not renew it."""
    new = "lower(hex(randomblob(12)))"
    db.execute(f"insert or ignore into meta (key, value) values ('{PATTERNS_VERSION}', {new})")
    bump = f"begin update meta set value = {new} where key = '{PATTERNS_VERSION}'; end"
    for name, when in (("insert", "after insert on patterns"), ("delete", "after delete on patterns"),
                       ("update", "after update of scam_type, text, norm, terms, status on patterns")):
        db.execute(f"create trigger if not exists patterns_version_{name} {when} {bump}")


@migrations()
def m004_report_authors(db: sqlite_utils.Database) -> None:
    """Issue 15: who wrote a message someone else (an admin) reported — a salted hash, like reporters —
    so the author's /forgetme removes it too."""
    db[REPORT_AUTHORS].create(
        {"report_id": int, "author_hash": str, "created_at": str},
        pk=("report_id", "author_hash"),
        foreign_keys=[("report_id", REPORTS, "id")],
    )
    db[REPORT_AUTHORS].create_index(["author_hash"])


LEAK_COUNTS = "leak_counts"


@migrations()
def m005_leak_counts(db: sqlite_utils.Database) -> None:
    """What scam callers knew about the people they called (issue 18): counts only, per insurer, month
    and item — no user, no check id, no text — so the table can't tell who answered."""
    db[LEAK_COUNTS].create(
        {"insurer": str, "month": str, "item": str, "count": int},
        pk=("insurer", "month", "item"),
        defaults={"count": 0},
        not_null={"insurer", "month", "item"},
    )


@migrations()
def m006_api_keys(db: sqlite_utils.Database) -> None:
    """The HTTP API's keys (issue 17): only a SHA-256 of each key is kept (the key itself is shown once,
    when it is made), its scopes, and when it was revoked; and per key, per day, per endpoint, how many
    requests it made — counts only, never a request's body."""
    db[API_KEYS].create(
        {
            "id": int,
            "name": str,  # unique, chosen by the admin; what the logs and the usage counts name
            "prefix": str,  # the key's first characters, to tell keys apart in a listing
            "key_hash": str,  # sha256 hex of the whole key
            "scopes": str,  # comma-separated: check, lookup, report
            "created_by": str,
            "created_at": str,
            "revoked_at": str,  # null while the key is valid
        },
        pk="id",
        not_null={"name", "key_hash", "scopes"},
    )
    db[API_KEYS].create_index(["name"], unique=True)
    db[API_KEYS].create_index(["key_hash"], unique=True)
    db[API_USAGE].create(
        {"key_name": str, "day": str, "endpoint": str, "requests": int},
        pk=("key_name", "day", "endpoint"),
        defaults={"requests": 0},
    )
