"""Writing the studio's edits back into each video's transcript, so the fix reaches the source of truth.

The new transcript (:mod:`pipeline.studio.exportdoc`) is written to a scratch folder first and built
there. A multi-language transcript's times are shared by every language, so what it cannot carry (a
timing edit, line breaks of the reviewer's own) stays in the store: every edit is *rebased* onto the
cues the new transcript builds, matched by content and time, and one the transcript now builds by
itself is dropped. Only when the new build plus the rebased edits gives every language's track exactly
as it was is the transcript replaced (the old one kept in ``<output>/studio-backup/``) and the store
rewritten; otherwise nothing changes. Stale edits are carried over as they are.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.batch.approvals import video_tags
from pipeline.batch.tracks_step import base_tracks
from pipeline.core.cues import Track
from pipeline.core.edits import CueState, StoredCue
from pipeline.core.errors import InputError, OutputError
from pipeline.ingest import editstore
from pipeline.ingest.delivery_read import delivery_source
from pipeline.ingest.job import VideoJob
from pipeline.ingest.segments import load_transcript
from pipeline.media.vad import speech_pauses
from pipeline.studio.exportdoc import edited_segments, json_doc, sheet_doc, single_language_doc
from pipeline.tracks.overlay import EditedTrack, apply_overlay, cue_ids

if TYPE_CHECKING:
    from pipeline.studio.state import Studio

BACKUP = "studio-backup"


@dataclass(frozen=True)
class _Plan:
    """A verified export of one video: the transcript, its new text in a scratch file, the store's new rows."""

    video: str
    path: Path
    scratch: Path
    rows: dict[str, list[StoredCue]]


def _key(state: CueState) -> tuple[int, int, str]:
    return (state.start_ms, state.end_ms, state.text)


