"""Rendering: the same Verdict / Lookup as Telegram HTML, terminal text, or JSON.

Replies begin with the contract's badges. Evidence is highlighted in the user's own text. When the
user wrote Traditional characters, the reply is converted to Traditional (OpenCC s2t).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import cache, lru_cache
from typing import Any

from bot.model import SCAM_TYPES, LinkCheck, Lookup, Verdict

BADGES = {"high": "🔴 高风险", "medium": "🟠 中风险", "low": "🟡 低风险", "none": "🟢 未发现已知诈骗特征"}
LOOKUP_BADGES = {
    "official": "✅ 官方号码",
    "reported": "⛔ 已被举报",
    "lookalike": "⚠️ 疑似仿冒",
    "unknown": "❔ 未收录",
    "invalid": "❌ 号码无效",
}
#: A link lookup's badge (also used for each link in a verdict's details).
LINK_BADGES = {
    "official": "✅ 官方网址",
    "lookalike": "⚠️ 疑似仿冒网址",
    "shortener": "⚠️ 短链接",
    "ip": "⚠️ IP地址链接",
    "unknown": "❔ 未收录网址",
}
SNIPPET = 600
#: The plain-text reply's own bound (a terminal has no limit; this only keeps a runaway reply finite).
TEXT_LIMIT = 100_000


@lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


#: OpenCC configurations per reader region (knowledge/regions.yaml says which words mark a region).
REGION_OPENCC = {"TW": "s2twp", "HK": "s2hk", "": "s2tw"}


def to_traditional(text: str, region: str = "") -> str:
    """Simplified → the Traditional forms readers in ``region`` use (Taiwan: s2twp; Hong Kong: s2hk;
    unknown: Taiwan standard characters, s2tw — never the mainland-style 認爲/覈實/開啓 of plain s2t)."""
    return _converter(REGION_OPENCC.get(region, "s2tw")).convert(text)


def to_reader(text: str, v: Verdict, region: str = "") -> str:
    """The reply in the script the user wrote: Traditional when they wrote Traditional, in the forms of
    the reader's ``region`` (their client's) or else of the region the message reads as from."""
    if v.traditional:
        return to_traditional(text, region or v.region)
    return text


def verdict_json(v: Verdict) -> str:
    """``json.dumps(v.to_dict())``, byte for byte, without ``dataclasses.asdict`` (which deep-copies every
    value through ``copy.deepcopy`` and cost more than the rest of the reply: ~200 µs a verdict)."""
    d = plain(v)
    d.pop("text", None)
    d["score"] = round(float(v.score), 1)
    return json.dumps(d, ensure_ascii=False)


_ATOMS = (str, int, float, bool, type(None))


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def plain(obj: Any) -> Any:
    """What ``dataclasses.asdict`` makes of ``obj`` for JSON: dataclasses as dicts in field order, lists
    and tuples as lists (JSON writes both alike), dicts copied; other values as they are."""
    if isinstance(obj, _ATOMS):
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: plain(getattr(obj, k)) for k in _field_names(type(obj))}
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    if isinstance(obj, dict):
        return {plain(k): plain(x) for k, x in obj.items()}
    return obj


def lookup_json(lk: Lookup) -> str:
    return json.dumps(lk.to_dict(), ensure_ascii=False)


def type_names(types: list[str]) -> str:
    return "、".join(SCAM_TYPES.get(t, t) for t in types)


def defang(text: str, urls: list[str]) -> str:
    """Links shown back to the user are made untappable: ``pa-lipei[.]cc``, ``hxxps://``."""
    for u in sorted(set(urls), key=len, reverse=True):
        if u and u in text:
            safe = re.sub(r"^http", "hxxp", u, flags=re.I).replace(".", "[.]")
            text = text.replace(u, safe)
    return text


def _highlight(v: Verdict, mark: tuple[str, str], esc) -> str:
    """The user's text with the evidence marked (whole words: see ``Verdict.highlights``), links
    defanged; long texts are cut around the evidence."""
    merged = [list(x) for x in v.highlights]
    text = v.text
    # a highlight that touches a link covers the whole link, so the link is defanged in one piece
    for u in v.url_list:
        start = text.find(u)
        while u and start >= 0:
            end = start + len(u)
            for m in merged:
                if m[0] < end and start < m[1]:
                    m[0], m[1] = min(m[0], start), max(m[1], end)
            start = text.find(u, end)
    lo, hi = 0, len(text)
    if len(text) > SNIPPET:
        first = merged[0][0] if merged else 0
        lo = max(0, first - 60)
        hi = min(len(text), lo + SNIPPET)
    out, pos = [], lo
    for a, b in merged:
        if b <= lo or a >= hi or a < pos:
            continue
        a, b = max(a, lo), min(b, hi)
        out.append(esc(defang(text[pos:a], v.url_list)))
        out.append(mark[0] + esc(defang(text[a:b], v.url_list)) + mark[1])
        pos = b
    out.append(esc(defang(text[pos:hi], v.url_list)))
    body = "".join(out)
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


