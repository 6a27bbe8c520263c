"""Raw frames from an ffmpeg run, read from its stdout one at a time (nothing large on disk)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.errors import FfmpegError
from pipeline.media.ffmpeg import GLYPH_MISSING, summarize


def raw_frames(argv: list[str], frame_bytes: int, cwd: Path) -> Iterator[bytes]:
    """Each ``frame_bytes`` of what ``argv`` writes to ``pipe:1``, as it comes.

    Raises:
        FfmpegError: on a non-zero exit, a short last frame, or a glyph libass reports missing
            (the font lacks a character: the render would show tofu).
    """
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise FfmpegError(argv, -1, "", f"cannot start ffmpeg: {exc.strerror}") from None
    lines: list[str] = []
    reader = threading.Thread(target=_collect, args=(proc, lines), daemon=True)
    reader.start()
    assert proc.stdout is not None
    try:
        while chunk := proc.stdout.read(frame_bytes):
            if len(chunk) != frame_bytes:
                raise FfmpegError(argv, 0, "", f"a frame of {len(chunk)} bytes, expected {frame_bytes}")
            yield chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        reader.join()
    missing = sum(1 for line in lines if GLYPH_MISSING.search(line))
    if code or missing:
        text = "\n".join(lines[-40:])
        cause = summarize(text) if code else f"libass could not find {missing} glyph(s): the font lacks characters"
        raise FfmpegError(argv, code, text, cause)


def _collect(proc: subprocess.Popen[bytes], lines: list[str]) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        lines.append(raw.decode("utf-8", "replace").rstrip())