def rebased(wanted: EditedTrack, new: Track) -> list[StoredCue]:
    """The edits that turn the new build ``new`` into ``wanted``'s track: the two cue sequences aligned by
    content and time; a built cue paired with another wanted cue is updated, one left over deleted, and
    a wanted cue left over inserted (versions are set by the store)."""
    built = list(zip(cue_ids(new), (CueState.of(c) for c in new.cues), strict=True))
    goal = [CueState.of(c) for c in wanted.track.cues]
    taken = {cid for cid, _ in built}
    rows: list[StoredCue] = []
    matcher = difflib.SequenceMatcher(None, [_key(s) for _, s in built], [_key(s) for s in goal], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        for n in range(max(i2 - i1, j2 - j1)):
            have = built[i1 + n] if i1 + n < i2 else None
            want = goal[j1 + n] if j1 + n < j2 else None
            if have is not None:
                rows.append(StoredCue(have[0], 0, want, have[1]))
            else:
                rows.append(StoredCue(_fresh(taken, wanted.ids[j1 + n]), 0, want, None))
    return rows


def _fresh(taken: set[str], cid: str) -> str:
    """``cid``, or ``cid~N`` when a built cue already has that id."""
    name, n = cid, 1
    while name in taken:
        name, n = f"{cid}~{n}", n + 1
    taken.add(name)
    return name


def _text_key(studio: Studio, lang: str, vj: VideoJob) -> str:
    """The transcript's own name of the language tag ``lang`` (the job's spelling)."""
    return dict(zip(video_tags(studio.job, vj), vj.languages, strict=True)).get(lang, lang)


def _new_text(studio: Studio, vj: VideoJob, tracks: dict[str, Track]) -> str:
    path = vj.transcript
    suffix = path.suffix.lower()
    if suffix in (".srt", ".vtt"):
        return single_language_doc(path, next(iter(tracks.values())))
    transcript = load_transcript(path, encoding=vj.encoding, lenient=vj.lenient, hint_langs=vj.languages)
    kept, new = edited_segments(transcript, {_text_key(studio, t, vj): tr for t, tr in tracks.items()}, vj.name)
    if suffix == ".json":
        return json_doc(path, kept, new)
    return sheet_doc([*kept, *new], transcript.languages, suffix == ".tsv")


def _same(a: Track, b: Track) -> bool:
    return [(c.start_ms, c.end_ms, c.lines) for c in a.cues] == [(c.start_ms, c.end_ms, c.lines) for c in b.cues]


def _plan(studio: Studio, video: str, scratch_dir: Path) -> _Plan | None:
    """The export of one video, built and checked in ``scratch_dir``; None when there is nothing to write."""
    state = studio.video(video)
    vj = state.vj
    wanted = {tag: studio.track(video, tag)[1] for tag in state.base}
    edited = {tag: w.track for tag, w in wanted.items() if editstore.overlay(studio.db, video, tag)}
    if not edited:
        return None
    if delivery_source(vj.transcript) is not None:
        srt = vj.transcript.with_suffix(".srt").name
        raise InputError(
            vj.transcript,
            f"the studio cannot write edits back into a {vj.transcript.suffix} transcript (a delivery format): "
            f"convert it (subpipe convert {vj.transcript.name} {srt}) and name that in the job; the edits stay",
        )
    text = _new_text(studio, vj, edited)
    if vj.transcript.read_bytes() == text.encode("utf-8"):
        return None
    scratch = scratch_dir / vj.transcript.name
    scratch.write_text(text, encoding="utf-8", newline="\n")
    pauses = speech_pauses(state.speech) if state.speech else []
    built = base_tracks(studio.job, replace(vj, transcript=scratch, encoding=None), state.media, state.shots, pauses)
    rows: dict[str, list[StoredCue]] = {}
    for tag, want in wanted.items():
        made = next((m for m in built.values() if not isinstance(m, Exception) and m.profile.tag == tag), None)
        if made is None:
            raise InputError(vj.transcript, f"{video}/{tag}: the exported transcript does not build this language")
        stale = {cid for cid, _ in want.stale}
        rows[tag] = rebased(want, made.track)
        rows[tag] += [s for s in editstore.overlay(studio.db, video, tag) if s.id in stale]
        if not _same(apply_overlay(made.track, rows[tag]).track, want.track):
            raise InputError(vj.transcript, f"{video}/{tag}: the export would not build the edited track again")
    return _Plan(video, vj.transcript, scratch, rows)


def _commit(studio: Studio, plan: _Plan) -> None:
    """Keep the old transcript in the backup folder, put the new one in its place (its mode kept), rewrite
    the store.

    Raises:
        OutputError: when the transcript cannot be replaced (nothing is changed then).
    """
    folder = studio.job.output_dir / BACKUP
    moved = plan.path.with_name(f".{plan.path.name}.studio-export")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        shutil.copy2(plan.path, folder / f"{plan.path.stem}.{stamp}{plan.path.suffix}")
        shutil.copyfile(plan.scratch, moved)
        shutil.copymode(plan.path, moved)  # a transcript kept private stays private
        with moved.open("rb") as handle:
            os.fsync(handle.fileno())
        moved.replace(plan.path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            moved.unlink()
        raise OutputError(plan.path, f"cannot replace the transcript: {exc.strerror or exc}") from None
    editstore.replace_overlays(studio.db, plan.video, plan.rows)


def export_job(studio: Studio) -> list[Path]:
    """Write every video's edits into its transcript and rebase the store on the new build; return the
    transcripts written. Every video's export is built and checked before any is written.

    Raises:
        InputError: when a transcript cannot be read, or the export would not read back as the same
            tracks (nothing is changed then).
        OutputError: when a transcript cannot be written (the ones before it are written, and said).
    """
    written: list[Path] = []
    with studio.lock, tempfile.TemporaryDirectory(prefix="subpipe-export-") as scratch:
        plans = []
        for vj in studio.job.videos:
            folder = Path(scratch) / vj.name
            folder.mkdir()
            plan = _plan(studio, vj.name, folder)
            if plan is not None:
                plans.append(plan)
        try:
            for plan in plans:
                _commit(studio, plan)
                written.append(plan.path)
        finally:
            if written:
                studio.reload()
    return written
