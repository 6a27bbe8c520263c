"""``[outputs] hls = true``: the HLS package (fMP4 video and audio, a WebVTT rendition per language),
opened by ffmpeg through its master playlist; its subtitle segments hold every cue where the video is."""

from __future__ import annotations

import json
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import pytest

from pipeline.batch.hls import write_hls
from pipeline.batch.run import run_job
from pipeline.batch.steps import LangTrack
from pipeline.core.cues import Cue, Track
from pipeline.core.filecache import sha256_file
from pipeline.core.profiles import get_profile
from pipeline.ingest.job import parse_job
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import probe
from pipeline.render.manifest import entry_for
from pipeline.render.staging import name_is_partial, transaction
from pipeline.tracks.hls_vtt import Rendition, master_playlist


def _run(tmp_path: Path, video: Path, transcript: Path) -> Path:
    text = (
        f'preset = "web"\noutput_dir = "{tmp_path / "out"}"\nname = "clip"\nvideo = "{video}"\n'
        f'transcript = "{transcript}"\nlanguages = ["en", "ar", "ko"]\ndefault_language = "ar"\n'
        "[outputs]\nreview = false\n"
    )
    result = run_job(parse_job(text, tmp_path / "job.toml"))
    assert result.ok, result.videos[0].failures
    return tmp_path / "out" / "clip"


def _first_picture_90k(playlist: Path) -> int:
    with av.open(str(playlist)) as container:
        stream = container.streams.video[0]
        assert stream.start_time is not None and stream.time_base is not None
        return round(Fraction(stream.start_time) * stream.time_base * 90000)


def _cues(vtt: str) -> list[tuple[str, str, str]]:
    return re.findall(r"^(\S+) --> (\S+)\n(.+?)(?:\n\n|\n?$)", vtt.split("\n\n", 1)[1], flags=re.M | re.S)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, clip15: Path, clip15_transcript: Path) -> Path:
    return _run(tmp_path_factory.mktemp("hls"), clip15, clip15_transcript)


def test_master_playlist_lists_every_language(package: Path) -> None:
    master = (package / "hls" / "master.m3u8").read_text(encoding="utf-8")
    media = re.findall(r'^#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="([^"]+)",LANGUAGE="([^"]+)",'
                       r"DEFAULT=(\w+),AUTOSELECT=(\w+)", master, flags=re.M)  # fmt: skip
    assert media == [("English", "en", "NO", "NO"), ("العربية", "ar", "YES", "YES"), ("한국어", "ko", "NO", "NO")]
    assert re.search(
        r'^#EXT-X-STREAM-INF:BANDWIDTH=\d+.*CODECS="avc1[^"]*",SUBTITLES="subs"\nmedia.m3u8$', master, re.M
    )
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    kinds = {f["path"]: f["kind"] for f in manifest["files"]}
    assert kinds["hls/master.m3u8"] == "hls" and kinds["ar/clip.ar.vtt"] == "vtt"
    assert all(kinds.get(p.relative_to(package).as_posix()) for p in (package / "hls").rglob("*") if p.is_file())


