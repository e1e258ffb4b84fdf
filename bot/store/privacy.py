"""Privacy: forgetting a user (``/forgetme``) and purging expired reports and votes.

Why a module of its own: issue 6 asks that the bot hold as little as possible about the people who use
it, and that what it holds can be deleted on request (``/forgetme``) and expires by itself
(``BOT_RETENTION_DAYS``). What the database holds about a person is, by design, only:

* ``feedback``: their 有帮助 / 误报 votes, keyed by a salted hash of their Telegram id;
* ``report_reporters``: which reports they filed (salted hash, time);
* ``reports``: the redacted text or number they reported, with the first reporter's salted hash;
* ``report_authors``: which reports hold a message they wrote that an admin reported (salted hash).

The checks log (``checks``) holds counts, risk levels and pattern ids only, never who or what, so it
is not personal data and is kept. Deleting is done with ``PRAGMA secure_delete`` (freed pages are
zeroed, so the text does not linger in the file) and followed by a WAL checkpoint (so old page images
holding it leave the ``-wal`` file too).

Another program reading the database (Datasette, a sqlite3 shell) must not stall the bot: the delete
waits at most :data:`FORGET_WAIT_MS` for the write lock (else the result is ``deferred`` and the face
retries later), and the checkpoint at most :data:`CHECKPOINT_WAIT_MS` for readers (else traces remain
until :func:`erase_traces`, retried by the face, completes). The reply says which.

Keeping message text and the token out of the logs is :mod:`bot.logguard`'s job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils

from bot.store import reports as report_rows
from bot.store.db import chunks, short_wait, user_hash, write
from bot.store.schema import APPROVED, FEEDBACK, REPORT_AUTHORS, REPORT_REPORTERS, REPORTS

log = logging.getLogger(__name__)

#: What /forgetme and the retention purge delete; the README's "What is stored" lists the same.
PERSONAL_TABLES = (FEEDBACK, REPORT_REPORTERS, REPORT_AUTHORS, REPORTS)
#: How long /forgetme waits for another writer's lock (ms) before deferring (the engine thread is shared).
FORGET_WAIT_MS = 1000
#: How long a checkpoint waits for other readers (ms) before leaving the rest for later.
CHECKPOINT_WAIT_MS = 500


@dataclass
class ForgetResult:
    """What :func:`forget_user` deleted (counts only), and whether it is finished."""

    feedback: int = 0
    reports_deleted: int = 0  # reports only this user filed (pending or rejected): gone
    reports_erased: int = 0  # approved reports only this user filed: text erased, decision kept for undo
    reports_unlinked: int = 0  # reports others filed too: this user's link and count removed
    #: Another program held the write lock: nothing was deleted yet; the face retries.
    deferred: bool = False
    #: The WAL checkpoint could not complete (another program is reading): the deleted text may still be
    #: in the file until :func:`erase_traces` succeeds.
    traces_left: bool = False

    @property
    def total(self) -> int:
        return self.feedback + self.reports_deleted + self.reports_erased + self.reports_unlinked

    @property
    def complete(self) -> bool:
        """Deleted, and gone from the file and the WAL."""
        return not self.deferred and not self.traces_left

    def message(self) -> str:
        """The reply to /forgetme (Chinese). Never "nothing is held" as a certainty: what others
        pasted or forwarded into a report can't always be traced to its author."""
        if self.deferred:
            return ("⏳ 数据库正被其他程序占用，删除将在稍后自动完成（通常几分钟内），完成后会再通知您。"
                    "频率限制等匿名计数不受影响。")
        later = ("删除已生效；文件中的残留会在其他程序结束读取后稍后自动清除。" if self.traces_left else "")
        if not self.total:
            return ("🗑 已处理：没有找到与您的账号关联的反馈或举报（检查的消息从不保存）。"
                    "别人转发或粘贴您的消息去举报时，我们无法确定作者，这类内容不在此列；如有需要请联系管理员。" + later)
        parts = []
        if self.feedback:
            parts.append(f"反馈 {self.feedback} 条")
        if self.reports_deleted:
            parts.append(f"举报 {self.reports_deleted} 条（已删除）")
        if self.reports_erased:
            parts.append(f"已采纳的举报 {self.reports_erased} 条（原文已抹去，话术库中管理员审核过的脱敏话术保留）")
        if self.reports_unlinked:
            parts.append(f"与他人共同举报的 {self.reports_unlinked} 条（已去掉您的记录和计数）")
        return ("🗑 已删除与您有关的数据：" + "、".join(parts) + "。" + later +
                "检查过的消息本来就不保存。以后再使用本机器人，会被当作新用户。")


@dataclass
class PurgeResult:
    """What :func:`purge_expired` removed."""

    reports_deleted: int = 0
    reports_erased: int = 0
    links: int = 0
    feedback: int = 0

    @property
    def total(self) -> int:
        return self.reports_deleted + self.reports_erased + self.links + self.feedback


