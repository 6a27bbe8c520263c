"""The language of a file's name (``talk.fr.srt``) and ``--lang`` steer the legacy-encoding guess in
every reader (convert, check, tracks, jobs), on files whose text is only an alphabet sample; a guess
that goes against the hint says so in its finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.batch.convert import convert_file
from pipeline.core.encoding import suggested_encodings
from pipeline.core.textio import AUTO, encoding_finding, read_decoded
from pipeline.ingest.segments import load_transcript
from pipeline.ingest.subparse import read_subtitles
from pipeline.qc.check import check_file

# Letters only, upper and lower case in pairs (no words: nothing for letter frequencies to lean on).
SAMPLES = {
    "fr": "Àà Áá Ââ Çç Éé Èè Êê Ëë Îî Ïï Ôô Œœ Ùù Ûû Üü Ÿÿ", "de": "Ää Öö Üü ß", "es": "Áá Éé Íí Ññ Óó Úú Üü",
    "pt": "Àà Áá Ââ Ãã Çç Éé Êê Íí Óó Ôô Õõ Úú", "it": "Àà Èè Éé Ìì Íí Îî Òò Óó Ùù", "nl": "Áá Éé Èè Ëë Ïï Óó Öö Üü",
    "sv": "Åå Ää Öö Éé", "da": "Ææ Øø Åå Éé", "no": "Ææ Øø Åå Éé Ôô", "fi": "Ää Öö Åå Šš Žž", "id": "Éé Éé",
    "ca": "Àà Çç Èè Éé Íí Ïï Òò Óó Úú Üü", "pl": "Ąą Ćć Ęę Łł Ńń Óó Śś Źź Żż", "cs": "Áá Čč Ďď Éé Ěě Íí Ňň Řř Šš Žž",
    "sk": "Áá Ää Čč Ďď Ĺĺ Ľľ Ňň Ôô Ŕŕ Šš Ťť", "hr": "Čč Ćć Đđ Šš Žž", "sl": "Čč Šš Žž Ćć", "hu": "Áá Éé Őő Úú Űű",
    "ro": "Ăă Ââ Îî Şş Ţţ", "tr": "Çç Ğğ İi ı Öö Şş Üü", "lt": "Ąą Čč Ęę Ėė Įį Šš Ųų Ūū Žž",
    "lv": "Āā Čč Ēē Ģģ Īī Ķķ Ļļ Ņņ Šš Ūū Žž", "et": "Ää Õõ Öö Üü Šš Žž",
    "ru": "Жж Зз Кк Лл Мм Нн Пп Фф Щщ Ыы Ээ Юю Яя", "uk": "Жж Зз Іі Її Єє Ґґ Кк Лл Щщ Юю Яя",
    "bg": "Жж Зз Кк Щщ Ъъ Юю Яя",
    "sr": "Жж Зз Јј Љљ Њњ Ћћ Ђђ Џџ", "el": "Αα Ββ Γγ Δδ Ζζ Θθ Λλ Ξξ Ψψ Ωω", "vi": "Đđ Ăă Ââ Êê Ôô Ơơ Ưư",
    "he": "א ב ג ד ה ו ז ח ט י כ ל מ נ ס ע פ צ ק ר ש ת",
    "ar": "ا ب ت ث ج ح خ د ذ ر ز س ش ص ض ط ظ ع غ ف ق ك ل م ن ه و ي",
    "fa": "ا ب پ ت ث ج چ ح خ د ذ ر ز ژ س ش", "th": "ก ข ค ง จ ฉ ช ซ ญ ด ต ถ ท น บ ป ผ พ ฟ ม ย ร ล ว ศ ส ห อ ฮ",
    "zh-Hans": "的 一 是 不 了 人 我 在 有 他 这 中 大 来 上 国",
    "zh-Hant": "的 一 是 不 了 人 我 在 有 他 這 中 大 來 上 國",
    "ko": "가 나 다 라 마 바 사 아 자 차 카 타 파 하", "ja": "あ い う え お か き く け こ ア イ ウ エ オ",
}  # fmt: skip
CASES = [(lang, enc) for lang in SAMPLES for enc in suggested_encodings(lang)]


def _srt(lang: str, encoding: str) -> tuple[str, bytes]:
    sample = "Čč Ćć Đđ Šš Žž Ljlj Njnj" if (lang, encoding) == ("sr", "cp1250") else SAMPLES[lang]  # Latin script
    text = "".join(c for c in sample if c.encode(encoding, "ignore"))  # what the code page holds
    backwards = " ".join(text.split()[::-1])
    srt = f"1\n00:00:01,000 --> 00:00:04,000\n{text}\n\n2\n00:00:05,000 --> 00:00:08,000\n{backwards}\n"
    return srt, srt.encode(encoding)


def test_every_code_page_of_the_table_is_covered() -> None:
    assert len(CASES) >= 40 and {enc for _, enc in CASES} >= {"cp1250", "cp1251", "cp1252", "cp1257", "koi8_u"}


@pytest.mark.parametrize(("lang", "encoding"), CASES)
def test_the_file_name_and_lang_steer_convert(tmp_path: Path, lang: str, encoding: str) -> None:
    text, data = _srt(lang, encoding)
    named = tmp_path / f"talk.{lang}.srt"
    named.write_bytes(data)
    convert_file(named, tmp_path / "by-name.srt")
    assert (tmp_path / "by-name.srt").read_text(encoding="utf-8") == text
    plain = tmp_path / "talk.srt"
    plain.write_bytes(data)
    convert_file(plain, tmp_path / "by-lang.srt", lang=lang)
    assert (tmp_path / "by-lang.srt").read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("lang", "encoding"), [("fr", "cp1252"), ("ru", "cp1251"), ("pt", "cp1252"), ("pl", "cp1250")])
def test_check_tracks_and_jobs_read_with_the_hint(tmp_path: Path, lang: str, encoding: str) -> None:
    text, data = _srt(lang, encoding)
    region = "-BR" if lang == "pt" else ""
    path = tmp_path / f"talk.{lang}{region}.srt"
    path.write_bytes(data)
    report = check_file(path, lang, None)
    assert [c.text for c in report.track.cues] == [text.split("\n")[2], text.split("\n")[6]]
    assert "informed by the language" in report.findings[0].message
    track = read_subtitles(path, lang, AUTO)  # a job's existing track
    assert track.cues[0].text == text.split("\n")[2]
    transcript = load_transcript(path, lang, AUTO)  # `subpipe tracks` on an SRT transcript
    assert next(iter(transcript.segments[0].text.values())) == text.split("\n")[2]


def test_a_flag_after_the_tag_still_names_the_language(tmp_path: Path) -> None:
    text, data = _srt("fr", "cp1252")
    path = tmp_path / "talk.fr.forced.srt"
    path.write_bytes(data)
    assert read_decoded(path).text == text


def test_a_guess_against_the_hint_is_said(tmp_path: Path) -> None:
    """Russian letters in a file named French: not read as French, and the finding says so."""
    _, data = _srt("ru", "cp1251")
    path = tmp_path / "talk.fr.srt"
    path.write_bytes(data)
    finding = encoding_finding(read_decoded(path))
    assert finding is not None
    assert "against the language 'fr' (cp1252) of the file name" in finding.message
    given = encoding_finding(read_decoded(tmp_path / "talk.fr.srt", langs=["de"]))
    assert given is not None and "against the language 'de' (cp1252) given" in given.message


def test_lang_ru_reads_a_cyrillic_sample_as_cp1251(tmp_path: Path) -> None:
    """The report's case: a cp1251 Russian file was read as Arabic (cp1256) even with ``--lang ru``."""
    text, data = _srt("ru", "cp1251")
    path = tmp_path / "talk.srt"
    path.write_bytes(data)
    decoded = read_decoded(path, langs=["ru"])
    assert (decoded.encoding, decoded.text, decoded.contradicted) == ("cp1251", text, "")


