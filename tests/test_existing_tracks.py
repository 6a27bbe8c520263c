"""Issue 19 item 2: a source's own subtitle tracks go into every container in a codec it holds.

Each pair of source container x track codec x MKV/MP4 is muxed through the CLI with one new track:
text tracks (mov_text, SRT, ASS, WebVTT) are converted where the target cannot hold them, with their
language, title and text kept; bitmap tracks (PGS, DVB, VobSub) are copied where the target holds them
and otherwise left out with a note naming the track; chapters survive. The sources are 2 s clips
generated here (the zoo has none of these tracks) and cached beside the zoo. The bitmap pictures come
from a PGS file written byte by byte below (ffmpeg has no PGS encoder); ffmpeg turns it into DVB and
VobSub (bitmap to bitmap).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import av
import pytest

from pipeline.cli.main import main
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import subtitle_texts

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ffmpeg_version

pytestmark = pytest.mark.render

_SRT = "1\n00:00:00,100 --> 00:00:00,600\nExisting one.\n\n2\n00:00:00,800 --> 00:00:01,400\nExisting two.\n"
_ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Sign,DejaVu Sans,16,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.10,0:00:00.60,Sign,,0,0,0,,Existing one.
Dialogue: 0,0:00:00.80,0:00:01.40,Sign,,0,0,0,,Existing two.
"""
_VTT = "WEBVTT\n\n00:00:00.100 --> 00:00:00.600\nExisting one.\n\n00:00:00.800 --> 00:00:01.400\nExisting two.\n"
_CHAPTERS = ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n\n"
_CHAPTERS += "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n"
_NEW = "1\n00:00:00,300 --> 00:00:01,500\nThe new track.\n"
_TEXTS = ["Existing one.", "Existing two."]


def _a(args: str) -> list[str]:
    """Arguments written as on a command line."""
    return shlex.split(args)


_PICTURE = _a("-f lavfi -i testsrc2=size=320x180:rate=25:duration=2 -f lavfi -i sine=duration=2")
_H264 = _a("-c:v libx264 -preset ultrafast -c:a aac")
_BITMAP_IN = ["-fix_sub_duration", "-i", "{work}/cues.sup"]  # durations from the next cue: MP4 needs them


def _meta(n: int, language: str, title: str = "") -> list[str]:
    titled = [f"-metadata:s:s:{n}", f"title={title}", f"-metadata:s:s:{n}", f"handler_name={title}"]
    return [f"-metadata:s:s:{n}", f"language={language}", *(titled if title else [])]


# name -> (file name, ffmpeg arguments between the picture and the output, its tracks: codec, language, title)
SOURCES: dict[str, tuple[str, list[str], list[tuple[str, str, str]]]] = {
    "mp4_mov_text": (
        "mp4_mov_text.mp4",
        [*_a("-i {work}/a.srt -f ffmetadata -i {work}/ch.txt -map 0:v -map 1:a -map 2 -map_chapters 3"), *_H264,
         "-c:s", "mov_text", *_meta(0, "fre", "French CC")],
        [("mov_text", "fre", "French CC")],
    ),
    "mov_mov_text": (
        "mov_mov_text.mov",
        [*_a("-i {work}/a.srt -map 0:v -map 1:a -map 2"), *_H264, "-c:s", "mov_text", *_meta(0, "ger", "Deutsch")],
        [("mov_text", "ger", "Deutsch")],
    ),
    "mkv_text": (
        "mkv_text.mkv",
        [*_a("-i {work}/a.srt -i {work}/a.ass -i {work}/a.vtt -f ffmetadata -i {work}/ch.txt"),
         *_a("-map 0:v -map 1:a -map 2 -map 3 -map 4 -map_chapters 5"), *_H264,
         *_a("-c:s:0 srt -c:s:1 ass -c:s:2 webvtt"),
         *_meta(0, "fre", "Français"), *_meta(1, "eng", "Signs"), *_meta(2, "spa", "Español")],
        [("subrip", "fre", "Français"), ("ass", "eng", "Signs"), ("webvtt", "spa", "Español")],
    ),
    "mkv_bitmap": (
        "mkv_bitmap.mkv",
        [*_BITMAP_IN, *_BITMAP_IN, *_BITMAP_IN, *_a("-f ffmetadata -i {work}/ch.txt"),
         *_a("-map 0:v -map 1:a -map 2 -map 3 -map 4 -map_chapters 5"), *_H264,
         *_a("-c:s:0 copy -c:s:1 dvbsub -c:s:2 dvdsub"),
         *_meta(0, "eng", "PGS"), *_meta(1, "ger", "DVB"), *_meta(2, "fre", "VobSub")],
        [("hdmv_pgs_subtitle", "eng", "PGS"), ("dvb_subtitle", "ger", "DVB"), ("dvd_subtitle", "fre", "VobSub")],
    ),
    "mp4_vobsub": (
        "mp4_vobsub.mp4",
        [*_BITMAP_IN, *_a("-f ffmetadata -i {work}/ch.txt -map 0:v -map 1:a -map 2 -map_chapters 3"), *_H264,
         "-c:s", "dvdsub", *_meta(0, "ita", "VobSub")],
        [("dvd_subtitle", "ita", "VobSub")],
    ),
    "webm_webvtt": (
        "webm_webvtt.webm",
        [*_a("-i {work}/a.vtt -map 0:v -map 1:a -map 2 -c:v libvpx-vp9 -deadline realtime -cpu-used 8"),
         *_a("-b:v 200k -c:a libopus -c:s webvtt"), *_meta(0, "spa")],
        [("webvtt", "spa", "")],
    ),
    "ts_dvb": (
        "ts_dvb.ts",
        [*_BITMAP_IN, "-map", "0:v", "-map", "1:a", "-map", "2", *_H264, "-c:s", "dvbsub", *_meta(0, "ger")],
        [("dvb_subtitle", "ger", "")],
    ),
}  # fmt: skip
MKV_HOLDS = {"mov_text": "subrip"}  # what a track becomes in MKV (others: as they are)
MP4_HOLDS = {"subrip": "mov_text", "ass": "mov_text", "webvtt": "mov_text", "mov_text": "mov_text",
             "dvd_subtitle": "dvd_subtitle"}  # fmt: skip
