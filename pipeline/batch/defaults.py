"""Which outputs a video gets: what the job names, or the defaults adapted to the source.

A job that names ``burn`` or ``mux`` in ``[outputs]`` gets exactly that, and asking for what a
source cannot give (a burn of a file without a picture, an MP4 of a video codec MP4 cannot hold)
is bad input, refused before any work (:func:`check_requests`, exit 2). A job that names neither
gets the defaults that fit each source (:func:`planned_outputs`): a burned cut per language when
the source has a picture, and each of :data:`DEFAULT_MUX` that holds its video as it is (MKV holds
every codec; a ProRes master gets a MOV in place of the MP4, as post-production tools expect). Every
default left out is a note of the run, in the manifest and the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.batch.sourcefacts import probe_source
from pipeline.core.errors import ContainerError, InputError, PipelineError
from pipeline.ingest.job import Job, Outputs
from pipeline.media.containers import video_misfit
from pipeline.media.probe import MediaInfo

DEFAULT_MUX = ("mkv", "mp4")
MASTERS = frozenset({"prores"})
"""Video codecs of masters that QuickTime holds and MP4 does not: their default MP4 becomes a MOV."""
SKIPPED = "skipped (a default): "
"""How a note of a default output that was not written begins (the CLI's summary prints these)."""


@dataclass(frozen=True)
class Planned:
    """The outputs one video gets, and a note for each default left out (keyed as its output)."""

    burn: bool
    mux: tuple[str, ...]
    notes: Mapping[str, list[str]] = field(default_factory=dict)


def planned_outputs(outputs: Outputs, media: MediaInfo) -> Planned:
    """The job's ``burn`` and ``mux`` where it names them, else the defaults that fit ``media``."""
    notes: dict[str, list[str]] = {}
    burn = outputs.burn
    if burn is None:
        burn = media.video is not None
        if not burn:
            notes["burn"] = [f"{SKIPPED}the source has no video stream (audio only); the subtitle files are written"]
    mux = outputs.mux
    if mux is None:
        fits = []
        for container in DEFAULT_MUX:
            misfit = video_misfit(media, f".{container}")
            if not misfit:
                fits.append(container)
            elif container == "mp4" and media.video_codec in MASTERS and not video_misfit(media, ".mov"):
                fits.append("mov")
                notes["mux/mp4"] = [f"{SKIPPED}{misfit}; written as .mov (QuickTime holds it as is) and .mkv"]
            else:
                notes[f"mux/{container}"] = [f"{SKIPPED}{misfit}; the .mkv holds it as is"]
        mux = tuple(fits)
    return Planned(burn, mux, notes)


def check_requests(job: Job) -> None:
    """Refuse, before any work, an output the job names but one of its sources cannot give.

    Only a job that names ``burn = true`` or an MP4 in ``mux`` probes its videos here; a video that
    cannot be probed is left to its own run, which reports it.

    Raises:
        InputError: ``burn = true`` for a source without a video stream.
        ContainerError: ``mux`` names a container that cannot hold a source's video codec.
    """
    burn = job.outputs.burn is True
    containers = [c for c in job.outputs.mux or () if c != "mkv"]  # MKV holds every video codec
    if not (burn or containers):
        return
    for vj in job.videos:
        if vj.video is None:
            continue
        try:
            media = probe_source(vj.video)
        except PipelineError:
            continue
        _check_video(vj.video, media, burn, containers)


def _check_video(video: Path, media: MediaInfo, burn: bool, containers: list[str]) -> None:
    if burn and media.video is None:
        raise InputError(
            video,
            "no video stream (audio only), but the job's [outputs] burn = true asks to burn subtitles into it; "
            "leave burn out (the default skips the burn of a file without a picture)",
        )
    for container in containers:
        misfit = video_misfit(media, f".{container}")
        if misfit:
            raise ContainerError(
                f"{video}: {misfit}, but the job's [outputs] mux names {container!r}; "
                'name only "mkv" (it holds the video as is), or leave mux out (the default skips it)'
            )
