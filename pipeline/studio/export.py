"""Writing the studio's edits back into each video's transcript, so the fix reaches the source of truth.

What a transcript can carry goes into it: each edited language's text per segment (a cue inserted
in the studio becomes a segment of its own, with its times; a segment whose cues were all deleted
keeps an empty text in that language). Single-language transcripts (SRT, VTT) take the edited cues
as they are, times included. The times of a multi-language transcript are shared by every language,
so a timing edit stays in the studio's store: after the export every stored edit is *rebased* onto
the cues the new transcript builds, and one the transcript now makes by itself is dropped. Reading
the export back (with the store) gives the same tracks; :func:`export_job` checks that it does.
The file replaced is kept in ``<output>/studio-backup/``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.cues import Cue, Track
from pipeline.core.edits import CueState, StoredCue
from pipeline.core.errors import InputError
from pipeline.core.langtags import merged_table
from pipeline.core.profiles import get_profile
from pipeline.core.scripts import join_lines
from pipeline.core.timecode import format_srt_time
from pipeline.ingest import editstore
from pipeline.ingest.segments import Segment, load_transcript
from pipeline.render.outputs import write_text
from pipeline.tracks.formats import compose_srt, compose_vtt
from pipeline.tracks.overlay import EditedTrack, cue_ids

if TYPE_CHECKING:
    from pipeline.studio.state import Studio

BACKUP = "studio-backup"


def _edited_langs(studio: Studio, video: str) -> list[str]:
    return [lang for lang in studio.video(video).base if editstore.overlay(studio.db, video, lang)]


def _segment_texts(
    studio: Studio, video: str, lang: str, segments: Sequence[Segment]
) -> tuple[dict[str, str], list[tuple[str, Cue]]]:
    """Each segment's edited text in ``lang``, and the inserted cues (no segment) as (id, cue)."""
    _, edited = studio.track(video, lang)
    lines: dict[str, list[str]] = {seg.id: [] for seg in segments}
    inserted: list[tuple[str, Cue]] = []
    for cid, cue in zip(edited.ids, edited.track.cues, strict=True):
        if cue.segment_id in lines:
            lines[cue.segment_id].extend(cue.lines)
        else:
            inserted.append((cid, cue))
    return {sid: join_lines(found) for sid, found in lines.items()}, inserted


def _text_key(studio: Studio, video: str, lang: str) -> str:
    """The transcript's own name of ``lang`` (the job's spelling, e.g. ``zh-Hans``)."""
    for name in studio.video(video).vj.languages:
        if get_profile(name, merged_table(name, studio.job.profiles)).tag == lang:
            return name
    return lang


def _json_doc(path: Path, texts: Mapping[str, Mapping[str, str]], new: Sequence[dict[str, Any]]) -> str:
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    for n, raw in enumerate(doc["segments"]):
        sid = str(raw.get("id", f"{n + 1}"))
        for lang, by_segment in texts.items():
            if sid not in by_segment:
                continue
            if isinstance(raw.get("text"), str):
                raw["text"] = by_segment[sid]
            else:
                raw.setdefault("text", {})[lang] = by_segment[sid]
    doc["segments"].extend(new)
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _sheet_doc(segments: Sequence[Segment], langs: Sequence[str], tsv: bool) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if tsv else ",", lineterminator="\n")
    writer.writerow(["id", "start", "end", "speaker", *langs])
    for seg in sorted(segments, key=lambda s: s.start_ms):
        times = [format_srt_time(seg.start_ms), format_srt_time(seg.end_ms)]
        writer.writerow([seg.id, *times, seg.speaker, *[seg.text.get(lang, "") for lang in langs]])
    return out.getvalue()


