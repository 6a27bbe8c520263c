"""The delivery formats as files: TTML1 (``ttml``), IMSC 1.1 Text (``imsc``), SCC (``scc``), EBU-STL (``stl``).

A job names them in ``[outputs] formats`` beside srt/vtt/ass and gets ``<name>.<lang>.ttml``,
``<name>.<lang>.imsc.ttml``, ``.scc`` and ``.stl``; ``subpipe convert`` writes them by the output's
name. Each file is written through a partial file (nothing under the final name on an error). A
language a format cannot carry (SCC: Korean) fails that file alone, with one line naming the characters.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from pipeline.core.cues import Track
from pipeline.core.errors import OutputError, PipelineError
from pipeline.render.outputs import commit, discard, ensure_dir, partial_path
from pipeline.tracks.delivery import Placed, placed_of_track
from pipeline.tracks.scc_write import compose_scc
from pipeline.tracks.stl_write import compose_stl
from pipeline.tracks.ttml_write import compose_ttml

logger = logging.getLogger(__name__)
DELIVERY_FORMATS = ("ttml", "imsc", "scc", "stl")
SUFFIXES = {"ttml": ".ttml", "imsc": ".imsc.ttml", "scc": ".scc", "stl": ".stl"}


def delivery_format(path: Path) -> str | None:
    """The delivery format a file name asks for (``x.imsc.ttml`` -> ``imsc``), or None."""
    name = path.name.lower()
    return next(
        (fmt for fmt, suffix in sorted(SUFFIXES.items(), key=lambda i: -len(i[1])) if name.endswith(suffix)), None
    )


def compose_delivery(
    fmt: str, cues: Sequence[Placed], lang: str, dropped: Counter[str], fps: Fraction | None = None, title: str = ""
) -> bytes:
    """The bytes of ``cues`` in delivery format ``fmt``; what it could not keep is counted in ``dropped``.

    Raises:
        CharsetError: SCC or STL cannot carry some characters of the text (all named).
    """
    if fmt in ("ttml", "imsc"):
        return compose_ttml(cues, lang, fps, fmt, dropped).encode("utf-8")
    if fmt == "scc":
        return compose_scc(cues, lang, dropped).encode("ascii")
    return compose_stl(cues, lang, dropped, fps, title)


def write_bytes(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through a partial file (unchanged bytes are not rewritten).

    Raises:
        OutputError: when the folder is not writable or the disk is full.
    """
    ensure_dir(target.parent)
    try:
        if target.read_bytes() == data:
            return target
    except OSError:
        pass
    partial = partial_path(target)
    try:
        partial.write_bytes(data)
    except OSError as exc:
        discard(partial)
        raise OutputError(target, f"cannot write: {exc.strerror}") from None
    return commit(partial, target)


def write_delivery_files(
    track: Track, stem: str, folder: Path, formats: Sequence[str]
) -> tuple[list[Path], dict[str, str]]:
    """Write ``<stem>.<lang><suffix>`` for each delivery format among ``formats``.

    Returns the paths written and, by format, why one could not be (the others are still written).
    """
    written, failed = [], {}
    for fmt in (f for f in formats if f in SUFFIXES):
        dropped: Counter[str] = Counter()
        target = folder / f"{stem}.{track.lang}{SUFFIXES[fmt]}"
        try:
            data = compose_delivery(fmt, placed_of_track(track), track.lang, dropped, track.fps, stem)
            written.append(write_bytes(target, data))
        except PipelineError as exc:
            failed[fmt] = str(exc)
            continue
        for kind, cues in sorted(dropped.items()):
            if cues:
                logger.warning("%s: %s: %d cue(s)", target.name, kind, cues)
    return written, failed
