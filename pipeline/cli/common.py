"""What the CLI's command modules share."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pipeline.core.errors import UsageError
from pipeline.core.profiles import canonical_tag
from pipeline.ingest.sublang import file_language


def langs_of(args: argparse.Namespace, paths: Sequence[Path]) -> list[str]:
    """Each path's language tag, in its standard spelling: ``--lang`` values in order, else the
    ``<stem>.<lang>.<ext>`` name, else the one language its letters' script says (with a note).

    Every tag is checked here, before any video is probed.

    Raises:
        UsageError: when the counts differ, a tag is not valid, or a file's language cannot be told.
        InputError: when a file without a tag in its name does not exist or is a folder.
    """
    given = [canonical_tag(tag) for tag in args.lang or []]
    if given and len(given) != len(paths):
        raise UsageError(f"{len(paths)} subtitle file(s) but {len(given)} --lang value(s)")
    if given:
        return given
    return [file_language(path, getattr(args, "encoding", None)) for path in paths]
