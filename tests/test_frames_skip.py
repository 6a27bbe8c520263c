"""The cursor lets H.264 skip non-reference pictures on the way to a time, and still finds the very
frames (timestamps and every pixel) that decoding everything finds, on real files made by ffmpeg:
x264 cuts with B-frames (b-pyramid), variable frame rate, an MPEG-TS whose clock starts at 10 s, an
open GOP, no B-frames, an FLV that cannot seek, a `-c copy` cut hidden by an edit list, and an MP4
whose edit list ends before its last pictures (a witness that is never shown).
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from bisect import bisect_right
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from pipeline.render.framecursor import Feed, frame_ms
from pipeline.render.frames import FrameMemo, iter_frames_shown, open_cursor, picture_of
from pipeline.render.h264sps import skippable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import build_zoo, ffmpeg_exe

pytestmark = pytest.mark.render
Answer = tuple[int, npt.NDArray[Any]]  # a frame's pts and its pictures (every plane, as decoded)

_QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
_PATTERN = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"]
_X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p"]  # 3 B-frames, b-pyramid
RECIPES: dict[str, list[str]] = {
    "bframes.mp4": [*_PATTERN, *_X264, "-g", "50"],
    "vfr.mp4": [*_PATTERN, "-vf", r"select=lt(t\,1.5)+not(mod(n\,3))", "-fps_mode", "vfr", *_X264, "-g", "50"],
    "at10s.ts": [*_PATTERN, *_X264, "-g", "50", "-muxdelay", "0", "-muxpreload", "0", "-output_ts_offset", "10"],
    "opengop.mp4": [*_PATTERN, *_X264, "-x264-params", "open-gop=1:keyint=30:min-keyint=30:scenecut=0"],
    "nobframes.mp4": [*_PATTERN, *_X264, "-g", "50", "-bf", "0"],
    "noseek.flv": [*_PATTERN, *_X264, "-g", "50"],
}
SPS_RECIPES: dict[str, list[str]] = {  # what the SPS reader must get through, and two it must refuse
    "odd_sar_hrd.mp4": [
        *_PATTERN[:-1],
        "testsrc2=size=318x238:rate=25:duration=1",
        "-vf",
        "setsar=41/33",  # aspect_ratio_idc 255, cropping
        *_X264,
        "-x264-params",
        "nal-hrd=vbr:chromaloc=1:colorprim=bt709:transfer=bt709:colormatrix=bt709",
        *("-b:v", "300k", "-maxrate", "400k", "-bufsize", "400k"),
    ],
    "high444.mp4": [*_PATTERN, *_X264[:-1], "yuv444p", "-t", "1"],  # chroma_format_idc 3
    "intra10.mp4": [*_PATTERN, *_X264[:-1], "yuv420p10le", "-g", "1", "-t", "1"],  # no bitstream_restriction
    "interlaced.mp4": [*_PATTERN, *_X264, "-flags", "+ilme+ildct", "-x264-params", "interlaced=1", "-t", "1"],
    "openh264.mp4": [*_PATTERN, "-c:v", "libopenh264", "-pix_fmt", "yuv420p", "-t", "1"],
}


def _make(folder: Path, name: str, args: Sequence[str]) -> Path:
    out = folder / name
    subprocess.run([ffmpeg_exe(), *_QUIET, *args, str(out)], check=True, capture_output=True)
    return out


def _edit_list_ends_at(src: Path, out: Path, ms: int) -> Path:
    """``src`` with its (single) edit list cut to ``ms`` of the movie: the pictures after it are still
    demuxed and decoded (earlier ones are predicted from them) but never shown."""
    data = bytearray(src.read_bytes())
    at = data.index(b"elst")
    assert data[at + 4] == 0 and int.from_bytes(data[at + 8 : at + 12], "big") == 1  # version 0, one entry
    data[at + 12 : at + 16] = ms.to_bytes(4, "big")  # segment_duration, in the movie's 1/1000 s
    out.write_bytes(bytes(data))
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, zoo_dir: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("skip")
    made = {name: _make(folder, name, args) for name, args in RECIPES.items()}
    made["midgop.mp4"] = build_zoo(zoo_dir, ["midgop_h264_aac"])["midgop_h264_aac"]
    made["short_edit.mp4"] = _edit_list_ends_at(made["bframes.mp4"], folder / "short_edit.mp4", 1930)
    return made


def _starts(path: Path) -> list[float]:
    """Every packet's start (ms), in time order."""
    with av.open(str(path)) as container:
        return sorted(frame_ms(p) for p in container.demux(container.streams.video[0]) if p.pts is not None)


