from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.profiles import get_profile
from pipeline.tracks.wrap import count_chars, split_text, tokenize, wrap_lines


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
    lines = wrap_lines("The role of the government in our lives has become even more important", en)
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


LANGS = ["en", "ko", "ja", "zh-Hans", "ar", "ru", "vi", "th", "fr"]
words = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=40), st.sampled_from(LANGS), st.integers(min_value=1, max_value=3))
def test_split_never_loses_text_and_respects_limits(tokens: list[str], lang: str, max_lines: int) -> None:
    profile = get_profile(lang, {"max_lines": max_lines})
    text = " ".join(tokens)
    parts = split_text(text, profile)
    assert "".join("".join(parts).split()) == "".join(text.split())
    for part in parts:
        lines = wrap_lines(part, profile)
        assert "".join("".join(lines).split()) == "".join(part.split())
        if len(lines) > max_lines:  # only when a single token is wider than a line
            assert any(len(tokenize(line, profile)) == 1 for line in lines)
        for line in lines:
            if count_chars(line, profile) > profile.max_line_chars:
                assert len(tokenize(line, profile)) == 1, (lang, line)


def test_kinsoku_no_line_starts_with_closing_mark() -> None:
    ja = get_profile("ja")
    text = "「電子政府」サービスは、いつでもどこでも利用できます。ーーーー「ください」"
    for part in split_text(text, ja):
        for line in wrap_lines(part, ja):
            assert line[0] not in "」、。ーっ" and line[-1] != "「", line


def test_thai_breaks_between_dictionary_words() -> None:
    th = get_profile("th")
    text = "ตัดบรรทัดภาษาไทยอย่างถูกต้องโดยใช้พจนานุกรม ไม่ตัดกลางคำเลยแม้แต่ครั้งเดียวในประโยคที่ยาวมาก"
    lines = [line for part in split_text(text, th) for line in wrap_lines(part, th)]
    assert len(lines) >= 2
    words = set(tokenize(text, th))
    for line in lines:  # every line is made of whole words
        assert "".join(line.split()) in "".join(text.split())
        assert any(line.startswith(w.strip()) for w in words)
    assert "ตัดบรร" not in [line[-6:] for line in lines]


def test_rtl_marks_option_wraps_each_line() -> None:
    from fractions import Fraction

    from pipeline.ingest.segments import Segment
    from pipeline.tracks.build import build_track

    seg = Segment("1", 0, 3000, {"ar": "ازدادت توقعات المواطنين من الحكومة بشكل كبير، وأصبح دور الحكومة أكثر أهمية."})
    plain = build_track([seg], "ar", get_profile("ar"), Fraction(25))
    marked = build_track([seg], "ar", get_profile("ar", {"rtl_marks": True}), Fraction(25))
    assert all("\u202b" not in line for c in plain.cues for line in c.lines)
    for cue in marked.cues:
        assert all(line.startswith("\u202b") and line.endswith("\u202c") for line in cue.lines)
    # The SRT keeps logical order: nothing flipped, only marks added.
    assert [line.strip("\u202b\u202c") for c in marked.cues for line in c.lines] == [
        line for c in plain.cues for line in c.lines
    ]


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
