"""Issue 18 item 3: SIGINT or SIGTERM during ``subpipe run`` leaves the output folder as consistent as
before: the last run's manifest with the last run's files, or this run's files with their manifest.

A real ``python -m pipeline run`` of a 6 s clip in three languages, over the folder of a complete
earlier run, with the English transcript edited; each signal is sent at three moments, each found by
watching the run's real progress: the new track files on disk, a chunk being encoded, the mux's
ffmpeg started (held there by a wrapper named by ``SUBPIPE_FFMPEG``, the setting that picks the
ffmpeg binary, so the moment lasts until the signal comes). Then the folder must be consistent and
the next run must finish, keeping the cuts of the languages that did not change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli.main import main
from pipeline.core.filecache import sha256_file
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.render import staging
from pipeline.render.outputs import write_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "assets" / "promo" / "promo.mp4"
LANGS = ("en", "fr", "es")
FIRST_EN = "The world continues to change by the minute."
SEGMENTS = [
    {
        "id": "s01",
        "start_ms": 1000,
        "end_ms": 2900,
        "text": {"en": FIRST_EN, "fr": "Le monde change.", "es": "El mundo cambia."},
    },
    {
        "id": "s02",
        "start_ms": 3300,
        "end_ms": 5600,
        "text": {"en": "People expect more.", "fr": "On attend plus.", "es": "Se espera más."},
    },
]
Moment = Callable[[subprocess.Popen[bytes], Path, str], None]


def _write_transcript(path: Path, en_first: str) -> None:
    segments = json.loads(json.dumps(SEGMENTS))
    segments[0]["text"]["en"] = en_first
    doc = {"video": "clip", "source_language": "en", "languages": list(LANGS), "segments": segments}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _write_job(folder: Path, clip: Path, transcript: Path) -> Path:
    job = folder / "job.toml"
    job.write_text(
        f'output_dir = "{folder / "out"}"\n[[videos]]\nname = "c"\nvideo = "{clip}"\ntranscript = "{transcript}"\n'
        'languages = ["en", "fr", "es"]\ndefault_language = "en"\n'
        '[outputs]\nformats = ["srt", "vtt"]\nmux = ["mkv"]\n[render]\ncrf = 35\npreset = "ultrafast"\n',
        encoding="utf-8",
    )
    return job


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ffmpeg that runs the real one, except the first encode of a kind ``$HOLD`` names (``mux``: its
    output is ``.c.subs.partial-*``; ``burn``: a chunk in the cache's work folder): that one marks
    ``$HOLD_MARK`` and waits there until the test's signal ends it."""
    script = tmp_path_factory.mktemp("gate") / "ffmpeg"
    script.write_text(
        "#!/bin/sh\n"
        'case "$HOLD:$*" in\n'
        '  mux:*.c.subs.partial-*|burn:*"$SUBPIPE_CACHE"/tmp/*.mp4*) : > "$HOLD_MARK"; while :; do sleep 0.05; done;;\n'
        "esac\n"
        f'exec "{ffmpeg_exe()}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory, gate: Path) -> tuple[Path, Path]:
    """A 6 s clip (small: 320x180) and the folder of a complete run over it (where every case starts)."""
    base = tmp_path_factory.mktemp("earlier")
    clip = base / "clip.mp4"
    shrink = ["-vf", "scale=320:180", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-c:a", "aac"]
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(SAMPLE), "-t", "6", *shrink, str(clip)]
    subprocess.run(argv, check=True)
    _write_transcript(base / "transcript.json", FIRST_EN)
    job = _write_job(base, clip, base / "transcript.json")
    done = subprocess.run(_argv(job), cwd=ROOT, env=_env(gate), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return clip, base / "out"


def _argv(job: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "-q", "run", str(job)]


def _env(gate: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SUBPIPE_FFMPEG": str(gate), **extra}


def _wait(proc: subprocess.Popen[bytes], seen: Callable[[], bool], what: str) -> None:
    """Poll until ``seen``, failing if the run ends first (or, as a guard against a hang, never gets there)."""
    guard = time.monotonic() + 300
    while not seen():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {proc.communicate()}")
        assert time.monotonic() < guard, f"the run never got to {what}"
        time.sleep(0.005)


def _tracks_written(proc: subprocess.Popen[bytes], root: Path, edit: str) -> None:
    """The edited English line is on disk in a track file (staged or under its final name)."""

    def seen() -> bool:
        for path in (root / "en").glob("*c.en*.srt"):
            try:
                if edit in path.read_text(encoding="utf-8"):
                    return True
            except (FileNotFoundError, UnicodeDecodeError):  # renamed meanwhile, or being written
                continue
        return False

    _wait(proc, seen, "the new track files were written")


def _held(proc: subprocess.Popen[bytes], root: Path, _edit: str) -> None:
    """The encode ``$HOLD`` names (a chunk of the edited language, or the mux) has started: its ffmpeg waits."""
    _wait(proc, (root.parent.parent / "hold").exists, "the held encode started")


MOMENTS: dict[str, Moment] = {"tracks": _tracks_written, "burn": _held, "mux": _held}
SIGNALS = {"SIGINT": (signal.SIGINT, 130, b"interrupted"), "SIGTERM": (signal.SIGTERM, 143, b"terminated")}


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: (inode, modification time), which a rewrite changes."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()
    }


def assert_consistent(root: Path) -> dict[str, Any]:
    """The manifest parses; it lists exactly the files under their final names, each with its size and
    SHA-256; the review's stills are the page's and were taken from the listed cuts; no partial is left."""
    doc: dict[str, Any] = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in doc["files"]}
    for rel, entry in listed.items():
        path = root / rel
        assert path.is_file(), f"{rel} is listed but missing"
        assert (path.stat().st_size, sha256_file(path)) == (entry["size"], entry["sha256"]), f"{rel} differs"
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    leftovers = sorted(p for p in on_disk if ".partial-" in p or "journal" in p)
    assert not leftovers, f"temporary files left: {leftovers}"
    outputs = {p for p in on_disk if p != "manifest.json" and not p.startswith("review/")}
    assert outputs == set(listed), f"not listed: {sorted(outputs - set(listed))}"
    page = (root / "review.html").read_text(encoding="utf-8")
    shown = set(re.findall(r"review/[\w-]+/f\d+\.jpg", page))
    stills = {p for p in on_disk if p.startswith("review/") and p.endswith(".jpg")}
    assert stills == shown, f"stills not on the page: {sorted(stills - shown)}; missing: {sorted(shown - stills)}"
    cuts = {f["language"]: f["sha256"] for f in doc["files"] if f["kind"] == "burned"}
    for lang in LANGS:
        stamp = json.loads((root / "review" / lang / ".stills.json").read_text(encoding="utf-8"))
        assert stamp["cut"] == cuts[lang], f"the {lang} stills are of another cut than the listed one"
    return doc


def _english(root: Path) -> str:
    return (root / "en" / "c.en.srt").read_text(encoding="utf-8")


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("signame", list(SIGNALS))
def test_an_interrupted_run_leaves_a_consistent_folder_and_the_next_run_reuses_it(
    tmp_path: Path, earlier: tuple[Path, Path], gate: Path, moment: str, signame: str
) -> None:
    clip, first = earlier
    shutil.copytree(first, tmp_path / "out", copy_function=shutil.copy2)
    root = tmp_path / "out" / "c"
    before = _listing(root)
    edit = f"Edit {signame} {moment}."  # this case's own (its chunk is not in the cache), on one line
    _write_transcript(tmp_path / "transcript.json", edit)
    job = _write_job(tmp_path, clip, tmp_path / "transcript.json")
    sig, code, said = SIGNALS[signame]
    env = _env(gate, HOLD=moment, HOLD_MARK=str(tmp_path / "hold"))
    proc = subprocess.Popen(
        _argv(job), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        MOMENTS[moment](proc, root, edit)
        os.killpg(proc.pid, sig)  # the run and its ffmpeg, as a terminal's Ctrl-C or a job killer's TERM
        _stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == code and said in stderr and b"Traceback" not in stderr, stderr.decode()

    # Interrupted before its commit: the earlier run's manifest and files, untouched.
    assert_consistent(root)
    assert _english(root) == _english(first / "c")
    assert _listing(root) == before

    # The next run finishes; the cuts of the unchanged languages are kept as they are (not burned or verified).
    assert main(["-q", "run", str(job)]) == 0
    assert_consistent(root)
    assert edit in _english(root)
    after = _listing(root)
    for lang in ("fr", "es"):
        cut = f"{lang}/c.{lang}.mp4"
        assert after[cut] == before[cut], f"the unchanged {lang} cut was made again"
    assert after["en/c.en.mp4"] != before["en/c.en.mp4"]


CRASH_MID_COMMIT = """
import os, signal, sys
from pathlib import Path
from pipeline.render import staging
from pipeline.render.outputs import write_text

root, renames = Path(sys.argv[1]), []
real_replace = os.replace


def replace_then_die(src, dst):
    renames.append(dst)
    if len(renames) == 3:  # the journal and the first file are in place: a SIGKILL now
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)


with staging.transaction(root) as txn:
    write_text(root / "en" / "a.srt", "new a")
    write_text(root / "en" / "c.srt", "new c")
    write_text(root / "manifest.json", "new manifest")
    os.replace = replace_then_die
    txn.finish(["en/a.srt", "en/b.srt"], ["en/a.srt", "en/c.srt"])
"""


def test_a_commit_cut_short_by_sigkill_is_finished_by_the_next_run(tmp_path: Path) -> None:
    root = tmp_path / "c"
    (root / "en").mkdir(parents=True)
    for name, text in [("en/a.srt", "old a"), ("en/b.srt", "old b"), ("manifest.json", "old manifest")]:
        (root / name).write_text(text, encoding="utf-8")
    child = subprocess.run([sys.executable, "-c", CRASH_MID_COMMIT, str(root)], cwd=ROOT, check=False)
    assert child.returncode == -signal.SIGKILL
    # Killed between two renames: one new file beside the old manifest, the journal says what is left.
    assert (root / "en" / "a.srt").read_text(encoding="utf-8") == "new a"
    assert (root / "manifest.json").read_text(encoding="utf-8") == "old manifest"
    assert staging.recover(root) and staging.sweep(root) == 0
    found = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}
    assert found == {"en/a.srt": "new a", "en/c.srt": "new c", "manifest.json": "new manifest"}
    assert not staging.recover(root)  # done: nothing left to replay


def test_an_unfinished_transaction_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    root = tmp_path / "c"
    (root / "review" / "en").mkdir(parents=True)
    (root / "review" / "en" / "f000001.jpg").write_bytes(b"old still")
    (root / "a.srt").write_text("old a", encoding="utf-8")
    before = _listing(root)
    with pytest.raises(KeyboardInterrupt), staging.transaction(root):
        write_text(root / "a.srt", "new a")
        assert staging.readable(root / "a.srt").read_text(encoding="utf-8") == "new a"
        (staging.fresh_folder(root / "review" / "en") / "f000002.jpg").write_bytes(b"new still")
        raise KeyboardInterrupt
    assert _listing(root) == before and (root / "a.srt").read_text(encoding="utf-8") == "old a"


def test_only_files_inside_the_folder_are_removed_as_no_longer_made(tmp_path: Path) -> None:
    root, outside = tmp_path / "c", tmp_path / "outside.txt"
    root.mkdir()
    outside.write_text("not ours", encoding="utf-8")
    (root / "gone.srt").write_text("old", encoding="utf-8")
    with staging.transaction(root) as txn:
        txn.finish(["gone.srt", "../outside.txt", str(outside)], [])
    assert outside.exists() and not (root / "gone.srt").exists()
