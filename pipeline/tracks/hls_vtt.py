"""The text of an HLS package's playlists and WebVTT subtitle segments (RFC 8216).

Each language is a WebVTT rendition cut at the video's own segment boundaries: a segment holds
every cue that overlaps it (a cue across a boundary is in both, which players merge), and starts
with ``X-TIMESTAMP-MAP=MPEGTS:<90 kHz>,LOCAL:00:00:00.000``: the media timestamp of the video's
first frame, which is where the track's time 0 is (not 0 when the source does not start at 0, or
when B-frames delay the first picture).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.core.cues import Track
from pipeline.core.timecode import format_srt_time


@dataclass(frozen=True)
class Rendition:
    """One subtitle rendition of the master playlist: its BCP 47 tag, its name in the language
    itself, its media playlist (relative URI), and whether it is the default."""

    tag: str
    name: str
    uri: str
    default: bool


def media_playlist(durations: Sequence[float], names: Sequence[str]) -> str:
    """A VOD media playlist of segments ``names`` lasting ``durations`` seconds."""
    target = max(1, math.floor(max(durations, default=1.0) + 0.5))  # each EXTINF, rounded, at most this
    head = f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:0\n"
    body = "".join(f"#EXTINF:{d:.6f},\n{n}\n" for d, n in zip(durations, names, strict=True))
    return head + "#EXT-X-PLAYLIST-TYPE:VOD\n" + body + "#EXT-X-ENDLIST\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_segments(track: Track, bounds_ms: Sequence[int], mpegts: int) -> list[str]:
    """The WebVTT segments of ``track`` between consecutive ``bounds_ms`` (the last one open-ended)."""
    header = f"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000\n\n"
    out = []
    for i, start in enumerate(bounds_ms):
        end = bounds_ms[i + 1] if i + 1 < len(bounds_ms) else math.inf
        cues = [c for c in track.cues if c.start_ms < end and c.end_ms > start]
        blocks = [
            f"{format_srt_time(c.start_ms).replace(',', '.')} --> {format_srt_time(c.end_ms).replace(',', '.')}\n"
            f"{_escape(c.text)}\n"
            for c in cues
        ]
        out.append(header + "\n".join(blocks))
    return out


def distinct_names(renditions: Sequence[Rendition]) -> list[str]:
    """The renditions' names, each one in the group once (RFC 8216 4.3.4.1.1): a name two languages
    share (``es`` and ``es-419``, both Español) is kept by the one tag with the fewest subtags, and the
    others name their tag: ``Español (es-419)``."""
    tags: dict[str, list[str]] = {}
    for r in renditions:
        tags.setdefault(r.name, []).append(r.tag)
    out = []
    for r in renditions:
        shortest = min(t.count("-") for t in tags[r.name])
        alone = [t for t in tags[r.name] if t.count("-") == shortest] == [r.tag]
        out.append(r.name if len(tags[r.name]) == 1 or alone else f"{r.name} ({r.tag})")
    return out


def master_playlist(stream_inf: str, video_uri: str, renditions: Sequence[Rendition]) -> str:
    """The master playlist: every subtitle rendition in group ``subs`` (names made distinct), then the
    video stream (``stream_inf``: the attributes of its ``EXT-X-STREAM-INF``, BANDWIDTH, CODECS...)."""
    media = "".join(
        f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="{name}",LANGUAGE="{r.tag}",'
        f"DEFAULT={'YES' if r.default else 'NO'},AUTOSELECT={'YES' if r.default else 'NO'},"
        f'FORCED=NO,URI="{r.uri}"\n'
        for r, name in zip(renditions, distinct_names(renditions), strict=True)
    )
    return (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        + media
        + f'#EXT-X-STREAM-INF:{stream_inf},SUBTITLES="subs"\n{video_uri}\n'
    )