#: Advice items shown in the short answer after the first action (a scam only); the rest are folded away.
SHORT_EXTRAS = 2


def _advice_parts(v: Verdict) -> tuple[list[str], list[str]]:
    """The advice after the first action: what the short answer shows, and what the details show."""
    after = [a for a in v.advice if a != v.action]
    n = SHORT_EXTRAS if v.is_scam else 0
    return after[:n], after[n:]


def _escapes(html_mode: bool) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """(escape, bold) for HTML, or two identities for plain text."""
    if html_mode:
        return html.escape, lambda s: f"<b>{html.escape(s)}</b>"
    return (lambda s: s), (lambda s: s)


def short_lines(v: Verdict, html_mode: bool) -> list[str]:
    """The short answer: the badge, one sentence on what this is, the one thing to do (and at most two
    more items). What a person on a phone reads first; at most ~300 characters."""
    esc, b = _escapes(html_mode)
    out = [b(BADGES[v.risk])]
    if v.empty:
        out.append("没有收到可分析的文字。请把可疑短信的文字、或对方电话里说的话转发/粘贴给我。")
        return out
    if v.summary:
        out.append(esc(v.summary))
    if v.action:
        out.append("👉 " + b(v.action))
    out.extend("• " + esc(extra) for extra in _advice_parts(v)[0])
    if v.truncated:
        out.append(esc("（消息过长，只分析了前面的部分。）"))
    return out


def detail_lines(v: Verdict, html_mode: bool) -> list[str]:
    """Everything after the short answer: why (the rules and the user's own words), the numbers, the
    official notices and the further advice. Folded away in Telegram."""
    esc, b = _escapes(html_mode)
    out: list[str] = []
    if v.empty:
        return out
    reasons = [s for s in v.signals if s.weight > 0] if v.risk != "none" else []
    if v.scam_types:
        out.append(b("疑似：") + esc(type_names(v.scam_types)))
    if reasons:
        out.append(b("为什么这样判断："))
        out.extend("• " + esc(s.label) + ("：" + esc(s.explanation) if s.explanation else "") for s in reasons[:4])
    if v.matches and v.risk != "none":
        out.append(b("和已知的诈骗话术很像：") + esc(defang(_short(v.matches[0].script, 80), v.url_list)))
    if v.risk != "none" and v.highlights:
        mark = ("<u><b>", "</b></u>") if html_mode else ("«", "»")
        out.append(b("您收到的内容（可疑说法已标出）：") + "\n" + _highlight(v, mark, esc))
    for lk in v.numbers:
        if lk.status != "unknown" or lk.warnings or v.risk in ("high", "medium"):
            out.append(lookup_line(lk, html_mode))
            out.extend("  ⚠️ " + esc(w) for w in lk.warnings[:1])
    for c in v.urls:
        if c.status != "unknown":
            out.append(link_line(c, html_mode))
    if v.notices:
        out.append(b("官方风险提示："))
        for n in v.notices:
            title = f'<a href="{esc(n.url)}">{esc(n.title)}</a>' if html_mode and n.url else esc(n.title)
            meta = "，".join(x for x in (n.issuer, n.date) if x)
            out.append(f"• {title}（{esc(meta)}）" + ("" if html_mode or not n.url else f" {n.url}"))
    rest = _advice_parts(v)[1]
    if rest:
        out.append(b("更多建议："))
        out.extend("• " + esc(a) for a in rest)
    return out


