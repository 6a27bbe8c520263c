"""Hostile transcript JSON (subpipe and Whisper), job files and video files: errors, never tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import InputError
from pipeline.ingest.job import parse_job
from pipeline.ingest.segments import load_transcript
from pipeline.media.probe import probe


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ('{"segments": [{"start": NaN, "end": 2, "text": "a"}]}', "NaN is not a number JSON allows"),
        ('{"segments": [{"start": 1, "end": Infinity, "text": "a"}]}', "Infinity is not a number"),
        ('{"segments": [{"start": 1, "end": 1e400, "text": "a"}]}', "got inf"),
        ('{"segments": [{"start": 1, "end": 1e300, "text": "a"}]}', "out of range"),
        ('{"segments": [{"start_ms": 1' + "0" * 5000 + ', "end_ms": 2, "text": "a"}]}', "invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
        ('{"segments": [{"start": "0:01", "end": 2, "text": "a"}]}', "needs 'start_ms'"),
        ('{"segments": [{"start": true, "end": 2, "text": "a"}]}', "needs 'start_ms'"),
        ('{"segments": [{"start": -1, "end": 2, "text": "a"}]}', "start must be >= 0"),
        ('{"segments": [{"end": 2, "text": "a"}]}', "needs 'start_ms'"),
        ('{"segments": [7]}', "expected an object, got int"),
        ('{"segments": {"a": 1}}', "'segments' list"),
        ('{"language": "en", "segments": [{"start": 0, "end": 1, "text": ["a"]}]}', "'text' must be"),
        ('{"segments": [{"start": 0, "end": 1, "text": {"en": 5}}]}', "'text' must be"),
        ("[]", "'segments' list"),
        ('"just a string"', "'segments' list"),
        ("\ufeff", "invalid JSON"),
    ],
    ids=[
        "nan",
        "infinity",
        "overflow-inf",
        "huge-seconds",
        "huge-int",
        "deep-nesting",
        "string-time",
        "bool-time",
        "negative",
        "missing-start",
        "segment-not-object",
        "segments-object",
        "whisper-text-list",
        "text-not-string",
        "top-level-list",
        "top-level-string",
        "bom-only",
    ],
)
def test_hostile_transcript_json(tmp_path: Path, doc: str, problem: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_transcript(path)
    assert problem in info.value.problem and info.value.path == str(path), info.value


def test_whisper_json_with_extra_fields_and_crlf(tmp_path: Path) -> None:
    doc = {
        "text": " all",
        "language": "ko",
        "segments": [
            {
                "id": 0,
                "seek": 0,
                "start": 0.0,
                "end": 1.5,
                "text": " 안녕 ",
                "tokens": [1, 2],
                "avg_logprob": -0.2,
                "words": [{"word": "안녕", "start": 0.0, "end": 1.5}],
            }
        ],
    }
    path = tmp_path / "w.json"
    path.write_bytes(json.dumps(doc, ensure_ascii=False, indent=1).replace("\n", "\r\n").encode("utf-8-sig"))
    (seg,) = load_transcript(path).segments
    assert (seg.id, seg.start_ms, seg.end_ms, dict(seg.text)) == ("0", 0, 1500, {"ko": "안녕"})


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('transcript = "t.json"\nlanguages = ["en"]\nname = = "x"\n', 3, "invalid TOML"),
        ('transcript = "t.json"\nlanguages = ["en"\n', 2, "Unclosed array (at end of document)"),
        ("videos = [1, 2]\n", 1, "[[videos]] #1: expected a table, got 1"),
        ('videos = "x"\n', 1, "expected an array of tables"),
        ('transcript = "t.json"\nlanguages = ["en"]\noutputs = 3\n', 3, "'outputs': expected a table"),
        ('transcript = "t.json"\nlanguages = ["en"]\nrender = "fast"\n', 3, "'render': expected a table"),
        ('transcript = "t.json"\nlanguages = ["en"]\nstyle = []\n', 3, "'style': expected a table"),
        ('transcript = "t.json"\nlanguages = ["en"]\nprofile = 1\n', 3, "'profile': expected a table"),
        (
            'transcript = "t.json"\nlanguages = ["en"]\noutput_dir = 5\n',
            3,
            "'output_dir' at the top level: expected a string",
        ),
        ('transcript = 5\nlanguages = ["en"]\n', 1, "'transcript' at the top level: expected a string"),
        ('transcript = "t.json"\nlanguages = "en"\n', 2, "'languages' at the top level: expected a list of strings"),
        ('transcript = "t.json"\nlanguages = ["en", 1]\n', 2, "expected a list of strings"),
        (
            'transcript = "t.json"\nlanguages = ["en"]\nencoding = 949\n',
            3,
            "'encoding' at the top level: expected a string",
        ),
        (
            'transcript = "t.json"\nlanguages = ["en"]\nlenient = "yes"\n',
            3,
            "'lenient' at the top level: expected true or false",
        ),
        (
            'transcript = "t.json"\nlanguages = ["en"]\n[outputs]\nburn = 1\n',
            4,
            "'burn' in [outputs]: expected true or false",
        ),
        (
            'transcript = "t.json"\nlanguages = ["en"]\n[render]\ncrf = true\n',
            4,
            "'crf' in [render]: expected an integer",
        ),
    ],
    ids=[
        "syntax",
        "syntax-at-end",
        "videos-ints",
        "videos-string",
        "outputs-int",
        "render-string",
        "style-list",
        "profile-int",
        "output-dir-int",
        "transcript-int",
        "languages-string",
        "languages-mixed",
        "encoding-int",
        "lenient-string",
        "burn-int",
        "crf-bool",
    ],
)
def test_hostile_job_files(tmp_path: Path, text: str, line: int | None, problem: str) -> None:
    with pytest.raises(InputError) as info:
        parse_job(text, tmp_path / "job.toml")
    assert problem in info.value.problem and info.value.line == line, info.value


def test_job_lenient_key(tmp_path: Path) -> None:
    job = parse_job('transcript = "t.srt"\nlanguages = ["en"]\nlenient = true\n', tmp_path / "job.toml")
    assert job.videos[0].lenient


@pytest.mark.parametrize(
    "data",
    [b"", b"not a video at all\n" * 50, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200],
    ids=["zero-byte", "text", "truncated-mp4"],
)
def test_hostile_video_files(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(data)
    with pytest.raises(InputError) as info:
        probe(video)
    assert info.value.path == str(video)
    sub = tmp_path / "s.en.srt"
    sub.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n", encoding="utf-8")
    assert main(["-q", "burn", str(video), str(sub), "-o", str(tmp_path / "o.mp4")]) == 2
    assert main(["-q", "mux", str(video), str(sub), "-o", str(tmp_path / "o.mkv")]) == 2
    err = capsys.readouterr().err
    assert err.count(f"error: {video}: ") == 2 and "Traceback" not in err
    assert not list(tmp_path.glob("o.*")) and not list(tmp_path.glob(".o.*"))
