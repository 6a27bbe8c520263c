"""The command line: ``subpipe`` / ``python -m pipeline``. The only place that prints or exits.

Exit codes: 0 success, 1 the work failed or found errors, 2 bad input or usage. Each command lives
in :mod:`pipeline.cli.render_commands` or :mod:`pipeline.cli.qc_commands` and is imported only
when it runs, so ``subpipe check`` does not pay for the render stack's imports.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.core.errors import InputError, PipelineError, UsageError

# command -> (module, function, description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": (
        "pipeline.cli.render_commands",
        "cmd_run",
        "Run a job file (default ./subpipe.toml): tracks, burned cuts, soft-subtitled files, manifest.",
    ),
    "tracks": (
        "pipeline.cli.render_commands",
        "cmd_tracks",
        "Build subtitle tracks (SRT, VTT, ASS) for each language from a transcript.",
    ),
    "burn": (
        "pipeline.cli.render_commands",
        "cmd_burn",
        "Burn one subtitle file into a video (libass, with the language's font).",
    ),
    "mux": (
        "pipeline.cli.render_commands",
        "cmd_mux",
        "Add subtitle files to a video as soft tracks (stream copy; MKV or MP4 by the output's name).",
    ),
    "doctor": (
        "pipeline.cli.render_commands",
        "cmd_doctor",
        "Show the ffmpeg found and what it can do, and a font for each language.",
    ),
    "cache": (
        "pipeline.cli.cache_commands",
        "cmd_cache",
        "Show the chunk cache of burned cuts (SUBPIPE_CACHE) and its size; --max-size prunes it (LRU).",
    ),
    "check": (
        "pipeline.cli.qc_commands",
        "cmd_check",
        "Check subtitle files' timing against the rules, the audio and the shot changes; exit 1 on errors.",
    ),
    "convert": (
        "pipeline.cli.convert_commands",
        "cmd_convert",
        "Convert a subtitle file (SRT, VTT, ASS/SSA, or a transcript with --lang) to SRT, VTT or ASS, in UTF-8.",
    ),
    "sync": (
        "pipeline.cli.qc_commands",
        "cmd_sync",
        "Align subtitles to the video's speech (offset, frame-rate ratio, split edits); refuse when unsure.",
    ),
}
_ENCODING_HELP = "the input's encoding when it is not UTF-8/UTF-16 with BOM; auto: the best guess"
_LANGS_HELP = "each subtitle's language, in order (default: from names)"


def _add_strictness(p: argparse.ArgumentParser, lenient_default: bool = False) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--lenient",
        action="store_true",
        default=lenient_default,
        help="repair malformed input that can be repaired unambiguously (warns)"
        + (" (default)" if lenient_default else ""),
    )
    group.add_argument(
        "--strict",
        dest="lenient",
        action="store_false",
        help="refuse malformed input" + ("" if lenient_default else " (default)"),
    )


def _add_render_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(sub, "run")
    p.add_argument("job", nargs="?", default="subpipe.toml")
    p.add_argument("--json", action="store_true", help="print the result (files, failures, QC verdicts) as JSON")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="run the videos on a local Dask cluster of N processes")
    where.add_argument("--scheduler", metavar="ADDR", help="run the videos on a running Dask cluster (tcp://HOST:PORT)")
    p.add_argument("--force", action="store_true", help="burn every cut again (no manifest or cached chunk reused)")
    p = _command(sub, "tracks")
    p.add_argument("transcript")
    p.add_argument("--lang", action="append", required=True, help="a language to build (repeat)")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--video", help="the video, for its frame rate and size")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    _add_strictness(p)
    p = _command(sub, "burn")
    p.add_argument("video")
    p.add_argument("subtitle")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--lang", action="append", help="the subtitle's language (default: from its name)")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    p.add_argument("--force", action="store_true", help="encode every chunk again (no cached chunk reused)")
    _add_strictness(p)
    p = _command(sub, "mux")
    p.add_argument("video")
    p.add_argument("subtitles", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--lang", action="append", help=_LANGS_HELP)
    p.add_argument("--default", help="the default track's language (default: the first)")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    _add_strictness(p)
    _command(sub, "doctor")
    p = _command(sub, "cache")
    p.add_argument("--max-size", metavar="SIZE", help="drop least recently used chunks until at most SIZE (e.g. 2G)")


def _add_qc_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(sub, "check")
    p.add_argument("subtitles", nargs="+", metavar="SUB")
    p.add_argument("--video", help="the video: shot changes, its length, and speech for the audio findings")
    p.add_argument("--lang", action="append", help=_LANGS_HELP)
    p.add_argument("--fps", help="frame rate without --video, e.g. 30000/1001 (frame-grid findings)")
    p.add_argument("--format", choices=["html", "json", "text"], default="text")
    p.add_argument("-o", "--output", help="write the report here (default: stdout)")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    _add_strictness(p, lenient_default=True)
    p = _command(sub, "sync")
    p.add_argument("subtitle", metavar="SUB")
    p.add_argument("--video", required=True)
    p.add_argument("-o", "--output", required=True, help="the corrected file (SRT, or VTT by its name)")
    p.add_argument("--apply-to", action="append", metavar="SUB2", help="apply the same correction (repeat)")
    p.add_argument("--lang", action="append", help=_LANGS_HELP)
    p.add_argument("--max-offset", type=int, default=60, help="seconds (default 60)")
    p.add_argument("--no-splits", action="store_true", help="one offset for the whole file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    p = _command(sub, "convert")
    p.add_argument("input", metavar="IN", help="SRT, VTT, ASS, SSA, or a transcript (JSON, CSV, TSV)")
    p.add_argument("output", metavar="OUT", help="the output: .srt, .vtt or .ass (UTF-8)")
    p.add_argument("--lang", help="the language (a transcript's column; informs an encoding guess)")
    p.add_argument("--encoding", help="the input's encoding (default: a legacy one is guessed, and said)")
    _add_strictness(p)


def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str) -> argparse.ArgumentParser:
    description = COMMANDS[name][2]
    p = sub.add_parser(name, help=description, description=description)
    p.set_defaults(command=name)
    _add_global_options(p, argparse.SUPPRESS)  # also after the command; unset here keeps the global value
    return p


def _add_global_options(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument("--quiet", "-q", action="store_true", default=default, help="no progress bars")
    p.add_argument("--verbose", "-v", action="store_true", default=default, help="log details to stderr")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="subpipe", description="Subtitle production pipeline.")
    _add_global_options(parser, False)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_render_commands(sub)
    _add_qc_commands(sub)
    return parser


def _resolve(name: str) -> Callable[[argparse.Namespace], int]:
    module, function, _ = COMMANDS[name]
    func: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), function)
    return func


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    _configure_logging(args.verbose)
    try:
        code = _resolve(args.command)(args)
    except (InputError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _print_log(exc, verbose=args.verbose)
        return 1
    except OSError as exc:  # the system refused something no stage anticipated: a message, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, or a library below us failing in a way no stage anticipated
        print(f"error: unexpected {type(exc).__name__}: {exc} (--verbose shows where)", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 1
    return code


def _configure_logging(verbose: bool) -> None:
    """Warnings to stderr; with ``-v`` also pipeline's INFO lines (what each stage decided), not other
    libraries'. The level is set on the ``pipeline`` logger itself: ``basicConfig`` does nothing when
    the root logger already has a handler, and an earlier ``main()`` in the process must not leave it."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("pipeline").setLevel(logging.INFO if verbose else logging.NOTSET)


def _print_log(exc: PipelineError, *, verbose: bool) -> None:
    """With --verbose, ffmpeg's full log (the file the one-line message names) goes to stderr too."""
    log = getattr(exc, "log_path", None)
    if verbose and log:
        try:
            text = Path(log).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        print(f"--- {log} ---\n{text}", file=sys.stderr, end="")


def main_exit() -> None:
    """Console-script entry point."""
    sys.exit(main())
