"""Redaction: mask personal data in a reported message before it is stored.

A forwarded scam message is the recipient's personal data. Nothing a user sends for checking is stored;
when a user *reports* a message, it is redacted first and only the redacted text reaches the database.

What is masked, and why:
- ID numbers (18 digits, the last may be X, with a space, dash or dot between any digits, letters such
  as IDNo right before them; 15-digit old-style IDs) and bank-card numbers (16-19 digits, with or without
  spaces/dashes/dots): they identify the victim and are what scammers ask for.
- Numbers written in Chinese digits (一三九…, 壹叁玖…, 幺) are read like digits; Traditional text is read
  in Simplified characters (one character for one), so 陳先生 and 電話 are found like 陈先生 and 电话.
- The reporter's own phone number (passed in), wherever and however it is written.
- Numbers the sentence gives as the reporter's or a relative's, friend's or colleague's (我的微信手机号,
  我婆婆的电话 …).
- Other mobile numbers, unless they are evidence: the number the reporter explicitly reports, and
  numbers right after a contact cue (致电 / 拨打 / 联系 / 详询 / 热线 / 加微信 …) are the scammer's contact
  numbers and are kept. Service, 400 and landline numbers are businesses' (or the scammer's) and kept.
- Names after 尊敬的 / 亲爱的 / 您好 (1-3 Han characters before 先生/女士/客户… or followed by a
  comma), after 我叫 / 姓名, after a role (投保人 / 被保险人 / 受益人 / 客户 / 收件人 / 联系人 / 致), and
  "surname + 先生/女士/小姐" anywhere (a name must start with a common surname, one of the compound
  surnames 欧阳/司马/诸葛…, or 小/老/阿, so 尊敬的平安客户 keeps the insurer's name).
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

#: Chinese digits (also the financial forms and 幺 for 1), one for one, in the copy numbers are read from:
#: "一三九一二三四五六七八" is a phone number to mask like 13912345678 (issue 15).
_CN_DIGITS = {ord(c): ord(str(i)) for i, cs in enumerate(("零〇", "一壹幺", "二贰", "三叁", "四肆", "五伍", "六陆", "七柒",
                                                            "八捌", "九玖")) for c in cs}

_HAN = r"\u4e00-\u9fff"
_SEP = r"[ \-.]?"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s，。！？、；“”\"'<>（）()【】]+"
    r"|(?<![A-Za-z0-9@.\-])[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:cn|com|net|org|top|xyz|vip|cc|info|site|online"
    r"|shop|ltd|club|app|io|me|co|icu|wang|link|tk|ml)(?![A-Za-z0-9])(?:[/?#][^\s，。！？、；“”\"'<>（）()【】]*)?",
    re.IGNORECASE,
)
# one alternation, tried left to right at each position: an ID number beats a card beats a phone. An ID
# number may have a space, dash or dot between any two of its digits (1101 0119 9003 0776 5X,
# 110101.1990.0307.7650) and letters right before it (IDNo110101…): only digits may not touch a number.
_DIGITS = re.compile(
    rf"(?<!\d)(?:"
    rf"(?P<id18>\d(?:{_SEP}\d){{16}}{_SEP}[\dXx])"
    rf"|(?P<card>\d{{4}}(?:{_SEP}\d{{4}}){{3}}(?:{_SEP}\d{{1,3}})?|\d{{16,19}})"
    rf"|(?P<id15>\d{{15}})"
    rf"|(?P<mobile>(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}})"
    rf")(?!\d)"
)
#: A contact cue shortly before a mobile number marks it as the scammer's contact number (evidence).
_CONTACT_CUE = re.compile(
    r"(致电|拨打|联系|联络|来电|回电|回拨|电话|热线|专线|咨询|详询|垂询|微信|加微|vx|v信|wx|tel|call|客服|专员|经理|"
    r"顾问|联系人|号码|打给|打)"
)
_CUE_WINDOW = 14
_SENTENCE_END = re.compile(r"[。！？!?\n；;]")
#: Whose number it is when it is not the scammer's: the reporter's family, friends and colleagues.
_RELATIVES = (
    "爸爸|妈妈|爸|妈|家里人|家人|家里|老公|老婆|爱人|丈夫|妻子|媳妇|父亲|母亲|父母|儿子|女儿|孩子|儿媳|女婿|婆婆|公公|"
    "岳父|岳母|丈母娘|老丈人|爷爷|奶奶|外公|外婆|姥姥|姥爷|哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹|孙子|孙女|舅舅|舅妈|姑姑|"
    "姑父|叔叔|婶婶|伯伯|伯母|阿姨|姨妈|亲戚|朋友|同学|同事|邻居|领导|对象|男朋友|女朋友|家"
)
# the reporter's own number, or a number the sentence says belongs to the reporter/recipient or their family
_SELF_CUE = re.compile(
    rf"((?:我|本人|您|你|咱)们?(?:{_RELATIVES})?的?(?:微信|常用|联系|绑定|预留|注册|私人|工作|个人)?"
    r"(?:手机号码|手机号|手机|电话号码|电话|号码)|机主|绑定手机|预留手机|本机号码)"
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝"
)
_NICK = "小老阿"
#: Two-character surnames: 欧阳娜娜 is masked whole, not 欧[姓名] (阳 alone is a surname too).
_COMPOUND = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|夏侯|轩辕|端木|独孤|南宫|西门|百里|呼延|万俟|"
    "澹台|闻人|申屠|濮阳|太史|钟离|宗政|赫连|公冶|司空|左丘|梁丘|第五|拓跋"
)
_COMPOUNDS = frozenset(_COMPOUND.split("|"))
#: A name: a compound surname and one or two characters, or a surname and one or two characters.
_NAME = rf"(?:(?:{_COMPOUND})[{_HAN}]{{1,2}}?|[{_SURNAMES}][{_HAN}]{{1,2}}?)"
_HONORIFIC = r"(?:先生|女士|小姐|老师|阿姨|叔叔|大爷|大妈|大姐|大哥|同志|老人家|客户|用户|会员)"
_GREETING_NAME = re.compile(
    rf"(?P<cue>尊敬的|亲爱的|您好|你好)[，,：:\s]*"
    rf"(?:(?P<n1>(?:{_COMPOUND})[{_HAN}]{{0,2}}?|[{_HAN}]{{1,3}}?)(?={_HONORIFIC})"
    rf"|(?P<n2>(?:{_COMPOUND})[{_HAN}]{{1,2}}|[{_HAN}]{{2,3}})(?=[，,：:！!]))"
)
_SELF_NAME = re.compile(rf"(?:我叫|我姓名|本人叫|本人姓名|姓名[：:是为]?|名字[是叫]?)[：:\s]*"
                        rf"(?P<n>(?:{_COMPOUND})[{_HAN}]{{1,2}}|[{_HAN}]{{2,3}})")
_TITLE_NAME = re.compile(rf"(?P<n>(?:{_COMPOUND})[{_HAN}]{{0,2}}?|[{_SURNAMES}][{_HAN}]{{0,2}}?)(?=先生|女士|小姐)")
#: A name after the role it has on a policy or a letter (投保人张伟的保单, 被保险人：李秀英, 致刘强：): the name
#: ends where a word that cannot be part of it follows, so 客户关怀专员 and 被保险人安全无虞 are not names.
_ROLE_NAME = re.compile(
    rf"(?:投保人|被保险人|被保人|受益人|客户姓名|客户|收件人|联系人|户名|持卡人|开户名|开户人|(?<![{_HAN}])致)[：:\s]*"
    rf"(?P<n>{_NAME})(?:(?![{_HAN}])|(?=的|先生|女士|小姐|您|你|已|在|于|是|名下|本人|年龄|电话|手机|身份))"
)
#: Words after a greeting that are not names (尊敬的客户, 亲爱的会员, 您好各位…).
_NOT_NAMES = {
    "客户", "用户", "会员", "投保人", "被保险人", "保户", "车主", "家长", "朋友", "各位", "大家", "同志", "老师",
    "先生", "女士", "小姐", "阿姨", "叔叔", "您", "你", "我们", "亲", "宝宝", "贵宾", "老客户", "新客户", "尊贵",
    "这里", "请问", "我是", "感谢", "欢迎", "恭喜", "温馨", "提醒", "通知", "打扰", "不好意思",
    # ordinary words that start with a surname's character, read after 客户/投保人/致
    "安心", "安全", "全体", "全部", "全家", "关注", "关于", "关怀", "方便", "明天", "明细", "成功", "应该", "和谐",
    "常用", "时间", "文件", "高端", "金额", "万能", "尊享", "信息", "经理", "服务", "需要", "应当", "本人", "代表",
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


_t2s_chars: dict[str, str] = {}


def _simplified(text: str) -> str:
    """``text`` with each Traditional character replaced by its Simplified form, one character for one
    (OpenCC per character, cached), so every span found maps straight back to the original."""
    out = []
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff":
            s = _t2s_chars.get(ch)
            if s is None:
                s = _t2s_chars[ch] = _char_t2s(ch)
            out.append(s)
        else:
            out.append(ch)
    return "".join(out)


def _char_t2s(ch: str) -> str:
    import opencc  # only a report needs it

    global _T2S
    if _T2S is None:
        _T2S = opencc.OpenCC("t2s")
    s = _T2S.convert(ch)
    return s if len(s) == 1 else ch


_T2S = None


def _digits(s: str) -> str:
    s = s.translate(_FW).translate(_CN_DIGITS)
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
    t = _simplified(text.translate(_FW))  # names and cues are read in Simplified characters
    d = t.translate(_CN_DIGITS)  # numbers are read with Chinese digits as digits
    assert len(t) == len(d) == len(text)
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
        for m in own_re.finditer(d):
            if not _overlaps(masked + protected, m.start(), m.end()):
                masked.append((m.start(), m.end(), "own_phone"))

    for m in _DIGITS.finditer(d):
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
        if a > 0 and t[a - 1 : a + 1] in _COMPOUNDS:  # 欧阳娜娜 found from 阳: the surname starts at 欧
            a -= 1
        name = t[a:b]
        if name in _NOT_NAMES or name[:2] in _NOT_NAMES or _overlaps(masked + protected, a, b):
            return
        if name[0] not in _SURNAMES and name[0] not in _NICK and name[:2] not in _COMPOUNDS:
            return
        masked.append((a, b, "name"))

    for m in _GREETING_NAME.finditer(t):
        g = "n1" if m.group("n1") else "n2"
        add_name(m.start(g), m.end(g))
    for m in _SELF_NAME.finditer(t):
        add_name(m.start("n"), m.end("n"))
    for m in _TITLE_NAME.finditer(t):
        add_name(m.start("n"), m.end("n"))
    for m in _ROLE_NAME.finditer(t):
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
