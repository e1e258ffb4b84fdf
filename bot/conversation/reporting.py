"""Users' reports, the customers' side: /report, /report in reply to a message, the 🚩 buttons, /myreports.

Only what a user asks to report is stored, redacted (bot.admin.reports.submit_report, which also
keeps the review queue); this module reads what to report from a command or a button and words the
outcome.
"""

from __future__ import annotations

import re

from bot.admin import reports
from bot.conversation import texts
from bot.conversation.buttons import REPORT_CHECK, REPORT_NUMBER
from bot.conversation.check import check_exists
from bot.conversation.messages import ButtonAnswer, Press, Reply, parse_command, plain
from bot.pipeline.engine import Engine
from bot.pipeline.numbers import clean as clean_number

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


def report_text(engine: Engine, text: str, user_id: int | str) -> Reply:
    """/report in reply to a message: report that message's text (redacted before it is stored)."""
    text = reported_text(text)
    if not text:
        return plain(texts.NOTHING_TO_REPORT)
    return _outcome(reports.submit_report(engine, user_id, text=text))


def report_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """🚩 举报 under a verdict (rp:<check id>): report the message the verdict replies to, whose text
    the face reads from its platform only for this button (``press.source_text``)."""
    fields = REPORT_CHECK.parse(press.data)
    if fields is None or not check_exists(engine, int(str(fields[0]))):
        return ButtonAnswer(texts.CHECK_GONE_REPORT)
    text = reported_text(press.source_text)
    if not text:
        return ButtonAnswer(texts.NO_SOURCE_TEXT, alert=True)
    res = reports.submit_report(engine, press.user_id, text=text)
    return ButtonAnswer(res.message[:200], alert=True, reply=plain(res.message))


def number_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """🚩 举报这个号码 under a lookup (rn:<number key>)."""
    fields = REPORT_NUMBER.parse(press.data)
    key = str(fields[0]) if fields else ""
    res = reports.submit_report(engine, press.user_id, number=key)
    body = res.message + (texts.ADD_TO_NUMBER_REPORT.format(number=key) if res.ok else "")
    return ButtonAnswer(res.message[:200], alert=not res.ok, reply=plain(body), remove_buttons=res.ok)


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
