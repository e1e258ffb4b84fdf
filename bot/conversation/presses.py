"""What a pressed inline button does, for each kind of button (bot/conversation/buttons.py).

:func:`on_button` takes the raw callback data, finds its kind the way the Telegram face routes it
(``ButtonKind.route``), and answers; anything else (an old or forged button) gets an honest
"expired". Admin rights are checked on every press of an admin button, whatever it looks like.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import admin, render, store
from bot.conversation import texts
from bot.conversation.buttons import (
    LEAK,
    REPORT_CANCEL,
    REPORT_CHECK,
    REPORT_CONFIRM,
    REPORT_NUMBER,
    REVIEW,
    VOTE,
    VOTES,
    ButtonKind,
    genuine,
    kind_of,
    report_button,
)
from bot.conversation.check import check_exists, vote_and_flag
from bot.conversation.leaks import leak_pressed
from bot.conversation.messages import ButtonAnswer, Press, traditional_buttons, traditional_reply
from bot.conversation.reporting import number_pressed, report_cancelled, report_confirmed, report_pressed
from bot.conversation.reviews import review_pressed
from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine


def vote_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """有帮助 / 误报 (fb:<check id>:<vote>:<signature>): only from the person the verdict was for (the
    signature says so), one vote per user per check; the vote buttons go, 🚩 stays. A 误报 that brings a
    script's 误报 voters to the threshold also tells the admins."""
    fields = VOTE.parse(press.data)
    if fields is None or not check_exists(engine, int(str(fields[0]))):
        return ButtonAnswer(texts.CHECK_GONE_VOTE)
    check_id, vote, mac = int(str(fields[0])), str(fields[1]), fields[2]
    secret = store.button_secret(engine.store)
    if not genuine(secret, f"fb:{vote}", check_id, press.user_id, mac):
        return ButtonAnswer(texts.NOT_YOUR_BUTTON, alert=True)
    outcome, noisy = vote_and_flag(engine, check_id, press.user_id, vote)
    keep = [report_button(secret, check_id, press.user_id)]
    if outcome != "recorded":
        return ButtonAnswer(texts.VOTED_ALREADY, remove_buttons=True, keep_buttons=keep)
    thanks = texts.VOTE_THANKS.format(vote=VOTES[vote]) + (texts.VOTE_FP_NOTE if vote == "fp" else "。")
    return ButtonAnswer(thanks, remove_buttons=True, keep_buttons=keep,
                        admin_notice=noisy_notice(noisy, engine) if noisy else None)


def noisy_notice(just_flagged: list[dict[str, Any]], engine: Engine) -> str:
    """The admins' notice when scripts' 误报 votes pass the threshold: ids, types and counts (a script's
    text is the admins' own data, shortened), and how many scripts are flagged in all."""
    lines = [texts.NOISY_HEAD.format(threshold=admin.NOISY_THRESHOLD)]
    for r in just_flagged:
        text = str(r.get("text") or "")
        lines.append(texts.NOISY_LINE.format(
            id=r["id"], type=SCAM_TYPES.get(r.get("scam_type") or "", r.get("scam_type")),
            fp=r.get("false_positives"), hits=r.get("hits") or 0, text=text[:40] + ("…" if len(text) > 40 else "")))
    total = len(admin.flag_noisy_patterns(engine))
    if total > len(just_flagged):
        lines.append(texts.NOISY_TOTAL.format(total=total))
    return "\n".join(lines)


#: What each kind of button does.
ANSWERS: dict[ButtonKind, Callable[[Engine, Press], ButtonAnswer]] = {
    VOTE: vote_pressed,
    REPORT_CHECK: report_pressed,
    REPORT_CONFIRM: report_confirmed,
    REPORT_CANCEL: report_cancelled,
    REPORT_NUMBER: number_pressed,
    REVIEW: review_pressed,
    LEAK: leak_pressed,
}


def on_button(engine: Engine, data: str, *, user_id: int | str, is_admin: bool = False,
              traditional: bool = False, source_text: str | None = None, author_id: int | str | None = None,
              confirmed: bool = False) -> ButtonAnswer:
    """What a pressed inline button does (see bot/conversation/buttons.py for the kinds). ``source_text``
    is, for 🚩 举报 only, the text of the message the verdict replies to, and ``author_id`` who wrote it;
    ``confirmed``: the face already had the report confirmed. Traditional notices when the user's
    client is set to Traditional Chinese."""
    press = Press(data or "", user_id, is_admin, source_text, author_id, confirmed)
    kind = kind_of(press.data)
    ans = ANSWERS[kind](engine, press) if kind is not None else ButtonAnswer(texts.STALE_BUTTON)
    if traditional:
        ans.notice = render.to_traditional(ans.notice)
        if ans.reply is not None:
            ans.reply = traditional_reply(ans.reply)
        ans.keep_buttons = traditional_buttons(ans.keep_buttons)
    return ans
