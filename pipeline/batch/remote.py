"""A video whose inputs or output folder are object storage URLs (:mod:`pipeline.core.storage`).

Inputs are fetched whole into this process's scratch folder and read there (measured: probing, the frame
table and every chunk's decode seek, which over HTTP is one ranged GET each; a fetch of the sample's
4.2 MiB takes tens of milliseconds). Outputs are made in a scratch folder as for a local run (staged,
verified, the manifest last), then each uploaded whole, the manifest last: an object appears under its
final key only once complete (a PUT, or a multipart upload's completion), so an interrupted run leaves
no partial object. The last run's manifest is deleted before the first object is overwritten, so a
reader finds either a manifest whose every size and SHA-256 are its objects', or none. The uploaded
manifest names the input URLs and the output URL; each file's size and SHA-256 are its object's.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from pipeline.core import storage, transfer
from pipeline.core.errors import OutputError
from pipeline.ingest.job import Job, VideoJob, output_scratch
from pipeline.render.review import REVIEW_DIR as REVIEW_STILLS  # <video>/review/<lang>/f<frame>.jpg

PENDING = ".subpipe-previous.json"  # under <output URL>/<video>/ while a publish runs: the last runs' objects


def at_urls(job: Job, vj: VideoJob) -> bool:
    """Whether ``vj`` reads or writes object storage."""
    return job.output_url is not None or bool(vj.urls)


def check_urls(job: Job) -> None:
    """Before any work: every input object is there, the output bucket (and an object-store chunk cache's)
    can be listed with these credentials, and a zero-byte object can be put under the output URL (and the
    cache's) and deleted again.

    Raises:
        StorageError: naming the first URL that cannot be used, its bucket and the endpoint.
    """
    if job.output_url is not None and job.output_url.lower().startswith("file://"):  # not uploaded atomically
        raise storage.StorageError(job.output_url, "a file:// output folder is not supported: give its local path")
    cache = os.environ.get("SUBPIPE_CACHE", "")
    for url in (job.output_url, cache if storage.is_url(cache) else None):
        if url is not None:
            storage.check_folder(url)
            storage.check_writable(url)
    for vj in job.videos:
        for url in vj.urls.values():
            storage.info(url)


def localized(job: Job, vj: VideoJob) -> tuple[Job, VideoJob]:
    """``job`` with its output folder in this process's scratch (when it is a URL), and ``vj`` with its
    input objects fetched there.

    Raises:
        StorageError: when an input cannot be fetched.
    """
    if job.output_url is not None:
        job = dataclasses.replace(job, output_dir=output_scratch(job.output_url))
    video = transfer.fetch(vj.video_url) if vj.video_url else vj.video
    transcript = transfer.fetch(vj.transcript_url) if vj.transcript_url else vj.transcript
    return job, dataclasses.replace(vj, video=video, transcript=transcript)


def publish(job: Job, vj: VideoJob, manifest: Path) -> list[str]:
    """Upload the files ``manifest`` lists under ``<output URL>/<video>/`` and the review page's stills, then
    the manifest (naming the input URLs and the output URL), checking each object's size; return the URLs.
    The last run's manifest is deleted before anything is overwritten (a run interrupted here leaves no
    manifest rather than one that no longer matches its objects). The objects the last run made that this
    one no longer makes are removed last, as a local run removes
    such files. The local copies stay in the scratch folder (a rerun on this machine keeps what its
    manifest proves unchanged).

    Raises:
        StorageError: when an upload fails (the objects already up are whole; the manifest is not up).
        OutputError: when an uploaded object's size is not the file's.
    """
    assert job.output_url is not None
    root = manifest.parent
    base = storage.join(job.output_url, vj.name)
    before = _previous(base)
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    urls = []
    sizes = {entry["path"]: entry["size"] for entry in doc["files"]}
    stills = sorted(p.relative_to(root).as_posix() for p in (root / REVIEW_STILLS).rglob("*") if p.is_file())
    _hand_over(base, before, manifest.with_name(PENDING))  # what a rerun after an interruption must still remove
    storage.delete(storage.join(base, "manifest.json"))  # before the first overwrite; the new one goes up last
    for path in [*sizes, *stills]:  # the review page's stills are not listed, as in a local output folder
        url = storage.join(base, path)
        transfer.upload(root / path, url)
        size = sizes.get(path, (root / path).stat().st_size)
        if storage.info(url).size != size:
            raise OutputError(url, f"the object holds {storage.info(url).size} bytes, not {size}")
        urls.append(url)
    for key, url in vj.urls.items():
        doc["inputs"][key]["path"] = url
    doc["output"] = base
    manifest.write_text(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    transfer.upload(manifest, storage.join(base, "manifest.json"))
    for url in sorted(before - set(urls)):  # what the last run made and this one no longer does
        storage.delete(url)
    storage.delete(storage.join(base, PENDING))
    return [*urls, storage.join(base, "manifest.json")]


def _hand_over(base: str, before: set[str], local: Path) -> None:
    """Record under ``base`` (object :data:`PENDING`) the objects the last runs made, for a run after an
    interruption here, whose manifest is then gone: it still removes what no run makes any more.

    Raises:
        StorageError: when it cannot be written.
    """
    if not before:
        return
    files = [{"path": url.removeprefix(base + "/")} for url in sorted(before)]
    local.write_text(json.dumps({"files": files}) + "\n", encoding="utf-8")
    try:
        transfer.upload(local, storage.join(base, PENDING))
    finally:
        local.unlink()


def _previous(base: str) -> set[str]:
    """The objects under ``base`` that the last runs made: what its manifest (and an interrupted publish's
    :data:`PENDING` record) lists, and the review's stills.

    Raises:
        StorageError: when the store cannot be read.
    """
    found = {obj.url for obj in storage.listing(storage.join(base, REVIEW_STILLS))}
    fs = storage.filesystem(base)
    for url in (storage.join(base, "manifest.json"), storage.join(base, PENDING)):
        try:
            doc = json.loads(storage.call(url, lambda u=url: fs.cat(u)))  # type: ignore[misc]
            found |= {storage.join(base, entry["path"]) for entry in doc["files"]}
        except storage.StorageError as exc:
            if exc.problem != "no such object":
                raise
        except (ValueError, KeyError, TypeError):  # damaged: nothing to go by
            pass
    return found
