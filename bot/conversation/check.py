"""Checking a message: a verdict (or a lookup, for a bare number), the checks log and feedback votes.

A verdict shown in a face (Telegram) is recorded in the checks log — counts and pattern ids, never
text — and carries 有帮助 / 误报 / 🚩 举报 buttons that refer to that record. The terminal chat and the
tests record nothing.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from bot import admin, render, store
from bot.conversation import texts
from bot.conversation.buttons import VOTES, feedback_buttons, report_number_buttons
from bot.conversation.messages import Caller, Reply, plain, traditional_buttons, traditional_reply
from bot.model import LinkCheck, Lookup, Verdict
from bot.pipeline.engine import Engine
from bot.pipeline.links import looks_like_link
from bot.pipeline.numbers import clean as clean_number
from bot.store import checks as check_rows
from bot.store import feedback as feedback_rows
from bot.store import now, today, write
from bot.store import patterns as pattern_rows

#: Lookup statuses for which a "report this number" button is offered (an official number can't be
#: reported; an invalid one has nothing to report).
REPORTABLE = {"unknown", "lookalike", "reported"}
#: Replies are composed this many characters under the face's limit, so that a line added under the
#: badge (a screenshot's OCR note, :func:`check_screenshot`) still fits.
NOTE_ROOM = 96

_NUMBER_ONLY = re.compile(r"^[\s+＋()（）\-－—\d０-９]{3,30}$")


def wrote_traditional(engine: Engine, text: str) -> bool:
    """Whether the user wrote Traditional characters (the normalizer detects it while simplifying)."""
    return bool(text) and engine.normalizer(text[:500]).traditional


def looks_like_number(text: str) -> bool:
    """A message that is only a phone number gets a lookup instead of an analysis."""
    t = text.strip()
    return bool(_NUMBER_ONLY.match(t)) and sum(c.isdigit() for c in clean_number(t)) >= 3


def _reply_limit(limit: int | None) -> int | None:
    return None if limit is None else limit - NOTE_ROOM


def verdict_reply(v: Verdict, limit: int | None = None, region: str = "") -> Reply:
    """A verdict as a reply (HTML within ``limit``, less :data:`NOTE_ROOM`), in the reader's region's
    Traditional forms when they wrote Traditional or their client is set to it (``region``)."""
    return Reply(render.verdict_html(v, _reply_limit(limit), region), render.verdict_text(v, region), "verdict",
                 verdict=v)


def smalltalk_reply(engine: Engine) -> Reply:
    """What to send instead: a short hint, no verdict, no buttons, nothing recorded."""
    return plain(engine.knowledge.smalltalk_hint or texts.SMALLTALK_HINT)


def lookup_reply(lk: Lookup) -> Reply:
    """A lookup, with a button to report the number when reporting it makes sense."""
    reply = Reply(render.lookup_html(lk), render.lookup_text(lk), "lookup", lookup=lk)
    if lk.status in REPORTABLE and lk.normalized:
        reply.buttons = report_number_buttons(lk.normalized)
    return reply


def link_reply(c: LinkCheck) -> Reply:
    """A link lookup: whose domain it is, whose it imitates, or what else it is."""
    return Reply(render.link_html(c), render.link_text(c), "lookup", data={"link": c.to_dict()})


def any_lookup_reply(engine: Engine, text: str) -> Reply:
    """A lookup of a link (URL or bare domain) or of a phone number, whichever was sent."""
    found = engine.lookup_any(text)
    return link_reply(found) if isinstance(found, LinkCheck) else lookup_reply(found)


def check_text(engine: Engine, text: str, caller: Caller = Caller(), *, report: bool = True) -> Reply:
    """Analyse a message (or look it up, when it is only a phone number or only a link); with
    ``caller.face`` a verdict is also recorded (see :func:`record_reply`)."""
    if looks_like_number(text) or looks_like_link(text):
        return any_lookup_reply(engine, text)
    if engine.knowledge.is_smalltalk(text):  # not a question about a scam
        return smalltalk_reply(engine)
    reply = verdict_reply(engine.analyze(text), caller.limit, caller.region)
    if caller.face:
        record_reply(engine, reply, caller.face, report=report, user_id=caller.user_id)
    return reply


def reader_region(traditional: bool, region: str = "") -> str:
    """The Traditional forms a reader uses: their client's region, else Taiwan's for a client set to
    Traditional Chinese (zh-Hant), else none."""
    return region or ("TW" if traditional else "")


def check_message(engine: Engine, text: str, *, face: str | None = None, traditional: bool = False,
                  limit: int | None = None, region: str = "", user_id: int | str | None = None) -> Reply:
    """A message to check, never read as a command (a forwarded text may start with "/"), with
    lookups and notices in Traditional when the user's client is set to Traditional Chinese (in the
    forms of the client's ``region``). A recorded verdict's buttons are signed for ``user_id``."""
    region = reader_region(traditional, region)
    text = text if isinstance(text, str) else ""
    reply = check_text(engine, text, Caller(user_id=user_id, face=face, limit=limit, region=region))
    if reply.kind != "verdict" and (region or wrote_traditional(engine, text)):
        reply = traditional_reply(reply, region)
    return reply


def check_group_message(engine: Engine, text: str, *, limit: int | None = None,
                        user_id: int | str | None = None) -> Reply | None:
    """A message in a group: analysed, and only when it is high-risk recorded and answered (None: the
    bot stays quiet, and nothing is written). A bare number is not looked up unasked in a group. The
    buttons are signed for ``user_id``, the message's author."""
    reply = check_text(engine, text if isinstance(text, str) else "", Caller(limit=limit))
    if reply.verdict is None or reply.verdict.risk != "high":
        return None
    return record_reply(engine, group_warning(reply.verdict), "telegram_group", user_id=user_id)


