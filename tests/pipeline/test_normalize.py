"""Normalization defeats the usual evasions and maps back to the user's original text."""

import pytest

from bot.pipeline.normalize import Normalizer, Rewriter, basic


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("退 保", "退保"),
        ("退*保", "退保"),
        ("退/保理-财", "退保理财"),
        ("退\u200b保", "退保"),
        ("退\ufeff保\u200d", "退保"),
        ("退😀保", "退保"),
        ("ＡＰＰ１３９", "app139"),
        ("保單退保", "保单退保"),
    ],
)
def test_evasions_are_undone(norm: Normalizer, raw: str, expected: str) -> None:
    assert expected in norm(raw).text


def test_pinyin_and_homophones_map_to_the_keyword(norm: Normalizer) -> None:
    assert "退保" in norm("可以帮你tui保").text
    assert "退保" in norm("退bao很快").text
    assert "理财" in norm("买li财产品").text


@pytest.mark.parametrize("raw, kept", [
    ("长期回收医保卡余额", "回收医保卡"),   # 回收|医保卡, not 收益 (收医 straddles two words)
    ("车险脱保了记得续", "脱保"),           # 脱保 is a word of its own (coverage lapsed), not 退保
])
def test_homophones_that_straddle_words_are_not_rewritten(norm: Normalizer, raw: str, kept: str) -> None:
    assert kept in norm(raw).text


def test_separators_between_digits_and_words_are_kept(norm: Normalizer) -> None:
    # digits keep their spaces: phone numbers and amounts are extracted from the basic text anyway
    assert "5000 元" in norm("5000 元").text
    assert "hello world" in norm("hello world").text


def test_traditional_is_detected_and_simplified(norm: Normalizer) -> None:
    n = norm("您的保單收益過低，請儘快辦理")
    assert n.traditional
    assert "保单" in n.text and "收益过低" in n.text
    assert not norm("您的保单收益过低，请尽快办理").traditional


def test_spans_map_back_to_original_text(norm: Normalizer) -> None:
    raw = "请 退\u200b*保 转理财"
    n = norm(raw)
    i = n.text.index("退保")
    assert n.original_text(i, i + 2) == "退\u200b*保"


def test_rewriter_replacement_keeps_map() -> None:
    r = Rewriter({"解约": "退保", "解除保险合同": "退保"})
    text, idx = r.apply("要解除保险合同吗", list(range(8)))
    assert text == "要退保吗"
    assert idx[1] == 1 and idx[2] >= 1 and idx[-1] == 7


def test_synonym_swapped_wording_is_canonical(norm: Normalizer) -> None:
    assert "退保" in norm("建议您解约").text


def test_basic_keeps_digits_and_drops_invisible() -> None:
    b = basic("电话：１３９\u200b１２３４５６７８")
    assert "13912345678" in b.text


@pytest.mark.parametrize("raw", ["", " ", "\x00\x01", "😀😀", "\ud800" if False else "\U0010ffff", "a" * 10000])
def test_never_raises(norm: Normalizer, raw: str) -> None:
    n = norm(raw)
    assert len(n.text) == len(n.index)
