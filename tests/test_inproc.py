"""In-process chunk encoding: libass overlays composited onto decoded frames, and their bytes.

The composite is compared with libass's own burn (ffmpeg's ``subtitles`` filter) on every frame
of real clips: the bound is 2 grey levels (libass rounds at each blended layer, the composite once).
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import zlib
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pysubs2
import pytest

from pipeline.media.chunkargs import ChunkSettings
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.fonts import make_fontsdir
from pipeline.render.batchrun import ProcessRunner, WorkerDiedError
from pipeline.render.chunkengine import FFMPEG_ENGINE, chunk_engine, inproc_picture
from pipeline.render.chunks import Chunk, read_frame_table
from pipeline.render.inproc import ENGINE, InprocOutput, _now_ms, _pack, _Scratch, encode_run, keep_heap
from pipeline.render.overlay import Box, Overlay, composite, is_static, placement_context, render_overlay

BOUND = 2  # grey levels between the composite and libass's burn
HEAD = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Noto Sans,16,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,1.5,1,2,10,10,8,1
Style: Boxed,Noto Sans,14,&H0000D0FF,&H000000FF,&H40402000,&H60000000,1,0,0,0,100,100,0,0,3,2,0,8,10,10,8,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
PLAIN = HEAD + (
    "Dialogue: 0,0:00:00.50,0:00:01.80,Default,,0,0,0,,First line\n"
    "Dialogue: 0,0:00:02.00,0:00:03.50,Default,,0,0,0,,Second line\\Nwith two rows\n"
)
COLOURED = HEAD + (
    "Dialogue: 0,0:00:00.30,0:00:02.60,Default,,0,0,0,,Under it all\n"
    "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Stacked above\n"
    "Dialogue: 0,0:00:01.50,0:00:03.20,Boxed,,0,0,0,,{\\pos(160,40)}Moved, boxed, orange\n"
)


def _ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """4 s of testsrc2 at 25 fps and at 30000/1001 (frame times between milliseconds)."""
    folder = tmp_path_factory.mktemp("inproc")
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p", "-t", "4"]
    for name, rate in (("cfr", "25"), ("ntsc", "30000/1001")):
        _ff("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={rate}", *x264, str(folder / f"{name}.mp4"))
    return {p.stem: p for p in folder.glob("*.mp4")}


def _libass_burn(video: Path, ass_text: str, folder: Path) -> list[np.ndarray]:
    """Every frame of ``video`` burned by ffmpeg's ``subtitles`` filter, as packed yuv420p arrays."""
    make_fontsdir(folder / "fonts", ["noto-sans"])
    (folder / "t.ass").write_text(ass_text, encoding="utf-8")
    raw = folder / "burn.yuv"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(video), "-vf", "subtitles=t.ass:fontsdir=fonts",
         "-f", "rawvideo", "-pix_fmt", "yuv420p", str(raw)],
        check=True, cwd=folder,
    )  # fmt: skip
    return list(np.fromfile(raw, np.uint8).reshape(-1, 270, 320))