@pytest.mark.parametrize(
    ("lang", "encoding", "text"),
    [
        ("fr", "cp1252", "Àà Áá Ââ"),  # the issue's own sample: was read as cp949 Korean
        ("fr", "cp1252", "Àà Áá Ââ Çç Éé"),  # was cp1255 Hebrew
        ("es", "cp1252", "Áá Éé Íí Ññ Óó Úú Üü Çç"),  # was cp1253 Greek
        ("ru", "cp1251", "Жж Зз Кк Її"),  # was cp874 Thai
    ],
)
def test_letters_of_another_language_of_the_code_page_are_not_against_the_hint(
    tmp_path: Path, lang: str, encoding: str, text: str
) -> None:
    """A short alphabet sample showing a letter of a sibling language (Spanish Á in French) stays in the
    hinted code page."""
    path = tmp_path / f"talk.{lang}.srt"
    srt = f"1\n00:00:01,000 --> 00:00:04,000\n{text}\n"
    path.write_bytes(srt.encode(encoding))
    decoded = read_decoded(path)
    assert (decoded.encoding, decoded.text, decoded.contradicted) == (encoding, srt, "")


def test_a_guess_that_fits_one_of_the_hints_is_not_against_the_others(tmp_path: Path) -> None:
    """A cp1251 Russian file in an English and Russian job fits 'ru': no contradiction with 'en'."""
    _, data = _srt("ru", "cp1251")
    path = tmp_path / "talk.srt"
    path.write_bytes(data)
    decoded = read_decoded(path, langs=["en", "ru"])
    assert (decoded.encoding, decoded.contradicted) == ("cp1251", "")
    assert read_decoded(path, langs=["de", "fr"]).contradicted == "the language 'de' (cp1252) given"


def test_the_default_language_of_a_transcript_is_not_a_given_hint(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A Russian transcript without a language in its name, in a Russian job: the default 'en' it is
    filed under is not reported as a language the guess goes against."""
    text, data = _srt("ru", "cp1251")
    path = tmp_path / "talk.srt"
    path.write_bytes(data)
    with caplog.at_level("WARNING"):
        transcript = load_transcript(path, encoding=AUTO, hint_langs=["ru"])
    assert transcript.segments[0].text == {"en": text.split("\n")[2]}
    assert "read as cp1251" in caplog.text and "against" not in caplog.text
