"""Where burned text must be: the track rendered alone by libass on empty canvases.

One ffmpeg call renders the ASS at every sampled time twice, over black and over white, at the
burned picture's stored size (scaled to its display width). A pixel equal in both renders is
covered by opaque text (fill or outline): the burned frame must show that value there. A pixel
that differs from the canvas in either render has some ink; everything else must stay as the
source was.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.errors import FfmpegError
from pipeline.media.ffmpeg import ffmpeg_exe, summarize
from pipeline.media.fonts import make_fontsdir
from pipeline.render.frames import Gray


@dataclass(frozen=True)
class Mask:
    """One sampled time's renders: over black and over white (grey levels, display geometry)."""

    over_black: Gray
    over_white: Gray

    @property
    def opaque(self) -> np.ndarray:
        """Pixels covered by opaque ink (the same value over both canvases)."""
        diff = np.abs(self.over_black.astype(np.int16) - self.over_white.astype(np.int16))
        return np.asarray(diff <= OPAQUE_LEVELS)

    @property
    def ink(self) -> np.ndarray:
        """Pixels with any ink at all (either render differs from its canvas)."""
        return np.asarray((self.over_black > self._black + INK_LEVELS) | (self.over_white < self._white - INK_LEVELS))

    @property
    def _black(self) -> int:
        return int(np.median(self.over_black))

    @property
    def _white(self) -> int:
        return int(np.median(self.over_white))


OPAQUE_LEVELS = 10
INK_LEVELS = 8
RENDERING = threading.Lock()
"""One mask render at a time in a process: with a CJK font one ffmpeg holds 130-180 MiB (two at once, beside
the verifications' frames, took the 10-language burn past 600 MiB); a render takes a quarter of a second."""


def render_masks(
    ass_text: str, font_keys: Sequence[str], size: tuple[int, int], display: tuple[int, int], times_ms: Sequence[float]
) -> list[Mask]:
    """Render ``ass_text`` at each time (ms of the ASS clock) on a ``size`` canvas shown at ``display``.

    Raises:
        FfmpegError: when ffmpeg cannot render (one line with the cause).
    """
    if not times_ms:
        return []
    (w, h), (dw, dh) = size, display
    with tempfile.TemporaryDirectory(prefix="subpipe-mask-") as tmp:
        work = Path(tmp)
        make_fontsdir(work / "fonts", list(font_keys))
        (work / "track.ass").write_text(ass_text, encoding="utf-8")
        argv = _mask_args(w, h, dw, dh, times_ms)
        with RENDERING:
            done = subprocess.run(argv, cwd=work, capture_output=True, check=False)
    if done.returncode != 0:
        log = done.stderr.decode("utf-8", "replace")
        raise FfmpegError(argv, done.returncode, log[-4000:], "mask render failed: " + summarize(log))
    frames = np.frombuffer(done.stdout, dtype=np.uint8)
    expected = len(times_ms) * dw * dh * 2
    if frames.size != expected:
        raise FfmpegError(argv, 0, "", f"mask render gave {frames.size} bytes, expected {expected}")
    stacked = frames.reshape(len(times_ms), 2 * dh, dw)
    return [Mask(f[:dh].copy(), f[dh:].copy()) for f in stacked]


def _mask_args(w: int, h: int, dw: int, dh: int, times_ms: Sequence[float]) -> list[str]:
    # Frame n gets the n-th sampled time as its timestamp (time base 1 ms), so libass renders
    # exactly the sampled instants and nothing between them.
    pts = "+".join(f"{t:.3f}*eq(N\\,{n})" for n, t in enumerate(times_ms))
    chain = f"settb=1/1000,setpts={pts},subtitles=filename=track.ass:fontsdir=fonts,scale={dw}:{dh},format=gray"
    graph = (
        f"color=c=black:s={w}x{h}:r=25,format=yuv420p,{chain}[a];"
        f"color=c=white:s={w}x{h}:r=25,format=yuv420p,{chain}[b];[a][b]vstack"
    )
    return [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-filter_complex",
        graph,
        "-frames:v",
        str(len(times_ms)),
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "pipe:1",
    ]
