"""What the CLI's command modules share."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pipeline.core.errors import UsageError
from pipeline.core.profiles import canonical_tag
from pipeline.ingest.segments import language_from_name


def langs_of(args: argparse.Namespace, paths: Sequence[Path]) -> list[str]:
    """Each path's language tag, in its standard spelling: ``--lang`` values in order, else the
    ``<stem>.<lang>.<ext>`` name. Every tag is checked here, before any video is probed.

    Raises:
        UsageError: when the counts differ, a tag is not valid, or a name carries no language.
    """
    given = [canonical_tag(tag) for tag in args.lang or []]
    if given and len(given) != len(paths):
        raise UsageError(f"{len(paths)} subtitle file(s) but {len(given)} --lang value(s)")
    out = []
    for i, path in enumerate(paths):
        lang = given[i] if given else language_from_name(path)
        if lang is None:
            raise UsageError(f"{path}: cannot tell its language; name it <stem>.<lang>.srt or pass --lang")
        out.append(canonical_tag(lang))
    return out
