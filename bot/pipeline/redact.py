"""Redaction: mask personal data in a reported message before it is stored.

A forwarded scam message is the recipient's personal data. Nothing a user sends for checking is stored;
when a user *reports* a message, it is redacted first and only the redacted text reaches the database.

What is masked, and why:
- ID numbers (18 digits, the last may be X; 15-digit old-style IDs) and bank-card numbers (16-19 digits,
  with or without spaces/dashes): they identify the victim and are what scammers ask for.
- The reporter's own phone number (passed in), wherever and however it is written.
- Other mobile numbers, unless they are evidence: the number the reporter explicitly reports, and
  numbers right after a contact cue (致电 / 拨打 / 联系 / 详询 / 热线 / 加微信 …) are the scammer's contact
  numbers and are kept. Service, 400 and landline numbers are businesses' (or the scammer's) and kept.
- Names after 尊敬的 / 亲爱的 / 您好 (1-3 Han characters before 先生/女士/客户… or followed by a
  comma), after 我叫 / 姓名, and "surname + 先生/女士/小姐" anywhere (a name must start with a common
  surname or 小/老/阿, so 尊敬的平安客户 keeps the insurer's name).
- E-mail addresses and street addresses after 地址 / 住址 / 家住.
Links are kept: they are the evidence admins need.

The text is scanned through a length-preserving copy (full-width digits → ASCII), so every span maps
straight back to the user's original characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MASKS: dict[str, str] = {
    "id_number": "[身份证号]",
    "bank_card": "[银行卡号]",
    "own_phone": "[本人手机号]",
    "phone": "[手机号]",
    "name": "[姓名]",
    "email": "[邮箱]",
    "address": "[地址]",
}
LABELS: dict[str, str] = {
    "id_number": "身份证号",
    "bank_card": "银行卡号",
    "own_phone": "本人手机号",
    "phone": "手机号",
    "name": "姓名",
    "email": "邮箱",
    "address": "地址",
}
#: Matches any mask this module writes (used to strip masks when a report becomes a pattern).
MASK_RE = re.compile("|".join(re.escape(m) for m in MASKS.values()))

# full-width digits, letters, plus, hyphen and the ideographic space → ASCII, one character for one
_FW = {0xFF10 + i: ord("0") + i for i in range(10)}
_FW.update({0xFF21 + i: ord("A") + i for i in range(26)})
_FW.update({0xFF41 + i: ord("a") + i for i in range(26)})
_FW.update({0xFF0B: ord("+"), 0xFF0D: ord("-"), 0x3000: ord(" "), 0x2014: ord("-"), 0x2013: ord("-"),
            0x2010: ord("-"), 0x2011: ord("-"), 0xFF20: ord("@"), 0xFF0E: ord(".")})

_HAN = r"\u4e00-\u9fff"
_SEP = r"[ \-]?"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、；“”\"'<>（）()【】]+"
    r"|(?<![A-Za-z0-9@.\-])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:cn|com|net|org|top|xyz|vip|cc|info|site|online"
    r"|shop|ltd|club|app|io|me|co|icu|wang|link|tk|ml)(?![A-Za-z0-9])(?:[/?#][^\s，。！？、；“”\"'<>（）()【】]*)?",
    re.IGNORECASE,
)
# one alternation, tried left to right at each position: an ID number beats a card beats a phone
_DIGITS = re.compile(
    rf"(?<![\dA-Za-z])(?:"
    rf"(?P<id18>\d{{6}}{_SEP}(?:19|20)\d{{2}}{_SEP}?\d{{4}}{_SEP}\d{{3}}[\dXx])"
    rf"|(?P<card>\d{{4}}(?:{_SEP}\d{{4}}){{3}}(?:{_SEP}?\d{{1,3}})?|\d{{16,19}})"
    rf"|(?P<id15>\d{{15}})"
    rf"|(?P<mobile>(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}})"
    rf")(?![\dA-Za-z])"
)
#: A contact cue shortly before a mobile number marks it as the scammer's contact number (evidence).
_CONTACT_CUE = re.compile(
    r"(致电|拨打|联系|联络|来电|回电|回拨|电话|热线|专线|咨询|详询|垂询|微信|加微|vx|v信|wx|tel|call|客服|专员|经理|"
    r"顾问|联系人|号码|打给|打)"
)
_CUE_WINDOW = 14
_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
# the reporter's own number, or a number the sentence says belongs to the reporter/recipient
_SELF_CUE = re.compile(r"((我|本人|您|你)(爸|妈|家|老公|老婆|爱人|父亲|母亲|儿子|女儿)?的?(手机|电话|号码)|机主|绑定手机|预留手机)")

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝"
)
_NICK = "小老阿"
_HONORIFIC = r"(?:先生|女士|小姐|老师|阿姨|叔叔|大爷|大妈|大姐|大哥|同志|老人家|客户|用户|会员)"
_GREETING_NAME = re.compile(
    rf"(?P<cue>尊敬的|亲爱的|您好|你好)[，,：:\s]*"
    rf"(?:(?P<n1>[{_HAN}]{{1,3}}?)(?={_HONORIFIC})|(?P<n2>[{_HAN}]{{2,3}})(?=[，,：:！!]))"
)
_SELF_NAME = re.compile(rf"(?:我叫|我姓名|本人叫|本人姓名|姓名[：:是为]?|名字[是叫]?)[：:\s]*(?P<n>[{_HAN}]{{2,3}})")
_TITLE_NAME = re.compile(rf"(?P<n>[{_SURNAMES}][{_HAN}]{{0,2}}?)(?=先生|女士|小姐)")
#: Words after a greeting that are not names (尊敬的客户, 亲爱的会员, 您好各位…).
_NOT_NAMES = {
    "客户", "用户", "会员", "投保人", "被保险人", "保户", "车主", "家长", "朋友", "各位", "大家", "同志", "老师",
    "先生", "女士", "小姐", "阿姨", "叔叔", "您", "你", "我们", "亲", "宝宝", "贵宾", "老客户", "新客户", "尊贵",
    "这里", "请问", "我是", "感谢", "欢迎", "恭喜", "温馨", "提醒", "通知", "打扰", "不好意思",
}
_ADDRESS = re.compile(r"(?:地址|住址|家住|居住地|住在|收货地址)[：:\s]*(?P<a>[^，。！？\n,;；]{4,40})")


@dataclass
class Redacted:
    """The redacted text and how many items of each kind were masked (counts only, never the values)."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)
    kept_numbers: list[str] = field(default_factory=list)  # contact numbers kept as evidence (digits)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """'身份证号 1 处、银行卡号 1 处' (empty when nothing was masked)."""
        return "、".join(f"{LABELS[k]} {n} 处" for k, n in self.counts.items() if n)


