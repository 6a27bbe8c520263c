"""Which languages of a job a reviewer approved in the studio (``subpipe run --require-approval``)."""

from __future__ import annotations

from contextlib import closing

from pipeline.core.langtags import merged_table
from pipeline.core.profiles import get_profile
from pipeline.ingest.editstore import STORE_NAME, approval, connect
from pipeline.ingest.job import Job


def job_tags(job: Job) -> list[tuple[str, str]]:
    """Every (video, language tag) of ``job``, the tag as its output folder names it (``zh-Hans``)."""
    return [
        (vj.name, get_profile(lang, merged_table(lang, job.profiles)).tag) for vj in job.videos for lang in vj.languages
    ]


def unapproved(job: Job) -> list[str]:
    """``video/lang`` of every track without a standing approval (all of them when the studio never ran).

    Raises:
        InputError: when the store cannot be read.
    """
    path = job.output_dir / STORE_NAME
    if not path.is_file():
        return [f"{video}/{tag}" for video, tag in job_tags(job)]
    with closing(connect(path)) as db:
        return [f"{video}/{tag}" for video, tag in job_tags(job) if approval(db, video, tag) is None]
