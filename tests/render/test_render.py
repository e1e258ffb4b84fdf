"""What a person reads: the short answer first (badge, one sentence, one thing to do), the details
folded away, links defanged, no internal ids, the reader's own Traditional forms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot import render

ROOT = Path(__file__).resolve().parents[2]
SCAM = "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询13912345678"
PHISH = "【平安】您的理赔款已审核通过，请登录 http://pingan-lipei.cc/claim 填写银行卡并缴纳500元手续费"


def test_short_answer_comes_first_and_details_are_folded(engine) -> None:
    v = engine.analyze(SCAM)
    page = render.verdict_html(v, limit=4096)
    short = render.verdict_short_html(v)
    assert page.startswith(short) and page.startswith("<b>🔴 高风险</b>")
    assert "<blockquote expandable>" in page and page.endswith("</blockquote>")
    assert "95519" in page.split("<blockquote")[0]
    text = render.verdict_text(v)
    head, _, tail = text.partition("\n\n")
    assert head == render.verdict_short_text(v) and tail


def test_short_answer_is_at_most_300_characters_on_every_labeled_scam(engine) -> None:
    longest = 0
    for line in (ROOT / "tests" / "corpus" / "labeled.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["label"] != "scam":
            continue
        v = engine.analyze(row["text"])
        short = render.verdict_short_text(v)
        assert short.startswith(render.to_reader(render.BADGES[v.risk], v))
        longest = max(longest, len(short))
    assert longest <= 300


def test_links_are_defanged_wherever_the_users_text_is_shown(engine) -> None:
    v = engine.analyze(PHISH)
    for page in (render.verdict_html(v), render.verdict_text(v)):
        assert "pingan-lipei[.]cc" in page and "hxxp://" in page
        assert "http://pingan-lipei.cc" not in page


def test_no_internal_ids_percentages_or_brackets_in_customers_replies(engine) -> None:
    v = engine.analyze(SCAM)
    for page in (render.verdict_html(v), render.verdict_text(v)):
        assert not re.search(r"#\d+|相似度|风险分|统计模型|同一通知|n/a", page)
    text = render.verdict_text(v)
    assert "«" in text and "【【" not in text  # highlight markers don't collide with SMS signatures
    assert "<u><b>" in render.verdict_html(v)


def test_notices_link_only_where_the_issuers_page_is_known(engine) -> None:
    v = engine.analyze("自称金融监管局工作人员来电，说我的保单违规要清退，让我把钱转到安全账户")
    page = render.verdict_html(v)
    for href in re.findall(r'href="([^"]+)"', page):
        assert href.startswith("https://")


@pytest.mark.parametrize("region,word", [("TW", "詐騙"), ("HK", "詐騙")])
def test_traditional_replies_use_the_readers_forms(engine, region, word) -> None:
    v = engine.analyze("專業團隊代辦全額退保，不成功不收費，先付訂金，加LINE諮詢")
    page = render.verdict_text(v, region=region)
    assert word in page or "騙" in page
    assert "認爲" not in page and "覈實" not in page
    if region == "TW":
        assert "開啓" not in page


def test_region_conversion_forms() -> None:
    assert render.to_traditional("软件", "TW") == "軟體"
    assert render.to_traditional("认为核实", "") == "認為核實"
    assert "為" in render.to_traditional("认为", "HK") or "爲" not in render.to_traditional("认为", "HK")
