"""The delivery formats: TTML1/IMSC 1.1, SCC and EBU-STL written by subpipe and read back by others
(SCC by ffmpeg's SCC demuxer and 608 decoder, TTML and STL by ttconv, IMSC by its IMSC 1.1 Text
filter), round trips through subpipe's own readers, refusals, garbage, and a job writing them."""

from __future__ import annotations

import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pysubs2
import pytest
import ttconv.imsc.reader as imsc_reader
import ttconv.scc.reader as scc_reader
import ttconv.srt.writer as srt_writer
import ttconv.stl.reader as stl_reader
from ttconv.filters.doc.imsc11text import IMSC11TextFilter

from pipeline.batch.convert import convert_file
from pipeline.batch.deliver import compose_delivery
from pipeline.batch.run import run_job
from pipeline.core.errors import InputError
from pipeline.ingest.job import parse_job
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.tracks.delivery import CharsetError, Placed

FRAME_MS = 34  # one frame at 29.97 fps, rounded up
# 608-safe text (basic, special and extended characters), at the bottom, top, middle, left, right.
CUES = [
    ("Hello world, this is the first", "line and a second one."),
    ("{\\an8}Ça va? Élan, über Straße.",),
    ("{\\an5}À bientôt ♪ ¿Qué tal? Ñandú",),
    ("{\\an1}Left: 50% off, 25¢ or £3",),
    ("{\\an3}Right: ÀÂÇÈÊËÎÏÔÙÛ «bon»",),
    ("Last one, after a gap",),
]


def _srt(folder: Path, cues: list[tuple[str, ...]] = CUES, name: str = "talk.fr.srt") -> Path:
    """An SRT whose cues start at 3 s, 2 s long, 1 s apart (room for a 608 load before each)."""
    blocks = []
    for n, lines in enumerate(cues):
        start = 3000 + 3000 * n
        stamp = f"00:00:{start // 1000:02d},{start % 1000:03d} --> 00:00:{(start + 2000) // 1000:02d},000"
        blocks.append(f"{n + 1}\n{stamp}\n" + "\n".join(lines) + "\n")
    path = folder / name
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def _plain(lines: tuple[str, ...]) -> list[str]:
    return [re.sub(r"\{\\an\d\}", "", line) for line in lines]


def _expected() -> list[tuple[int, int, list[str]]]:
    return [(3000 + 3000 * n, 5000 + 3000 * n, _plain(lines)) for n, lines in enumerate(CUES)]


def _srt_events(text: str) -> list[tuple[int, int, list[str]]]:
    """Events of an SRT text by pysubs2 (an independent reader), markup and hard spaces taken out."""
    subs = pysubs2.SSAFile.from_string(text, format_="srt")
    out = []
    for event in subs:
        body = re.sub(r"\{[^}]*\}|<[^>]*>", "", event.text).replace("\\h", " ")
        out.append((event.start, event.end, [line.strip() for line in body.split("\\N") if line.strip()]))
    return out


def _close(got: list[tuple[int, int, list[str]]], tolerance: int) -> None:
    expected = _expected()
    assert [lines for _, _, lines in got] == [lines for _, _, lines in expected]
    for (start, end, _), (want_start, want_end, _) in zip(got, expected, strict=True):
        assert abs(start - want_start) <= tolerance and abs(end - want_end) <= tolerance, (start, end)


def test_scc_is_read_back_by_ffmpeg(tmp_path: Path) -> None:
    out = tmp_path / "talk.scc"
    convert_file(_srt(tmp_path), out)
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "scc", "-i", str(out), "-f", "srt", "-"]
    text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    _close(_srt_events(text), FRAME_MS)


def test_ttml_and_imsc_are_read_back_by_ttconv(tmp_path: Path) -> None:
    for name, profile in (("talk.ttml", None), ("talk.imsc.ttml", "imsc1.1/text")):
        out = tmp_path / name
        convert_file(_srt(tmp_path), out)
        doc = imsc_reader.to_model(ET.parse(out))
        if profile:
            assert profile in out.read_text(encoding="utf-8")
            IMSC11TextFilter().process(doc)  # raises on a violation of the IMSC 1.1 Text Profile
        _close(_srt_events(srt_writer.from_model(doc)), 1)
        assert 'xml:lang="fr"' in out.read_text(encoding="utf-8")


