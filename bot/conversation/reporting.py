"""Users' reports, the customers' side: /report, /report in reply to a message, the 🚩 buttons, /myreports.

Only what a user asks to report is stored, redacted (bot.admin.reports.submit_report, which also
keeps the review queue); this module reads what to report from a command or a button and words the
outcome.
"""

from __future__ import annotations

import re

from bot import store
from bot.admin import reports
from bot.conversation import texts
from bot.conversation.buttons import (
    REPORT_CANCEL,
    REPORT_CHECK,
    REPORT_CONFIRM,
    REPORT_NUMBER,
    ButtonKind,
    confirm_buttons,
    genuine,
    report_button,
)
from bot.conversation.check import check_exists
from bot.conversation.messages import ButtonAnswer, Press, Reply, parse_command, plain
from bot.pipeline.engine import Engine
from bot.pipeline.numbers import clean as clean_number
from bot.store import now, user_hash, write
from bot.store import reports as report_rows

_LEADING_NUMBER = re.compile(r"^([+＋]?[\d０-９][\d０-９\s\-－()（）]{3,24}[\d０-９])(?=$|\s|[^\d０-９\s\-－()（）])")


def _outcome(res: reports.ReportResult) -> Reply:
    return plain(res.message, "report" if res.ok else "error", data={"report_id": res.report_id, "status": res.status})


def report_command(engine: Engine, arg: str, user_id: int | str) -> Reply:
    """/report 号码 [说明] or /report 文字 (the face handles /report in reply to a message through
    :func:`report_text`)."""
    arg = (arg or "").strip()
    if not arg:
        return plain(texts.REPORT_USAGE)
    number, text = None, arg
    m = _LEADING_NUMBER.match(arg)
    if m and sum(c.isdigit() for c in clean_number(m.group(1))) >= 5:
        number, text = m.group(1), arg[m.end():].strip(" ：:，,")
    return _outcome(reports.submit_report(engine, user_id, text=text or None, number=number))


def reported_text(source_text: str | None) -> str:
    """The text to report from the message a verdict replies to: "/check TEXT" → TEXT; another
    command → nothing (commands are not scam messages)."""
    text = (source_text or "").strip()
    cmd = parse_command(text)
    if cmd is not None:
        name, arg = cmd
        return arg if name in ("check", "report") else ""
    return text


def _someone_elses(user_id: int | str, author_id: int | str | None) -> bool:
    return author_id is not None and str(author_id) != str(user_id)


def _number_only(engine: Engine, text: str, user_id: int | str) -> Reply:
    """Someone else's message: report the scammer's number in it, never the text (the author's words,
    maybe with their 保单号, are theirs to share)."""
    v = engine.analyze(text)
    lk = next((n for n in v.numbers if n.status not in ("official", "invalid") and n.normalized), None)
    if lk is None:
        return plain(texts.NOT_AUTHOR, "error")
    res = reports.submit_report(engine, user_id, number=lk.normalized)
    reply = _outcome(res)
    if res.ok:
        reply = plain(texts.NUMBER_ONLY.format(number=lk.normalized) + res.message, "report", data=reply.data)
    return reply


def report_text(engine: Engine, text: str, user_id: int | str, *, author_id: int | str | None = None,
                is_admin: bool = False) -> Reply:
    """/report in reply to a message (or 🚩 举报): report that message's text (redacted before it is
    stored). Only its author — ``author_id``, when the face knows it — or an admin may report the text;
    anyone else reports the number in it alone. A text an admin reports for someone else is linked to
    its author (salted hash), so the author's /forgetme removes it."""
    text = reported_text(text)
    if not text:
        return plain(texts.NOTHING_TO_REPORT)
    if _someone_elses(user_id, author_id) and not is_admin:
        return _number_only(engine, text, user_id)
    res = reports.submit_report(engine, user_id, text=text)
    if res.ok and res.report_id is not None and _someone_elses(user_id, author_id):
        with write(engine.store):
            report_rows.add_author(engine.store, res.report_id, user_hash(engine.store, str(author_id)), now())
    return _outcome(res)


