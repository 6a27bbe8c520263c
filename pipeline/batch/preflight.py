"""Before a job runs: every input file it names must be there, outside its video's output folder, all
checked at once.

A missing transcript found only after the video was probed (or one of ten videos burned) wastes
the work before it; so :func:`check_inputs` looks at every video's transcript and video file and
every language's burn-in font before anything runs, and names all that are missing in one error.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from pathlib import Path

from pipeline.batch.remote import check_urls
from pipeline.core.errors import InputProblemsError, UsageError
from pipeline.core.langtags import merged_table, tables_for
from pipeline.core.profiles import get_profile
from pipeline.ingest.job import Job, VideoJob
from pipeline.media.fonts import FONTS


def _missing(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it can."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "is a folder, not a file"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def _font_problem(key: str) -> str | None:
    """Why the font registered as ``key`` cannot be used, or None when its file is there."""
    spec = FONTS.get(key)
    if spec is None:
        close = difflib.get_close_matches(key, sorted(FONTS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(sorted(FONTS))
        return f"font {key!r} is not a known font ({hint})"
    try:
        path = spec.path
    except UsageError as exc:
        return str(exc)
    if not path.is_file():
        return f"font {key!r}: its file {path} is missing (reinstall: pip install -e .)"
    return None


def _within(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies inside ``folder`` (links followed; on a case-insensitive file system, case aside)."""
    real, home = path.resolve(), folder.resolve()
    if real.is_relative_to(home):
        return True
    if not home.is_dir():
        return False
    with contextlib.suppress(OSError):
        return any(p.is_dir() and os.path.samefile(p, home) for p in real.parents)
    return False


def _in_output(job: Job, vj: VideoJob, key: str, path: Path) -> str | None:
    """Why ``path`` (``vj``'s ``key``) cannot be read from where it is, or None when it can: inside the
    video's output folder a run overwrites it or removes it as an output no longer made."""
    folder = job.output_dir / vj.name
    if not _within(path, folder):
        return None
    return (
        f"{key} {path} lies inside this video's output folder {folder}, where a run writes its outputs "
        "and removes the ones it no longer makes: move it out of that folder, or set 'output_dir' "
        "(or this video's 'name') so the outputs go elsewhere"
    )


def input_problems(job: Job) -> list[tuple[int | None, str]]:
    """Every missing or unreadable input of ``job``, and every one inside its video's output folder,
    as ``(line in the job file, problem)`` pairs."""
    problems: list[tuple[int | None, str]] = []
    for vj in job.videos:
        for key, path in (("transcript", vj.transcript), ("video", vj.video)):
            if path is None or key in vj.urls:  # an object: checked by check_urls
                continue
            why = _missing(path)
            problem = f"{key} {path}: {why}" if why else _in_output(job, vj, key, path)
            if problem:
                problems.append((job.line_of(*vj.table, key), problem))
    langs = dict.fromkeys(lang for vj in job.videos for lang in vj.languages)
    for lang in langs:
        try:
            font = get_profile(lang, merged_table(lang, job.profiles)).font
        except UsageError:
            continue  # an invalid tag is refused with its reason where the track is built
        why = _font_problem(font)
        if why:
            # the most specific table that sets it; none: the profile's own font, no line to name
            given = [k for k in tables_for(lang, job.profiles) if "font" in job.profiles[k]]
            problems.append((job.line_of("profile", given[-1], "font") if given else None, f"{lang}: {why}"))
    return problems


def check_inputs(job: Job) -> None:
    """Refuse ``job`` when any input file is missing, before any work.

    Raises:
        InputProblemsError: naming every missing transcript, video and font file, each with the job file's line.
        StorageError: when an input object, the output bucket or the chunk cache's bucket cannot be used.
    """
    problems = input_problems(job)
    if problems:
        raise InputProblemsError(job.source, problems)
    check_urls(job)