def _export_video(studio: Studio, video: str) -> Path | None:
    """Write one video's transcript with its edits; None when it has none, or already holds them."""
    langs = _edited_langs(studio, video)
    vj = studio.video(video).vj
    if not langs:
        return None
    path = vj.transcript
    suffix = path.suffix.lower()
    if suffix in (".srt", ".vtt"):
        item, _ = studio.track(video, langs[0])
        return _replace(studio, path, (compose_srt if suffix == ".srt" else compose_vtt)(item.track))
    transcript = load_transcript(path, encoding=vj.encoding, lenient=vj.lenient, hint_langs=vj.languages)
    texts: dict[str, dict[str, str]] = {}
    new: list[Segment] = []
    for lang in langs:
        key = _text_key(studio, video, lang)
        texts[key], inserted = _segment_texts(studio, video, lang, transcript.segments)
        for cid, cue in inserted:
            other = {k: "" for k in transcript.languages if k != key}
            text = {**other, key: join_lines(cue.lines)}
            new.append(Segment(f"{video}-{lang}-{cid}", cue.start_ms, cue.end_ms, text))
    if suffix == ".json":
        raw_new = [{"id": s.id, "start_ms": s.start_ms, "end_ms": s.end_ms, "text": dict(s.text)} for s in new]
        return _replace(studio, path, _json_doc(path, texts, raw_new))
    merged = [
        replace(s, text={**s.text, **{k: t[s.id] for k, t in texts.items() if s.id in t}}) for s in transcript.segments
    ]
    return _replace(studio, path, _sheet_doc([*merged, *new], transcript.languages, suffix == ".tsv"))


def _replace(studio: Studio, path: Path, text: str) -> Path | None:
    """Keep a copy of ``path`` in the backup folder, then replace it with ``text`` (through a partial);
    None when it already holds ``text``."""
    if path.read_bytes() == text.encode("utf-8"):
        return None
    folder = studio.job.output_dir / BACKUP
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    shutil.copy2(path, folder / f"{path.stem}.{stamp}{path.suffix}")
    return write_text(path, text)


def _by_segment(
    cues: Sequence[Cue], ids: Sequence[str], renamed: Mapping[str, str]
) -> dict[str, list[tuple[str, Cue]]]:
    groups: dict[str, list[tuple[str, Cue]]] = {}
    for cid, cue in zip(ids, cues, strict=True):
        groups.setdefault(cue.segment_id or renamed.get(cid, cid), []).append((cid, cue))
    return groups


def rebased(wanted: EditedTrack, new: Track, renamed: Mapping[str, str]) -> list[StoredCue]:
    """The edits that turn the new build ``new`` into the ``wanted`` track: per segment, its cues paired in
    order; a pair that differs is an update, a cue only the build makes a delete, one only wanted an insert."""
    built = _by_segment(new.cues, cue_ids(new), {})
    goal = _by_segment(wanted.track.cues, wanted.ids, renamed)
    versions = dict(zip(wanted.ids, wanted.versions, strict=True))
    rows: list[StoredCue] = []
    for seg in sorted(set(built) | set(goal)):
        have, want = built.get(seg, []), goal.get(seg, [])
        for n in range(max(len(have), len(want))):
            base = CueState.of(have[n][1]) if n < len(have) else None
            state = CueState.of(want[n][1]) if n < len(want) else None
            if base == state:
                continue
            cid = have[n][0] if n < len(have) else want[n][0]
            rows.append(StoredCue(cid, versions.get(cid, 0) + 1, state, base))
    return rows


def export_job(studio: Studio) -> list[Path]:
    """Write every video's edits into its transcript and rebase the store on the new build.

    Raises:
        InputError: when a transcript cannot be read or the export would not read back as the same tracks.
        OutputError: when a transcript cannot be written.
    """
    written = []
    for vj in studio.job.videos:
        with studio.lock:
            before = {lang: studio.track(vj.name, lang)[1] for lang in studio.video(vj.name).base}
            path = _export_video(studio, vj.name)
            if path is None:
                continue
            written.append(path)
            studio.reload()
            for lang, wanted in before.items():
                renamed = {cid: f"{vj.name}-{lang}-{cid}" for cid in _inserted_ids(studio, vj.name, lang)}
                rows = rebased(wanted, studio.video(vj.name).base[lang].track, renamed)
                editstore.replace_overlay(studio.db, vj.name, lang, rows)
                studio.forget(vj.name, lang)
                _check_same(studio, vj.name, lang, wanted.track, path)
    return written


def _inserted_ids(studio: Studio, video: str, lang: str) -> list[str]:
    return [s.id for s in editstore.overlay(studio.db, video, lang) if s.base is None]


def _check_same(studio: Studio, video: str, lang: str, before: Track, path: Path) -> None:
    after = studio.track(video, lang)[0].track
    if [(c.start_ms, c.end_ms, c.lines) for c in after.cues] != [(c.start_ms, c.end_ms, c.lines) for c in before.cues]:
        raise InputError(path, f"{video}/{lang}: the exported transcript does not build the edited track again")

