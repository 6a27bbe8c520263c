"""The command line: ``subpipe`` / ``python -m pipeline``. The only place that prints or exits.

Exit codes: 0 success, 1 the work failed or found errors, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import json
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
from pipeline.outputs import write_text
from pipeline.probe import probe
from pipeline.profiles import get_profile
from pipeline.qc import check_file, exit_code, video_facts
from pipeline.render import Encoder
from pipeline.report import to_json, to_text
from pipeline.report_html import to_html
from pipeline.segments import language_from_name, load_transcript
from pipeline.steps import LangTrack, ProgressFactory, build_tracks, burn_tracks, mux_tracks, write_track_files
from pipeline.subformats import compose_srt, compose_vtt, read_subtitles
from pipeline.sync import DEFAULT_MAX_OFFSET_MS, MIN_CONFIDENCE, SyncResult, apply, synchronize
from pipeline.timecode import DEFAULT_FPS, parse_fps
from pipeline.vad import detect_speech


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
    transcript = load_transcript(args.transcript, encoding=args.encoding, lenient=args.lenient)
    media = probe(args.video) if args.video else None
    fps = media.fps if media and media.fps else DEFAULT_FPS
    size = (media.width, media.height) if media else (1920, 1080)
    stem = Path(args.video or args.transcript).stem
    for item in build_tracks(transcript, args.lang, {}, fps).values():
        for path in write_track_files(item, stem, Path(args.output), ("srt", "vtt", "ass"), size, {}):
            print(path)
    return 0


def _read_lang_tracks(
    paths: Sequence[Path], langs: Sequence[str], encoding: str | None, lenient: bool = False
) -> list[LangTrack]:
    items = []
    for path, lang in zip(paths, langs, strict=True):
        profile = get_profile(lang)
        items.append(LangTrack(read_subtitles(path, profile.tag, encoding, lenient=lenient), profile))
    return items


def cmd_burn(args: argparse.Namespace) -> int:
    """Burn one subtitle file into a video (libass, with the language's font)."""
    sub = Path(args.subtitle)
    item = _read_lang_tracks([sub], _langs_of(args, [sub]), args.encoding, args.lenient)[0]
    video = Path(args.video)
    out = burn_tracks(video, probe(video), [(item, Path(args.output))], {}, Encoder(), _progress(args)("burn"))
    print(out[0])
    return 0


def cmd_mux(args: argparse.Namespace) -> int:
    """Add subtitle files to a video as soft tracks (stream copy; MKV or MP4 by the output's name)."""
    subs = [Path(p) for p in args.subtitles]
    items = _read_lang_tracks(subs, _langs_of(args, subs), args.encoding, args.lenient)
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


def _add_strictness(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--lenient", action="store_true", help="repair malformed input that can be repaired unambiguously (warns)"
    )
    group.add_argument("--strict", dest="lenient", action="store_false", help="refuse malformed input (default)")


_RENDER = {"text": to_text, "json": to_json, "html": to_html}


def cmd_check(args: argparse.Namespace) -> int:
    """Check subtitle files' timing against the rules, the audio and the shot changes; exit 1 on errors."""
    subs = [Path(p) for p in args.subtitles]
    langs = _langs_of(args, subs)
    try:
        fps = parse_fps(args.fps) if args.fps else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    facts = video_facts(Path(args.video)) if args.video else None
    reports = [check_file(p, lang, facts, fps, args.encoding) for p, lang in zip(subs, langs, strict=True)]
    text = _RENDER[args.format](reports)
    if args.output:
        print(write_text(Path(args.output), text))
        print(to_text(reports).splitlines()[-1])
    else:
        sys.stdout.write(text)
    return exit_code(reports)


def _sync_json(result: SyncResult, written: Sequence[Path]) -> str:
    doc = {
        "ok": result.ok,
        "ratio": round(result.ratio, 6),
        "offset_ms": result.offset_ms,
        "pieces": [{"from_ms": p.from_ms, "offset_ms": p.offset_ms} for p in result.pieces],
        "confidence": result.confidence,
        "min_confidence": MIN_CONFIDENCE,
        "written": [str(p) for p in written],
    }
    return json.dumps(doc, indent=2)


def _sync_targets(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    out = Path(args.output)
    pairs = [(Path(args.subtitle), out)]
    for other in args.apply_to or []:
        source = Path(other)
        target = out.parent / source.name
        if target.resolve() == source.resolve():
            raise UsageError(f"{source}: writing it beside -o {out} would overwrite it; choose another output folder")
        pairs.append((source, target))
    return pairs


def cmd_sync(args: argparse.Namespace) -> int:
    """Align subtitles to the video's speech (offset, frame-rate ratio, split edits); refuse when unsure."""
    pairs = _sync_targets(args)
    langs = _langs_of(args, [src for src, _ in pairs])
    tracks = [read_subtitles(src, lang, args.encoding) for (src, _), lang in zip(pairs, langs, strict=True)]
    video = Path(args.video)
    media = probe(video)
    if not media.has_audio:
        raise InputError(video, "no audio stream to synchronise against")
    speech = detect_speech(video)
    result = synchronize(tracks[0], speech, max_offset_ms=args.max_offset * 1000, splits=not args.no_splits)
    written: list[Path] = []
    if result.ok:
        for track, (_, target) in zip(tracks, pairs, strict=True):
            moved = apply(track, result, media.fps or None)
            compose = compose_vtt if target.suffix.lower() == ".vtt" else compose_srt
            written.append(write_text(target, compose(moved)))
    if args.json:
        print(_sync_json(result, written))
    else:
        shifts = ", ".join(f"{p.offset_ms:+d} ms from {p.from_ms} ms" for p in result.pieces)
        print(f"ratio {result.ratio:.5f}, offsets {shifts}, confidence {result.confidence:.2f}")
        for path in written:
            print(path)
    if not result.ok:
        print(f"error: confidence {result.confidence:.2f} < {MIN_CONFIDENCE}: nothing written", file=sys.stderr)
        return 1
    return 0


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
    _add_strictness(p)
    p.set_defaults(func=cmd_tracks)
    p = sub.add_parser("burn", help=cmd_burn.__doc__, description=cmd_burn.__doc__)
    p.add_argument("video")
    p.add_argument("subtitle")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--lang", action="append", help="the subtitle's language (default: from its name)")
    p.add_argument("--encoding", help="the subtitles' encoding when it is not UTF-8/UTF-16 with BOM")
    _add_strictness(p)
    p.set_defaults(func=cmd_burn)
    p = sub.add_parser("mux", help=cmd_mux.__doc__, description=cmd_mux.__doc__)
    p.add_argument("video")
    p.add_argument("subtitles", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--lang", action="append", help="each subtitle's language, in order (default: from names)")
    p.add_argument("--default", help="the default track's language (default: the first)")
    p.add_argument("--encoding", help="the subtitles' encoding when it is not UTF-8/UTF-16 with BOM")
    _add_strictness(p)
    p.set_defaults(func=cmd_mux)
    p = sub.add_parser("doctor", help=cmd_doctor.__doc__, description=cmd_doctor.__doc__)
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("check", help=cmd_check.__doc__, description=cmd_check.__doc__)
    p.add_argument("subtitles", nargs="+", metavar="SUB")
    p.add_argument("--video", help="the video: shot changes, its length, and speech for the audio findings")
    p.add_argument("--lang", action="append", help="each subtitle's language, in order (default: from names)")
    p.add_argument("--fps", help="frame rate without --video, e.g. 30000/1001 (frame-grid findings)")
    p.add_argument("--format", choices=sorted(_RENDER), default="text")
    p.add_argument("-o", "--output", help="write the report here (default: stdout)")
    p.add_argument("--encoding", help="the subtitles' encoding when it is not UTF-8/UTF-16 with BOM")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("sync", help=cmd_sync.__doc__, description=cmd_sync.__doc__)
    p.add_argument("subtitle", metavar="SUB")
    p.add_argument("--video", required=True)
    p.add_argument("-o", "--output", required=True, help="the corrected file (SRT, or VTT by its name)")
    p.add_argument("--apply-to", action="append", metavar="SUB2", help="apply the same correction (repeat)")
    p.add_argument("--lang", action="append", help="each subtitle's language, in order (default: from names)")
    p.add_argument("--max-offset", type=int, default=DEFAULT_MAX_OFFSET_MS // 1000, help="seconds (default 60)")
    p.add_argument("--no-splits", action="store_true", help="one offset for the whole file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--encoding", help="the subtitles' encoding when it is not UTF-8/UTF-16 with BOM")
    p.set_defaults(func=cmd_sync)
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
    except OSError as exc:  # the system refused something no stage anticipated: a message, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())
