"""``verdict_json`` without ``dataclasses.asdict``: byte-identical to ``json.dumps(v.to_dict())``."""

from __future__ import annotations

import json

from bot.model import Evidence, Lookup, Match, NoticeRef, SignalHit, Verdict
from bot.render import verdict_json


def _reference(v: Verdict) -> str:
    return json.dumps(v.to_dict(), ensure_ascii=False)


def test_every_field_filled():
    v = Verdict(risk="high", score=87.25, scam_types=["surrender_invest"],
                matches=[Match(3, "surrender_invest", 71.5, [Evidence(0, 2, "退保", "x")], "script")],
                signals=[SignalHit("a", 30.0, [Evidence(1, 3, "保单", "l")], "l", "e", ["t"])],
                numbers=[Lookup("139", "+86139", "unknown", similar_to=[{"number": "95519", "how": "x"}])],
                urls=["http://a.b"], notices=[NoticeRef("n", "t", "i", "2020", "")], advice=["a"],
                insurers=["中国人寿"], amounts=["3万"], percents=[10.0], primary_type="surrender_invest",
                summary="s", action="a", channel="sms", stage="contacted", region="TW",
                highlights=[(0, 2), (5, 9)], truncated=True, traditional=True, text="never serialized")
    assert verdict_json(v) == _reference(v)
    assert "never serialized" not in verdict_json(v)


def test_on_real_verdicts(engine):
    texts = ["【某某人寿】尊敬的客户，您的保单可提前退保转购年化10%保本理财，详询13912345678", "你好", "",
             "刚才有个自称平安客服的打电话，说我的百万保障免费期到了，不取消每月扣800元，我已经把验证码告诉他了",
             "95519", "www.pa-lipei.cc 理赔请先交手续费"]
    for t in texts:
        v = engine.analyze(t)
        assert verdict_json(v) == _reference(v)
