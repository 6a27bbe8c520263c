"""The job file (TOML): which videos, which transcripts, which languages, which outputs, which style.

Every key has a default; the smallest job is a video, a transcript and a list of languages::

    video = "clip.mp4"
    transcript = "clip.json"
    languages = ["en", "ko"]

Paths are relative to the job file's folder. ``video``, ``transcript`` and ``output_dir`` may also be
object storage URLs (``s3://bucket/key``; ``gs://``, ``az://`` through fsspec): inputs are fetched into a
local scratch folder when the video runs, outputs are made there and uploaded whole
(:mod:`pipeline.core.storage`). docs/job-file.md lists every key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError, InputProblemsError, UsageError
from pipeline.core.langtags import merged_table
from pipeline.core.profiles import canonical_tag
from pipeline.core.storage import is_url, local_name, scratch_root, unfetched
from pipeline.core.textio import read_text
from pipeline.ingest.jobkeys import job_problems
from pipeline.ingest.presets import PRESETS
from pipeline.ingest.tomllines import KeyPath, key_lines, line_of


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
    align: bool = False  # the transcript has no times: they come from the video's audio (subpipe align)
    table: KeyPath = field(default=(), compare=False)  # where the job file gives it: () or ("videos", i)
    video_url: str | None = None  # the video is this object (``video``: where it is fetched, once it is)
    transcript_url: str | None = None  # the transcript is this object (``transcript``: likewise)

    @property
    def urls(self) -> dict[str, str]:
        """The inputs that are objects, by key (``video``, ``transcript``)."""
        found = {"video": self.video_url, "transcript": self.transcript_url}
        return {key: url for key, url in found.items() if url is not None}


@dataclass(frozen=True)
class Outputs:
    """Which files to produce. ``burn`` and ``mux`` are None when the job does not name them: the
    defaults, which adapt to each source (:mod:`pipeline.batch.defaults`)."""

    formats: tuple[str, ...] = ("srt", "vtt", "ass")
    burn: bool | None = None
    mux: tuple[str, ...] | None = None
    review: bool = True
    hls: bool = False


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
    source: Path | None = None  # the job file
    lines: Mapping[KeyPath, int] = field(default_factory=dict, compare=False)  # each key's line in it
    preset: str | None = None  # a delivery preset (:mod:`pipeline.ingest.presets`)
    output_url: str | None = None  # outputs are uploaded under this URL (``output_dir``: the local scratch copy)

    def line_of(self, *path: str | int) -> int | None:
        """The job file's line of the key at ``path`` (or of its table), when known."""
        return line_of(self.lines, path)

    def profile_table(self, lang: str) -> dict[str, Any]:
        """The profile fields ``lang`` overrides: the preset's rules, then the job's ``[profile.<lang>]`` tables."""
        rules = dict(PRESETS[self.preset].rules) if self.preset else {}
        return {**rules, **merged_table(lang, self.profiles)}


def _video(path: Path, raw: Mapping[str, Any], table: KeyPath, lines: Mapping[KeyPath, int]) -> VideoJob:
    """A video's entry from its table (checked by :func:`job_problems`); language tags in their standard spelling."""
    base = path.parent
    transcript, transcript_url = _input(base, raw["transcript"])
    video, video_url = _input(base, raw["video"]) if "video" in raw else (None, None)
    languages = _tags(path, tuple(raw["languages"]), "languages", line_of(lines, (*table, "languages")))
    default = raw.get("default_language", languages[0])
    default = _tags(path, (default,), "default_language", line_of(lines, (*table, "default_language")))[0]
    if default not in languages:
        raise InputError(path, f"default_language {default!r} is not in languages", line_of(lines, table))
    return VideoJob(
        name=raw.get("name", (video or transcript).stem),
        video=video,
        transcript=transcript,
        languages=languages,
        default_language=default,
        encoding=raw.get("encoding"),
        lenient=raw.get("lenient", False),
        align=raw.get("align", False),
        table=table,
        video_url=video_url,
        transcript_url=transcript_url,
    )


