"""``subpipe studio``: review, fix and approve every language of a job in the browser."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from pipeline.studio.serve import Served, export, serve


def _announce(served: Served) -> None:
    print(f"studio: {served.address}", flush=True)
    print("Open that address in a browser; Ctrl-C stops the studio.", file=sys.stderr, flush=True)


def cmd_studio(args: argparse.Namespace) -> int:
    """Serve the studio of a job file until Ctrl-C (``--export``: write its edits into the transcripts)."""
    if args.export:
        written = export(Path(args.job))
        for path in written:
            print(path)
        if not written:
            print("studio: no edit to export (the transcripts already hold them)", file=sys.stderr)
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        serve(Path(args.job), args.host, args.port, _announce)
    print("studio: stopped", file=sys.stderr)
    return 0
