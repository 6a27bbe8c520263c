"""Helpers of the Dask tests: short clips, a job of several videos, the outputs' digests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from pipeline.media.ffmpeg import ffmpeg_exe

SEGMENTS = [
    {"id": "s1", "start_ms": 300, "end_ms": 1700, "text": {"en": "Hello there, friends.", "ko": "안녕하세요, 여러분."}},
    {"id": "s2", "start_ms": 1900, "end_ms": 3300, "text": {"en": "This is a short clip.", "ko": "짧은 영상입니다."}},
]


def make_clip(out: Path, seconds: float, tone_hz: int, gop: int | None = None) -> Path:
    """A ``seconds`` long 320x180 25 fps clip with a tone, a keyframe every ``gop`` frames (x264's
    default when None; the bundled ffmpeg, deterministic)."""
    argv = [
        ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:sample_rate=48000:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", *(["-g", str(gop)] if gop else []),
        "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(out),
    ]  # fmt: skip
    subprocess.run(argv, check=True)
    return out


def make_inputs(folder: Path, count: int, seconds: float = 3.5, gop: int | None = None) -> list[tuple[Path, Path]]:
    """``count`` clips, each with a two-segment en/ko transcript (a keyframe every ``gop`` frames: shorter
    GOPs give more chunks, each its own task on a cluster)."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs = []
    for i in range(count):
        clip = make_clip(folder / f"v{i}.mp4", seconds, 300 + 110 * i, gop)
        transcript = folder / f"v{i}.json"
        doc = {"source_language": "en", "segments": SEGMENTS}
        transcript.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        pairs.append((clip, transcript))
    return pairs


def job_text(out: Path, inputs: list[tuple[Path, Path]]) -> str:
    """A job of every input in en and ko: burned cuts and an MKV, fast encoder settings."""
    lines = [f'output_dir = "{out}"', "[outputs]", 'mux = ["mkv"]', "[render]", "crf = 30", 'preset = "ultrafast"']
    for clip, transcript in inputs:
        lines += ["[[videos]]", f'video = "{clip}"', f'transcript = "{transcript}"', 'languages = ["en", "ko"]']
    return "\n".join(lines) + "\n"


def output_digests(out: Path) -> dict[str, str]:
    """``video/path -> sha256`` of every file the manifests under ``out`` list."""
    digests: dict[str, str] = {}
    for manifest in sorted(out.glob("*/manifest.json")):
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        for entry in doc["files"]:
            digests[f"{manifest.parent.name}/{entry['path']}"] = entry["sha256"]
    return digests


def partials(out: Path) -> list[Path]:
    """Partial files left anywhere under ``out``."""
    return [p for p in out.rglob("*") if ".partial-" in p.name]


def packet_digest(path: Path) -> str:
    """sha256 over every packet's stream, timestamps and bytes: equal for the same streams in the same order,
    whatever container-level IDs a muxer draws at random (Matroska's segment and track UIDs)."""
    import hashlib

    import av

    digest = hashlib.sha256()
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size:
                digest.update(f"{packet.stream.index}:{packet.pts}:{packet.dts}:".encode())
                digest.update(bytes(packet))
    return digest.hexdigest()


def comparable(out: Path) -> dict[str, str]:
    """``output_digests`` with each MKV's sha256 replaced by its packets' digest (see :func:`packet_digest`)."""
    digests = output_digests(out)
    for rel in digests:
        if rel.endswith(".mkv"):
            digests[rel] = packet_digest(out / rel)
    return digests


# Task functions of the cluster tests live here, not in the test modules: workers unpickle a function by
# its module's name, and pytest's importlib mode gives test modules names the workers cannot import.
def identity(x: int) -> int:
    """A task that returns its item."""
    return x


def die(_x: int) -> int:
    """A task that kills its worker."""
    os.kill(os.getpid(), signal.SIGKILL)
    return 0
