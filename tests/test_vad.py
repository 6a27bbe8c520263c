"""Speech detection on real audio: the sample's measured onsets, silence, and decode errors."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import FfmpegError, InputError
from pipeline.core.timecode import frame_to_ms
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.vad import SAMPLE_RATE, STEP_MS, audio_lead_ms, decode_audio, detect_speech, spans_of, speech_flags
from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings

ROOT = Path(__file__).resolve().parents[1]
TIMING = ROOT / "assets" / "promo" / "timing.json"


def test_onsets_match_the_measured_speech(clip15: Path) -> None:
    speech = detect_speech(clip15)
    doc = json.loads(TIMING.read_text(encoding="utf-8"))
    truth = [s["speech_start_ms"] for s in doc["segments"] if s["speech_end_ms"] < 14_000]
    onsets = np.array([a for a, _ in speech.spans])
    for start in truth:
        assert np.min(np.abs(onsets - start)) <= 2 * STEP_MS, (start, speech.spans)
    assert speech.duration_ms == pytest.approx(15_000, abs=200)
    assert not speech.flags[: 1900 // STEP_MS].any()  # the title card before the first words is silent


def test_decode_and_silence(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    source = "sine=frequency=1000:sample_rate=16000:duration=3"
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", source, "-af", "apad=pad_dur=2"]
    subprocess.run([*cmd, str(wav)], check=True)
    samples = decode_audio(wav)
    assert samples.size == pytest.approx(5 * SAMPLE_RATE, abs=SAMPLE_RATE // 10)
    assert not speech_flags(samples[3 * SAMPLE_RATE :]).flags.any()
    assert not speech_flags(np.zeros(SAMPLE_RATE, dtype=np.int16)).spans


def test_spans_of_merges_runs() -> None:
    assert spans_of(np.array([True, True, False, True])) == ((0, 20), (30, 40))
    assert spans_of(np.array([], dtype=np.bool_)) == ()


def test_missing_and_audio_less_media(tmp_path: Path, clip15: Path) -> None:
    with pytest.raises(InputError):
        detect_speech(tmp_path / "missing.mp4")
    mute = tmp_path / "mute.mp4"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(clip15), "-an", "-c", "copy", str(mute)])
    with pytest.raises(FfmpegError):
        detect_speech(mute)


MUSIC = (
    "aevalsrc='0.06*sin(2*PI*220*t)*(1+0.6*sin(2*PI*1.5*t))+0.05*sin(2*PI*277*t)"
    "+0.05*sin(2*PI*330*t)*(1+0.6*sin(2*PI*0.7*t))':s=16000"
)


def test_music_under_the_speech_is_not_speech(tmp_path: Path, clip15: Path) -> None:
    # WebRTC VAD alone calls all of this speech; the spectral-occupancy gate must veto the chord.
    mixed = tmp_path / "music.wav"
    graph = "[0:a][1:a]amix=inputs=2:duration=first:normalize=0[o]"
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(clip15), "-f", "lavfi", "-i", MUSIC]
    subprocess.run([*cmd, "-filter_complex", graph, "-map", "[o]", "-ac", "1", str(mixed)], check=True)
    speech = detect_speech(mixed)
    doc = json.loads(TIMING.read_text(encoding="utf-8"))
    truth = np.zeros(speech.flags.size, dtype=np.bool_)
    for seg in doc["segments"]:
        truth[seg["speech_start_ms"] // STEP_MS : seg["speech_end_ms"] // STEP_MS] = True
    hit = np.count_nonzero(speech.flags & truth)
    assert hit / np.count_nonzero(speech.flags) > 0.95  # precision
    assert hit / np.count_nonzero(truth) > 0.9  # recall


SPEECH_DIR = ROOT / "tests" / "data" / "speech"
NOISES = {
    "pink fading in": "anoisesrc=color=pink:amplitude=0.15:seed=1,afade=t=in:st=7.1:d=1.5",
    "room tone swelling": "anoisesrc=color=brown:amplitude=0.6:seed=4,lowpass=f=500,highpass=f=60,"
    "volume='0.55+0.45*sin(2*PI*t/6.3)':eval=frame",
}


def _noisy_speech(tmp_path: Path, noise: str) -> Path:
    """The espeak-ng sentences (tests/data/speech, 8 languages) with ``noise`` mixed under them."""
    out = tmp_path / "noisy.wav"
    graph = "[0:a]aformat=sample_rates=16000:channel_layouts=mono[s];[s][1:a]amix=inputs=2:duration=first:normalize=0"
    src = f"{noise},aformat=sample_rates=16000:channel_layouts=mono"
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(SPEECH_DIR / "speech.opus"), "-f", "lavfi"]
    subprocess.run([*cmd, "-i", src, "-filter_complex", graph, "-ac", "1", str(out)], check=True)
    return out


def _true_track(shift_ms: int = 0) -> Track:
    fps = Fraction(25)
    spans = json.loads((SPEECH_DIR / "speech.json").read_text(encoding="utf-8"))["spans"]
    cues = [
        Cue(frame_to_ms(s["start_ms"] // 40, fps) + shift_ms, s["end_ms"] + 300 + shift_ms, (s["text"],)) for s in spans
    ]
    return Track("en", tuple(cues), fps)


@pytest.mark.parametrize("noise", sorted(NOISES))
def test_stationary_noise_is_not_speech(tmp_path: Path, noise: str) -> None:
    """Noise fading in or swelling before a sentence used to move its onset ~1 s early (late_start errors)."""
    speech = detect_speech(_noisy_speech(tmp_path, NOISES[noise]))
    good = _true_track()
    findings = offset_findings(estimate_offset(good, speech), good.fps) + audio_findings(good, speech, good.fps)
    assert not [f for f in findings if f.severity == "error"], findings
    truth = np.zeros(speech.flags.size, dtype=np.bool_)
    for cue in good.cues:
        truth[cue.start_ms // STEP_MS : (cue.end_ms - 300) // STEP_MS] = True
    assert np.count_nonzero(speech.flags & truth) / np.count_nonzero(speech.flags) > 0.95  # precision
    late = _true_track(700)  # and cues really 0.7 s late still raise errors
    late_findings = audio_findings(late, speech, late.fps)
    assert sum(f.rule == "late_start" and f.severity == "error" for f in late_findings) >= 5


def test_speech_times_count_from_the_first_frame(tmp_path: Path) -> None:
    """An MPEG-TS whose picture starts at 1000 s and its audio 0.5 s later: speech times count from
    the first frame, as cue times do (before, they counted from the first audio sample)."""
    clip = tmp_path / "late.ts"
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=25"]
    cmd += ["-itsoffset", "0.5", "-i", str(SPEECH_DIR / "speech.opus"), "-t", "6", "-output_ts_offset", "1000"]
    subprocess.run([*cmd, "-c:v", "mpeg2video", "-c:a", "mp2", str(clip)], check=True)
    lead = audio_lead_ms(clip)
    assert lead == pytest.approx(500, abs=25)
    first = json.loads((SPEECH_DIR / "speech.json").read_text(encoding="utf-8"))["spans"][0]["start_ms"]
    onset = detect_speech(clip).spans[0][0]
    assert onset == pytest.approx(first + lead, abs=3 * STEP_MS)


def test_a_pause_webrtc_vad_keeps_is_not_joined_by_the_lenient_candidates() -> None:
    from pipeline.media.speechgate import kept_pauses

    # English (make eval): a microphone rumble filled a 320 ms pause between two lines, which the
    # band's candidates over its level floor and the growth under a hiss took for speech
    strict = np.zeros(300, dtype=bool)
    strict[10:100] = strict[132:200] = strict[210:290] = True  # pauses of 320 and 100 ms
    lenient = np.zeros(300, dtype=bool)
    lenient[10:290] = True
    kept = kept_pauses(lenient, strict, 25)
    assert spans_of(kept) == ((100, 1000), (1320, 2900))  # the short pause stays bridged
    # a pause the lenient flags keep in part is theirs to place
    lenient[115:120] = False
    assert np.array_equal(kept_pauses(lenient, strict, 25), lenient)
