"""Chunked burning against the real ffmpeg: exact frames and timestamps, reuse, damage, kills.

Sources are generated once per session with the bundled ffmpeg: a 10 s CFR clip with a shot change
at 4 s, a variable-frame-rate clip, and an MPEG-TS clip whose clock starts at 10 s (B-frames in all).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.cli.cache_commands import parse_size
from pipeline.cli.main import main
from pipeline.core.cues import Cue, Track
from pipeline.core.errors import FfmpegError, VerifyError
from pipeline.media.chunkargs import BurnStream, ChunkOutput, ChunkSettings, chunk_args, concat_list
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import probe
from pipeline.render import chunks
from pipeline.render.burn import BurnRequest, Encoder, burn
from pipeline.render.chunkburn import ChunkedBurn, ChunkProgress, render_chunked
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunkcut import assemble_cuts
from pipeline.render.chunks import FrameTable, plan_chunks, read_frame_table
from pipeline.render.verify import BurnCheck, verify_burn
from pipeline.tracks.formats import AssStyle, compose_ass

pytestmark = pytest.mark.render
ENC = Encoder(crf=23, preset="veryfast")
SHOT_MS = 4000
CUES = ((500, 1800, "First line"), (2500, 5200, "Across a cut"), (6000, 7400, "Third"), (8200, 9600, "Last"))
_SINE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]


def _ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(autouse=True)
def short_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 2-4 s (target 3 s) here, so the 6-10 s clips below hold several chunks each."""
    monkeypatch.setattr(chunks, "TARGET_MS", 3000)
    monkeypatch.setattr(chunks, "MAX_MS", 4000)


@pytest.fixture(scope="session")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """cfr.mp4 (25 fps, shot change at 4 s), vfr.mp4 (30 fps, then slower), off.ts (starts at ~10 s),
    ntsc.mp4 (30000/1001: frame times between milliseconds)."""
    folder = tmp_path_factory.mktemp("zoo")
    scenes = "[0:v]trim=end_frame=100[a];[1:v]trim=end_frame=150[b];[a][b]concat=n=2:v=1[v]"
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"]
    _ff("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "mandelbrot=size=320x180:rate=25",
        *_SINE, "-filter_complex", scenes, "-map", "[v]", "-map", "2:a", *x264, "-c:a", "aac", "-t", "10",
        str(folder / "cfr.mp4"))  # fmt: skip
    vfr = "[0:v]trim=end_frame=150,settb=1/90000,setpts='(N/30+if(gte(N\\,60)\\,0.0123*(N-60)\\,0))/TB'[v]"
    _ff("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", *_SINE, "-filter_complex", vfr, "-map", "[v]",
        "-map", "1:a", *x264, "-fps_mode", "passthrough", "-enc_time_base:v", "filter",
        "-video_track_timescale", "90000", "-c:a", "aac", "-t", "6", str(folder / "vfr.mp4"))  # fmt: skip
    _ff("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", *_SINE, *x264, "-c:a", "aac", "-t", "6",
        "-output_ts_offset", "10", "-f", "mpegts", str(folder / "off.ts"))  # fmt: skip
    _ff("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30000/1001", *_SINE, *x264, "-c:a", "aac", "-t", "6",
        str(folder / "ntsc.mp4"))  # fmt: skip
    return {p.stem: p for p in folder.iterdir()}


def _ass(cues: Sequence[tuple[int, int, str]], width: int = 320, height: int = 180) -> str:
    track = Track("en", tuple(Cue(s, e, (t,)) for s, e, t in cues), Fraction(25))
    return compose_ass(track, AssStyle("Noto Sans", font_size=16, margin_v=8), width, height)


def _requests(folder: Path, texts: Mapping[str, Sequence[tuple[int, int, str]]]) -> list[BurnRequest]:
    return [BurnRequest(lang, _ass(cues), "noto-sans", folder / f"cut.{lang}.mp4") for lang, cues in texts.items()]


def _render(source: Path, reqs: Sequence[BurnRequest], cache: ChunkCache, shots: Sequence[int] = ()) -> ChunkedBurn:
    return render_chunked(source, probe(source), reqs, ENC, cache, shot_changes_ms=shots)


