"""Issue 18 item 8: a subtitle file whose name carries no language tag (``subs.srt``).

``burn``, ``mux`` and ``check`` take ``--lang``, or guess the language from the script of the
letters where one profile language alone writes it (Hangul: ko, kana: ja, Thai: th), with a note;
Han alone or Latin is refused. A missing file or a folder is named as such, and a text file given
as the video is "not a video", not "audio only".
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.langguess import guess_language
from pipeline.core.profiles import language_scripts
from pipeline.media.mkvcheck import read_tracks
from pipeline.media.probe import probe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from langclip import short_clip
from zoo import build_zoo

KOREAN = "안녕하세요, 자막입니다"


def _srt(path: Path, *texts: str) -> Path:
    cues = [f"{i}\n00:00:0{i - 1},100 --> 00:00:0{i - 1},900\n{t}\n" for i, t in enumerate(texts, start=1)]
    path.write_text("\n".join(cues), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clip(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_clip(zoo_dir, tmp_path_factory.mktemp("clip"))


@pytest.mark.parametrize(
    ("texts", "lang", "script"),
    [
        ((KOREAN, "Samsung 갤럭시"), "ko", "Hangul"),
        (("こんにちは、世界", "東京へ行きます"), "ja", "Han and kana"),
        (("สวัสดีครับ",), "th", "Thai"),
        (("مرحبا بكم",), "ar", "Arabic"),
    ],
)
def test_check_guesses_an_untagged_file_from_its_script(
    texts: tuple[str, ...],
    lang: str,
    script: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sub = _srt(tmp_path / "subs.srt", *texts)
    with caplog.at_level(logging.WARNING):
        code = main(["check", "--format", "json", str(sub)])
    assert code in (0, 1)  # judged (findings or not), not refused
    assert json.loads(capsys.readouterr().out)["files"][0]["lang"] == lang
    assert f"{sub}: no language tag in its name; read as {lang!r}: its letters are {script} script" in caplog.text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("这是中文字幕", "its letters are Han script, which ja, ko, zh-Hans and zh-Hant all write"),
        ("Hello there, how are you?", "its letters are Latin script, which de, en, es, fr, id, pt, vi all write"),
        ("שלום לכולם", "its letters are Hebrew script, which no language profile writes"),
    ],
)
def test_an_ambiguous_script_is_refused(
    text: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = _srt(tmp_path / "subs.srt", text)
    for argv in (["check", str(sub)], ["-q", "mux", "v.mp4", str(sub), "-o", str(tmp_path / "o.mkv")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"{sub}: cannot tell its language ({why.replace(', vi', ' and vi')})" in err
        assert "pass --lang" in err


def test_the_guess_reads_only_the_profiles_scripts() -> None:
    scripts = language_scripts()
    assert guess_language(["Привет всем"], scripts).tag == "ru"
    assert guess_language(["नमस्ते"], scripts).tag == "hi"
    assert guess_language(["123 — !?"], scripts).reason == "it has no letters"
    assert guess_language(["مرحبا"], {**scripts, "fa": "Arab"}).tag is None  # Persian too: ambiguous


@pytest.mark.render
def test_burn_and_mux_of_untagged_files(clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ko = _srt(tmp_path / "subs.srt", KOREAN)
    out = tmp_path / "out.mp4"
    with caplog.at_level(logging.WARNING):
        assert main(["-q", "burn", str(clip), str(ko), "-o", str(out)]) == 0  # Hangul: ko, its font
    assert probe(out).width == 640 and "read as 'ko'" in caplog.text
    latin = _srt(tmp_path / "latin.srt", "Olá, tudo bem?")
    mkv = tmp_path / "out.mkv"
    assert main(["-q", "mux", str(clip), str(latin), str(ko), "-o", str(mkv), "--lang", "pt-BR", "--lang", "KO"]) == 0
    entries = [t for t in read_tracks(mkv) if t.kind == "subtitle"]
    assert [(t.language, t.bcp47) for t in entries] == [("por", "pt-BR"), ("kor", "ko")]
    assert main(["check", str(latin), "--lang", "pt"]) == 0


@pytest.mark.parametrize("command", ["burn", "mux", "check"])
@pytest.mark.parametrize(("name", "problem"), [("missing.srt", "no such file"), ("folder", "is a folder")])
def test_a_missing_subtitle_file_or_a_folder_is_named(
    command: str, name: str, problem: str, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "folder").mkdir()
    sub = tmp_path / name
    argv = [str(sub)] if command == "check" else ["-q", command, str(clip), str(sub), "-o", str(tmp_path / "o.mkv")]
    assert main([command, *argv] if command == "check" else argv) == 2
    err = capsys.readouterr().err
    assert f"error: {sub}: {problem}" in err and "language" not in err


@pytest.mark.parametrize("command", ["burn", "mux"])
def test_a_text_file_as_the_video_is_not_a_video(
    command: str, zoo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = _srt(tmp_path / "subs.en.srt", "Hello.")
    out = str(tmp_path / ("o.mp4" if command == "burn" else "o.mkv"))
    for video in (sub, tmp_path / "notes.txt", tmp_path / "data.json"):
        if not video.exists():
            video.write_text('{"a": 1}\n' if video.suffix == ".json" else "1\n00:00:00,000 --> 00:00:01,000\nhi\n")
        assert main(["-q", command, str(video), str(sub), "-o", out]) == 2
        err = capsys.readouterr().err
        assert f"error: {video}: not a video" in err and "audio only" not in err
    folder = tmp_path / "clips"
    folder.mkdir()
    assert main(["-q", command, str(folder), str(sub), "-o", out]) == 2
    assert f"error: {folder}: is a folder, not a video" in capsys.readouterr().err
    if command == "burn":  # a real audio file is still refused as audio only
        m4a = build_zoo(zoo_dir, ["audio_only_m4a"])["audio_only_m4a"]
        assert main(["-q", "burn", str(m4a), str(sub), "-o", out]) == 2
        assert "no video stream (audio only)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text", "lang"),
    [
        ("clip.en.forced.srt", "Hello there.", "en"),  # media-server flags after the tag
        ("clip.en.sdh.srt", "[door slams]", "en"),
        ("clip.EN.SDH.forced.srt", "Hello there.", "en"),
        ("clip.eng.srt", "Hello there.", "en"),  # 3-letter codes with a 2-letter one
        ("clip.ger.srt", "Guten Tag.", "de"),
        ("clip.chi.srt", "你好", "zh"),
        ("clip.hi.srt", "नमस्ते", "hi"),  # alone, hi is Hindi
        ("clip.sdh.srt", KOREAN, "ko"),  # a flag alone, and words, are no tag: the script says
        ("clip.new.srt", KOREAN, "ko"),
        ("ep.the.srt", "こんにちは、世界", "ja"),
    ],
)
def test_a_name_takes_its_tag_past_flags_and_ignores_words(
    name: str, text: str, lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = _srt(tmp_path / name, text)
    assert main(["check", "--format", "json", str(sub)]) in (0, 1)  # judged, not refused
    assert json.loads(capsys.readouterr().out)["files"][0]["lang"] == lang


def test_a_word_in_the_name_of_latin_text_asks_for_lang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _srt(tmp_path / "clip.new.srt", "Hello there, how are you?")
    assert main(["check", str(sub)]) == 2
    assert f"{sub}: cannot tell its language" in capsys.readouterr().err
    assert main(["check", "--format", "json", str(sub), "--lang", "en"]) == 0
