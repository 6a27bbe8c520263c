"""The checking commands of the CLI: check and sync (imported when used)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.common import langs_of
from pipeline.core.errors import InputError, UsageError
from pipeline.core.timecode import parse_fps
from pipeline.qc.check import FileReport, check_file, exit_code, video_facts
from pipeline.qc.report import summary_line, to_json, to_text
from pipeline.qc.report_html import to_html
from pipeline.render.outputs import write_text

if TYPE_CHECKING:
    from pipeline.qc.sync import SyncResult

_RENDER = {"text": to_text, "json": to_json, "html": to_html}


def _check_each(args: argparse.Namespace, subs: list[Path], langs: list[str]) -> tuple[list[FileReport], int]:
    """A report per readable file; each unreadable one is named on stderr. Returns the reports and
    how many files could not be read at all."""
    try:
        fps = parse_fps(args.fps) if args.fps else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    facts = video_facts(Path(args.video)) if args.video else None
    reports, unreadable = [], 0
    for path, lang in zip(subs, langs, strict=True):
        try:
            reports.append(check_file(path, lang, facts, fps, args.encoding, lenient=args.lenient))
        except InputError as exc:  # nothing in it can be read: binary, empty, not subtitles
            print(f"error: {exc}", file=sys.stderr)
            unreadable += 1
    return reports, unreadable


def cmd_check(args: argparse.Namespace) -> int:
    """Check subtitle files as a linter: every problem and rule finding with its line.

    Exit 0 when clean, 1 when there are error findings (``--strict``: repairs count as errors),
    2 when a file cannot be read at all (binary, empty, not SRT or WebVTT).
    """
    subs = [Path(p) for p in args.subtitles]
    langs = langs_of(args, subs)
    reports, unreadable = _check_each(args, subs, langs)
    if reports:
        text = _RENDER[args.format](reports)
        if args.output:
            print(write_text(Path(args.output), text))
            print(summary_line(reports))
        else:
            sys.stdout.write(text)
    return 2 if unreadable else exit_code(reports)


def _sync_json(result: SyncResult, written: Sequence[Path]) -> str:
    from pipeline.qc.syncproof import MIN_MARGIN, MIN_SPEECH_SPANS, refusal

    doc = {
        "ok": result.ok,
        "ratio": round(result.ratio, 6),
        "offset_ms": result.offset_ms,
        "pieces": [{"from_ms": p.from_ms, "offset_ms": p.offset_ms} for p in result.pieces],
        "confidence": result.confidence,
        "min_confidence": result.min_confidence,
        "decoy_confidence": result.decoy_confidence,
        "min_margin": MIN_MARGIN,
        "min_speech_spans": MIN_SPEECH_SPANS,
        "refused": refusal(result) or None,
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
    from pipeline.batch.files import sync_files
    from pipeline.qc.syncproof import refusal

    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        raise UsageError(f"--min-confidence {args.min_confidence:g}: give a number from 0 to 1")
    pairs = _sync_targets(args)
    langs = langs_of(args, [src for src, _ in pairs])
    result, written = sync_files(
        args.video,
        pairs,
        langs,
        encoding=args.encoding,
        max_offset_s=args.max_offset,
        splits=not args.no_splits,
        min_confidence=args.min_confidence,
    )
    if args.json:
        print(_sync_json(result, written))
    else:
        shifts = ", ".join(f"{p.offset_ms:+d} ms from {p.from_ms} ms" for p in result.pieces)
        print(f"ratio {result.ratio:.5f}, offsets {shifts}, confidence {result.confidence:.2f}")
        for path in written:
            print(path)
    if not result.ok:
        print(f"error: {args.subtitle}: {refusal(result)}; nothing written", file=sys.stderr)
        return 1
    return 0