def _signed_check(engine: Engine, press: Press, kind: ButtonKind) -> tuple[int | None, ButtonAnswer | None]:
    """The check id of a signed report button, or the answer when it is stale or not the presser's."""
    fields = kind.parse(press.data)
    if fields is None or not check_exists(engine, int(str(fields[0]))):
        return None, ButtonAnswer(texts.CHECK_GONE_REPORT)
    check_id = int(str(fields[0]))
    if not genuine(store.button_secret(engine.store), kind.prefix, check_id, press.user_id, fields[1]):
        return None, ButtonAnswer(texts.NOT_YOUR_BUTTON, alert=True)
    return check_id, None


def report_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """🚩 举报 under a verdict (rp:<check id>:<signature>): asks for confirmation first (取消 / ✅ 确认举报
    in its place), so a stray tap files nothing; a face that confirmed already (``press.confirmed``)
    gets the report at once."""
    check_id, refusal = _signed_check(engine, press, REPORT_CHECK)
    if refusal is not None or check_id is None:
        return refusal or ButtonAnswer(texts.CHECK_GONE_REPORT)
    if press.confirmed:
        return _report_source(engine, press)
    return ButtonAnswer(texts.CONFIRM_REPORT, remove_buttons=True, needs_confirm=True,
                        keep_buttons=confirm_buttons(store.button_secret(engine.store), check_id, press.user_id))


def report_confirmed(engine: Engine, press: Press) -> ButtonAnswer:
    """✅ 确认举报 (rc:<check id>:<signature>): report the message the verdict replies to."""
    check_id, refusal = _signed_check(engine, press, REPORT_CONFIRM)
    if refusal is not None or check_id is None:
        return refusal or ButtonAnswer(texts.CHECK_GONE_REPORT)
    return _report_source(engine, press)


def report_cancelled(engine: Engine, press: Press) -> ButtonAnswer:
    """取消 (rx:<check id>:<signature>): nothing is filed; 🚩 举报 comes back."""
    check_id, refusal = _signed_check(engine, press, REPORT_CANCEL)
    if refusal is not None or check_id is None:
        return refusal or ButtonAnswer(texts.CHECK_GONE_REPORT)
    return ButtonAnswer(texts.REPORT_CANCELLED, remove_buttons=True,
                        keep_buttons=[report_button(store.button_secret(engine.store), check_id, press.user_id)])


def _report_source(engine: Engine, press: Press) -> ButtonAnswer:
    """File the report of the message the verdict replies to, whose text the face reads from its
    platform only for this button (``press.source_text``)."""
    if not reported_text(press.source_text):
        return ButtonAnswer(texts.NO_SOURCE_TEXT, alert=True)
    reply = report_text(engine, press.source_text or "", press.user_id, author_id=press.author_id,
                        is_admin=press.is_admin)
    status = reply.data.get("status")
    return ButtonAnswer(reply.text[:200], alert=True, reply=reply, remove_buttons=reply.kind == "report",
                        report_status=status)


def number_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """🚩 举报这个号码 under a lookup (rn:<number key>)."""
    fields = REPORT_NUMBER.parse(press.data)
    key = str(fields[0]) if fields else ""
    res = reports.submit_report(engine, press.user_id, number=key)
    body = res.message + (texts.ADD_TO_NUMBER_REPORT.format(number=key) if res.ok else "")
    return ButtonAnswer(res.message[:200], alert=not res.ok, reply=plain(body), remove_buttons=res.ok,
                        report_status=res.status)


def my_reports_text(engine: Engine, user_id: int | str) -> str:
    """/myreports: the user's own reports, newest first, each with its outcome in words."""
    rows = reports.my_reports(engine, user_id)
    if not rows:
        return texts.NO_REPORTS_YET
    lines = [texts.MY_REPORTS_HEAD]
    for r in rows:
        lines.append(texts.MY_REPORT_LINE.format(id=r["id"], kind=reports.KIND_LABELS.get(r["kind"], r["kind"]),
                                                 preview=r["preview"], status=r["status_label"],
                                                 outcome=texts.report_outcome(r)))
    return "\n".join(lines)


def my_reports_reply(engine: Engine, user_id: int | str) -> Reply:
    return plain(my_reports_text(engine, user_id))