def test_stl_is_read_back_by_ttconv(tmp_path: Path) -> None:
    out = tmp_path / "talk.stl"
    convert_file(_srt(tmp_path), out)
    data = out.read_bytes()
    assert (len(data) - 1024) % 128 == 0 and data[3:11] == b"STL25.01" and data[12:14] == b"00"
    doc = stl_reader.to_model(io.BytesIO(data))
    _close(_srt_events(srt_writer.from_model(doc)), 20)  # 25 fps timecodes


@pytest.mark.parametrize("target", ["talk.imsc.ttml", "talk.ttml", "talk.scc", "talk.stl"])
def test_round_trips_keep_every_cue_and_place(tmp_path: Path, target: str) -> None:
    mid = tmp_path / target
    convert_file(_srt(tmp_path), mid)
    back = tmp_path / "back.srt"
    convert_file(mid, back)
    got = _srt_events(back.read_text(encoding="utf-8"))
    _close(got, FRAME_MS if target.endswith(".scc") else 20)
    text = back.read_text(encoding="utf-8")
    for align in (8, 5, 1, 3):  # moved cues stay where they were (SCC: rows and columns)
        assert text.count(f"{{\\an{align}}}") == 1, align


@pytest.mark.parametrize(
    ("lang", "text", "table"),
    [
        ("pl", "Zażółć gęślą jaźń", b"00"), ("cs", "Příliš žluťoučký kůň", b"00"), ("tr", "Iğdır ılık şişe", b"00"),
        ("ru", "Съешь же ещё этих булок", b"01"), ("el", "Ξεσκεπάζω την ψυχοφθόρα", b"03"),
        ("he", "דג סקרן שט בים", b"04"), ("ar", "نص حكيم له سر", b"02"),
    ],
)  # fmt: skip
def test_stl_chooses_a_table_that_covers_the_language(tmp_path: Path, lang: str, text: str, table: bytes) -> None:
    src = _srt(tmp_path, [(text,)], f"t.{lang}.srt")
    out = tmp_path / "t.stl"
    convert_file(src, out)
    assert out.read_bytes()[12:14] == table
    events = _srt_events(srt_writer.from_model(stl_reader.to_model(io.BytesIO(out.read_bytes()))))
    assert events[0][2] == [text]


@pytest.mark.parametrize(
    ("target", "lang", "text"), [("scc", "ru", "Привет"), ("stl", "ko", "안녕하세요"), ("scc", "ja", "ね")]
)
def test_a_language_the_format_cannot_carry_is_refused_in_one_line(
    tmp_path: Path, target: str, lang: str, text: str
) -> None:
    src = _srt(tmp_path, [(text,)], f"t.{lang}.srt")
    with pytest.raises(CharsetError) as info:
        convert_file(src, tmp_path / f"t.{target}")
    message = str(info.value)
    assert "\n" not in message and all(ch in message for ch in set(text)) and repr(lang) in message
    assert list(tmp_path.glob("t.*")) == [src]  # nothing written, not even a partial file


