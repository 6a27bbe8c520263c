"""A job's transcript without times (``align = true``): aligned to its video's audio first.

The aligned transcript is kept in memory per script, video and language (both files' sizes and
times), so that the tracks of every language, and a rerun in the same process, align once.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.ingest.job import VideoJob
from pipeline.ingest.segments import Transcript, load_transcript, parse_transcript_json

logger = logging.getLogger(__name__)


def job_transcript(vj: VideoJob) -> Transcript:
    """``vj``'s transcript: read as it is, or aligned to its video when the job says ``align = true``.

    Raises:
        InputError: when the transcript cannot be read, or ``align`` has no video to align to.
        NoSpeechError: when the video's audio has no speech.
    """
    if not vj.align:
        return load_transcript(vj.transcript, encoding=vj.encoding, lenient=vj.lenient, hint_langs=vj.languages)
    if vj.video is None:
        raise InputError(vj.transcript, "align = true needs the video whose audio says the script")
    stamp = tuple((p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None for p in (vj.transcript, vj.video))
    text = _aligned(vj.transcript, vj.video, vj.default_language, vj.encoding, stamp)
    return parse_transcript_json(text, vj.transcript)


@lru_cache(maxsize=8)
def _aligned(script_path: Path, video: Path, lang: str, encoding: str | None, _stamp: object) -> str:
    from pipeline.align.transcript import align_media
    from pipeline.ingest.script import load_script

    # the audio speaks the script's own source language (a sheet's first column), not the job's default
    script = load_script(script_path, None, encoding, default=lang)
    doc, findings = align_media(script, video, script.lang)
    for f in findings:
        logger.warning("%s: %s", script_path, f.message)
    logger.info("%s: %d lines aligned to %s", script_path, len(doc["segments"]), video)
    return json.dumps(doc, ensure_ascii=False)
