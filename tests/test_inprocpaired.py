"""A chunked burn taking the paired path (two languages' encoder threads on one decode,
:func:`pipeline.render.chunkbatch.paired_batches`): the same cuts as the serial path, and only where
the local pool runs every batch."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import probe
from pipeline.render import chunkburn, chunks
from pipeline.render.batchrun import ProcessRunner
from pipeline.render.burn import BurnRequest, Encoder
from pipeline.render.chunkburn import render_chunked
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.inproc import keep_heap

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asshead import HEAD

pytestmark = pytest.mark.render
T = TypeVar("T")
R = TypeVar("R")
TRACKS = {
    "en": "Dialogue: 0,0:00:00.50,0:00:02.80,Default,,0,0,0,,First line\n"
    "Dialogue: 0,0:00:04.00,0:00:07.50,Default,,0,0,0,,Across a cut\n",
    "de": "Dialogue: 0,0:00:00.20,0:00:03.60,Default,,0,0,0,,Erste Zeile\n"
    "Dialogue: 0,0:00:05.00,0:00:07.90,Default,,0,0,0,,{\\pos(160,40)}Oben\n",
    "fr": "Dialogue: 0,0:00:01.00,0:00:06.00,Default,,0,0,0,,{\\fad(200,200)}Fondu\n",  # animated: ffmpeg
}


class Recording(ProcessRunner):
    """A process pool that notes its workers and the lanes of the batches it is handed."""

    seen: ClassVar[list[tuple[int, set[int]]]] = []
    prepared: ClassVar[list[object]] = []

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        """See :meth:`pipeline.render.batchrun.BatchRunner.map`."""
        lanes = {job.lane for item in items for job in item[1]}  # type: ignore[index]
        Recording.seen.append((self.jobs, lanes))
        Recording.prepared.append(self.prepare)
        yield from super().map(fn, items)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of testsrc2 at 320x180, 25 fps, a keyframe a second (two chunks)."""
    video = tmp_path_factory.mktemp("paired") / "src.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
         "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", "-t", "6", str(video)],
        check=True,
    )  # fmt: skip
    return video


@pytest.fixture(autouse=True)
def one_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 2-4 s; one encoder a worker (as 720p on two cores), so that two languages pair."""
    monkeypatch.setattr(chunks, "TARGET_MS", 3000)
    monkeypatch.setattr(chunks, "MAX_MS", 4000)
    monkeypatch.setattr(chunkburn, "lane_width", lambda *_: 1)
    monkeypatch.setattr(chunkburn, "ProcessRunner", Recording)
    Recording.seen = []
    Recording.prepared = []


def _burn(clip: Path, folder: Path, langs: Sequence[str], runner: Any = None) -> list[bytes]:
    reqs = [BurnRequest(lang, HEAD + TRACKS[lang], "noto-sans", folder / f"cut.{lang}.mp4") for lang in langs]
    done = render_chunked(clip, probe(clip), reqs, Encoder(), ChunkCache(folder / "cache"), jobs=2, runner=runner)
    assert done.encoded == 2 * len(done.spans_ms) >= 4
    return [path.read_bytes() for path in done.partials]


def test_paired_cuts_are_the_serial_paths_and_a_runner_passed_is_never_paired(clip: Path, tmp_path: Path) -> None:
    paired = _burn(clip, tmp_path / "paired", ("en", "de"))
    assert Recording.seen == [(1, {0, 1})]  # one worker, two encoder threads
    assert Recording.prepared == [keep_heap]  # a burn's own workers keep their heap
    serial = _burn(clip, tmp_path / "serial", ("en", "de"), runner=Recording(2))  # as a cluster's runner
    assert Recording.seen[1:] == [(2, {-1})]
    assert paired == serial


def test_a_burn_with_ffmpeg_batches_keeps_a_worker_per_core(clip: Path, tmp_path: Path) -> None:
    reqs = [BurnRequest(lang, HEAD + TRACKS[lang], "noto-sans", tmp_path / f"cut.{lang}.mp4") for lang in TRACKS]
    render_chunked(clip, probe(clip), reqs, Encoder(), ChunkCache(tmp_path / "cache"), jobs=2)
    assert Recording.seen == [(2, {-1})]
