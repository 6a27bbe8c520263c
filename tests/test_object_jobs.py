"""`subpipe run` with the job's video, transcript and output folder as s3:// URLs on a real SeaweedFS: the
uploaded cuts are byte-identical to a local run's, the manifest gives each object's size and SHA-256; a
wrong key, an unknown bucket or an unreachable endpoint is one line, exit 2, nothing written; the secret
is in no output, log or manifest; the chunk cache as objects (hash checked, racing writers, pruning)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli.main import main
from pipeline.core import storage, transfer
from pipeline.core.errors import OutputError
from pipeline.render.objectcache import ObjectChunkCache

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed_util import make_inputs
from s3server import ACCESS_KEY, BUCKET, RO_KEY, RO_SECRET, SECRET_KEY

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 3.5 s clip and its en/ko transcript."""
    return make_inputs(tmp_path_factory.mktemp("objclip"), 1)[0]


@pytest.fixture()
def s3env(s3server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The test server's settings in the environment, a private scratch folder and chunk cache."""
    for name, value in s3server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SUBPIPE_SCRATCH", str(tmp_path / "scratch"))
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "cache"))
    return s3server


def _job(
    folder: Path, video: str, transcript: str, out: str, review: bool = False, langs: str = '"en", "ko"', crf: int = 30
) -> Path:
    text = (
        f'output_dir = "{out}"\nvideo = "{video}"\ntranscript = "{transcript}"\nlanguages = [{langs}]\n'
        f'[outputs]\nburn = true\nmux = ["mkv"]\nreview = {str(review).lower()}\n'
        f'[render]\ncrf = {crf}\npreset = "ultrafast"\n'
    )
    job = folder / "job.toml"
    job.write_text(text, encoding="utf-8")
    return job


