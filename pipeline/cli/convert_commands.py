"""The ``convert`` command of the CLI (imported when used)."""

from __future__ import annotations

import argparse
import sys

from pipeline.batch.convert import convert_file
from pipeline.core.profiles import canonical_tag


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert a subtitle file (SRT, VTT, ASS/SSA, TTML, SCC, STL, a transcript) to any format it names."""
    lang = canonical_tag(args.lang) if args.lang else None  # english: refused, with the tag to use
    done = convert_file(args.input, args.output, lang=lang, encoding=args.encoding, lenient=args.lenient)
    for repair in done.repairs:
        print(f"warning: {repair}", file=sys.stderr)
    if done.encoding_note:
        print(f"note: {args.input}: {done.encoding_note}", file=sys.stderr)
    for kind, cues in done.dropped:
        plural = "s" if cues != 1 else ""
        print(f"dropped: {kind}: {cues} cue{plural} ({done.target_format} cannot hold it)", file=sys.stderr)
    print(f"{done.output}: {done.cues} cues, {done.source_format} -> {done.target_format}")
    return 0
