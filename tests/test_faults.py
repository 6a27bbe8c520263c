"""Faults: killed and interrupted renders, one failing language, unwritable folders, a full disk."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import OutputError
from pipeline.core.filecache import sha256_file
from pipeline.media.probe import probe
from pipeline.render.outputs import write_text

ROOT = Path(__file__).resolve().parents[1]
SRT = "".join(f"{i}\n00:00:{2 * i - 1:02d},000 --> 00:00:{2 * i:02d},000\nLine number {i}\n\n" for i in range(1, 7))


def _start_burn(clip: Path, sub: Path, target: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "pipeline", "-q", "burn", str(clip), str(sub), "-o", str(target), *extra]
    # Its own session: the signal reaches python and ffmpeg together, as from a terminal or a job killer.
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_partial(proc: subprocess.Popen[bytes], folder: Path) -> Path:
    """Block until ffmpeg has written into a partial file (no time limit of ours: pytest's own)."""
    while proc.poll() is None:
        partials = [p for p in folder.iterdir() if ".partial-" in p.name] if folder.is_dir() else []
        if partials and partials[0].stat().st_size > 0:
            return partials[0]
        time.sleep(0.05)
    raise AssertionError(f"the burn ended before a partial appeared: {proc.communicate()}")


def _wait_for_encode(proc: subprocess.Popen[bytes]) -> Path:
    """Block until ffmpeg is encoding a chunk (a non-empty file in the chunk cache's work folders)."""
    work = Path(os.environ["SUBPIPE_CACHE"]) / "tmp"
    while proc.poll() is None:
        # its own work folder (<pid>-...): a killed render's folder may still hold chunk files
        for chunk in work.glob(f"{proc.pid}-*/*.mp4") if work.is_dir() else []:
            with contextlib.suppress(FileNotFoundError):  # moved into the cache meanwhile
                if chunk.stat().st_size > 0:
                    return chunk
        time.sleep(0.02)
    raise AssertionError(f"the burn ended before a chunk was encoded: {proc.communicate()}")


@pytest.fixture()
def sub(tmp_path: Path) -> Path:
    path = tmp_path / "sub.en.srt"
    path.write_text(SRT, encoding="utf-8")
    return path


def test_sigkill_mid_encode_leaves_no_final_file_and_the_rerun_completes(
    tmp_path: Path, clip15: Path, sub: Path
) -> None:
    out = tmp_path / "out"
    target = out / "final.mp4"
    proc = _start_burn(clip15, sub, target)
    partial = _wait_for_partial(proc, out)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists() and partial.exists()  # the killed run's partial is all that is left
    rerun = _start_burn(clip15, sub, target)
    _stdout, stderr = rerun.communicate()
    assert rerun.returncode == 0, stderr.decode()
    assert sorted(p.name for p in out.iterdir()) == ["final.mp4"]  # stale partial removed
    assert abs(probe(target).duration_ms - probe(clip15).duration_ms) < 200


def test_ctrl_c_mid_encode_exits_130_and_leaves_nothing(tmp_path: Path, clip15: Path, sub: Path) -> None:
    out = tmp_path / "out"
    proc = _start_burn(clip15, sub, out / "final.mp4", "--force")  # chunks are encoded, not found cached
    _wait_for_encode(proc)
    os.killpg(proc.pid, signal.SIGINT)
    _stdout, stderr = proc.communicate()
    assert proc.returncode == 130 and b"interrupted" in stderr and b"Traceback" not in stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_a_run_killed_mid_burn_keeps_the_last_manifest_and_the_rerun_completes(
    tmp_path: Path, clip15: Path, clip15_transcript: Path
) -> None:
    job = tmp_path / "job.toml"
    job.write_text(
        f'output_dir = "out"\n[[videos]]\nname = "c"\nvideo = "{clip15}"\ntranscript = "{clip15_transcript}"\n'
        'languages = ["en"]\n[outputs]\nformats = ["srt"]\nmux = []\n[render]\npreset = "ultrafast"\n',
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "pipeline", "-q", "run", str(job)]
    root = tmp_path / "out" / "c"
    assert subprocess.run(argv, cwd=ROOT, capture_output=True, check=False).returncode == 0
    last = (root / "manifest.json").read_bytes()
    # --force: the unchanged job would keep its cut (the manifest proves it); this run must burn
    forced = [*argv, "--force"]
    proc = subprocess.Popen(forced, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    _wait_for_encode(proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Nothing of the killed run was renamed into place: the last run's manifest still describes the folder.
    assert (root / "manifest.json").read_bytes() == last
    for entry in json.loads(last)["files"]:
        assert sha256_file(root / entry["path"]) == entry["sha256"]
    assert subprocess.run(argv, cwd=ROOT, capture_output=True, check=False).returncode == 0
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(f["path"] for f in manifest["files"]) == ["en/c.en.mp4", "en/c.en.srt", "review.html"]
    assert not [p for p in root.rglob("*") if ".partial-" in p.name]


def test_one_failing_language_is_summarised_and_sets_the_exit_code(
    tmp_path: Path, clip15: Path, clip15_transcript: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = tmp_path / "job.toml"
    job.write_text(
        f'output_dir = "out"\n[[videos]]\nname = "c"\nvideo = "{clip15}"\ntranscript = "{clip15_transcript}"\n'
        'languages = ["en", "ko"]\n[outputs]\nformats = ["srt"]\nmux = ["mkv"]\n'
        '[render]\npreset = "ultrafast"\ncrf = 35\n[profile.ko]\nfont = "noto-sans"\n',
        encoding="utf-8",
    )
    assert main(["-q", "run", str(job)]) == 1
    captured = capsys.readouterr()
    assert "FAILED ko/burn: font 'Noto Sans' for 'ko' lacks" in captured.out and "Traceback" not in captured.err
    root = tmp_path / "out" / "c"
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    assert "en/c.en.mp4" in listed and "ko/c.ko.mp4" not in listed and list(manifest["failures"]) == ["ko/burn"]
    assert not (root / "ko" / "c.ko.mp4").exists()
    assert all((root / p).is_file() for p in listed)


@pytest.mark.parametrize("kind", ["under-a-file", "proc"])
def test_unwritable_output_folder_is_a_clear_error(
    tmp_path: Path, clip15: Path, sub: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # chmod does not stop root: a folder under a regular file, or under /proc, cannot be made by anyone.
    (tmp_path / "file").write_text("x", encoding="utf-8")
    folder = tmp_path / "file" / "sub" if kind == "under-a-file" else Path("/proc/subpipe-test")
    assert main(["-q", "burn", str(clip15), str(sub), "-o", str(folder / "o.mp4")]) == 1
    assert main(["-q", "tracks", str(sub), "--lang", "en", "-o", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count(f"error: {folder}: cannot create the output folder: ") == 2 and "Traceback" not in err


def test_disk_full_while_writing_text_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The write is mocked (the test is about our handling of ENOSPC, not about the disk).
    def full(*_args: object, **_kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OutputError, match="the disk is full"):
        write_text(tmp_path / "a.srt", "x")
    assert list(tmp_path.iterdir()) == []


@contextlib.contextmanager
def _tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_really_full_disk(tmp_path: Path, clip15: Path, sub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _tmpfs(tmp_path / "small", "1m") as disk:
        _fill(disk / "filler")
        assert main(["-q", "burn", str(clip15), str(sub), "-o", str(disk / "o.mp4")]) == 1
        err = capsys.readouterr().err
        assert "error: ffmpeg exited with" in err and "the disk is full" in err and "Traceback" not in err
        assert main(["-q", "tracks", str(sub), "--lang", "en", "-o", str(disk / "t")]) == 1
        err = capsys.readouterr().err
        assert f"error: {disk / 't' / 'sub.en.en.srt'}: the disk is full" in err
        assert [p.name for p in disk.rglob("*") if p.is_file()] == ["filler"]  # no final name, no partial


def _fill(path: Path) -> None:
    with path.open("wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 4096)
