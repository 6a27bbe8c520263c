"""The video's timeline in track building: its end (clip, drop, never lengthen past it), VFR frame
times, sources whose timestamps do not start at 0; and `run` on a trimmed clip."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.batch.run import run_job
from pipeline.core.cues import Cue, Track
from pipeline.core.profiles import get_profile
from pipeline.ingest.job import parse_job
from pipeline.ingest.segments import Segment
from pipeline.ingest.subparse import read_subtitles
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.frames import frame_times
from pipeline.tracks.build import build_track_report
from pipeline.tracks.timeline import FrameGrid, Timeline, clip_to_video

FPS = Fraction(25)
EN = get_profile("en")
# 45 frames at 30 fps (0-1.5 s), then 45 at 15 fps (1.5-4.5 s): the average rate, 20 fps, is no frame's.
VFR_PTS = "if(lt(N,45),N/30,1.5+(N-45)/15)/TB"


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 3 s CFR clip, a VFR clip, an MPEG-TS whose timestamps start at 1000 s, a stream-copied cut."""
    folder = tmp_path_factory.mktemp("timeline")
    out = {name: folder / name for name in ("cfr.mp4", "vfr.mp4", "late.ts", "cut.mp4")}
    src = ["-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=3", "-c:v", "libx264", "-preset", "ultrafast"]
    _ffmpeg(*src, str(out["cfr.mp4"]))
    vfr = ["-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-frames:v", "90", "-vf", f"setpts='{VFR_PTS}'"]
    _ffmpeg(*vfr, "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", str(out["vfr.mp4"]))
    _ffmpeg(*src[:4], "-t", "2", "-c:v", "mpeg2video", "-output_ts_offset", "1000", str(out["late.ts"]))
    # Cut between keyframes by stream copy: an edit list hides the packets before 1.3 s.
    _ffmpeg("-ss", "1.3", "-i", str(out["cfr.mp4"]), "-c", "copy", str(out["cut.mp4"]))
    return out


def _seg(sid: str, start: int, end: int, text: str) -> Segment:
    return Segment(sid, start, end, {"en": text})


def test_clip_to_video_clips_drops_and_warns() -> None:
    track = Track("en", (Cue(0, 1000, ("a",)), Cue(2000, 3500, ("b",)), Cue(3000, 4000, ("c",))), FPS)
    clipped, found = clip_to_video(track, 3000)
    assert [(c.start_ms, c.end_ms) for c in clipped.cues] == [(0, 1000), (2000, 3000)]
    assert [(f.rule, f.severity, f.cue) for f in found] == [("past_end", "warning", 2), ("past_end", "warning", 3)]
    assert "clipped" in found[0].message and "dropped" in found[1].message
    assert clip_to_video(track, 4000) == (track, []) and clip_to_video(track, None) == (track, [])


def test_build_clips_to_the_end_and_never_lengthens_past_it() -> None:
    segments = [
        _seg("a", 500, 1500, "Yes."),
        # Short and long in text: reading speed and minimum duration would push its end past 3 s.
        _seg("b", 2600, 2900, "This sentence needs far more time than it has to be read."),
        _seg("c", 2800, 3800, "Runs past the end."),
        _seg("d", 3200, 4000, "Starts after the end."),
    ]
    free = build_track_report(segments, "en", EN, FPS)
    assert free.track.cues[-1].end_ms > 3000  # without a timeline the last cues run on
    built = build_track_report(segments, "en", EN, FPS, timeline=Timeline(end_ms=3000))
    assert all(c.end_ms <= 3000 and c.start_ms < c.end_ms for c in built.track.cues)
    assert "Starts after the end." not in built.track.texts()
    past = [f for f in built.findings if f.rule == "past_end"]
    assert past and all(f.severity == "warning" for f in past)
    assert any("dropped" in f.message for f in past) and any("clipped" in f.message for f in past)
    # The cue that only its timing would have lengthened past the end is not reported as past it.
    assert not any(f.cue == 2 for f in past)


def test_frame_times_of_a_vfr_source(videos: dict[str, Path]) -> None:
    frames = frame_times(videos["vfr.mp4"])
    assert len(frames.times_ms) == 90 and frames.times_ms[-1] < frames.end_ms <= 4502
    assert frames.times_ms[44:47] == (1466, 1500, 1566)
    assert not frames.is_constant(Fraction(20))
    cfr = frame_times(videos["cfr.mp4"])
    assert cfr.is_constant(FPS) and cfr.end_ms == 3000 and len(cfr.times_ms) == 75


def test_vfr_cues_start_on_real_frames(videos: dict[str, Path]) -> None:
    frames = frame_times(videos["vfr.mp4"])
    segments = [_seg("a", 300, 1200, "One."), _seg("b", 1990, 2950, "Two."), _seg("c", 3010, 4000, "Three.")]
    real = set(frames.times_ms) | {frames.end_ms}
    built = build_track_report(segments, "en", EN, Fraction(20), timeline=Timeline(frames.end_ms, frames.times_ms))
    assert all(c.start_ms in real and c.end_ms in real for c in built.track.cues), built.track.cues
    # Each cue starts on the frame nearest to its speech, not up to a frame later.
    for cue, seg in zip(built.track.cues, segments, strict=True):
        assert abs(cue.start_ms - seg.start_ms) <= 34
    average = build_track_report(segments, "en", EN, Fraction(20))  # the average-rate grid misses real frames
    assert any(c.start_ms not in real for c in average.track.cues)


def test_a_source_starting_at_1000_s_counts_from_its_first_frame(videos: dict[str, Path]) -> None:
    frames = frame_times(videos["late.ts"])
    assert frames.times_ms[0] == 0 and frames.end_ms == pytest.approx(2000, abs=40)
    assert FrameGrid(FPS, frames.times_ms).ms(25) == 1000


def test_run_clips_a_trimmed_clip_and_reports_past_end(tmp_path: Path, videos: dict[str, Path]) -> None:
    doc = {
        "segments": [
            {"id": "a", "start_ms": 400, "end_ms": 1600, "text": {"en": "Inside the clip."}},
            {"id": "b", "start_ms": 2200, "end_ms": 3900, "text": {"en": "Runs past its end."}},
            {"id": "c", "start_ms": 4200, "end_ms": 5000, "text": {"en": "From the full cut."}},
        ]
    }
    transcript = tmp_path / "t.json"
    transcript.write_text(json.dumps(doc), encoding="utf-8")
    job_text = (
        f'output_dir = "{tmp_path / "out"}"\nvideo = "{videos["cfr.mp4"]}"\ntranscript = "{transcript}"\n'
        'languages = ["en"]\n[outputs]\nformats = ["srt"]\nburn = false\nmux = ["mkv"]\n'
    )
    result = run_job(parse_job(job_text, tmp_path / "job.toml"))
    assert result.ok, result.videos[0].failures
    root = tmp_path / "out" / "cfr"
    track = read_subtitles(root / "en" / "cfr.en.srt", "en")
    assert len(track.cues) == 2 and track.cues[-1].end_ms <= 3000
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert "cfr.subs.mkv" in {f["path"] for f in manifest["files"]}
    assert json.dumps(manifest["qc"]).count("past_end") == 2


def test_an_edit_list_lead_in_is_not_a_frame(videos: dict[str, Path]) -> None:
    frames = frame_times(videos["cut.mp4"])
    assert frames.times_ms[0] == 0 and frames.end_ms == pytest.approx(1700, abs=40)
    assert len(frames.times_ms) == pytest.approx(frames.end_ms / 40, abs=1)
