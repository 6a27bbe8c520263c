"""Issue 18 item 2: regional language tags take their language's profile and font.

``zh-TW`` is judged and burned as Traditional Chinese, ``pt-BR`` as Portuguese, ``en-US`` as English
(BCP 47 matching), and keeps its full tag in file names and container metadata. Tags are compared
without regard to case; ``zh_TW`` is read as ``zh-TW`` with a note; a language's name is refused with
its tag, before any video is probed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from pipeline.batch.burnstep import burn_requests
from pipeline.batch.files import read_lang_tracks
from pipeline.cli.main import main
from pipeline.core import langtags, profiles
from pipeline.core.errors import InputError, UsageError
from pipeline.core.profiles import get_profile
from pipeline.ingest.job import parse_job
from pipeline.media.fonts import font_spec
from pipeline.media.mkvcheck import read_tracks
from pipeline.media.probe import probe
from pipeline.tracks.wrap import tokenize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from langclip import short_clip

RULES = ("max_line_chars", "max_lines", "max_cps", "count", "breaking", "min_duration_ms", "script", "direction")
# tag -> (the profile table whose rules it follows, font family, ISO 639-2/B code, track title)
REGIONAL = {
    "zh-TW": ("zh-Hant", "Noto Sans CJK TC", "chi", "繁體中文"),
    "zh-Hant-TW": ("zh-Hant", "Noto Sans CJK TC", "chi", "繁體中文"),
    "zh-CN": ("zh-Hans", "Noto Sans CJK SC", "chi", "简体中文"),
    "zh-HK": ("zh-Hant", "Noto Sans CJK HK", "chi", "繁體中文（香港）"),
    "zh-MO": ("zh-Hant", "Noto Sans CJK HK", "chi", "繁體中文（香港）"),
    "pt-BR": ("pt", "Noto Sans", "por", "Português (Brasil)"),
    "en-US": ("en", "Noto Sans", "eng", "English"),
    "ja-JP": ("ja", "Noto Sans CJK JP", "jpn", "日本語"),
    "ko-KR": ("ko", "Noto Sans CJK KR", "kor", "한국어"),
}
TEXT = {
    "zh-TW": "這是繁體中文字幕測試",
    "zh-Hant-TW": "這是繁體中文字幕測試",
    "zh-CN": "这是简体中文字幕测试",
    "zh-HK": "這是香港的繁體字幕",
    "pt-BR": "Olá, você está aí?",
    "en-US": "Hello there.",
    "ja-JP": "こんにちは、字幕です",
    "ko-KR": "안녕하세요, 자막입니다",
}


def _srt(path: Path, text: str, end: str = "00:00:01,300") -> Path:
    path.write_text(f"1\n00:00:00,100 --> {end}\n{text}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clip(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_clip(zoo_dir, tmp_path_factory.mktemp("clip"))


@pytest.fixture()
def fresh_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each note is logged once per process: start this test with none logged yet."""
    monkeypatch.setattr(langtags, "_noted", set())
    monkeypatch.setattr(profiles, "_warned", set())


@pytest.mark.parametrize("tag", sorted(REGIONAL))
def test_regional_tag_takes_its_language_rules_and_keeps_its_tag(tag: str) -> None:
    base, family, iso, title = REGIONAL[tag]
    p = get_profile(tag)
    assert (p.tag, font_spec(p.font).family, p.iso639_2, p.name) == (tag, family, iso, title)
    assert [getattr(p, f) for f in RULES] == [getattr(get_profile(base), f) for f in RULES]


def test_regional_chinese_breaks_as_its_script() -> None:
    text = "今天天氣很好我們一起去公園散步吧然後再去吃飯"
    assert tokenize(text, get_profile("zh-TW")) == tokenize(text, get_profile("zh-Hant"))
    assert len(tokenize(text, get_profile("zh-TW"))) > 1  # phrases, not one unbreakable word


@pytest.mark.parametrize("tag", ["ca", "zh-Latn", "ja-Latn"])
def test_no_match_across_languages_or_scripts(tag: str) -> None:
    # Catalan is not Spanish; pinyin and romaji are not written in Chinese characters or kana.
    p = get_profile(tag)
    assert (p.tag, p.name, p.font, p.count, p.max_line_chars) == (tag, tag, "noto-sans", "all", 42)


