"""Redaction (bot.redact): what a reported message looks like before it is stored."""

from __future__ import annotations

import pytest

from bot.pipeline.redact import MASKS, redact, strip_masks

ID18 = "110105198806154317"
ID18X = "44030419900307123X"
CARD = "6222 0212 3456 7890 123"
CARD_PLAIN = "6217000010001234567"
OWN = "13900001111"
SCAMMER = "138 1627 4409"


def test_id_card_and_own_phone_masked_scammer_number_and_link_kept():
    text = (f"尊敬的王先生：您的保单已升级，请回复身份证号{ID18}和收款卡号{CARD}完成登记，"
            f"本人手机{OWN}已绑定。详询专员 {SCAMMER}，或访问 http://pingan-vip.cn/up?id=8 办理。")
    r = redact(text, reporter_phone=OWN)
    assert ID18 not in r.text and "[身份证号]" in r.text
    assert "3456 7890" not in r.text and "[银行卡号]" in r.text
    assert OWN not in r.text and "[本人手机号]" in r.text
    assert "王" not in r.text and "尊敬的[姓名]先生" in r.text
    assert SCAMMER in r.text  # the scammer's contact number is evidence
    assert "http://pingan-vip.cn/up?id=8" in r.text  # links are kept
    assert r.counts == {"id_number": 1, "bank_card": 1, "own_phone": 1, "name": 1}
    assert "13816274409" in r.kept_numbers
    assert r.summary() == "身份证号 1 处、银行卡号 1 处、本人手机号 1 处、姓名 1 处"


@pytest.mark.parametrize("written", [
    "13900001111", "139 0000 1111", "139-0000-1111", "+86 139 0000 1111", "8613900001111", "１３９００００１１１１",
])
def test_reporter_phone_masked_in_any_spelling(written):
    r = redact(f"骗子打给我{written}这个号，说是平安客服", reporter_phone="+86 139-0000-1111")
    assert r.counts.get("own_phone") == 1
    assert "1111" not in r.text


def test_id_number_with_x_and_15_digit_and_spaced_forms():
    r = redact(f"身份证：{ID18X}；老身份证 110105880615431；另一张 110105 19880615 4317")
    assert r.counts["id_number"] == 3
    assert "4317" not in r.text and "123X" not in r.text


def test_bank_cards_plain_and_dashed():
    r = redact(f"卡号{CARD_PLAIN}，或者 6222-0212-3456-7890，转到 6228 4800 1234 5678 910")
    assert r.counts["bank_card"] == 3
    assert "7890" not in r.text and "910" not in r.text


def test_other_mobile_without_contact_cue_is_masked_with_cue_kept():
    text = "我爸的手机13612345678收到短信，让他拨打15887654321办理退保"
    r = redact(text)
    assert "13612345678" not in r.text and "[手机号]" in r.text
    assert "15887654321" in r.text


def test_explicitly_reported_number_is_kept():
    r = redact("这个号码 15600001234 自称人寿客服，说我的保单收益太低", keep_numbers=["156-0000-1234"])
    assert "15600001234" in r.text
    assert r.total == 0


def test_service_and_landline_numbers_are_kept():
    r = redact("请拨打95519或400-888-9999核实，或打010-12345678")
    assert r.text == "请拨打95519或400-888-9999核实，或打010-12345678"
    assert r.total == 0


@pytest.mark.parametrize("text,masked", [
    ("尊敬的李秀英女士，您的保单收益太低", "李秀英"),
    ("亲爱的张伟，您的保单即将失效", "张伟"),
    ("您好，陈先生，我是平安客服", "陈"),
    ("我叫刘强，今天接到一个电话", "刘强"),
    ("王阿姨您好，我是回访专员", None),  # 王阿姨 alone is not a full name pattern; nothing else to mask
])
def test_names_masked(text, masked):
    r = redact(text)
    if masked:
        assert masked not in r.text
        assert r.counts.get("name") == 1


@pytest.mark.parametrize("text", [
    "尊敬的客户，您的保单收益太低", "尊敬的平安客户您好", "亲爱的会员：", "您好，我是太保售后服务部",
    "尊敬的中国人寿客户，您好", "各位先生女士请注意",
])
def test_generic_greetings_are_not_names(text):
    assert redact(text).text == text


def test_email_and_address_masked():
    r = redact("把材料发到 zhang.wei@qq.com，家住北京市朝阳区建国路88号3单元，尽快办理")
    assert "zhang.wei" not in r.text and "[邮箱]" in r.text
    assert "建国路" not in r.text and "[地址]" in r.text


def test_digits_inside_links_are_not_masked():
    url = "https://e-chinalife.com.vip-up.cn/claim?id=110105198806154317"
    assert redact(f"点击 {url} 领取").text == f"点击 {url} 领取"


def test_nothing_to_mask_and_odd_input():
    assert redact("").text == ""
    assert redact(None).text == ""  # type: ignore[arg-type]
    plain = "您的万能险收益太低，建议退保买我们年化10%的理财产品"
    r = redact(plain)
    assert r.text == plain and r.total == 0 and r.summary() == ""


def test_strip_masks():
    assert strip_masks("尊敬的[姓名]先生，请把[银行卡号]发给我") == "尊敬的先生，请把发给我"
    assert all(strip_masks(m) == "" for m in MASKS.values())


def test_nearest_cue_decides():
    r = redact("您的手机收到短信后，请拨打13812345678办理；我的手机13900002222别打")
    assert "13812345678" in r.text
    assert "13900002222" not in r.text
