import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from newsbot.text.normalize import (
    CACHED_CHARS,
    clean_display,
    nfkc,
    normalize,
    normalize_each,
    normalize_once,
)
from newsbot.text.sentences import split_clauses, split_sentences


def test_full_width_becomes_half_width_and_latin_lower_case():
    assert normalize("２０２０年ＡＢＣ") == "2020年abc"


def test_traditional_becomes_simplified():
    assert normalize("管城回族區總工會") == "管城回族区总工会"


def test_control_and_bidi_characters_are_removed():
    assert normalize("a\x00b\u202ec") == "a b c"
    assert clean_display("a\x00b\u202ec") == "abc"


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


def test_normalising_many_lines_at_once_equals_one_by_one():
    texts = [
        "管城區總工會召開會議，",
        "表彰64名先进个人；",
        "ＡＢＣ１２３……",
        "",
        "第二行\n第三行",
        "PM2.5",
    ]
    assert normalize_each(texts) == [normalize(t) for t in texts]
    assert normalize_each(texts[:4]) == [normalize(t) for t in texts[:4]]


@given(st.lists(st.text(max_size=40), max_size=6))
def test_normalize_each_equals_normalize_on_any_text(texts):
    assert normalize_each(texts) == [normalize(t) for t in texts]


def test_sentences_keep_punctuation_and_closing_quotes():
    assert split_sentences("他说：“好。”然后走了！再见") == ["他说：“好。”", "然后走了！", "再见"]


def test_clauses_split_at_commas():
    assert split_clauses("若游戏中离，则4分钟内不得配对。开放") == [
        "若游戏中离，",
        "则4分钟内不得配对。",
        "开放",
    ]


@given(st.text())
def test_sentences_and_clauses_lose_no_text(text):
    def bare(s):
        return re.sub(r"\s", "", s)

    assert bare("".join(split_sentences(text))) == bare(text)
    assert bare("".join(split_clauses(text))) == bare(text)


@given(st.text(max_size=200))
def test_fast_nfkc_equals_unicodedata(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_fast_nfkc_on_chinese_punctuation():
    text = "（一）管城区：“好！”……　ＡＢＣ１２３，。、"
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_short_texts_kept_normalised_read_as_fresh_ones():
    """A short text's kept normal form is the one worked out afresh, on its first reading and
    after; a text past the kept length is worked out each time, the same way."""
    short = "臺灣ＡＢＣ\u200b的　新聞…"
    long = short * (CACHED_CHARS // len(short) + 1)
    for text in (short, short, long, long, short[:-1]):
        assert normalize(text) == normalize_once(text)
    assert normalize(short) == "台湾abc 的 新闻..."
