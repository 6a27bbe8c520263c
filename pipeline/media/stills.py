"""Still frames of a video in one decoding pass: the frames at given indices, as small JPEGs.

Frames are picked by their index (``select`` on ``n``), never by seeking, so a review of 100 cues
costs one decode of the cut. Each still is scaled to a fixed width in display geometry (rotation is
applied by the decoder, the pixel aspect by the scale), so an anamorphic or rotated picture looks
as a player shows it. Optionally a subtitle file is drawn by libass first (the stills of a cut that
was not burned).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.core.errors import FfmpegError
from pipeline.media.ffmpeg import base_args, escape_filter_value, run_ffmpeg, safe_path
from pipeline.media.fonts import make_fontsdir

STILL_WIDTH = 320
JPEG_QUALITY = 5  # ffmpeg's -q:v for mjpeg: 2 (best) .. 31
GROUP = 64  # frames per select expression (ffmpeg's parser refuses 100 terms)


def select_expr(frames: Sequence[int]) -> str:
    """The ``select`` expression that keeps exactly ``frames`` (indices from 0).

    >>> select_expr([3, 10])
    "select='eq(n,3)+eq(n,10)'"
    """
    return "select='" + "+".join(f"eq(n,{n})" for n in frames) + "'"


def stills_args(
    video: Path, frames: Sequence[int], folder: Path, width: int = STILL_WIDTH, subtitle: str | None = None
) -> list[str]:
    """Decode ``video`` once and write the selected frames as ``folder/g<group>_%05d.jpg``, in order.

    ffmpeg's expression parser takes at most 100 terms, so the frames go in groups of
    :data:`GROUP` through a ``split``, each group to its own numbered files. ``subtitle`` is an ASS
    file name relative to the working folder, drawn with the fonts of ``fonts/``.
    """
    head = "[0:v]"
    if subtitle is not None:
        head += f"subtitles=filename={escape_filter_value(subtitle)}:fontsdir=fonts,"
    graph, outputs = still_outputs("s", frames, str(folder / "g"), width)
    argv = [
        *base_args(),
        "-i",
        safe_path(video),
        "-filter_complex",
        ";".join([head + graph[0].removeprefix("[s]"), *graph[1:]]),
    ]
    return argv + outputs


def still_outputs(
    label: str, frames: Sequence[int], prefix: str, width: int = STILL_WIDTH
) -> tuple[list[str], list[str]]:
    """Filter chains that take ``frames`` (indices from 0) of the stream ``[label]`` as JPEGs, and their outputs.

    The first chain starts with ``[label]``; the stills go to ``<prefix><group>_%05d.jpg`` (group
    ``000``, ``001``... of :data:`GROUP` frames each), numbered from 1 in frame order.
    """
    groups = [frames[i : i + GROUP] for i in range(0, len(frames), GROUP)]
    graph = [f"[{label}]split={len(groups)}" + "".join(f"[{label}g{i}]" for i in range(len(groups)))]
    argv: list[str] = []
    for i, group in enumerate(groups):
        graph.append(f"[{label}g{i}]{select_expr(group)},scale={width}:trunc(ow/dar/2)*2,setsar=1[{label}o{i}]")
        argv += ["-map", f"[{label}o{i}]", "-fps_mode", "passthrough", "-q:v", str(JPEG_QUALITY)]
        argv += ["-f", "image2", f"{prefix.replace('%', '%%')}{i:03d}_%05d.jpg"]
    return graph, argv


def extract_stills(
    video: Path,
    frames: Iterable[int],
    folder: Path,
    *,
    width: int = STILL_WIDTH,
    ass_text: str | None = None,
    font_keys: Iterable[str] = (),
) -> dict[int, Path]:
    """Write the frames ``frames`` of ``video`` as JPEGs into ``folder``; map each index to its file.

    Indices past the last frame are left out of the map. With ``ass_text`` the subtitles are drawn
    by libass (fonts of ``font_keys``) before the frame is taken.

    Raises:
        FfmpegError: when ffmpeg fails.
    """
    wanted = sorted(set(frames))
    folder.mkdir(parents=True, exist_ok=True)
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory(prefix="subpipe-stills-") as tmp:
        work = Path(tmp)
        subtitle = None
        if ass_text is not None:
            make_fontsdir(work / "fonts", font_keys)
            (work / "track.ass").write_text(ass_text, encoding="utf-8")
            subtitle = "track.ass"
        argv = stills_args(video.resolve(), wanted, work, width, subtitle)
        run_ffmpeg(argv, cwd=work)
        made = sorted(work.glob("*.jpg"))
        if len(made) > len(wanted):
            raise FfmpegError(argv, 0, "", f"{len(made)} stills for {len(wanted)} frames")
        out = {}
        for n, still in zip(wanted, made, strict=False):
            target = folder / f"f{n:06d}.jpg"
            shutil.move(still, target)
            out[n] = target
    return out
