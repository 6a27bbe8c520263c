"""The options of ``subpipe studio`` (kept apart from the command, which imports the web server)."""

from __future__ import annotations

import argparse


def add_studio_arguments(p: argparse.ArgumentParser) -> None:
    """The studio's job, address, users and one-shot actions."""
    p.add_argument("job", nargs="?", default="subpipe.toml", help="the job file (default: ./subpipe.toml)")
    p.add_argument("--port", type=int, default=8800, help="the port (default 8800; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="where to listen (default 127.0.0.1: this machine only)")
    p.add_argument("--users", metavar="FILE", help="named users (TOML: name, password hash, role, languages)")
    p.add_argument(
        "--public-url", action="append", default=[], metavar="URL", help="a URL a reverse proxy serves it at (TLS)"
    )
    p.add_argument(
        "--write-rate", type=float, default=25.0, metavar="N", help="saves per second per client (default 25)"
    )
    p.add_argument("--export", action="store_true", help="write the stored edits into the job's transcripts, and exit")
    p.add_argument("--hash-password", action="store_true", help="read a password and print its hash for --users")