@pytest.mark.render
@pytest.mark.parametrize("tag", sorted(TEXT))
def test_burn_of_a_regional_tag_uses_its_font(
    tag: str, clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, fresh_notes: None
) -> None:
    sub = _srt(tmp_path / f"clip.{tag}.srt", TEXT[tag])
    out = tmp_path / f"clip.{tag}.mp4"
    with caplog.at_level(logging.WARNING):
        assert main(["-q", "burn", str(clip), str(sub), "-o", str(out)]) == 0
    assert out.is_file() and probe(out).width == 640
    assert "no language profile" not in caplog.text
    # The ASS the burn hands libass names the font family of the language's profile.
    requests, _ = burn_requests(probe(clip), [(read_lang_tracks([sub], [tag])[0], out)], {})
    style = next(line for line in requests[0].ass_text.splitlines() if line.startswith("Style:"))
    assert style.split(",")[1] == REGIONAL[tag][1]


def _findings(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["check", "--format", "json", *argv])
    doc = json.loads(capsys.readouterr().out)
    return code, [f for file in doc["files"] for f in file["findings"]]


def test_check_judges_zh_tw_by_chinese_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long = _srt(tmp_path / "long.zh-TW.srt", "這是一個非常非常長的繁體中文字幕行需要換行", "00:00:02,000")
    code, found = _findings(capsys, str(long))
    assert code == 0
    assert {(f["rule"], str(f["message"]).rsplit(" ", 1)[-1]) for f in found} == {
        ("line_length", "16"),
        ("reading_speed", "9"),
    }
    short = _srt(tmp_path / "short.zh-TW.srt", "這是繁體中文", "00:00:02,000")
    assert _findings(capsys, str(short)) == (0, [])


def test_mux_keeps_full_tags_and_titles(clip: Path, tmp_path: Path) -> None:
    tags = ["zh-TW", "pt-BR", "en-US"]
    subs = [str(_srt(tmp_path / f"clip.{tag}.srt", TEXT[tag])) for tag in tags]
    mkv, mp4 = tmp_path / "out.mkv", tmp_path / "out.mp4"
    assert main(["-q", "mux", str(clip), *subs, "-o", str(mkv), "--default", "PT-br"]) == 0
    assert main(["-q", "mux", str(clip), *subs, "-o", str(mp4)]) == 0
    entries = [t for t in read_tracks(mkv) if t.kind == "subtitle"]
    assert [(t.language, t.bcp47) for t in entries] == [("chi", "zh-TW"), ("por", "pt-BR"), ("eng", "en-US")]
    for out in (mkv, mp4):
        streams = probe(out).subtitle_streams()
        assert [(s.language, s.title) for s in streams] == [
            ("chi", "繁體中文"),
            ("por", "Português (Brasil)"),
            ("eng", "English"),
        ]
    assert [s.default for s in probe(mkv).subtitle_streams()] == [False, True, False]


@pytest.mark.render
def test_run_names_outputs_by_the_full_tag(clip: Path, tmp_path: Path) -> None:
    segments = [{"id": "s1", "start_ms": 100, "end_ms": 1300, "text": {"zh-TW": TEXT["zh-TW"], "pt-BR": "Olá."}}]
    (tmp_path / "clip.json").write_text(json.dumps({"segments": segments}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        f'video = "{clip}"\ntranscript = "clip.json"\nlanguages = ["zh-tw", "PT_br"]\ndefault_language = "pt-BR"\n'
        '[outputs]\nformats = ["srt"]\nburn = false\nmux = ["mkv"]\nreview = false\n',
        encoding="utf-8",
    )
    assert main(["-q", "run", str(tmp_path / "job.toml")]) == 0
    root = tmp_path / "output" / "short"
    assert (root / "zh-TW" / "short.zh-TW.srt").is_file() and (root / "pt-BR" / "short.pt-BR.srt").is_file()
    entries = [t for t in read_tracks(root / "short.subs.mkv") if t.kind == "subtitle"]
    assert [(t.language, t.bcp47) for t in entries] == [("chi", "zh-TW"), ("por", "pt-BR")]


def test_tags_compare_without_case() -> None:
    assert get_profile("EN").tag == "en" and get_profile("ZH-hant").tag == "zh-Hant"
    assert get_profile("zh-hant-tw").tag == "zh-Hant-TW" and get_profile("PT-br").name == "Português (Brasil)"
    job = parse_job(
        'transcript = "t.json"\nlanguages = ["EN", "zh-tw"]\ndefault_language = "ZH-TW"\n'
        "[style.ZH-tw]\nfont_size = 50\n[profile.En]\nmax_cps = 15.0\n",
        Path("job.toml"),
    )
    assert job.videos[0].languages == ("en", "zh-TW") and job.videos[0].default_language == "zh-TW"
    assert job.style["zh-TW"] == {"font_size": 50} and job.profiles["en"] == {"max_cps": 15.0}


def test_underscore_is_read_as_a_hyphen_with_one_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], fresh_notes: None
) -> None:
    sub = _srt(tmp_path / "a.srt", "這是一個非常非常長的繁體中文字幕行需要換行", "00:00:05,000")
    with caplog.at_level(logging.WARNING):
        code, found = _findings(capsys, str(sub), str(sub), "--lang", "zh_TW", "--lang", "zh_TW")
        assert get_profile("zh_TW").font == "noto-cjk-tc"
    assert (code, [f["message"] for f in found]) == (0, ["a line of 21 characters, over 16"] * 2)
    notes = [r.getMessage() for r in caplog.records if "zh_TW" in r.getMessage()]
    assert notes == ["language tag 'zh_TW' read as 'zh-TW' (BCP 47 joins subtags with '-')"]