def _digits(s: str) -> str:
    s = s.translate(_FW)
    d = re.sub(r"\D", "", s)
    if len(d) == 13 and d.startswith("86") and d[2] == "1":
        d = d[2:]
    return d


def _id_ok(d: str) -> bool:
    """A plausible birth date inside an 18-digit or 15-digit ID number."""
    try:
        if len(d) == 18:
            y, m, day = int(d[6:10]), int(d[10:12]), int(d[12:14])
            return 1900 <= y <= 2099 and 1 <= m <= 12 and 1 <= day <= 31
        if len(d) == 15:
            m, day = int(d[8:10]), int(d[10:12])
            return 1 <= m <= 12 and 1 <= day <= 31
    except ValueError:
        return False
    return False


def _overlaps(spans: list[tuple[int, int, str]], a: int, b: int) -> bool:
    return any(a < e and s < b for s, e, _ in spans)


def _cue_end(t: str, start: int, pattern: re.Pattern[str]) -> int:
    """Where the nearest cue before ``start`` ends (in the same sentence, within the window), or -1."""
    lo = max(0, start - _CUE_WINDOW)
    window = t[lo:start]
    cut = list(_SENTENCE_END.finditer(window))
    if cut:
        lo += cut[-1].end()
        window = t[lo:start]
    ends = [m.end() for m in pattern.finditer(window.lower())]
    return lo + ends[-1] if ends else -1


