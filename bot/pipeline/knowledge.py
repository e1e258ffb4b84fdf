"""Loads the human-edited knowledge base (``knowledge/*.yaml``): notices, organizations, advice.

Nothing here is hard-coded: edit the YAML files, restart, and the bot says the new thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import KNOWLEDGE_DIR


@dataclass
class OfficialNumber:
    number: str  # digits as published, e.g. "95519" or "4008895518"
    org_id: str
    org_name: str
    org_kind: str
    status: str = "official"  # official | unverified
    confidence: str = ""
    source: str = ""
    region: str = ""  # "HK", "TW": a line of that region, official there with its country code too


@dataclass
class Organization:
    id: str
    name: str
    kind: str  # insurer | regulator | police (insurers.yaml); bank | telecom | payment | government | utility (organizations.yaml)
    aliases: list[str] = field(default_factory=list)
    weak_aliases: list[str] = field(default_factory=list)
    numbers: list[OfficialNumber] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    #: Latin brand tokens that mark someone else's domain as a look-alike of this organisation's.
    brands: list[str] = field(default_factory=list)

    def hotline(self) -> OfficialNumber | None:
        """The number to tell customers to call: the first official (verified) one."""
        for n in self.numbers:
            if n.status == "official":
                return n
        return None


@dataclass
class Notice:
    id: str
    title: str
    issuer: str
    date: str
    url: str  # the page the facts were read on (provenance; may be a reprint): never shown as the link
    scam_types: list[str] = field(default_factory=list)
    summary: str = ""
    steps: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    #: The notice on its issuer's own website, over https — the only address shown to users ("" if unknown).
    link: str = ""


def talk_key(text: str) -> str:
    """A message reduced to its letters and digits, lowercase: how smalltalk phrases are compared."""
    return "".join(c for c in text.lower() if c.isalnum())


def _digits(s: Any) -> str:
    return "".join(c for c in str(s) if c.isdigit())


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Knowledge:
    organizations: list[Organization]
    notices: list[Notice]
    advice: dict[str, Any]
    regions: dict[str, Any] = field(default_factory=dict)
    #: Greetings and thanks (already reduced to letters and digits, lowercase) and the hint they get.
    smalltalk: frozenset[str] = frozenset()
    smalltalk_hint: str = ""
    #: Official organisations beyond insurers (organizations.yaml: banks, telecoms, payment, government,
    #: police, HK/TW lines). Only number and link lookups use them; messages are not searched for their names.
    others: list[Organization] = field(default_factory=list)
    #: links.yaml (shorteners, public suffixes, look-alike characters) and phone_ranges.yaml (virtual ranges).
    link_rules: dict[str, Any] = field(default_factory=dict)
    phone_ranges: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path = KNOWLEDGE_DIR) -> Knowledge:
        orgs = [_org(o) for o in (_load_yaml(directory / "insurers.yaml").get("organizations") or [])]
        others = [_org(o) for o in (_load_yaml(directory / "organizations.yaml").get("organizations") or [])]
        notices = [_notice(n) for n in (_load_yaml(directory / "notices.yaml").get("notices") or [])]
        advice = _load_yaml(directory / "advice.yaml")
        talk = _load_yaml(directory / "smalltalk.yaml")
        phrases = frozenset(talk_key(str(p)) for p in talk.get("phrases") or [])
        return cls(orgs, notices, advice, _load_yaml(directory / "regions.yaml"), phrases, str(talk.get("hint") or ""),
                   others, _load_yaml(directory / "links.yaml"), _load_yaml(directory / "phone_ranges.yaml"))

    def to_json(self) -> dict[str, Any]:
        """The knowledge as plain JSON (the start-up cache: YAML parsing costs more than the rest of a start)."""
        d = asdict(self)
        d["smalltalk"] = sorted(self.smalltalk)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Knowledge:
        """The inverse of :meth:`to_json`."""
        def orgs(items: list[dict[str, Any]]) -> list[Organization]:
            return [Organization(**{**o, "numbers": [OfficialNumber(**n) for n in o["numbers"]]}) for o in items]

        return cls(orgs(d["organizations"]), [Notice(**n) for n in d["notices"]], d["advice"], d["regions"],
                   frozenset(d["smalltalk"]), d["smalltalk_hint"], orgs(d.get("others") or []),
                   d.get("link_rules") or {}, d.get("phone_ranges") or {})

    def __post_init__(self) -> None:
        self._notices_cache: dict[tuple[tuple[str, ...], int], list[Notice]] = {}
        self.by_id = {o.id: o for o in self.registry()}
        self.official_numbers: dict[str, OfficialNumber] = {}
        for o in self.registry():
            for n in o.numbers:
                self.official_numbers.setdefault(n.number, n)
        self.domains: dict[str, Organization] = {d.lower(): o for o in self.registry() for d in o.domains}
        self.notices_by_id = {n.id: n for n in self.notices}

    def registry(self) -> list[Organization]:
        """Every official organisation: insurers and authorities first, then the others."""
        return [*self.organizations, *self.others]

    def is_smalltalk(self, text: str) -> bool:
        """A greeting, a thanks, "who are you", or nothing but emoji and punctuation (smalltalk.yaml)."""
        key = talk_key(text)
        return not key or key in self.smalltalk

    def insurers(self) -> list[Organization]:
        return [o for o in self.organizations if o.kind == "insurer"]

    def regulator(self) -> Organization | None:
        return next((o for o in self.organizations if o.kind == "regulator"), None)

    def notices_for(self, scam_types: list[str], limit: int = 2) -> list[Notice]:
        """The most relevant notices for these scam types: for the leading type first, the regulator's
        own notices before insurers' and the press's, then notices mainly about that type, the most
        specific (fewest types), the newest. Cached per (types, limit): the notices never change while
        the process runs, and a verdict asks for them every time."""
        key = (tuple(scam_types), limit)
        hit = self._notices_cache.get(key)
        if hit is None:
            hit = self._notices_cache[key] = self._notices_for(scam_types, limit)
        return list(hit)

    def _notices_for(self, scam_types: list[str], limit: int) -> list[Notice]:
        scored = []
        for n in self.notices:
            hits = [t for t in scam_types if t in n.scam_types]
            if hits:
                first = min(scam_types.index(t) for t in hits)
                primary = 0 if n.scam_types and n.scam_types[0] == scam_types[first] else 1
                scored.append((first, _authority(n), primary, len(n.scam_types), _neg_date(n.date), n.id, n))
        scored.sort(key=lambda x: x[:6])
        out: list[Notice] = []
        for *_, n in scored:
            if n not in out:
                out.append(n)
            if len(out) >= limit:
                break
        return out

    def is_official_domain(self, host: str) -> Organization | None:
        host = host.lower().strip(".")
        parts = host.split(".")
        for i in range(len(parts) - 1):
            org = self.domains.get(".".join(parts[i:]))
            if org:
                return org
        return None


def _authority(n: Notice) -> int:
    """0 the regulator (保监会/银保监会/金融监管总局 and their local bureaus), 1 other bodies, 2 press reports."""
    who = n.issuer + n.title
    if "媒体" in who or "报道" in who:
        return 2
    if any(k in n.issuer for k in ("保监", "银保监", "金融监督管理", "监管局")):
        return 0
    return 1


def _neg_date(d: str) -> str:
    # sort newest first: invert digits
    return "".join(str(9 - int(c)) if c.isdigit() else c for c in str(d))


def _org(o: dict[str, Any]) -> Organization:
    org = Organization(
        id=str(o.get("id") or o.get("name")),
        name=str(o.get("name", "")),
        kind=str(o.get("kind", "insurer")),
        aliases=[str(a) for a in o.get("aliases") or []],
        weak_aliases=[str(a) for a in o.get("weak_aliases") or []],
        domains=[str(d).lower() for d in o.get("domains") or []],
        brands=[str(b).lower() for b in o.get("brands") or []],
    )
    for n in o.get("numbers") or []:
        if isinstance(n, dict) and _digits(n.get("number")):
            org.numbers.append(
                OfficialNumber(
                    number=_digits(n["number"]),
                    org_id=org.id,
                    org_name=org.name,
                    org_kind=org.kind,
                    status="official" if str(n.get("status", "official")) == "official" else "unverified",
                    confidence=str(n.get("confidence", "")),
                    source=str(n.get("source", "")),
                    region=str(o.get("region") or ""),
                )
            )
    return org


def _notice(n: dict[str, Any]) -> Notice:
    return Notice(
        id=str(n.get("id")),
        title=str(n.get("title", "")),
        issuer=str(n.get("issuer", "")),
        date=str(n.get("date", "")),
        url=str(n.get("url", "")),
        scam_types=[str(t) for t in n.get("scam_types") or []],
        summary=str(n.get("summary", "")),
        steps=[str(s) for s in n.get("steps") or []],
        advice=[str(s) for s in n.get("advice") or []],
        sources=[str(s) for s in n.get("sources") or []],
        link=str(n.get("link") or ""),
    )
