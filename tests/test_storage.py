"""The storage layer against a real SeaweedFS (tests/s3server.py): byte-for-byte round trips (botocore's
checksum trailers once ended up inside objects on S3-compatible servers), and one clear line, naming the
bucket and the endpoint and never the secret, for a wrong key, an unknown bucket, an unreachable endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pipeline.core import storage, transfer
from pipeline.core.storage import StorageError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed_util import make_inputs
from s3server import BUCKET, SECRET_KEY


@pytest.fixture()
def s3env(s3server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The AWS settings of the test server in this process's environment."""
    for name, value in s3server.env().items():
        monkeypatch.setenv(name, value)
    return s3server


def test_server_started_quickly_on_loopback_only(s3server: Any) -> None:
    """weed mini answers within a few seconds, its S3 endpoint on 127.0.0.1."""
    assert s3server.started_s < 15
    assert s3server.endpoint.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("checksums", ["when_required", "when_supported"])
def test_round_trip_is_byte_for_byte(
    s3env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checksums: str
) -> None:
    """What goes up comes down unchanged, with botocore's checksum trailers off (our default) and on."""
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", checksums)
    local = tmp_path / "clip.bin"
    local.write_bytes(os.urandom(3_000_001))
    url = f"s3://{BUCKET}/roundtrip/{checksums}/clip.bin"
    transfer.upload(local, url, {"sha256": "x"})
    assert storage.info(url).size == local.stat().st_size
    fetched = transfer.fetch(url, tmp_path / "scratch")
    assert fetched.read_bytes() == local.read_bytes()
    back = tmp_path / "back.bin"
    assert transfer.download_checked(url, back) == {"sha256": "x"}
    assert back.read_bytes() == local.read_bytes()


def test_fetch_reuses_a_whole_copy(s3env: Any, tmp_path: Path) -> None:
    """A second fetch of the same version is the same local file, not downloaded again."""
    local = tmp_path / "a.txt"
    local.write_text("one", encoding="utf-8")
    url = f"s3://{BUCKET}/fetch/a.txt"
    transfer.upload(local, url)
    first = transfer.fetch(url, tmp_path / "s")
    mtime = first.stat().st_mtime_ns
    assert transfer.fetch(url, tmp_path / "s") == first and first.stat().st_mtime_ns == mtime
    local.write_text("two!", encoding="utf-8")
    transfer.upload(local, url)
    assert transfer.fetch(url, tmp_path / "s").read_text(encoding="utf-8") == "two!"


def test_two_threads_fetching_one_url_get_one_whole_copy(s3env: Any, tmp_path: Path) -> None:
    """Two fetches of one URL at once in one process: both return the same whole file, neither fails."""
    data = os.urandom(8 << 20)
    (tmp_path / "big.bin").write_bytes(data)
    url = f"s3://{BUCKET}/race/big.bin"
    transfer.upload(tmp_path / "big.bin", url)
    for trial in range(2):
        with ThreadPoolExecutor(2) as pool:
            got = [f.result() for f in [pool.submit(transfer.fetch, url, tmp_path / f"s{trial}") for _ in range(2)]]
        assert got[0] == got[1] and got[0].read_bytes() == data
        assert [p.name for p in got[0].parent.iterdir()] == ["big.bin"]  # no part file left


def _refusal(fn: Any) -> StorageError:
    with pytest.raises(StorageError) as caught:
        fn()
    err = caught.value
    assert "\n" not in str(err) and SECRET_KEY not in str(err) and err.exit_code == 2
    return err