def _nonref_starts(path: Path) -> set[float]:
    """The starts of the pictures no other is predicted from (their slices' ``nal_ref_idc`` is 0)."""
    found = set()
    with av.open(str(path)) as container:
        annex_b = container.format.name == "mpegts"
        for packet in container.demux(container.streams.video[0]):
            data = bytes(packet)
            if packet.pts is None or not data:
                continue
            if annex_b:  # start codes
                headers = [n[0] for n in re.split(b"\x00\x00\x01", data) if n]
            else:  # 4-byte lengths (MP4, FLV)
                headers, pos = [], 0
                while pos + 4 < len(data):
                    headers.append(data[pos + 4])
                    pos += 4 + int.from_bytes(data[pos : pos + 4], "big")
            slices = [h for h in headers if h & 0x1F in (1, 5)]
            if slices and slices[0] >> 5 == 0:
                found.add(frame_ms(packet))
    return found


def _answers(
    path: Path, times: Sequence[float], skip: bool, reach_ms: float | None = None
) -> tuple[list[Answer], Feed]:
    cursor = open_cursor(path, 0, skip=skip)
    if reach_ms is not None:
        cursor.reach_ms = reach_ms
    try:
        return [(f.pts, f.to_ndarray()) for f in map(cursor.shown_at, times)], cursor.feed
    finally:
        cursor.close()


def _decode_all(path: Path) -> tuple[list[float], list[Answer]]:
    """Every frame (with a timestamp) that decoding the whole stream from its start returns, in order, and when
    each starts (ms): the reference the skipping cursor is held to."""
    with av.open(str(path)) as container:
        frames: list[Any] = [f for f in container.decode(container.streams.video[0]) if f.pts is not None]
        starts = [frame_ms(f) for f in frames]
        assert starts == sorted(starts)
        return starts, [(f.pts, f.to_ndarray()) for f in frames]


def _shown(decoded: tuple[list[float], list[Answer]], times: Sequence[float]) -> list[Answer]:
    """The frame a full decode shows at each time: the last that starts by it (0.5 ms slack, as ``shown_at``),
    the first for a time before it."""
    starts, answers = decoded
    return [answers[max(bisect_right(starts, t + 0.5) - 1, 0)] for t in times]


def _same(got: Sequence[Answer], want: Sequence[Answer]) -> None:
    assert [g[0] for g in got] == [w[0] for w in want]
    assert all(np.array_equal(g[1], w[1]) for g, w in zip(got, want, strict=True))


def _runs(starts: list[float], seed: int) -> list[tuple[list[float], float | None]]:
    """Times, and how far the cursor decodes on (None: as verification does), such that every frame's
    start is asked exactly once, with times 0.4 ms past one, 0.6 ms before one, between two, before
    the first and after the last; within a run the times are a few frames apart, so there is
    something to skip between them. Then the same in a random order (seeks back and forth)."""
    runs: list[tuple[list[float], float | None]] = []
    gap = 5
    for i in range(gap):
        times = (
            starts[i::gap] + [s + 0.4 for s in starts[i + 1 :: gap * 2]] + [s - 0.6 for s in starts[i + 2 :: gap * 2]]
        )
        times += [(a + b) / 2 for a, b in zip(starts[i + 3 :: gap * 2], starts[i + 4 :: gap * 2], strict=False)]
        runs.append((sorted(times), float("inf") if i == 1 else None))
    runs[0][0][:0] = [starts[0] - 100]
    runs[0][0].append(starts[-1] + 500)
    rng = random.Random(seed)
    runs.append((rng.sample(sorted({t for times, _ in runs for t in times}), 16), None))
    return runs


@pytest.mark.parametrize("name", [*RECIPES, "midgop.mp4", "short_edit.mp4"])
def test_skipping_finds_the_frames_a_full_decode_finds(files: dict[str, Path], name: str) -> None:
    path = files[name]
    starts = _starts(path)
    decoded = _decode_all(path)  # one pass, not a cursor decoding everything again for every run
    for times, reach in _runs(starts, seed=len(name)):
        fast, feed = _answers(path, times, skip=True, reach_ms=reach)
        _same(fast, _shown(decoded, times))
        assert feed.retries == 0
    with av.open(str(path)) as container:
        assert skippable(container.streams.video[0])
    nonref = _nonref_starts(path)  # each was asked for exactly above
    sparse = [s + 1 for s in starts[::12] if s >= 0]  # about 0.4 s apart, as verification asks
    full, full_feed = _answers(path, sparse, skip=False)
    fast, feed = _answers(path, sparse, skip=True)
    _same(fast, full)
    _same(full, _shown(decoded, sparse))
    assert full_feed.skipping == 0
    if name == "nobframes.mp4":
        assert not nonref and feed.decoded == full_feed.decoded  # nothing to skip
    else:  # the decoder returned fewer frames: it skipped pictures
        assert len(nonref) > len(starts) // 4
        assert feed.decoded < 0.75 * full_feed.decoded


