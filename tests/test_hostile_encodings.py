"""Encodings: what is certain is decoded, a legacy encoding needs a declaration (flag or job file),
and without one the error names the best guess. Binary and zero-byte files are refused."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from pipeline.batch.run import run_job
from pipeline.cli.main import main
from pipeline.core.errors import InputError
from pipeline.ingest.job import parse_job
from pipeline.ingest.segments import load_transcript
from pipeline.ingest.subparse import read_subtitles

TEXT = {
    "ko": "행정안전부는 국민의 안전을 지킵니다.",
    "zh": "世界每时每刻都在变化。政府的责任。",
    "ja": "世界は刻一刻と変化しています。政府の責任です。",
    "fr": "Le monde change à chaque minute, déjà. Ça va être été.",
    "ru": "Мир меняется каждую минуту. Правительство служит людям.",
}
LEGACY = [("cp949", "ko"), ("euc-kr", "ko"), ("gb18030", "zh"), ("shift_jis", "ja"), ("cp1252", "fr"), ("cp1251", "ru")]
# What charset-normalizer names for each (the first name of the hint), on this text.
GUESS = {"cp949": "cp949", "euc-kr": "cp949", "gb18030": "gb18030", "shift_jis": "cp932", "cp1251": "cp1251"}


def _srt(lang: str) -> str:
    return f"1\n00:00:01,000 --> 00:00:02,000\n{TEXT[lang]}\n\n2\n00:00:03,000 --> 00:00:04,000\n{TEXT[lang]}\n"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (b"", "utf-8"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_certain_encodings_need_no_declaration(tmp_path: Path, bom: bytes, codec: str, newline: str) -> None:
    path = tmp_path / "a.srt"
    path.write_bytes(bom + _srt("ko").replace("\n", newline).encode(codec))
    track = read_subtitles(path, "ko")
    assert [c.lines for c in track.cues] == [(TEXT["ko"],), (TEXT["ko"],)]


@pytest.mark.parametrize(("codec", "lang"), LEGACY, ids=[c for c, _ in LEGACY])
def test_legacy_encodings_fail_with_a_guess_and_read_when_declared(tmp_path: Path, codec: str, lang: str) -> None:
    path = tmp_path / "a.srt"
    path.write_bytes(_srt(lang).replace("\n", "\r\n").encode(codec))
    with pytest.raises(InputError) as info:
        read_subtitles(path, lang)
    problem = info.value.problem
    assert problem.startswith("not UTF-8 (byte 0x") and "; it may be " in problem and "--encoding" in problem
    assert info.value.line == 3  # the first line with a non-ASCII byte
    if codec in GUESS:
        assert f"it may be {GUESS[codec]}" in problem
    track = read_subtitles(path, lang, codec)
    assert [c.lines for c in track.cues] == [(TEXT[lang],), (TEXT[lang],)]


def test_declared_encoding_through_the_cli_and_the_job_file(tmp_path: Path) -> None:
    sub = tmp_path / "talk.ko.srt"
    sub.write_bytes(_srt("ko").encode("cp949"))
    assert main(["tracks", str(sub), "--lang", "ko", "-o", str(tmp_path / "a")]) == 2
    assert main(["tracks", str(sub), "--lang", "ko", "-o", str(tmp_path / "a"), "--encoding", "cp949"]) == 0
    assert TEXT["ko"][:5] in (tmp_path / "a" / "talk.ko.ko.srt").read_text(encoding="utf-8")
    job_text = f'output_dir = "out"\n[[videos]]\ntranscript = "{sub.name}"\nlanguages = ["ko"]\n'
    without = run_job(parse_job(job_text, tmp_path / "job.toml")).videos[0]
    assert "not UTF-8" in without.failures["job"] and "it may be cp949" in without.failures["job"]
    job = parse_job(job_text + 'encoding = "cp949"\n[outputs]\nburn = false\nmux = []\n', tmp_path / "job.toml")
    result = run_job(job).videos[0]
    assert result.ok, result.failures
    assert TEXT["ko"][:5] in (tmp_path / "out" / "talk.ko" / "ko" / "talk.ko.ko.srt").read_text(encoding="utf-8")


def test_a_wrong_declared_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.srt"
    path.write_bytes(_srt("ko").encode("utf-8"))
    with pytest.raises(InputError, match="not valid shift_jis") as info:
        read_subtitles(path, "ko", "shift_jis")
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the file is empty (0 bytes)"),
        (b"\x00\x01\x02PK\x03\x04" * 20, "binary file"),
        (bytes(range(256)) * 4, "binary file"),
        (_srt("fr").encode("utf-16-le"), "if it is utf-16-le without a BOM, declare it (--encoding utf-16-le)"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "broken utf-16 after its BOM"),
        (codecs.BOM_UTF8 + b"\xff\xfe\xfd", "broken utf-8-sig after its BOM"),
    ],
    ids=["zero-byte", "zip-like", "all-bytes", "utf16-no-bom", "broken-utf16", "broken-utf8-after-bom"],
)
def test_binary_empty_and_broken_files(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "a.srt"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_transcript(path)
    assert problem in info.value.problem and info.value.path == str(path)


def test_folder_and_missing_inputs(tmp_path: Path) -> None:
    (tmp_path / "d.srt").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        load_transcript(tmp_path / "d.srt")
    with pytest.raises(InputError, match="no such file"):
        load_transcript(tmp_path / "missing.json")
    with pytest.raises(InputError, match="NUL character"):
        load_transcript("bad\x00name.srt")
