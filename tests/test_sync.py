"""Sync on short generated clips of the sample with known truth (assets/promo/timing.json)."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.cues import Cue, Track
from pipeline.ingest.subparse import read_subtitles
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.vad import Speech, detect_speech
from pipeline.qc.sync import Piece, SyncResult, apply, synchronize
from pipeline.tracks.formats import compose_srt

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "assets" / "promo" / "promo.mp4"
TIMING = ROOT / "assets" / "promo" / "timing.json"
CLIP_S = 45
CUT = (22_500, 25_500)
FRAME_MS = 34


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def _truth() -> list[tuple[int, int]]:
    doc = json.loads(TIMING.read_text(encoding="utf-8"))
    segs = [(s["speech_start_ms"], s["speech_end_ms"]) for s in doc["segments"]]
    return [(a, b) for a, b in segs if b <= CLIP_S * 1000 - 500]


def _track(spans: list[tuple[int, int]], ratio: float = 1.0, shift: int = 0) -> Track:
    cues = tuple(
        Cue(round(a * ratio) + shift, round(b * ratio) + shift, (f"cue {i}",)) for i, (a, b) in enumerate(spans)
    )
    return Track("en", cues)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """45 s of the sample's audio: clean, with noise and music under it, with a 3 s cut, and noise only."""
    folder = tmp_path_factory.mktemp("sync")
    out = {name: folder / f"{name}.wav" for name in ("clean", "mixed", "cut", "noise")}
    pcm = ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"]
    _ffmpeg("-i", str(SAMPLE), "-t", str(CLIP_S), "-vn", *pcm, str(out["clean"]))
    mix = "[0:a][1:a][2:a]amix=inputs=3:duration=first:normalize=0[o]"
    _ffmpeg(
        "-i", str(out["clean"]),
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.03:sample_rate=16000",
        "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=16000,volume=0.05",
        "-filter_complex", mix, "-map", "[o]", *pcm, str(out["mixed"]),
    )  # fmt: skip
    a, b = (c / 1000 for c in CUT)
    graph = (
        f"[0:a]atrim=0:{a},asetpts=PTS-STARTPTS[x];[0:a]atrim={b},asetpts=PTS-STARTPTS[y];[x][y]concat=n=2:v=0:a=1[o]"
    )
    _ffmpeg("-i", str(out["clean"]), "-filter_complex", graph, "-map", "[o]", *pcm, str(out["cut"]))
    noise = "anoisesrc=color=brown:amplitude=0.2:sample_rate=16000"
    _ffmpeg("-f", "lavfi", "-i", noise, "-t", str(CLIP_S), *pcm, str(out["noise"]))
    return out


@pytest.fixture(scope="module")
def speech(media: dict[str, Path]) -> dict[str, Speech]:
    return {name: detect_speech(path) for name, path in media.items()}


def _errors(result: SyncResult, track: Track, truth: list[int]) -> list[int]:
    return [abs(result.map_ms(c.start_ms) - t) for c, t in zip(track.cues, truth, strict=True)]


@pytest.mark.parametrize(
    ("ratio", "shift"),
    [(1.0, 2500), (1.0, -800), (float(Fraction(25) / Fraction(24000, 1001)), 0), (24 / 25, 1200)],
    ids=["late-2.5s", "early-0.8s", "pal-drift", "ntsc-drift-plus-shift"],
)
@pytest.mark.parametrize("audio", ["clean", "mixed"])
def test_sync_recovers_shift_and_drift(speech: dict[str, Speech], audio: str, ratio: float, shift: int) -> None:
    truth = _truth()
    track = _track(truth, ratio, shift)
    result = synchronize(track, speech[audio])
    assert result.ok
    assert len(result.pieces) == 1
    errors = _errors(result, track, [a for a, _ in truth])
    assert max(errors) <= 2 * FRAME_MS, errors


def test_sync_finds_a_split_edit(speech: dict[str, Speech]) -> None:
    truth = _truth()
    track = _track(truth, 1.0, 1000)
    result = synchronize(track, speech["cut"])
    cut_len = CUT[1] - CUT[0]
    kept = [(c, a) for c, (a, b) in zip(track.cues, truth, strict=True) if b <= CUT[0] or a >= CUT[1]]
    expected = [a if a < CUT[0] else a - cut_len for _, a in kept]
    errors = [abs(result.map_ms(c.start_ms) - e) for (c, _), e in zip(kept, expected, strict=True)]
    assert result.ok and len(result.pieces) >= 2
    assert max(errors) <= 2 * FRAME_MS, (result.pieces, errors)
    no_split = synchronize(track, speech["cut"], splits=False)
    assert len(no_split.pieces) == 1


def test_sync_refuses_when_nothing_matches(speech: dict[str, Speech]) -> None:
    result = synchronize(_track(_truth()), speech["noise"])
    assert not result.ok and result.confidence < 0.5


def test_apply_scales_snaps_and_keeps_text() -> None:
    track = Track("en", (Cue(1000, 2000, ("a",)), Cue(5000, 6000, ("b",))))
    result = SyncResult(1.0, (Piece(0, 500), Piece(4000, -300)), 0.9, 0.0)
    moved = apply(track, result, Fraction(25))
    assert [(c.start_ms, c.end_ms, c.lines) for c in moved.cues] == [(1520, 2520, ("a",)), (4720, 5720, ("b",))]