def redact(text: str, reporter_phone: str | None = None, keep_numbers: list[str] | tuple[str, ...] = (),
           addresses: bool = True) -> Redacted:
    """Mask personal data in ``text`` (see the module docstring for what and why)."""
    text = "" if text is None else str(text)
    t = text.translate(_FW)
    assert len(t) == len(text)
    own = _digits(reporter_phone or "")
    keep = {_digits(n) for n in keep_numbers if n}
    masked: list[tuple[int, int, str]] = []  # (start, end, kind)
    protected: list[tuple[int, int, str]] = []
    kept: list[str] = []

    for m in _EMAIL.finditer(t):
        masked.append((m.start(), m.end(), "email"))
    for m in _URL.finditer(t):
        if not _overlaps(masked, m.start(), m.end()):
            protected.append((m.start(), m.end(), "url"))

    if len(own) >= 5:  # the reporter's own number, in any spelling: each digit may be followed by a separator
        own_re = re.compile(r"(?<!\d)(?:\+?86[ \-]?)?" + r"[ \-]?".join(own) + r"(?!\d)")
        for m in own_re.finditer(t):
            if not _overlaps(masked + protected, m.start(), m.end()):
                masked.append((m.start(), m.end(), "own_phone"))

    for m in _DIGITS.finditer(t):
        a, b = m.span()
        if _overlaps(masked + protected, a, b):
            continue
        d = _digits(m.group(0))
        if m.group("id18"):
            kind = "id_number" if _id_ok(d[:17] + "0") else "bank_card"
        elif m.group("card"):
            kind = "id_number" if len(d) == 18 and _id_ok(d) else "bank_card"
        elif m.group("id15"):
            if not _id_ok(d):
                continue
            kind = "id_number"
        else:  # a mobile number
            if d in keep:
                kept.append(d)
                continue
            contact, own_cue = _cue_end(t, a, _CONTACT_CUE), _cue_end(t, a, _SELF_CUE)
            if contact > own_cue:  # the nearer cue decides: "让他拨打 138…" vs "我爸的手机 138…"
                kept.append(d)
                continue
            kind = "phone"
        masked.append((a, b, kind))

    def add_name(a: int, b: int) -> None:
        name = t[a:b]
        if name in _NOT_NAMES or name[:2] in _NOT_NAMES or _overlaps(masked + protected, a, b):
            return
        if name[0] not in _SURNAMES and name[0] not in _NICK:
            return
        masked.append((a, b, "name"))

    for m in _GREETING_NAME.finditer(t):
        g = "n1" if m.group("n1") else "n2"
        add_name(m.start(g), m.end(g))
    for m in _SELF_NAME.finditer(t):
        add_name(m.start("n"), m.end("n"))
    for m in _TITLE_NAME.finditer(t):
        add_name(m.start("n"), m.end("n"))
    if addresses:
        for m in _ADDRESS.finditer(t):
            a, b = m.span("a")
            if not _overlaps(masked + protected, a, b):
                masked.append((a, b, "address"))

    counts: dict[str, int] = {}
    out = text
    for a, b, kind in sorted(masked, key=lambda s: s[0], reverse=True):
        out = out[:a] + MASKS[kind] + out[b:]
        counts[kind] = counts.get(kind, 0) + 1
    order = list(MASKS)
    return Redacted(out, {k: counts[k] for k in order if k in counts}, list(dict.fromkeys(kept)))


def strip_masks(text: str) -> str:
    """The text without the mask tokens (for turning a redacted report into a scam script)."""
    return re.sub(r"\s{2,}", " ", MASK_RE.sub("", text)).strip()