def _composited(video: Path, overlay: Overlay, late: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every frame of ``video`` and its composite (``late``: use the state that many states earlier)."""
    table = read_frame_table(video)
    scratch = _Scratch(320, 180)
    sources, burned = [], []
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            k = max(overlay.index_at(_now_ms(table, table.pts[index])) - late, -1)
            state = [(box, *box.arrays()) for box in overlay.states[k]] if overlay.drawn(k) else []
            sources.append(frame.to_ndarray(format="yuv420p"))
            packed = np.zeros((270, 320), np.uint8)
            _pack(frame, packed)
            burned.append(scratch.burned(packed, state).to_ndarray().copy() if state else packed)
    return sources, burned


@pytest.mark.render
@pytest.mark.parametrize(("clip", "text"), [("cfr", PLAIN), ("ntsc", PLAIN), ("cfr", COLOURED)])
def test_composite_equals_libass_burn_on_every_frame(
    clips: dict[str, Path], tmp_path: Path, clip: str, text: str
) -> None:
    want = _libass_burn(clips[clip], text, tmp_path)
    sources, got = _composited(clips[clip], render_overlay(text, "noto-sans", 320, 180))
    assert len(got) == len(want)
    diff = [np.abs(a.astype(np.int16) - b.astype(np.int16)) for a, b in zip(got, want, strict=True)]
    assert max(int(d.max()) for d in diff) <= BOUND
    assert sum(int((d > 1).sum()) for d in diff) < 0.001 * sum(d.size for d in diff)
    # the text is there: libass changed many pixels of the frames that show a cue
    changed = [int((np.abs(s.astype(np.int16) - w) > 40).sum()) for s, w in zip(sources, want, strict=True)]
    assert sum(c > 200 for c in changed) > len(changed) // 3


@pytest.mark.render
def test_a_composite_of_the_wrong_state_is_far_from_the_burn(clips: dict[str, Path], tmp_path: Path) -> None:
    """The comparison above can fail: one state late, the composite is tens of levels off."""
    want = _libass_burn(clips["cfr"], COLOURED, tmp_path)
    _sources, got = _composited(clips["cfr"], render_overlay(COLOURED, "noto-sans", 320, 180), late=1)
    worst = max(int(np.abs(a.astype(np.int16) - b).max()) for a, b in zip(got, want, strict=True))
    assert worst > 40


@pytest.mark.parametrize(
    ("tags", "static"),
    [("", True), ("{\\pos(10,10)\\c&H00FF00&\\b1}", True), ("{\\fad(200,200)}", False), ("{\\move(0,0,9,9)}", False),
     ("{\\t(\\fs30)}", False), ("{\\k20}ka{\\k30}ra", False), ("{\\fade(255,0,255,0,10,20,30)}", False)],
)  # fmt: skip
def test_only_tracks_without_animation_are_static(tags: str, static: bool) -> None:
    subs = pysubs2.SSAFile.from_string(PLAIN.replace(",,First line", f",,{tags}First line"))
    assert is_static(subs) is static
    assert chunk_engine(subs) == (ENGINE if static else FFMPEG_ENGINE)
    scroll = pysubs2.SSAFile.from_string(PLAIN.replace(",,0,0,0,,First", ",,0,0,0,Scroll up;10;100;5,First"))
    assert not is_static(scroll)


def test_the_composite_in_16_bits_is_the_exact_blend() -> None:
    """``B + (s * (W - B) + 127) // 255`` for every source value and gain, as composited in uint16."""
    source, gain = np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8))
    base = (255 - gain).astype(np.uint8)  # any base with B + gain <= 255
    box = Box(0, 256, 0, 256, zlib.compress(base.tobytes() + gain.tobytes(), 1))
    plane = source.copy()
    composite([plane], [(box, *box.arrays())])
    exact = base.astype(np.int64) + (source.astype(np.int64) * gain + 127) // 255
    assert np.array_equal(plane, exact)
    assert not np.array_equal(plane, base.astype(np.int64) + (source.astype(np.int64) * gain) // 256)


def test_a_window_keeps_only_the_states_it_shows() -> None:
    a, b, c = (Box(0, 1, 0, n, b"") for n in (1, 2, 3))
    overlay = Overlay((0, 100, 200, 300), ((a,), (b,), (c,)))
    kept = overlay.window(150, 210)
    assert kept.states == ((), (b,), (c,)) and kept.bounds == overlay.bounds
    assert overlay.index_at(-1) == -1 and overlay.index_at(250) == 2 and overlay.index_at(300) == -1


def _encoder(args: tuple[Path, str, Sequence[Chunk], Path]) -> Callable[[int], list[InprocOutput]]:
    """What encodes ``args``' chunks of the clip, with its overlay, as run ``n`` (its own files), in this process."""
    video, text, plan, folder = args
    table = read_frame_table(video)
    overlay = render_overlay(text, "noto-sans", 320, 180)

    def encode(run: int) -> list[InprocOutput]:
        outs = [InprocOutput(c, 0, folder / f"{run}-{c.index}.mp4") for c in plan]
        encode_run(video, table, outs, [overlay], ChunkSettings(threads=1))
        return outs

    return encode


def _encode_twice(args: tuple[Path, str, Sequence[Chunk], Path]) -> list[str]:
    """In one process: litter the heap, encode, litter it again, encode again; each chunk's digest."""
    encode = _encoder(args)
    digests = []
    for run in range(2):
        litter = [bytearray(b"\x5a" * n) for n in (4096, 65536, 300_000, 2_000_000)]
        del litter
        outs = encode(run)
        digests.append(hashlib.sha256(b"".join(o.target.read_bytes() for o in outs)).hexdigest())
    return digests


@pytest.mark.render
def test_chunks_encoded_in_a_used_process_are_byte_identical(clips: dict[str, Path], tmp_path: Path) -> None:
    plan = [Chunk(0, 0, 40), Chunk(1, 40, 100)]
    runner = ProcessRunner(1)
    ((first, second),) = list(runner.map(_encode_twice, [(clips["cfr"], COLOURED, plan, tmp_path)]))
    assert first == second
    # and equal to the same chunks encoded by a fresh process
    (tmp_path / "x").mkdir()
    ((fresh, _again),) = list(ProcessRunner(1).map(_encode_twice, [(clips["cfr"], COLOURED, plan, tmp_path / "x")]))
    assert fresh == first
    assert Fraction(read_frame_table(tmp_path / "0-1.mp4").time_base) == read_frame_table(clips["cfr"]).time_base


def _faults_of_three_runs(args: tuple[Path, str, Sequence[Chunk], Path]) -> list[int]:
    """In one process: encode the same chunks three times; the page faults of each run."""
    encode = _encoder(args)
    faults = []
    for run in range(3):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        encode(run)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return faults


@pytest.mark.render
def test_a_process_encodes_its_next_chunks_in_the_memory_the_last_ones_freed(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    """Each chunk's encoder allocates its buffers afresh; a worker keeps its heap, so after the first
    run the encoders reuse its pages instead of faulting new ones in (what they faulted in before:
    about 25,000 pages per 720p chunk; glibc's own heuristics may keep some of them, or not)."""
    plan = [Chunk(0, 0, 40), Chunk(1, 40, 100)]
    item = [(clips["cfr"], COLOURED, plan, tmp_path)]
    ((first, second, third),) = list(ProcessRunner(1, prepare=keep_heap).map(_faults_of_three_runs, item))
    assert first > 1000
    assert second < first // 5 and third < first // 5


@pytest.mark.render
def test_only_a_limited_range_4_2_0_picture_is_encoded_in_process(tmp_path: Path) -> None:
    src = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast"]
    made = {}
    for name, extra in {
        "tv": ["-pix_fmt", "yuv420p"],
        "444": ["-pix_fmt", "yuv444p"],
        "jpeg": ["-pix_fmt", "yuvj420p"],
        "pc": ["-pix_fmt", "yuv420p", "-color_range", "pc"],
    }.items():
        made[name] = tmp_path / f"{name}.mp4"
        _ff(*src, *extra, str(made[name]))
    assert {name: inproc_picture(path) for name, path in made.items()} == {
        "tv": True,
        "444": False,
        "jpeg": False,
        "pc": False,
    }
    assert chunk_engine(None, picture_ok=False) == FFMPEG_ENGINE


def test_a_chunk_key_sees_the_earlier_cue_that_decides_where_libass_puts_its_cue() -> None:
    """Cue B overlaps cue A, so libass places B above A and keeps it there after A ends: a chunk
    showing only B depends on A. Shortened so that they no longer overlap, A frees B."""

    def track(a_end: str) -> pysubs2.SSAFile:
        text = (
            HEAD
            + f"Dialogue: 0,0:00:00.00,{a_end},Default,,0,0,0,,A\nDialogue: 0,0:00:04.00,0:00:20.00,Default,,0,0,0,,B\n"
        )
        return pysubs2.SSAFile.from_string(text)

    overlapping = placement_context(track("0:00:05.00"), 6000, 12000)
    assert overlapping.splitlines() == ["0,5000,0,Default,0,A", "4000,20000,0,Default,0,B"]
    assert placement_context(track("0:00:03.90"), 6000, 12000) == ""
    assert placement_context(track("0:00:05.00"), 21000, 30000) == ""


RAISED = HEAD + (
    "Dialogue: 0,0:00:00.00,0:00:05.00,Default,,0,0,0,,A cue under it\n"
    "Dialogue: 0,0:00:04.00,0:00:20.00,Default,,0,0,0,,B is raised\n"
    "Dialogue: 0,0:00:21.00,0:00:22.00,Default,,0,0,0,,Later, alone\n"
)


def _pixels(state: tuple[Box, ...]) -> list[tuple[int, int, int, int, bytes]]:
    return [(b.y0, b.y1, b.x0, b.x1, zlib.decompress(b.packed)) for b in state]


def test_a_window_renders_the_states_it_shows_as_the_whole_track_does() -> None:
    """Rendering from 6 s on, B must still sit where libass put it above A at 4 s: the window is
    rendered from the start of their run. The same window without A shows B lower (the check can fail)."""
    whole = render_overlay(RAISED, "noto-sans", 320, 180)
    for window in ((6000, 12000), (20500, 21500), (0, 1000), (30000, 31000)):
        part = render_overlay(RAISED, "noto-sans", 320, 180, window=window)
        assert part.bounds == whole.bounds
        for k, (got, full) in enumerate(zip(part.states, whole.states, strict=True)):
            assert got in ((), full), (window, k)  # a state rendered is the whole track's
            assert got or not whole.window(*window).states[k], (window, k)  # every one shown is rendered
    assert render_overlay(RAISED, "noto-sans", 320, 180, window=(20500, 21500)).states[:4] == ((),) * 4
    alone = render_overlay(RAISED.replace("A cue under it", "{\\pos(0,0)}"), "noto-sans", 320, 180)
    b_state = whole.index_at(8000)
    assert _pixels(alone.states[b_state])[0][:2] != _pixels(whole.states[b_state])[0][:2]


def _die(_item: int) -> int:
    os._exit(3)


def test_a_worker_that_dies_is_a_pipeline_error() -> None:
    with pytest.raises(WorkerDiedError, match="died"):
        list(ProcessRunner(2).map(_die, [1, 2]))
