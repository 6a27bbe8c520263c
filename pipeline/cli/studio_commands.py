"""``subpipe studio``: review, fix and approve every language of a job in the browser."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from pathlib import Path

from pipeline.studio.serve import Options, Served, export, serve
from pipeline.studio.users import hash_password


def _announce(served: Served) -> None:
    print(f"studio: {served.address}", flush=True)
    for warning in served.warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    print("Open that address in a browser; Ctrl-C stops the studio.", file=sys.stderr, flush=True)


def cmd_studio(args: argparse.Namespace) -> int:
    """Serve the studio of a job file until Ctrl-C (``--export``: write its edits into the transcripts)."""
    if args.hash_password:
        first = getpass.getpass("password: ")
        if not first or first != getpass.getpass("again: "):
            print("error: the two passwords differ (or are empty)", file=sys.stderr)
            return 2
        print(hash_password(first))
        return 0
    if args.export:
        written = export(Path(args.job))
        for path in written:
            print(path)
        if not written:
            print("studio: no edit to export (the transcripts already hold them)", file=sys.stderr)
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        if args.write_rate <= 0:
            print("error: --write-rate must be above 0", file=sys.stderr)
            return 2
        users = Path(args.users) if args.users else None
        options = Options(args.host, args.port, users, tuple(args.public_url), args.write_rate)
        serve(Path(args.job), options, _announce)
    print("studio: stopped", file=sys.stderr)
    return 0