@pytest.mark.parametrize(
    ("name", "data", "line"),
    [
        ("bad.scc", b"Scenarist_SCC V1.0\n\n00:00:01;00\t9420 9420\nthis is not scc\n", 4),
        ("bad2.scc", b"WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n", 1),
        ("bad.ttml", b'<?xml version="1.0"?>\n<tt xmlns="http://www.w3.org/ns/ttml">\n<body><p>oops</body></tt>', 3),
        ("bad2.ttml", b"<html><body>not ttml</body></html>", 1),
        ("bad.stl", b"850STL25.01" + b"\x00" * 300, None),
        ("bad2.stl", b"850STL25.01" + b" " * 1013 + b"\x00" * 100, None),
    ],
)
def test_garbage_is_one_error_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, line: int | None
) -> None:
    from pipeline.cli.main import main

    src = tmp_path / name
    src.write_bytes(data)
    with pytest.raises(InputError) as info:
        convert_file(src, tmp_path / "out.srt")
    assert info.value.line == line and str(src) in str(info.value)
    assert main(["check", str(src), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{src}:{line}:" in err if line else str(src) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_job_writes_the_delivery_formats_and_fails_only_what_cannot_be_carried(
    tmp_path: Path, clip15: Path, clip15_transcript: Path
) -> None:
    text = (
        f'output_dir = "{tmp_path / "out"}"\n[[videos]]\nname = "clip"\nvideo = "{clip15}"\n'
        f'transcript = "{clip15_transcript}"\nlanguages = ["en", "ko"]\n'
        '[outputs]\nformats = ["srt", "ttml", "imsc", "scc", "stl"]\nburn = false\nmux = []\nreview = false\n'
    )
    result = run_job(parse_job(text, tmp_path / "job.toml"))
    root = tmp_path / "out" / "clip"
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f["kind"] for f in manifest["files"]}
    for name, kind in (("ttml", "ttml"), ("imsc.ttml", "imsc"), ("scc", "scc"), ("stl", "stl")):
        assert files[f"en/clip.en.{name}"] == kind
    assert "ko/clip.ko.ttml" in files and "ko/clip.ko.scc" not in files and "ko/clip.ko.stl" not in files
    assert set(result.videos[0].failures) == {"ko/scc", "ko/stl"}
    assert "cannot carry the 'ko' track" in result.videos[0].failures["ko/scc"]
    ttml = (root / "en" / "clip.en.ttml").read_text(encoding="utf-8")
    assert 'ttp:frameRate="30" ttp:frameRateMultiplier="1000 1001"' in ttml  # the video's rate
    assert (root / "en" / "clip.en.stl").read_bytes()[3:11] == b"STL30.01"


def test_every_608_letter_reaches_ffmpeg(tmp_path: Path) -> None:
    """Each letter of the basic, special and extended 608 sets, as ffmpeg's 608 decoder shows it."""
    from pipeline.tracks import scc_write

    letters = [c for c in [*scc_write._BASIC, *scc_write._SPECIAL, *scc_write._EXTENDED] if c.isalpha()]
    rows = ["".join(letters[i : i + 30]) for i in range(0, len(letters), 30)]
    src = _srt(tmp_path, [(row,) for row in rows], "letters.en.srt")
    out = tmp_path / "letters.scc"
    convert_file(src, out)
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "scc", "-i", str(out), "-f", "srt", "-"]
    text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    assert [lines for _, _, lines in _srt_events(text)] == [[row] for row in rows]


def test_a_broken_stl_block_is_named(tmp_path: Path) -> None:
    good = tmp_path / "good.stl"
    convert_file(_srt(tmp_path), good)
    data = bytearray(good.read_bytes())
    data[1024 + 128 + 5] = 77  # the second TTI block's time code in: hour 77
    bad = tmp_path / "bad.stl"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        convert_file(bad, tmp_path / "out.srt")
    assert "TTI block 2 (byte 1152): time code in 77:00:06:00 is not a time" in str(info.value)


def _stl_lines(data: bytes) -> list[list[str]]:
    """The lines of each cue of an STL file as ttconv reads it."""
    return [lines for _, _, lines in _srt_events(srt_writer.from_model(stl_reader.to_model(io.BytesIO(data))))]


@pytest.mark.parametrize(
    ("lang", "text", "table", "written"),
    [
        ("ru", "«Привет» — сказал", b"01", '"Привет" - сказал'),  # ISO 8859-5 has no « » —
        ("el", "«Γεια» — σου", b"03", "«Γεια» - σου"),  # ISO 8859-7 has « », not —
        ("de", "Er sagte „gut“", b"00", 'Er sagte "gut“'),  # ISO 6937 has “, not „
    ],
)
def test_stl_writes_quotes_and_dashes_a_table_lacks_plain(
    tmp_path: Path, lang: str, text: str, table: bytes, written: str
) -> None:
    out = tmp_path / "t.stl"
    conversion = convert_file(_srt(tmp_path, [(text,)], f"t.{lang}.srt"), out)
    assert out.read_bytes()[12:14] == table and _stl_lines(out.read_bytes()) == [[written]]
    assert dict(conversion.dropped)["typographic characters written plain (… as ..., – as -)"] == 1


