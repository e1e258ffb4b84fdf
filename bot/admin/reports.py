"""Users' reports: /report puts a message or a number in a review queue; admins approve or reject.

A report is redacted (:mod:`bot.redact`) before it is written, so the database never holds the
reporter's ID number, bank card, phone number or name. Reporters are known only by a salted hash
(:func:`bot.store.user_hash`), once per report, so they can see the outcome of their own reports and
repeats are counted, not duplicated: the same number, or text that is the same after normalization
with digits collapsed (or nearly the same as a pending report), adds to one report's ``count``.

Approval turns a report into a scam script or a reported number through the ordinary admin paths
(:func:`bot.admin.add_pattern` with its mass-check, :func:`bot.admin.add_number`), in one transaction
with its own audit row; :func:`bot.admin.revert` undoes an approval (and the script it created).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from bot import admin
from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine
from bot.pipeline.match import ScriptIndex
from bot.pipeline.redact import redact, strip_masks
from bot.pipeline.safe_text import safe_text
from bot.store import now, user_hash, write
from bot.store import numbers as number_rows
from bot.store import patterns as pattern_rows
from bot.store import reports as report_rows
from bot.store.db import salt
from bot.store.schema import ACTIVE, APPROVED, PENDING, REJECTED, REPORT, REPORT_STATE

#: A reporter may file this many reports per day (UTC); more is refused, so /report cannot flood the queue.
DAILY_CAP = 20
#: The queue refuses new reports (repeats still count) beyond this many pending ones.
QUEUE_CAP = 5000
MAX_REPORT_CHARS = 2000
#: Pending text reports at least this similar (rapidfuzz ratio of their keys) are the same report.
NEAR_DUP = 92
#: How many candidates of the pending-report index are compared character by character.
NEAR_DUP_CANDIDATES = 8

STATUS_LABELS = {PENDING: "待审核", APPROVED: "已采纳", REJECTED: "未采纳"}
KIND_LABELS = {"text": "消息", "number": "号码"}


@dataclass
class ReportResult:
    """What happened to a /report: ``created``, ``repeat`` (counted on an existing report),
    ``already`` (this user reported it before) or ``refused`` (with the reason in ``message``)."""

    status: str
    message: str  # the reply to show the reporter (Chinese)
    report_id: int | None = None
    count: int = 0
    masked: dict[str, int] = field(default_factory=dict)
    scam_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("created", "repeat", "already")


def text_key(engine: Engine, text: str) -> str:
    """The near-duplicate key of a text: normalized, digits collapsed, punctuation and masks dropped."""
    norm = engine.normalizer(strip_masks(text)).text
    norm = re.sub(r"\d+", "0", norm)
    return "".join(c for c in norm if c.isalnum())


def _dedup_hash(engine: Engine, kind: str, key: str) -> str:
    return hashlib.sha256(f"{salt(engine.store)}:{kind}:{key}".encode()).hexdigest()


def _day_start() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT00:00:00Z")


def _refuse(msg: str) -> ReportResult:
    return ReportResult("refused", "❌ " + msg)


def submit_report(engine: Engine, user_id: int | str, text: str | None = None, number: str | None = None,
                  reporter_phone: str | None = None) -> ReportResult:
    """File a report of a scam message (``text``) or a number (``number``, optionally with ``text``
    saying what the caller said). Never raises for bad input: refusals come back as ``refused``."""
    text = " ".join(safe_text(str(text or "")).split()) if text is not None else ""
    number = safe_text(str(number or "")).strip()
    if not number and text and not re.search(r"[^\d\s+\-()（）]", text):
        number, text = text, ""  # "/report 138 1234 5678": a number alone
    if not text and not number:
        return _refuse("请附上要举报的内容：/report 号码 对方说了什么，或 /report 后粘贴诈骗短信原文。")
    if len(text) > MAX_REPORT_CHARS:
        text = text[:MAX_REPORT_CHARS]
    who = user_hash(engine.store, user_id)
    key_kind, key = "", ""
    lookup = None
    if number:
        lookup = engine.lookup(number)
        if lookup.status == "invalid":
            return _refuse(f"「{number[:30]}」不是有效的电话号码，请检查后重新发送。")
        if lookup.status == "official":
            return _refuse(f"{lookup.normalized} 是{lookup.insurer or '官方机构'}的官方号码，不能举报为诈骗号码。"
                           "骗子可能伪造来电显示，请举报对方让您回拨、添加或转账时留下的号码。")
        key_kind, key = "number", lookup.normalized
    red = redact(text, reporter_phone=reporter_phone, keep_numbers=[number] if number else ())
    if not number:
        key_kind, key = "text", text_key(engine, red.text)
        if len(key) < 6:
            return _refuse("内容太短，无法判断。请粘贴完整的诈骗短信，或写明对方的号码和说法。")
    v = engine.analyze(text) if text else None
    guess = _guess_type(v, lookup)
    scam_number = lookup.normalized if lookup else _contact_number(v, red.kept_numbers)
    dedup = _dedup_hash(engine, key_kind, key)
    stamp = now()
    db = engine.store
    with write(db):
        today_n = report_rows.filed_since(db, who, _day_start())
        row = _find(engine, dedup, key_kind, key)
        if row is not None:
            if report_rows.has_reporter(db, row["id"], who):
                return ReportResult("already", f"您已经举报过这条内容（编号 #{row['id']}，{STATUS_LABELS[row['status']]}），"
                                    "无需重复提交。发送 /myreports 查看处理结果。", row["id"], row["count"], red.counts,
                                    row["scam_type"])
            if today_n >= DAILY_CAP:
                return _refuse(f"您今天的举报已达上限（{DAILY_CAP} 条），请明天再试。紧急情况请拨打 96110 或 110。")
            count = int(row["count"] or 1) + 1
            report_rows.update(db, row["id"], {"count": count, "last_reported_at": stamp, "updated_at": stamp})
            report_rows.add_reporter(db, row["id"], who, stamp)
            handled = "" if row["status"] == PENDING else f"（已审核：{STATUS_LABELS[row['status']]}）"
            return ReportResult("repeat", f"✅ 感谢举报！这条内容已有 {count} 人举报，已合并计数（编号 #{row['id']}）{handled}。"
                                + _masked_note(red.counts), row["id"], count, red.counts, row["scam_type"])
        if today_n >= DAILY_CAP:
            return _refuse(f"您今天的举报已达上限（{DAILY_CAP} 条），请明天再试。紧急情况请拨打 96110 或 110。")
        if report_rows.pending_count(db) >= QUEUE_CAP:
            return _refuse("待审核的举报太多，暂时无法接收新的举报，请稍后再试。紧急情况请拨打 96110 或 110。")
        rid = report_rows.insert(db, {
            "kind": key_kind, "text": red.text, "number": scam_number, "scam_type": guess,
            "risk": v.risk if v else None, "score": round(float(v.score), 1) if v else None,
            "masked": json.dumps(red.counts, ensure_ascii=False), "reporter_hash": who, "count": 1,
            "dedup_key": dedup, "status": PENDING, "created_at": stamp, "updated_at": stamp,
            "last_reported_at": stamp,
        })
        report_rows.add_reporter(db, rid, who, stamp)
    return ReportResult("created", f"✅ 感谢举报！已提交管理员审核（编号 #{rid}）。" + _masked_note(red.counts)
                        + "发送 /myreports 查看处理结果。", rid, 1, red.counts, guess)


def _masked_note(counts: dict[str, int]) -> str:
    from bot.pipeline.redact import LABELS

    if not counts:
        return ""
    return "为保护隐私，保存前已隐去：" + "、".join(f"{LABELS[k]} {n} 处" for k, n in counts.items()) + "。"


def _find(engine: Engine, dedup: str, kind: str, key: str) -> dict[str, Any] | None:
    row = report_rows.by_dedup_key(engine.store, dedup)
    if row is not None:
        return row
    if kind != "text":
        return None
    # near-identical wording (one word changed, a different name): the pending reports that share the most
    # specific words with it, from an index (issue 15: comparing with every pending text cost 0.6-0.9 s)
    pending_index = _pending_index(engine)
    for sid, other in pending_index.candidates(engine, key):
        if abs(len(other) - len(key)) <= max(len(key), len(other)) * 0.15 and fuzz.ratio(key, other) >= NEAR_DUP:
            r = report_rows.get(engine.store, sid)
            if r is not None and r["status"] == PENDING and r["kind"] == "text":
                return r
            pending_index.drop(sid)  # reviewed or deleted since (by this process or another)
    return None


class PendingIndex:
    """The pending text reports' near-duplicate keys in a :class:`~bot.pipeline.match.ScriptIndex`
    (inverted index over their words), kept per engine. It catches up with the table on every use by
    reading only the rows added since (another process's reports too), and drops a report when a lookup
    finds it reviewed or deleted, so the cost of a report does not grow with the queue."""

    def __init__(self) -> None:
        self.index = ScriptIndex()
        self.last_id = 0
        self.lock = threading.Lock()

    def _catch_up(self, engine: Engine) -> None:
        for r in report_rows.pending_texts_after(engine.store, self.last_id):
            key = text_key(engine, r["text"] or "")
            if key:
                self.index.add(int(r["id"]), "", "", key, engine.segmenter.terms(engine.segmenter.cut(key)))
            self.last_id = max(self.last_id, int(r["id"]))

    def candidates(self, engine: Engine, key: str) -> list[tuple[int, str]]:
        """(report id, its key) of the pending reports sharing the most specific words with ``key``."""
        with self.lock:
            self._catch_up(engine)
            terms = set(engine.segmenter.terms(engine.segmenter.cut(key)))
            found = self.index.candidates(terms, limit=NEAR_DUP_CANDIDATES)
            return [(sid, self.index.scripts[sid].norm) for _, sid in found]

    def drop(self, rid: int) -> None:
        with self.lock:
            self.index.remove(rid)


_pending_indexes: weakref.WeakKeyDictionary[Engine, PendingIndex] = weakref.WeakKeyDictionary()
_pending_lock = threading.Lock()


def _pending_index(engine: Engine) -> PendingIndex:
    with _pending_lock:
        idx = _pending_indexes.get(engine)
        if idx is None:
            idx = _pending_indexes[engine] = PendingIndex()
        return idx


def _guess_type(v, lookup) -> str | None:
    if lookup is not None and lookup.scam_types:
        return lookup.scam_types[0]
    if v is None:
        return None
    if v.scam_types:
        return v.scam_types[0]
    if v.matches:
        return v.matches[0].scam_type
    return None


def _contact_number(v, kept: list[str]) -> str | None:
    """The scammer's contact number in a reported text: a kept (unmasked) non-official number."""
    if v is None:
        return None
    keep = set(kept)
    for lk in v.numbers:
        if lk.status in ("official", "invalid"):
            continue
        digits = re.sub(r"\D", "", lk.normalized)
        if lk.kind != "mobile" or digits[-11:] in keep:
            return lk.normalized
    return None


# --- review ------------------------------------------------------------------------------------------


def pending(engine: Engine, limit: int = 10, offset: int = 0) -> list[dict[str, Any]]:
    """The review queue: most-reported first, then oldest. Each item carries what a review card shows."""
    return [_item(engine, r) for r in report_rows.pending(engine.store, limit, offset)]


def pending_count(engine: Engine) -> int:
    return report_rows.pending_count(engine.store)


def get_report(engine: Engine, report_id: int | str) -> dict[str, Any]:
    rid = _rid(report_id)
    row = report_rows.get(engine.store, rid)
    if row is None:
        raise admin.AdminError(f"没有编号为 {rid} 的举报。")
    return _item(engine, row)


def _rid(report_id: int | str) -> int:
    try:
        rid = int(str(report_id).strip().lstrip("#").removeprefix("report:"))
    except ValueError:
        raise admin.AdminError(f"举报编号「{str(report_id)[:30]}」无效，应为数字。") from None
    if not 0 <= rid < 2**63:  # SQLite's integer range (OverflowError otherwise)
        raise admin.AdminError(f"没有编号为 {str(report_id)[:30]} 的举报。")
    return rid


def _item(engine: Engine, r: dict[str, Any]) -> dict[str, Any]:
    r["masked"] = json.loads(r["masked"] or "{}") if isinstance(r.get("masked"), str) else (r.get("masked") or {})
    r["scam_type_label"] = SCAM_TYPES.get(r.get("scam_type") or "", "未判断")
    r["status_label"] = STATUS_LABELS.get(r["status"], r["status"])
    r["kind_label"] = KIND_LABELS.get(r["kind"], r["kind"])
    if r.get("number"):
        reg = number_rows.get(engine.store, r["number"])
        r["number_registered"] = reg["reports"] if reg and reg["status"] == ACTIVE else 0
    r["actions"] = review_actions(r)
    r.pop("reporter_hash", None)  # never shown, not even to admins
    r.pop("dedup_key", None)
    return r


def review_actions(item: dict[str, Any]) -> list[tuple[str, str]]:
    """The buttons of a review card: (label, action) where action is approve / reject / as_pattern /
    as_number. A face builds callback data such as ``rv:<action>:<report id>`` from them."""
    if item.get("status") != PENDING:
        return []
    acts = [("✅ 通过", "approve"), ("❌ 驳回", "reject")]
    if item.get("kind") == "number" and item.get("text"):
        acts.append(("📝 改为话术", "as_pattern"))
    elif item.get("kind") == "text" and item.get("number"):
        acts.append(("☎️ 改为号码", "as_number"))
    return acts


def format_item(item: dict[str, Any]) -> str:
    """One review card as plain text (the chat face escapes it for HTML)."""
    head = f"#{item['id']} {item['kind_label']}举报 · {item['count']} 人举报 · 类型：{item['scam_type_label']}"
    if item.get("risk"):
        head += f" · 引擎判定：{item['risk']}（{item.get('score') or 0:g}分）"
    lines = [head]
    if item.get("number"):
        reg = item.get("number_registered")
        lines.append(f"号码：{item['number']}" + (f"（已在举报库，{reg} 次）" if reg else ""))
    if item.get("text"):
        lines.append(f"内容：{item['text']}")
    if item.get("masked"):
        from bot.pipeline.redact import LABELS

        lines.append("已隐去：" + "、".join(f"{LABELS.get(k, k)} {n}" for k, n in item["masked"].items()))
    lines.append(f"首次举报：{item['created_at']}，最近：{item.get('last_reported_at') or item['created_at']}")
    if item.get("status") != PENDING:
        lines.append(f"状态：{item['status_label']}" + (f"（{item['outcome']}）" if item.get("outcome") else "")
                     + (f"，原因：{item['reason']}" if item.get("reason") else ""))
    return "\n".join(lines)


def format_pending(engine: Engine, limit: int = 10) -> str:
    """The queue as text, for the CLI and the chat's plain /pending."""
    items = pending(engine, limit)
    if not items:
        return "暂无待审核的举报。"
    total = pending_count(engine)
    out = [f"待审核的举报：{total} 条" + (f"（显示前 {len(items)} 条）" if total > len(items) else "")]
    for it in items:
        out.append("")
        out.append(format_item(it))
    return "\n".join(out)


@dataclass
class ApproveResult:
    report_id: int
    outcome: str  # "pattern:12" or "number:+8613912345678"
    message: str
    pattern: admin.PatternResult | None = None
    number: dict[str, Any] | None = None
    audit_id: int | None = None


def approve(engine: Engine, report_id: int | str, actor: str, as_type: str | None = None,
            as_pattern_text: str | None = None, as_kind: str | None = None, force: bool = False) -> ApproveResult:
    """Approve a report: a text report becomes a scam script (after the mass-check, which may refuse
    unless ``force``), a number report a reported number. ``as_pattern_text`` (改为话术, or an edited
    wording) makes a script from that text; ``as_kind`` = "pattern" / "number" switches the outcome.
    One transaction: the script/number, the report's status and two audit rows (the addition and the
    approval, linked so that reverting the approval also retires what it created)."""
    item = get_report(engine, report_id)
    rid = item["id"]
    if item["status"] == APPROVED:
        raise admin.AdminError(f"举报 #{rid} 已经通过（{item.get('outcome') or ''}）。")
    if not (as_type or item.get("scam_type")):
        raise admin.AdminError(f"举报 #{rid} 还没有判断出诈骗类型，请指定类型（例如 --type agent_surrender）。")
    scam_type = admin.check_type(as_type or item.get("scam_type") or "")
    kind = as_kind or ("pattern" if as_pattern_text or item["kind"] == "text" else "number")
    if kind not in ("pattern", "number"):
        raise admin.AdminError(f"未知的处理方式「{kind}」")
    text = ""
    dry = None
    if kind == "pattern":
        text = strip_masks(as_pattern_text if as_pattern_text is not None else item.get("text") or "")
        if not text:
            raise admin.AdminError(f"举报 #{rid} 没有文字内容，无法改为话术；请给出话术文字。")
        # the mass-check runs before the write lock is taken (it analyses a few hundred messages)
        dry = admin.add_pattern(engine, scam_type, text, actor=actor, dry_run=True)
        if dry.refused and not force:
            raise admin.AdminError(dry.report.get("refusal") or "话术未通过试运行。")
    before = {k: item.get(k) for k in REPORT_STATE}
    stamp = now()
    pres: admin.PatternResult | None = None
    nrow: dict[str, Any] | None = None
    with write(engine.store):
        try:
            if kind == "pattern":
                pres = admin.add_pattern(engine, scam_type, text, actor=actor, source=REPORT, force=force,
                                         note=f"report:{rid}", precheck=dry)
                outcome, linked = f"pattern:{pres.id}", pres.audit_id
            else:
                if not item.get("number"):
                    raise admin.AdminError(f"举报 #{rid} 中没有可登记的号码。")
                nrow = admin.add_number(engine, item["number"], scam_type, note=f"用户举报 #{rid}（{item['count']} 人）",
                                        actor=actor, source=REPORT)
                outcome, linked = f"number:{nrow['number']}", nrow["audit_id"]
            after = {"status": APPROVED, "scam_type": scam_type, "reviewed_by": str(actor), "reviewed_at": stamp,
                     "outcome": outcome, "reason": None}
            report_rows.update(engine.store, rid, {**after, "updated_at": stamp})
            aid = admin.audit(engine, actor, "approve_report", f"report:{rid}", before, {**after, "_linked": linked})
        except BaseException:
            if pres is not None and pres.id is not None:
                engine.index_remove(pres.id)  # the transaction rolls the row back; the index must follow
            raise
    what = f"话术 #{pres.id}" if pres else f"号码 {nrow['number']}（累计 {nrow['reports']} 次）" if nrow else outcome
    msg = f"✅ 举报 #{rid} 已通过：已添加{what}（{SCAM_TYPES[scam_type]}），立即生效。"
    if pres is not None and pres.forced:
        msg += "（已强制添加，试运行结果：" + pres.report.get("summary", "") + "）"
    return ApproveResult(rid, outcome, msg, pres, nrow, aid)


def reject(engine: Engine, report_id: int | str, actor: str, reason: str = "") -> dict[str, Any]:
    """Reject a report (it stays, counted, so repeats of it are recognised); one audit row."""
    item = get_report(engine, report_id)
    rid = item["id"]
    if item["status"] != PENDING:
        raise admin.AdminError(f"举报 #{rid} 已审核（{item['status_label']}），不能驳回；如需更改请先撤销。")
    reason = " ".join(str(reason or "").split())[:300]
    before = {k: item.get(k) for k in ("status", "reviewed_by", "reviewed_at", "outcome", "reason")}
    after = {"status": REJECTED, "reviewed_by": str(actor), "reviewed_at": now(), "outcome": None, "reason": reason}
    with write(engine.store):
        report_rows.update(engine.store, rid, {**after, "updated_at": now()})
        admin.audit(engine, actor, "reject_report", f"report:{rid}", before, after)
    return {**item, **after}


def my_reports(engine: Engine, user_id: int | str, limit: int = 20) -> list[dict[str, Any]]:
    """A reporter's own reports, newest first, each with where it stands (``outcome_state``; /myreports
    words it, bot/conversation/reporting.py)."""
    who = user_hash(engine.store, user_id)
    out = []
    for r in report_rows.of_reporter(engine.store, who, limit):
        r["status_label"] = STATUS_LABELS.get(r["status"], r["status"])
        r["outcome_state"] = _outcome_state(engine, r)
        preview = r["number"] if r["kind"] == "number" else (r["text"] or "")
        r["preview"] = preview if len(preview) <= 40 else preview[:39] + "…"
        out.append(r)
    return out


def _outcome_state(engine: Engine, r: dict[str, Any]) -> str:
    """Where a report stands for its reporter: ``pending``, ``rejected``, ``pattern_live`` /
    ``pattern_gone`` (the script it became is active / was deactivated), ``number_live`` /
    ``number_gone``, or ``approved``. The words for each are the conversation's
    (bot/conversation/texts.py, REPORT_OUTCOMES)."""
    if r["status"] == PENDING:
        return "pending"
    if r["status"] == REJECTED:
        return "rejected"
    kind, _, key = str(r.get("outcome") or "").partition(":")
    if kind == "pattern":
        return "pattern_live" if pattern_rows.status(engine.store, key) == ACTIVE else "pattern_gone"
    if kind == "number":
        row = number_rows.get(engine.store, key)
        return "number_live" if row and row["status"] == ACTIVE else "number_gone"
    return "approved"
