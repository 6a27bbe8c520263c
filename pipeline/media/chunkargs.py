"""ffmpeg argument lists of chunked burning: encode a batch of chunks (languages), concatenate a cut.

Pure builders (tests check them exactly), apart from :func:`ffmpeg_version`, which asks the binary.

A chunk is the source's frames whose presentation timestamps lie in ``[first_pts, end_pts)``, in
the video stream's own time base. The input is opened with ``-copyts`` and ``-noaccurate_seek`` so
those timestamps reach the filter graph unchanged, and ``trim=start_pts/end_pts`` cuts on exact
integers (a seek in seconds could round a frame away). Around each ``subtitles`` filter ``setpts``
moves the clock so that libass sees the monolithic burn's time minus a whole number of centiseconds
(the re-based ASS events) and moves it back; each chunk is then trimmed and starts at 0. Each
output is its own x264 instance: an IDR on its first frame, a closed GOP by construction,
``stitchable=1`` so every chunk carries the same headers, a fixed thread count so the bytes are
deterministic.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.media.ffmpeg import base_args, escape_filter_value, ffmpeg_exe, safe_path
from pipeline.media.stills import still_outputs


@dataclass(frozen=True)
class ChunkSettings:
    """x264 settings shared by every chunk (all of them are part of a chunk's key)."""

    crf: int = 23
    preset: str = "veryfast"
    threads: int = 1
    colour: tuple[str, ...] = ()
    """The source's colour description (``-colorspace bt709``...), written into every chunk as a
    monolithic burn writes it (:func:`pipeline.media.commands.picture_for`)."""

    def x264_params(self) -> str:
        """The ``-x264-params`` value."""
        return f"stitchable=1:threads={self.threads}:sliced-threads=0"


@dataclass(frozen=True)
class BurnStream:
    """One libass instance of a batch: a subtitle file, its fonts folder (None: the bare picture).

    ``clock_pts`` is subtracted before the ``subtitles`` filter (and added back after it): the
    burn's clock minus the (whole-centisecond) offset its events were re-based by.
    """

    subtitle: str | None
    fontsdir: str | None
    clock_pts: int


@dataclass(frozen=True)
class ChunkOutput:
    """One encoded chunk: frames ``[first_pts, end_pts)`` (stream ticks) of stream ``stream``.

    ``stills``: the chunk's frames (indices from its first, 0) also written as review stills,
    tapped from the picture x264 receives: ``<target without .mp4>.s000_00001.jpg``... in frame order
    (:func:`pipeline.media.stills.still_outputs`).
    """

    first_pts: int
    end_pts: int
    stream: int
    target: Path
    stills: tuple[int, ...] = ()

    @property
    def stills_prefix(self) -> str:
        """Where the stills go (:func:`stills_prefix`)."""
        return stills_prefix(self.target)


def stills_prefix(target: Path) -> str:
    """Where a chunk's stills go: its name without ``.mp4``, then ``.s`` (both engines)."""
    return str(target.with_suffix("")) + ".s"


@functools.lru_cache(maxsize=1)
def ffmpeg_version() -> str:
    """The first line of ``ffmpeg -version`` (part of every chunk key)."""
    out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0] if out else "unknown"


def _timescale(timescale: int) -> list[str]:
    # MP4 keeps the source's ticks exactly when its time base is 1/N; 0 leaves the muxer's choice.
    return ["-video_track_timescale", str(timescale)] if timescale > 0 else []


def _stream_chain(j: int, stream: BurnStream, outs: Sequence[int]) -> str:
    chain = f"[r{j}]"
    if stream.subtitle is not None:
        sub, fonts = escape_filter_value(stream.subtitle), escape_filter_value(stream.fontsdir or ".")
        chain += f"setpts=PTS-{stream.clock_pts},subtitles=filename={sub}:fontsdir={fonts},"
        chain += f"setpts=PTS+{stream.clock_pts},"
    return chain + f"split={len(outs)}" + "".join(f"[c{i}]" for i in outs)


def chunk_graph(streams: Sequence[BurnStream], outputs: Sequence[ChunkOutput]) -> str:
    """The filter graph: trim the batch's frames once, burn each stream once, cut each chunk, start at 0."""
    first = min(out.first_pts for out in outputs)
    end = max(out.end_pts for out in outputs)
    head = f"[0:v]trim=start_pts={first}:end_pts={end},split={len(streams)}"
    parts = [head + "".join(f"[r{j}]" for j in range(len(streams)))]
    for j, stream in enumerate(streams):
        parts.append(_stream_chain(j, stream, [i for i, out in enumerate(outputs) if out.stream == j]))
    for i, out in enumerate(outputs):
        tap = f",split=2[o{i}][t{i}]" if out.stills else f"[o{i}]"
        parts.append(f"[c{i}]trim=start_pts={out.first_pts}:end_pts={out.end_pts},setpts=PTS-STARTPTS{tap}")
        if out.stills:
            parts += still_outputs(f"t{i}", out.stills, out.stills_prefix)[0]
    return ";".join(parts)


def chunk_args(
    video: Path,
    seek_s: str,
    streams: Sequence[BurnStream],
    outputs: Sequence[ChunkOutput],
    settings: ChunkSettings,
    timescale: int,
) -> list[str]:
    """Decode ``video`` once from ``seek_s`` (a keyframe) and encode every output chunk (MP4, video only).

    Outputs may be different chunks of the same span of frames: each is its own x264 instance; the
    chunks of one stream share its ``subtitles`` filter (one libass start-up per stream).
    """
    argv = [*base_args(), "-copyts", "-noaccurate_seek", "-ss", seek_s, "-i", safe_path(video)]
    argv += ["-filter_complex", chunk_graph(streams, outputs)]
    for i, out in enumerate(outputs):
        argv += ["-map", f"[o{i}]", "-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf)]
        argv += ["-x264-params", settings.x264_params(), "-pix_fmt", "yuv420p", *settings.colour]
        argv += ["-fps_mode", "passthrough"]
        argv += ["-enc_time_base:v", "filter", *_timescale(timescale)]
        argv += ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1", "-an", "-sn", "-dn"]
        argv += ["-f", "mp4", safe_path(out.target)]
        if out.stills:
            argv += still_outputs(f"t{i}", out.stills, out.stills_prefix)[1]
    return argv


def concat_list(files: Sequence[Path], durations_us: Sequence[int | None]) -> str:
    """An ffconcat script: each file with its exact duration, so the next one starts where it must."""
    lines = ["ffconcat version 1.0"]
    for path, dur in zip(files, durations_us, strict=True):
        quoted = str(path.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
        if dur is not None:
            lines.append(f"duration {dur // 1_000_000}.{dur % 1_000_000:06d}")
    return "\n".join(lines) + "\n"


def concat_args(list_file: Path, video: Path, offset_us: int, target: Path, timescale: int) -> list[str]:
    """The cut: the chunks' video (shifted to the source's first frame) and the source's audio, copied."""
    offset = f"{offset_us // 1_000_000}.{offset_us % 1_000_000:06d}"
    argv = [*base_args(), "-itsoffset", offset, "-f", "concat", "-safe", "0", "-i", safe_path(list_file)]
    argv += ["-i", safe_path(video), "-map", "0:v:0", "-map", "1:a?", "-c", "copy", "-map_metadata", "1"]
    argv += ["-map_chapters", "1"]
    if target.suffix.lower() in (".mp4", ".m4v", ".mov"):
        argv += [*_timescale(timescale), "-movflags", "+faststart"]
    return [*argv, safe_path(target)]
