"""The ffmpeg binary, the argument lists we give it, and the one runner that executes them.

Builders are pure functions that return ``list[str]`` (tests check them exactly). The binary is
resolved at first use, never at import: ``SUBPIPE_FFMPEG``, else the static build that the
``imageio-ffmpeg`` wheel ships (libass, libx264, HarfBuzz, FriBidi), else ``ffmpeg`` on PATH.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import FfmpegError, UsageError

ProgressFn = Callable[[float], None]

_GLYPH_MISSING = re.compile(r"Glyph 0x[0-9A-Fa-f]+ not found|failed to find any fallback")
_HINTS: tuple[tuple[str, str], ...] = (
    ("Unknown encoder", "this ffmpeg lacks the encoder; run `subpipe doctor`"),
    ("No such filter", "this ffmpeg lacks a filter (libass?); run `subpipe doctor`"),
    ("No space left on device", "the disk is full"),
    ("Permission denied", "an output folder is not writable"),
    ("Invalid data found when processing input", "an input is not a media file ffmpeg can read"),
)


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg binary to run.

    Raises:
        UsageError: when no ffmpeg can be found.
    """
    explicit = os.environ.get("SUBPIPE_FFMPEG")
    if explicit:
        if not Path(explicit).is_file():
            raise UsageError(f"SUBPIPE_FFMPEG={explicit!r} is not a file")
        return explicit
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found is None:
            raise UsageError("no ffmpeg found: pip install imageio-ffmpeg, or set SUBPIPE_FFMPEG") from None
        return found


def escape_filter_value(value: str) -> str:
    """Escape ``value`` for use as an option value inside a filter graph.

    Two levels: the option parser (``\\ : '``) and the graph parser (``\\ ' [ ] , ;``). Backslashes
    in Windows paths become ``/`` first.
    """
    value = value.replace("\\", "/")
    for ch in ("\\", ":", "'"):
        value = value.replace(ch, "\\" + ch)
    for ch in ("\\", "'", "[", "]", ",", ";"):
        value = value.replace(ch, "\\" + ch)
    return value


def safe_path(path: Path) -> str:
    """A path ffmpeg will not mistake for an option (a leading ``-``) or a protocol (``x:``)."""
    text = str(path)
    if path.is_absolute():
        return text
    return "./" + text if not text.startswith("./") else text


@dataclass(frozen=True)
class BurnOutput:
    """One burned cut of a multi-output burn: its subtitle file (in the work dir) and its target."""

    subtitle: str
    target: Path


def burn_args(
    video: Path, outputs: Sequence[BurnOutput], fontsdir: str, *, crf: int = 23, preset: str = "veryfast"
) -> list[str]:
    """One process that decodes ``video`` once and encodes every output (``split`` filter)."""
    n = len(outputs)
    graph = [f"[0:v]split={n}" + "".join(f"[v{i}]" for i in range(n)) if n > 1 else "[0:v]null[v0]"]
    fonts = escape_filter_value(fontsdir)
    for i, out in enumerate(outputs):
        graph.append(f"[v{i}]subtitles=filename={escape_filter_value(out.subtitle)}:fontsdir={fonts}[o{i}]")
    argv = [*base_args(), "-i", safe_path(video), "-filter_complex", ";".join(graph)]
    for i, out in enumerate(outputs):
        argv += ["-map", f"[o{i}]", "-map", "0:a?", "-c:v", "libx264", "-preset", preset, "-crf", str(crf)]
        argv += ["-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart", safe_path(out.target)]
    return argv


@dataclass(frozen=True)
class SoftTrack:
    """A subtitle track to mux: its file, ISO 639-2 code, title, and whether it is the default."""

    path: Path
    iso639_2: str
    title: str
    default: bool = False


def mux_args(video: Path, tracks: Sequence[SoftTrack], target: Path) -> list[str]:
    """Stream-copy ``video`` and add ``tracks`` as soft subtitles (mov_text in MP4, SRT in MKV)."""
    argv = [*base_args(), "-i", safe_path(video)]
    for track in tracks:
        argv += ["-i", safe_path(track.path)]
    argv += ["-map", "0:v?", "-map", "0:a?"]
    for i in range(len(tracks)):
        argv += ["-map", f"{i + 1}:0"]
    codec = "mov_text" if target.suffix.lower() in (".mp4", ".m4v", ".mov") else "srt"
    argv += ["-c", "copy", "-c:s", codec]
    for i, track in enumerate(tracks):
        argv += [f"-metadata:s:s:{i}", f"language={track.iso639_2}", f"-metadata:s:s:{i}", f"title={track.title}"]
        argv += [f"-metadata:s:s:{i}", f"handler_name={track.title}"]
        argv += [f"-disposition:s:{i}", "default" if track.default else "0"]
    if codec == "mov_text":
        argv += ["-movflags", "+faststart"]
    return [*argv, safe_path(target)]


def base_args() -> list[str]:
    """The start of every command: binary, no stdin, progress on stdout, no stats on stderr."""
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", "-progress", "pipe:1", "-nostats"]


@dataclass
class FfmpegRun:
    """What a finished run left: its stderr tail and the libass missing-glyph lines it counted."""

    stderr_tail: str
    glyph_warnings: int


LineFn = Callable[[str], None]


def _drain_stderr(stream: object, tail: deque[str], counts: list[int], on_line: LineFn | None) -> None:
    for raw in stream:  # type: ignore[attr-defined]
        line = raw.decode("utf-8", "replace").rstrip()
        if _GLYPH_MISSING.search(line):
            counts[0] += 1
        if on_line is not None:
            on_line(line)
        tail.append(line)


def _hint(stderr: str) -> str:
    return next((hint for pattern, hint in _HINTS if pattern in stderr), "")


def run_ffmpeg(
    argv: list[str],
    *,
    duration_us: int = 0,
    on_progress: ProgressFn | None = None,
    cwd: Path | None = None,
    on_stderr: LineFn | None = None,
) -> FfmpegRun:
    """Run ``argv``, feed ``-progress`` output to ``on_progress`` (0..1), fail loudly.

    ``on_stderr`` sees every stderr line (filters such as ``scdet`` report there).

    Raises:
        FfmpegError: on a non-zero exit, or when libass reports a missing glyph.
    """
    tail: deque[str] = deque(maxlen=40)
    counts = [0]
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    except OSError as exc:
        raise FfmpegError(argv, -1, "", f"cannot start ffmpeg: {exc.strerror}") from None
    reader = threading.Thread(target=_drain_stderr, args=(proc.stderr, tail, counts, on_stderr), daemon=True)
    reader.start()
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            # `out_time_ms` is in fact microseconds too; use the honest key.
            if key == "out_time_us" and on_progress and duration_us > 0 and value.isdigit():
                on_progress(min(int(value) / duration_us, 1.0))
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join()
    text = "\n".join(tail)
    if code != 0:
        raise FfmpegError(argv, code, text, _hint(text))
    if counts[0]:
        raise FfmpegError(argv, code, text, f"libass could not find {counts[0]} glyph(s): the font lacks characters")
    if on_progress:
        on_progress(1.0)
    return FfmpegRun(text, counts[0])
