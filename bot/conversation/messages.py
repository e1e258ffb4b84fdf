"""What goes into the conversation and what comes out of it, for every face.

In: a text, which is either a command (:func:`parse_command`) or a message to check, from someone
(:class:`Caller`). Out: a :class:`Reply` (HTML for Telegram, plain text for the terminal, buttons as
``(label, callback data)`` pairs a face renders its own way) or, for a pressed button, a
:class:`ButtonAnswer`. Kept apart from the modules that compose replies so that each of them can use
these types without importing the others.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from bot import render
from bot.model import Lookup, Verdict

#: Rows of inline buttons: (label, callback data). The data is written by :mod:`bot.conversation.buttons`.
Buttons = list[list[tuple[str, str]]]


@dataclass(frozen=True)
class Caller:
    """Who sent a message, and how the face wants the answer.

    ``face`` (e.g. ``"telegram"``) records verdicts in the checks log; without it (the terminal chat,
    tests) nothing is written. ``limit`` is the longest HTML reply the face can send (its own
    platform's limit, e.g. Telegram's); None: no limit (the terminal prints the plain text)."""

    #: Who is asking; None: unknown (a recorded verdict then gets no buttons, which are signed per user).
    user_id: int | str | None = "local"
    is_admin: bool = False
    face: str | None = None
    limit: int | None = None
    #: The reader's region from their client language ("TW", "HK"; "" unknown): Traditional replies
    #: use that region's forms.
    region: str = ""


@dataclass(frozen=True)
class Press:
    """A pressed inline button: its callback data, who pressed it, and — for 🚩 举报 only — the text of
    the message the verdict replies to, which the face reads from its platform for this button alone."""

    data: str
    user_id: int | str
    is_admin: bool = False
    source_text: str | None = None
    #: For 🚩 举报: who wrote the message the verdict replies to (None: unknown), and whether the presser
    #: already confirmed (a face that can't show confirm buttons — a group — asks its own way).
    author_id: int | str | None = None
    confirmed: bool = False


@dataclass
class Reply:
    """One reply: HTML for Telegram, plain text for the terminal, and what it was about."""

    html: str
    text: str
    kind: str = "info"  # verdict | lookup | help | admin | error | info | report | forget
    verdict: Verdict | None = None
    lookup: Lookup | None = None
    data: dict[str, Any] = field(default_factory=dict)
    #: Inline buttons, rows of (label, callback data); the data is an id or a number key, never text.
    buttons: Buttons = field(default_factory=list)
    #: The checks-log row this reply was recorded as (feedback votes refer to it), if any.
    check_id: int | None = None


@dataclass
class ButtonAnswer:
    """What a pressed button does: a short notice (Telegram: the callback answer, at most 200
    characters), optionally a new message, and whether the buttons should go away."""

    notice: str
    alert: bool = False
    reply: Reply | None = None
    remove_buttons: bool = False
    #: A new version of the message the button is on (a review card after 通过 / 驳回).
    edit: Reply | None = None
    #: A short notice for every admin (e.g. a script whose 误报 votes just passed the threshold); no user text.
    admin_notice: str | None = None
    #: The press was refused (a non-admin pressing an admin button): the face logs it as an event.
    refused: bool = False
    #: With ``remove_buttons``: the buttons to leave in place of the old ones (e.g. 🚩 举报 after a vote).
    keep_buttons: Buttons = field(default_factory=list)
    #: For a report button: what happened (bot.admin.reports.ReportResult.status), for the face's daily cap.
    report_status: str | None = None
    #: A 🚩 举报 press that needs confirming (the face of a group asks for a second press instead).
    needs_confirm: bool = False


def plain(text: str, kind: str = "info", **kwargs: Any) -> Reply:
    """A reply that is just a text: the HTML is the same text, escaped."""
    return Reply(html.escape(text), text, kind, **kwargs)


def traditional_buttons(rows: Buttons, region: str = "") -> Buttons:
    """Button labels in Traditional characters (the data stays as it is)."""
    return [[(render.to_traditional(label, region), data) for label, data in row] for row in rows]


def traditional_reply(reply: Reply, region: str = "") -> Reply:
    """The same reply in Traditional characters, in the forms of the reader's ``region`` (button labels
    included). Verdicts are already converted by render; this is for help, lookups and notices."""
    reply.html = render.to_traditional(reply.html, region)
    reply.text = render.to_traditional(reply.text, region)
    reply.buttons = traditional_buttons(reply.buttons, region)
    return reply


def parse_command(text: str) -> tuple[str, str] | None:
    """'/lookup@MyBot 95519' → ('lookup', '95519'); None when not a command."""
    t = text.strip()
    if not t.startswith("/"):
        return None
    head, _, rest = t.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + (" " + rest if rest else "")
    name = head[1:].split("@", 1)[0].lower()
    return name, rest.strip()
