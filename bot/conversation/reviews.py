"""The admins' review of users' reports: /pending as cards with buttons, and what those buttons do.

The queue itself (what is pending, approving, rejecting) is bot.admin.reports; this module only
turns it into cards and answers. Admin rights are checked by the caller on every press
(bot/conversation/presses.py), whatever the button looks like.
"""

from __future__ import annotations

from typing import Any

from bot import admin
from bot.admin import reports
from bot.conversation import texts
from bot.conversation.buttons import REVIEW, review_buttons, type_buttons
from bot.conversation.messages import ButtonAnswer, Press, Reply, plain
from bot.pipeline.engine import Engine

#: Review cards /pending shows at once (one message each, with its buttons).
PENDING_CARDS = 5


def review_card(item: dict[str, Any]) -> Reply:
    """One report as a card with its buttons: approve / reject / as_pattern / as_number."""
    return plain(reports.format_item(item), "admin", buttons=review_buttons(item["id"], reports.review_actions(item)),
                 data={"report_id": item["id"]})


def pending_cards(engine: Engine, limit: int = PENDING_CARDS) -> tuple[Reply, list[Reply]]:
    """/pending in Telegram: a header, then one card per pending report (most reported first)."""
    items = reports.pending(engine, limit)
    total = reports.pending_count(engine)
    if not items:
        return plain(texts.NO_PENDING), []
    head = texts.PENDING_HEAD.format(total=total)
    if total > len(items):
        head += texts.PENDING_MORE.format(shown=len(items))
    return plain(head + texts.PENDING_HINT), [review_card(it) for it in items]


def review_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """A review button (rv:…): refused for a non-admin, "expired" when malformed, else :func:`review`."""
    if not press.is_admin:
        return ButtonAnswer(texts.NO_PERMISSION_NOTICE, alert=True, refused=True)
    fields = REVIEW.parse(press.data)
    if fields is None:
        return ButtonAnswer(texts.STALE_REVIEW)
    rid, action, scam_type = fields
    return review(engine, int(str(rid)), str(action), actor=str(press.user_id), scam_type=scam_type)


def review(engine: Engine, rid: int, action: str, actor: str, scam_type: str | None = None) -> ButtonAnswer:
    """An admin's review action on report ``rid`` (the caller has checked admin rights). The card is
    replaced by the outcome; a report without a scam type asks for one with type buttons; a script the
    mass-check refuses offers 强制通过 with the figures."""
    try:
        if action == "reject":
            reports.reject(engine, rid, actor)
            item = reports.get_report(engine, rid)
            done = texts.REJECTED.format(id=rid)
        else:
            kind = {"as_pattern": "pattern", "as_number": "number"}.get(action)
            r = reports.approve(engine, rid, actor, as_type=scam_type, as_kind=kind, force=action == "force")
            item = reports.get_report(engine, rid)
            done = r.message + texts.UNDO_HINT
    except admin.AdminError as e:
        return _refused(engine, rid, action, str(e), scam_type)
    return ButtonAnswer(done[:200], edit=plain(f"{reports.format_item(item)}\n\n{done}", "admin"))


def _refused(engine: Engine, rid: int, action: str, msg: str, scam_type: str | None) -> ButtonAnswer:
    """The answer when approving or rejecting failed: the card with the reason, and the buttons that
    can still help (a type to pick, 强制通过 after a mass-check refusal, 驳回)."""
    failed = texts.FAILED.format(error=msg)
    try:
        item = reports.get_report(engine, rid)
    except admin.AdminError:
        return ButtonAnswer(failed[:200], alert=True, remove_buttons=True)
    card = reports.format_item(item)
    pending = item.get("status") == "pending"
    if "诈骗类型" in msg and pending:
        return ButtonAnswer(texts.PICK_TYPE_NOTICE, edit=plain(f"{card}\n\n{texts.PICK_TYPE}", "admin",
                            buttons=type_buttons(rid, "approve" if action != "as_number" else action)))
    edit = plain(f"{card}\n\n{failed}", "admin", data={"report_id": item["id"]})
    if pending and action in ("approve", "as_pattern"):
        force = REVIEW.data(rid, "force", scam_type) if scam_type else REVIEW.data(rid, "force")
        edit.buttons = [[(texts.FORCE_BUTTON, force), (texts.REJECT_BUTTON, REVIEW.data(rid, "reject"))]]
    return ButtonAnswer(failed[:200], alert=True, edit=edit)
