"""The verdict's conclusions: one primary scam type, the short answer (summary and first action), the
user's channel and stage, and the region of a Traditional message."""

from __future__ import annotations

import pytest

SURRENDER = "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询13912345678"


def test_a_scam_has_one_primary_type_with_a_plain_summary_and_the_insurers_hotline(engine) -> None:
    v = engine.analyze(SURRENDER)
    assert v.risk == "high" and v.primary_type == "surrender_for_investment"
    assert v.scam_types[0] == v.primary_type
    assert "冒充中国人寿" in v.summary and "退保" in v.summary
    assert "95519" in v.action and v.advice[0] == v.action


def test_a_generic_signal_does_not_add_unrelated_types(engine) -> None:
    # a claim-fee demand: the fake-police type must not ride along on generic "pay first" signals
    v = engine.analyze("您好，我是平安保险理赔专员，您的理赔款18000元已审核通过，需先缴纳500元手续费才能到账，请转到我的个人账户")
    assert v.primary_type == "fake_claim_fee"
    assert "other_scam" not in v.scam_types
    assert not any("公检法" in a for a in v.advice)


@pytest.mark.parametrize("text,stage,word", [
    ("平安客服打电话说我保单要升级，让我转账到安全账户，我已经转了两万", "transferred", "银行"),
    ("自称客服的人让我下载会议App开启屏幕共享办理退费，我已经装了", "remote_app", "屏幕共享"),
    ("对方说是人寿客服，要给我退保费，我已经把验证码告诉他了", "gave_info", "冻结"),
    ("有人说是监管局的，说我的保单违规了要退保转去安全理财，我已经退保了", "surrendered", "退保款"),
])
def test_what_already_happened_decides_the_first_step(engine, text, stage, word) -> None:
    v = engine.analyze(text)
    assert v.is_scam, text
    assert v.stage == stage
    assert word in v.action


def test_channel_shapes_the_first_step(engine) -> None:
    call = engine.analyze("刚才有人打电话自称国寿客服，说我保单收益低，让我退保买年化9%的保本理财")
    assert call.channel == "call" and call.action.startswith("请挂断")
    ad = engine.analyze("专业团队代办全额退保，不成功不收费，已帮上千客户拿回保费，私信免费咨询")
    assert ad.channel == "ad" and "挂断" not in ad.action
    assert not any("挂断" in a for a in ad.advice)


def test_a_genuine_reminder_from_the_official_number_says_so(engine) -> None:
    v = engine.analyze("【中国人寿】尊敬的客户，您的保单将于12月15日缴费，请确保账户余额充足。详询95519")
    assert v.risk == "none"
    assert "95519" in v.summary and "官方号码" in v.summary
    assert not any("不要回拨" in a for a in v.advice)


def test_traditional_messages_know_their_region(engine) -> None:
    tw = engine.analyze("【健保署】您的健保卡異常將停卡，請點擊連結 http://nhi-tw.top 更新資料")
    assert tw.traditional and tw.region == "TW"
    hk = engine.analyze("【保險業監管局】閣下的保單涉及洗黑錢，請立即將港幣轉到安全賬戶")
    assert hk.traditional and hk.region == "HK"


def test_highlights_are_whole_words(engine) -> None:
    v = engine.analyze("监管局通知：您的保单存在违规，需将资金转入国家安全账户核查")
    shown = [v.text[a:b] for a, b in v.highlights]
    assert any("国家安全账户" in s or s.endswith("账户") for s in shown), shown
    assert not any(s.endswith("账") for s in shown)
