"""A job's source video as a run reads it, remembered between runs: its probe and its frame times.

Probing demuxes every packet (about 0.1 s of CPU for the 4:23 sample) and reading the frame times
does so again (about 0.06 s); a rerun on the same file reads both from the cache instead. The entry
is found, like the shot changes and the speech (:mod:`pipeline.media.scenes`), by the file's
fingerprint (inode, size, mtime, ctime, first and last MiB:
:func:`pipeline.core.filecache.file_fingerprint`), salted with the code that measures them and
PyAV's version: a changed or replaced file, probe or PyAV is measured again, and so is an entry
that does not read back as what it claims. ``run --force``
(:func:`pipeline.core.filecache.measured_afresh`) reads nothing from here and writes fresh entries.
Only the job's source is looked up here; outputs are always probed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from pipeline.core.filecache import checked, measured_by_file, memo_by_file
from pipeline.media.frames import FrameTimes, frame_times
from pipeline.media.probe import MediaInfo, StreamInfo, probe

SCHEME = 1
_PACKAGE = Path(__file__).resolve().parents[1]
_CODE = ("media/probe.py", "media/scan.py", "media/frames.py", "batch/sourcefacts.py")  # what measures a source


def probe_source(path: Path) -> MediaInfo:
    """:func:`pipeline.media.probe.probe` of a job's source, from the cache when the file is as it was measured.

    Raises:
        InputError: as :func:`pipeline.media.probe.probe`.
    """
    return _probe_source(Path(path))


def source_frame_times(path: Path) -> FrameTimes:
    """:func:`pipeline.media.frames.frame_times` of a job's source, from the cache likewise.

    Raises:
        InputError: as :func:`pipeline.media.frames.frame_times`.
    """
    return _frame_times(Path(path))


@functools.cache
def _salt(what: str) -> str:
    digest = hashlib.sha256(f"{what}:{SCHEME}:{av.__version__}".encode())
    for name in _CODE:
        digest.update((_PACKAGE / name).read_bytes())
    return digest.hexdigest()[:16]


@memo_by_file
def _probe_source(path: Path) -> MediaInfo:
    def decode(doc: Any) -> MediaInfo:
        return dataclasses.replace(media_of(doc), path=str(path.resolve()))  # the path as it is now

    return measured_by_file(path, "probe", "media", _salt("probe"), probe, media_json, decode)


@memo_by_file
def _frame_times(path: Path) -> FrameTimes:
    return measured_by_file(path, "frames", "frames", _salt("frames"), frame_times, _times_json, _times_of)


def _times_json(times: FrameTimes) -> dict[str, Any]:
    return {"times_ms": list(times.times_ms), "end_ms": times.end_ms}


def _times_of(doc: Any) -> FrameTimes:
    if not isinstance(doc, dict):
        raise TypeError("not a table")
    return checked(FrameTimes(tuple(doc["times_ms"]), doc["end_ms"]))


def media_json(media: MediaInfo) -> dict[str, Any]:
    """``media`` as JSON data (:func:`media_of` reads it back equal)."""
    doc: dict[str, Any] = {}
    for f in dataclasses.fields(media):
        value = getattr(media, f.name)
        if isinstance(value, Fraction):
            value = [value.numerator, value.denominator]
        elif f.name == "streams":
            value = [dataclasses.asdict(s) for s in value]
        doc[f.name] = value
    return doc


def media_of(doc: dict[str, Any]) -> MediaInfo:
    """The :class:`MediaInfo` that :func:`media_json` wrote.

    Raises:
        TypeError, ValueError, KeyError, ZeroDivisionError, AttributeError (:data:`DAMAGED`): when ``doc``
        is not one (a missing or unknown field, a value of the wrong type).
    """
    fields = dict(doc)
    fields["fps"], fields["sar"] = Fraction(*doc["fps"]), Fraction(*doc["sar"])
    fields["streams"] = tuple(checked(StreamInfo(**s)) for s in doc["streams"])
    fields["frame_times_ms"] = tuple(doc["frame_times_ms"])
    fields["spans"] = tuple(tuple(s) for s in doc["spans"])
    return checked(MediaInfo(**fields))