def _luma(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [np.asarray(f.to_ndarray(format="gray"), dtype=np.float64) for f in container.decode(video=0)]


def _psnr_above_band(source: Path, cut: Path, band: float = 0.30) -> float:
    """PSNR of the picture above the subtitle band against the source, over all frames."""
    a, b = _luma(source), _luma(cut)
    assert len(a) == len(b)
    rows = int(a[0].shape[0] * (1 - band))
    mse = float(np.mean([np.mean((x[:rows] - y[:rows]) ** 2) for x, y in zip(a, b, strict=True)]))
    return float(10 * np.log10(255**2 / mse))


def _audio_packets(path: Path) -> list[bytes]:
    """The audio payloads; ADTS headers (MPEG-TS) dropped, as MP4 stores the bare AAC frames."""
    with av.open(str(path)) as container:
        packets = [bytes(p) for p in container.demux(audio=0) if p.size]
    return [p[7 if p[1] & 1 else 9 :] if p[:2] in (b"\xff\xf1", b"\xff\xf0") else p for p in packets]


def _relative_times(table: FrameTable) -> list[Fraction]:
    return [(p - table.pts[0]) * table.time_base for p in table.pts]


def test_plan_is_whole_frames_of_two_to_six_seconds_cut_on_shot_changes_and_keyframes(
    zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    table = read_frame_table(zoo["cfr"])
    monkeypatch.setattr(chunks, "TARGET_MS", 4000)  # 4/6 s (this module's fixture pins 3/4 s)
    monkeypatch.setattr(chunks, "MAX_MS", 6000)
    # The shot change at frame 100 ends chunk 0; the 6 s left make one chunk.
    assert [(c.first, c.end) for c in plan_chunks(table, [SHOT_MS])] == [(0, 100), (100, 250)]
    assert plan_chunks(table, []) == plan_chunks(table, [])  # deterministic
    for chunk in plan_chunks(table, [5100]):
        assert 2000 <= float(table.ms(chunk.end - 1) - table.ms(chunk.first)) + 40 <= 6000
    # With 2-4 s chunks, the source's keyframe at 160 (-g 60) ends chunk 1 (no shot change there).
    monkeypatch.setattr(chunks, "TARGET_MS", 3000)
    monkeypatch.setattr(chunks, "MAX_MS", 4000)
    assert table.pts[160] in table.keyframes
    assert [(c.first, c.end) for c in plan_chunks(table, [SHOT_MS])] == [(0, 100), (100, 160), (160, 250)]


def test_chunk_args_are_exact() -> None:
    streams = [BurnStream("k.ass", "fonts-x", 1280), BurnStream(None, None, 0)]
    outs = [
        ChunkOutput(3000, 6000, 0, Path("/w/k1.mp4")),
        ChunkOutput(6000, 7000, 0, Path("/w/k2.mp4")),
        ChunkOutput(6000, 7000, 1, Path("/w/b.mp4")),
    ]
    argv = chunk_args(Path("/v/in.mp4"), "1.500000", streams, outs, ChunkSettings(), 12800)
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph.split(";") == [
        "[0:v]trim=start_pts=3000:end_pts=7000,split=2[r0][r1]",
        "[r0]setpts=PTS-1280,subtitles=filename=k.ass:fontsdir=fonts-x,setpts=PTS+1280,split=2[c0][c1]",
        "[r1]split=1[c2]",
        "[c0]trim=start_pts=3000:end_pts=6000,setpts=PTS-STARTPTS[o0]",
        "[c1]trim=start_pts=6000:end_pts=7000,setpts=PTS-STARTPTS[o1]",
        "[c2]trim=start_pts=6000:end_pts=7000,setpts=PTS-STARTPTS[o2]",
    ]
    assert argv[argv.index("-x264-params") + 1] == "stitchable=1:threads=1:sliced-threads=0"
    assert argv[argv.index("-ss") + 1] == "1.500000" and "-copyts" in argv and "-noaccurate_seek" in argv
    assert argv.count("libx264") == 3 and argv.count("12800") == 3
    text = concat_list([Path("/c/a.mp4"), Path("/c/it's.mp4")], [2_040_000, None])
    assert text == "ffconcat version 1.0\nfile '/c/a.mp4'\nduration 2.040000\nfile '/c/it'\\''s.mp4'\n"


@pytest.mark.parametrize("name", ["cfr", "vfr", "off"])
def test_chunked_cut_has_the_sources_frames_timestamps_and_audio(
    zoo: dict[str, Path], tmp_path: Path, name: str
) -> None:
    source = zoo[name]
    reqs = _requests(tmp_path, {"en": CUES, "xx": CUES[1:2]})
    done = _render(source, reqs, ChunkCache(tmp_path / "cache"), shots=[SHOT_MS])
    src = read_frame_table(source)
    for cut in done.partials:
        got = read_frame_table(cut)
        assert len(got.pts) == len(src.pts)
        assert _relative_times(got) == _relative_times(src)
        assert _audio_packets(cut) == _audio_packets(source), "audio must be a stream copy"
        log = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(cut), "-f", "null", "-"], capture_output=True)
        assert log.returncode == 0 and log.stderr == b"", log.stderr[-400:]
    # The verification of burned cuts (libass mask, time from the first frame) accepts the chunked cut.
    media = probe(source)
    check = BurnCheck(reqs[0].ass_text, (reqs[0].font_key,), [(s, e) for s, e, _t in CUES])
    assert verify_burn(probe(done.partials[0]), media, check) == []