def group_warning(v: Verdict) -> Reply:
    """What a group sees: only the short answer (the conclusion and the one thing to do), and how to get
    the details privately — a group is no place for the reasons and the member's own words."""
    more = render.to_reader(texts.GROUP_DETAILS, v)
    return Reply(render.verdict_short_html(v) + "\n" + html.escape(more),
                 render.verdict_short_text(v) + "\n" + more, "verdict", verdict=v)


def check_screenshot(engine: Engine, text: str, note: render.Note, *, face: str | None = None,
                     traditional: bool = False, limit: int | None = None, region: str = "",
                     user_id: int | str | None = None) -> Reply:
    """A screenshot's text (as OCR read it, perhaps with the image's caption): checked like a pasted
    message, with ``note`` (what was read) as the line under the badge, and without 🚩 举报 — that
    button reports the replied-to message's text, and a picture has none (the text read is never kept;
    /report with the text pasted works instead). The note's own words follow the verdict's script."""
    region = reader_region(traditional, region)
    reply = check_text(engine, text if isinstance(text, str) else "",
                       Caller(user_id=user_id, face=face, limit=limit, region=region), report=False)
    if reply.kind != "verdict" and region:
        reply = traditional_reply(reply, region)
    if reply.verdict is not None and reply.verdict.traditional:
        note = note.in_traditional()  # the label only: the text quoted stays as it was read
    reply.html = render.with_note(reply.html, render.note_html(note), limit)
    reply.text = render.with_note(reply.text, render.note_text(note), limit)
    return reply


# --- the checks log and feedback ---------------------------------------------------------------------


def record_check(engine: Engine, v: Verdict, face: str) -> int | None:
    """Log one check for the statistics: risk, score, pattern ids, scam types, face — never text. None
    when the database can't be written (the verdict goes out anyway, bot.store.checks.record)."""
    row = {"at": now(), "day": today(), "risk": v.risk, "score": round(float(v.score), 1),
           "pattern_ids": json.dumps([m.pattern_id for m in v.matches]),
           "scam_types": json.dumps(v.scam_types), "face": face}
    return check_rows.record(engine.store, row)


def record_reply(engine: Engine, reply: Reply, face: str, *, report: bool = True,
                 user_id: int | str | None = None) -> Reply:
    """Record a verdict reply in the checks log and attach the feedback buttons that refer to it,
    signed for ``user_id`` (None: no buttons — nobody could press them validly)."""
    v = reply.verdict
    if v is None or v.empty:
        return reply
    reply.check_id = record_check(engine, v, face)
    if reply.check_id is None or user_id is None:  # not saved, or for nobody: no buttons
        return reply
    labels = feedback_buttons(store.button_secret(engine.store), reply.check_id, user_id, report=report)
    reply.buttons = traditional_buttons(labels) if v.traditional else labels
    return reply


def check_exists(engine: Engine, check_id: int) -> bool:
    """Whether the checks log still has this row (feedback and 🚩 refer to it)."""
    return check_rows.exists(engine.store, check_id)


def record_vote(engine: Engine, check_id: int, user_id: int | str, vote: str) -> str:
    """One vote per user per check: ``recorded``, ``duplicate`` (the user voted already; the first vote
    stands), ``unknown`` (no such check) or ``invalid`` (not a vote)."""
    if vote not in VOTES:
        return "invalid"
    if not check_exists(engine, check_id):
        return "unknown"
    return vote_and_flag(engine, check_id, user_id, vote)[0]


def vote_and_flag(engine: Engine, check_id: int, user_id: int | str, vote: str) -> tuple[str, list[dict[str, Any]]]:
    """The vote, and on a new 误报 the scripts that matched get a 误报 count (admin.record_feedback_fp)
    in the same transaction. Returns the scripts whose 误报 voters have just become
    ``admin.NOISY_THRESHOLD`` different people — the admins' alert counts people, not votes, so one
    person voting on many checks can't trip it."""
    who = store.user_hash(engine.store, user_id)  # salted; the salt is made once per database
    noisy: list[dict[str, Any]] = []
    with write(engine.store):
        recorded = feedback_rows.add_vote(engine.store, check_id, who, vote, now())
        if recorded and vote == "fp":
            pids = check_rows.pattern_ids(engine.store, check_id)
            admin.record_feedback_fp(engine, pids)
            noisy = [row for pid in dict.fromkeys(pids)
                     if feedback_rows.fp_voters(engine.store, pid) == admin.NOISY_THRESHOLD
                     and feedback_rows.first_fp_by(engine.store, pid, who)
                     and (row := pattern_rows.get(engine.store, pid)) is not None]
    return ("recorded" if recorded else "duplicate"), noisy
