"""Shared fixtures: a 15 s excerpt of the sample video, its transcript, small helpers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli.main import main
from pipeline.ingest.segments import Transcript, load_transcript
from pipeline.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_VIDEO = ROOT / "assets" / "promo" / "promo.mp4"
SAMPLE_TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
NTSC = Fraction(30000, 1001)
EXCERPT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    """Started in the background of a script, this process (and every child it starts) ignores SIGINT,
    and the Ctrl-C tests would see a run that cannot be interrupted. Take Python's own handler back: the
    children then start with SIGINT at its default, as under a terminal."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep shot-change detections of test media out of the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SUBPIPE_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def sample_transcript() -> Transcript:
    return load_transcript(SAMPLE_TRANSCRIPT)


@pytest.fixture(scope="session")
def clip15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 15 s of the sample video (stream copy: exact frames and rate)."""
    out = tmp_path_factory.mktemp("media") / "clip15.mp4"
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(SAMPLE_VIDEO),
        "-t",
        "15",
        "-c",
        "copy",
        str(out),
    ]
    subprocess.run(argv, check=True)
    return out


@pytest.fixture(scope="session")
def clip15_transcript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample transcript's segments that lie wholly inside the 15 s excerpt."""
    doc = json.loads(SAMPLE_TRANSCRIPT.read_text(encoding="utf-8"))
    doc["segments"] = [s for s in doc["segments"] if s["end_ms"] <= EXCERPT_MS - 500]
    out = tmp_path_factory.mktemp("transcripts") / "clip15.json"
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return out


@pytest.fixture()
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


# Headless Chromium for the browser tests (Debian's `chromium`; `.ci/run` installs it).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is needed: apt-get install -y chromium (the CI script does)"
    return found


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)


Browse = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(name="browse")
def browse_fixture() -> Browse:
    """``browse(page, profile, *chromium_args)``: run headless Chromium on a local page."""
    return browse
@pytest.fixture(scope="session")
def zoo_dir() -> Path:
    """Where the generated sources of ``tests/zoo.py`` are cached: $SUBPIPE_ZOO_CACHE or ~/.cache/subpipe-test-zoo."""
    folder = Path(os.environ.get("SUBPIPE_ZOO_CACHE") or Path.home() / ".cache" / "subpipe-test-zoo")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def quiet_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``subpipe -q ARGV`` in-process: its exit code and stderr (which never holds a traceback)."""
    code = main(["-q", *argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def two_cue_srt(folder: Path) -> Path:
    """``folder/clip.en.srt``: two short English cues in the first 3.5 s."""
    path = folder / "clip.en.srt"
    path.write_text("1\n00:00:00,500 --> 00:00:01,500\nFirst.\n\n2\n00:00:02,000 --> 00:00:03,500\nSecond.\n")
    return path


def run_ffmpeg(*args: str) -> None:
    """The bundled ffmpeg, quiet, overwriting its output; a failure fails the test."""
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def s3server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real SeaweedFS (``weed mini``) on loopback ports for the whole session (tests/s3server.py)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from s3server import seaweed

    with seaweed(tmp_path_factory.mktemp("seaweed")) as server:
        yield server
