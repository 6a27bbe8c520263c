"""Issue 13: an MKV mux carries each track's full BCP 47 tag (LanguageBCP47) beside its ISO 639-2/B code.

The pass over ffmpeg's file (pipeline.media.mkvlang) moves everything after the Tracks element; the
file must still demux to the same packets, seek through its Cues, and check out (positions, CRC-32).
A broken or truncated file is refused by name, with nothing half-written left behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import InputError
from pipeline.media.ebml import EbmlFormatError, encode_size, parse_header, void
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.mkvcheck import layout_problems, read_tracks
from pipeline.media.mkvlang import SEEK_POSITION, TrackLanguage, scan, write_languages
from pipeline.media.probe import probe
from pipeline.render.mux import MuxTrack, mux, tag_languages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import build_zoo

pytestmark = pytest.mark.render

SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello\n\n2\n00:00:20,000 --> 00:00:21,000\nLate\n"
NEW = [("chi", "zh-Hans"), ("chi", "zh-Hant"), ("por", "pt-BR")]
WANTED = [TrackLanguage("video"), TrackLanguage("audio", "eng", "en"), TrackLanguage("subtitle", "chi", "zh-Hans")]


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


def _ffmpeg_mkv(folder: Path, *options: str) -> Path:
    """An MKV as the mux's ffmpeg writes it (bitexact, CRC-32s, Cues at the end): 24 s, a keyframe a second."""
    (folder / "a.srt").write_text(SRT, encoding="utf-8")
    out = folder / "raw.mkv"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:d=24"]
    argv += ["-f", "lavfi", "-i", "sine=d=24", "-i", str(folder / "a.srt"), "-map", "0", "-map", "1", "-map", "2"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-c:s", "srt", *options]
    argv += ["-metadata:s:a:0", "language=eng", "-metadata:s:s:0", "language=chi", "-fflags", "+bitexact", str(out)]
    subprocess.run(argv, check=True)
    return out


@pytest.fixture(scope="module")
def raw_mkv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _ffmpeg_mkv(tmp_path_factory.mktemp("raw"))


def _tagged(raw: Path, folder: Path, wanted: list[TrackLanguage] = WANTED) -> Path:
    out = folder / "tagged.mkv"
    with raw.open("rb") as src, out.open("wb") as dst:
        write_languages(src, dst, wanted)
    return out


def _packets(path: Path) -> list[tuple[int, int | None, int | None, int, str]]:
    with av.open(str(path)) as container:
        return [
            (p.stream.index, p.pts, p.dts, p.size, hashlib.sha256(bytes(p)).hexdigest()[:16])
            for p in container.demux()
            if p.size
        ]


def _after_seek(path: Path, seconds: float) -> tuple[int | None, int]:
    """The first video packet PyAV gives after seeking to ``seconds`` (through the Cues)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.time_base is not None
        container.seek(int(seconds / video.time_base), stream=video)
        packet = next(p for p in container.demux(video) if p.size)
        return packet.pts, packet.size


def test_the_pass_adds_the_tags_and_keeps_every_packet_and_the_cues(raw_mkv: Path, tmp_path: Path) -> None:
    out = _tagged(raw_mkv, tmp_path)
    assert [(t.kind, t.language, t.bcp47) for t in read_tracks(out)] == [
        ("video", "und", ""), ("audio", "eng", "en"), ("subtitle", "chi", "zh-Hans")
    ]  # fmt: skip
    assert layout_problems(raw_mkv) == [] and layout_problems(out) == []
    assert out.stat().st_size > raw_mkv.stat().st_size  # the clusters moved
    assert _packets(out) == _packets(raw_mkv)
    late = _after_seek(raw_mkv, 19.5)
    assert late[0] is not None and late[0] > 0 and _after_seek(out, 19.5) == late
    with av.open(str(out)) as container:
        assert [s.metadata.get("language") for s in container.streams] == [None, "eng", "chi"]


@pytest.mark.parametrize(
    "options",
    [("-write_crc32", "0"), ("-reserve_index_space", "3000"), ("-live", "1")],
    ids=["no-crc", "cues-in-front", "unknown-segment-size"],
)
def test_other_layouts_ffmpeg_writes_keep_their_packets_and_cues(tmp_path: Path, options: tuple[str, str]) -> None:
    raw = _ffmpeg_mkv(tmp_path, *options)
    out = _tagged(raw, tmp_path, [*WANTED[:2], TrackLanguage("subtitle", "chi", "zh-Hans-CN")])
    assert [t.bcp47 for t in read_tracks(out)] == ["", "en", "zh-Hans-CN"]
    assert layout_problems(out) == [] and _packets(out) == _packets(raw)
    assert _after_seek(out, 19.5) == _after_seek(raw, 19.5)


def test_the_pass_is_deterministic_and_keeps_the_seekhead_reserve(raw_mkv: Path, tmp_path: Path) -> None:
    first = _tagged(raw_mkv, tmp_path).read_bytes()
    again = _tagged(raw_mkv, tmp_path).read_bytes()
    assert first == again
    with raw_mkv.open("rb") as f, (tmp_path / "tagged.mkv").open("rb") as g:
        old, new = scan(f).children, scan(g).children
    # SeekHead + its Void keep their length: Info and Tracks stay where they were
    assert [(c.id, c.offset) for c in old[:4]] == [(c.id, c.offset) for c in new[:4]]


@pytest.mark.parametrize("name", ["mkv_subs_fonts", "two_audio", "mp4_cover_art"])
def test_a_mux_tags_every_known_track(zoo: dict[str, Path], name: str, tmp_path: Path) -> None:
    tracks = [MuxTrack(SRT, iso, tag, i == 0, tag) for i, (iso, tag) in enumerate(NEW)]
    target = tmp_path / "out.mkv"
    done = mux(zoo[name], probe(zoo[name]), tracks, target)
    got = read_tracks(done.partial)
    known = {"mkv_subs_fonts": [("fre", "fr"), ("eng", "en")], "two_audio": [("eng", "en"), ("fre", "fr")]}
    source = [(t.language, t.bcp47) for t in got[:-3] if t.bcp47]
    assert source == known.get(name, [])
    assert [(t.kind, t.language, t.bcp47) for t in got[-3:]] == [("subtitle", iso, tag) for iso, tag in NEW]
    assert layout_problems(done.partial) == []
    assert [p.name for p in tmp_path.iterdir()] == [done.partial.name]  # no second partial left


def test_a_truncated_file_is_refused_by_name_and_nothing_is_left(raw_mkv: Path, tmp_path: Path) -> None:
    partial = tmp_path / ".out.partial-00000000.mkv"
    partial.write_bytes(raw_mkv.read_bytes()[: raw_mkv.stat().st_size // 2])
    target = tmp_path / "out.mkv"
    with pytest.raises(InputError, match=r"out\.mkv.*truncated"):
        tag_languages(partial, WANTED, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [partial.name]


def test_tracks_that_differ_from_the_plan_are_refused(raw_mkv: Path, tmp_path: Path) -> None:
    with pytest.raises(EbmlFormatError, match="track 2 is audio, expected subtitle"):
        _tagged(raw_mkv, tmp_path, [TrackLanguage("video"), TrackLanguage("subtitle"), TrackLanguage("subtitle")])
    with pytest.raises(EbmlFormatError, match="3 tracks in the file, 2 expected"):
        _tagged(raw_mkv, tmp_path, WANTED[:2])


def _flip_seek_position(path: Path) -> None:
    """Add 1 to the last byte of the first SeekPosition (it then names no element)."""
    data = bytearray(path.read_bytes())
    at = data.index(SEEK_POSITION.to_bytes(2, "big"))
    head = parse_header(bytes(data), at)
    assert head.size is not None
    data[head.data + head.size - 1] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_check_refuses_broken_positions_checksums_and_sizes(raw_mkv: Path, tmp_path: Path) -> None:
    good = _tagged(raw_mkv, tmp_path)
    seek = tmp_path / "seek.mkv"
    shutil.copy(good, seek)
    _flip_seek_position(seek)
    problems = layout_problems(seek)
    assert any("SeekHead: position" in p for p in problems) and any("CRC-32 does not match" in p for p in problems)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(good.read_bytes()[:-10])
    assert any("truncated" in p for p in layout_problems(cut))
    longer = tmp_path / "longer.mkv"
    longer.write_bytes(good.read_bytes() + b"\0" * 4)
    assert layout_problems(longer) == [f"the Segment ends at byte {good.stat().st_size}, the file at byte "
                                       f"{good.stat().st_size + 4}"]  # fmt: skip


def test_ebml_numbers_round_trip() -> None:
    for size in (0, 1, 126, 127, 16382, 16383, 2**56 - 2):
        for width in range(len(encode_size(size)), 9):
            head = parse_header(b"\xec" + encode_size(size, width), 0)
            assert head.size == size and head.header == 1 + width
    assert all(len(void(n)) == n for n in (2, 3, 128, 129, 130, 5000))
    with pytest.raises(EbmlFormatError):
        void(1)
    with pytest.raises(EbmlFormatError):
        encode_size(127, 1)


@pytest.fixture(scope="module")
def tiny_mkv(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("tiny")
    out = folder / "tiny.mkv"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:d=2"]
    argv += ["-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"]
    subprocess.run([*argv, "-fflags", "+bitexact", str(out)], check=True)
    return out.read_bytes()


@settings(
    max_examples=int(os.environ.get("SUBPIPE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(flips=st.lists(st.tuples(st.integers(0, 1499), st.integers(1, 255)), max_size=6), cut=st.integers(0, 3000))
def test_a_damaged_file_is_refused_or_rewritten_never_crashes(
    tiny_mkv: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(tiny_mkv)
    for at, mask in flips:
        data[at] ^= mask
    damaged = bytes(data[: len(data) - cut])
    out = io.BytesIO()
    try:
        write_languages(io.BytesIO(damaged), out, [TrackLanguage("video"), TrackLanguage("audio", "eng", "en")])
    except EbmlFormatError:
        return
    assert out.getvalue()  # what it could rewrite, it wrote whole


@pytest.mark.parametrize("spare", [0, 1, 2, 40])
def test_a_grown_seekhead_takes_its_room_from_the_void_after_it(spare: int) -> None:
    """SeekHead + Void keep their length whatever the SeekHead grows by (a 1-byte gap widens its size)."""
    from pipeline.media import mkvlang as m
    from pipeline.media.ebml import Element, crc_ok, element, encode_uint, master

    seek = element(m.SEEK, element(m.SEEK_ID, bytes.fromhex("1549A966")) + element(m.SEEK_POSITION, encode_uint(100)))
    head = master(m.SEEKHEAD, seek, True)
    mover = m._Mover([0, len(head), 100], [0, len(head), 100_000])  # Info moves: its position needs 2 more bytes
    grown = m.remap(m.SEEKHEAD, head[5:], mover)
    room = len(grown) + spare
    kids = [Element(m.SEEKHEAD, 0, 5, len(head) - 5), Element(0xEC, len(head), 2, room - len(head) - 2)]
    out = {0: grown}
    m._fit_reserve(out, 0, kids, head[5:], mover)
    assert len(out[0]) + len(out[1]) == room and (out[1] == b"") == (spare < 2)
    new_head = parse_header(out[0], 0)
    assert crc_ok(out[0][new_head.header :]) and new_head.size == len(out[0]) - new_head.header