def test_cli_sync_writes_corrected_tracks(
    tmp_path: Path, media: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    truth = _truth()
    wrong = _track(truth, 1.0, 1800)
    src = tmp_path / "in" / "clip.en.srt"
    other = tmp_path / "in" / "clip.fr.srt"
    src.parent.mkdir()
    src.write_text(compose_srt(wrong), encoding="utf-8")
    other.write_text(compose_srt(Track("fr", wrong.cues)), encoding="utf-8")
    out = tmp_path / "out" / "clip.en.srt"
    code = main(["sync", str(src), "--video", str(media["clean"]), "-o", str(out), "--apply-to", str(other), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["ratio"] == 1.0 and abs(report["offset_ms"] + 1800) <= FRAME_MS
    assert report["written"] == [str(out), str(out.parent / "clip.fr.srt")] and report["confidence"] >= 0.5
    for path in (out, out.parent / "clip.fr.srt"):
        fixed = read_subtitles(path, "en")
        assert max(abs(c.start_ms - a) for c, (a, _) in zip(fixed.cues, truth, strict=True)) <= 2 * FRAME_MS


def test_cli_sync_refuses_and_writes_nothing(
    tmp_path: Path, media: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "clip.en.srt"
    src.write_text(compose_srt(_track(_truth())), encoding="utf-8")
    out = tmp_path / "out" / "clip.en.srt"
    assert main(["sync", str(src), "--video", str(media["noise"]), "-o", str(out)]) == 1
    assert not out.exists()
    assert "nothing written" in capsys.readouterr().err


def test_cli_sync_bad_input_exits_2(tmp_path: Path, media: dict[str, Path]) -> None:
    bad = tmp_path / "bad.en.srt"
    bad.write_text("1\n00:00:02,000 --> 00:00:01,000\nhi\n", encoding="utf-8")
    assert main(["sync", str(bad), "--video", str(media["clean"]), "-o", str(tmp_path / "o.srt")]) == 2
    good = tmp_path / "good.en.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n", encoding="utf-8")
    assert main(["sync", str(good), "--video", str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o.srt")]) == 2


def test_cli_sync_will_not_overwrite_an_input(tmp_path: Path, media: dict[str, Path]) -> None:
    en, fr = tmp_path / "clip.en.srt", tmp_path / "clip.fr.srt"
    for path in (en, fr):
        path.write_text(compose_srt(_track(_truth())), encoding="utf-8")
    before = fr.read_bytes()
    argv = [
        "sync",
        str(en),
        "--video",
        str(media["clean"]),
        "-o",
        str(tmp_path / "fixed.en.srt"),
        "--apply-to",
        str(fr),
    ]
    assert main(argv) == 2
    assert fr.read_bytes() == before and not (tmp_path / "fixed.en.srt").exists()


NON_SPEECH = {
    "tone": "sine=frequency=440:sample_rate=16000",
    "silence": "anullsrc=channel_layout=mono:sample_rate=16000",
    "hiss": "anoisesrc=color=white:amplitude=0.1:sample_rate=16000",
    "music": "sine=frequency=262:sample_rate=16000,tremolo=f=4:d=0.6",
}


@pytest.fixture(scope="module")
def non_speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """4 s clips whose audio has no speech: a steady tone, silence, hiss, a pulsing note."""
    folder = tmp_path_factory.mktemp("nonspeech")
    out = {}
    video = ["-f", "lavfi", "-i", "color=gray:s=160x90:r=25"]
    codecs = ["-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-ac", "1", "-c:a", "aac"]
    for name, source in NON_SPEECH.items():
        out[name] = folder / f"{name}.mp4"
        _ffmpeg(*video, "-f", "lavfi", "-i", source, *codecs, str(out[name]))
    return out


_THREE = Track("en", (Cue(500, 1500, ("a",)), Cue(1800, 2600, ("b",)), Cue(2900, 3700, ("c",))))


@pytest.mark.parametrize("kind", sorted(NON_SPEECH))
def test_no_speech_refuses_sync_and_makes_no_offset_claim(
    tmp_path: Path, non_speech: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings

    speech = detect_speech(non_speech[kind])
    result = synchronize(_THREE, speech)
    assert not result.ok and result.confidence < 0.5
    estimate = estimate_offset(_THREE, speech)
    findings = offset_findings(estimate, Fraction(25)) + audio_findings(_THREE, speech, Fraction(25))
    assert [f.rule for f in findings] == ["sync_unknown", "no_speech"]
    src = tmp_path / "clip.en.srt"
    src.write_text(compose_srt(_THREE), encoding="utf-8")
    out = tmp_path / "out.en.srt"
    assert main(["sync", str(src), "--video", str(non_speech[kind]), "-o", str(out)]) == 1
    assert not out.exists() and "nothing written" in capsys.readouterr().err
    # `check --video` on it: no error, and no offset claimed.
    assert main(["check", str(src), "--video", str(non_speech[kind])]) == 0
    report = capsys.readouterr().out
    assert "offset not measured" in report and "no_speech" in report


def test_a_mapping_off_the_audio_has_no_confidence(speech: dict[str, Speech]) -> None:
    """Cues moved before the audio's start would collapse to 0 ms: such a fit is never confident."""
    from pipeline.qc.syncscore import overlap_f1

    flags = speech["clean"].flags
    assert overlap_f1(flags, [(-5000, -4000)]) == 0.0
    inside = overlap_f1(flags, [(a, b) for a, b in _truth()])
    squeezed = overlap_f1(flags, [(a - 60_000, b) for a, b in _truth()])
    assert inside > 0.8 and squeezed < inside / 2
