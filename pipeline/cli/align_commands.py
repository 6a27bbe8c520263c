"""``subpipe align SCRIPT VIDEO --lang L -o transcript.json``: times for a script from the audio."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipeline.core.profiles import canonical_tag


def _language(text: str) -> str:
    """One language tag (the audio speaks one)."""
    if "," in text:
        raise argparse.ArgumentTypeError(f"{text!r}: give one language (the audio's)")
    return text


def add_align_arguments(p: argparse.ArgumentParser) -> None:
    """The script, the video, the language and the output."""
    p.add_argument(
        "script",
        metavar="SCRIPT",
        help="plain text (one segment a line), a transcript JSON, or a CSV/TSV sheet, without times",
    )
    p.add_argument("video", metavar="VIDEO", help="the video (or audio) whose speech says the script")
    p.add_argument(
        "--lang", required=True, type=_language, help="the language the audio speaks (BCP 47); its text is aligned"
    )
    p.add_argument("-o", "--output", required=True, help="the transcript JSON to write (start_ms/end_ms)")
    p.add_argument("--encoding", help="the script's encoding when it is not UTF-8/UTF-16 with BOM")


def cmd_align(args: argparse.Namespace) -> int:
    """Align the script; write the transcript (atomically) and print the findings; exit 1 on none."""
    from pipeline.align.aligner import NoSpeechError
    from pipeline.align.transcript import align_media
    from pipeline.ingest.script import load_script

    lang = canonical_tag(args.lang)
    out = Path(args.output)
    if out.is_dir() or not out.parent.is_dir():
        problem = "is a folder: name the transcript file" if out.is_dir() else "is in a folder that does not exist"
        print(f"error: {out}: the output {problem}; nothing written", file=sys.stderr)
        return 2
    script = load_script(args.script, lang, args.encoding)
    try:
        doc, findings = align_media(script, Path(args.video), lang)
    except NoSpeechError as exc:
        print(f"error: {args.video}: {exc}; nothing written", file=sys.stderr)
        return 1
    staged = out.with_name(f".{out.name}.{os.getpid()}")
    try:
        staged.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(staged, out)
    finally:
        staged.unlink(missing_ok=True)
    for f in findings:
        where = f"line {f.cue}" if f.cue else "audio"
        print(f"{f.severity}: {f.rule} ({where}): {f.message}", file=sys.stderr)
    lines = doc["segments"]
    print(
        f"{len(lines)} lines aligned, {sum(1 for f in findings if f.rule == 'unspoken_line')} not heard, "
        f"{sum(1 for f in findings if f.rule == 'unscripted_speech')} unscripted passage(s): {out}"
    )
    return 0
