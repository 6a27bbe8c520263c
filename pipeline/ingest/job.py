"""The job file (TOML): which videos, which transcripts, which languages, which outputs, which style.

Every key has a default; the smallest job is a video, a transcript and a list of languages::

    video = "clip.mp4"
    transcript = "clip.json"
    languages = ["en", "ko"]

Paths are relative to the job file's folder. See the README for every key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.textio import read_text

_FORMATS = frozenset({"srt", "vtt", "ass"})
_CONTAINERS = frozenset({"mkv", "mp4"})


@dataclass(frozen=True)
class VideoJob:
    """One video to localise."""

    name: str
    video: Path | None
    transcript: Path
    languages: tuple[str, ...]
    default_language: str
    encoding: str | None = None
    lenient: bool = False


@dataclass(frozen=True)
class Outputs:
    """Which files to produce. ``burn`` and ``mux`` are None when the job does not name them: the
    defaults, which adapt to each source (:mod:`pipeline.batch.defaults`)."""

    formats: tuple[str, ...] = ("srt", "vtt", "ass")
    burn: bool | None = None
    mux: tuple[str, ...] | None = None
    review: bool = True


@dataclass(frozen=True)
class Render:
    """Encoder settings; ``burn_group`` languages share one decode."""

    crf: int = 23
    preset: str = "veryfast"
    burn_group: int = 5


@dataclass(frozen=True)
class Job:
    """A whole job."""

    videos: tuple[VideoJob, ...]
    output_dir: Path
    outputs: Outputs = Outputs()
    render: Render = Render()
    style: Mapping[str, Any] = field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _type_check(path: Path, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = table[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(path, f"{where}{key}: expected {name}, got {value!r}")
    return value


def _str_list(
    path: Path, table: Mapping[str, Any], key: str, where: str, allowed: frozenset[str] | None = None
) -> tuple[str, ...]:
    values = _type_check(path, table, key, list, where)
    if not all(isinstance(v, str) for v in values):
        raise InputError(path, f"{where}{key}: expected a list of strings")
    if allowed is not None and not set(values) <= allowed:
        raise InputError(path, f"{where}{key}: {sorted(set(values) - allowed)} not among {sorted(allowed)}")
    return tuple(values)


def _table(path: Path, doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise InputError(path, f"{key}: expected a table ([{key}]), got {value!r}")
    return value


def _video(path: Path, raw: Any, where: str) -> VideoJob:
    if not isinstance(raw, Mapping):
        raise InputError(path, f"{where.rstrip('.')}: expected a table ([[videos]]), got {raw!r}")
    base = path.parent
    for key in ("transcript", "languages"):
        if key not in raw:
            raise InputError(path, f"{where}missing key {key!r}")
    transcript = base / _type_check(path, raw, "transcript", str, where)
    video = base / _type_check(path, raw, "video", str, where) if "video" in raw else None
    languages = _str_list(path, raw, "languages", where)
    if not languages:
        raise InputError(path, f"{where}languages: the list is empty")
    default = _type_check(path, raw, "default_language", str, where) if "default_language" in raw else languages[0]
    if default not in languages:
        raise InputError(path, f"{where}default_language {default!r} is not in languages")
    name = _type_check(path, raw, "name", str, where) if "name" in raw else (video or transcript).stem
    encoding = _type_check(path, raw, "encoding", str, where) if "encoding" in raw else None
    lenient = _type_check(path, raw, "lenient", bool, where) if "lenient" in raw else False
    return VideoJob(name, video, transcript, languages, default, encoding, lenient)


def parse_job(text: str, path: Path) -> Job:
    """Parse a job file's text.

    Raises:
        InputError: naming the file (and line, for TOML syntax errors) and the problem.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the line only in its message ("at line 3, column 1" or "at end of document").
        at = re.search(r"at line (\d+)", str(exc))
        line = int(at.group(1)) if at else max(1, len(text.splitlines()))
        raise InputError(path, f"invalid TOML: {exc}", line) from None
    raw_videos = doc.get("videos", [])
    if not isinstance(raw_videos, list):
        raise InputError(path, "videos: expected an array of tables ([[videos]])")
    videos = [_video(path, v, f"videos[{i}].") for i, v in enumerate(raw_videos)]
    if "transcript" in doc:
        videos.insert(0, _video(path, doc, ""))
    if not videos:
        raise InputError(path, "no video: give 'transcript' and 'languages', or [[videos]] tables")
    out = _table(path, doc, "outputs")
    outputs = Outputs(
        formats=_str_list(path, out, "formats", "outputs.", _FORMATS) if "formats" in out else Outputs.formats,
        burn=_type_check(path, out, "burn", bool, "outputs.") if "burn" in out else None,
        mux=_str_list(path, out, "mux", "outputs.", _CONTAINERS) if "mux" in out else None,
        review=_type_check(path, out, "review", bool, "outputs.") if "review" in out else True,
    )
    ren = _table(path, doc, "render")
    render = Render(
        crf=_type_check(path, ren, "crf", int, "render.") if "crf" in ren else Render.crf,
        preset=_type_check(path, ren, "preset", str, "render.") if "preset" in ren else Render.preset,
        burn_group=max(1, _type_check(path, ren, "burn_group", int, "render."))
        if "burn_group" in ren
        else Render.burn_group,
    )
    output_dir = path.parent / (_type_check(path, doc, "output_dir", str, "") if "output_dir" in doc else "output")
    style, profiles = _table(path, doc, "style"), _table(path, doc, "profile")
    return Job(tuple(videos), output_dir, outputs, render, style, profiles)


def load_job(path: str | Path) -> Job:
    """Read and parse a job file.

    Raises:
        InputError: when it cannot be read or is invalid.
    """
    p = Path(path)
    return parse_job(read_text(p), p)
