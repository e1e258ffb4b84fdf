"""Extraction: links, amounts, yearly-return percentages, insurer names."""


from bot.pipeline.engine import Engine


def test_percentages_need_return_context(engine: Engine) -> None:
    v = engine.analyze("这款产品年化收益8%-10%，另外打九折，电量还剩50%")
    assert 10.0 in v.percents and 50.0 not in v.percents
    assert 9.0 in engine.analyze("每年回报百分之九").percents


def test_urls_and_amounts(engine: Engine) -> None:
    v = engine.analyze("点击 http://bdxx-vip.cn/a?b=1 领取理赔款，先交手续费 1,500 元或￥300")
    assert v.url_list == ["http://bdxx-vip.cn/a?b=1"]
    assert [(c.host, c.status) for c in v.urls] == [("bdxx-vip.cn", "unknown")]
    assert any("1,500" in a for a in v.amounts) and any("300" in a for a in v.amounts)


def test_insurer_names_and_weak_aliases(engine: Engine) -> None:
    assert "中国人寿" in engine.analyze("我是国寿的客服").insurers
    assert engine.analyze("祝您出入平安").insurers == []
    assert engine.analyze("平安保险的业务员说").insurers != []


def test_numbers_in_text_are_looked_up(engine: Engine) -> None:
    v = engine.analyze("有疑问请拨打95519，或联系专员13912345678")
    by = {n.normalized: n.status for n in v.numbers}
    assert by == {"95519": "official", "+8613912345678": "unknown"}
