"""Links: whose domain a URL is on, whose it imitates, or what else it is.

Statuses: ``official`` (the domain, or a subdomain, of an organisation in the registry: insurers.yaml and
organizations.yaml), ``ip`` (a bare IP address: no organisation sends those), ``shortener`` (a short-link
service that hides the real address; knowledge/links.yaml), ``lookalike`` (an organisation's brand inside
someone else's domain, a domain one or two edits from an official one, look-alike characters, or punycode
that decodes to one of those), ``unknown``.

Why here and not only in the rules: an agent asks "is this link theirs?" and deserves a straight answer
with the reason, and the verdict JSON lists each link with its status. Everything it knows comes from
the knowledge files; nothing here names an organisation.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rapidfuzz.distance import Levenshtein

from bot.model import LinkCheck
from bot.pipeline.knowledge import Knowledge, Organization

#: A bare domain typed as a lookup ("pingan.com", "xn--fiq228c.com"): labels of letters, digits and -.
_DOMAIN = re.compile(r"^(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.)+"
                     r"(?:[a-z\u00a1-\uffff]{2,24}|xn--[a-z0-9-]{2,59})\.?$", re.I)


@dataclass
class LinkRules:
    """The link check's tables, built once from the knowledge (official domains, brands, shorteners)."""

    domains: dict[str, Organization]
    brands: list[tuple[str, Organization]]
    shorteners: frozenset[str]
    two_level: frozenset[str]
    glyphs: list[tuple[str, str]]
    substring_min: int = 5
    max_distance: int = 2
    min_length: int = 7
    skeletons: dict[str, tuple[str, Organization]] = field(default_factory=dict)

    @classmethod
    def build(cls, knowledge: Knowledge) -> LinkRules:
        cfg = knowledge.link_rules
        glyphs = sorted(((str(k), str(v)) for k, v in ((cfg.get("homoglyphs") or {}).get("map") or {}).items()),
                        key=lambda kv: -len(kv[0]))
        brands: list[tuple[str, Organization]] = []
        for org in knowledge.registry():
            brands += [(b, org) for b in org.brands if len(b) >= 4]
            brands += [(n.number, org) for n in org.numbers
                       if org.kind in ("insurer", "regulator") and len(n.number) == 5 and n.status == "official"]
        brands.sort(key=lambda bo: -len(bo[0]))  # newchinalife before chinalife: the longest brand names the org
        rules = cls(
            domains=dict(knowledge.domains),
            brands=brands,
            shorteners=frozenset(str(d).lower() for d in (cfg.get("shorteners") or {}).get("domains") or []),
            two_level=frozenset(str(d).lower() for d in (cfg.get("public_suffixes") or {}).get("two_level") or []),
            glyphs=glyphs,
            substring_min=int(cfg.get("brand_substring_min") or 5),
            max_distance=int(cfg.get("max_edit_distance") or 2),
            min_length=int(cfg.get("min_domain_length") or 7),
        )
        rules.skeletons = {rules.skeleton(rules.registrable(d)): (d, o) for d, o in rules.domains.items()}
        return rules

    def registrable(self, host: str) -> str:
        """The part someone registers: pingan.com.cn for u.pingan.com.cn, a.b.top → b.top."""
        parts = host.split(".")
        n = 3 if len(parts) >= 3 and ".".join(parts[-2:]) in self.two_level else 2
        return ".".join(parts[-n:])

    def skeleton(self, text: str) -> str:
        """Look-alike characters folded to one form (p1ngan and pingan, а and a share a skeleton)."""
        s = text.lower()
        for a, b in self.glyphs:
            s = s.replace(a, b)
        return s


def host_of(url: str) -> str:
    """The lowercase host of a URL or bare domain, without port, credentials or a trailing dot."""
    u = str(url).strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", u, re.I):
        u = "http://" + u
    try:
        host = urlsplit(u).hostname or ""
    except ValueError:
        host = ""
    return unicodedata.normalize("NFKC", host).strip(".").lower()


def decode_host(host: str) -> str:
    """Punycode labels (xn--) decoded through Python's idna codec; a label that won't decode stays."""
    out = []
    for label in host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):  # a label that won't decode stays as written
                label = label.encode("ascii").decode("idna")
        out.append(label)
    return ".".join(out)


def looks_like_link(text: str) -> bool:
    """A lookup input that is a URL or a bare domain rather than a phone number."""
    t = str(text).strip()
    if not t or " " in t or len(t) > 2048:
        return False
    if re.match(r"^(?:https?://|www\.)", t, re.I):
        return True
    host = host_of(t)
    if _is_ip(host):  # 47.96.0.1/pay, 192.168.1.1:8080 (a phone number never has four dotted bytes)
        return all(0 <= int(x) <= 255 for x in host.split(".")) if "." in host else ":" in host
    return bool(_DOMAIN.match(host)) and not t.replace(".", "").isdigit() and "." in t


