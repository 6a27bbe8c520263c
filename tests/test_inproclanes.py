"""In-process chunks encoded in threads (one decode, an encoder thread per lane): the serial bytes,
and an error in one thread stopping the whole batch with no thread left behind."""

from __future__ import annotations

import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from pipeline.media.chunkargs import ChunkSettings
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.render import inproc, inproclanes, inprocx264
from pipeline.render.chunks import Chunk, read_frame_table
from pipeline.render.inproc import InprocOutput, encode_run
from pipeline.render.inproclanes import encode_lanes
from pipeline.render.inprocx264 import Open
from pipeline.render.overlay import Overlay, render_overlay

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asshead import HEAD

TRACKS = (
    HEAD + "Dialogue: 0,0:00:00.50,0:00:01.80,Default,,0,0,0,,First line\n"
    "Dialogue: 0,0:00:02.00,0:00:03.50,Default,,0,0,0,,Second line\n",
    HEAD + "Dialogue: 0,0:00:00.20,0:00:02.60,Default,,0,0,0,,Erste Zeile\n"
    "Dialogue: 0,0:00:03.00,0:00:03.90,Default,,0,0,0,,{\\pos(160,40)}Oben\n",
)
PLAN = (Chunk(0, 0, 30), Chunk(1, 30, 64), Chunk(2, 64, 100))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Overlay]]:
    """4 s of testsrc2 at 25 fps (keyframes every 30 frames) and two languages' overlays."""
    video = tmp_path_factory.mktemp("lanes") / "src.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
         "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p", "-t", "4", str(video)],
        check=True,
    )  # fmt: skip
    return video, [render_overlay(text, "noto-sans", 320, 180) for text in TRACKS]


def _lanes(folder: Path) -> list[list[InprocOutput]]:
    """Two languages over every chunk (one decoder for both), the bare picture over the first
    chunk only (a decoder of its own), stills tapped in both languages."""
    folder.mkdir(exist_ok=True)
    lanes: list[list[InprocOutput]] = [
        [InprocOutput(c, lang, folder / f"l{lang}-{c.index}.mp4", (0, 5) if c.index == 1 else ()) for c in PLAN]
        for lang in (0, 1)
    ]
    return [*lanes, [InprocOutput(PLAN[0], -1, folder / "bare-0.mp4")]]


@pytest.fixture(scope="module")
def serial(source: tuple[Path, list[Overlay]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lanes' chunks and stills encoded one after the other (:func:`encode_run`)."""
    video, overlays = source
    folder = tmp_path_factory.mktemp("serial")
    encode_run(video, read_frame_table(video), [o for lane in _lanes(folder) for o in lane], overlays, ChunkSettings())
    return folder


@pytest.fixture(params=[None, 2], ids=["blocks", "2-frame-blocks"])
def ring_blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ring's blocks as they are (at 320x180 no block is used twice), or 2 frames each (each of the
    ring's 3 blocks then serves about 17 times: a block given back early is overwritten)."""
    if request.param:
        monkeypatch.setattr(inproclanes, "BLOCK_BYTES", request.param * inproclanes.RING * 320 * 180 * 3 // 2)


def _ends(call: Callable[[], None], seconds: float = 30.0) -> BaseException | None:
    """What ``call`` raised (None: nothing), run with a deadline (a thread of it waiting forever fails)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            raised.append(exc)

    runner = threading.Thread(target=run, name="deadline", daemon=True)
    runner.start()
    runner.join(seconds)
    assert not runner.is_alive(), f"not ended in {seconds} s"
    return raised[0] if raised else None


def _left() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("inproc-", "deadline"))]


@pytest.mark.render
@pytest.mark.usefixtures("ring_blocks")
def test_lanes_in_threads_give_the_serial_bytes(
    source: tuple[Path, list[Overlay]], serial: Path, tmp_path: Path
) -> None:
    video, overlays = source
    lanes = _lanes(tmp_path)
    assert _ends(lambda: encode_lanes(video, read_frame_table(video), lanes, overlays, ChunkSettings())) is None
    made = sorted(p.name for p in serial.iterdir())
    assert len(made) == 3 * 2 + 1 + 2 * 2  # chunks and stills
    assert made == sorted(p.name for p in tmp_path.iterdir())
    for name in made:
        assert (serial / name).read_bytes() == (tmp_path / name).read_bytes(), name


@pytest.mark.render
@pytest.mark.usefixtures("ring_blocks")
def test_an_error_in_one_encoder_thread_stops_the_batch(source: tuple[Path, list[Overlay]], tmp_path: Path) -> None:
    video, overlays = source
    table = read_frame_table(video)
    lanes = _lanes(tmp_path / "out")
    broken = InprocOutput(PLAN[1], 1, tmp_path / "missing-folder" / "l1-1.mp4")  # cannot be written
    lanes[1] = [lanes[1][0], broken, lanes[1][2]]
    raised = _ends(lambda: encode_lanes(video, table, lanes, overlays, ChunkSettings()))
    assert isinstance(raised, (av.error.FFmpegError, OSError)) and not _left()
    assert not (tmp_path / "out" / "l1-2.mp4").exists()  # the broken lane went no further
    again = _lanes(tmp_path / "again")  # and the decoder's errors stop it too
    raised = _ends(lambda: encode_lanes(tmp_path / "no-such.mp4", table, again, overlays, ChunkSettings()))
    assert isinstance(raised, (av.error.FFmpegError, OSError)) and not _left()


@pytest.mark.render
def test_a_decoder_that_does_not_start_leaves_no_thread_waiting(
    source: tuple[Path, list[Overlay]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its lanes would wait forever for frames: the call raises, and no thread of it is left."""
    video, overlays = source
    start = threading.Thread.start

    def failing_start(thread: threading.Thread) -> None:
        if thread.name.startswith(inproclanes.DECODER):
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", failing_start)
    lanes = _lanes(tmp_path)
    raised = _ends(lambda: encode_lanes(video, read_frame_table(video), lanes, overlays, ChunkSettings()))
    assert isinstance(raised, RuntimeError) and not _left()


@pytest.mark.render
def test_a_closed_chunks_encoder_is_freed_before_the_next_chunk_opens(
    source: tuple[Path, list[Overlay]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two outputs a chunk hand over at once: nothing keeps the closed ones' encoders (115 MiB each
    at 720p) while the next ones open."""
    video, overlays = source
    closed: list[weakref.ref[Open]] = []
    alive_at_open: list[int] = []

    def close_chunk(item: Open) -> None:
        inprocx264.close_chunk(item)
        closed.append(weakref.ref(item))

    def open_chunk(*args: Any) -> Open:
        alive_at_open.append(sum(ref() is not None for ref in closed))
        return inprocx264.open_chunk(*args)

    monkeypatch.setattr(inproc, "close_chunk", close_chunk)
    monkeypatch.setattr(inproc, "open_chunk", open_chunk)
    outputs = [o for lane in _lanes(tmp_path)[:2] for o in lane]
    encode_run(video, read_frame_table(video), outputs, overlays, ChunkSettings())
    assert len(closed) == 6 and alive_at_open == [0] * 6
