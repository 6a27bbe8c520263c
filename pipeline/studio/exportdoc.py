"""The text of a transcript with the studio's edits in it, in the transcript's own format.

What a transcript can carry goes in: each edited language's text per segment (a segment whose cues
were all deleted keeps an empty text in that language; one left with no text in any language is
dropped), and each cue inserted in the studio as a segment of its own, with its times. An SRT or
WebVTT transcript (one language) takes the edited cues as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.core.cues import Cue, Track
from pipeline.core.scripts import join_lines
from pipeline.core.timecode import format_srt_time
from pipeline.ingest.segments import Segment, Transcript
from pipeline.tracks.formats import compose_srt, compose_vtt


def single_language_doc(path: Path, track: Track) -> str:
    """An SRT or WebVTT transcript: the edited cues as they are."""
    return (compose_srt if path.suffix.lower() == ".srt" else compose_vtt)(track)


def segment_texts(track: Track, segments: Sequence[Segment]) -> tuple[dict[str, str], list[Cue]]:
    """Each segment's text in ``track``'s language (its cues' lines joined), and the cues of no segment."""
    lines: dict[str, list[str]] = {seg.id: [] for seg in segments}
    inserted: list[Cue] = []
    for cue in track.cues:
        if cue.segment_id in lines:
            lines[cue.segment_id].extend(cue.lines)
        else:
            inserted.append(cue)
    return {sid: join_lines(found) for sid, found in lines.items()}, inserted


def edited_segments(
    transcript: Transcript, tracks: Mapping[str, Track], prefix: str
) -> tuple[list[Segment], list[Segment]]:
    """The transcript's segments with the text of ``tracks`` (by the transcript's language names), and
    the new segments of inserted cues (ids ``<prefix>-<lang>-<n>``)."""
    texts: dict[str, dict[str, str]] = {}
    new: list[Segment] = []
    for key, track in tracks.items():
        texts[key], inserted = segment_texts(track, transcript.segments)
        for n, cue in enumerate(inserted, 1):
            text = {**{k: "" for k in transcript.languages if k != key}, key: join_lines(cue.lines)}
            new.append(Segment(f"{prefix}-{key}-{n}", cue.start_ms, cue.end_ms, text))
    merged = [
        replace(s, text={**s.text, **{k: t[s.id] for k, t in texts.items() if s.id in t}}) for s in transcript.segments
    ]
    return [s for s in merged if any(t.strip() for t in s.text.values())], new


def json_doc(path: Path, kept: Sequence[Segment], new: Sequence[Segment]) -> str:
    """The transcript JSON at ``path`` (subpipe or Whisper) with the texts of ``kept`` and the segments ``new``;
    its other keys and segment fields stay as they were."""
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    by_id = {seg.id: seg for seg in kept}
    segments: list[Any] = []
    for n, raw in enumerate(doc["segments"]):
        seg = by_id.get(str(raw.get("id", f"{n + 1}")))
        if seg is None:
            continue  # no text left in any language
        if isinstance(raw.get("text"), str):
            raw["text"] = next(iter(seg.text.values()), "")
        else:
            raw["text"] = {**raw.get("text", {}), **seg.text}
        segments.append(raw)
    segments += [{"id": s.id, "start_ms": s.start_ms, "end_ms": s.end_ms, "text": dict(s.text)} for s in new]
    doc["segments"] = segments
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def sheet_doc(segments: Sequence[Segment], langs: Sequence[str], tsv: bool) -> str:
    """A CSV or TSV transcript sheet of ``segments``: ``id, start, end, speaker``, then one column per language."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if tsv else ",", lineterminator="\n")
    writer.writerow(["id", "start", "end", "speaker", *langs])
    for seg in sorted(segments, key=lambda s: s.start_ms):
        times = [format_srt_time(seg.start_ms), format_srt_time(seg.end_ms)]
        writer.writerow([seg.id, *times, seg.speaker, *[seg.text.get(lang, "") for lang in langs]])
    return out.getvalue()