def test_wrong_key_names_bucket_and_endpoint(s3server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in s3server.env("wrong-secret").items():
        monkeypatch.setenv(name, value)
    err = _refusal(lambda: storage.check_folder(f"s3://{BUCKET}/out"))
    assert "access refused" in str(err) and BUCKET in str(err) and s3server.endpoint in str(err)


def test_unknown_bucket(s3env: Any) -> None:
    err = _refusal(lambda: storage.check_folder("s3://no-such-bucket-25/out"))
    assert "no such bucket" in str(err) and "'no-such-bucket-25'" in str(err) and s3env.endpoint in str(err)


def test_a_profiles_endpoint_is_the_one_named(s3env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The endpoint in a message is the one botocore resolved: here an ``AWS_PROFILE``'s ``endpoint_url``
    (a change of AWS_CONFIG_FILE/AWS_PROFILE makes a new client)."""
    config = tmp_path / "config"
    config.write_text(f"[profile store]\nendpoint_url = {s3env.endpoint}\nregion = us-east-1\n", encoding="utf-8")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "store")
    err = _refusal(lambda: storage.check_folder("s3://no-such-bucket-25/out"))
    assert "no such bucket, or the endpoint is not an S3 API" in str(err) and f"at {s3env.endpoint})" in str(err)


def test_missing_object(s3env: Any) -> None:
    err = _refusal(lambda: storage.info(f"s3://{BUCKET}/nothing/here.mp4"))
    assert "no such object" in str(err)


def test_unreachable_endpoint_fails_fast(s3env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    started = time.monotonic()
    err = _refusal(lambda: storage.check_folder(f"s3://{BUCKET}/out"))
    assert "cannot reach the endpoint" in str(err) and "http://127.0.0.1:9" in str(err)
    assert time.monotonic() - started < 20


def test_without_s3fs_one_line_says_what_to_install() -> None:
    """With s3fs not importable, a URL gets the install hint (a child process whose import of s3fs fails)."""
    code = (
        "import sys; sys.modules['s3fs'] = None\n"
        "from pipeline.core import storage\n"
        "try:\n    storage.filesystem('s3://b/k')\n"
        "except storage.StorageError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("pip install 'subpipe[s3]'")


@pytest.mark.parametrize(("url", "package"), [("gs://bucket/out", "gcsfs"), ("az://container/out", "adlfs")])
def test_gs_and_az_without_their_package_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, package: str
) -> None:
    """A gs:// or az:// output without gcsfs/adlfs: one line naming the package, exit 2."""
    from pipeline.cli.main import main

    monkeypatch.setitem(sys.modules, package, None)  # not importable, installed or not
    job = tmp_path / "job.toml"
    job.write_text(f'output_dir = "{url}"\nvideo = "v.mp4"\ntranscript = "t.json"\nlanguages = ["en"]\n')
    (tmp_path / "v.mp4").write_bytes(b"")
    (tmp_path / "t.json").write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", "-q", str(job)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.endswith(f"pip install {package}"), err


def test_bad_size_and_file_url_output_are_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cache --max-size lots`` is a usage error before the store is listed (its endpoint is unreachable
    here); a ``file://`` output folder is refused (its files would not appear whole): exit 2, one line."""
    from pipeline.cli.main import main

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SUBPIPE_CACHE", f"s3://{BUCKET}/c")
    capsys.readouterr()
    assert main(["cache", "--max-size", "lots"]) == 2
    assert "not a size: 'lots'" in capsys.readouterr().err
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "cache"))
    job = tmp_path / "job.toml"
    job.write_text(
        f'output_dir = "file://{tmp_path}/out"\nvideo = "v.mp4"\ntranscript = "t.json"\nlanguages = ["en"]\n'
    )
    (tmp_path / "v.mp4").write_bytes(b"")
    (tmp_path / "t.json").write_text("{}", encoding="utf-8")
    assert main(["run", "-q", str(job)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "file:// output folder is not supported" in err, err
    assert not (tmp_path / "out").exists()


def test_local_paths_never_import_fsspec(tmp_path: Path) -> None:
    """A real job of local paths (a short clip, burn and mux) imports none of fsspec, s3fs, botocore."""
    video, transcript = make_inputs(tmp_path / "in", 1, seconds=2)[0]
    job = tmp_path / "job.toml"
    job.write_text(
        f'output_dir = "{tmp_path / "out"}"\nvideo = "{video}"\ntranscript = "{transcript}"\nlanguages = ["en"]\n'
        '[outputs]\nburn = true\nmux = ["mkv"]\nreview = false\n[render]\ncrf = 30\npreset = "ultrafast"\n',
        encoding="utf-8",
    )
    code = (
        "import sys\nfrom pipeline.cli.main import main\n"
        f"print(main(['run', '-q', {str(job)!r}]), [m for m in ('fsspec', 's3fs', 'botocore') if m in sys.modules])"
    )
    env = {**os.environ, "SUBPIPE_CACHE": str(tmp_path / "cache"), "SUBPIPE_SCRATCH": str(tmp_path / "scratch")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr[-2000:]
    assert (tmp_path / "out" / "v0" / "manifest.json").is_file()