def _upload_inputs(clip: tuple[Path, Path], prefix: str) -> tuple[str, str]:
    video, transcript = f"s3://{BUCKET}/{prefix}/in/v0.mp4", f"s3://{BUCKET}/{prefix}/in/v0.json"
    transfer.upload(clip[0], video)
    transfer.upload(clip[1], transcript)
    return video, transcript


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_job_at_urls_matches_a_local_run(
    s3env: Any,
    clip: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local_out = tmp_path / "local"
    assert main(["run", "-q", "-v", str(_job(tmp_path, str(clip[0]), str(clip[1]), str(local_out), True))]) == 0
    video, transcript = _upload_inputs(clip, "job1")
    out = f"s3://{BUCKET}/job1/out"
    assert main(["run", "-q", "-v", str(_job(tmp_path, video, transcript, out, True))]) == 0
    fs = storage.filesystem(out)
    doc = json.loads(fs.cat(f"{out}/v0/manifest.json"))
    assert doc["inputs"]["video"]["path"] == video and doc["output"] == f"{out}/v0"
    local = json.loads((local_out / "v0" / "manifest.json").read_text(encoding="utf-8"))
    burned = [e for e in doc["files"] if e["kind"] == "burned"]
    assert len(burned) == 2
    for entry in doc["files"]:
        data = fs.cat(f"{out}/v0/{entry['path']}")
        assert (len(data), _sha(data)) == (entry["size"], entry["sha256"])
    stills = sorted(
        p.relative_to(local_out).as_posix() for p in (local_out / "v0" / "review").rglob("*") if p.is_file()
    )
    assert stills and sorted(o.url.removeprefix(f"{out}/") for o in storage.listing(f"{out}/v0/review")) == stills
    cuts = {e["path"]: e["sha256"] for e in local["files"] if e["kind"] == "burned"}
    assert {e["path"]: e["sha256"] for e in burned} == cuts  # byte-identical to the local run's cuts
    captured = capsys.readouterr()
    _interrupted_rerun(tmp_path, video, transcript, out, monkeypatch)
    # a rerun that no longer makes ko removes its objects, as a local run removes its files
    assert main(["run", "-q", str(_job(tmp_path, video, transcript, out, True, '"en"'))]) == 0
    left = {o.url.removeprefix(f"{out}/v0/") for o in storage.listing(f"{out}/v0")}
    assert "en/v0.en.mp4" in left and not [p for p in left if p.startswith("ko/")], left
    for secret in (SECRET_KEY, ACCESS_KEY):  # nor the key's id
        assert secret not in captured.out + captured.err  # -v: every log line went to stderr
        found = [p for p in tmp_path.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
        assert not found  # scratch copies, local outputs, manifests
        assert not [o.url for o in storage.listing(out) if secret.encode() in fs.cat(o.url)]  # every object


def _interrupted_rerun(tmp_path: Path, video: str, transcript: str, out: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun with other bytes (crf 20), Ctrl-C after its first cut's upload: no manifest is left, or one whose
    every size and SHA-256 are its object's (never the last run's manifest over this run's bytes)."""
    real, cuts = transfer.upload, list[str]()

    def interrupted(local: Path, url: str, metadata: dict[str, str] | None = None) -> None:
        if cuts:  # the upload after the first cut
            raise KeyboardInterrupt
        real(local, url, metadata)
        cuts.extend([url] if url.endswith(".mp4") else [])

    monkeypatch.setattr(transfer, "upload", interrupted)
    with contextlib.suppress(KeyboardInterrupt):
        assert main(["run", "-q", str(_job(tmp_path, video, transcript, out, True, crf=20))]) != 0
    monkeypatch.setattr(transfer, "upload", real)
    assert cuts
    fs = storage.filesystem(out)
    if fs.exists(f"{out}/v0/manifest.json"):
        for entry in json.loads(fs.cat(f"{out}/v0/manifest.json"))["files"]:
            data = fs.cat(f"{out}/v0/{entry['path']}")
            assert (len(data), _sha(data)) == (entry["size"], entry["sha256"]), entry["path"]


@pytest.mark.parametrize("case", ["wrong key", "read-only key", "unknown bucket", "unreachable", "prefix as video"])
def test_refused_store_is_one_line_exit_2_nothing_written(
    s3env: Any,
    clip: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    video, transcript = _upload_inputs(clip, "job2")
    out = f"s3://{'no-such-bucket-25' if case == 'unknown bucket' else BUCKET}/job2/out"
    job = _job(tmp_path, video.rsplit("/", 1)[0] if case == "prefix as video" else video, transcript, out)
    if case == "wrong key":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY[::-1])
    if case == "read-only key":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", RO_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", RO_SECRET)
    if case == "unreachable":
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    capsys.readouterr()
    assert main(["run", "-q", "-v", str(job)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    bucket = "no-such-bucket-25" if case == "unknown bucket" else BUCKET
    assert f"bucket {bucket!r} at http://127.0.0.1:" in err
    assert SECRET_KEY not in err and SECRET_KEY[::-1] not in err
    assert case != "prefix as video" or "a prefix (a folder of objects), not an object" in err
    assert case != "read-only key" or err.startswith(f"error: {out}: access refused"), err
    assert RO_SECRET not in err
    for name, value in s3env.env().items():
        monkeypatch.setenv(name, value)
    assert storage.listing(f"s3://{BUCKET}/job2/out") == []
    assert not (tmp_path / "scratch" / "outputs").exists()
    assert not [p for p in tmp_path.rglob("*") if p.suffix == ".mp4"]  # nothing encoded, nothing fetched


def _chunk(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / f"c-{_sha(data)[:8]}.mp4"
    path.write_bytes(data)
    return path


def test_chunk_objects_checked_racing_and_pruned(s3env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"s3://{BUCKET}/cache-test"
    key = "ab" + "0" * 62
    writer = ObjectChunkCache(url)
    writer.put(key, _chunk(tmp_path, b"chunk-bytes" * 100), 5)
    # another worker: its own scratch, an empty mirror; the object is fetched and checked
    monkeypatch.setenv("SUBPIPE_SCRATCH", str(tmp_path / "other"))
    reader = ObjectChunkCache(url)
    got = reader.get(key)
    assert got is not None and got.read_bytes() == b"chunk-bytes" * 100 and str(tmp_path / "other") in str(got)
    # a damaged object (bytes that do not match its metadata's SHA-256) is a miss, and removed
    transfer.upload(_chunk(tmp_path, b"damaged"), writer._object(key), {"sha256": _sha(b"other"), "frames": "5"})
    reader.remove(key)
    assert reader.get(key) is None
    assert storage.listing(writer._object(key)) == []
    writer.put_still(key, 3, _chunk(tmp_path, b"still-bytes"))  # a still: checked by its SHA-256 too
    transfer.upload(_chunk(tmp_path, b"damaged"), writer._object(key, ".f3.jpg"), {"sha256": _sha(b"still-bytes")})
    assert not reader.still(key, 3).is_file() and storage.listing(writer._object(key, ".f3.jpg")) == []
    writer.put_still(key, 3, _chunk(tmp_path, b"still-bytes"))
    assert reader.still(key, 3).read_bytes() == b"still-bytes"
    data = b"chunk-bytes" * 100  # whole bytes, but metadata that is no frame count: a miss, not a ValueError
    transfer.upload(_chunk(tmp_path, data), writer._object(key), {"sha256": _sha(data), "frames": "many"})
    assert reader.get(key) is None and storage.listing(writer._object(key)) == []
    # two writers racing on one key: each PUT is whole, the object left is valid
    racers = []
    for i in range(2):  # two workers: each its own scratch folder
        monkeypatch.setenv("SUBPIPE_SCRATCH", str(tmp_path / f"racer{i}"))
        racers.append(ObjectChunkCache(url))
    datas = [b"same-encode" * 50, b"same-encode" * 50]
    for i in range(2):
        (tmp_path / f"r{i}").mkdir()
    files = [_chunk(tmp_path / f"r{i}", d) for i, d in enumerate(datas)]
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(c.put, key, f, 5) for c, f in zip(racers, files, strict=True)]:
            done.result()
    monkeypatch.setenv("SUBPIPE_SCRATCH", str(tmp_path / "third"))
    third = ObjectChunkCache(url)
    assert (third.get(key) or Path("/")).read_bytes() == datas[0]
    # pruning the store: the oldest chunks go first, down to the cap
    third.put("cd" + "1" * 62, _chunk(tmp_path, b"newer" * 100), 5)
    assert [c.key for c in third.stored()] == [key, "cd" + "1" * 62]
    assert third.prune_store(600) == []  # both younger than the grace period: a running job may need them
    assert third.prune_store(600, grace_s=0) == [key]
    assert [c.key for c in third.stored()] == ["cd" + "1" * 62]
    monkeypatch.setenv("SUBPIPE_CACHE", url)  # `subpipe cache --max-size` prunes the store too, with the grace
    assert main(["cache", "--max-size", "0"]) == 0
    assert [c.key for c in third.stored()] == ["cd" + "1" * 62]
    assert third.prune_store(0, grace_s=0) == ["cd" + "1" * 62] and third.stored() == []
    with pytest.raises(OutputError, match="no longer holds it"):  # a chunk gone before assembly: a clear error
        third.local_chunk("ef" * 32, tmp_path / "elsewhere" / "c.mp4")


def test_chunk_cache_in_the_store_serves_another_machine(
    s3env: Any,
    clip: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run with ``SUBPIPE_CACHE=s3://...`` uploads its chunks; a run with an empty scratch folder (another
    machine) encodes none and makes the same cuts."""
    monkeypatch.setenv("SUBPIPE_CACHE", f"s3://{BUCKET}/shared-cache")
    runs = []
    for i in range(2):
        monkeypatch.setenv("SUBPIPE_SCRATCH", str(tmp_path / f"machine{i}"))
        job = _job(tmp_path, str(clip[0]), str(clip[1]), str(tmp_path / f"o{i}"))
        assert main(["run", "-q", str(job)]) == 0
        doc = json.loads((tmp_path / f"o{i}" / "v0" / "manifest.json").read_text(encoding="utf-8"))
        runs.append({e["path"]: e["sha256"] for e in doc["files"] if e["kind"] == "burned"})
    assert runs[0] == runs[1] and len(runs[0]) == 2
    cached = re.findall(r"(\d+)/(\d+) chunks from cache", capsys.readouterr().out)
    assert cached[0][0] == "0" and cached[1][0] == cached[1][1] != "0", cached  # machine 1 encoded none
    assert ObjectChunkCache(f"s3://{BUCKET}/shared-cache").stored()
