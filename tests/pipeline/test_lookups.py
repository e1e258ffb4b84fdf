"""Lookups an agent can rely on (issue 14): the answer files of numbers and links, the registry beyond
insurers, warnings, extensions, the domestic display form, QQ/WeChat handles, and each link's status."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin import lookup_eval
from bot.pipeline import contacts, links, numbers
from bot.pipeline.knowledge import Knowledge

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NEVER_LOOKALIKE = ("bank", "telecom", "payment", "government", "police", "utility")


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


@pytest.mark.parametrize("name, minimum", [("lookups_numbers.jsonl", 150), ("lookups_links.jsonl", 100)])
def test_answer_files_are_right_at_least_97_percent(engine, name: str, minimum: int) -> None:
    rows = lookup_eval.read_rows(FIXTURES / name)
    assert len(rows) >= minimum
    result = lookup_eval.evaluate(engine, rows, errors=20)
    assert result["accuracy"] >= 0.97, result["errors"]
    assert all(k["rows"] for k in result["by_kind"].values())


def test_the_answer_files_cover_every_kind_the_issue_names() -> None:
    kinds = {r["kind"] for n in ("lookups_numbers.jsonl", "lookups_links.jsonl")
             for r in lookup_eval.read_rows(FIXTURES / n)}
    assert {"bank", "telecom", "government", "insurer", "lookalike", "foreign", "virtual", "handle_in_text",
            "extension", "garbage", "official", "official_subdomain", "punycode", "shortener", "ip"} <= kinds


def test_no_bank_telecom_payment_or_government_line_is_ever_a_lookalike(kb: Knowledge) -> None:
    lines = [(o, n) for o in kb.registry() if o.kind in NEVER_LOOKALIKE for n in o.numbers]
    assert len(lines) >= 25
    for org, n in lines:
        spaced = n.number[:3] + " " + n.number[3:]
        for form in (n.number, spaced, "0755-" + n.number if len(n.number) == 5 and n.number[:2] in ("95", "96", "12") else n.number,
                     n.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))):
            lk = numbers.lookup(form, kb)
            assert lk.status != "lookalike", (form, lk)
            if n.status == "official":
                assert lk.status == "official" and lk.org == org.name and lk.org_kind == org.kind, (form, lk)


def test_bank_hotlines_are_their_banks_not_insurers_lookalikes(kb: Knowledge) -> None:
    for number, bank in (("95588", "中国工商银行"), ("95599", "中国农业银行"), ("95533", "中国建设银行")):
        lk = numbers.lookup(number, kb)
        assert (lk.status, lk.org, lk.org_kind, lk.similar_to) == ("official", bank, "bank", [])


def test_a_lookalike_is_only_measured_against_insurers_and_the_regulator(kb: Knowledge) -> None:
    assert numbers.lookup("10087", kb).status == "unknown"  # one digit from 10086 (China Mobile): not a lookalike
    lk = numbers.lookup("95818", kb)
    assert lk.status == "lookalike" and lk.similar_to[0]["number"] == "95518"


@pytest.mark.parametrize("raw, phrase", [
    ("+852 9123 4567", "香港"), ("+63 917 123 4567", "菲律宾"), ("0085291234567", "00 开头"),
    ("17012345678", "虚拟运营商"), ("16712345678", "虚拟运营商"), ("+86 95519", "+86"), ("195588", "前多了数字 1"),
    ("+95588", "国际前缀"),
])
def test_numbers_that_claim_too_much_get_a_warning(kb: Knowledge, raw: str, phrase: str) -> None:
    lk = numbers.lookup(raw, kb)
    assert any(phrase in w for w in lk.warnings), lk.warnings


def test_ordinary_and_local_lines_get_no_warning(kb: Knowledge) -> None:
    for raw in ("13812345678", "95519", "0755-8888 6666", "+852 18222"):
        assert numbers.lookup(raw, kb).warnings == [], raw
    assert numbers.lookup("+852 18222", kb).status == "official"  # Hong Kong's own line, dialled from there


def test_a_glued_prefix_on_a_bank_line_names_the_bank_without_calling_it_an_insurer_lookalike(kb: Knowledge) -> None:
    lk = numbers.lookup("+95588", kb)
    assert lk.status == "unknown" and lk.org == "中国工商银行" and lk.similar_to[0]["number"] == "95588"


@pytest.mark.parametrize("raw, base, ext", [("95519转2", "95519", "2"), ("95511-3", "95511", "3"),
                                            ("95533 转 1", "95533", "1"), ("95555轉3", "95555", "3")])
def test_extensions_keep_the_base_number(kb: Knowledge, raw: str, base: str, ext: str) -> None:
    lk = numbers.lookup(raw, kb)
    assert (lk.status, lk.normalized, lk.extension) == ("official", base, ext)


def test_a_dash_inside_a_number_is_not_an_extension() -> None:
    assert numbers.split_extension("955-19") == ("955-19", "")
    assert numbers.split_extension("0755-95519") == ("0755-95519", "")
    assert numbers.split_extension("139-1234-5678") == ("139-1234-5678", "")


@pytest.mark.parametrize("raw, shown", [("075588886666", "0755-8888 6666"), ("13812345678", "138 1234 5678"),
                                        ("4006695588", "400-669-5588"), ("+852 91234567", "+852 9123 4567"),
                                        ("95519转2", "95519 转 2")])
def test_numbers_are_shown_in_domestic_form(kb: Knowledge, raw: str, shown: str) -> None:
    assert numbers.lookup(raw, kb).display == shown


def test_a_landline_whose_local_number_is_a_service_line_is_that_line(kb: Knowledge) -> None:
    lk = numbers.lookup("1095588", kb)
    assert lk.status == "official" and lk.org == "中国工商银行" and lk.display == "010-95588"


def test_short_lines_of_hong_kong_and_taiwan_are_official(kb: Knowledge) -> None:
    assert numbers.lookup("18222", kb).org_kind == "police"
    assert numbers.lookup("165", kb).status == "official"


def test_an_unverified_registry_line_is_neither_official_nor_a_lookalike(kb: Knowledge) -> None:
    lk = numbers.lookup("95580", kb)
    assert (lk.status, lk.org, lk.unverified) == ("unknown", "中国邮政储蓄银行", True)


# --- handles ------------------------------------------------------------------------------------------------


def test_qq_and_wechat_ids_are_handles() -> None:
    found = contacts.find("添加工作人员QQ 2837465910，或加微信 gskf，或VX：abc_123")
    assert [(c.kind, c.id) for c in found] == [("qq", "2837465910"), ("wechat", "gskf"), ("wechat", "abc_123")]
    assert contacts.find("微信支付成功，请在微信 app 查看") == []


def test_a_qq_number_in_a_message_is_not_read_as_a_phone_number(engine) -> None:
    v = engine.analyze("添加工作人员QQ 2837465910")
    assert [(c.kind, c.id) for c in v.contacts] == [("qq", "2837465910")]
    assert v.numbers == []
    v = engine.analyze("我的微信号是 13912345678")  # a WeChat id that is a mobile number is both
    assert [lk.normalized for lk in v.numbers] == ["+8613912345678"]


def test_a_handle_lookup_says_it_is_no_phone_number(kb: Knowledge) -> None:
    lk = numbers.lookup("QQ 2837465910", kb)
    assert lk.status == "invalid" and lk.kind == "qq" and "不是电话号码" in lk.warnings[0]


def test_an_official_who_asks_to_add_a_qq_scores(engine) -> None:
    v = engine.analyze("【中国人寿】您的保单有一笔返还金待领取，请添加理赔专员QQ 2837465910 办理。")
    assert "official_asks_add_handle" in [s.name for s in v.signals]
    v = engine.analyze("银保监会工作人员通知：您的退保申请需要核实，请回电 +852 9123 4567。")
    assert "official_with_warned_number" in [s.name for s in v.signals]


# --- links --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, status, org", [
    ("https://u.pingan.com/x", "official", "中国平安"), ("www.icbc.com.cn", "official", "中国工商银行"),
    ("pingan-lipei.cc", "lookalike", "中国平安"), ("picc-vip.top", "lookalike", "中国人保"),
    ("pinqan.com", "lookalike", "中国平安"), ("a1ipay.com", "lookalike", "支付宝"),
    ("t.cn/Ab3", "shortener", None), ("http://1.2.3.4/a", "ip", None), ("piccolo.com", "unknown", None),
])
def test_each_link_gets_a_status(kb: Knowledge, url: str, status: str, org: str | None) -> None:
    c = links.check(url, kb)
    assert (c.status, c.org) == (status, org)


def test_punycode_is_decoded_and_judged(kb: Knowledge) -> None:
    host = "xn--" + "中国平安理赔".encode("punycode").decode() + ".com"
    c = links.check("http://" + host, kb)
    assert c.status == "lookalike" and c.decoded_host == "中国平安理赔.com" and c.org == "中国平安"
    c = links.check("xn--pngan-vua.com", kb)  # pøngan.com
    assert c.status == "lookalike" and "形似" in c.similar_to[0]["how"]


def test_a_short_brand_counts_only_as_a_whole_part_of_the_name(kb: Knowledge) -> None:
    assert links.check("picc-vip.top", kb).status == "lookalike"
    assert links.check("piccolo.com", kb).status == "unknown"


def test_the_longest_brand_names_the_organisation(kb: Knowledge) -> None:
    c = links.check("newchina-life.info", kb)
    assert c.org == "新华保险" and [s["org"] for s in c.similar_to][:2] == ["新华保险", "中国人寿"]


def test_links_and_numbers_are_told_apart() -> None:
    assert links.looks_like_link("pingan.com") and links.looks_like_link("47.96.0.1/pay")
    assert not links.looks_like_link("95519") and not links.looks_like_link("139.1234.5678")
    assert not links.looks_like_link("你好 pingan.com")


def test_the_verdict_lists_each_link_as_an_object_and_keeps_the_plain_list(engine) -> None:
    d = engine.analyze("【平安】理赔款到账，请登录 pingan-lipei.cc 领取，或 https://u.pingan.com/a").to_dict()
    assert d["url_list"] == ["pingan-lipei.cc", "https://u.pingan.com/a"]
    assert [(u["host"], u["status"], u["org"]) for u in d["urls"]] == [
        ("pingan-lipei.cc", "lookalike", "中国平安"), ("u.pingan.com", "official", "中国平安")]
    assert set(d["urls"][0]) >= {"url", "host", "status", "org", "similar_to"}


@pytest.mark.parametrize("junk", ["9" * 100_000, "转" * 5000, "QQ " * 3000, "a." * 5000 + "com", "\x00\xff" * 500,
                                  "http://" + "a" * 5000 + ".com", "xn--zzzz-!!.com", "http://[::1", ""])
def test_junk_gets_an_answer_not_a_crash(engine, junk: str) -> None:
    found = engine.lookup_any(junk)
    assert found.status in ("invalid", "unknown", "ip", "lookalike", "shortener")