PIXEL_DELTA = 48  # a pixel changed by burned text (the share-of-band rule verification used before its mask)
TEXT_SHARE = 0.004


def _text_shown(source: list[np.ndarray], cut: list[np.ndarray], band: float = 0.30) -> list[bool]:
    """For each frame: does the subtitle band differ from the source's as burned text does (verify.py)?"""
    rows = int(source[0].shape[0] * (1 - band))
    pairs = zip(source, cut, strict=True)
    return [float((np.abs(a[rows:] - b[rows:]) > PIXEL_DELTA).mean()) >= TEXT_SHARE for a, b in pairs]


@pytest.mark.parametrize("name", ["cfr", "off", "ntsc"])
def test_chunked_cut_looks_like_the_monolithic_burn(zoo: dict[str, Path], tmp_path: Path, name: str) -> None:
    source = zoo[name]
    chunked = _render(source, _requests(tmp_path / "c", {"en": CUES}), ChunkCache(tmp_path / "cache")).partials[0]
    whole = burn(source, probe(source), _requests(tmp_path / "m", {"en": CUES}), ENC)[0]
    # Every cue appears and disappears on the same frames as in the monolithic burn.
    frames = _luma(source)
    shown = _text_shown(frames, _luma(chunked))
    assert shown == _text_shown(frames, _luma(whole)) and sum(shown) > 10
    # No worse than 0.5 dB. It may be better: each chunk opens with an IDR, which on the zooming
    # fractal of the cfr clip buys ~0.7 dB for ~3 % more bytes (measured); the size bound holds it.
    psnr_chunked, psnr_whole = _psnr_above_band(source, chunked), _psnr_above_band(source, whole)
    assert psnr_chunked >= psnr_whole - 0.5, (psnr_chunked, psnr_whole)
    assert abs(chunked.stat().st_size / whole.stat().st_size - 1) <= 0.10


def _visible(table: FrameTable, start: int, end: int, first: int, last: int) -> bool:
    return start <= int(table.ms(last)) and end > int(table.ms(first))


