"""Reruns: a burned cut the last manifest proves unchanged is neither burned nor verified again.

What "proves" means here: the manifest lists a cut only after it was verified, with its size and
SHA-256 and the *recipe* that made it (a digest of the engine, the source's SHA-256, the ASS text,
the font's digest, the encoder settings, the ffmpeg version and the shot changes and lengths that place chunk
boundaries: :func:`pipeline.render.chunkpath.recipes`). When today's recipe is the recorded one,
the cut that would be made is that cut; when the file under its name still has the recorded size
and SHA-256 (hashed again, not trusted by name or time), it *is* that cut. Both must hold: a
changed recipe, a changed, truncated or deleted file, or a manifest that does not parse means the
cut is made again. ``--force`` ignores the manifest.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.cues import Track
from pipeline.core.errors import VerifyError
from pipeline.core.filecache import sha256_file
from pipeline.core.timecode import format_clock
from pipeline.media.probe import MediaInfo, probe
from pipeline.render.burn import BurnRequest
from pipeline.render.chunkcache import source_digest
from pipeline.render.chunkpath import CHUNKED, CutRecord
from pipeline.render.frames import FrameMemo
from pipeline.render.inproc import ENGINE
from pipeline.render.manifest import ManifestEntry
from pipeline.render.outputs import commit, discard
from pipeline.render.verify import KEYFRAME_LEAD_MS, BurnCheck, verify_burn

logger = logging.getLogger(__name__)
SAME_CUT = (-1, -1)
"""The window that says: byte for byte the verified cut of the last run (nothing to verify)."""


@dataclass(frozen=True)
class PreviousCut:
    """A language's burned cut as the last manifest recorded it."""

    entry: ManifestEntry
    record: Mapping[str, object]

    @property
    def recipe(self) -> str:
        """The digest of what decided the cut."""
        return str(self.record.get("recipe", ""))

    @property
    def chunks(self) -> list[str]:
        """The cut's chunk keys, in order (empty for a monolithic burn)."""
        keys = self.record.get("chunks", [])
        return [str(k) for k in keys] if isinstance(keys, list) else []


