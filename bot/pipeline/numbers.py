"""Phone numbers: parse any common spelling, find them in text, and classify them.

Statuses (see DESIGN.md): ``official`` (a number of an organisation in the registry: insurers and the
regulator in insurers.yaml, banks, telecoms, payment platforms, government and police lines in
organizations.yaml; ``org_kind`` says which kind), ``reported`` (users/admins reported it as an
impersonation number), ``lookalike`` (close to an insurer's or the regulator's number and nobody's
official line: one digit off, two digits swapped, digits or a foreign prefix added), ``unknown``,
``invalid`` (not a possible phone number). Almost every 955xx number belongs to *some* company, so a
look-alike is only "not the insurer's number", never "a scam number" by itself.

A lookup also carries ``warnings`` for numbers that claim too much (a foreign number, the 00 prefix,
digits in front of a service number, a virtual-operator range, "+86" in front of a 95xxx line), keeps an
extension apart (95519转2 is 95519), and shows the number as people at home write it (``display``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder

from bot.model import Lookup
from bot.pipeline import contacts
from bot.pipeline.knowledge import Knowledge, OfficialNumber

#: China's short service numbers: 95xxx(x) enterprise hotlines, 96xxx, 12xxx government lines, 1xx emergency.
_SERVICE = re.compile(r"^(95\d{3,4}|96\d{3}|12\d{3}|1(?:10|19|20|22)|10\d{3})$")
_TOLL_FREE = re.compile(r"^(400|800)\d{7}$")
_AREA_SERVICE = re.compile(r"^(0\d{2,3})(95\d{3,4}|96\d{3}|12\d{3})$")
_AREA_CODE = re.compile(r"^0\d{2,3}$")
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


#: An extension after the number: "95519转2", "95511-3", "95519 ext 8", "95519#2" (the base is looked up).
_EXTENSION = re.compile(r"^(.*?\d)\s*(?:转|轉|分机|分機|ext\.?|x|#|-)\s*(\d{1,5})#?$", re.I)
#: Kinds whose own digits may contain an official number by chance (13995519123): never "digits added".
_SUBSCRIBER = ("mobile", "landline")
#: Lookalikes are measured only against these kinds' numbers (a bank's line is nobody's look-alike).
LOOKALIKE_KINDS = ("insurer", "regulator")


@dataclass
class ParsedNumber:
    raw: str
    normalized: str  # the registry key: "95519", "4008895518", "+8613912345678", "+12025550123"
    kind: str  # service | toll_free | mobile | landline | international | ...
    core: str  # the digits compared with official numbers (national number without area code for services)
    foreign_prefix: str = ""  # "+1" when a non-Chinese prefix was put in front of a Chinese-looking number
    area_code: str = ""
    extension: str = ""  # "2" in 95519转2
    display: str = ""  # as written at home: 0755-8888 6666, 138 1234 5678, +852 9123 4567
    prefix: str = ""  # how the number was dialled: "+86", "0086", "00", "+" or ""
    country: str = ""  # for an international number: the country or region, in Chinese
    region: str = ""  # … and its region code ("HK")


def clean(raw: str) -> str:
    """NFKC (full-width digits → ASCII), drop invisible characters and separators."""
    s = unicodedata.normalize("NFKC", str(raw))
    s = "".join(c for c in s if unicodedata.category(c) not in ("Cf", "Cc", "Zs") or c == "+")
    s = _STRIP.sub("", s).strip()
    if s.lower().startswith("tel:"):
        s = s[4:]
    return s


def split_extension(raw: str) -> tuple[str, str]:
    """("95519", "2") for "95519转2" or "95511-3": the base number and its extension ("" when none).

    A dash only starts an extension when what precedes it is a whole service number (955-19 is 95519)."""
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if len(text) > 40:  # no number with an extension is this long (and the pattern would backtrack)
        return str(raw), ""
    m = _EXTENSION.match(text)
    if not m:
        return str(raw), ""
    base, ext = m.group(1), m.group(2)
    if text[m.end(1):].lstrip().startswith("-") or text[m.end(1):].lstrip().lower().startswith("x"):
        digits = clean(base).lstrip("+")
        if not (_SERVICE.match(digits) or _TOLL_FREE.match(digits)):
            return str(raw), ""
    return base, ext


def parse(raw: str) -> ParsedNumber | None:
    """Parse one number as people write it (spaces, dashes, +86, 0086, full-width digits, an extension
    after 转 or -). None if invalid."""
    base, ext = split_extension(raw)
    s = clean(base)
    if not s or len(s) > 24:
        return None
    p = _parse_clean(str(raw), s)
    if p is not None:
        p.extension = ext
        p.display = display_form(p)
    return p


def _parse_clean(raw: str, s: str) -> ParsedNumber | None:
    prefix = "+" if s.startswith("+") else ""
    if s.startswith("00"):
        s, prefix = s[2:], "00"
    digits = s.lstrip("+")
    if not digits.isdigit():
        return None
    national = digits
    if prefix and digits.startswith("86"):
        national, prefix = digits[2:], ("+86" if prefix == "+" else "0086")
    elif prefix:
        p = _parse_international(raw, digits)
        if p is not None:
            p.prefix = prefix
        return p
    if _SERVICE.match(national):
        return ParsedNumber(raw, national, "service", national, prefix=prefix)
    if _TOLL_FREE.match(national):
        return ParsedNumber(raw, national, "toll_free", national, prefix=prefix)
    m = _AREA_SERVICE.match(national)
    if m:
        return ParsedNumber(raw, m.group(2), "service", m.group(2), area_code=m.group(1), prefix=prefix)
    try:
        pn = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(pn) or not phonenumbers.is_valid_number(pn):
        return None
    kind = _TYPE_NAMES.get(phonenumbers.number_type(pn), "other")
    return ParsedNumber(raw, phonenumbers.format_number(pn, phonenumbers.PhoneNumberFormat.E164), kind,
                        str(pn.national_number), prefix=prefix)


def _parse_international(raw: str, digits: str) -> ParsedNumber | None:
    if _SERVICE.match(digits) or _TOLL_FREE.match(digits):  # "+95519", "0095588": a prefix glued on
        return ParsedNumber(raw, "+" + digits, "international", digits, foreign_prefix="+")
    try:
        pn = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        pn = None
    if pn is not None and phonenumbers.is_possible_number(pn):
        national = str(pn.national_number)
        country = geocoder.country_name_for_number(pn, "zh") or phonenumbers.region_code_for_number(pn) or ""
        return ParsedNumber(raw, "+" + digits, "international", national, foreign_prefix=f"+{pn.country_code}",
                            country=country, region=phonenumbers.region_code_for_number(pn) or "")
    # "+95519": a plus sign glued onto a service number, a classic caller-ID trick
    for k in range(1, 4):
        rest = digits[k:]
        if _SERVICE.match(rest) or _TOLL_FREE.match(rest):
            return ParsedNumber(raw, "+" + digits, "international", rest, foreign_prefix="+" + digits[:k])
    return None


def display_form(p: ParsedNumber) -> str:
    """The number as people at home write it: 0755-8888 6666, 138 1234 5678, 400-889-5518, 95519 转 2;
    a foreign number in international form (+852 9123 4567)."""
    ext = f" 转 {p.extension}" if p.extension else ""
    if p.kind == "service":
        return (f"{p.area_code}-" if p.area_code else "") + p.core + ext
    if p.kind == "international" and not p.country:
        return f"{p.foreign_prefix}{p.core}{ext}"
    if p.kind == "toll_free":
        return f"{p.core[:3]}-{p.core[3:6]}-{p.core[6:]}{ext}"
    try:
        pn = phonenumbers.parse(p.normalized, None)
    except phonenumbers.NumberParseException:
        return p.normalized + ext
    if p.kind == "international":
        return phonenumbers.format_number(pn, phonenumbers.PhoneNumberFormat.INTERNATIONAL) + ext
    national = phonenumbers.format_number(pn, phonenumbers.PhoneNumberFormat.NATIONAL)
    if p.kind == "landline" and national.startswith("0") and " " in national:
        national = national.replace(" ", "-", 1)
    return national + ext


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
    """Insurers' and the regulator's numbers this one imitates, with how. Emergency 1xx numbers are never
    compared (111 ≠ 110), nor other organisations' lines (95588 is ICBC's, not a look-alike of 95518), and a
    mobile or landline number is never "an official number with digits added" (13995519123 is someone's phone)."""
    out: list[tuple[OfficialNumber, str]] = []
    for digits, off in knowledge.official_numbers.items():
        if len(digits) <= 3 or off.org_kind not in LOOKALIKE_KINDS:
            continue
        if p.foreign_prefix and p.core == digits:
            out.append((off, f"官方号码前加了境外前缀 {p.foreign_prefix}"))
            continue
        how = _one_off(p.core, digits)
        if how:
            out.append((off, how))
        elif (len(p.core) > len(digits) and digits in p.core and not p.area_code
              and p.kind not in _SUBSCRIBER):
            out.append((off, "在官方号码前后加了数字"))
    exact = [x for x in out if x[1].startswith("官方号码前加了境外前缀")]
    return exact or out  # "+1 95519" imitates 95519 itself, not 95511 one digit away


def registered(digits: str, knowledge: Knowledge) -> OfficialNumber | None:
    """The registry entry for exactly these digits (165, 18222 and 120 included), verified or not."""
    return knowledge.official_numbers.get(digits)


def warnings_for(p: ParsedNumber, knowledge: Knowledge) -> list[str]:
    """Why this number claims too much: foreign, the 00 prefix, digits in front of a service number, a
    virtual-operator range, "+86" in front of a 95xxx line. Each is a reason to check, not a verdict."""
    out: list[str] = []
    if p.kind == "international" and p.region and (registered(p.core, knowledge) or _NONE).region == p.region:
        pass  # +852 18222 is Hong Kong's own line, called from Hong Kong
    elif p.kind == "international" and p.country:
        out.append(f"境外号码（{p.country}，{p.foreign_prefix}）：自称内地保险公司、银行或监管部门的来电不会来自境外，多为诈骗")
    elif p.kind == "international":
        out.append(f"号码 {p.core} 前加了国际前缀“{p.foreign_prefix}”：境内客服号码的来电不会这样显示，多为境外改号")
    if p.kind == "international" and p.prefix == "00":
        out.append("以 00 开头：这是国际长途前缀，来电来自境外")
    if p.prefix in ("+86", "0086") and p.kind == "service" and re.match(r"^9[56]", p.core):
        out.append(f"服务号码 {p.core} 前显示了 {p.prefix}：境内机构的客服来电不会这样显示，可能是境外改号来电")
    extra = _extra_digits(p, knowledge)
    if extra:
        out.append(extra)
    if p.kind == "mobile":
        national = p.normalized[3:] if p.normalized.startswith("+86") else p.core
        for r in knowledge.phone_ranges.get("virtual_ranges") or []:
            prefix = str((r or {}).get("prefix") or "")
            if prefix and national.startswith(prefix):
                out.append(f"{prefix} 号段属于虚拟运营商，常被诈骗分子使用；保险公司、银行的客服不会用它联系您")
                break
    return out


def _extra_digits(p: ParsedNumber, knowledge: Knowledge) -> str:
    """"1095588": a registry service number with 1-4 digits put in front of it (not an area code)."""
    if p.kind in _SUBSCRIBER or p.area_code or registered(p.core, knowledge):
        return ""
    for digits, off in knowledge.official_numbers.items():
        extra = p.core[: -len(digits)]
        if len(digits) >= 5 and p.core.endswith(digits) and 1 <= len(extra) <= 4 and not _AREA_CODE.match(extra):
            return (f"在服务号码 {digits}（{off.org_name}）前多了数字 {p.core[: -len(digits)]}：真正的服务号码"
                    "前面不会多出数字")
    return ""


_NONE = OfficialNumber("", "", "", "")
ReportedFn = Callable[[str], dict | None]


def lookup(raw: str, knowledge: Knowledge, reported: ReportedFn | None = None) -> Lookup:
    """Classify a number. ``reported`` returns the registry row for a normalized number (an index read)."""
    raw = str(raw if raw is not None else "")
    handle = contacts.handle_only(raw)
    if handle is not None:
        return Lookup(input=raw, normalized=handle.id, status="invalid", kind=handle.kind,
                      warnings=[contacts.handle_warning(handle)])
    p = parse(raw) or _padded_service(raw, knowledge)
    if p is None:  # a short line of its own that is no mainland number: 165 (Taiwan), 18222 (Hong Kong)
        short = registered(clean(raw), knowledge)
        if short is None:
            return Lookup(input=raw, normalized=clean(raw)[:32], status="invalid")
        p = ParsedNumber(raw, short.number, "service", short.number, display=short.number)
    res = Lookup(input=raw, normalized=p.normalized, status="unknown", kind=p.kind, display=p.display,
                 extension=p.extension)
    off = _official(p, knowledge)
    row = reported(p.normalized) if reported else None
    if row:
        res.reports = int(row.get("reports") or 1)
        res.scam_types = [t for t in str(row.get("scam_type") or "").split(",") if t]
        res.first_reported = row.get("first_reported")
        res.last_reported = row.get("last_reported")
        res.note = str(row.get("note") or "")
    res.warnings = warnings_for(p, knowledge)
    if off is not None:  # "+86 95519" stays 中国人寿's number; its warning says such a caller ID is odd
        res.status = "official"
        res.insurer = res.org = off.org_name
        res.org_kind = off.org_kind
        res.unverified = off.status != "official"
        if res.unverified:
            res.status = "unknown"  # an unverified registry entry is not vouched for
        return res
    glued = registered(p.core, knowledge) if p.foreign_prefix else None
    if glued is not None and glued.org_kind not in LOOKALIKE_KINDS:
        off = glued  # "+95588": ICBC's line with a plus glued on — a warning, not an insurer's look-alike
    sims = similar_official(p, knowledge) if off is None else []
    res.similar_to = [{"number": o.number, "insurer": o.org_name, "how": how} for o, how in sims]
    if off is not None:  # "+95588": ICBC's line with a plus glued on — named, with its warning
        res.org, res.org_kind = off.org_name, off.org_kind
        res.similar_to = [{"number": off.number, "insurer": off.org_name, "how": f"官方号码前加了前缀 {p.foreign_prefix}"}]
    if row:
        res.status = "reported"
    elif sims:
        res.status = "lookalike"
        res.insurer = res.org = sims[0][0].org_name
    return res


def _official(p: ParsedNumber, knowledge: Knowledge) -> OfficialNumber | None:
    """The registry entry this number is (a foreign prefix in front makes it someone else's number);
    a landline whose local number is a service line is that line dialled with its area code (1095588 is
    010-95588, ICBC's line in Beijing)."""
    if p.foreign_prefix:  # a foreign prefix makes it someone else's number, except a line of that region
        off = registered(p.core, knowledge)
        return off if off is not None and p.region and off.region == p.region else None
    off = registered(p.core, knowledge)
    if off is None and p.kind in _SUBSCRIBER and p.normalized.startswith("+86"):
        off = registered(p.normalized[3:], knowledge)
    if off is None and p.kind == "landline":
        off = registered(_local_number(p), knowledge)
    return off


def _local_number(p: ParsedNumber) -> str:
    """A landline's number without its area code (phonenumbers knows each area code's length)."""
    try:
        pn = phonenumbers.parse(p.normalized, None)
    except phonenumbers.NumberParseException:
        return ""
    n = phonenumbers.length_of_geographical_area_code(pn)
    return str(pn.national_number)[n:] if n else ""


def _padded_service(raw: str, knowledge: Knowledge) -> ParsedNumber | None:
    """"195588", "8895519": no possible number, but a registry service number with 1-4 digits put in
    front — read as that (so the lookup can warn, or call it an insurer's look-alike), not as garbage."""
    base, _ = split_extension(raw)
    digits = clean(base)
    if not digits.isdigit():
        return None
    for number in knowledge.official_numbers:
        if len(number) >= 5 and digits.endswith(number) and 1 <= len(digits) - len(number) <= 4:
            return ParsedNumber(raw, digits, "other", digits, display=digits)
    return None


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
