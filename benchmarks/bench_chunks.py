"""Chunked burning against today's monolithic burn, on the first 40 s of the sample.

    .venv/bin/python benchmarks/bench_chunks.py [--seconds 40] [--langs en,ko,ar] [--threads 1] [--jobs 2] [--group 4]
        [--rounds 1]

Runs in one process, side by side: the chunked path on a fresh cache (first render, unchanged
rerun, one cue edited in one language, one language's whole track changed), then the grouped
monolithic burn of every language (one decode, ``split``) and a single-language monolithic burn of
the first language (the one whose cue is edited) and of the last (the one whose track changes).
The edit steps are what ``subpipe run`` does on a rerun: only the changed language is rendered (the
manifest proves the others unchanged) and its cut is verified where its chunks changed
(:func:`pipeline.batch.rerun.verify_window`); the monolithic baselines are the burn alone, without
verification. Peak memory of the chunk processes is read before the monolithic burns run. Prints wall
times and the ratios the issue asks for. ``--rounds N`` repeats the first render (on an empty cache)
and the grouped burn N-1 more times, alternately, and prints each round's ratio and the median: the
first render's ratio sits near 1.0 and a shared machine moves single figures by a few percent. Shot
changes are detected (and cached) before the timings, as ``subpipe run`` does for building tracks;
the detection time is printed apart. The machine is shared and noisy: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.rerun import PreviousCut, verify_window  # noqa: E402
from pipeline.batch.steps import LangTrack, build_tracks, style_for  # noqa: E402
from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.core.filecache import sha256_file  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.probe import MediaInfo, probe  # noqa: E402
from pipeline.media.scenes import detect_shot_changes  # noqa: E402
from pipeline.render import chunks  # noqa: E402
from pipeline.render.burn import BurnRequest, Encoder, burn  # noqa: E402
from pipeline.render.chunkburn import DEFAULT_GROUP, ChunkedBurn, render_chunked  # noqa: E402
from pipeline.render.chunkcache import ChunkCache  # noqa: E402
from pipeline.render.chunkpath import CHUNKED, CutRecord, settings_for  # noqa: E402
from pipeline.render.manifest import ManifestEntry  # noqa: E402
from pipeline.render.verify import BurnCheck, verify_burn  # noqa: E402
from pipeline.tracks.formats import compose_ass  # noqa: E402


def _clip(folder: Path, seconds: int) -> Path:
    out = folder / f"clip{seconds}.mp4"
    src = ROOT / "assets" / "promo" / "promo.mp4"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(src), "-t", str(seconds), "-c", "copy", str(out)]
    subprocess.run(argv, check=True)
    return out


def _request(item: LangTrack, track: Track, media: MediaInfo, folder: Path, tag: str) -> BurnRequest:
    style = style_for(item.profile, {}, media.height)
    ass = compose_ass(track, style, media.width, media.height, fps=media.fps)
    return BurnRequest(item.profile.tag, ass, item.profile.font, folder / f"{tag}.{item.profile.tag}.mp4")


def _edit_one(track: Track, within_ms: int) -> Track:
    cues = list(track.cues)
    mid = max(i for i, c in enumerate(cues) if c.end_ms <= within_ms // 2)  # a cue in the clip's first half
    cues[mid] = dataclasses.replace(cues[mid], lines=(*cues[mid].lines[:-1], cues[mid].lines[-1] + " (fixed)"))
    return dataclasses.replace(track, cues=tuple(cues))


def _change_all(track: Track) -> Track:
    return dataclasses.replace(track, cues=tuple(Cue(c.start_ms, c.end_ms, (*c.lines, "v2")) for c in track.cues))


CPU: dict[str, float] = {}


def _children_cpu() -> float:
    """CPU seconds of ffmpeg (children) and of this process (hashing, probing, verification)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _timed(fn: Callable[[], object], name: str = "") -> tuple[float, object]:
    c0, t0 = _children_cpu(), time.perf_counter()
    result = fn()
    CPU[name] = _children_cpu() - c0
    return time.perf_counter() - t0, result


