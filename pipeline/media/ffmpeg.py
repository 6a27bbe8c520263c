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
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from pipeline.core.errors import FfmpegError, UsageError

ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class EncodeRate:
    """How fast an ffmpeg run goes, from its ``-progress`` block: frames per second, speed (media
    seconds per second) and the seconds left (None until there is a speed; 0 at the end)."""

    fps: float
    speed: float
    eta_s: float | None


@runtime_checkable
class RateAware(Protocol):
    """A progress callback that can also show an encode's rate and ETA (:func:`run_ffmpeg` feeds it)."""

    def __call__(self, fraction: float) -> None:
        """The fraction done."""

    def rate(self, rate: EncodeRate) -> None:
        """Frames per second, speed and seconds left, after each ``-progress`` block."""


GLYPH_MISSING = re.compile(r"Glyph 0x[0-9A-Fa-f]+ not found|failed to find any fallback")
# Causes worth one line, found in the log: (pattern, message; groups fill {0}, {1}...).
_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(width|height) not divisible by 2 \(([0-9x]+)\)"), "{0} not divisible by 2 ({1}): odd picture size"),
    (
        re.compile(r"Could not find tag for codec (\S+) in stream #(\d+)"),
        "codec {0} (output stream {1}) not supported in the output container",
    ),
    (re.compile(r"Only audio, video, and subtitles are supported for Matroska"), "a stream type MKV cannot hold"),
)
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


def base_args() -> list[str]:
    """The start of every command: binary, no stdin, progress on stdout, no stats on stderr."""
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", "-progress", "pipe:1", "-nostats"]


@dataclass
class FfmpegRun:
    """What a finished run left: its stderr tail and the libass missing-glyph lines it counted."""

    stderr_tail: str
    glyph_warnings: int


LineFn = Callable[[str], None]
MAX_LOG_LINES = 20_000  # kept for the log file (a tofu burn logs a line per missing glyph)
TAIL_LINES = 40
_OWN_GROUP = [False]


def start_in_own_process_group(enabled: bool = True) -> None:
    """Start every later ffmpeg of this process in a process group of its own.

    For a process that must not stop on a terminal's Ctrl-C (a Dask worker of a local cluster: the
    terminal signals its whole foreground group, and the client decides what stops). A killed or
    interrupted run still kills its ffmpeg (:func:`run_ffmpeg`).
    """
    _OWN_GROUP[0] = enabled


def _drain_stderr(stream: object, tail: deque[str], counts: list[int], on_line: LineFn | None) -> None:
    for raw in stream:  # type: ignore[attr-defined]
        line = raw.decode("utf-8", "replace").rstrip()
        if GLYPH_MISSING.search(line):
            counts[0] += 1
        if on_line is not None:
            on_line(line)
        tail.append(line)


def summarize(log: str) -> str:
    """One line that says why ffmpeg failed: a known cause, a hint, or the log's last error line."""
    for pattern, message in _CAUSES:
        found = pattern.search(log)
        if found:
            return message.format(*found.groups())
    hint = next((hint for pattern, hint in _HINTS if pattern in log), "")
    if hint:
        return hint
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "rror" in line or "nvalid" in line or "ailed" in line]
    return (errors or lines or ["no message"])[-1][:200]


def _write_log(path: Path | None, argv: list[str], lines: list[str]) -> str | None:
    """Write the full log to ``path``; not on a full disk (nothing would fit, and nothing may be left)."""
    if path is None or any("No space left on device" in line for line in lines):
        return None
    try:
        path.write_text(" ".join(argv) + "\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    except OSError:
        path.unlink(missing_ok=True)
        return None
    return str(path)


def _number(text: str) -> float:
    """A ``-progress`` value as a number (``2.3x`` -> 2.3); 0 for ``N/A`` and the like."""
    try:
        return max(float(text.strip().rstrip("x")), 0.0)
    except ValueError:
        return 0.0


ALMOST_DONE = 0.999


class _ProgressReader:
    """Turns ffmpeg's ``-progress`` lines into the fraction done and, per block, the encode's rate."""

    def __init__(self, duration_us: int, on_progress: ProgressFn | None) -> None:
        self.duration_us, self.on_progress = duration_us, on_progress
        self.out_us, self.frames, self.fps, self.speed = 0, 0, 0.0, 0.0
        self.started = time.monotonic()

    def line(self, raw: bytes) -> None:
        key, _, value = raw.decode("ascii", "replace").strip().partition("=")
        # `out_time_ms` is in fact microseconds too; use the honest key.
        if key == "out_time_us" and value.isdigit():
            self.out_us = int(value)
            if self.on_progress and self.duration_us > 0:  # done (1.0) only once ffmpeg has exited well
                self.on_progress(min(self.out_us / self.duration_us, ALMOST_DONE))
        elif key in ("fps", "speed"):
            setattr(self, key, _number(value))
        elif key == "frame" and value.isdigit():
            self.frames = int(value)
        elif key == "progress" and isinstance(self.on_progress, RateAware):
            self.on_progress.rate(self.rate(final=value == "end"))

    def rate(self, final: bool) -> EncodeRate:
        """The rate now; the seconds left are the media left at the speed so far (ffmpeg's average)."""
        eta: float | None = None
        if final:
            eta = 0.0
        elif self.speed > 0 and self.duration_us > 0:
            eta = max(self.duration_us - self.out_us, 0) / 1_000_000 / self.speed
        # ffmpeg says fps=0 for its first second: count the frames over our own clock then
        fps = self.fps or self.frames / max(time.monotonic() - self.started, 1e-3)
        return EncodeRate(fps, self.speed, eta)


def run_ffmpeg(
    argv: list[str],
    *,
    duration_us: int = 0,
    on_progress: ProgressFn | None = None,
    cwd: Path | None = None,
    on_stderr: LineFn | None = None,
    log_path: Path | None = None,
) -> FfmpegRun:
    """Run ``argv``, feed ``-progress`` output to ``on_progress`` (0..1), fail loudly.

    An ``on_progress`` that is :class:`RateAware` also gets the encode's fps, speed and ETA.

    ``on_stderr`` sees every stderr line (filters such as ``scdet`` report there). On failure the
    whole log goes to ``log_path`` (when given) and the error's message is one line: the cause.

    Raises:
        FfmpegError: on a non-zero exit, or when libass reports a missing glyph.
    """
    lines: deque[str] = deque(maxlen=MAX_LOG_LINES)
    counts = [0]
    try:
        group = 0 if _OWN_GROUP[0] else None
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, process_group=group)
    except OSError as exc:
        raise FfmpegError(argv, -1, "", f"cannot start ffmpeg: {exc.strerror}") from None
    reader = threading.Thread(target=_drain_stderr, args=(proc.stderr, lines, counts, on_stderr), daemon=True)
    reader.start()
    assert proc.stdout is not None
    progress = _ProgressReader(duration_us, on_progress)
    try:
        for raw in proc.stdout:
            progress.line(raw)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join()
    text = "\n".join(list(lines)[-TAIL_LINES:])
    if code != 0 or counts[0]:
        log = _write_log(log_path, argv, list(lines))
        glyphs = f"libass could not find {counts[0]} glyph(s): the font lacks characters"
        cause = summarize("\n".join(lines)) if code else glyphs
        raise FfmpegError(argv, code, text, cause, log)
    if on_progress:
        on_progress(1.0)
    return FfmpegRun(text, counts[0])