BITMAPS = {"hdmv_pgs_subtitle", "dvb_subtitle", "dvd_subtitle"}


def _segment(kind: int, ms: int, data: bytes) -> bytes:
    """One PGS segment: magic, PTS and DTS (90 kHz), type, size, payload."""
    return b"PG" + struct.pack(">IIBH", ms * 90, 0, kind, len(data)) + data


def pgs(cues: list[tuple[int, int]], size: tuple[int, int] = (320, 180)) -> bytes:
    """A PGS (.sup) stream showing a white bar from start to end of each cue (ms)."""
    x, y, w, h = 100, 140, 120, 20
    window = struct.pack(">BBHHHH", 1, 0, x, y, w, h)
    palette = bytes([0, 0, 1, 235, 128, 128, 255])  # entry 1: white, opaque
    line = bytes([0, 0xC0 | (w >> 8), w & 0xFF, 1, 0, 0])  # w pixels of colour 1, end of line
    rle = struct.pack(">HH", w, h) + line * h
    obj = struct.pack(">HBB", 0, 0, 0xC0) + len(rle).to_bytes(3, "big") + rle
    out = b""
    for n, (start, end) in enumerate(cues):
        shown = struct.pack(">HHBHBBBB", *size, 0x10, 2 * n, 0x80, 0, 0, 1) + struct.pack(">HBBHH", 0, 0, 0, x, y)
        cleared = struct.pack(">HHBHBBBB", *size, 0x10, 2 * n + 1, 0, 0, 0, 0)
        out += b"".join(_segment(k, start, d) for k, d in ((0x16, shown), (0x17, window), (0x14, palette)))
        out += _segment(0x15, start, obj) + _segment(0x80, start, b"")
        out += b"".join(_segment(k, end, d) for k, d in ((0x16, cleared), (0x17, window), (0x80, b"")))
    return out


_INPUTS = {"a.srt": _SRT.encode(), "a.ass": _ASS.encode(), "a.vtt": _VTT.encode(), "ch.txt": _CHAPTERS.encode(),
           "cues.sup": pgs([(100, 600), (800, 1400)])}  # fmt: skip


