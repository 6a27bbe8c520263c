"""The manifest: every file a job produced, with its language, kind, size and checksum.

Stable JSON (sorted keys, paths relative to the manifest's folder). A file enters the manifest
only after it was written completely and verified.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.core.filecache import sha256_file
from pipeline.core.findings import ERROR, INFO, WARNING, Finding
from pipeline.render.outputs import write_text
from pipeline.render.staging import readable

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    """One produced file."""

    path: str
    kind: str
    language: str
    size: int
    sha256: str
    verified: bool


def entry_for(path: Path, root: Path, kind: str, language: str, verified: bool = True) -> ManifestEntry:
    """Describe ``path`` (relative to ``root``; its content is read where it is staged, if it is)."""
    held = readable(path)
    return ManifestEntry(
        path.relative_to(root).as_posix(), kind, language, held.stat().st_size, sha256_file(held), verified
    )


def listed_paths(manifest: Path) -> list[str]:
    """The paths (relative to its folder) that ``manifest`` lists; empty when it is missing or damaged."""
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        return [str(f["path"]) for f in doc["files"]]
    except (OSError, ValueError, TypeError, KeyError):
        return []


_CHECK_ONLY = ("line", "edit")  # a finding's file line and fix as data: for `subpipe check`, not the manifest


def qc_verdict(findings: Sequence[Finding]) -> dict[str, object]:
    """A language's QC section: ``pass`` or ``fail`` (any error-level finding), counts, the findings."""
    counts = {sev: sum(1 for f in findings if f.severity == sev) for sev in (ERROR, WARNING, INFO)}
    return {
        "verdict": "fail" if counts[ERROR] else "pass",
        "counts": counts,
        "findings": [{k: v for k, v in asdict(f).items() if k not in _CHECK_ONLY} for f in findings],
    }


def write_manifest(
    target: Path,
    video: str,
    entries: Iterable[ManifestEntry],
    inputs: Mapping[str, Path],
    failures: Mapping[str, str],
    qc: Mapping[str, Sequence[Finding]] | None = None,
    notes: Mapping[str, Sequence[str]] | None = None,
    burns: Mapping[str, Mapping[str, object]] | None = None,
    muxes: Mapping[str, Mapping[str, object]] | None = None,
    approvals: Mapping[str, Mapping[str, object] | None] | None = None,
) -> Path:
    """Write ``manifest.json`` for one video: outputs, the inputs' hashes, what failed, the QC verdict,
    and what an output could not carry as is (``notes``: audio converted, a stream left out...).

    The QC verdict per language: ``pass`` with no error-level finding, else ``fail``; the findings
    of the track builder (rules it could not satisfy) are listed with it. ``burns``: per language,
    how its burned cut was made (engine, recipe digest, what decided it, chunk keys), which a rerun
    compares to skip an unchanged cut; ``muxes``: the same for each soft-subtitled container;
    ``approvals``: per language, who approved it in the studio, when and after how many edits (None: not approved).
    """
    doc = {
        "version": MANIFEST_VERSION,
        "video": video,
        "inputs": {name: {"path": str(p), "sha256": sha256_file(p)} for name, p in sorted(inputs.items())},
        "files": [asdict(e) for e in sorted(entries, key=lambda e: e.path)],
        "failures": dict(sorted(failures.items())),
        "qc": {lang: qc_verdict(found) for lang, found in sorted((qc or {}).items())},
        "notes": {what: list(lines) for what, lines in sorted((notes or {}).items())},
    }
    if burns:
        doc["burns"] = {lang: dict(record) for lang, record in sorted(burns.items())}
    if approvals:
        doc["approvals"] = {lang: None if a is None else dict(a) for lang, a in sorted(approvals.items())}
    if muxes:
        doc["muxes"] = {container: dict(record) for container, record in sorted(muxes.items())}
    return write_text(target, json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
