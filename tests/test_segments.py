from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.ingest.segments import language_from_name, load_transcript


def test_whisper_json(tmp_path: Path) -> None:
    p = tmp_path / "w.json"
    p.write_text(json.dumps({"language": "ko", "segments": [{"start": 0.5, "end": 1.25, "text": " 안녕 "}]}), "utf-8")
    t = load_transcript(p)
    assert t.source_language == "ko"
    assert [(s.start_ms, s.end_ms, dict(s.text)) for s in t.segments] == [(500, 1250, {"ko": "안녕"})]


def test_subpipe_json_sorted_with_speakers(tmp_path: Path) -> None:
    doc = {
        "segments": [
            {"id": "b", "start_ms": 3000, "end_ms": 4000, "speaker": "n", "text": {"en": "two", "fr": "deux"}},
            {"id": "a", "start_ms": 1000, "end_ms": 2000, "text": {"en": "one", "fr": "un"}},
        ]
    }
    p = tmp_path / "t.json"
    p.write_text(json.dumps(doc), "utf-8")
    t = load_transcript(p)
    assert [s.id for s in t.segments] == ["a", "b"] and t.segments[1].speaker == "n"
    assert t.languages == ("en", "fr")


def test_srt_as_transcript_language_from_name(tmp_path: Path) -> None:
    p = tmp_path / "movie.ko.srt"
    p.write_text("1\n00:00:01,000 --> 00:00:02,000\n첫째\n둘째\n", "utf-8")
    t = load_transcript(p)
    assert t.segments[0].text == {"ko": "첫째 둘째"}
    assert language_from_name("movie.zh-Hans.srt") == "zh-Hans" and language_from_name("movie.srt") is None


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ('{"segments": [}', "invalid JSON"),
        ('{"segs": []}', "'segments' list"),
        ('{"segments": []}', "no segments"),
        ('{"segments": [{"id": "x", "start_ms": 2000, "end_ms": 1000, "text": "a"}]}', "must come after"),
        ('{"segments": [{"id": "x", "start_ms": "1", "end_ms": 1000, "text": "a"}]}', "integer of milliseconds"),
        ('{"segments": [{"id": "x", "start": 1, "end": 2, "text": 5}]}', "'text' must be"),
    ],
    ids=["syntax", "no-list", "empty", "end-before-start", "string-time", "bad-text"],
)
def test_bad_transcripts(tmp_path: Path, doc: str, problem: str) -> None:
    p = tmp_path / "t.json"
    p.write_text(doc, "utf-8")
    with pytest.raises(InputError) as info:
        load_transcript(p)
    assert problem in info.value.problem and info.value.path == str(p)


def test_json_syntax_error_has_line(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_text('{\n"segments": [\n{"id": 1,,}\n]}', "utf-8")
    with pytest.raises(InputError) as info:
        load_transcript(p)
    assert info.value.line == 3


def test_unknown_format(tmp_path: Path) -> None:
    p = tmp_path / "t.docx"
    p.write_text("x", "utf-8")
    with pytest.raises(InputError, match="unknown transcript format"):
        load_transcript(p)


def test_a_transcripts_name_is_read_as_the_subtitle_commands_read_it() -> None:
    # Flags after the tag (media-server names) are skipped; a word in the name is no tag (it was taken as one).
    assert language_from_name("talk.en.forced.srt") == "en" and language_from_name("talk.eng.srt") == "en"
    assert language_from_name("clip.new.srt") is None and language_from_name("ep.the.srt") is None
