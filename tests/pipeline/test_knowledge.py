"""The knowledge base users are shown: notices link only to their issuers' own sites, over https."""

from __future__ import annotations

from urllib.parse import urlsplit

import yaml

from bot.config import KNOWLEDGE_DIR
from bot.pipeline.knowledge import Knowledge


def _issuer_hosts(k: Knowledge) -> dict[str, list[str]]:
    """Domain → the names its owner goes by (the registry's organizations, and notices.yaml's issuer_sites)."""
    data = yaml.safe_load((KNOWLEDGE_DIR / "notices.yaml").read_text(encoding="utf-8"))
    hosts: dict[str, list[str]] = {}
    for o in k.organizations:
        for d in o.domains:
            hosts.setdefault(d, []).extend([o.name, *o.aliases])
    for d, name in (data.get("issuer_sites") or {}).items():
        hosts.setdefault(str(d), []).append(str(name))
    return hosts


def _owned(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def test_every_notice_links_only_to_its_issuers_own_site_over_https() -> None:
    k = Knowledge.load()
    hosts = _issuer_hosts(k)
    linked = 0
    for n in k.notices:
        if not n.link:
            continue
        linked += 1
        parts = urlsplit(n.link)
        assert parts.scheme == "https", n.id
        host = parts.hostname or ""
        government = _owned(host, "gov.cn") or _owned(host, "iachina.cn")
        insurer = any(_owned(host, d) and any(name in n.issuer or n.issuer in name for name in names)
                      for d, names in hosts.items())
        assert government or insurer, (n.id, host)
    assert linked >= 3


def test_notices_show_no_internal_labels_or_placeholder_dates() -> None:
    for n in Knowledge.load().notices:
        assert "【" not in n.title and "同一通知" not in n.title, n.id
        assert n.date.lower() not in ("n/a", "na", "none", "-"), n.id
        assert n.title and n.issuer, n.id


def test_provenance_is_kept_but_never_becomes_the_link() -> None:
    reprints = ("huize.com", "fafqdl.cn", "yybnet.net", "bxcah.com", "prettygoddess.com", "fuzhuangnew.online")
    for n in Knowledge.load().notices:
        assert n.url, n.id  # where the facts were read stays recorded
        assert not any(r in n.link for r in reprints), n.id


def test_notices_are_cached_per_tuple_of_types_and_handed_out_as_copies():
    k = Knowledge.load()
    types = sorted({t for n in k.notices for t in n.scam_types})[:2]
    first = k.notices_for(types)
    assert first and k.notices_for(types) == first == k._notices_for(types, 2)
    assert (tuple(types), 2) in k._notices_cache
    first.clear()  # a caller changing its list does not change the cache
    assert k.notices_for(types) == k._notices_for(types, 2)
    assert k.notices_for(types, limit=1) == k._notices_for(types, 1)
