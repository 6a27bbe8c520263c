"""Fuzzing every parser with malformed subtitles, transcripts, sheets and job files: each input is
either parsed or refused with an InputError, never anything else; valid tracks survive a round trip.

``make test`` runs a small number of examples per test; ``make fuzz`` sets SUBPIPE_FUZZ_EXAMPLES.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import InputError
from pipeline.core.textio import decode_bytes
from pipeline.ingest.job import parse_job
from pipeline.ingest.segments import parse_transcript_json
from pipeline.ingest.sheet import parse_sheet
from pipeline.ingest.subparse import parse_subtitles
from pipeline.tracks.formats import compose_srt, compose_vtt

EXAMPLES = int(os.environ.get("SUBPIPE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
SRT_PATH, VTT_PATH = Path("fuzz.srt"), Path("fuzz.vtt")

# --- subtitle text ------------------------------------------------------------------------------

_digits = st.integers(0, 9999).map(str) | st.sampled_from(["00", "0", "99", "100", "59", "60", "", "-1", "１２"])
_sep = st.sampled_from([",", ".", ":", ";", "", " ", "،"])
_arrow = st.sampled_from(
    ["-->"] * 12 + [" --> ", "->", "—>", "=>", "--", "→", "- ->", "-- >", ">", " ", "--->", "<--", "==>"]
)
_junk = st.text(st.characters(codec="utf-8"), max_size=12)


@st.composite
def _time(draw: st.DrawFn, ms: int, vtt: bool) -> str:
    """``ms`` written well, or with one kind of damage (separator, field widths, junk)."""
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    sec, frac = divmod(rest, 1000)
    kind = draw(st.integers(0, 39))
    if kind == 0:
        return draw(_junk)
    if kind == 1:
        fields = [draw(_digits) for _ in range(draw(st.integers(1, 3)))]
        return ":".join(fields) + draw(_sep) + draw(_digits)
    if kind <= 4:
        return f"{h}:{m}:{sec:02d}{draw(_sep)}{str(frac)[: draw(st.integers(1, 3))]}"
    return f"{h:02d}:{m:02d}:{sec:02d}{'.' if vtt else ','}{frac:03d}"


_markup = st.sampled_from(
    [
        "<i>",
        "</i>",
        "<b>",
        '<font color="red">',
        "</font>",
        "{\\an8}",
        "{\\b1}",
        "<v Ann>",
        "<c.yellow>",
        "<00:00:01.000>",
        "&amp;",
        "&lt;",
        "\x07",
        "\x00",
        "\u200f",
        "{",
        "<",
        ">",
    ]
)
_plain = st.sampled_from(["Hello", "세상은", "世界", "مرحبا", "ok", " ", "1", "Hello there", "a{b}"])
_word = st.one_of(
    _plain, _plain, _plain, st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=10), _markup
)


@st.composite
def _cue_block(draw: st.DrawFn, number: int, vtt: bool) -> str:
    lines = []
    index = draw(st.sampled_from(["none", "good", "good", "good", "good", "good", "good", "other", "junk"]))
    if index != "none":
        lines.append({"good": str(number), "other": str(draw(st.integers(-1, 9)))}.get(index) or draw(_junk))
    settings_part = draw(st.sampled_from(["", "", " align:start", " X1:1 X2:2", " junk"]))
    start = draw(st.integers(0, 400_000_000))
    end = start + draw(st.integers(1, 10_000)) if draw(st.integers(0, 19)) else draw(st.integers(0, 400_000_000))
    lines.append(draw(_time(start, vtt)) + draw(_arrow) + draw(_time(end, vtt)) + settings_part)
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2, 2, 3]))):
        lines.append("".join(draw(st.lists(_word, min_size=1, max_size=3))))
    return "\n".join(lines)


_block_sep = st.sampled_from(["\n\n"] * 8 + ["\r\n\r\n", "\n", "\r\r", "\n \n", "\n\n\n", ""])


@st.composite
def subtitle_files(draw: st.DrawFn) -> tuple[str, Path]:
    """SRT/VTT-shaped text with every kind of damage: times, arrows, indexes, markup, spacing."""
    vtt = draw(st.booleans())
    heads = ["WEBVTT\n\n"] * 4 + ["WEBVTT - title\nKind: x\n\nNOTE hi\n\n", "", "WEBVTT"] if vtt else ["", "", "\ufeff"]
    head = draw(st.sampled_from(heads))
    blocks = [draw(_cue_block(i, vtt)) for i in range(1, draw(st.integers(0, 4)) + 1)]
    seps = draw(st.lists(_block_sep, min_size=len(blocks), max_size=len(blocks)))
    text = head + "".join(b + s for b, s in zip(blocks, seps, strict=True))
    if draw(st.integers(0, 9)) == 0:  # splice in raw junk somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=20)) + text[at:]
    return text, VTT_PATH if vtt else SRT_PATH


def _assert_sane(track: Track) -> None:
    for cue in track.cues:
        assert 0 <= cue.start_ms < cue.end_ms
        assert cue.lines and all(line and line == line.strip() and "\n" not in line for line in cue.lines)
    assert list(track.cues) == sorted(track.cues, key=lambda c: (c.start_ms, c.end_ms))


@FUZZ
@given(subtitle_files())
def test_subtitle_parser_never_crashes(file: tuple[str, Path]) -> None:
    text, path = file
    try:
        strict = parse_subtitles(text, path, "en")
    except InputError as exc:
        assert exc.path == str(path) and (exc.line is None or exc.line >= 1)
        strict = None
    try:
        lenient = parse_subtitles(text, path, "en", lenient=True)
    except InputError:
        assert strict is None  # what strict mode accepts, lenient mode accepts too
        event("refused in both modes")
        return
    event("accepted strictly" if strict is not None else "repaired leniently")
    _assert_sane(lenient.track)
    if strict is not None:
        assert strict.repairs == () and lenient.track == strict.track and lenient.repairs == ()


_codecs = st.sampled_from(
    [
        "utf-8",
        "utf-8-sig",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "cp949",
        "gb18030",
        "shift_jis",
        "cp1252",
        "cp1251",
        "latin-1",
    ]
)


@FUZZ
@given(
    st.one_of(st.binary(max_size=200), st.tuples(subtitle_files().map(lambda f: f[0]), _codecs)),
    st.sampled_from([None, "cp949", "utf-8"]),
)
def test_decoding_never_crashes(data: bytes | tuple[str, str], declared: str | None) -> None:
    raw = data if isinstance(data, bytes) else data[0].encode(data[1], errors="replace")
    try:
        text = decode_bytes(raw, SRT_PATH, declared)
    except InputError:
        event("refused")
        return
    event("decoded")
    assert "\r" not in text and not text.startswith("\ufeff")
    boms = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if declared is None and not raw.startswith(boms) and b"\x00" not in raw:
        assert text == raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    with contextlib.suppress(InputError):
        _assert_sane(parse_subtitles(text, SRT_PATH, "en", lenient=True).track)


# --- round trip -----------------------------------------------------------------------------------

_line = (
    st.text(
        # No backslash: a literal `\N` in cue text is an ASS line break left by an export (a repair).
        st.characters(
            codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="<>{}&\\\ufeff\x85"
        ),
        min_size=1,
        max_size=30,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@st.composite
def valid_tracks(draw: st.DrawFn) -> Track:
    """A track any subtitle file can hold: ordered cues inside 100 h, non-empty plain-text lines."""
    cues = []
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, 359_999_000))
        end = draw(st.integers(start + 1, 359_999_999))
        cues.append(Cue(start, end, tuple(draw(st.lists(_line, min_size=1, max_size=3)))))
    return Track("en", tuple(sorted(cues, key=lambda c: (c.start_ms, c.end_ms))))


@FUZZ
@given(valid_tracks())
def test_every_valid_track_survives_srt_and_vtt_unchanged(track: Track) -> None:
    srt = parse_subtitles(compose_srt(track), SRT_PATH, "en")
    vtt = parse_subtitles(compose_vtt(track), VTT_PATH, "en")
    assert srt.track == track and srt.repairs == ()
    assert vtt.track == track and vtt.repairs == ()


# --- transcripts -------------------------------------------------------------------------------

_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
_json = st.recursive(
    _scalar,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
    max_leaves=8,
)
_seg_key = st.sampled_from(["id", "start", "end", "start_ms", "end_ms", "text", "speaker", "words"])
_texts = st.text(max_size=10) | st.dictionaries(st.sampled_from(["en", "ko", "", "zh-Hans"]), _json, max_size=3)
_segment = st.dictionaries(_seg_key, st.one_of(_json, st.integers(0, 10**7), st.floats(0, 1e4), _texts), max_size=7)
_good_texts = st.text(max_size=10) | st.dictionaries(st.sampled_from(["en", "ko", "zh-Hans"]), st.text(max_size=8))
_good_segment = st.fixed_dictionaries(
    {"start": st.floats(0, 100), "end": st.floats(100.001, 200), "text": _good_texts},
    optional={"id": st.text(max_size=4), "speaker": st.text(max_size=4)},
) | st.fixed_dictionaries(
    {"start_ms": st.integers(0, 10**6), "end_ms": st.integers(10**6 + 1, 10**7), "text": _good_texts},
    optional={"id": _json, "speaker": _json},
)


@st.composite
def transcript_texts(draw: st.DrawFn) -> str:
    """subpipe / Whisper JSON with wrong types, missing keys, NaN, and truncated or spliced text."""
    segment = st.one_of(*[_good_segment] * 12, _segment, _json)
    doc: dict[str, Any] = {"segments": draw(st.lists(segment, min_size=draw(st.sampled_from([0, 1, 1])), max_size=4))}
    for key in draw(st.lists(st.sampled_from(["language", "source_language", "video", "text"]), max_size=2)):
        doc[key] = draw(_json | st.sampled_from(["en", "ko"]))
    text = json.dumps(doc if draw(st.integers(0, 19)) else draw(_json), ensure_ascii=draw(st.booleans()))
    cut = draw(st.sampled_from(["none"] * 8 + ["truncate", "splice"]))
    if cut == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=5)) + text[at:]
    return text


@FUZZ
@given(transcript_texts())
def test_transcript_json_parser_never_crashes(text: str) -> None:
    try:
        transcript = parse_transcript_json(text, Path("t.json"))
    except InputError:
        event("refused")
        return
    event("accepted")
    assert transcript.segments
    assert all(
        0 <= s.start_ms < s.end_ms and all(isinstance(v, str) for v in s.text.values()) for s in transcript.segments
    )


# --- sheets -------------------------------------------------------------------------------------

_cell = st.one_of(
    st.sampled_from(["00:00:01,000", "00:00:02.500", "1.5", "3", "0:61:00", "-1", "", "hi", "세상", '"q"', "a,b"]),
    st.text(max_size=8),
)


@st.composite
def sheet_texts(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(
        st.sampled_from(
            [["id", "start", "end", "speaker", "en", "ko"]] * 3
            + [["id", "start", "end", "speaker"], ["ID", "Start", "End", "Speaker", "zh-Hans", ""]]
        )
        | st.lists(_cell, max_size=6)
    )
    good_row = st.tuples(
        st.text(max_size=3),
        st.sampled_from(["00:00:01,000", "1", "0:00:02.5"]),
        st.sampled_from(["00:00:03,000", "4.25", "0:01:00"]),
        st.text(max_size=3),
        _cell,
        _cell,
    )
    rows = draw(st.lists(good_row.map(list) | st.lists(_cell, max_size=7), max_size=5))

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value

    return "\n".join(sep.join(cell(c) for c in row) for row in [header, *rows]) + draw(st.sampled_from(["", "\n"]))


@FUZZ
@given(sheet_texts(), st.sampled_from(["t.csv", "t.tsv"]), st.booleans())
def test_sheet_parser_never_crashes(text: str, name: str, lenient: bool) -> None:
    try:
        sheet = parse_sheet(text, Path(name), lenient=lenient)
    except InputError:
        event("refused")
        return
    event("accepted")
    assert sheet.rows and all(0 <= r.start_ms < r.end_ms and r.text for r in sheet.rows)


# --- job files ----------------------------------------------------------------------------------

_toml_value = st.one_of(
    st.sampled_from(
        [
            '"t.json"',
            '"clip.mp4"',
            '["en", "ko"]',
            '["en"]',
            "[]",
            "true",
            "23",
            '"cp949"',
            '["mkv"]',
            '["avi"]',
            "{}",
            "{a = 1}",
            "[1, 2]",
            '"ko"',
            "1.5",
            '"x\\u0000y"',
            "[[1]]",
            '"/"',
        ]
    ),
    _scalar.map(lambda v: json.dumps(v) if isinstance(v, str) else str(v).lower()),
)
_job_key = st.sampled_from(
    [
        "video",
        "transcript",
        "languages",
        "default_language",
        "encoding",
        "lenient",
        "name",
        "output_dir",
        "formats",
        "burn",
        "mux",
        "crf",
        "preset",
        "burn_group",
        "font_size",
    ]
)
_table = st.sampled_from(
    ["", "[outputs]", "[render]", "[style]", "[style.ar]", "[profile.ja]", "[[videos]]", "[videos]", "[outputs.x]"]
)


@st.composite
def job_texts(draw: st.DrawFn) -> str:
    lines = ['transcript = "t.json"', 'languages = ["en", "ko"]'] if draw(st.integers(0, 3)) else []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(_table))
        else:
            lines.append(f"{draw(_job_key)} = {draw(_toml_value)}")
    text = "\n".join(lines)
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    return text


@FUZZ
@given(job_texts())
def test_job_parser_never_crashes(text: str) -> None:
    try:
        job = parse_job(text, Path("/tmp/job.toml"))
    except InputError as exc:
        assert exc.path == "/tmp/job.toml"
        event("refused")
        return
    event("accepted")
    assert job.videos and all(v.languages and v.default_language in v.languages for v in job.videos)