def test_reruns_encode_only_what_changed(zoo: dict[str, Path], tmp_path: Path) -> None:
    source, cache = zoo["cfr"], ChunkCache(tmp_path / "cache")
    texts: dict[str, Sequence[tuple[int, int, str]]] = {"en": CUES, "fr": CUES[:2]}
    first = _render(source, _requests(tmp_path, texts), cache, [SHOT_MS])
    first_bytes = [p.read_bytes() for p in first.partials]
    plan = plan_chunks(read_frame_table(source), [SHOT_MS])
    # en shows text in all 3 chunks. fr's first chunk shows the same events in the same style as en's
    # (one key), its second differs, its last is the bare picture.
    assert first.encoded == 3 + 1 + 1
    assert first.keys[1][0] == first.keys[0][0] and first.keys[1][2] not in first.keys[0]
    again = _render(source, _requests(tmp_path, texts), cache, [SHOT_MS])
    assert (again.encoded, again.reused) == (0, 5)
    assert [p.read_bytes() for p in again.partials] == first_bytes
    edited = list(CUES)
    edited[2] = (6000, 7400, "Third, fixed")  # shown across the boundary of chunks 1 (4-6.4 s) and 2
    table = read_frame_table(source)
    touched = [c for c in plan if _visible(table, 6000, 7400, c.first, c.end - 1)]
    third = _render(source, _requests(tmp_path, {"en": edited, "fr": CUES[:2]}), cache, [SHOT_MS])
    assert third.encoded == len(touched) == 2
    assert third.keys[0][0] == first.keys[0][0] and third.keys[1] == first.keys[1]
    assert set(third.keys[0][1:]).isdisjoint(first.keys[0])
    # fr's second cue shortened to end in chunk 0: fr's chunk 0 changes and its chunk 1 becomes bare.
    fr = [*CUES[:1], (2500, 3000, "Short")]
    fourth = _render(source, _requests(tmp_path, {"en": edited, "fr": fr}), cache, [SHOT_MS])
    assert (fourth.encoded, fourth.reused) == (2, 4)


def test_two_runs_are_byte_identical_and_a_damaged_entry_is_encoded_again(zoo: dict[str, Path], tmp_path: Path) -> None:
    source = zoo["cfr"]
    one = _render(source, _requests(tmp_path / "a", {"en": CUES}), ChunkCache(tmp_path / "c1"), [SHOT_MS])
    one_bytes = one.partials[0].read_bytes()
    cache = ChunkCache(tmp_path / "c2")
    two = _render(source, _requests(tmp_path / "b", {"en": CUES}), cache, [SHOT_MS])
    assert one_bytes == two.partials[0].read_bytes()
    victim = cache.root / two.keys[0][1][:2] / f"{two.keys[0][1]}.mp4"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    three = _render(source, _requests(tmp_path / "c", {"en": CUES}), cache, [SHOT_MS])
    assert (three.encoded, three.reused) == (1, 2)
    assert three.partials[0].read_bytes() == one_bytes


