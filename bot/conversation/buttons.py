"""Inline buttons: every kind of button the bot sends, and its callback data — written and read here only.

The data has one format, ``<prefix>:<field>:<field>…``, and holds ids or keys, never a user's text
(the 🚩 举报 button carries a check id; the text it reports is read from Telegram when it is pressed).
Each kind knows its exact shape (:meth:`ButtonKind.parse`) and which data belongs to it
(:attr:`ButtonKind.route`): the Telegram face registers one callback handler per kind with
``pattern=kind.route``, and :func:`bot.conversation.presses.on_button` picks the kind the same way, so
the face's routing and the conversation's parsing can't disagree. A face's own size limit on the data
(Telegram: 64 bytes) is the face's to check.

Votes and reports are signed: their data ends in an HMAC of (action, check id, user id) under a secret
kept in the database (:func:`bot.store.db.button_secret`), so a press is only accepted from the person
the buttons were made for — forging ``fb:<someone else's check>:fp`` gets nothing counted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from bot.conversation.messages import Buttons
from bot.model import SCAM_TYPES


class ButtonKind:
    """One kind of button: ``prefix``, the regex of its fields (groups are what :meth:`parse` returns)
    and a label for logs. ``route`` is every data starting with the prefix, or, with ``exact_route``,
    only well-formed data (malformed data of that kind then counts as a stale button)."""

    def __init__(self, prefix: str, fields: str = "", *, name: str, exact_route: bool = True):
        self.prefix = prefix
        self.name = name
        self.shape = re.compile(rf"^{re.escape(prefix)}" + (f":{fields}" if fields else "") + "$", re.S)
        self.route = self.shape if exact_route else re.compile(rf"^{re.escape(prefix)}:", re.S)

    def data(self, *fields: object) -> str:
        """The callback data of one button of this kind."""
        return ":".join([self.prefix, *map(str, fields)])

    def parse(self, data: str) -> tuple[str | None, ...] | None:
        """The fields of well-formed data of this kind; None for anything else."""
        m = self.shape.match(data)
        return m.groups() if m else None

    def routes(self, data: str) -> bool:
        """Whether a press with this data is this kind's to answer."""
        return self.route.match(data) is not None

    def __repr__(self) -> str:
        return f"ButtonKind({self.prefix!r})"


#: The signature's length (URL-safe base64 of HMAC-SHA256, cut: 96 bits) and its regex.
MAC_CHARS = 16
_MAC = rf"([A-Za-z0-9_-]{{{MAC_CHARS}}})"

#: Feedback on a verdict: fb:<check id>:up (有帮助) / fb:<check id>:fp (误报), then the signature.
VOTE = ButtonKind("fb", rf"(\d{{1,18}}):(up|fp):{_MAC}", name="vote")
#: 🚩 举报 under a verdict: rp:<check id>:<sig> (the text is the message the verdict replies to); it asks
#: for confirmation, given by rc:<check id>:<sig> (✅ 确认举报) or withdrawn by rx:<check id>:<sig> (取消).
REPORT_CHECK = ButtonKind("rp", rf"(\d{{1,18}}):{_MAC}", name="report")
REPORT_CONFIRM = ButtonKind("rc", rf"(\d{{1,18}}):{_MAC}", name="report-confirm")
REPORT_CANCEL = ButtonKind("rx", rf"(\d{{1,18}}):{_MAC}", name="report-cancel")
#: 🚩 举报这个号码 under a lookup: rn:<number key>; at most 30 characters of the key are read.
REPORT_NUMBER = ButtonKind("rn", r"(.{1,30}).*", name="report-number")
#: The admins' review of a report: rv:<report id>:<action>[:<scam type>]. Every rv: press is the
#: review's to answer (a non-admin gets 无权限 even for malformed data), hence not an exact route.
REVIEW = ButtonKind("rv", r"(\d{1,18}):(approve|reject|as_pattern|as_number|force)(?::([a-z_]{1,40}))?",
                    name="review", exact_route=False)
