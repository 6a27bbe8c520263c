"""Each language's built track remembered between runs, keyed on everything its build reads.

A rerun after one cue was edited in one language rebuilds that language only: the others find
their track here. The key (:func:`build_key`) hashes exactly what
:func:`pipeline.tracks.build.build_track_report` reads: the language, each segment's id, times,
speaker and text in that language (not the other languages' texts), the profile, the frame rate, the shot
changes, the speech pauses, the timeline (the video's end and frame times), the text box and the
bytes of its font, and the code and data that decide the result (the source files of
``pipeline.core``, ``pipeline.ingest``, ``pipeline.tracks``, the font table and this module, and
the installed libraries the build uses). Anything else changed, or an entry that does not read
back, means the track is built again; ``run --force``
(:func:`pipeline.core.filecache.measured_afresh`) builds every track again and writes it here.

One entry per (transcript, video, language) under ``<cache>/tracks/``: a new key replaces the old
one, so the memo does not grow with edits.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.core.cues import Cue, Track
from pipeline.core.filecache import DAMAGED, afresh, cache_root, checked, write_cached
from pipeline.core.findings import Finding, Retime
from pipeline.core.profiles import Profile
from pipeline.ingest.segments import Segment
from pipeline.render.chunkcache import font_digest
from pipeline.tracks.build import TrackBuild, text_in
from pipeline.tracks.measure import TextBox
from pipeline.tracks.timeline import Timeline

SCHEME = 1
_PACKAGE = Path(__file__).resolve().parents[1]
_CODE = ("core", "ingest", "tracks")  # folders of pipeline/ whose files the build runs or reads
_FILES = ("media/fonts.py", "batch/trackmemo.py")
_LIBRARIES = ("budoux", "uharfbuzz", "fontTools", "langcodes", "pysubs2")


@functools.cache
def code_digest() -> str:
    """A digest of the code and data the build runs on: the package's files it uses, the libraries' versions
    and installed ``__init__`` files (path, size, mtime: a compiled module or a model's data may change
    without it, the version does not) and the Python version (its Unicode tables)."""
    digest = hashlib.sha256(sys.version.encode())
    files = sorted(
        p for folder in _CODE for p in (_PACKAGE / folder).rglob("*") if p.suffix in (".py", ".toml", ".json")
    )
    for path in [*files, *(_PACKAGE / f for f in _FILES)]:
        digest.update(f"{path.relative_to(_PACKAGE)}\0".encode())
        digest.update(path.read_bytes())
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        stat = os.stat(origin) if origin else None
        digest.update(f"{name}:{_version(name)}:{origin}:{stat.st_size if stat else 0}:".encode())
        digest.update(f"{stat.st_mtime_ns if stat else 0}\0".encode())
    return digest.hexdigest()


def _version(name: str) -> str:
    """The installed version of the library ``name`` ("" when it has no distribution's metadata)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def build_key(
    segments: Sequence[Segment],
    lang: str,
    profile: Profile,
    fps: Fraction,
    shots: Sequence[int],
    pauses: Sequence[int],
    timeline: Timeline | None,
    box: TextBox | None,
) -> str:
    """The digest of everything :func:`pipeline.tracks.build.build_track_report` reads for ``lang``."""
    parts = {
        "scheme": SCHEME,
        "code": code_digest(),
        "lang": lang,
        "segments": [[s.id, s.start_ms, s.end_ms, s.speaker, text_in(s, lang)] for s in segments],
        "profile": dataclasses.asdict(profile),
        "fps": [fps.numerator, fps.denominator],
        "shots": list(shots),
        "pauses": list(pauses),
        "timeline": None if timeline is None else dataclasses.asdict(timeline),
        "box": None if box is None else [dataclasses.asdict(box), font_digest(box.font)],
    }
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def memo_path(slot: str) -> Path:
    """The memo's entry for ``slot``."""
    return cache_root() / "tracks" / f"{hashlib.sha256(slot.encode()).hexdigest()[:32]}.json"


def remembered_build(slot: str, key: str, build: Callable[[], TrackBuild]) -> TrackBuild:
    """The build whose key is ``key`` from the memo's entry ``slot`` (any text naming a transcript, video and
    language), else ``build()``, then remembered there. Errors of ``build`` are not remembered."""
    path = memo_path(slot)
    try:
        doc = None if afresh() else json.loads(path.read_text(encoding="utf-8"))
        if doc is not None and doc["key"] == key:
            return _loaded(doc["build"])
    except (OSError, *DAMAGED):
        pass  # none yet, another key, or damaged: built again
    made = build()
    write_cached(path, {"key": key, "build": _dumped(made)})
    return made


def _dumped(made: TrackBuild) -> dict[str, Any]:
    track = made.track
    return {
        "lang": track.lang,
        "fps": [track.fps.numerator, track.fps.denominator],
        "cues": [[c.start_ms, c.end_ms, list(c.lines), c.segment_id] for c in track.cues],
        "findings": [dataclasses.asdict(f) for f in made.findings],
        "shot_moves": made.shot_moves,
    }


def _loaded(doc: dict[str, Any]) -> TrackBuild:
    cues = tuple(Cue(int(a), int(b), tuple(str(line) for line in lines), str(sid)) for a, b, lines, sid in doc["cues"])
    track = Track(str(doc["lang"]), cues, Fraction(*doc["fps"]))
    findings = tuple(_finding(f) for f in doc["findings"])
    return TrackBuild(track, findings, int(doc["shot_moves"]))


def _finding(doc: dict[str, Any]) -> Finding:
    edit = doc.get("edit")
    return checked(Finding(**{**doc, "edit": checked(Retime(**edit)) if edit is not None else None}))