@contextlib.contextmanager
def _secure_delete(db: sqlite_utils.Database) -> Iterator[None]:
    """Deleted rows are overwritten with zeros (not just unlinked), for the duration of the block."""
    prev = list(db.execute("PRAGMA secure_delete").fetchone() or [0])[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        db.execute(f"PRAGMA secure_delete = {int(prev)}")


def erase_traces(db: sqlite_utils.Database, wait_ms: int = CHECKPOINT_WAIT_MS) -> bool:
    """Move the WAL into the database file and empty it, so page images holding deleted text go.
    Waits at most ``wait_ms`` for other readers; True when it completed (nothing of the deleted rows
    is left in the file or the WAL), False when a reader still holds old pages (try again later)."""
    try:
        with short_wait(db, wait_ms):
            row = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as e:
        log.info("checkpoint not possible now (%s)", e)
        return False
    busy = int(row[0]) if row else 0
    return busy == 0


def _erase_reports(db: sqlite_utils.Database, ids: list[int]) -> tuple[int, int]:
    """Delete pending/rejected reports in ``ids`` and erase the text of approved ones (their status and
    outcome stay, so an admin's approval can still be undone). Returns (deleted, erased)."""
    deleted = erased = 0
    for chunk, marks in chunks(ids):
        db.execute(f"delete from report_reporters where report_id in ({marks})", chunk)
        db.execute(f"delete from report_authors where report_id in ({marks})", chunk)
        erased += db.execute(
            f"update reports set text = null, reporter_hash = null, masked = null "
            f"where id in ({marks}) and status = ?", [*chunk, APPROVED]).rowcount
        deleted += db.execute(f"delete from reports where id in ({marks}) and status != ?",
                              [*chunk, APPROVED]).rowcount
    return deleted, erased


def forget_user(db: sqlite_utils.Database, user_id: int | str) -> ForgetResult:
    """/forgetme: delete everything held about ``user_id`` in one transaction.

    Their feedback votes go; reports only they filed are deleted (an approved one keeps only its
    decision, without text, so the admin's change stays undoable — the script made from it is the
    admins', and redacted); on reports others filed too, their link is removed and the count lowered."""
    who = user_hash(db, user_id)
    res = ForgetResult()
    try:
        with short_wait(db, FORGET_WAIT_MS):
            _forget(db, who, res)
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            raise
        log.info("forgetme deferred: the database is locked by another writer")
        return ForgetResult(deferred=True)
    res.traces_left = not erase_traces(db)
    log.info("forgetme: %d feedback, %d reports deleted, %d erased, %d unlinked%s", res.feedback,
             res.reports_deleted, res.reports_erased, res.reports_unlinked,
             "; traces left until readers finish" if res.traces_left else "")
    return res


def _forget(db: sqlite_utils.Database, who: str, res: ForgetResult) -> None:
    """The deletes of :func:`forget_user`, in one transaction, counted into ``res``."""
    with _secure_delete(db), write(db):
        res.feedback = db.execute("delete from feedback where user_hash = ?", [who]).rowcount
        mine = [r["report_id"] for r in db.query(
            "select report_id from report_reporters where reporter_hash = ?", [who])]
        # reports whose first reporter was this user but whose link row is gone (defensive)
        mine += [r["id"] for r in db.query("select id from reports where reporter_hash = ?", [who])
                 if r["id"] not in mine]
        # messages this user wrote that someone else (an admin) reported: theirs to have erased
        authored = report_rows.authored_by(db, who)
        only_mine: list[tuple[int, str | None]] = [(rid, None) for rid in authored]
        shared = []
        for rid in dict.fromkeys(r for r in mine if r not in authored):
            others = list(db.query("select reporter_hash from report_reporters where report_id = ? "
                                   "and reporter_hash != ? order by created_at limit 1", [rid, who]))
            (shared if others else only_mine).append((rid, others[0]["reporter_hash"] if others else None))
        for rid, other in shared:
            db.execute("delete from report_reporters where report_id = ? and reporter_hash = ?", [rid, who])
            db.execute("update reports set count = max(1, coalesce(count, 1) - 1), "
                       "reporter_hash = case when reporter_hash = ? then ? else reporter_hash end where id = ?",
                       [who, other, rid])
        res.reports_unlinked = len(shared)
        res.reports_deleted, res.reports_erased = _erase_reports(db, [rid for rid, _ in only_mine])


def cutoff(days: int, now: dt.datetime | None = None) -> str:
    """The timestamp (:func:`bot.store.db.now` format) before which data has expired."""
    t = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=max(1, int(days)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def purge_expired(db: sqlite_utils.Database, retention_days: int, now: dt.datetime | None = None) -> PurgeResult:
    """``BOT_RETENTION_DAYS``: reports not reported again for ``retention_days`` are deleted (approved
    ones lose their text and reporter, keeping the decision), with their reporter links; feedback votes
    older than that are deleted too (the checks log's counts stay: they are nobody's data).
    Run at start-up and daily by the bot."""
    limit = cutoff(retention_days, now)
    res = PurgeResult()
    with _secure_delete(db), write(db):
        old = [r["id"] for r in db.query(
            "select id from reports where coalesce(last_reported_at, updated_at, created_at) < ? "
            "and (status != ? or text is not null or reporter_hash is not null)", [limit, APPROVED])]
        res.reports_deleted, res.reports_erased = _erase_reports(db, old)
        res.links = db.execute("delete from report_reporters where created_at < ?", [limit]).rowcount
        res.feedback = db.execute("delete from feedback where at < ?", [limit]).rowcount
    if res.total:
        erase_traces(db)  # a reader in the way: the next purge, or /forgetme, completes it
        log.info("retention (%d days): %d reports deleted, %d erased, %d links, %d feedback", retention_days,
                 res.reports_deleted, res.reports_erased, res.links, res.feedback)
    return res