def _chunked(
    clip: Path, media: MediaInfo, reqs: Sequence[BurnRequest], cache: ChunkCache, args: argparse.Namespace
) -> ChunkedBurn:
    settings = dataclasses.replace(settings_for(media, Encoder()), threads=args.threads)
    return render_chunked(clip, media, reqs, Encoder(), cache, settings=settings, jobs=args.jobs, group=args.group)


def _previous(done: ChunkedBurn) -> list[PreviousCut]:
    """Each cut of a render as the manifest would record it (size, SHA-256, chunk keys)."""
    return [
        PreviousCut(ManifestEntry(p.name, "burned", "", p.stat().st_size, sha256_file(p), True), {"chunks": keys})
        for p, keys in zip(done.partials, done.keys, strict=True)
    ]


def _rerun_one(
    clip: Path, media: MediaInfo, req: BurnRequest, track: Track, prev: PreviousCut, cache: ChunkCache, args: Any
) -> ChunkedBurn:
    """What ``subpipe run`` does for the one changed language: render it, verify where its chunks changed."""
    done = _chunked(clip, media, [req], cache, args)
    record = CutRecord(CHUNKED, "", {}, done.keys[0], done.encoded, done.spans_ms)
    window = verify_window(record, prev, done.partials[0])
    cues = [(c.start_ms, c.end_ms) for c in track.cues]
    problems = verify_burn(probe(done.partials[0]), media, BurnCheck(req.ass_text, (req.font_key,), cues, window))
    assert not problems, problems
    return done


def _steps(
    clip: Path, media: MediaInfo, built: dict[str, LangTrack], langs: list[str], folder: Path, args: Any
) -> list[tuple[str, float, ChunkedBurn]]:
    """The four chunked renders, in order: first, unchanged, one cue edited, one language changed."""
    reqs = [_request(built[lang], built[lang].track, media, folder, "v1") for lang in langs]
    cache = ChunkCache(folder / "cache")
    rows: list[tuple[str, float, ChunkedBurn]] = []

    def step(name: str, fn: Callable[[], ChunkedBurn]) -> ChunkedBurn:
        wall, done = _timed(fn, name)
        assert isinstance(done, ChunkedBurn)
        rows.append((name, wall, done))
        return done

    prev = _previous(step("first chunked render", lambda: _chunked(clip, media, reqs, cache, args)))
    step("unchanged rerun, engine only (subpipe run skips it)", lambda: _chunked(clip, media, reqs, cache, args))
    first, last = built[langs[0]], built[langs[-1]]
    edited, changed = _edit_one(first.track, media.duration_ms), _change_all(last.track)
    one = _request(first, edited, media, folder, "v2")
    step(
        f"one cue edited ({langs[0]}), rendered and verified",
        lambda: _rerun_one(clip, media, one, edited, prev[0], cache, args),
    )
    whole = _request(last, changed, media, folder, "v3")
    step(
        f"one language changed ({langs[-1]}), rendered and verified",
        lambda: _rerun_one(clip, media, whole, changed, prev[-1], cache, args),
    )
    return rows


