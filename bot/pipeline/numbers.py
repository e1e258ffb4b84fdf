"""Phone numbers: parse any common spelling, find them in text, and classify them.

Statuses (see DESIGN.md): ``official`` (an insurer's or the regulator's number in the registry),
``reported`` (users/admins reported it as an impersonation number), ``lookalike`` (close to an
official number: one digit off, two digits swapped, digits or a foreign prefix added), ``unknown``,
``invalid`` (not a possible phone number). Almost every 955xx number belongs to *some* company, so a
look-alike is only "not the insurer's number", never "a scam number" by itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

from bot.model import Lookup
from bot.pipeline.knowledge import Knowledge, OfficialNumber

#: China's short service numbers: 95xxx(x) enterprise hotlines, 96xxx, 12xxx government lines, 1xx emergency.
_SERVICE = re.compile(r"^(95\d{3,4}|96\d{3}|12\d{3}|1(?:10|19|20|22)|10\d{3})$")
_TOLL_FREE = re.compile(r"^(400|800)\d{7}$")
_AREA_SERVICE = re.compile(r"^(0\d{2,3})(95\d{3,4}|96\d{3}|12\d{3})$")
_STRIP = re.compile(r"[\s\-‐‑‒–—―().（）·•/_,，、]")

_TYPE_NAMES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.SHARED_COST: "service",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.UAN: "service",
}


@dataclass
class ParsedNumber:
    raw: str
    normalized: str  # the registry key: "95519", "4008895518", "+8613912345678", "+12025550123"
    kind: str  # service | toll_free | mobile | landline | international | ...
    core: str  # the digits compared with official numbers (national number without area code for services)
    foreign_prefix: str = ""  # "+1" when a non-Chinese prefix was put in front of a Chinese-looking number
    area_code: str = ""


def clean(raw: str) -> str:
    """NFKC (full-width digits → ASCII), drop invisible characters and separators."""
    s = unicodedata.normalize("NFKC", str(raw))
    s = "".join(c for c in s if unicodedata.category(c) not in ("Cf", "Cc", "Zs") or c == "+")
    s = _STRIP.sub("", s).strip()
    if s.lower().startswith("tel:"):
        s = s[4:]
    return s


def parse(raw: str) -> ParsedNumber | None:
    """Parse one number as people write it (spaces, dashes, +86, 0086, full-width digits). None if invalid."""
    s = clean(raw)
    if not s or len(s) > 24:
        return None
    plus = s.startswith("+")
    if s.startswith("00"):
        s, plus = s[2:], True
    digits = s.lstrip("+")
    if not digits.isdigit():
        return None
    if plus and digits.startswith("86"):
        national, plus = digits[2:], False
    elif plus:
        return _parse_international(raw, digits)
    else:
        national = digits
    if _SERVICE.match(national):
        return ParsedNumber(raw, national, "service", national)
    if _TOLL_FREE.match(national):
        return ParsedNumber(raw, national, "toll_free", national)
    m = _AREA_SERVICE.match(national)
    if m:
        return ParsedNumber(raw, m.group(2), "service", m.group(2), area_code=m.group(1))
    try:
        pn = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(pn) or not phonenumbers.is_valid_number(pn):
        return None
    kind = _TYPE_NAMES.get(phonenumbers.number_type(pn), "other")
    return ParsedNumber(raw, phonenumbers.format_number(pn, phonenumbers.PhoneNumberFormat.E164), kind,
                        str(pn.national_number))


def _parse_international(raw: str, digits: str) -> ParsedNumber | None:
    try:
        pn = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        pn = None
    if pn is not None and phonenumbers.is_possible_number(pn):
        national = str(pn.national_number)
        return ParsedNumber(raw, "+" + digits, "international", national, foreign_prefix=f"+{pn.country_code}")
    # "+95519": a plus sign glued onto a service number, a classic caller-ID trick
    for k in range(1, 4):
        rest = digits[k:]
        if _SERVICE.match(rest) or _TOLL_FREE.match(rest):
            return ParsedNumber(raw, "+" + digits, "international", rest, foreign_prefix="+" + digits[:k])
    if _SERVICE.match(digits) or _TOLL_FREE.match(digits):
        return ParsedNumber(raw, "+" + digits, "international", digits, foreign_prefix="+")
    return None


def _one_off(a: str, b: str) -> str | None:
    """How ``a`` resembles ``b`` (same length): one digit changed, or two adjacent digits swapped."""
    if len(a) != len(b) or a == b:
        return None
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return "一位数字不同"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
        return "两位数字对调"
    return None


def similar_official(p: ParsedNumber, knowledge: Knowledge) -> list[tuple[OfficialNumber, str]]:
    """Official numbers this one imitates, with how. Emergency 1xx numbers are never compared (111 ≠ 110)."""
    out: list[tuple[OfficialNumber, str]] = []
    for digits, off in knowledge.official_numbers.items():
        if len(digits) <= 3:
            continue
        if p.foreign_prefix and p.core == digits:
            out.append((off, f"官方号码前加了境外前缀 {p.foreign_prefix}"))
            continue
        how = _one_off(p.core, digits)
        if how:
            out.append((off, how))
        elif len(p.core) > len(digits) and digits in p.core and not p.area_code:
            out.append((off, "在官方号码前后加了数字"))
    exact = [x for x in out if x[1].startswith("官方号码前加了境外前缀")]
    return exact or out  # "+1 95519" imitates 95519 itself, not 95511 one digit away


ReportedFn = Callable[[str], dict | None]


def lookup(raw: str, knowledge: Knowledge, reported: ReportedFn | None = None) -> Lookup:
    """Classify a number. ``reported`` returns the registry row for a normalized number (an index read)."""
    raw = str(raw if raw is not None else "")
    p = parse(raw)
    if p is None:
        return Lookup(input=raw, normalized=clean(raw)[:32], status="invalid")
    res = Lookup(input=raw, normalized=p.normalized, status="unknown", kind=p.kind)
    off = knowledge.official_numbers.get(p.core) if not p.foreign_prefix else None
    if off is None and p.kind in ("mobile", "landline") and p.normalized.startswith("+86"):
        off = knowledge.official_numbers.get(p.normalized[3:])
    row = reported(p.normalized) if reported else None
    if row:
        res.reports = int(row.get("reports") or 1)
        res.scam_types = [t for t in str(row.get("scam_type") or "").split(",") if t]
        res.first_reported = row.get("first_reported")
        res.last_reported = row.get("last_reported")
        res.note = str(row.get("note") or "")
    if off is not None:
        res.status = "official"
        res.insurer = off.org_name
        res.org_kind = off.org_kind
        res.unverified = off.status != "official"
        if res.unverified:
            res.status = "unknown"  # an unverified registry entry is not vouched for
        return res
    sims = similar_official(p, knowledge)
    res.similar_to = [{"number": o.number, "insurer": o.org_name, "how": how} for o, how in sims]
    if row:
        res.status = "reported"
    elif sims:
        res.status = "lookalike"
        res.insurer = sims[0][0].org_name
    return res


_CANDIDATE = re.compile(r"(?<![\d.])(\+?\d[\d\s\-]{1,20}\d)(?![\d%％])")
_NOT_PHONE_AFTER = re.compile(r"^\s*(元|块|万|亿|%|％|年|月|日|号|天|岁|个|次|份|笔|人|倍|分钟|小时|期)")
_NOT_PHONE_BEFORE = re.compile(r"(验证码|校验码|动态码|尾号|卡号|账号|单号|保单号|订单|编号|¥|￥|\$|第)\s*[:：是为]?\s*$")


def find(basic_text: str) -> list[tuple[int, int, ParsedNumber]]:
    """Phone numbers in an already character-normalized text: (start, end, parsed) in that text."""
    out = []
    for m in _CANDIDATE.finditer(basic_text):
        s, e = m.span(1)
        token = m.group(1)
        if _NOT_PHONE_AFTER.match(basic_text[e : e + 3]) or _NOT_PHONE_BEFORE.search(basic_text[max(0, s - 6) : s]):
            continue
        digits = re.sub(r"\D", "", token)
        if len(digits) < 3 or len(digits) > 16:
            continue
        if len(digits) == 3 and not re.search(r"(拨打|致电|报警|电话|热线|打)\s*$", basic_text[max(0, s - 4) : s]):
            continue  # a bare 3-digit number is rarely a phone number (110/120 only with 拨打)
        p = parse(token)
        if p is not None:
            out.append((s, e, p))
    return out


#: Numbers spelled in Chinese digits ("请致电一三六 五五二八 九零七一"): written so to slip past filters
#: that look for digits. Seven or more digits in a row, spaces or dashes between groups allowed.
_SPELLED = re.compile(r"[零〇一二三四五六七八九幺](?:[ \-]?[零〇一二三四五六七八九幺]){6,15}")
_SPELLED_DIGITS = str.maketrans("零〇一二三四五六七八九幺", "001234567891")


def find_spelled(basic_text: str) -> list[tuple[int, int, ParsedNumber]]:
    """Phone numbers written in Chinese digits: (start, end, parsed) in ``basic_text``."""
    out = []
    for m in _SPELLED.finditer(basic_text):
        p = parse(re.sub(r"[ \-]", "", m.group(0)).translate(_SPELLED_DIGITS))
        if p is not None and p.kind != "service":
            out.append((m.start(), m.end(), p))
    return out
