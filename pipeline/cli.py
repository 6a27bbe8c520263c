"""The command line: ``subpipe`` / ``python -m pipeline``. The only place that prints or exits.

Exit codes: 0 success, 1 the work failed or found errors, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pipeline.batch import JobResult, run_job
from pipeline.doctor import diagnose
from pipeline.errors import InputError, PipelineError, UsageError
from pipeline.ffmpeg import ProgressFn
from pipeline.job import load_job
from pipeline.probe import probe
from pipeline.profiles import get_profile
from pipeline.render import Encoder
from pipeline.segments import language_from_name, load_transcript
from pipeline.steps import LangTrack, ProgressFactory, build_tracks, burn_tracks, mux_tracks, write_track_files
from pipeline.subformats import read_subtitles
from pipeline.timecode import DEFAULT_FPS


class ProgressBar:
    """A one-line text progress bar on a terminal stream, one per encode."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width

    def __call__(self, label: str) -> ProgressFn:
        started = time.monotonic()
        state = {"shown": -1}

        def update(fraction: float) -> None:
            filled = int(fraction * self.width)
            if filled == state["shown"]:
                return  # nothing new to draw (and the finished line is drawn once)
            state["shown"] = filled
            bar = "#" * filled + "-" * (self.width - filled)
            end = "\n" if fraction >= 1.0 else ""
            elapsed = time.monotonic() - started
            self.stream.write(f"\r{label:<40.40} [{bar}] {fraction:4.0%} {elapsed:5.1f}s{end}")
            self.stream.flush()

        return update


def _quiet(_label: str) -> ProgressFn | None:
    return None


def _progress(args: argparse.Namespace) -> ProgressFactory:
    return _quiet if args.quiet else ProgressBar(sys.stderr)


def _report(result: JobResult) -> int:
    for video in result.videos:
        produced = len(video.entries)
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in video.seconds.items())
        print(f"{video.name}: {produced} files ({stages}); manifest: {video.manifest}")
        for what, why in video.failures.items():
            print(f"  FAILED {what}: {why}", file=sys.stderr)
    return 0 if result.ok else 1


def cmd_run(args: argparse.Namespace) -> int:
    """Run a job file (default ./subpipe.toml): tracks, burned cuts, soft-subtitled files, manifest."""
    job = load_job(args.job)
    return _report(run_job(job, _progress(args)))


def _langs_of(args: argparse.Namespace, paths: Sequence[Path]) -> list[str]:
    given = list(args.lang or [])
    if given and len(given) != len(paths):
        raise UsageError(f"{len(paths)} subtitle file(s) but {len(given)} --lang value(s)")
    out = []
    for i, path in enumerate(paths):
        lang = given[i] if given else language_from_name(path)
        if lang is None:
            raise UsageError(f"{path}: cannot tell its language; name it <stem>.<lang>.srt or pass --lang")
        out.append(lang)
    return out


def cmd_tracks(args: argparse.Namespace) -> int:
    """Build subtitle tracks (SRT, VTT, ASS) for each language from a transcript."""
    transcript = load_transcript(args.transcript, encoding=args.encoding)
    media = probe(args.video) if args.video else None
    fps = media.fps if media and media.fps else DEFAULT_FPS
    size = (media.width, media.height) if media else (1920, 1080)
    stem = Path(args.video or args.transcript).stem
    for item in build_tracks(transcript, args.lang, {}, fps).values():
        for path in write_track_files(item, stem, Path(args.output), ("srt", "vtt", "ass"), size, {}):
            print(path)
    return 0


def _read_lang_tracks(paths: Sequence[Path], langs: Sequence[str], encoding: str | None) -> list[LangTrack]:
    items = []
    for path, lang in zip(paths, langs, strict=True):
        profile = get_profile(lang)
        items.append(LangTrack(read_subtitles(path, profile.tag, encoding), profile))
    return items


def cmd_burn(args: argparse.Namespace) -> int:
    """Burn one subtitle file into a video (libass, with the language's font)."""
    sub = Path(args.subtitle)
    item = _read_lang_tracks([sub], _langs_of(args, [sub]), args.encoding)[0]
    video = Path(args.video)
    out = burn_tracks(video, probe(video), [(item, Path(args.output))], {}, Encoder(), _progress(args)("burn"))
    print(out[0])
    return 0


def cmd_mux(args: argparse.Namespace) -> int:
    """Add subtitle files to a video as soft tracks (stream copy; MKV or MP4 by the output's name)."""
    subs = [Path(p) for p in args.subtitles]
    items = _read_lang_tracks(subs, _langs_of(args, subs), args.encoding)
    default = get_profile(args.default).tag if args.default else items[0].profile.tag
    video = Path(args.video)
    out = mux_tracks(video, probe(video), items, default, Path(args.output), _progress(args)("mux"))
    print(out)
    return 0


def cmd_doctor(_args: argparse.Namespace) -> int:
    """Show the ffmpeg found and what it can do, and a font for each language."""
    checks = diagnose()
    for check in checks:
        print(f"{'ok ' if check.ok else 'BAD'}  {check.name:<28} {check.detail}")
    return 0 if all(c.ok for c in checks) else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="subpipe", description="Subtitle production pipeline.")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help=cmd_run.__doc__, description=cmd_run.__doc__)
    p.add_argument("job", nargs="?", default="subpipe.toml")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("tracks", help=cmd_tracks.__doc__, description=cmd_tracks.__doc__)
    p.add_argument("transcript")
    p.add_argument("--lang", action="append", required=True, help="a language to build (repeat)")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--video", help="the video, for its frame rate and size")
    p.add_argument("--encoding", help="the transcript's encoding when it is not UTF-8/UTF-16 with BOM")
    p.set_defaults(func=cmd_tracks)
    p = sub.add_parser("burn", help=cmd_burn.__doc__, description=cmd_burn.__doc__)
    p.add_argument("video")
    p.add_argument("subtitle")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--lang", action="append", help="the subtitle's language (default: from its name)")
    p.add_argument("--encoding")
    p.set_defaults(func=cmd_burn)
    p = sub.add_parser("mux", help=cmd_mux.__doc__, description=cmd_mux.__doc__)
    p.add_argument("video")
    p.add_argument("subtitles", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--lang", action="append", help="each subtitle's language, in order (default: from names)")
    p.add_argument("--default", help="the default track's language (default: the first)")
    p.add_argument("--encoding")
    p.set_defaults(func=cmd_mux)
    p = sub.add_parser("doctor", help=cmd_doctor.__doc__, description=cmd_doctor.__doc__)
    p.set_defaults(func=cmd_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        code: int = args.func(args)
    except (InputError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())
