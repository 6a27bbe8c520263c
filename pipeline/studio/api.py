"""The studio's JSON calls: overview, a video, a track, edits, lint, reflow, history, approval, export.

Each returns plain JSON data or raises a :class:`PipelineError` the app turns into a 4xx. An edit is
acknowledged only after its transaction is committed; it then queues the video's re-render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.batch.steps import display_style, style_for
from pipeline.core.errors import PipelineError
from pipeline.core.findings import ERROR, WARNING, Finding
from pipeline.ingest import approvalstore, edithistory, editstore
from pipeline.ingest.editstore import Change
from pipeline.media.commands import burn_size
from pipeline.media.fonts import FONTS, font_spec
from pipeline.media.peaks import PEAKS_PER_SECOND, audio_peaks
from pipeline.studio.access import Access
from pipeline.studio.editing import (
    FieldError,
    cues_json,
    findings_json,
    findings_of,
    parse_changes,
    parse_label,
    with_changes,
)
from pipeline.studio.events import Events
from pipeline.studio.export import export_job
from pipeline.studio.renderer import Renderer
from pipeline.studio.responses import (
    ForbiddenError,
    TooLargeError,
    TrackChangedError,
    conflicts_json,
    credentials,
    history_json,
    is_unicode,
)
from pipeline.studio.state import NotFoundError, Studio, VideoState
from pipeline.studio.users import User
from pipeline.tracks.formats import compose_ass
from pipeline.tracks.overlay import EditedTrack, track_digest
from pipeline.tracks.wrap import wrap_lines

__all__ = [
    "Api",
    "FieldError",
    "ForbiddenError",
    "TooLargeError",
    "TrackChangedError",
    "conflicts_json",
    "credentials",
    "cut_path",
]



def cut_path(studio: Studio, video: str, lang: str) -> Path | None:
    """The burned cut of ``lang``, when it exists as a plain file inside the output folder (``lang`` must be one
    of the video's languages)."""
    studio.track(video, lang)
    root = studio.job.output_dir.resolve()
    path = root / video / lang / f"{video}.{lang}.mp4"
    # the renderer writes plain files: a link (or a linked folder) leading anywhere is not served
    if any(p.is_symlink() for p in (path, path.parent, path.parent.parent)):
        return None
    real = path.resolve()
    return real if real.is_relative_to(root) and real.is_file() else None


class Api:
    """The calls, over one studio, its renderer and its event stream."""

    def __init__(self, studio: Studio, renderer: Renderer, events: Events, access: Access) -> None:
        self.studio, self.renderer, self.events, self.access = studio, renderer, events, access
        self._derived: dict[tuple[str, str], tuple[EditedTrack, list[Finding], str]] = {}

    def _derive(self, video: str, lang: str) -> tuple[list[Finding], str]:
        """The findings and the digest of the current track of ``lang``, computed once per state of the track."""
        item, edited = self.studio.track(video, lang)
        cached = self._derived.get((video, lang))
        if cached is not None and cached[0] is edited:
            return cached[1], cached[2]
        found, digest = findings_of(self.studio.video(video), item), track_digest(item.track)
        self._derived[(video, lang)] = (edited, found, digest)
        return found, digest

    def _lang_json(self, video: str, lang: str) -> dict[str, object]:
        _, edited = self.studio.track(video, lang)
        found, digest = self._derive(video, lang)
        errors = sum(1 for f in found if f.severity == ERROR)
        warnings = sum(1 for f in found if f.severity == WARNING)
        with self.studio.lock:
            count, _ = editstore.edit_count(self.studio.db, video, lang)
            approved = approvalstore.approval(self.studio.db, video, lang, digest)
        return {
            "lang": lang,
            "verdict": "fail" if errors else "warn" if warnings else "pass",
            "errors": errors,
            "warnings": warnings,
            "edits": count,
            "stale": len(edited.stale),
            "approved": approved.as_json() if approved else None,
            "render": self.renderer.state_of(video).as_json(),
        }

    def overview(self) -> dict[str, object]:
        """Every video and language with its QC verdict, findings, edits, approval and render state."""
        videos: list[dict[str, object]] = []
        for vj in self.studio.job.videos:
            try:
                state = self.studio.video(vj.name)
            except PipelineError as exc:  # one unreadable video or transcript: its own row says why
                videos.append({"name": vj.name, "duration_ms": None, "languages": [], "error": str(exc)})
                continue
            langs = [self._lang_json(vj.name, lang) for lang in state.base]
            langs += [{"lang": lang, "verdict": "fail", "error": msg} for lang, msg in state.errors.items()]
            duration = state.media.duration_ms if state.media else None
            videos.append({"name": vj.name, "duration_ms": duration, "languages": langs})
        return {"job": str(self.studio.job_path), "videos": videos}

    def video(self, video: str) -> dict[str, object]:
        """One video's facts: length, frame rate, display size, languages, shot changes and speech."""
        state = self.studio.video(video)
        media = state.media
        fps = media.fps if media and media.fps else None
        return {
            "name": video,
            "duration_ms": media.duration_ms if media else None,
            "fps": [fps.numerator, fps.denominator] if fps else None,
            "width": media.display_width if media else None,
            "height": media.display_height if media else None,
            "languages": list(state.base),
            "default_language": state.vj.default_language,
            "shots_ms": state.shots,
            "speech": [list(span) for span in state.speech.spans] if state.speech else [],
            "source_url": f"/media/{video}/source" if state.vj.video else None,
            "peaks_url": f"/api/videos/{video}/peaks",
        }

    def peaks(self, video: str) -> dict[str, object]:
        """The source's waveform peaks (computed once, cached)."""
        state = self.studio.video(video)
        if state.vj.video is None or state.media is None or not state.media.has_audio:
            return {"per_second": PEAKS_PER_SECOND, "duration_ms": 0, "peaks": []}
        return {
            "per_second": PEAKS_PER_SECOND,
            "duration_ms": state.media.duration_ms,
            "peaks": audio_peaks(state.vj.video),
        }

    def track(self, video: str, lang: str) -> dict[str, object]:
        """One track as the editor shows it: cues with ids and versions, findings, approval, fonts."""
        item, edited = self.studio.track(video, lang)
        p = item.profile
        spec = font_spec(p.font)
        cut = cut_path(self.studio, video, lang)
        return {
            **self._lang_json(video, lang),
            "video": video,
            "profile": {
                "max_chars": p.max_line_chars,
                "max_lines": p.max_lines,
                "max_cps": p.max_cps,
                "min_duration_ms": p.min_duration_ms,
                "max_duration_ms": p.max_duration_ms,
                "min_gap_frames": p.min_gap_frames,
                "direction": "rtl" if p.rtl else "ltr",
            },
            "cues": cues_json(edited),
            "digest": self._derive(video, lang)[1],
            "findings": findings_json(self._derive(video, lang)[0], edited.ids),
            "stale": [{"id": cid, "message": reason} for cid, reason in edited.stale],
            "ass_url": f"/api/videos/{video}/tracks/{lang}/ass",
            "fonts": [{"name": spec.family, "url": f"/fonts/{_file_key(p.font)}"}],
            "cut_url": f"/media/{video}/cut/{lang}" if cut else None,
        }

    def ass(self, video: str, lang: str) -> str:
        """The ASS document the burn draws, with the current edits."""
        item, _ = self.studio.track(video, lang)
        media = self.studio.video(video).media
        if media is None or not media.width:
            raise NotFoundError(None, f"video {video!r} has no picture to draw on")
        size = burn_size(media)
        style = display_style(self.studio.job.style, (media.display_width, media.display_height))
        ass_style = style_for(item.profile, style, size[1])
        return compose_ass(item.track, ass_style, *size, fps=item.track.fps, sar=media.sar)

    def edit(self, body: Any, video: str, lang: str, user: User) -> dict[str, object]:
        """Commit a batch of changes; the track as it now stands, and the ids changed.

        Raises:
            ForbiddenError: when ``user`` may not edit ``lang``.
        """
        if not user.may_edit(lang):
            raise ForbiddenError(f"{user.name} may not edit {lang} (their languages: {_langs(user)})")
        state = self.studio.video(video)
        changes = parse_changes(body, state.media.duration_ms if state.media else None)
        label = parse_label(body)
        base = self.studio.base(video, lang)
        notes = self._change_findings(state, video, lang, changes)
        with self.studio.lock:
            done = editstore.save(self.studio.db, video, lang, changes, base, user.name, label, notes)
            self.studio.forget(video, lang)
        self.events.publish("edit", {"video": video, "lang": lang, "ids": done, "by": user.name})
        self.renderer.request(video)
        inserted = [cid for cid, change in zip(done, changes, strict=True) if change.op == "insert"]
        return {**self.track(video, lang), "changed": done, "inserted": inserted}

    def _change_findings(
        self, state: VideoState, video: str, lang: str, changes: list[Change]
    ) -> list[list[str]]:
        """Per change, the findings its cue would have (``severity rule: message``), stored with the edit."""
        item, edited = self.studio.track(video, lang)
        draft, ids = with_changes(item, edited, changes)
        found = findings_json(findings_of(state, draft), ids)
        keys = [c.id or f"draft{n}" for n, c in enumerate(changes)]
        return [[f"{f['severity']} {f['rule']}: {f['message']}" for f in found if f["cue_id"] == key] for key in keys]

    def lint(self, body: Any, video: str, lang: str) -> dict[str, object]:
        """The findings the track would have with the body's changes (nothing stored)."""
        state = self.studio.video(video)
        changes = parse_changes(body, state.media.duration_ms if state.media else None)
        item, edited = self.studio.track(video, lang)
        draft, ids = with_changes(item, edited, changes)
        return {"findings": findings_json(findings_of(state, draft), ids)}

    def reflow(self, body: Any, video: str, lang: str) -> dict[str, object]:
        """The language profile's line breaks for the body's text."""
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or len(text) > 1000 or not is_unicode(text):
            raise FieldError("text", "must be a string of at most 1000 characters, in valid Unicode")
        item, _ = self.studio.track(video, lang)
        return {"text": "\n".join(wrap_lines(" ".join(text.split()), item.profile))}

    def history(self, video: str, lang: str, cid: str) -> dict[str, object]:
        """Every stored change of one cue."""
        self.studio.track(video, lang)
        with self.studio.lock:
            rows = edithistory.history(self.studio.db, video, lang, cid)
        if not rows and cid not in self.studio.base(video, lang):
            raise NotFoundError(None, f"no cue {cid!r} in {video}/{lang}")
        return {"history": [history_json(r) for r in rows]}

    def approve(self, body: Any, video: str, lang: str, user: User) -> dict[str, object]:
        """Approve one language of one video as the page saw it (``digest``: 409 when the track changed since).

        Raises:
            ForbiddenError: when ``user`` is not an approver of ``lang``.
        """
        if not user.may_approve(lang):
            raise ForbiddenError(f"{user.name} may not approve {lang} (role {user.role}, languages {_langs(user)})")
        seen = body.get("digest") if isinstance(body, dict) else None
        if not isinstance(seen, str):
            raise FieldError("digest", "must be the digest of the track as the page shows it (a string)")
        with self.studio.lock:
            digest = self._derive(video, lang)[1]
            if seen != digest:
                raise TrackChangedError(digest)
            approval = approvalstore.approve(self.studio.db, video, lang, user.name, digest)
        self.events.publish("approval", {"video": video, "lang": lang, "approved": approval.as_json()})
        return {"approved": approval.as_json()}

    def export(self, _body: Any, user: User) -> dict[str, object]:
        """Write the edited tracks back into each video's transcript format (approvers of every language only).

        Raises:
            ForbiddenError: when ``user`` is not an approver of every language.
        """
        if user.role != "approver" or "*" not in user.languages:
            raise ForbiddenError(f"{user.name} may not export: only an approver of every language ('*') may")
        written: list[Path] = []
        try:
            written = export_job(self.studio)
        finally:
            if self.studio.reloaded_since_export():  # ids and versions changed: every open page reloads
                names = ", ".join(p.name for p in written) or "the transcripts"
                self.events.publish("reload", {"message": f"the edits were exported into {names}", "ok": True})
                for vj in self.studio.job.videos:
                    self.renderer.request(vj.name)
        return {"written": [str(p) for p in written]}


def _langs(user: User) -> str:
    return ", ".join(sorted(user.languages))


def _file_key(key: str) -> str:
    """The first font key naming the same file as ``key`` (the CJK faces share one collection: one URL, one
    download; libass picks the face by the family name)."""
    path = FONTS[key].path
    return next(k for k, spec in FONTS.items() if spec.path == path)
