"""The command line: ``subpipe`` / ``python -m pipeline``. The only place that prints or exits.

Exit codes: 0 success, 1 the work failed or found errors, 2 bad input or usage. Each command lives
in :mod:`pipeline.cli.render_commands` or :mod:`pipeline.cli.qc_commands` and is imported only
when it runs, so ``subpipe check`` does not pay for the render stack's imports.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.cli.align_commands import add_align_arguments
from pipeline.cli.process import Terminated, configure_logging, sigterm_as_interrupt
from pipeline.cli.studio_args import add_studio_arguments
from pipeline.core.errors import InputError, PipelineError, UsageError

# command -> (module, function, description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "align": (
        "pipeline.cli.align_commands",
        "cmd_align",
        "Time a script from the audio: plain text or an untimed transcript JSON -> transcript JSON.",
    ),
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
        "Show the chunk cache of burned cuts (SUBPIPE_CACHE) and its size; --max-size prunes it (a local cache: least "
        "recently used first; an s3:// cache: oldest upload first, sparing the last hour's).",
    ),
    "check": (
        "pipeline.cli.qc_commands",
        "cmd_check",
        "Check subtitle files' timing against the rules, the audio and the shot changes; exit 1 on errors.",
    ),
    "convert": (
        "pipeline.cli.convert_commands",
        "cmd_convert",
        "Convert a subtitle file (SRT, VTT, ASS/SSA, TTML, SCC, STL, a transcript) to SRT, VTT, ASS, TTML, SCC or STL.",
    ),
    "studio": (
        "pipeline.cli.studio_commands",
        "cmd_studio",
        "Review, fix and approve every language of a job in the browser; the burned cuts follow the edits.",
    ),
    "sync": (
        "pipeline.cli.qc_commands",
        "cmd_sync",
        "Align subtitles to the video's speech (offset, frame-rate ratio, split edits); refuse when unsure.",
    ),
}
_ENCODING_HELP = "the input's encoding when it is not UTF-8/UTF-16 with BOM; auto: the best guess"
_LANGS_HELP = "a subtitle's language (BCP 47, e.g. en, zh-Hant), one --lang per file in order (default: from names)"
_OUTPUT_HELP = "the output file; its extension picks the container (.mp4, .mkv, ...)"
_SUB_HELP = "a subtitle file (SRT, VTT, ASS); its language from its name <stem>.<lang>.srt, or --lang"
# --lenient / --strict: (lenient's help, strict's help) for commands that build outputs, and for check.
_BUILD_STRICTNESS = (
    "repair what can be repaired unambiguously and drop unusable cues, with one warning each",
    "refuse malformed input, naming every problem with its file and line (exit 2) (default)",
)
_CHECK_STRICTNESS = (
    "report what the reader repaired as warnings (default)",
    "report what the reader repaired as errors (exit 1), as a release would refuse it",
)


def _add_strictness(p: argparse.ArgumentParser, lenient_default: bool = False) -> None:
    helps = _CHECK_STRICTNESS if lenient_default else _BUILD_STRICTNESS
    group = p.add_mutually_exclusive_group()
    group.add_argument("--lenient", action="store_true", default=lenient_default, help=helps[0])
    group.add_argument("--strict", dest="lenient", action="store_false", help=helps[1])


def _language(text: str) -> str:
    """A --lang value: one tag (``--lang en,ar`` is refused with the repeated form to use)."""
    if "," in text:
        tags = [t.strip() for t in text.split(",") if t.strip()]
        again = " ".join(f"--lang {t}" for t in tags)
        raise argparse.ArgumentTypeError(f"{text!r}: one language per --lang; repeat it: {again}")
    return text


def _one_language(text: str) -> str:
    """The --lang value of a command that reads one file."""
    if "," in text:
        raise argparse.ArgumentTypeError(f"{text!r}: give one language (this command reads one file)")
    return text


def _add_lang(p: argparse.ArgumentParser, help_text: str, *, required: bool = False, one: bool = False) -> None:
    kind = _one_language if one else _language
    p.add_argument("--lang", action="append", type=kind, required=required, metavar="LANG", help=help_text)


def _add_render_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(sub, "run")
    p.add_argument("job", nargs="?", default="subpipe.toml", help="the job file (default: ./subpipe.toml)")
    p.add_argument("--json", action="store_true", help="print the result (files, failures, QC verdicts) as JSON")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="run the videos on a local Dask cluster of N processes")
    where.add_argument("--scheduler", metavar="ADDR", help="run the videos on a running Dask cluster (tcp://HOST:PORT)")
    p.add_argument(
        "--force",
        action="store_true",
        help="burn every cut again (no manifest, cached chunk, source measurement or built track reused)",
    )
    p.add_argument(
        "--require-approval",
        action="store_true",
        help="exit 1, rendering nothing, unless every language of every video is approved in the studio",
    )
    p = _command(sub, "tracks")
    p.add_argument("transcript", help="subpipe JSON, Whisper JSON, a CSV/TSV sheet, SRT or VTT")
    _add_lang(p, "a language to build (BCP 47, e.g. en, zh-Hant); repeat for more", required=True)
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--video", help="the video, for its frame rate and size")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    _add_strictness(p)
    p = _command(sub, "burn")
    p.add_argument("video", help="the video to burn the subtitles into")
    p.add_argument("subtitle", help=_SUB_HELP)
    p.add_argument("-o", "--output", required=True, help=_OUTPUT_HELP)
    _add_lang(p, "the subtitle's language (default: from its name)", one=True)
    p.add_argument("--encoding", help=_ENCODING_HELP)
    p.add_argument(
        "--force", action="store_true", help="encode every chunk again (no cached chunk or source measurement reused)"
    )
    _add_strictness(p)
    p = _command(sub, "mux")
    p.add_argument("video", help="the video (every stream is copied, not encoded)")
    p.add_argument("subtitles", nargs="+", metavar="SUB", help=_SUB_HELP + "; one soft track each")
    p.add_argument("-o", "--output", required=True, help="the output: .mkv or .mp4 (the container follows the name)")
    _add_lang(p, _LANGS_HELP)
    p.add_argument("--default", metavar="LANG", help="the default track's language (default: the first)")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    _add_strictness(p)
    _command(sub, "doctor")
    p = _command(sub, "cache")
    p.add_argument(
        "--max-size",
        metavar="SIZE",
        help="drop chunks until at most SIZE (e.g. 2G): a local cache least recently used first; an s3:// cache "
        "oldest upload first, never one uploaded in the last hour (a running job reads it back)",
    )


def _add_qc_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = _command(sub, "check")
    p.add_argument("subtitles", nargs="+", metavar="SUB", help=_SUB_HELP)
    p.add_argument("--video", help="the video: shot changes, its length, and speech for the audio findings")
    _add_lang(p, _LANGS_HELP)
    p.add_argument("--fps", help="frame rate without --video, e.g. 30000/1001 (frame-grid findings)")
    p.add_argument(
        "--format", choices=["html", "json", "text"], default="text", help="the report's form (default: text)"
    )
    p.add_argument("-o", "--output", help="write the report here (default: stdout)")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    _add_strictness(p, lenient_default=True)
    p = _command(sub, "sync")
    p.add_argument("subtitle", metavar="SUB", help="the subtitles to align; its language from its name, or --lang")
    p.add_argument("--video", required=True, help="the video whose speech the subtitles are aligned to")
    p.add_argument("-o", "--output", required=True, help="the corrected file (SRT, or VTT by its name)")
    p.add_argument("--apply-to", action="append", metavar="SUB2", help="apply the same correction (repeat)")
    _add_lang(p, _LANGS_HELP)
    p.add_argument(
        "--max-offset", type=int, default=60, metavar="S", help="the largest shift searched, in seconds (default 60)"
    )
    p.add_argument("--no-splits", action="store_true", help="one offset for the whole file")
    p.add_argument(
        "--min-confidence",
        type=float,
        metavar="C",
        help="refuse under this confidence, 0-1 (default 0.6; 0 applies any fit, with no proof asked)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--encoding", help=_ENCODING_HELP)
    p = _command(sub, "convert")
    p.add_argument("input", metavar="IN", help="SRT, VTT, ASS, SSA, TTML, SCC, STL, or a transcript (JSON, CSV, TSV)")
    p.add_argument(
        "output", metavar="OUT", help="the output: .srt, .vtt, .ass, .ttml (TTML1), .imsc.ttml (IMSC 1.1), .scc or .stl"
    )
    p.add_argument("--lang", type=_one_language, help="the language (a transcript's column; informs an encoding guess)")
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
    parser.add_argument("--version", action="version", version=f"subpipe {_version()}", help="print the version")
    _add_global_options(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="what to do (subpipe COMMAND --help)")
    _add_render_commands(sub)
    _add_qc_commands(sub)
    add_studio_arguments(_command(sub, "studio"))
    add_align_arguments(_command(sub, "align"))
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("subpipe")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


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
    if args.command is None:  # a bare `subpipe`: the help, and 2 as for any usage that asks for nothing
        parser.print_help()
        return 2
    configure_logging(args.verbose)
    with sigterm_as_interrupt():
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        code = _resolve(args.command)(args)
    except (InputError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PipelineError as exc:  # 1, or the error's own code (2: a storage URL that cannot be used)
        print(f"error: {exc}", file=sys.stderr)
        _print_log(exc, verbose=args.verbose)
        return exc.exit_code
    except OSError as exc:  # the system refused something no stage anticipated: a message, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except Terminated:
        print("terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, or a library below us failing in a way no stage anticipated
        print(f"error: unexpected {type(exc).__name__}: {exc} (--verbose shows where)", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 1
    return code


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
