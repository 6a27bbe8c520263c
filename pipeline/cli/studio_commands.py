"""``subpipe studio``: review, fix and approve every language of a job in the browser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.studio.serve import Served, serve


def _announce(served: Served) -> None:
    print(f"studio: {served.address}", flush=True)
    print("Open that address in a browser; Ctrl-C stops the studio.", file=sys.stderr, flush=True)


def cmd_studio(args: argparse.Namespace) -> int:
    """Serve the studio of a job file until Ctrl-C."""
    try:
        serve(Path(args.job), args.host, args.port, _announce)
    except KeyboardInterrupt:
        pass
    print("studio: stopped", file=sys.stderr)
    return 0
