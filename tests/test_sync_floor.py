"""`sync` refuses another clip's subtitles (issue 18, item 4): clips cut from the sample as a user cuts
them (``-ss T -t L -c copy``), each with the cues of the sample's English track that fall in it."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.cues import Cue, Track
from pipeline.ingest.segments import load_transcript
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.qc.syncproof import SYNC_MIN_CONFIDENCE, decoy_tracks
from pipeline.tracks.formats import compose_srt

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "assets" / "promo" / "promo.mp4"
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
CLIPS = {"a": (30, 20), "b": (0, 20), "c": (120, 45), "d": (210, 45)}  # name: (start s, length s)


def _cues_in(track: Track, start_ms: int, length_ms: int) -> Track:
    """The cues of ``track`` inside the window, in the clip's time (cut at its edges)."""
    cues = []
    for c in track.cues:
        a, b = max(c.start_ms - start_ms, 0), min(c.end_ms - start_ms, length_ms)
        if b - a >= 500:
            cues.append(Cue(a, b, c.lines))
    return Track("en", tuple(cues))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Each clip's video (stream copy, no re-encoding) and its own subtitles."""
    from pipeline.batch.steps import build_tracks

    folder = tmp_path_factory.mktemp("clips")
    track = build_tracks(load_transcript(TRANSCRIPT), ["en"], {}, Fraction(30000, 1001))["en"].track
    out = {}
    for name, (start, length) in CLIPS.items():
        video, subs = folder / f"{name}.mp4", folder / f"{name}.en.srt"
        cut = ["-ss", str(start), "-t", str(length), "-i", str(SAMPLE), "-c", "copy", str(video)]
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *cut], check=True)
        subs.write_text(compose_srt(_cues_in(track, start * 1000, length * 1000)), encoding="utf-8")
        out[name] = (video, subs)
    return out


@pytest.mark.parametrize(("video", "subs"), [("a", "b"), ("c", "d")], ids=["20s-clip", "45s-clip"])
def test_sync_refuses_another_clips_subtitles(
    tmp_path: Path, clips: dict[str, tuple[Path, Path]], video: str, subs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fixed.en.srt"
    assert main(["sync", str(clips[subs][1]), "--video", str(clips[video][0]), "-o", str(out), "--json"]) == 1
    assert not out.exists()
    captured = capsys.readouterr()
    assert "nothing written" in captured.err and f"{clips[subs][1]}:" in captured.err
    doc = json.loads(captured.out)
    assert doc["ok"] is False and doc["written"] == [] and doc["refused"]
    assert doc["min_confidence"] == SYNC_MIN_CONFIDENCE
    # Why, with the numbers: under the floor, too few pauses to tell, or no better than its own cues shuffled.
    reason = doc["refused"]
    assert reason in captured.err and f"confidence {doc['confidence']:.2f}" in reason
    if doc["confidence"] < SYNC_MIN_CONFIDENCE:
        assert f"under the floor {SYNC_MIN_CONFIDENCE:.2f}" in reason
    elif doc["decoy_confidence"] is None:
        assert f"under {doc['min_speech_spans']}: too few pauses" in reason
    else:
        assert f"shuffled order fit with {doc['decoy_confidence']:.2f}" in reason


def test_sync_still_accepts_a_clips_own_subtitles_shifted(tmp_path: Path, clips: dict[str, tuple[Path, Path]]) -> None:
    video, subs = clips["c"]
    late = tmp_path / "late.en.srt"
    from pipeline.ingest.subparse import read_subtitles

    own = read_subtitles(subs, "en")
    late.write_text(compose_srt(Track("en", tuple(Cue(c.start_ms + 1500, c.end_ms + 1500, c.lines) for c in own.cues))))
    out = tmp_path / "fixed.en.srt"
    assert main(["sync", str(late), "--video", str(video), "-o", str(out)]) == 0
    fixed = read_subtitles(out, "en")
    assert max(abs(a.start_ms - b.start_ms) for a, b in zip(fixed.cues, own.cues, strict=True)) <= 67


def test_min_confidence_must_be_a_share(tmp_path: Path, clips: dict[str, tuple[Path, Path]]) -> None:
    video, subs = clips["a"]
    assert main(["sync", str(subs), "--video", str(video), "-o", str(tmp_path / "o.srt"), "--min-confidence", "2"]) == 2


def test_decoys_are_the_tracks_cues_rearranged() -> None:
    spans = [(0, 1000), (1500, 4000), (4100, 4900), (6000, 9000)]
    track = Track("en", tuple(Cue(a, b, ("x",)) for a, b in spans))
    decoys = decoy_tracks(track)
    assert decoys and all(d.cues[0].start_ms == 0 and d.cues[-1].end_ms == 9000 for d in decoys)
    arranged = {tuple((c.start_ms, c.end_ms) for c in d.cues) for d in decoys}
    assert len(arranged) == len(decoys) and tuple(spans) not in arranged
    assert decoy_tracks(Track("en", (Cue(0, 1000, ("a",)),))) == []


def test_a_track_no_better_than_its_own_cues_shuffled_is_refused() -> None:
    """Cues all alike have no other arrangement: nothing in their rhythm can prove where they belong."""
    import numpy as np

    from pipeline.media.vad import STEP_MS, Speech, spans_of
    from pipeline.qc.sync import Piece, SyncResult
    from pipeline.qc.syncproof import MIN_SPEECH_SPANS, prove

    alike = Track("en", tuple(Cue(i * 3000, i * 3000 + 2000, ("x",)) for i in range(10)))
    flags = np.zeros(30_000 // STEP_MS, dtype=np.bool_)
    for cue in alike.cues:
        flags[cue.start_ms // STEP_MS : cue.end_ms // STEP_MS] = True
    speech = Speech(flags, spans_of(flags))
    assert len(speech.spans) >= MIN_SPEECH_SPANS and decoy_tracks(alike) == []
    fit = SyncResult(1.0, (Piece(0, 0),), 0.9, 0.0)
    refused = prove(alike, speech, fit)
    assert not refused.ok and "one length and one gap" in refused.refused
    assert "shuffled" not in refused.refused  # there is no shuffled order to name
    assert prove(alike, speech, fit, min_confidence=0).ok  # no proof asked
    few = Speech(flags[: 12_000 // STEP_MS], spans_of(flags[: 12_000 // STEP_MS]))
    assert "4 stretch(es) of speech" in prove(alike, few, fit).refused
