"""The verdict: one object that every face renders (Telegram HTML, terminal text, JSON).

Risk levels follow the design: ``high``/``medium`` mean "treat as a scam", ``low``/``none`` mean "no".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.config import PATTERNS_DIR

#: Score thresholds (0-100). Two answer thresholds, as Cofacts does: answer outright vs. "not sure".
HIGH = 70
MEDIUM = 45
LOW = 20


def _load_types() -> list[dict[str, Any]]:
    """The scam types from ``scam_patterns/types.yaml``, the one place they are named, in order."""
    import yaml

    data = yaml.safe_load((PATTERNS_DIR / "types.yaml").read_text(encoding="utf-8")) or {}
    return [t for t in data.get("types") or [] if isinstance(t, dict) and t.get("id")]


_TYPES = _load_types()
#: id → label, in the order the bot lists them.
SCAM_TYPES: dict[str, str] = {str(t["id"]): str(t["label"]) for t in _TYPES}
#: every accepted spelling (id, label, alias) → id.
SCAM_TYPE_ALIASES: dict[str, str] = {
    str(name): str(t["id"]) for t in _TYPES for name in [t["id"], t["label"], *(t.get("aliases") or [])]
}
#: id → the words that name the type's subject (they pick the primary type among several).
SCAM_TYPE_CUES: dict[str, tuple[str, ...]] = {str(t["id"]): tuple(str(c) for c in t.get("cues") or []) for t in _TYPES}
#: id → the broader type it was split from (older corpora labeled with the parent still count).
SCAM_TYPE_PARENTS: dict[str, str] = {str(t["id"]): str(t["parent"]) for t in _TYPES if t.get("parent")}

LOOKUP_STATUSES = ("official", "reported", "lookalike", "unknown", "invalid")
LINK_STATUSES = ("official", "lookalike", "shortener", "ip", "unknown")


def risk_for(score: float) -> str:
    """Map a 0-100 score to the risk level."""
    if score >= HIGH:
        return "high"
    if score >= MEDIUM:
        return "medium"
    if score >= LOW:
        return "low"
    return "none"


@dataclass
class Evidence:
    """A span of the user's ORIGINAL text (not the normalized one) and why it matters."""

    start: int
    end: int
    text: str
    reason: str = ""


@dataclass
class Match:
    """A stored scam script the message resembles."""

    pattern_id: int
    scam_type: str
    similarity: float  # 0-100
    evidence: list[Evidence] = field(default_factory=list)
    script: str = ""


@dataclass
class SignalHit:
    """A weighted rule that fired."""

    name: str
    weight: float
    evidence: list[Evidence] = field(default_factory=list)
    label: str = ""
    explanation: str = ""
    scam_types: list[str] = field(default_factory=list)


@dataclass
class Lookup:
    """What the registry knows about one phone number."""

    input: str
    normalized: str
    status: str  # one of LOOKUP_STATUSES
    insurer: str | None = None  # for official: whose number; for lookalike: whose number it resembles
    reports: int = 0
    scam_types: list[str] = field(default_factory=list)
    similar_to: list[dict[str, str]] = field(default_factory=list)  # [{"number", "insurer", "how"}]
    kind: str = ""  # mobile / landline / service / toll_free / international / ...
    first_reported: str | None = None
    last_reported: str | None = None
    note: str = ""
    unverified: bool = False  # an insurer number from a low-confidence source
    org_kind: str = ""  # insurer / regulator / bank / telecom / payment / government / police / utility
    #: Whose line it is (official) or resembles (lookalike); the same as ``insurer``, under a name that
    #: fits banks and government lines too.
    org: str | None = None
    #: Why the number claims too much (foreign, 00 prefix, digits in front, virtual range, +86 95xxx).
    warnings: list[str] = field(default_factory=list)
    display: str = ""  # as written at home: 0755-8888 6666, 138 1234 5678, 95519 转 2
    extension: str = ""  # "2" in 95519转2 (the base number is what was looked up)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LinkCheck:
    """What the registry says about one link: whose official domain it is, whose it imitates, or what
    else it is (a shortener hiding the real address, a bare IP address)."""

    url: str
    host: str
    status: str  # one of LINK_STATUSES
    org: str | None = None  # official: whose domain; lookalike: whose it imitates
    similar_to: list[dict[str, str]] = field(default_factory=list)  # [{"domain", "org", "how"}]
    org_kind: str = ""
    input: str = ""  # what was looked up (lookup of a URL or bare domain)
    decoded_host: str = ""  # punycode (xn--) decoded, when it differs from host

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Contact:
    """A contact handle in a message: a QQ number or a WeChat id (not a phone number)."""

    kind: str  # qq | wechat
    id: str
    start: int = 0
    end: int = 0


@dataclass
class NoticeRef:
    id: str
    title: str
    issuer: str
    date: str
    url: str


@dataclass
class Verdict:
    """The analysis of one message."""

    risk: str = "none"
    score: float = 0
    scam_types: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    signals: list[SignalHit] = field(default_factory=list)
    numbers: list[Lookup] = field(default_factory=list)
    #: Each link with its status ({url, host, status, org, similar_to, ...}); the plain strings are in
    #: ``url_list`` (the shape ``urls`` had before; kept for readers of the old field).
    urls: list[LinkCheck] = field(default_factory=list)
    url_list: list[str] = field(default_factory=list)
    #: QQ numbers and WeChat ids the message gives (handles, not phone numbers).
    contacts: list[Contact] = field(default_factory=list)
    notices: list[NoticeRef] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    insurers: list[str] = field(default_factory=list)
    amounts: list[str] = field(default_factory=list)
    percents: list[float] = field(default_factory=list)
    #: The one scam type the answer is about (notices and advice follow it); "" when not a scam.
    primary_type: str = ""
    #: The short answer: one plain sentence saying what this is, and the first thing to do.
    summary: str = ""
    action: str = ""
    #: How the message reached the user (sms / call / ad / chat) and what the user says already happened
    #: (contacted / gave_info / transferred / surrendered / remote_app), as far as the text tells.
    channel: str = ""
    stage: str = "contacted"
    #: Where a Traditional-script message reads as from: "TW", "HK" or "" (replies use that region's forms).
    region: str = ""
    #: Spans of the user's text to highlight (evidence widened to whole words), in order.
    highlights: list[tuple[int, int]] = field(default_factory=list)
    truncated: bool = False
    traditional: bool = False  # the user wrote Traditional characters: reply in kind
    empty: bool = False  # nothing analysable (empty, only emoji/control characters)
    text: str = ""  # the (possibly cut) original text; used for highlighting, never serialized

    @property
    def is_scam(self) -> bool:
        return self.risk in ("high", "medium")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("text", None)
        d["score"] = round(float(self.score), 1)
        return d
