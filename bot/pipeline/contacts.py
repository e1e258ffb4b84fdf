"""Contact handles in text: QQ numbers and WeChat ids, which people write next to a cue word
("加QQ 2837465910", "微信 gskf", "VX：abc_123").

Why a module of its own: a QQ number is ten digits that the phone-number finder would otherwise read as
a Chengdu landline (+862837465910), and an "official" who asks you to add his QQ or WeChat is itself a
sign of a scam — insurers, banks and the regulator do not serve customers through private chat ids. The
finder returns spans in the text it is given, so the phone finder can skip them.
"""

from __future__ import annotations

import re

from bot.model import Contact

_QQ = re.compile(r"(?<![A-Za-z])(?:qq|扣扣|企鹅)\s*(?:号码|号)?\s*(?:是|为|[:：])?\s*(\d{5,11})(?!\d)", re.I)
#: WeChat ids are 6-20 letters, digits, - and _, starting with a letter; people also give shorter ones
#: ("微信 gskf") and phone numbers, so after an explicit cue anything from 3 characters counts.
_WECHAT = re.compile(
    r"(?<![A-Za-z])(?:微信|威信|薇信|徽信|v信|vx|wx|weixin|wechat|加v|\+v)\s*(?:号码|号|id)?\s*(?:是|为|[:：])?\s*"
    r"([A-Za-z][-_A-Za-z0-9]{2,19}|\d{5,11})(?![-_A-Za-z0-9])",
    re.I,
)
#: Ids that are words, not handles ("微信 app", "微信支付" is Chinese and never matches anyway).
_NOT_IDS = {"app", "pay", "id", "qq", "group", "the", "and", "official"}


def find(text: str) -> list[Contact]:
    """Every QQ number and WeChat id in ``text``, with its span (the id only, not the cue word)."""
    out: list[Contact] = []
    for kind, rx in (("qq", _QQ), ("wechat", _WECHAT)):
        for m in rx.finditer(text):
            ident = m.group(1)
            if ident.lower() in _NOT_IDS:
                continue
            out.append(Contact(kind, ident, m.start(1), m.end(1)))
    out.sort(key=lambda c: c.start)
    return out


def handle_only(text: str) -> Contact | None:
    """The handle, when the whole text is one cue word and one id ("QQ 2837465910") — a lookup of it."""
    t = str(text).strip()
    found = find(t)
    if len(found) == 1 and found[0].end == len(t) and len(t) - len(found[0].id) <= 8:
        return found[0]
    return None


def handle_warning(c: Contact) -> str:
    """What to tell someone who was asked to add this handle."""
    name = "QQ号" if c.kind == "qq" else "微信号"
    return (f"这是{name}，不是电话号码：保险公司、银行和监管部门不会让您添加个人QQ或微信办理退保、理赔或退费；"
            "自称官方的人让您加QQ/微信，多是诈骗")
