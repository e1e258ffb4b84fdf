"""Extraction: phone numbers, links, money amounts, yearly-return percentages, insurer names.

Numbers and links are found in the character-normalized text (where their spelling survives);
insurer names in the fully normalized text. All positions are reported in ORIGINAL-text coordinates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ahocorasick

from bot.pipeline import contacts, numbers
from bot.pipeline.knowledge import Knowledge, Organization
from bot.pipeline.normalize import Normalized

_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、；“”\"'<>（）(),!\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
    r"|(?<![@\w.])(?:[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?\.)+"
    r"(?:cn|com|net|org|top|xyz|vip|cc|info|club|shop|site|online|ink|icu|me|io|ltd|work|link|app|wang|pro|live|fun|tk|ml|ga"
    r"|co|asia|biz|xin|ren|cyou|buzz|sbs|bond|lol|mobi|hk|tw|one|store|tech|website|space|fit|life|today|run|cfd|click"
    r"|host|world|red|kim|plus|gq|cf|ws|ly|su|ru|us|best|mom|rest|skin|hair|quest|monster|beauty)"
    r"(?![a-z0-9])(?:[/?#][^\s，。！？、；“”\"'<>（）(),!\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*)?",
    re.I,
)
#: Anonymized public corpora replace contacts with these tokens; each stands for a real number or link.
_PLACEHOLDER_PHONE = re.compile(r"(?<![A-Za-z])(CELLPHONE|PHONE)(?![A-Za-z])")
_PLACEHOLDER_URL = re.compile(r"(?<![A-Za-z])URL(?![A-Za-z])")

#: At most this many different phone numbers of one message are kept (each is looked up in the registry),
#: and this many places where they occur: a message of 5,000 numbers must cost what one of 50 does.
MAX_NUMBERS = 50
MAX_NUMBER_SPANS = 200

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
#: A digit run, digits possibly spaced out to dodge filters ("1 0 %" is 10%; the spaces are dropped). It
#: starts only where a run starts (not after a digit or "digit space") and never gives characters back
#: (possessive), so a 5,000-digit run is read once, not once per starting digit and length: the old
#: ``\d(?: ?\d)*`` took seconds on "1" × 4,096 (issue 15). No quantifier sits inside another.
_RUN = r"\d(?:\d| (?=\d))*+(?:\.\d++)?"
_RUN_START = r"(?<!\d)(?<!\d )"
#: a percentage, or a range of them (8%-12%, 8-12%)
_PCT = re.compile(rf"{_RUN_START}({_RUN})\s*+(?:[-~～至到]\s*+({_RUN})\s*+)?(?:%|‰|个点|厘(?!米)|釐(?!米))")
_CN_RUN = "零〇一二两三四五六七八九十点"
_PCT_CN = re.compile(rf"百分之([{_CN_RUN}\d.]++)|(?<![{_CN_RUN}])([{_CN_RUN}]++)(?:个点|厘(?!米))")
_RETURN_CONTEXT = re.compile(r"(年化|年收益|年息|年利|收益|利息|回报|返息|分红|利率|每年|一年|年回|月息|月收益|日息)")
#: A money amount: "¥300", "1,500 元", "3万"; the digit run is read once (possessive, starts where a run starts).
_AMOUNT = re.compile(r"[¥￥]\s*+\d[\d,，]*+(?:\.\d++)?(?:\s*+(?:万元|万|亿元|亿|元))?"
                     r"|(?<!\d)(?<!\d[,，])\d[\d,，]*+(?:\.\d++)?\s*+(?:万元|万|亿元|亿|元|块钱|块)")


def cn_number(s: str) -> float | None:
    """百分之九 → 9, 十二 → 12, 八点五 → 8.5 (enough for percentages people write)."""
    s = s.strip()
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if "点" in s:
        a, _, b = s.partition("点")
        ia = cn_number(a) if a else 0
        if ia is None or not all(c in _CN_DIGITS for c in b):
            return None
        return ia + float("0." + "".join(str(_CN_DIGITS[c]) for c in b)) if b else ia
    if "十" in s:
        a, _, b = s.partition("十")
        tens = _CN_DIGITS.get(a) if a else 1
        ones = _CN_DIGITS.get(b) if b else 0
        if tens is None or ones is None:
            return None
        return float(tens * 10 + ones)
    if all(c in _CN_DIGITS for c in s):
        return float("".join(str(_CN_DIGITS[c]) for c in s))
    return None


@dataclass
class Found:
    """One extracted item: its value and its span in the original text."""

    value: object
    start: int
    end: int


@dataclass
class Extracted:
    phones: list[Found] = field(default_factory=list)  # value: numbers.ParsedNumber
    urls: list[Found] = field(default_factory=list)  # value: str
    amounts: list[Found] = field(default_factory=list)  # value: str as written
    percents: list[Found] = field(default_factory=list)  # value: float (yearly-return percentages only)
    orgs: list[Found] = field(default_factory=list)  # value: Organization
    contacts: list[Found] = field(default_factory=list)  # value: model.Contact (QQ / WeChat handles)
    placeholder_phone: bool = False
    placeholder_url: bool = False


class OrgFinder:
    """Finds insurer / regulator names (aliases) in normalized text with one Aho-Corasick pass."""

    #: A weak alias (平安, 太平, 阳光 …, also ordinary words) counts only followed by one of these.
    WEAK_SUFFIXES = ("保险", "人寿", "财险", "产险", "寿险", "健康险", "养老", "客服", "集团", "公司")

    def __init__(self, knowledge: Knowledge, canonical):
        self.auto = ahocorasick.Automaton()
        for org in knowledge.organizations:
            names = {org.name, *org.aliases} - set(org.weak_aliases)
            for name in names:
                self._add(canonical(name), org)
            for weak in org.weak_aliases:
                for suffix in self.WEAK_SUFFIXES:
                    self._add(canonical(weak + suffix), org)
        self.empty = len(self.auto) == 0
        if not self.empty:
            self.auto.make_automaton()

    def _add(self, key: str, org: Organization) -> None:
        if len(key) >= 2:
            self.auto.add_word(key, (key, org))

    def find(self, norm: Normalized) -> list[Found]:
        if self.empty:
            return []
        out = []
        for end, (key, org) in self.auto.iter(norm.text):
            a, b = norm.span(end - len(key) + 1, end + 1)
            out.append(Found(org, a, b))
        return out


def extract(basic: Normalized, norm: Normalized, knowledge: Knowledge, orgs: OrgFinder) -> Extracted:
    """Everything the signals and the verdict need from one message."""
    ex = Extracted()
    text = basic.text
    url_spans = []
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?)")
        a, b = basic.span(m.start(), m.start() + len(url))
        ex.urls.append(Found(basic.original[a:b], a, b))
        url_spans.append((m.start(), m.start() + len(url)))
    handle_spans = _add_contacts(ex, basic, text)
    distinct: set[str] = set()
    for s, e, p in numbers.find(text) + numbers.find_spelled(text):
        if any(us <= s < ue for us, ue in url_spans + handle_spans):
            continue
        if p.normalized not in distinct and len(distinct) >= MAX_NUMBERS or len(ex.phones) >= MAX_NUMBER_SPANS:
            continue  # a list of hundreds of numbers: the first ones say what it is; each costs a lookup
        distinct.add(p.normalized)
        a, b = basic.span(s, e)
        ex.phones.append(Found(p, a, b))
    for m in _AMOUNT.finditer(text):
        a, b = basic.span(*m.span())
        ex.amounts.append(Found(basic.original[a:b], a, b))
    for m in _PCT.finditer(text):
        hi = max(float(m.group(1).replace(" ", "")), float((m.group(2) or "0").replace(" ", "")))
        _add_percent(ex, basic, text, m.start(), m.end(), hi)
    for m in _PCT_CN.finditer(norm.text):
        val = cn_number(m.group(1) or m.group(2))
        if val is not None:
            a, b = norm.span(*m.span())
            ctx = norm.text[max(0, m.start() - 12) : m.end() + 6]
            if _RETURN_CONTEXT.search(ctx) and 0 < val <= 100:
                ex.percents.append(Found(val, a, b))
    ex.orgs = orgs.find(norm)
    ex.placeholder_phone = bool(_PLACEHOLDER_PHONE.search(basic.original))
    ex.placeholder_url = bool(_PLACEHOLDER_URL.search(basic.original))
    return ex


def _add_contacts(ex: Extracted, basic: Normalized, text: str) -> list[tuple[int, int]]:
    """QQ numbers and WeChat ids (not phone numbers): where they are in ``text``, so the phone finder
    skips them — except a WeChat id that is itself a mobile number, which is a phone number too."""
    spans = []
    for c in contacts.find(text):
        a, b = basic.span(c.start, c.end)
        ex.contacts.append(Found(c, a, b))
        p = numbers.parse(c.id) if c.kind == "wechat" else None
        if p is None or p.kind != "mobile":
            spans.append((c.start, c.end))
    return spans


def _add_percent(ex: Extracted, basic: Normalized, text: str, s: int, e: int, value: float) -> None:
    ctx = text[max(0, s - 12) : e + 6]
    if _RETURN_CONTEXT.search(ctx) and 0 < value <= 100:
        a, b = basic.span(s, e)
        ex.percents.append(Found(value, a, b))
