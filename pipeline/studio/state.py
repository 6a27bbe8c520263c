"""What the studio knows of a job: each video's facts and built tracks, loaded once, and the edit store.

A video is loaded on first use (probe, shot changes and speech come from the caches a run fills).
The current track of a language is its build with the stored edits applied, kept until an edit or
a change of the job's files on disk makes it old.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.batch.edited import edited_track
from pipeline.batch.steps import LangTrack
from pipeline.batch.tracks_step import base_tracks
from pipeline.core.edits import CueState
from pipeline.core.errors import InputError, PipelineError
from pipeline.ingest import editstore
from pipeline.ingest.job import Job, VideoJob, load_job
from pipeline.media.probe import MediaInfo, probe
from pipeline.media.scenes import detect_shot_changes
from pipeline.media.vad import Speech, detect_speech, speech_pauses
from pipeline.tracks.overlay import EditedTrack, base_states, track_digest


class NotFoundError(InputError):
    """A video, language or cue the job does not have (HTTP 404)."""


@dataclass
class VideoState:
    """One video of the job: its probe, shot changes, speech and each language's built track."""

    vj: VideoJob
    media: MediaInfo | None
    shots: list[int]
    speech: Speech | None
    base: dict[str, LangTrack]
    errors: dict[str, str]
    current: dict[str, tuple[LangTrack, EditedTrack]] = field(default_factory=dict)


def _load_video(job: Job, vj: VideoJob) -> VideoState:
    media = probe(vj.video) if vj.video else None
    shots: list[int] = []
    speech = None
    if media is not None and vj.video is not None and media.width:
        shots = detect_shot_changes(vj.video, media)
    if media is not None and vj.video is not None and media.has_audio:
        speech = detect_speech(vj.video)
    made = base_tracks(job, vj, media, shots, speech_pauses(speech) if speech else [])
    base = {item.profile.tag: item for item in made.values() if isinstance(item, LangTrack)}
    errors = {lang: str(exc) for lang, exc in made.items() if isinstance(exc, PipelineError)}
    return VideoState(vj, media, shots, speech, base, errors)


class Studio:
    """The job, its videos as loaded, and the store; safe to use from the server's threads."""

    def __init__(self, job_path: Path) -> None:
        self.job_path = job_path
        self.job = load_job(job_path)
        self.job.output_dir.mkdir(parents=True, exist_ok=True)
        self.db: sqlite3.Connection = editstore.connect(self.job.output_dir / editstore.STORE_NAME)
        self.lock = threading.RLock()
        self._videos: dict[str, VideoState] = {}
        self._stamps = self._input_stamps()
        self._reloads = 0
        self._reported = 0

    def reloaded_since_export(self) -> bool:
        """Whether the job was reloaded since this was last asked (an export reloads it when it wrote)."""
        with self.lock:
            seen, self._reported = self._reported, self._reloads
            return self._reloads != seen

    def video_job(self, name: str) -> VideoJob:
        """The job's entry of video ``name``.

        Raises:
            NotFoundError: when the job has no such video.
        """
        for vj in self.job.videos:
            if vj.name == name:
                return vj
        raise NotFoundError(None, f"no video {name!r} in {self.job_path}")

    def video(self, name: str) -> VideoState:
        """Video ``name``, loaded on first use."""
        with self.lock:
            if name not in self._videos:
                self._videos[name] = _load_video(self.job, self.video_job(name))
            return self._videos[name]

    def track(self, name: str, lang: str) -> tuple[LangTrack, EditedTrack]:
        """The current track of ``lang`` (build + stored edits) and its ids and versions.

        Raises:
            NotFoundError: when the video has no such language.
        """
        state = self.video(name)
        with self.lock:
            if lang not in state.base:
                if lang in state.errors:
                    raise NotFoundError(None, f"{name}/{lang}: {state.errors[lang]}")
                raise NotFoundError(None, f"no language {lang!r} in video {name!r} (it has {', '.join(state.base)})")
            if lang not in state.current:
                editstore.note_build(self.db, name, lang, track_digest(state.base[lang].track))
                stored = editstore.overlay(self.db, name, lang)
                lowest = editstore.floor(self.db, name, lang)
                state.current[lang] = edited_track(state.base[lang], stored, state.media, state.shots, lowest)
            return state.current[lang]

    def base(self, name: str, lang: str) -> Mapping[str, CueState]:
        """The built (unedited) cues of a track by id."""
        self.track(name, lang)
        return base_states(self.video(name).base[lang].track)

    def forget(self, name: str, lang: str) -> None:
        """Drop the cached current track of ``lang`` (after an edit)."""
        with self.lock:
            self.video(name).current.pop(lang, None)

    def _input_stamps(self) -> dict[Path, int]:
        paths = [self.job_path, *[p for vj in self.job.videos for p in (vj.transcript, vj.video) if p is not None]]
        return {p: p.stat().st_mtime_ns if p.exists() else 0 for p in paths}

    def reload(self) -> None:
        """Read the job file again and forget every loaded video (its inputs changed).

        Raises:
            InputError: when the job file cannot be read; the studio keeps the job it had, and looks again
                at the next change.
        """
        with self.lock:
            stamps = self._input_stamps()
            try:
                job = load_job(self.job_path)
            finally:
                self._stamps = stamps
            self.job = job
            self._stamps = self._input_stamps()  # the new job's inputs
            self._videos.clear()
            self._reloads += 1

    def reload_if_changed(self) -> list[str]:
        """Reload the job and forget built tracks when the job file or an input changed on disk.

        Returns what was reloaded (empty: nothing changed), with the edits that no longer apply.

        Raises:
            InputError: when the changed job file cannot be read (the studio keeps the old one).
        """
        stamps = self._input_stamps()
        if stamps == self._stamps:
            return []
        changed = [str(p) for p, t in stamps.items() if self._stamps.get(p) != t]
        self.reload()
        said = [f"reloaded {', '.join(changed)}"]
        for vj in self.job.videos:
            try:
                langs = list(self.video(vj.name).base)
                said += [f"{vj.name}/{lang}: {why}" for lang in langs for _, why in self.track(vj.name, lang)[1].stale]
            except PipelineError as exc:  # the page shows it on the video's row
                said.append(f"{vj.name}: {exc}")
        return said