def test_ffmpeg_opens_the_package_without_errors(package: Path) -> None:
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(package / "hls" / "master.m3u8")]
    done = subprocess.run([*argv, "-map", "0", "-c", "copy", "-f", "null", "-"], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    with av.open(str(package / "hls" / "master.m3u8")) as container:
        kinds = sorted(s.type for s in container.streams)
    assert kinds == ["audio", "subtitle", "subtitle", "subtitle", "video"]


def test_segments_hold_every_cue_with_the_timestamp_map(package: Path) -> None:
    hls = package / "hls"
    first = _first_picture_90k(hls / "media.m3u8")
    bounds = [0.0]
    for duration in re.findall(r"^#EXTINF:([\d.]+)", (hls / "media.m3u8").read_text(encoding="utf-8"), re.M):
        bounds.append(bounds[-1] + float(duration))
    for lang in ("en", "ar", "ko"):
        playlist = (hls / lang / "subs.m3u8").read_text(encoding="utf-8")
        names = re.findall(r"^(sub_\d+\.vtt)$", playlist, re.M)
        assert len(names) == len(bounds) - 1
        whole = _cues((package / lang / f"clip.{lang}.vtt").read_text(encoding="utf-8"))
        held: set[tuple[str, str, str]] = set()
        for name in names:
            text = (hls / lang / name).read_text(encoding="utf-8")
            assert text.startswith(f"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:{first},LOCAL:00:00:00.000\n")
            held.update(_cues(text))
        assert held == set(whole) and whole


def test_a_source_that_does_not_start_at_zero(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> None:
    """A transport stream whose clock starts at 10 s: the map names the first picture's timestamp."""
    late = tmp_path / "late.ts"
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(clip15), "-t", "8", "-c", "copy"]
    subprocess.run([*argv, "-output_ts_offset", "10", str(late)], check=True)
    with av.open(str(late)) as container:
        assert container.start_time is not None and container.start_time > 9_000_000
    root = _run(tmp_path, late, clip15_transcript)
    first = _first_picture_90k(root / "hls" / "media.m3u8")
    segment = (root / "hls" / "en" / "sub_000.vtt").read_text(encoding="utf-8")
    assert f"X-TIMESTAMP-MAP=MPEGTS:{first},LOCAL:00:00:00.000" in segment


def test_a_codec_hls_does_not_take_is_encoded_once(tmp_path: Path, clip15: Path) -> None:
    """MPEG-4 Part 2 video with MP3 audio: x264 in the package, the MP3 copied (stream copy when it can)."""
    source = tmp_path / "old.avi"
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(clip15), "-t", "3", "-s", "320x180"]
    subprocess.run([*argv, "-c:v", "mpeg4", "-c:a", "libmp3lame", str(source)], check=True)
    track = Track("en", (Cue(500, 2000, ("Hello",)),))
    files = write_hls(source, probe(source), [LangTrack(track, get_profile("en"))], "en", tmp_path, 30, "ultrafast")
    assert files[0] == tmp_path / "hls" / "master.m3u8"
    with av.open(str(files[0])) as container:
        codecs = sorted(s.codec_context.codec.name for s in container.streams)
    assert codecs == ["h264", "mp3float", "webvtt"]  # mp3float: ffmpeg's MP3 decoder


def test_rendition_names_are_distinct_in_the_group() -> None:
    """RFC 8216 4.3.4.1.1: es and es-419 (both Español), en and en-GB, fr and fr-CA get distinct NAMEs."""
    tags = ["es", "es-419", "en", "en-GB", "fr-CA", "fr", "pt-BR", "es-MX"]
    renditions = [Rendition(t, get_profile(t).name, f"{t}/subs.m3u8", t == "en") for t in tags]
    master = master_playlist("BANDWIDTH=1000000", "media.m3u8", renditions)
    names = re.findall(r'NAME="([^"]+)",LANGUAGE="([^"]+)"', master)
    assert names == [
        ("Español", "es"), ("Español (es-419)", "es-419"), ("English", "en"), ("English (en-GB)", "en-GB"),
        ("Français (fr-CA)", "fr-CA"), ("Français", "fr"), ("Português (Brasil)", "pt-BR"),
        ("Español (es-MX)", "es-MX"),
    ]  # fmt: skip


def test_the_package_is_staged_with_the_run(tmp_path: Path, clip15: Path) -> None:
    """In a run's transaction the package replaces the last run's hls/ only with the manifest: an interrupted
    run leaves the old one whole, and while it works its folder is a partial the next run's sweep removes."""
    root = tmp_path / "clip"
    (root / "hls").mkdir(parents=True)
    (root / "hls" / "master.m3u8").write_text("last run's", encoding="utf-8")
    items = [LangTrack(Track("en", (Cue(500, 2000, ("Hello",)),)), get_profile("en"))]
    media = probe(clip15)
    with pytest.raises(KeyboardInterrupt), transaction(root):
        write_hls(clip15, media, items, "en", root, 30, "ultrafast")
        assert (root / "hls" / "master.m3u8").read_text(encoding="utf-8") == "last run's"
        hidden = [p.name for p in root.iterdir() if p.name.startswith(".")]
        assert hidden and all(name_is_partial(name) for name in hidden)
        raise KeyboardInterrupt  # before the manifest is committed
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == ["hls", "hls/master.m3u8"]
    with transaction(root) as txn:
        files = write_hls(clip15, media, items, "en", root, 30, "ultrafast")
        entries = [entry_for(path, root, "hls", "en") for path in files]
        txn.finish(["hls/master.m3u8"], [e.path for e in entries])
    assert files[0] == root / "hls" / "master.m3u8" and all(path.is_file() for path in files)
    assert all(e.sha256 == sha256_file(root / e.path) for e in entries)
    assert not [p for p in root.rglob("*") if name_is_partial(p.name)]
