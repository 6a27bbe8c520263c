"""WebVTT conformance: 76 files from W3C web-platform-tests and mozilla/vtt.js, read as a browser does.

``tests/data/webvtt-conformance/expected.json`` holds the cues a browser makes of each file (its
README says where they come from, and the licences). The spec parser must give exactly those
(ids, times, raw text); the plain-text reader must keep every cue a browser shows, and every cue
it reads beyond them must come with a listed repair.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.core.findings import ERROR
from pipeline.ingest.subparse import lint_subtitles
from pipeline.ingest.webvtt import decode_webvtt, parse_webvtt

DATA = Path(__file__).parent / "data" / "webvtt-conformance"
EXPECTED: dict[str, dict[str, object]] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
_TAGS = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _cues(name: str) -> list[dict[str, object]]:
    cues = EXPECTED[name]["cues"]
    assert isinstance(cues, list)
    return cues


def test_the_suite_is_complete_with_its_licences() -> None:
    assert len(EXPECTED) == 76 and all((DATA / name).is_file() for name in EXPECTED)
    assert (DATA / "LICENSE-wpt.txt").is_file() and (DATA / "LICENSE-vtt.js.txt").is_file()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parser_makes_the_cues_a_browser_makes(name: str) -> None:
    cues = parse_webvtt(decode_webvtt((DATA / name).read_bytes())) or []
    got = [{"id": c.id, "start_ms": c.start_ms, "end_ms": c.end_ms, "text": c.text} for c in cues]
    assert got == _cues(name)
    assert (cues == []) == (EXPECTED[name]["count"] == 0)


def _shown(cue: dict[str, object]) -> tuple[int, int, tuple[str, ...]]:
    """A browser's cue as subpipe's plain text: no tags, references decoded, no control characters."""
    lines = (_CONTROL.sub("", html.unescape(_TAGS.sub("", line))).strip() for line in str(cue["text"]).split("\n"))
    return int(str(cue["start_ms"])), int(str(cue["end_ms"])), tuple(s for s in lines if s)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_plain_text_reader_keeps_every_cue_a_browser_shows(name: str) -> None:
    text = decode_webvtt((DATA / name).read_bytes())
    shown = [_shown(c) for c in _cues(name)]
    try:
        parsed = lint_subtitles(text, DATA / name, "en")
    except InputError:  # not subtitles at all: a browser has no cue either
        assert not shown
        return
    got = [(c.start_ms, c.end_ms, c.lines) for c in parsed.track.cues]
    usable = [row for row in shown if row[2] and row[0] < row[1]]
    assert sorted(row for row in got if row in usable) == sorted(usable)
    if len(got) > len(usable):  # read beyond the browser: only by a listed repair
        assert any(p.repair for p in parsed.problems), parsed.problems
    unusable = [row for row in shown if row[2] and row[0] >= row[1]]
    assert len([p for p in parsed.problems if p.severity == ERROR]) >= len(unusable)