_KILLABLE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.media.probe import probe
    from pipeline.render.burn import BurnRequest, Encoder
    from pipeline.render.chunkburn import render_chunked
    from pipeline.render import chunks
    from pipeline.render.chunkcache import ChunkCache
    chunks.TARGET_MS, chunks.MAX_MS = 3000, 4000  # as this module's tests render
    source, cache, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    reqs = [BurnRequest(l, Path(out / f"{l}.ass").read_text(), "noto-sans", out / f"cut.{l}.mp4") for l in ("en", "fr")]
    render_chunked(source, probe(source), reqs, Encoder(), ChunkCache(cache), shot_changes_ms=[4000], jobs=1)
    """
)


def test_a_killed_render_leaves_a_consistent_cache_and_the_rerun_completes(
    zoo: dict[str, Path], tmp_path: Path
) -> None:
    source, root = zoo["cfr"], tmp_path / "cache"
    texts = {"en": CUES, "fr": CUES[:2]}
    for lang, cues in texts.items():
        (tmp_path / f"{lang}.ass").write_text(_ass(cues), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(source), str(root), str(tmp_path)], start_new_session=True
    )
    deadline = time.monotonic() + 30
    while not list((root / "chunks").glob("??/*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the render and its ffmpeg children, mid-run
    assert proc.wait() == -signal.SIGKILL
    cache = ChunkCache(root)
    stored = cache.entries()
    assert 1 <= len(stored) < 5, "killed mid-run: some chunks stored, not all"
    assert all(cache.get(e.key) for e in stored), "every stored entry is intact"
    assert not list(tmp_path.glob(".cut.*partial*")), "no cut was assembled"
    done = _render(source, _requests(tmp_path, texts), cache, [SHOT_MS])
    assert done.encoded + done.reused == 5 and done.reused >= len(stored)
    assert cache.orphans() == [] and not list(cache.tmp_root.iterdir())
    assert all(cache.get(e.key) for e in cache.entries())


def test_progress_reports_chunks_fps_and_eta(zoo: dict[str, Path], tmp_path: Path) -> None:
    reports: list[ChunkProgress] = []
    source = zoo["cfr"]
    reqs = _requests(tmp_path, {"en": CUES, "fr": CUES[:2]})
    render_chunked(
        source, probe(source), reqs, ENC, ChunkCache(tmp_path / "c"), shot_changes_ms=[], on_chunks=reports.append
    )
    assert [r.total for r in reports] == [5] * len(reports) and reports[-1].done == 5
    assert [r.done for r in reports] == sorted(r.done for r in reports)
    assert all(r.fps > 0 for r in reports) and reports[-1].eta_s == 0 < reports[0].eta_s


def test_prune_drops_least_recently_used_first(zoo: dict[str, Path], tmp_path: Path) -> None:
    cache = ChunkCache(tmp_path / "cache")
    done = _render(zoo["cfr"], _requests(tmp_path, {"en": CUES}), cache, [SHOT_MS])
    keys = done.keys[0]
    for age, key in enumerate(keys):  # keys[0] oldest
        meta = cache.root / key[:2] / f"{key}.json"
        os.utime(meta, (1_000_000 + age, 1_000_000 + age))
    sizes = {e.key: e.size for e in cache.entries()}
    assert cache.prune(cache.size() - 1) == [keys[0]]
    assert cache.prune(sizes[keys[2]]) == [keys[1]]
    assert [e.key for e in cache.entries()] == [keys[2]]


def test_cache_command_shows_and_prunes(
    zoo: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "cache"))
    _render(zoo["cfr"], _requests(tmp_path, {"en": CUES}), ChunkCache(), [SHOT_MS])
    assert main(["cache"]) == 0
    assert "3 chunks" in capsys.readouterr().out
    assert main(["cache", "--max-size", "0"]) == 0
    assert "pruned 3 chunks" in capsys.readouterr().out and ChunkCache().entries() == []
    assert main(["cache", "--max-size", "lots"]) == 2
    assert parse_size("1.5M") == 1_572_864 and parse_size("2GiB") == 2 << 30


def test_a_failing_chunk_fails_the_burn_and_leaves_no_partial(zoo: dict[str, Path], tmp_path: Path) -> None:
    # Noto Sans has no Hangul: libass reports missing glyphs, and the burn fails.
    reqs = _requests(tmp_path, {"ko": [(500, 1800, "안녕하세요"), (8200, 9600, "감사합니다")]})
    with pytest.raises(FfmpegError, match="glyph"):
        _render(zoo["cfr"], reqs, ChunkCache(tmp_path / "cache"), [SHOT_MS])
    assert not list(tmp_path.glob(".cut.*")) and not list((tmp_path / "cache" / "tmp").iterdir())


def test_cuts_are_assembled_side_by_side_and_one_failure_removes_every_partial(
    zoo: dict[str, Path], tmp_path: Path
) -> None:
    """Cuts are concatenated in parallel threads: both come out exact, and when one cut's concat
    fails (a chunk file gone: the frame check refuses it) the other cut's partial, finished or not, is removed too."""
    reqs = _requests(tmp_path, {"en": list(CUES), "fr": [(c[0], c[1], c[2] + "!") for c in CUES]})
    done = _render(zoo["cfr"], reqs, ChunkCache(tmp_path / "cache"), [SHOT_MS])
    table, plan = read_frame_table(zoo["cfr"]), plan_chunks(read_frame_table(zoo["cfr"]), [SHOT_MS])
    cache = ChunkCache(tmp_path / "cache")
    files = [[p for k in keys if (p := cache.get(k)) is not None] for keys in done.keys]
    assert [len(f) for f in files] == [len(plan)] * 2
    targets = [tmp_path / "again.en.mp4", tmp_path / "again.fr.mp4"]
    parts = assemble_cuts(zoo["cfr"], table, plan, files, targets, tmp_path, jobs=2)
    for part, first in zip(parts, done.partials, strict=True):
        assert part.read_bytes() == first.read_bytes()  # the same bytes as the render's own assembly
    broken = [files[0], [*files[1][:-1], tmp_path / "gone.mp4"]]  # the concat skips it: frames missing
    with pytest.raises(VerifyError, match="frames, the source has"):
        assemble_cuts(zoo["cfr"], table, plan, broken, targets, tmp_path, jobs=2)
    assert not list(tmp_path.glob(".again.*partial*"))