def test_stl_refusal_names_what_the_best_table_lacks(tmp_path: Path) -> None:
    src = _srt(tmp_path, [("Привет, 안녕",)], "t.ru.srt")
    with pytest.raises(CharsetError) as info:
        convert_file(src, tmp_path / "t.stl")
    assert info.value.chars == ("안", "녕")


def test_stl_dollar_hash_and_eth_round_trip(tmp_path: Path) -> None:
    """$ and # in ASCII (ttconv reads 0xA4 as ¤, 0xA6 as nothing), Icelandic Ð at 0xE2."""
    out = tmp_path / "t.stl"
    convert_file(_srt(tmp_path, [("Price: $5 #1",), ("Ðú ert góður",)], "t.is.srt"), out)
    assert _stl_lines(out.read_bytes()) == [["Price: $5 #1"], ["Ðú ert góður"]]
    back = tmp_path / "back.srt"
    convert_file(out, back)
    events = _srt_events(back.read_text(encoding="utf-8"))
    assert [lines for _, _, lines in events] == [["Price: $5 #1"], ["Ðú ert góður"]]


def test_stl_lines_fit_40_columns_as_written(tmp_path: Path) -> None:
    """A 40-character line ending in … is 42 columns once … is written ...: it is broken again."""
    line = "We waited and waited, and then it came!…"
    assert len(line) == 40
    out = tmp_path / "t.stl"
    conversion = convert_file(_srt(tmp_path, [(line,)], "t.en.srt"), out)
    lines = _stl_lines(out.read_bytes())[0]
    assert max(map(len, lines)) <= 40 and " ".join(lines) == line.replace("…", "...")
    assert dict(conversion.dropped)["lines broken again to 40 columns"] == 1


def test_stl_at_23_976_reads_frame_23(tmp_path: Path) -> None:
    """STL23.01 counts frames 0-23: a time code with frame 23 is a time."""
    stl = tmp_path / "t.stl"
    convert_file(_srt(tmp_path, [("One",)], "t.en.srt"), stl)
    data = bytearray(stl.read_bytes())
    data[3:11] = b"STL23.01"
    data[1024 + 8] = 23  # the time code in: 00:00:03:23
    film = tmp_path / "film.stl"
    film.write_bytes(bytes(data))
    back = tmp_path / "back.srt"
    convert_file(film, back)
    assert _srt_events(back.read_text(encoding="utf-8"))[0][2] == ["One"]


def test_a_repeated_special_character_reaches_ffmpeg_and_ttconv(tmp_path: Path) -> None:
    """♪♪, àà, two hard spaces: each special character is a control-like word, and decoders drop a word equal
    to the one before as a control code's redundant copy; none is lost."""
    from ttconv import model

    rows = ["La la ♪♪ la", "Voilà àà", "èè êê ♪♪♪", "A\u00a0\u00a0B"]
    out = tmp_path / "rep.scc"
    convert_file(_srt(tmp_path, [(row,) for row in rows], "rep.fr.srt"), out)
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "scc", "-i", str(out), "-f", "srt", "-"]
    text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    assert [lines for _, _, lines in _srt_events(text)] == [[row] for row in rows]
    doc = scc_reader.to_model(out.read_text(encoding="ascii"))
    shown = [n.get_text() for n in doc.get_body().dfs_iterator() if isinstance(n, model.Text)]
    assert shown == [row.replace("\u00a0", " ") for row in rows]  # ttconv reads 608's transparent space as a space


def _timed(events: list[tuple[int, int, list[str]]]) -> list[tuple[int, int, list[str]]]:
    """Times to the nearest 100 ms (608 frames, drop-frame clock readings), lines as they are."""
    return [(round(start, -2), round(end, -2), lines) for start, end, lines in events]