def load_previous(root: Path) -> dict[str, PreviousCut]:
    """What ``root/manifest.json`` records (empty when there is none or it is damaged): burned cuts by
    language, soft-subtitled files as ``mux/<container>``."""
    try:
        doc = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        made = {**doc.get("burns", {}), **{f"mux/{k}": v for k, v in doc.get("muxes", {}).items()}}
        files = [ManifestEntry(**f) for f in doc.get("files", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}
    found = {}
    for entry in files:
        name = entry.language if entry.kind == "burned" else f"mux/{entry.kind.removeprefix('soft-')}"
        record = made.get(name)
        if isinstance(record, dict) and entry.verified and entry.kind in ("burned", f"soft-{name[4:]}"):
            found[name] = PreviousCut(entry, record)
    return found


def proven(previous: PreviousCut | None, root: Path, recipe: str) -> bool:
    """Whether ``previous`` proves its cut under ``root`` is what ``recipe`` would make now."""
    if previous is None or previous.recipe != recipe:
        return False
    path = root / previous.entry.path
    with contextlib.suppress(OSError):
        if path.stat().st_size == previous.entry.size:  # hashed once while the file stays as it is
            return source_digest(path) == previous.entry.sha256
    return False


def unchanged(
    previous: Mapping[str, PreviousCut],
    root: Path,
    requests: Sequence[BurnRequest],
    recipes: Sequence[tuple[str, Mapping[str, object]]],
) -> dict[str, PreviousCut]:
    """The requests (by language) whose cut the last manifest proves unchanged."""
    kept = {}
    for req, (recipe, _parts) in zip(requests, recipes, strict=True):
        if proven(previous.get(req.lang), root, recipe):
            kept[req.lang] = previous[req.lang]
        elif req.lang in previous:
            logger.info("%s: burned again (recipe or file changed)", req.target.name)
    return kept


def verify_window(record: CutRecord, previous: PreviousCut | None, partial: Path) -> tuple[int, int] | None:
    """What of a new cut must be verified: None (all of it), a span of the ASS clock, or :data:`SAME_CUT`.

    Why a span suffices: a chunk's key hashes everything that decides its bytes (source, frames,
    the events shown re-based to it, style, font, encoder, ffmpeg), and the cache hands out a chunk
    only after re-hashing it. A chunk whose key is the one at the same place in the last verified
    cut is therefore the same bytes that verification already looked at; only the chunks whose key
    changed can show anything new. Verification then samples their time span only, while the cut's
    structure (streams, durations, frame count and every timestamp: ``assemble_cuts`` and
    ``verify_burn``'s stream checks) is checked in full. A different chunk count (another plan) or
    a monolithic burn is verified in full.
    """
    window = changed_window(record, previous)
    if window == SAME_CUT:
        return SAME_CUT if previous and sha256_file(partial) == previous.entry.sha256 else None
    return window


def changed_window(record: CutRecord, previous: PreviousCut | None) -> tuple[int, int] | None:
    """:func:`verify_window` as far as the chunk keys tell, before the cut exists: :data:`SAME_CUT` when
    no chunk changed (the cut is then verified in full unless it is byte for byte the last one)."""
    if previous is None or record.engine != CHUNKED or len(previous.chunks) != len(record.chunks):
        return None
    if len(record.spans_ms) != len(record.chunks):
        return None
    changed = [i for i, (old, new) in enumerate(zip(previous.chunks, record.chunks, strict=True)) if old != new]
    if not changed:
        return SAME_CUT
    return min(record.spans_ms[i][0] for i in changed), max(record.spans_ms[i][1] for i in changed)


def burn_check(
    track: Track, req: BurnRequest, partial: Path, record: CutRecord, previous: PreviousCut | None
) -> BurnCheck | None:
    """What of ``partial`` must be verified (only where it can differ from ``previous``); None: nothing,
    it is byte for byte the cut verified last run."""
    window = verify_window(record, previous, partial)
    name = req.target.name
    if window == SAME_CUT:
        logger.info("%s: byte for byte the cut verified last run: not verified again", name)
        return None
    if window is not None:
        start, end = (format_clock(ms) for ms in window)
        why = "the chunks that changed; the rest is last run's verified cut"
        logger.info("%s: verifying %s-%s only (%s)", name, start, end, why)
    return _check(track, req, record, window)


def planned_check(track: Track, req: BurnRequest, record: CutRecord, previous: PreviousCut | None) -> BurnCheck | None:
    """The check :func:`burn_check` will make of the cut ``record`` plans, known before it is encoded
    (None: none is known yet, the cut may be byte for byte the last one): what verification can
    prepare meanwhile."""
    window = changed_window(record, previous)
    return None if window == SAME_CUT else _check(track, req, record, window)


def _check(track: Track, req: BurnRequest, record: CutRecord, window: tuple[int, int] | None) -> BurnCheck:
    cues = [(c.start_ms, c.end_ms) for c in track.cues]
    keys = tuple(first + KEYFRAME_LEAD_MS for first, _end in record.spans_ms)
    steady = record.decided_by.get("chunk_engine") == ENGINE  # the in-process engine burns static tracks only
    return BurnCheck(req.ass_text, (req.font_key,), cues, window, keys, steady)


def settle(partial: Path, target: Path, problems: list[str]) -> Path | VerifyError:
    """Commit ``partial`` as ``target`` when verification found no problem; else discard it and say why."""
    if problems:
        discard(partial)
        return VerifyError(target, problems)
    return commit(partial, target)


def verify_commit(
    media: MediaInfo,
    track: Track,
    req: BurnRequest,
    partial: Path,
    record: CutRecord,
    previous: PreviousCut | None,
    source_frames: FrameMemo | None = None,
) -> Path | VerifyError:
    """Verify ``partial`` (only where it can differ from ``previous``) and commit it, or say why not
    (``source_frames``: the source's frames shared with the burn's other verifications)."""
    check = burn_check(track, req, partial, record, previous)
    problems = [] if check is None else check_cut(media, partial, check, source_frames)
    return settle(partial, req.target, problems)


def check_cut(media: MediaInfo, partial: Path, check: BurnCheck, source_frames: FrameMemo | None) -> list[str]:
    """Problems with the burned cut ``partial`` of ``media`` (:func:`pipeline.render.verify.verify_burn`).

    Raises:
        FfmpegError: when the mask cannot be rendered.
    """
    return verify_burn(probe(partial), media, check, source_frames)