def test_the_public_functions_skip_and_answer_as_before(files: dict[str, Path]) -> None:
    path = files["bframes.mp4"]
    times = [40.0 * k + 13 for k in range(0, 100, 12)]  # one time in 12 frames (0.48 s)
    full, full_feed = _answers(path, times, skip=False)
    fast, feed = _answers(path, times, skip=True)
    _same(fast, full)
    assert feed.skipping > 0 and feed.decoded <= 0.7 * full_feed.decoded  # the decoder did skip pictures
    sar = Fraction(1)
    want = [picture_of(f, sar) for f in map(open_cursor(path, 0, skip=False).shown_at, times)]
    got = list(iter_frames_shown(path, 0, times, sar))
    assert [g.pts_ms for g in got] == [w.pts_ms for w in want]
    assert all(np.array_equal(g.picture, w.picture) for g, w in zip(got, want, strict=True))
    with FrameMemo(path, 0, sar) as memo:
        memo.plan(times[::2])
        shown = [memo.shown_at(t) for t in reversed(times)]
    assert [s.pts_ms for s in shown] == [w.pts_ms for w in reversed(want)]
    assert all(np.array_equal(s.picture, w.picture) for s, w in zip(shown, reversed(want), strict=True))


def test_the_answer_is_checked_and_asked_again_when_timestamps_are_out_of_order(files: dict[str, Path]) -> None:
    """A broken muxer gave the B-frame shown just before a P-frame a later timestamp than the P-frame's:
    the decoder shows it first, so the P-frame (the witness for skipping) is not reached by the time it
    starts. The check finds a skipped picture at or after the frame found, and the time is asked again
    decoding everything (with the same answer as a full decode)."""
    src = files["bframes.mp4"]
    with av.open(str(src)) as container:
        packets = [p for p in container.demux(container.streams.video[0]) if p.size and p.pts is not None]
        pts = [int(p.pts or 0) for p in packets]
        nonref = {frame_ms(p) for p in packets} & _nonref_starts(src)
        ms = [frame_ms(p) for p in packets]
    index, witness = next(
        (i, max(pts[:i]))
        for i in range(8, len(pts))
        if ms[i] in nonref and pts[i] == max(x for x in pts if x < max(pts[:i]))
    )
    moved = (witness + min(x for x in pts if x > witness)) // 2  # after the witness, before the frame after it
    path = src.with_name("out_of_order.mp4")
    bsf = f"setts=pts=if(eq(N\\,{index})\\,{moved}\\,PTS)"
    subprocess.run([ffmpeg_exe(), *_QUIET, "-i", str(src), "-c", "copy", "-bsf:v", bsf, str(path)], check=True)
    with av.open(str(path)) as container:
        shown = [f.pts for f in container.decode(video=0)]
    assert shown.index(moved) < shown.index(witness)  # shown before the witness, with a later timestamp
    times = [ms[pts.index(witness)] + d for d in (0.0, 5.0, -200.0)]
    full, _ = _answers(path, times, skip=False)
    fast, feed = _answers(path, times, skip=True)
    _same(fast, full)
    assert feed.retries == 1 and not feed.skip  # asked again once; the cursor then decodes everything


def _sps_fields(path: Path) -> dict[str, int]:
    """The SPS fields of ``path`` as ffmpeg's ``trace_headers`` reads them (the last value of each)."""
    argv = [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-c", "copy", "-bsf:v", "trace_headers"]
    log = subprocess.run([*argv, "-frames:v", "1", "-f", "null", "-"], capture_output=True, text=True).stderr
    return {m[1]: int(m[2]) for m in re.finditer(r"\] \d+\s+(\w+)(?:\[\d+\])?\s+[01]+ = (-?\d+)", log)}


def test_the_sps_is_read_as_ffmpeg_reads_it(files: dict[str, Path], tmp_path: Path) -> None:
    paths = [files["bframes.mp4"], files["at10s.ts"], *(_make(tmp_path, n, a) for n, a in SPS_RECIPES.items())]
    verdicts = {}
    for path in paths:
        fields = _sps_fields(path)
        assert "frame_mbs_only_flag" in fields and not fields.get("seq_scaling_matrix_present_flag")
        want = fields["frame_mbs_only_flag"] == 1 and fields.get("bitstream_restriction_flag") == 1
        with av.open(str(path)) as container:
            verdicts[path.name] = skippable(container.streams.video[0])
        assert verdicts[path.name] == want, path.name
    assert not verdicts["intra10.mp4"] and not verdicts["interlaced.mp4"] and verdicts["odd_sar_hrd.mp4"]
    hevc = _make(tmp_path, "hevc.mp4", [*_PATTERN, "-c:v", "libx265", "-x265-params", "log-level=error", "-t", "1"])
    with av.open(str(hevc)) as container:
        assert not skippable(container.streams.video[0])  # sub-layer non-reference pictures may be references
