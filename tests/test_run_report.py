"""Issue 18 (items 5, 9, 10): what `subpipe run` and `subpipe burn` say happened.

A failed output is in the stdout summary and on the review page; ``-v`` logs each stage's decisions
on stderr (and nothing without it); a rerun that reused everything says so. Real renders, the real CLI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.media.ffmpeg import ffmpeg_exe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import BY_NAME, build_zoo, full_cues_srt

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[1]


def _vp8_job(tmp_path: Path, zoo_dir: Path, mux: list[str], text: str | None = None) -> Path:
    """A job on the zoo's VP8 WebM; with ``text``, one cue holding it and the burn on, else no burn."""
    source = build_zoo(zoo_dir, ["vp8_webm"])["vp8_webm"]
    srt = tmp_path / "clip1.en.srt"
    one_cue = f"1\n00:00:00,500 --> 00:00:02,000\n{text}\n"
    cues = full_cues_srt(BY_NAME["vp8_webm"].duration) if text is None else one_cue
    srt.write_text(cues, encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(
        f'output_dir = "{(tmp_path / "out").as_posix()}"\n[[videos]]\nname = "clip1"\nvideo = "{source.as_posix()}"\n'
        f'transcript = "{srt.as_posix()}"\nlanguages = ["en"]\n[outputs]\nburn = {json.dumps(text is not None)}\n'
        f'formats = ["srt"]\nmux = {json.dumps(mux)}\n',
        encoding="utf-8",
    )
    return job


def test_a_failed_output_is_in_the_summary_and_on_the_review_page(
    tmp_path: Path, zoo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real failure at run time: no font of the job covers an Egyptian hieroglyph, so the glyph gate fails the
    # burn (an output a job cannot give at all, such as an MP4 of VP8, is refused before the run: exit 2).
    assert main(["-q", "run", str(_vp8_job(tmp_path, zoo_dir, ["mkv"], "Hello \U00013000 there"))]) == 1
    out, err = capsys.readouterr()
    summary = out.splitlines()
    assert summary[0].startswith("clip1: ") and ", 1 FAILED (" in summary[0], out
    failed = [line for line in summary if line.startswith("  FAILED ")]
    assert len(failed) == 1 and failed[0].startswith("  FAILED en/burn: ")
    assert "lacks 1 character(s)" in failed[0]
    assert "mux/mkv" not in out and "clip1: 1 output(s) failed: en/burn" in err
    page = (tmp_path / "out" / "clip1" / "review.html").read_text(encoding="utf-8")
    assert "every language passes" not in page and "1 output(s) FAILED" in page
    row = re.search(r'<tr data-failure="en/burn"><td>burn</td><td>en</td><td>([^<]*)</td></tr>', page)
    assert row is not None and "lacks 1 character(s)" in row.group(1)


def test_a_run_without_failures_says_so(tmp_path: Path, zoo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "run", str(_vp8_job(tmp_path, zoo_dir, ["mkv"]))]) == 0
    out, err = capsys.readouterr()
    assert "FAILED" not in out + err and re.match(r"clip1: \d+ files \(", out)
    page = (tmp_path / "out" / "clip1" / "review.html").read_text(encoding="utf-8")
    assert "every language passes" in page and "data-failure" not in page and "FAILED" not in page


def _cli(*argv: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUBPIPE_CACHE": str(cache)}  # its own chunk cache: what is reused is known
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-language job on a small 12 s clip (a keyframe every 2 s: a chunked burn of a few chunks),
    with a cue in its first and in its last seconds."""
    tmp = tmp_path_factory.mktemp("run-report")
    clip = tmp / "small.mp4"
    picture = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=12"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:duration=12", "-c:a", "aac", "-shortest"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p"]
    subprocess.run([ffmpeg_exe(), "-v", "error", *picture, *sound, *encode, str(clip)], check=True)
    segments = [
        {"id": "s1", "start_ms": 500, "end_ms": 2500, "text": {"en": "The first line.", "ar": "السطر الأول."}},
        {"id": "s2", "start_ms": 9000, "end_ms": 11000, "text": {"en": "The last line.", "ar": "السطر الأخير."}},
    ]
    transcript = tmp / "transcript.json"
    transcript.write_text(json.dumps({"segments": segments}, ensure_ascii=False), encoding="utf-8")
    path = tmp / "job.toml"
    path.write_text(
        f'output_dir = "{(tmp / "out").as_posix()}"\n[[videos]]\nname = "c"\nvideo = "{clip.as_posix()}"\n'
        f'transcript = "{transcript.as_posix()}"\nlanguages = ["en", "ar"]\n'
        '[outputs]\nmux = ["mkv"]\nformats = ["srt"]\n[render]\ncrf = 30\npreset = "ultrafast"\n',
        encoding="utf-8",
    )
    return path


def _info(err: str) -> list[str]:
    return [line.removeprefix("INFO: ") for line in err.splitlines() if line.startswith("INFO: ")]


def test_verbose_logs_the_decisions_and_a_rerun_says_what_it_reused(job: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _cli("-q", "-v", "run", str(job), cache=cache)
    assert first.returncode == 0, first.stderr
    info = _info(first.stderr)
    plan = [line for line in info if line.startswith("small.mp4: chunked burn of c.en.mp4, c.ar.mp4: ")]
    assert len(plan) == 1 and "0 chunk output(s) from the cache" in plan[0], info
    assert any(re.match(r"c\.en\.mp4: encoding chunk\(s\) \d", line) for line in info), info
    assert any(re.match(r"c\.ar\.mp4: encoding chunk\(s\) \d", line) for line in info), info
    assert re.search(r"burn \d+\.\ds \(2 made; 0/\d+ chunks from cache\)", first.stdout), first.stdout

    again = _cli("-q", "run", str(job), cache=cache)  # nothing changed; and without -v, no INFO line
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert re.search(r"burn \d+\.\ds \(unchanged\), mux \d+\.\ds \(unchanged\)", again.stdout), again.stdout

    transcript = job.parent / "transcript.json"
    doc = json.loads(transcript.read_text(encoding="utf-8"))
    last = doc["segments"][-1]
    last["text"]["en"] = "An edited line."
    transcript.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    edited = _cli("-q", "-v", "run", str(job), cache=cache)
    assert edited.returncode == 0, edited.stderr
    info = _info(edited.stderr)
    assert "c.ar.mp4: unchanged since the last run (recipe and SHA-256 as recorded): kept" in info, info
    assert "c.subs.mkv: muxed again (its tracks, the source or the file changed)" in info, info
    encoded = [re.match(r"c\.en\.mp4: encoding chunk\(s\) (.*)", line) for line in info]
    spans = [m.group(1) for m in encoded if m]
    assert len(spans) == 1 and not any("c.ar.mp4: encoding" in line for line in info), info
    start_s = last["start_ms"] / 1000
    times = [int(a) * 3600 + int(b) * 60 + float(c) for a, b, c in re.findall(r"(\d+):(\d\d):(\d\d\.\d+)", spans[0])]
    # the chunk that shows the edited cue, not the one of the first cue (which ends at 2.5 s)
    assert times and 2.5 < times[0] <= start_s <= times[-1], spans
    assert any(line.startswith("c.en.mp4: verifying ") and " only (" in line for line in info), info
    assert re.search(r"burn \d+\.\ds \(1 made, 1 unchanged; [1-9]\d*/\d+ chunks from cache\)", edited.stdout)


def test_burn_says_when_every_chunk_came_from_the_cache(job: Path, tmp_path: Path) -> None:
    srt, cache = tmp_path / "x.en.srt", tmp_path / "cache"
    srt.write_text("1\n00:00:03,000 --> 00:00:05,000\nA line to burn.\n", encoding="utf-8")
    clip = re.search(r'video = "([^"]+)"', job.read_text(encoding="utf-8"))
    assert clip is not None
    argv = ["burn", clip.group(1), str(srt), "-o", str(tmp_path / "out.mp4")]
    first = _cli(*argv, cache=cache)
    assert first.returncode == 0 and "chunks from cache" not in first.stderr, first.stderr
    again = _cli("-v", *argv, cache=cache)
    assert again.returncode == 0, again.stderr
    total = re.findall(r"(\d+)/(\d+) chunks", first.stderr)[-1][1]  # the first burn encoded every chunk
    assert f" {total}/{total} chunks from cache" in again.stderr, again.stderr
    assert f"{total} chunk output(s) from the cache, 0 to encode" in again.stderr


def test_a_monolithic_burn_says_why(tmp_path: Path, zoo_dir: Path) -> None:
    source = build_zoo(zoo_dir, ["vp8_webm"])["vp8_webm"]
    srt = tmp_path / "x.en.srt"
    srt.write_text(full_cues_srt(BY_NAME["vp8_webm"].duration), encoding="utf-8")
    done = _cli("-q", "-v", "burn", str(source), str(srt), "-o", str(tmp_path / "x.mp4"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert f"INFO: {source.name}: monolithic burn of x.mp4 (audio converted" in done.stderr, done.stderr
