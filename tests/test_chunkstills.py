"""Review stills of chunked cuts: tapped in the chunk encode, kept with the chunk, decoded from one chunk if absent."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import VerifyError
from pipeline.media.chunkargs import BurnStream, ChunkOutput, chunk_graph
from pipeline.media.probe import probe
from pipeline.media.stills import extract_stills
from pipeline.render import chunks, chunkstills, review
from pipeline.render.burn import BurnRequest, Encoder
from pipeline.render.chunkburn import ChunkedBurn, ChunkJob, _batches, render_chunked
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunks import Chunk
from pipeline.render.chunkstills import chunk_stills, store_tapped
from pipeline.tracks.formats import AssStyle, compose_ass

pytestmark = pytest.mark.render
WANTED = [0, 75, 160, 250, 330, 440]
CUES = ((500, 4000, "First line"), (5000, 9000, "Second line"), (10000, 14000, "Third"))


@pytest.fixture(autouse=True)
def short_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 2-4 s here, so the 15 s clip holds several."""
    monkeypatch.setattr(chunks, "TARGET_MS", 3000)
    monkeypatch.setattr(chunks, "MAX_MS", 4000)


def _requests(folder: Path, langs: Sequence[str]) -> list[BurnRequest]:
    out = []
    for lang in langs:
        track = Track(lang, tuple(Cue(s, e, (f"{t} {lang}",)) for s, e, t in CUES), Fraction(30000, 1001))
        ass = compose_ass(track, AssStyle("Noto Sans", font_size=40, margin_v=20), 1280, 720)
        out.append(BurnRequest(lang, ass, "noto-sans", folder / f"cut.{lang}.mp4"))
    return out


def _render(clip: Path, folder: Path, cache: ChunkCache, stills: Sequence[Sequence[int]]) -> ChunkedBurn:
    reqs = _requests(folder, ["en", "fr"])
    return render_chunked(clip, probe(clip), reqs, Encoder(30, "ultrafast"), cache, shot_changes_ms=[], stills=stills)


def _spans(done: ChunkedBurn, i: int) -> list[tuple[str, int, int]]:
    return [(k, a, b) for k, (a, b) in zip(done.keys[i], done.frames, strict=True)]


def _gray(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L")).astype(np.float64)


def _forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kw: Any) -> None:
        raise AssertionError("decoded, although every still was tapped")

    monkeypatch.setattr(chunkstills, "extract_stills", refuse)


def test_tapped_stills_are_the_cuts_frames_up_to_coding_noise(
    clip15: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ChunkCache(tmp_path / "cache")
    done = _render(clip15, tmp_path, cache, [WANTED, WANTED[:3]])
    assert len(done.frames) > 2 and done.frames[0][0] == 0 and done.frames[-1][1] == probe(clip15).frames
    _forbid_decoding(monkeypatch)
    for i, wanted in enumerate([WANTED, WANTED[:3]]):
        got = chunk_stills(cache, _spans(done, i), wanted, tmp_path / f"tapped{i}")
        decoded = extract_stills(done.partials[i], wanted, tmp_path / f"decoded{i}")
        assert sorted(got) == sorted(decoded) == wanted
        for n in wanted:
            assert Image.open(got[n]).size == (320, 180)
            assert np.abs(_gray(got[n]) - _gray(decoded[n])).mean() < 2.0, n  # codec noise only
        assert np.abs(_gray(got[wanted[0]]) - _gray(decoded[wanted[2]])).mean() > 2.0  # another frame differs


def test_a_still_the_cache_lacks_is_decoded_from_its_chunk_alone(
    clip15: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ChunkCache(tmp_path / "cache")
    done = _render(clip15, tmp_path, cache, [])  # no stills tapped
    decoded_from: list[Path] = []
    real = extract_stills

    def spy(video: Path, frames: Any, folder: Path, **kw: Any) -> dict[int, Path]:
        decoded_from.append(video)
        return real(video, frames, folder, **kw)

    monkeypatch.setattr(chunkstills, "extract_stills", spy)
    spans = _spans(done, 0)
    got = chunk_stills(cache, spans, WANTED[:2], tmp_path / "one")
    holding = [k for k, a, b in spans if any(a <= n < b for n in WANTED[:2])]
    assert sorted(got) == WANTED[:2] and decoded_from == [cache.get(k) for k in holding]
    whole = extract_stills(done.partials[0], WANTED[:2], tmp_path / "whole")
    assert all(_gray(got[n]).tolist() == _gray(whole[n]).tolist() for n in WANTED[:2])  # the same bytes decoded
    decoded_from.clear()
    chunk_stills(cache, spans, WANTED[:2], tmp_path / "again")
    assert decoded_from == []  # kept with the chunks now


def test_refused_stills_and_a_pruned_chunk(clip15: Path, tmp_path: Path) -> None:
    cache = ChunkCache(tmp_path / "cache")
    done = _render(clip15, tmp_path, cache, [WANTED, []])
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "k.s000_00001.jpg").write_bytes(b"x")
    with pytest.raises(VerifyError, match="1 stills for the 2 frames"):
        store_tapped(cache, "k", [3, 4], str(tmp_path / "w" / "k.s"))
    spans = _spans(done, 0)
    cache.remove(spans[0][0])  # pruned: its stills go with it
    assert not list(cache.root.glob(f"??/{spans[0][0]}.f*.jpg")) and cache.orphans() == []
    with pytest.raises(LookupError):
        chunk_stills(cache, spans, [WANTED[0]], tmp_path / "lost")
    got = review._cut_stills(done.partials[0], spans, set(WANTED), tmp_path / "fallback", cache)  # decodes the cut
    assert sorted(got) == WANTED


def test_a_tapped_output_splits_after_its_trim() -> None:
    outs = [ChunkOutput(0, 900, 0, Path("/w/k.mp4"), (2, 9)), ChunkOutput(900, 1800, 0, Path("/w/b.mp4"))]
    graph = chunk_graph([BurnStream(None, None, 0)], outs).split(";")
    assert graph[2] == "[c0]trim=start_pts=0:end_pts=900,setpts=PTS-STARTPTS,split=2[o0][t0]"
    assert graph[3] == "[t0]split=1[t0g0]"
    assert graph[4] == "[t0g0]select='eq(n,2)+eq(n,9)',scale=320:trunc(ow/dar/2)*2,setsar=1[t0o0]"
    assert graph[5] == "[c1]trim=start_pts=900:end_pts=1800,setpts=PTS-STARTPTS[o1]"


def test_batches_are_runs_of_consecutive_chunks_bounded_by_group_and_split_for_jobs() -> None:
    def job(index: int, request: int) -> ChunkJob:
        return ChunkJob(f"k{index}-{request}", Chunk(index, index * 10, index * 10 + 10), None, None, request)

    two_langs = [job(i, r) for i in (0, 1, 2, 3, 5) for r in (0, 1)]
    got = [[(j.chunk.index, j.request) for j in b] for b in _batches(two_langs[::-1], 4, 1)]
    assert got == [[(0, 0), (0, 1), (1, 0), (1, 1)], [(2, 0), (2, 1), (3, 0), (3, 1)], [(5, 0), (5, 1)]]
    many = [job(0, r) for r in range(6)] + [job(1, 0)]
    assert [len(b) for b in _batches(many, 4, 1)] == [4, 2, 1]  # a chunk of 6 outputs: 4 + 2, never merged
    edit = [job(7, 0), job(8, 0)]
    assert [len(b) for b in _batches(edit, 4, 2)] == [1, 1]  # two processes at once
    assert [len(b) for b in _batches(edit, 4, 1)] == [2]