def _print(
    args: argparse.Namespace, langs: list[str], base: dict[str, float], rows: list[tuple[str, float, ChunkedBurn]]
) -> None:
    print(f"clip: {args.seconds} s of the sample, {len(langs)} languages {langs}; x264 threads {args.threads}, "
          f"jobs {args.jobs}, group {args.group}, chunks {args.chunk_ms}/{args.max_chunk_ms} ms; "
          f"shot changes {base['scd']:.2f} s (cached)")  # fmt: skip
    print(f"monolithic grouped burn ({len(langs)} langs): {base['mono']:.2f} s wall, {CPU['mono']:.1f} s cpu; "
          f"single-language burn ({langs[0]}): {base['single']:.2f} s wall, {CPU['single']:.1f} s cpu; "
          f"({langs[-1]}): {base['single_last']:.2f} s wall, {CPU['single_last']:.1f} s cpu")  # fmt: skip
    print("| step | wall s | cpu s | chunks encoded / reused | wall (cpu) vs grouped burn "
          "| wall (cpu) vs the single-language burn of the language it renders |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for i, (name, wall, done) in enumerate(rows):
        single = "single_last" if i == len(rows) - 1 else "single"  # the last row renders the last language
        vs_mono = f"{wall / base['mono']:.2f}x ({CPU[name] / CPU['mono']:.2f}x)"
        ratios = f"{vs_mono} | {wall / base[single]:.3f}x ({CPU[name] / CPU[single]:.3f}x)"
        print(f"| {name} | {wall:.2f} | {CPU[name]:.1f} | {done.encoded} / {done.reused} | {ratios} |")
    cpu_ratio = CPU["first chunked render"] / CPU["mono"]
    print(f"cpu, first chunked render / grouped burn: {cpu_ratio:.2f}x")
    print(f"largest chunk process (peak RSS): {base['chunk_rss']:.0f} MiB; largest of all, monolithic burns "
          f"included: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")  # fmt: skip


def _rounds(
    clip: Path, media: MediaInfo, reqs: Sequence[BurnRequest], folder: Path, args: argparse.Namespace
) -> list[tuple[float, float]]:
    """More rounds of row 1, alternately: a first render on an empty cache, then the grouped burn.
    Each round's (wall, cpu) ratio."""
    ratios = []
    for r in range(args.rounds - 1):
        cache = ChunkCache(folder / f"cache-round{r}")
        chunked = _timed(functools.partial(_chunked, clip, media, reqs, cache, args), f"round{r} chunked")[0]
        shutil.rmtree(cache.root)
        mono = _timed(lambda: burn(clip, media, reqs, Encoder()), f"round{r} mono")[0]
        ratios.append((chunked / mono, CPU[f"round{r} chunked"] / CPU[f"round{r} mono"]))
    return ratios


def _print_rounds(first: tuple[float, float], more: Sequence[tuple[float, float]]) -> None:
    every = [first, *more]
    shown = ", ".join(f"{w:.3f}x ({c:.3f}x)" for w, c in every)
    print(f"first render / grouped burn, wall (cpu), round by round: {shown}; median "
          f"{statistics.median(w for w, _ in every):.3f}x ({statistics.median(c for _, c in every):.3f}x)")  # fmt: skip


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--langs", default="en,ko,ar")
    parser.add_argument("--threads", type=int, default=1, help="x264 threads per chunk")
    parser.add_argument("--jobs", type=int, default=2, help="ffmpeg processes at once")
    parser.add_argument("--group", type=int, default=DEFAULT_GROUP, help="outputs (x264 instances) per process")
    parser.add_argument("--chunk-ms", type=int, default=chunks.TARGET_MS, help="target chunk length (plan)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the first render vs the grouped burn")
    parser.add_argument("--max-chunk-ms", type=int, default=chunks.MAX_MS, help="longest chunk (plan)")
    args = parser.parse_args()
    chunks.TARGET_MS, chunks.MAX_MS = args.chunk_ms, args.max_chunk_ms  # an experiment on the plan's lengths
    langs = args.langs.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = _clip(folder, args.seconds)
        media = probe(clip)
        base = {"scd": _timed(lambda: detect_shot_changes(clip, media), "scd")[0]}
        built = build_tracks(load_transcript(ROOT / "subtitles/promo/transcript.json"), langs, {}, Fraction(media.fps))
        rows = _steps(clip, media, built, langs, folder, args)
        base["chunk_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        reqs = [_request(built[lang], built[lang].track, media, folder, "mono") for lang in langs]
        base["mono"] = _timed(lambda: burn(clip, media, reqs, Encoder()), "mono")[0]
        base["single"] = _timed(lambda: burn(clip, media, reqs[:1], Encoder()), "single")[0]
        base["single_last"] = _timed(lambda: burn(clip, media, reqs[-1:], Encoder()), "single_last")[0]
        more = _rounds(clip, media, reqs, folder, args)
    _print(args, langs, base, rows)
    if more:
        _print_rounds((rows[0][1] / base["mono"], CPU["first chunked render"] / CPU["mono"]), more)


if __name__ == "__main__":
    main()
