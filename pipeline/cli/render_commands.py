"""The render-side commands of the CLI: run, tracks, burn, mux, doctor (imported when used)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path
from typing import TextIO

from pipeline.batch.approvals import unapproved
from pipeline.batch.defaults import SKIPPED
from pipeline.batch.files import burn_file, mux_files
from pipeline.batch.results import JobResult, VideoResult
from pipeline.batch.run import run_job
from pipeline.batch.steps import ProgressFactory, build_tracks, display_style, write_track_files
from pipeline.cli.common import langs_of
from pipeline.core.filecache import measured_afresh
from pipeline.core.profiles import canonical_tag
from pipeline.core.timecode import DEFAULT_FPS
from pipeline.ingest.job import load_job
from pipeline.ingest.segments import load_transcript
from pipeline.media.commands import burn_size
from pipeline.media.doctor import diagnose
from pipeline.media.ffmpeg import EncodeRate, ProgressFn
from pipeline.media.probe import probe
from pipeline.render.chunkburn import ChunkProgress
from pipeline.render.manifest import qc_verdict

LABEL_CHARS = 40  # the label column of every bar


def fit_label(label: str, width: int = LABEL_CHARS) -> str:
    """``label`` in ``width`` characters. A bracketed list of languages at its end (a grouped burn's) is
    shown whole or counted, never cut inside its bracket with some languages gone.

    >>> fit_label("burn promo [en ko ja zh-Hans ar es fr ru vi id]", 40)
    'burn promo [10 languages]'
    >>> fit_label("burn promo [en ko]", 32)
    'burn promo [en ko]'
    >>> fit_label("burn a-very-long-video-name-indeed [en ko ja]", 30)
    'burn a-very-lon… [3 languages]'
    >>> fit_label("burn promo [v2] [en ko ja zh-Hans ar es fr ru vi id]", 40)
    'burn promo [v2] [10 languages]'
    """
    if len(label) <= width:
        return label
    head, bracket, rest = label.rpartition(" [")  # the last bracket: a video's name may hold one ("promo [v2]")
    items = rest[:-1].split() if bracket and rest.endswith("]") and "]" not in rest[:-1] else []
    if not items:
        return label[:width]
    counted = f" [{len(items)} language{'s' if len(items) > 1 else ''}]"
    room = width - len(counted)
    return (head if len(head) <= room else head[: max(0, room - 1)] + "…") + counted


class BarLine:
    """One encode's line: a bar, the fraction, the time spent, and how fast it goes with an ETA.

    A chunked burn reports chunks done/total, source frames per second and its ETA (:meth:`chunks`);
    every other encode (the monolithic burn, the mux) ffmpeg's fps, speed and the seconds left
    (:meth:`rate`). No ETA is shown before there is a rate; the finished line says 0 s.
    """

    def __init__(self, stream: TextIO, label: str, width: int) -> None:
        self.stream, self.label, self.width = stream, fit_label(label), width
        self.started = time.monotonic()
        self.shown: tuple[int, int, int] = (-1, -1, -1)
        self.fraction = 0.0
        self.detail = ""
        self.done = -1
        self.speed: EncodeRate | None = None

    def __call__(self, fraction: float) -> None:
        """Draw the fraction done (the finished line once, with a newline)."""
        self.fraction = fraction
        self._draw()

    def chunks(self, progress: ChunkProgress) -> None:
        """Show chunks done/total, frames per second and the seconds left."""
        self.done = progress.done
        if not progress.total:  # nothing to encode
            self.detail = f" {progress.cached}/{progress.cached} chunks from cache"
            return  # the finished line shows it
        eta = f"ETA {progress.eta_s:4.0f}s" if progress.done < progress.total else "ETA    0s"
        cached = f" (+{progress.cached} from cache)" if progress.cached else ""
        self.detail = f" {progress.done}/{progress.total} chunks{cached} {progress.fps:5.0f} fps {eta}"
        self._draw()

    def rate(self, rate: EncodeRate) -> None:
        """Keep ffmpeg's fps, speed and seconds left for the line (a terminal redraws it at once)."""
        self.speed = rate
        if self.stream.isatty():
            self._draw()

    def _rate_text(self) -> str:
        rate = self.speed
        if self.detail or rate is None:
            return self.detail
        text = f" {rate.fps:5.0f} fps" if rate.fps > 0 else ""
        text += f" {rate.speed:5.1f}x" if rate.speed > 0 else ""
        eta = 0 if self.fraction >= 1.0 else None if rate.eta_s is None else math.ceil(rate.eta_s)
        return text + (f" ETA {eta:4d}s" if eta is not None else "")  # "0 s" only when done

    def _draw(self) -> None:
        """A terminal redraws its line in place on any change; a pipe (a CI log) gets a whole line per
        bar step, so a log holds about ``width`` lines per encode."""
        filled = int(self.fraction * self.width)
        rate, tty = self.speed, self.stream.isatty()
        left = -1 if rate is None or rate.eta_s is None or not tty else math.ceil(rate.eta_s)
        state = (filled, self.done, left) if tty else (filled, -1, -1)
        if state == self.shown or self.shown[0] == self.width:
            return  # nothing new to draw (and the finished line is drawn once)
        self.shown = state
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        line = f"{self.label:<{LABEL_CHARS}} [{bar}] {self.fraction:4.0%} {elapsed:5.1f}s{self._rate_text()}"
        if tty:
            self.stream.write(f"\r{line}\033[K" + ("\n" if self.fraction >= 1.0 else ""))
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()


class ProgressBar:
    """A one-line text progress bar on a terminal stream, one per encode."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width

    def __call__(self, label: str) -> ProgressFn:
        return BarLine(self.stream, label, self.width)


def _quiet(_label: str) -> ProgressFn | None:
    return None


def _progress(args: argparse.Namespace) -> ProgressFactory:
    return _quiet if args.quiet else ProgressBar(sys.stderr)


def _result_json(result: JobResult) -> str:
    videos = [
        {
            "name": v.name,
            "ok": v.ok,
            "manifest": str(v.manifest) if v.manifest else None,
            "files": [asdict(e) for e in v.entries],
            "failures": v.failures,
            "notes": v.notes,
            "qc": {lang: qc_verdict(found) for lang, found in sorted(v.qc.items())},
            "seconds": {k: round(s, 3) for k, s in v.seconds.items()},
        }
        for v in result.videos
    ]
    return json.dumps({"schema": 1, "ok": result.ok, "videos": videos}, ensure_ascii=False)


def _report(result: JobResult, as_json: bool = False) -> int:
    if as_json:
        print(_result_json(result))
        return 0 if result.ok else 1
    for video in result.videos:
        print(_summary(video))
        for what, lines in video.notes.items():  # the defaults that did not fit the source
            print("".join(f"  {what} {line}\n" for line in lines if line.startswith(SKIPPED)), end="")
        for what, why in video.failures.items():
            print(f"  FAILED {what}: {' '.join(why.split())}")
        if video.failures:
            failed = ", ".join(video.failures)
            print(f"error: {video.name}: {len(video.failures)} output(s) failed: {failed}", file=sys.stderr)
    return 0 if result.ok else 1


def _summary(video: VideoResult) -> str:
    """``clip: 6 files, 1 FAILED (probe 0.0s, ..., burn 0.0s (unchanged), ...); manifest: ...``"""
    stages = []
    for stage, seconds in video.seconds.items():
        reuse = video.reuse[stage].describe() if stage in video.reuse else ""
        stages.append(f"{stage} {seconds:.1f}s" + (f" ({reuse})" if reuse else ""))
    failed = f", {len(video.failures)} FAILED" if video.failures else ""
    return f"{video.name}: {len(video.entries)} files{failed} ({', '.join(stages)}); manifest: {video.manifest}"


def cmd_run(args: argparse.Namespace) -> int:
    """Run a job file."""
    job = load_job(args.job)
    if args.require_approval:
        missing = unapproved(job)
        if missing:
            print(f"subpipe run: not approved in the studio: {' '.join(missing)}", file=sys.stderr)
            return 1
    if args.workers is not None or args.scheduler is not None:
        from pipeline.cli.cluster import run_on_cluster  # imports Dask: only when asked for

        result = run_on_cluster(
            job, args.workers, args.scheduler, quiet=args.quiet, verbose=args.verbose, force=args.force
        )
        return _report(result, as_json=args.json)
    return _report(run_job(job, _progress(args), force=args.force), as_json=args.json)


def cmd_tracks(args: argparse.Namespace) -> int:
    """Build subtitle tracks (SRT, VTT, ASS) for each language from a transcript."""
    langs = [canonical_tag(tag) for tag in args.lang]  # a bad tag is refused before anything is read
    transcript = load_transcript(args.transcript, encoding=args.encoding, lenient=args.lenient, hint_langs=langs)
    media = probe(args.video) if args.video else None
    media = media if media and media.width else None  # audio only: no picture to lay out for
    fps = media.fps if media and media.fps else DEFAULT_FPS
    size = burn_size(media) if media else (1920, 1080)
    style = display_style({}, (media.display_width, media.display_height)) if media else {}
    sar = media.sar if media else Fraction(1)
    stem = Path(args.video or args.transcript).stem
    for item in build_tracks(transcript, langs, {}, fps, media=media).values():
        for path in write_track_files(item, stem, Path(args.output), ("srt", "vtt", "ass"), size, style, sar):
            print(path)
    return 0


def cmd_burn(args: argparse.Namespace) -> int:
    """Burn one subtitle file into a video (libass, with the language's font)."""
    sub = Path(args.subtitle)
    lang = langs_of(args, [sub])[0]
    progress = _progress(args)("burn")
    with measured_afresh(args.force):  # --force: the source's frame table and picture read again too
        out = burn_file(
            args.video,
            sub,
            args.output,
            lang,
            encoding=args.encoding,
            lenient=args.lenient,
            on_progress=progress,
            force=args.force,
        )
    print(out)
    return 0


def cmd_mux(args: argparse.Namespace) -> int:
    """Add subtitle files to a video as soft tracks (stream copy; MKV or MP4 by the output's name)."""
    subs = [Path(p) for p in args.subtitles]
    out = mux_files(
        args.video,
        subs,
        langs_of(args, subs),
        args.output,
        default=args.default,
        encoding=args.encoding,
        lenient=args.lenient,
        on_progress=_progress(args)("mux"),
    )
    print(out)
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    """Show the ffmpeg found and what it can do, and a font for each language."""
    checks = diagnose()
    for check in checks:
        print(f"{'ok ' if check.ok else 'BAD'}  {check.name:<28} {check.detail}")
    return 0 if all(c.ok for c in checks) else 1
