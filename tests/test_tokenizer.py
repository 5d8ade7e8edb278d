import re

from hypothesis import given
from hypothesis import strategies as st

from newsbot.text.tokenizer import Tokenizer, read_synonyms


def test_numbers_dates_and_measure_words_stay_whole(tokenizer):
    tokens = tokenizer.tokens("5月15日上午，对3家红旗单位和64名先进个人进行表彰")
    for expected in ("5月15日", "5月", "15日", "3家", "64名", "64"):
        assert expected in tokens


def test_full_date_gives_its_parts(tokenizer):
    tokens = tokenizer.tokens("２０２０年５月１５日")
    assert tokens[:1] == ["2020年5月15日"]
    assert {"2020年", "5月", "15日", "5月15日"} <= set(tokens)


def test_user_dictionary_names_are_single_tokens(tokenizer):
    tokens = tokenizer.tokens("区长张艳敏带领区城管局负责人到烟厂，专职副主席朱文莉")
    assert {"张艳敏", "烟厂", "朱文莉"} <= set(tokens)


def test_synonyms_map_short_forms_to_the_canonical_word(tokenizer):
    assert "管城回族区" in tokenizer.tokens("管城区")
    assert "管城区" not in tokenizer.tokens("管城区")


def test_search_mode_gives_sub_words(tokenizer):
    assert {"总工会", "工会"} <= set(tokenizer.tokens("总工会"))


def test_punctuation_and_stop_words_never_become_tokens(tokenizer):
    assert tokenizer.tokens("，。！？、“”（）…… ,.!?") == []
    assert "的" not in tokenizer.tokens("管城的新闻")


def test_traditional_and_simplified_meet(tokenizer):
    assert tokenizer.tokens("總工會召開會議") == tokenizer.tokens("总工会召开会议")


def test_latin_is_lower_cased(tokenizer):
    assert "nexon" in tokenizer.tokens("由韩国Nexon开发")


def test_signature_changes_with_the_word_files(tmp_path):
    userdict = tmp_path / "dict.txt"
    userdict.write_text("烟厂 100 ns\n", encoding="utf-8")
    one = Tokenizer(userdict)
    userdict.write_text("烟厂 100 ns\n张艳敏 100 nr\n", encoding="utf-8")
    assert Tokenizer(userdict).signature != one.signature
    assert Tokenizer(userdict, stopwords={"的"}).signature != Tokenizer(userdict).signature


def test_read_synonyms(tmp_path):
    path = tmp_path / "syn.yaml"
    path.write_text("管城回族区: [管城区, 管城]\n", encoding="utf-8")
    assert read_synonyms(path) == {"管城区": "管城回族区", "管城": "管城回族区"}


@given(st.text(max_size=200))
def test_tokens_always_hold_a_word_character(tokenizer, text):
    for token in tokenizer.tokens(text):
        assert token and re.search(r"\w", token)
        assert token == token.strip()


_PIECES = st.lists(
    st.sampled_from(
        [
            "管城回族区",
            "烟厂",
            "督导",
            "2020年5月15日",
            "5月",
            "64名",
            "3.5%",
            "12,000元",
            "第",
            "届",
            "，",
            " ",
            "\n",
            "abc",
            "x-1",
            "\x00",
            "。",
            "5",
            "年",
            "号",
        ]
    ),
    max_size=30,
)


@given(_PIECES)
def test_text_between_numbers_cut_at_once_gives_the_tokens_of_each_piece(tokenizer, pieces):
    """Cutting the text between number expressions in one call (holes where the numbers were)
    gives the tokens, in order, of cutting each piece alone; also in text never normalised."""
    from newsbot.text.tokenizer import NUMBER, _number_tokens

    norm = "".join(pieces)
    expected, pos = [], 0
    for match in [*NUMBER.finditer(norm), None]:
        between = norm[pos : match.start() if match else len(norm)]
        expected += [k for k in map(tokenizer._keep, tokenizer.segment(between)) if k]
        if match:
            expected += _number_tokens(match.group())
            pos = match.end()
    assert tokenizer.normalized_tokens(norm) == expected
    ids = _Numbering()
    encoded = tokenizer.encoder(ids)(norm)
    assert [list(ids)[i] for i in encoded] == tokenizer.tokens(norm)


class _Numbering(dict):
    def __missing__(self, term):
        self[term] = len(self)
        return self[term]


def test_part_of_speech_tags_come_without_loading_jieba_itself(base_config):
    from newsbot.engine import tokenizer_for

    fresh = tokenizer_for(base_config)
    assert fresh.fast  # rjieba is a dependency
    assert ("张艳敏", "nr") in fresh.tagged("区长张艳敏到烟厂督导")
    assert ("管城回族区", "ns") in fresh.tagged("管城回族区召开会议")  # the user dictionary's tag
    assert fresh._jieba_instance is None  # a 1-2 s load that a first who-question skips


def test_warming_up_loads_every_dictionary_a_question_may_need(base_config):
    from newsbot.engine import tokenizer_for

    fresh = tokenizer_for(base_config)
    fresh.warm_up()
    assert fresh._jieba_instance is not None and fresh._fast_instance is not None


def test_a_memo_maps_the_number_hole_to_itself_also_after_it_is_cleared():
    from newsbot.text.tokenizer import _HOLE, _Memo

    memo = _Memo(lambda segment: None)  # drops every segment, as punctuation is dropped
    assert memo[_HOLE] == _HOLE and memo["，"] is None
    memo.clear()  # as the tokenizer does when the memo grows too large
    assert memo[_HOLE] == _HOLE