def _short(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _fit(short: list[str], details: list[str], limit: int | None, join) -> str:
    """The reply within ``limit`` characters (None: no limit): details are dropped from the end first."""
    text = join(short, details)
    while limit is not None and len(text) > limit and details:
        details = details[:-1]
        text = join(short, details)
    return text if limit is None else text[:limit]


def verdict_short_html(v: Verdict, region: str = "") -> str:
    """Only the short answer (group chats, inline results)."""
    return to_reader("\n".join(short_lines(v, True)), v, region)


def verdict_html(v: Verdict, limit: int | None = None, region: str = "") -> str:
    """The reply as HTML (Telegram's parse_mode HTML): the short answer, then the details in an expandable
    quote, within ``limit`` characters — the face's limit, which render does not know; None: the whole
    reply. Over it, detail lines are dropped whole from the end (never cut inside a tag)."""
    def join(short: list[str], details: list[str]) -> str:
        body = "\n".join(short)
        if details:
            body += "\n<blockquote expandable>" + "\n".join(details) + "</blockquote>"
        return to_reader(body, v, region)
    return _fit(short_lines(v, True), detail_lines(v, True), limit, join)


def verdict_short_text(v: Verdict, region: str = "") -> str:
    """Only the short answer, plain text (``check --short``)."""
    return to_reader("\n".join(short_lines(v, False)), v, region)


def verdict_text(v: Verdict, region: str = "") -> str:
    """The terminal reply: the short answer, a blank line, then the details."""
    def join(short: list[str], details: list[str]) -> str:
        return to_reader("\n".join(short) + ("\n\n" + "\n".join(details) if details else ""), v, region)
    return _fit(short_lines(v, False), detail_lines(v, False), TEXT_LIMIT, join)


@dataclass(frozen=True)
class Note:
    """A line shown under a reply's badge saying what was checked, e.g. a screenshot's text as OCR read
    it: ``lead`` + ``title`` (bold in HTML) + ``rest``, then ``quote`` — the user's own words, italic
    in HTML and never converted. ``follows_script``: the note's words go Traditional with a verdict in
    Traditional (:meth:`in_traditional`)."""

    lead: str = ""
    title: str = ""
    rest: str = ""
    quote: str = ""
    follows_script: bool = True

    def in_traditional(self) -> Note:
        """The note's own words in Traditional characters (the quote stays as it is)."""
        if not self.follows_script:
            return self
        return replace(self, lead=to_traditional(self.lead), title=to_traditional(self.title),
                       rest=to_traditional(self.rest))


def note_html(n: Note) -> str:
    esc = html.escape
    return (esc(n.lead) + (f"<b>{esc(n.title)}</b>" if n.title else "") + esc(n.rest)
            + (f"<i>{esc(n.quote)}</i>" if n.quote else ""))


def note_text(n: Note) -> str:
    return n.lead + n.title + n.rest + n.quote


def with_note(body: str, line: str, limit: int | None) -> str:
    """``line`` as the second line of a reply (the first is the badge), within ``limit`` characters
    (None: no limit): over it the folded details go first, then the reply's last lines, whole — never
    cut inside an HTML tag."""
    lines = body.split("\n")
    lines.insert(1, line)
    text = "\n".join(lines)
    if limit is not None and len(text) > limit and "<blockquote expandable>" in text:
        text = text[: text.index("<blockquote expandable>")].rstrip("\n")
        lines = text.split("\n")
    while limit is not None and len("\n".join(lines)) > limit and len(lines) > 2:
        lines.pop()
    return "\n".join(lines)


def lookup_line(lk: Lookup, html_mode: bool = False) -> str:
    """The badge line of a number lookup, the number shown as people at home write it."""
    esc = _escapes(html_mode)[0]
    num = esc(lk.display or lk.normalized or lk.input)
    who = esc(lk.org or lk.insurer or "")
    if lk.status == "official":
        return f"{LOOKUP_BADGES['official']} {num}：{who}的官方号码"
    if lk.status == "reported":
        types = type_names(lk.scam_types) if lk.scam_types else "诈骗"
        return f"{LOOKUP_BADGES['reported']} {num}：已被举报 {lk.reports} 次（{esc(types)}）"
    if lk.status == "lookalike":
        sim = lk.similar_to[0] if lk.similar_to else {}
        return (f"{LOOKUP_BADGES['lookalike']} {num}：与{esc(sim.get('insurer', ''))}官方号码 {esc(sim.get('number', ''))}"
                f" 相似（{esc(sim.get('how', ''))}），但不是{esc(sim.get('insurer', ''))}的号码")
    if lk.status == "invalid":
        if lk.kind in ("qq", "wechat"):
            name = "QQ号" if lk.kind == "qq" else "微信号"
            return f"{LOOKUP_BADGES['invalid']} {esc(lk.input[:40])}：这是{name}，不是电话号码"
        return f"{LOOKUP_BADGES['invalid']} {esc(lk.input[:40])}：不是有效的电话号码"
    if who and lk.unverified:
        return f"{LOOKUP_BADGES['unknown']} {num}：登记为{who}的号码，但来源尚未核实"
    if who and lk.similar_to:
        real = esc(lk.similar_to[0].get("number", ""))
        return f"{LOOKUP_BADGES['unknown']} {num}：不是{who}的号码（{who}的是 {real}，前面不会加国际前缀）"
    return f"{LOOKUP_BADGES['unknown']} {num}：未收录（不在官方号码库，也未被举报）"


def _lookup_lines(lk: Lookup, html_mode: bool) -> list[str]:
    esc = _escapes(html_mode)[0]
    out = [lookup_line(lk, html_mode)]
    if lk.extension:
        out.append(f"（分机 {esc(lk.extension)}：查询的是总机号码 {esc(lk.normalized)}）")
    out.extend("⚠️ " + esc(w) for w in lk.warnings)
    if lk.status == "official":
        if lk.org_kind == "regulator":
            out.append("这是监管部门的消费者投诉维权热线。注意：监管部门不会主动打电话要求您退保、转账或缴费。")
        else:
            out.append("官方号码也可能被来电显示伪造：如对方要求退保转投理财、先交费用或提供验证码，请挂断后自行拨打该号码核实。")
    elif lk.status == "reported":
        if lk.first_reported or lk.last_reported:
            out.append(f"首次举报：{esc(lk.first_reported or '-')}；最近举报：{esc(lk.last_reported or '-')}")
        if lk.note:
            out.append("备注：" + esc(lk.note))
        out.append("请勿回拨、勿按对方要求操作。如已转账，请立即拨打 110 报警，或拨打 96110 咨询。")
    elif lk.status == "lookalike":
        for s in lk.similar_to[1:3]:
            out.append(f"也与{esc(s['insurer'])} {esc(s['number'])} 相似（{esc(s['how'])}）")
        out.append("955xx 号码大多属于银行、券商等企业，相似不代表就是诈骗号码；但它不是上面这家机构的号码。"
                   "请以保单、官网上的官方客服电话为准。")
    elif lk.status == "unknown":
        if lk.kind == "mobile":
            out.append("这是手机号码。保险公司和监管部门的官方客服不会用个人手机号联系您办理退保、理赔或贷款。")
        out.append("未收录不代表安全。如对方自称保险公司或监管部门，请挂断后拨打官方客服核实。")
    elif lk.kind not in ("qq", "wechat"):
        out.append("请发送完整号码，例如 95519、400-xxx-xxxx 或 139xxxxxxxx。")
    return out


def lookup_html(lk: Lookup) -> str:
    return "\n".join(_lookup_lines(lk, True))


def lookup_text(lk: Lookup) -> str:
    return "\n".join(_lookup_lines(lk, False))


def link_line(c: LinkCheck, html_mode: bool = False) -> str:
    """The badge line of a link: whose domain it is, or what it is instead (the host shown defanged)."""
    esc = _escapes(html_mode)[0]
    host = esc(c.host.replace(".", "[.]") if c.status != "official" else c.host) or esc(c.url[:60])
    org = esc(c.org or "")
    if c.status == "official":
        return f"{LINK_BADGES['official']} {host}：{org}的官方网址"
    if c.status == "lookalike":
        how = esc(c.similar_to[0]["how"]) if c.similar_to else ""
        return f"{LINK_BADGES['lookalike']} {host}：不是{org}的网址（{how}）"
    if c.status == "shortener":
        return f"{LINK_BADGES['shortener']} {host}：短链接会隐藏真实网址，看不出会打开哪里"
    if c.status == "ip":
        return f"{LINK_BADGES['ip']} {host}：用IP地址代替域名，正规机构不会这样发链接"
    return f"{LINK_BADGES['unknown']} {host}：不是登记的官方网址"


def _link_lines(c: LinkCheck, html_mode: bool) -> list[str]:
    esc = _escapes(html_mode)[0]
    out = [link_line(c, html_mode)]
    if c.decoded_host:
        out.append(f"这个域名用了 punycode 编码，实际显示为：{esc(c.decoded_host)}")
    for s in c.similar_to[1:3]:
        out.append(f"也像{esc(s['org'])}的网址（{esc(s['how'])}）")
    if c.status == "official":
        out.append("网址是真的，也要看清是不是对方发来的链接；办理退保、理赔、退费请自己打开官方App或官网。")
    elif c.status == "lookalike":
        real = c.similar_to[0].get("domain") if c.similar_to else ""
        where = f"（官网 {esc(real)}）" if real else ""
        out.append(f"不要点击，也不要在里面填写银行卡、验证码或身份证；请自己打开{esc(c.org or '')}官方App或官网{where}。")
    elif c.status in ("shortener", "ip"):
        out.append("不要点击来历不明的链接；自称保险公司、银行或政府部门的，请自己打开官方App或官网核实。")
    else:
        out.append("未收录不代表安全。自称保险公司或监管部门的，请只通过官方App、官网或官方电话办理。")
    return out


def link_html(c: LinkCheck) -> str:
    return "\n".join(_link_lines(c, True))


def link_text(c: LinkCheck) -> str:
    return "\n".join(_link_lines(c, False))


def link_json(c: LinkCheck) -> str:
    return json.dumps(c.to_dict(), ensure_ascii=False)


def as_dict(obj: Any) -> Any:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj
