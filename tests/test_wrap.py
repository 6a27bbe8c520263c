from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.profiles import get_profile
from pipeline.wrap import count_chars, split_text, tokenize, wrap_lines


def test_counts_cjk_full_width_one_and_latin_half() -> None:
    ko = get_profile("ko")
    assert count_chars("정부24", ko) == 3.0  # two Hangul (1 each) + two digits (0.5 each)
    assert count_chars("<i>정부</i>", ko) == 2.0  # tags never count


def test_counts_ignore_bidi_marks_and_arabic_diacritics() -> None:
    ar = get_profile("ar")
    assert count_chars("\u202bمَرحبا\u202c", ar) == 5.0


def test_short_text_stays_on_one_line() -> None:
    assert wrap_lines("The world changes by the minute.", get_profile("en")) == ["The world changes by the minute."]


def test_two_lines_are_balanced_and_do_not_strand_an_article() -> None:
    en = get_profile("en")
    lines = wrap_lines("People's expectations toward the government have increased dramatically", en)
    assert len(lines) == 2
    assert all(count_chars(line, en) <= 42 for line in lines)
    assert not lines[0].lower().endswith((" the", " a", " an", " of", " to"))
    assert abs(len(lines[0]) - len(lines[1])) <= 20


def test_bottom_heavy_when_choice_is_equal() -> None:
    lines = wrap_lines("aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkk", get_profile("en"))
    assert len(lines[0]) <= len(lines[1])


def test_japanese_breaks_between_phrases_within_13() -> None:
    ja = get_profile("ja")
    parts = split_text(
        "行政の革新は、こうした変化に歩調を合わせ、すべての人にとってより幸せな明日を築く答えをもたらします。", ja
    )
    assert len(parts) >= 2
    for part in parts:
        assert all(count_chars(line, ja) <= 13 for line in wrap_lines(part, ja))
    assert (
        "".join(parts)
        == "行政の革新は、こうした変化に歩調を合わせ、すべての人にとってより幸せな明日を築く答えをもたらします。"
    )


def test_split_prefers_sentence_end() -> None:
    en = get_profile("en")
    text = "Public administration has served Korea well as the basis of growth. Now it is brought to the world."
    assert split_text(text, en) == [
        "Public administration has served Korea well as the basis of growth.",
        "Now it is brought to the world.",
    ]


LANGS = ["en", "ko", "ja", "zh-Hans", "ar", "ru", "vi"]
words = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(words, min_size=1, max_size=40), st.sampled_from(LANGS))
def test_split_never_loses_text_and_respects_limits(tokens: list[str], lang: str) -> None:
    profile = get_profile(lang)
    text = " ".join(tokens)
    parts = split_text(text, profile)
    joiner = tokenize(text, profile)[1]
    assert joiner.join(parts).replace(" ", "") == text.replace(" ", "")
    for part in parts:
        lines = wrap_lines(part, profile)
        for line in lines:
            over = count_chars(line, profile) > profile.max_line_chars
            # Over the limit only when the line is a single unbreakable word.
            assert not over or len(line.split(" ")) == 1 or profile.breaking == "phrase"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_break_after_article(lang: str) -> None:
    profile = get_profile(lang)
    text = (
        "xxxxxxxxxx xxxxxxxxxx xxxxxx the yyyyyyyyyy yyyyyyyyyy"
        if lang == "en"
        else ("xxxxxxxxxx xxxxxxxxxx xxxxxx les yyyyyyyyyy yyyyyyyyyy")
    )
    lines = wrap_lines(text, profile)
    assert len(lines) == 2 and not lines[0].endswith((" the", " les"))