def test_unknown_tag_warns_once(caplog: pytest.LogCaptureFixture, fresh_notes: None) -> None:
    with caplog.at_level(logging.WARNING):
        assert get_profile("haw").iso639_2 == "haw" and get_profile("haw").max_line_chars == 42
    assert [r.getMessage() for r in caplog.records] == ["no language profile for 'haw': using the default profile"]


@pytest.mark.parametrize(
    ("name", "hint"), [("english", "'en'"), ("French", "'fr'"), ("Chinese", "'zh-Hans' or 'zh-Hant'")]
)
def test_a_language_name_suggests_its_tag(name: str, hint: str) -> None:
    with pytest.raises(UsageError, match=f"did you mean {hint}"):
        get_profile(name)


def test_a_language_name_is_refused_before_the_video_is_probed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = _srt(tmp_path / "subs.srt", "Hello.")
    missing = tmp_path / "no-such-video.mp4"  # probing it would fail with "no such file"
    assert main(["-q", "burn", str(missing), str(sub), "-o", str(tmp_path / "o.mp4"), "--lang", "english"]) == 2
    err = capsys.readouterr().err
    assert "'english' is not a BCP 47 language tag: did you mean 'en'?" in err and "no such file" not in err
    assert main(["-q", "mux", str(missing), str(sub), "-o", str(tmp_path / "o.mkv"), "--lang", "French"]) == 2
    assert "did you mean 'fr'?" in capsys.readouterr().err
    job = tmp_path / "job.toml"
    job.write_text(f'video = "{missing}"\ntranscript = "t.json"\nlanguages = ["en", "english"]\n', encoding="utf-8")
    assert main(["-q", "run", str(job)]) == 2
    assert f"{job}:3: languages: 'english' is not a BCP 47 language tag: did you mean 'en'?" in capsys.readouterr().err
    with pytest.raises(InputError, match="languages: 'en' more than once"):
        parse_job('transcript = "t.json"\nlanguages = ["en", "EN"]\n', job)


def test_convert_takes_a_tag_in_any_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    segments = [{"id": "s1", "start_ms": 100, "end_ms": 1300, "text": {"zh-TW": TEXT["zh-TW"], "en": "Hi."}}]
    src = tmp_path / "t.json"
    src.write_text(json.dumps({"segments": segments}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "t.zh-TW.srt"
    assert main(["convert", str(src), str(out), "--lang", "ZH-tw"]) == 0
    assert TEXT["zh-TW"] in out.read_text(encoding="utf-8")
    assert main(["convert", str(src), str(out), "--lang", "english"]) == 2
    assert "did you mean 'en'?" in capsys.readouterr().err


def test_deprecated_tags_are_kept_as_given_and_take_the_standard_profile(tmp_path: Path) -> None:
    texts = {"tl": "Kumusta.", "IW": "שלום.", "in": "Halo.", "zh-yue": "你好。", "mo": "Salut."}
    segments = [{"id": "1", "start_ms": 100, "end_ms": 1300, "text": {k.lower(): v for k, v in texts.items()}}]
    (tmp_path / "t.json").write_text(json.dumps({"segments": segments}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        f'transcript = "t.json"\nlanguages = {json.dumps(list(texts))}\n[outputs]\nformats = ["srt"]\n'
        "burn = false\nmux = []\nreview = false\n[profile.id]\nmax_lines = 1\n",
        encoding="utf-8",
    )
    assert main(["-q", "run", str(tmp_path / "job.toml")]) == 0
    root = tmp_path / "output" / "t"
    for tag in ("tl", "iw", "in", "zh-yue", "mo"):
        assert texts[tag if tag != "iw" else "IW"] in (root / tag / f"t.{tag}.srt").read_text(encoding="utf-8")
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["in", "iw", "mo", "tl", "zh-yue"]
    assert (get_profile("in").key, get_profile("in").tag, get_profile("IN").iso639_2) == ("id", "in", "ind")
    assert (get_profile("iw").tag, get_profile("iw").iso639_2, get_profile("tl").iso639_2) == ("iw", "heb", "fil")
    assert get_profile("zh-yue").tag == "zh-yue" and get_profile("en-us").tag == "en-US"