def test_overlapping_scc_cues_are_shown_together(tmp_path: Path) -> None:
    """Pop-on shows one caption at a time: a cue overlapping the next is not cut by the next one's EOC, both
    show in one caption (stacked, or each at its place) while they fit 4 rows; when they do not, it is counted."""
    src = tmp_path / "overlap.en.srt"
    src.write_text(
        "1\n00:00:03,000 --> 00:00:06,000\nFirst speaker\n\n2\n00:00:05,000 --> 00:00:08,000\nSecond one\n\n"
        "3\n00:00:10,000 --> 00:00:13,000\n{\\an8}Top\n\n4\n00:00:11,000 --> 00:00:12,000\nBottom\n\n"
        "5\n00:00:15,000 --> 00:00:18,000\nOne\nTwo\nThree\n\n6\n00:00:17,000 --> 00:00:20,000\nFour\nFive\nSix\n",
        encoding="utf-8",
    )
    out = tmp_path / "overlap.scc"
    dropped = dict(convert_file(src, out).dropped)
    assert dropped["overlapping cues shown together (stacked rows)"] == 4
    assert dropped["overlapping cues cut short where the next shows (no room for both)"] == 1
    expected = [
        (3000, 5000, ["First speaker"]), (5000, 6000, ["First speaker", "Second one"]), (6000, 8000, ["Second one"]),
        (10000, 11000, ["Top"]), (11000, 12000, ["Top", "Bottom"]), (12000, 13000, ["Top"]),
        (15000, 17000, ["One", "Two", "Three"]), (17000, 20000, ["Four", "Five", "Six"]),
    ]  # fmt: skip
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "scc", "-i", str(out), "-f", "srt", "-"]
    assert _timed(_srt_events(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)) == expected
    by_ttconv = srt_writer.from_model(scc_reader.to_model(out.read_text(encoding="ascii")))
    assert _timed(_srt_events(by_ttconv)) == expected


def test_stl_bytes_depend_on_the_cues_only(tmp_path: Path) -> None:
    """The GSI's creation and revision dates are fixed (not the day it runs): a rerun writes the same bytes."""
    src = _srt(tmp_path)
    first, second = tmp_path / "talk.stl", tmp_path / "again" / "talk.stl"
    second.parent.mkdir()
    convert_file(src, first)
    convert_file(src, second)
    assert first.read_bytes()[224:236] == b"000101000101" and first.read_bytes() == second.read_bytes()


def test_a_ttml_cue_shorter_than_a_frame_lasts_one(tmp_path: Path) -> None:
    """At 25 fps a 10 ms cue would begin and end on frame 75 (shown never): it lasts a frame, counted."""
    dropped: Counter[str] = Counter()
    cues = [Placed(3000, 3010, ("Blink",)), Placed(4000, 6000, ("Long enough",))]
    data = compose_delivery("ttml", cues, "en", dropped, Fraction(25))
    assert b'begin="75f" end="76f"' in data
    assert dropped["cues shorter than a frame lengthened to one"] == 1
    events = _srt_events(srt_writer.from_model(imsc_reader.to_model(ET.ElementTree(ET.fromstring(data)))))
    assert [lines for _, _, lines in events] == [["Blink"], ["Long enough"]]


@pytest.mark.parametrize("target", ["talk.ttml", "talk.scc", "talk.stl"])
def test_back_to_back_identical_cues_stay_two(tmp_path: Path, target: str) -> None:
    src = tmp_path / "talk.en.srt"
    src.write_text(
        "1\n00:00:03,000 --> 00:00:05,000\nHi\n\n2\n00:00:05,000 --> 00:00:07,000\nHi\n\n"
        "3\n00:00:07,000 --> 00:00:09,000\nBye\n",
        encoding="utf-8",
    )
    convert_file(src, tmp_path / target)
    back = tmp_path / "back.srt"
    convert_file(tmp_path / target, back)
    events = _timed(_srt_events(back.read_text(encoding="utf-8")))
    assert events == [(3000, 5000, ["Hi"]), (5000, 7000, ["Hi"]), (7000, 9000, ["Bye"])]