def check(url: str, knowledge: Knowledge, rules: LinkRules | None = None) -> LinkCheck:
    """The status of one link (see the module docstring), with whose domain it is or imitates and how."""
    rules = rules or LinkRules.build(knowledge)
    host = host_of(url)
    res = LinkCheck(url=str(url), host=host, status="unknown", input=str(url))
    if not host:
        return res
    decoded = decode_host(host)
    if decoded != host:
        res.decoded_host = decoded
    org = official_org(host, rules)
    if org is not None:
        res.status, res.org, res.org_kind = "official", org.name, org.kind
        return res
    if _is_ip(host):
        res.status = "ip"
        return res
    if host in rules.shorteners or rules.registrable(host) in rules.shorteners:
        res.status = "shortener"
        return res
    sims = similar_domains(host, decoded, rules, knowledge)
    if sims:
        res.status, res.org = "lookalike", sims[0]["org"]
        res.similar_to = sims
        res.org_kind = next((o.kind for o in knowledge.registry() if o.name == res.org), "")
    return res


def official_org(host: str, rules: LinkRules) -> Organization | None:
    """The organisation whose official domain this host is, or is under (u.pingan.com → 中国平安)."""
    parts = host.split(".")
    for i in range(len(parts) - 1):
        org = rules.domains.get(".".join(parts[i:]))
        if org is not None:
            return org
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host))
    return True


def similar_domains(host: str, decoded: str, rules: LinkRules, knowledge: Knowledge) -> list[dict[str, str]]:
    """How this (non-official) host imitates official ones: a brand inside it, a small edit of an official
    domain, look-alike characters, or punycode that decodes to a name or brand."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(domain: str, org: Organization, how: str) -> None:
        if org.name not in seen:
            seen.add(org.name)
            out.append({"domain": domain, "org": org.name, "how": how})

    name = rules.registrable(host)
    labels = host[: -len(name)].rstrip(".").split(".") if host != name else []
    reg_label = name.split(".")[0]
    for token in [*labels, reg_label]:
        for brand, org, exact in _brand_hits(token, rules):
            how = "含有" if exact else "用形似字符拼出"
            add(_first_domain(org), org, f"域名里{how} {org.name} 的名称“{brand}”，但不是它的官方域名")
    skel = rules.skeleton(name)
    for official, org in rules.domains.items():
        reg = rules.registrable(official)
        if reg == name or len(reg) < rules.min_length:
            continue
        d = Levenshtein.distance(name, reg)
        if 1 <= d <= rules.max_distance:
            add(official, org, f"与官方域名 {official} 只差 {d} 个字符")
        elif rules.skeleton(reg) == skel:
            add(official, org, f"用形似字符冒充官方域名 {official}")
    if decoded != host:
        _punycode_hits(decoded, rules, knowledge, add)
    return out


def _brand_hits(token: str, rules: LinkRules) -> list[tuple[str, Organization, bool]]:
    """Brands in one label of a host: whole parts (picc-vip) for short brands, anywhere for long ones,
    also after look-alike characters are folded (p1ngan)."""
    parts = [p for p in re.split(r"[-_]", token) if p]
    joined = token.replace("-", "").replace("_", "")
    skel_parts = [rules.skeleton(p) for p in parts]
    skel_joined = rules.skeleton(joined)
    hits = []
    for brand, org in rules.brands:
        sb = rules.skeleton(brand)
        long_enough = len(brand) >= rules.substring_min
        if brand in parts or (long_enough and brand in joined):
            hits.append((brand, org, True))
        elif sb in skel_parts or (long_enough and sb in skel_joined):
            hits.append((brand, org, False))
    return hits


def _punycode_hits(decoded: str, rules: LinkRules, knowledge: Knowledge, add) -> None:
    """A punycode host whose Unicode form is an official domain in look-alike letters, or names an
    organisation in Chinese (中国平安理赔.com)."""
    ascii_form = rules.skeleton(_strip_marks(decoded))
    reg = rules.registrable(ascii_form)
    hit = rules.skeletons.get(reg) or next(
        (v for k, v in rules.skeletons.items() if len(k) >= rules.min_length and Levenshtein.distance(k, reg) == 1), None)
    if hit is not None:
        add(hit[0], hit[1], f"punycode 解码后是形似 {hit[0]} 的字符（{decoded}）")
        return
    for org in knowledge.registry():
        for alias in [org.name, *(a for a in org.aliases if a not in org.weak_aliases)]:
            if len(alias) >= 2 and not alias.isascii() and alias in decoded:
                add(_first_domain(org), org, f"punycode 解码后含有“{alias}”（{decoded}）")
                return


def _strip_marks(text: str) -> str:
    """Accents dropped (pïngan → pingan): decomposed, combining marks removed."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _first_domain(org: Organization, fallback: str = "") -> str:
    """The organisation's first official domain ("" when it has none listed)."""
    return org.domains[0] if org.domains else ""
