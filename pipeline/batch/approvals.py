"""Which languages of a job a reviewer approved in the studio (``subpipe run --require-approval``)."""

from __future__ import annotations

from contextlib import closing

from pipeline.batch.tracks_step import current_tracks
from pipeline.core.langtags import merged_table
from pipeline.core.profiles import get_profile
from pipeline.ingest.approvalstore import approval
from pipeline.ingest.editstore import STORE_NAME, connect
from pipeline.ingest.job import Job, VideoJob
from pipeline.tracks.overlay import track_digest


def video_tags(job: Job, vj: VideoJob) -> list[str]:
    """The language tags of ``vj`` as its output folders name them (``zh-Hans``)."""
    return [get_profile(lang, merged_table(lang, job.profiles)).tag for lang in vj.languages]


def job_tags(job: Job) -> list[tuple[str, str]]:
    """Every (video, language tag) of ``job``."""
    return [(vj.name, tag) for vj in job.videos for tag in video_tags(job, vj)]


def unapproved(job: Job) -> list[str]:
    """``video/lang`` of every track without a standing approval of the cues a run would build now
    (all of them when the studio never ran).

    Raises:
        InputError: when the store, a video or a transcript cannot be read.
    """
    path = job.output_dir / STORE_NAME
    if not path.is_file():
        return [f"{video}/{tag}" for video, tag in job_tags(job)]
    missing = []
    with closing(connect(path)) as db:
        for vj in job.videos:
            built = current_tracks(job, vj)
            for tag in video_tags(job, vj):
                item = built.get(tag)
                if item is None or approval(db, vj.name, tag, track_digest(item.track)) is None:
                    missing.append(f"{vj.name}/{tag}")
    return missing