#: The Telegram admins' /newpattern form (bot/faces/tg/forms.py): np:t:<scam type>, np:ok, np:x.
FORM_TYPE = ButtonKind("np:t", r"(.*)", name="form-type")
FORM_CONFIRM = ButtonKind("np:ok", name="form-confirm")
FORM_CANCEL = ButtonKind("np:x", name="form-cancel")
#: The optional leak question (bot/conversation/leaks.py): lk:<insurer id>:<item>:<items already chosen,
#: as a bit mask> — what to count and which buttons to leave; never who pressed or which check it was.
LEAK = ButtonKind("lk", r"([a-z0-9-]{1,30}):([a-z_]{1,12}):(\d{1,3})", name="leak")

#: The kinds a press is routed to outside the form, in order (:func:`bot.conversation.presses.on_button`).
KINDS = (VOTE, REPORT_CHECK, REPORT_CONFIRM, REPORT_CANCEL, REPORT_NUMBER, REVIEW, LEAK)

VOTES = {"up": "有帮助", "fp": "误报"}
REVIEW_ACTIONS = {"approve": "通过", "reject": "驳回", "as_pattern": "改为话术", "as_number": "改为号码", "force": "强制通过"}


def kind_of(data: str) -> ButtonKind | None:
    """The kind a press with this data belongs to (None: an old or forged button)."""
    return next((k for k in KINDS if k.routes(data)), None)


def signature(secret: str, action: str, check_id: int | str, user_id: int | str) -> str:
    """The HMAC of (action, check id, user id) that signed button data ends with."""
    mac = hmac.new(secret.encode(), f"{action}:{int(check_id)}:{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:MAC_CHARS]


def genuine(secret: str, action: str, check_id: int | str, user_id: int | str, mac: str | None) -> bool:
    """Whether ``mac`` is the signature of this press (constant-time comparison)."""
    return bool(mac) and hmac.compare_digest(signature(secret, action, check_id, user_id), str(mac))


def signed(kind: ButtonKind, secret: str, check_id: int, user_id: int | str, *fields: str) -> str:
    """The data of a signed button: ``<prefix>:<check id>[:<field>…]:<signature>``."""
    action = ":".join([kind.prefix, *fields])
    return kind.data(check_id, *fields, signature(secret, action, check_id, user_id))


def feedback_buttons(secret: str, check_id: int, user_id: int | str, *, report: bool = True) -> Buttons:
    """有帮助 / 误报, and 🚩 举报 (``report``: not under a screenshot, whose text is never kept), signed for
    ``user_id``. All carry only the check id: the report button's text is read, when pressed, from the
    message the verdict replies to, so nothing of the user's message is stored unless they press it."""
    rows = [[("👍 有帮助", signed(VOTE, secret, check_id, user_id, "up")),
             ("🙅 误报", signed(VOTE, secret, check_id, user_id, "fp"))]]
    if report:
        rows.append(report_button(secret, check_id, user_id))
    return rows


def report_button(secret: str, check_id: int, user_id: int | str) -> list[tuple[str, str]]:
    """The 🚩 举报 row alone (what stays after a vote, or after 取消)."""
    return [("🚩 举报", signed(REPORT_CHECK, secret, check_id, user_id))]


def confirm_buttons(secret: str, check_id: int, user_id: int | str) -> Buttons:
    """取消 / ✅ 确认举报 in place of 🚩 举报. Confirming sits on the right, so a double tap on the
    shrunken keyboard (🚩 is where 👍 was) lands on 取消, not on a report."""
    return [[("取消", signed(REPORT_CANCEL, secret, check_id, user_id)),
             ("✅ 确认举报", signed(REPORT_CONFIRM, secret, check_id, user_id))]]


def report_number_buttons(number_key: str) -> Buttons:
    """Under a lookup of a number that may be reported."""
    return [[("🚩 举报这个号码", REPORT_NUMBER.data(number_key))]]


def review_buttons(report_id: int, actions: list[tuple[str, str]]) -> Buttons:
    """A review card's row: (label, action) pairs as rv: buttons."""
    row = [(label, REVIEW.data(report_id, action)) for label, action in actions]
    return [row] if row else []


def type_buttons(report_id: int, action: str) -> Buttons:
    """One button per scam type, two per row, for an approval that needs a type."""
    pairs = [(label, REVIEW.data(report_id, action, key)) for key, label in SCAM_TYPES.items()]
    return [pairs[i:i + 2] for i in range(0, len(pairs), 2)]