def _build(name: str, folder: Path) -> Path:
    """Build one source unless the cache has it (its name carries a hash of the recipe and the ffmpeg)."""
    file_name, args, _tracks = SOURCES[name]
    recipe = json.dumps([ffmpeg_version(), args, sorted(_INPUTS.items())], default=str)
    out = folder / f"{Path(file_name).stem}.{hashlib.sha256(recipe.encode()).hexdigest()[:10]}{Path(file_name).suffix}"
    if out.exists():
        return out
    work = folder / f".{name}.work"
    work.mkdir(parents=True, exist_ok=True)
    for input_name, data in _INPUTS.items():
        (work / input_name).write_bytes(data)
    partial = work / f"part{Path(file_name).suffix}"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *_PICTURE, *(a.format(work=work) for a in args)]
    subprocess.run([*argv, str(partial)], check=True, capture_output=True)
    for stale in folder.glob(f"{Path(file_name).stem}.*{Path(file_name).suffix}"):
        stale.unlink()  # the same source by an older recipe
    partial.replace(out)
    shutil.rmtree(work)
    return out


@pytest.fixture(scope="session")
def sources(zoo_dir: Path) -> dict[str, Path]:
    return {name: _build(name, zoo_dir / "existing-tracks") for name in SOURCES}


def _tracks(path: Path) -> tuple[list[tuple[str, str, str]], int]:
    """(codec, language, title) of each subtitle stream (MP4: the handler name is the title), and the chapters."""
    with av.open(str(path)) as container:
        found = []
        for s in container.streams.subtitles:
            meta = {k.lower(): v for k, v in s.metadata.items()}
            title = meta.get("title") or meta.get("handler_name") or ""
            title = "" if title == "SubtitleHandler" else title
            found.append((s.codec_context.codec.canonical_name, meta.get("language", ""), title))
        return found, len(container.chapters())


def test_the_sources_hold_what_they_claim(sources: dict[str, Path]) -> None:
    for name, path in sources.items():
        tracks, chapters = _tracks(path)
        assert tracks == SOURCES[name][2], name
        assert chapters == (2 if name in ("mp4_mov_text", "mkv_text", "mkv_bitmap", "mp4_vobsub") else 0), name


@pytest.mark.parametrize("container", ["mkv", "mp4"])
@pytest.mark.parametrize("name", list(SOURCES))
def test_existing_tracks_go_into_each_container(
    sources: dict[str, Path],
    name: str,
    container: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source, new, out = sources[name], tmp_path / "new.en.srt", tmp_path / f"out.{container}"
    new.write_text(_NEW, encoding="utf-8")
    code = main(["-q", "mux", str(source), str(new), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    holds = MP4_HOLDS if container == "mp4" else MKV_HOLDS
    kept = []
    for index, (codec, language, title) in enumerate(SOURCES[name][2], start=2):
        into = holds.get(codec, None if container == "mp4" else codec)
        if into is None:  # a bitmap the container cannot hold: left out, and the note names it
            named = f"{codec}, {language}" + (f", {title!r}" if title else "")
            note = f"subtitle stream {index} ({named}) left out: MP4 cannot hold {codec}"
            assert note in caplog.text, caplog.text
            continue
        kept.append((into, language, title))
    tracks, chapters = _tracks(out)
    assert tracks == [*kept, ("mov_text" if container == "mp4" else "subrip", "eng", "English")]
    assert chapters == _tracks(source)[1]
    texts = subtitle_texts(out)
    for (codec, _language, _title), got in zip(kept, texts, strict=False):
        if codec not in BITMAPS:  # converted or copied, a text track reads back the same cues
            assert [t.replace("\\N", " ") for t in got] == _TEXTS, (codec, got)


def test_run_of_an_mp4_with_mov_text_and_chapters(
    sources: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The smallest job on an MP4 carrying mov_text and chapters: every output, the MKV's track as SRT."""
    (tmp_path / "t.en.srt").write_text(_NEW, encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(f'video = "{sources["mp4_mov_text"]}"\ntranscript = "t.en.srt"\nlanguages = ["en"]\n', "utf-8")
    job.write_text(job.read_text(encoding="utf-8") + '[render]\npreset = "ultrafast"\n', encoding="utf-8")
    code = main(["-q", "run", str(job)])
    assert code == 0, capsys.readouterr().err
    manifest = json.loads(next(tmp_path.rglob("manifest.json")).read_text(encoding="utf-8"))
    assert {f["kind"] for f in manifest["files"]} >= {"burned", "soft-mkv", "soft-mp4"}
    assert any("converted to SRT" in n and "'French CC'" in n for n in manifest["notes"]["mux/mkv"])
    mkv = next(tmp_path.rglob("*.subs.mkv"))
    assert _tracks(mkv) == ([("subrip", "fre", "French CC"), ("subrip", "eng", "English")], 2)