def _input(base: Path, given: str) -> tuple[Path, str | None]:
    """An input's path (relative to the job file's folder) and, for a URL, the URL (its path: where it
    will be fetched; :func:`pipeline.core.storage.unfetched`)."""
    return (unfetched(given), given) if is_url(given) else (base / given, None)


def output_scratch(url: str) -> Path:
    """This process's local folder for the outputs that go to ``url``."""
    return scratch_root() / "outputs" / local_name(url)


def _tags(path: Path, values: tuple[str, ...], where: str, line: int | None = None) -> tuple[str, ...]:
    """Language tags in their standard spelling (``EN`` -> ``en``, ``zh_TW`` -> ``zh-TW``), each once."""
    try:
        tags = tuple(canonical_tag(v) for v in values)
    except UsageError as exc:
        raise InputError(path, f"{where}: {exc}", line) from None
    twice = sorted({t for t in tags if tags.count(t) > 1})
    if twice:
        raise InputError(path, f"{where}: {', '.join(map(repr, twice))} more than once (case aside)", line)
    return tags


def _by_tag(path: Path, table: Mapping[str, Any], where: str, line: int | None) -> dict[str, Any]:
    """``table`` with its per-language sub-tables keyed by standard tags (``[style.zh-tw]`` is zh-TW's)."""
    langs = [k for k, v in table.items() if isinstance(v, Mapping)]
    tags = _tags(path, tuple(langs), where, line)
    rest = {k: v for k, v in table.items() if k not in langs}
    return {**rest, **{tag: table[k] for k, tag in zip(langs, tags, strict=True)}}


def parse_job(text: str, path: Path) -> Job:
    """Parse a job file's text.

    Raises:
        InputError: naming the file and line of a TOML syntax error.
        InputProblemsError: naming the file, and the line of each problem: every unknown key or table (with
            the closest valid name), wrong type, missing required key and value out of range.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib names the line only in its message ("at line 3, column 1" or "at end of document").
        at = re.search(r"at line (\d+)", str(exc))
        line = int(at.group(1)) if at else max(1, len(text.splitlines()))
        raise InputError(path, f"invalid TOML: {exc}", line) from None
    lines = key_lines(text)
    problems = job_problems(doc, lines)
    if problems:
        raise InputProblemsError(path, problems)
    base = path.parent
    videos = [_video(path, v, ("videos", i), lines) for i, v in enumerate(doc.get("videos", []))]
    if "transcript" in doc:
        videos.insert(0, _video(path, doc, (), lines))
    preset = doc.get("preset")
    out, ren = {**(PRESETS[preset].outputs if preset else {}), **doc.get("outputs", {})}, doc.get("render", {})
    outputs = Outputs(
        formats=tuple(out.get("formats", Outputs.formats)),
        burn=out.get("burn"),
        mux=tuple(out["mux"]) if "mux" in out else None,
        review=out.get("review", True),
        hls=out.get("hls", False),
    )
    render = Render(
        crf=ren.get("crf", Render.crf),
        preset=ren.get("preset", Render.preset),
        burn_group=max(1, ren.get("burn_group", Render.burn_group)),
    )
    output_url = doc["output_dir"] if is_url(doc.get("output_dir", "")) else None
    output_dir = output_scratch(output_url) if output_url else base / doc.get("output_dir", "output")
    style = _by_tag(path, doc.get("style", {}), "style", line_of(lines, ("style",)))
    profiles = _by_tag(path, doc.get("profile", {}), "profile", line_of(lines, ("profile",)))
    return Job(tuple(videos), output_dir, outputs, render, style, profiles, path, lines, preset, output_url=output_url)


def load_job(path: str | Path) -> Job:
    """Read and parse a job file.

    Raises:
        InputError: when it cannot be read or is invalid.
    """
    p = Path(path)
    return parse_job(read_text(p), p)
