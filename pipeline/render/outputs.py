"""Writing outputs so that an interrupted run never leaves a file under a final name.

Every output is first written to a partial name beside its target (same folder, same file
system, same extension so ffmpeg picks the same muxer) and renamed only when complete; inside a
run's transaction (:mod:`pipeline.render.staging`) only together with the rest of the run.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path

from pipeline.core.errors import OutputError
from pipeline.render.staging import PARTIAL_TAG, partial_name, stage


def partial_path(target: Path) -> Path:
    """A unique temporary name beside ``target``: ``.name.partial-XXXXXXXX.ext``."""
    return partial_name(target)


def ensure_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) and check that it is writable.

    Raises:
        OutputError: when the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(folder, f"cannot create the output folder: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(folder, "the output folder is not writable")


def commit(partial: Path, target: Path) -> Path:
    """Rename a finished ``partial`` to ``target`` (atomic on one file system); inside a run's
    transaction, stage it to be renamed with the run's manifest (:func:`pipeline.render.staging.stage`)."""
    if stage(partial, target) is None:
        os.replace(partial, target)
    return target


def discard(*paths: Path) -> None:
    """Remove partial files, ignoring ones that are already gone."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def write_text(target: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through a partial file.

    Raises:
        OutputError: when the folder is not writable or the disk is full.
    """
    ensure_dir(target.parent)
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if target.stat().st_size == len(text.encode("utf-8")) and target.read_text(encoding="utf-8") == text:
            return target  # unchanged: a rerun rewrites nothing
    partial = partial_path(target)
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        discard(partial)
        problem = "the disk is full" if exc.errno == errno.ENOSPC else f"cannot write: {exc.strerror}"
        raise OutputError(target, problem) from None
    return commit(partial, target)


def remove_partials_of(target: Path) -> int:
    """Delete partial files of ``target`` left by a killed run (a rerun of one command); return how many."""
    prefix = f".{target.stem}{PARTIAL_TAG}"
    return _remove_matching(target.parent, lambda name: name.startswith(prefix) and name.endswith(target.suffix))


def _remove_matching(folder: Path, is_partial: Callable[[str], bool]) -> int:
    if not folder.is_dir():
        return 0
    stale = [p for p in folder.iterdir() if is_partial(p.name)]
    discard(*stale)
    return len(stale)


def log_path_for(target: Path) -> Path:
    """Where ffmpeg's full log of a failed render of ``target`` goes: ``<target>.ffmpeg.log``."""
    return target.with_name(target.name + ".ffmpeg.log")
