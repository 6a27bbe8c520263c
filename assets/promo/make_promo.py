#!/usr/bin/env python3
"""Build the sample promotional video used to exercise the subpipe pipeline.

The video is made entirely from ``script.json`` (next to this file):

1. Every segment is spoken with ``espeak-ng`` (narrator and interviewee in
   clearly different voices) into a WAV file.
2. The WAVs are laid out on a single mono 22050 Hz timeline: a 2.0 s opening,
   then each segment, 0.7 s of silence between segments of the same card and
   1.4 s between segments of different cards, and a 2.0 s closing.
3. Speech onset/offset of every segment is measured on that final timeline
   with a 10 ms frame-energy detector (RMS above -40 dB relative to the
   segment's peak), alongside the planned placement.
4. One static title card per group of consecutive segments sharing a ``card``
   value is rendered with moviepy; each cut sits in the middle of the pause
   between two cards, snapped to the 30000/1001 fps frame grid.
5. The card frames are piped to the ffmpeg binary shipped with imageio-ffmpeg
   (so the frame rate is exactly 30000/1001, which moviepy's own writer
   rounds to ``29.97``) and muxed with the audio into ``promo.mp4``
   (H.264/yuv420p + AAC 48 kHz, faststart).
6. ``timing.json`` records the measured speech times, the placements, the cut
   times and the card spans.

Run from the repository root::

    .venv/bin/python assets/promo/make_promo.py

The script is idempotent: it rewrites ``promo.mp4`` and ``timing.json`` from
scratch each time and keeps its intermediate files in a temporary directory.
Only regenerating needs ``espeak-ng`` (``apt install espeak-ng``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import fontpkg_noto_sans
import imageio_ffmpeg
import numpy as np
import numpy.typing as npt
from moviepy import ColorClip, CompositeVideoClip, TextClip

HERE = Path(__file__).resolve().parent
SCRIPT_PATH = HERE / "script.json"
VIDEO_PATH = HERE / "promo.mp4"
TIMING_PATH = HERE / "timing.json"
FONT_PATH = Path(fontpkg_noto_sans.__file__).parent / "files" / "NotoSans[wdth,wght].ttf"

# --- Video -----------------------------------------------------------------
WIDTH, HEIGHT = 1280, 720
FPS = Fraction(30000, 1001)
SUBTITLE_SAFE_PX = 200  # bottom band kept free of text and graphics
CRF = 28
PRESET = "medium"

# --- Audio -----------------------------------------------------------------
SAMPLE_RATE = 22050  # espeak-ng's native rate; the AAC encoder resamples to 48 kHz
AAC_RATE = 48000
AAC_BITRATE = "96k"
OPENING = Fraction(2)
CLOSING = Fraction(2)
PAUSE_SAME_CARD = Fraction(7, 10)
PAUSE_NEW_CARD = Fraction(14, 10)

# --- Speech detection ------------------------------------------------------
DETECT_FRAME = Fraction(1, 100)  # 10 ms analysis frames
DETECT_THRESHOLD_DB = -40.0  # frame RMS relative to the segment's peak sample

# --- Voices ----------------------------------------------------------------
VOICES: dict[str, list[str]] = {
    # American English, default male voice, slightly lowered pitch.
    "narrator": ["-v", "en-us", "-s", "165", "-p", "40"],
    # British English, female variant f3, raised pitch, a touch slower.
    "interviewee": ["-v", "en-gb+f3", "-s", "158", "-p", "70"],
}

# --- Cards -----------------------------------------------------------------
OPENING_KEY = "opening"
OPENING_TITLE = "Korea's Good Governance Cases"
CARD_TITLES: dict[str, str] = {
    "change": "A World of Change",
    "innovation": "Government Innovation",
    "mois": "Ministry of the Interior and Safety",
    "egov": "e-Government",
    "local": "Local Autonomy",
    "safety": "Disaster and Safety Management",
    "coop": "International Cooperation",
    "interview": "Interview",
    "examples": "Leading Examples",
    "gov24": "Government 24",
    "hometax": "Hometax",
    "koneps": "KONEPS",
    "unipass": "UNI-PASS",
    "share": "Sharing Korea's Experience",
    "growth": "Public Administration and Growth",
    "future": "A Happier Future for Everyone",
}
# Background colours in timeline order. Dark and light colours of unrelated
# hues alternate, so every cut is a large jump in both luminance and hue.
PALETTE: list[tuple[int, int, int]] = [
    (14, 22, 60),  # deep navy
    (244, 162, 30),  # amber
    (88, 24, 120),  # purple
    (46, 196, 182),  # light teal
    (180, 20, 40),  # crimson
    (160, 220, 80),  # lime
    (20, 60, 140),  # royal blue
    (250, 220, 60),  # yellow
    (30, 30, 30),  # charcoal
    (240, 110, 170),  # pink
    (10, 100, 60),  # forest green
    (120, 200, 250),  # sky blue
    (140, 40, 10),  # rust
    (200, 180, 250),  # lavender
    (0, 90, 110),  # dark teal
    (250, 140, 60),  # orange
    (60, 20, 90),  # dark violet
]
DARK_TEXT = (20, 20, 28)
LIGHT_TEXT = (250, 250, 250)

Frame = npt.NDArray[np.uint8]
Samples = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Segment:
    """One line of the script."""

    id: str
    card: str
    speaker: str
    text: str


@dataclass(frozen=True)
class Placement:
    """Where a segment's WAV sits on the timeline, and where its speech is.

    All values are sample indices on the 22050 Hz timeline; ends are exclusive.
    """

    segment: Segment
    start: int
    end: int
    speech_start: int
    speech_end: int


@dataclass(frozen=True)
class Card:
    """A static card shown for the half-open frame range [first_frame, end_frame)."""

    key: str
    title: str
    subtitle: str
    first_frame: int
    end_frame: int


# --- Helpers ---------------------------------------------------------------


def seconds_to_samples(seconds: Fraction) -> int:
    """Convert an exact duration in seconds to a whole number of samples."""
    samples = seconds * SAMPLE_RATE
    if samples.denominator != 1:
        raise ValueError(f"{seconds} s is not a whole number of samples")
    return int(samples)


def samples_to_ms(samples: int | Fraction) -> int:
    """Convert a sample position on the timeline to whole milliseconds."""
    return round_half_up(Fraction(samples) * 1000 / SAMPLE_RATE)


def frame_to_ms(frame: int) -> int:
    """Time of the start of ``frame`` on the 30000/1001 grid, in whole ms."""
    return round_half_up(frame * 1000 / FPS)


def round_half_up(value: Fraction) -> int:
    """Round an exact fraction to the nearest integer, halves upwards."""
    return math.floor(value + Fraction(1, 2))


def load_script(path: Path) -> list[Segment]:
    """Read and validate ``script.json``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    segments = [Segment(id=s["id"], card=s["card"], speaker=s["speaker"], text=s["en"]) for s in data["segments"]]
    for seg in segments:
        if seg.card not in CARD_TITLES:
            raise ValueError(f"{seg.id}: unknown card {seg.card!r}")
        if seg.speaker not in VOICES:
            raise ValueError(f"{seg.id}: unknown speaker {seg.speaker!r}")
        if not seg.text.strip() or seg.text.startswith("-"):
            raise ValueError(f"{seg.id}: empty text or text espeak-ng would parse as an option")
    return segments


# --- Audio -----------------------------------------------------------------


def read_mono_wav(path: Path, ffmpeg: str) -> Samples:
    """Read a 16-bit WAV as mono int16 at SAMPLE_RATE, converting if needed."""
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        raw = wav.readframes(params.nframes)
    if params.framerate == SAMPLE_RATE and params.nchannels == 1 and params.sampwidth == 2:
        return np.frombuffer(raw, dtype="<i2").copy()
    # Unusual espeak-ng build or voice: let ffmpeg convert it.
    converted = subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(SAMPLE_RATE),
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(converted, dtype="<i2").copy()


def synthesize(segments: Sequence[Segment], workdir: Path, ffmpeg: str) -> list[Samples]:
    """Speak every segment with espeak-ng and return the samples of each."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        sys.exit("espeak-ng not found; install it with `apt install espeak-ng`.")
    clips: list[Samples] = []
    for seg in segments:
        out = workdir / f"{seg.id}.wav"
        subprocess.run([espeak, *VOICES[seg.speaker], "-w", str(out), seg.text], check=True)
        clips.append(read_mono_wav(out, ffmpeg))
    return clips


def detect_speech(samples: Samples) -> tuple[int, int]:
    """Return (onset, offset) sample indices of the speech within ``samples``.

    The clip is cut into consecutive 10 ms frames; a frame counts as speech
    when its RMS is within DETECT_THRESHOLD_DB of the clip's peak sample.
    Onset is the start of the first speech frame, offset the end of the last.
    """
    frame_len = round_half_up(DETECT_FRAME * SAMPLE_RATE)
    n_frames = math.ceil(len(samples) / frame_len)
    padded = np.zeros(n_frames * frame_len, dtype=np.float64)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(n_frames, frame_len) ** 2, axis=1))
    peak = float(np.max(np.abs(padded)))
    if peak == 0.0:
        raise ValueError("silent clip")
    threshold = peak * 10.0 ** (DETECT_THRESHOLD_DB / 20.0)
    voiced = np.flatnonzero(rms > threshold)
    onset = int(voiced[0]) * frame_len
    offset = min((int(voiced[-1]) + 1) * frame_len, len(samples))
    return onset, offset


def lay_out(
    segments: Sequence[Segment],
    clips: Sequence[Samples],
    total_samples: int | None = None,
) -> tuple[Samples, list[int]]:
    """Concatenate clips with the opening, pauses and closing.

    Returns the timeline and each clip's start sample. ``total_samples``
    pads the closing silence up to a given length (to end on a frame).
    """
    starts: list[int] = []
    pos = seconds_to_samples(OPENING)
    for i, (seg, clip) in enumerate(zip(segments, clips, strict=True)):
        if i > 0:
            same = segments[i - 1].card == seg.card
            pos += seconds_to_samples(PAUSE_SAME_CARD if same else PAUSE_NEW_CARD)
        starts.append(pos)
        pos += len(clip)
    length = pos + seconds_to_samples(CLOSING)
    if total_samples is not None:
        length = max(length, total_samples)
    timeline = np.zeros(length, dtype=np.int16)
    for start, clip in zip(starts, clips, strict=True):
        timeline[start : start + len(clip)] = clip
    return timeline, starts


def write_wav(path: Path, samples: Samples) -> None:
    """Write mono 16-bit PCM at SAMPLE_RATE."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.astype("<i2").tobytes())


# --- Cards -----------------------------------------------------------------


def sample_to_frame(sample: Fraction) -> int:
    """Nearest frame index on the 30000/1001 grid for a timeline sample."""
    return round_half_up(sample / SAMPLE_RATE * FPS)


def plan_cards(placements: Sequence[Placement], n_frames: int) -> list[Card]:
    """Group consecutive segments by card and place each cut on the frame grid.

    A card starts half-way through the pause that precedes its first segment;
    the opening title card runs from frame 0 up to the first segment, since
    the opening is a lead-in rather than a pause between two cards.
    """
    groups: list[list[Placement]] = []
    for p in placements:
        if groups and groups[-1][0].segment.card == p.segment.card:
            groups[-1].append(p)
        else:
            groups.append([p])
    total = len(groups)
    starts = [0]
    keys = [OPENING_KEY]
    titles = [OPENING_TITLE]
    subtitles = ["subpipe sample promo"]
    for index, group in enumerate(groups):
        first = group[0]
        if index == 0:
            cut = Fraction(first.start)
        else:
            prev_end = groups[index - 1][-1].end
            cut = Fraction(prev_end + first.start, 2)
        starts.append(sample_to_frame(cut))
        keys.append(first.segment.card)
        titles.append(CARD_TITLES[first.segment.card])
        subtitles.append(f"{OPENING_TITLE}  \u00b7  {index + 1} / {total}")
    ends = [*starts[1:], n_frames]
    return [
        Card(key=k, title=t, subtitle=s, first_frame=a, end_frame=b)
        for k, t, s, a, b in zip(keys, titles, subtitles, starts, ends, strict=True)
    ]


def text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Dark text on light backgrounds, light text on dark ones."""
    r, g, b = background
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return DARK_TEXT if luminance > 140 else LIGHT_TEXT


def render_card(card: Card, background: tuple[int, int, int]) -> Frame:
    """Render one static card with moviepy and return it as an RGB frame.

    Layout: a thin accent strip at the top, the title in the upper third, an
    accent bar under it and a small secondary line. Everything stays above
    the bottom SUBTITLE_SAFE_PX rows, which are left as plain background.
    """
    fg = text_colour(background)
    margin = 80
    title_size = 76 if card.key == OPENING_KEY else 68
    title = TextClip(
        font=str(FONT_PATH),
        text=card.title,
        font_size=title_size,
        color=fg,
        method="caption",
        size=(WIDTH - 2 * margin, None),
        text_align="center",
        vertical_align="top",
        margin=(0, 8, 0, 28),
    ).with_position(("center", 70))
    bar_y = 70 + title.h + 18
    bar = ColorClip(size=(240, 8), color=fg).with_position(("center", bar_y))
    subtitle = TextClip(
        font=str(FONT_PATH),
        text=card.subtitle,
        font_size=30,
        color=fg,
        method="label",
        vertical_align="top",
        margin=(0, 4, 0, 16),
    ).with_position(("center", bar_y + 36))
    strip = ColorClip(size=(WIDTH, 14), color=fg).with_position((0, 0))
    bottom_of_content = bar_y + 36 + subtitle.h
    if bottom_of_content > HEIGHT - SUBTITLE_SAFE_PX:
        raise ValueError(f"card {card.key!r} would intrude on the subtitle area")
    composite = CompositeVideoClip(
        [
            ColorClip(size=(WIDTH, HEIGHT), color=background),
            strip,
            title,
            bar,
            subtitle,
        ],
        size=(WIDTH, HEIGHT),
    ).with_duration(1)
    pixels = np.asarray(composite.get_frame(0), dtype=np.float64)
    frame: Frame = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    # Guarantee the subtitle band is exactly the plain background colour.
    frame[HEIGHT - SUBTITLE_SAFE_PX :, :, :] = background
    return frame


# --- Encoding --------------------------------------------------------------


def encode(cards: Sequence[Card], frames: Sequence[Frame], audio: Path, out: Path, ffmpeg: str) -> None:
    """Pipe the static card frames into libx264 at exactly 30000/1001 fps."""
    rate = f"{FPS.numerator}/{FPS.denominator}"
    cmd = [
        ffmpeg, "-y", "-hide_banner", "-loglevel", "error", "-nostats",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}",
        "-framerate", rate, "-i", "-",
        "-i", str(audio),
        "-map", "0:v:0", "-map", "1:a:0",
        "-vf", "scale=out_color_matrix=bt709:out_range=tv",
        "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv", "-r", rate,
        "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(AAC_RATE), "-ac", "1",
        "-map_metadata", "-1", "-fflags", "+bitexact",
        "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        "-movflags", "+faststart",
        "-f", "mp4", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        for card, frame in zip(cards, frames, strict=True):
            data = frame.tobytes()
            for _ in range(card.end_frame - card.first_frame):
                proc.stdin.write(data)
    finally:
        proc.stdin.close()
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"ffmpeg exited with status {code}")


def verify(path: Path, n_frames: int) -> dict[str, Any]:
    """Check the written file with PyAV and return a few facts about it."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        facts: dict[str, Any] = {
            "duration_s": float(container.duration or 0) / av.time_base,
            "size_bytes": path.stat().st_size,
            "video": f"{video.codec_context.name} {video.width}x{video.height} "
            f"{video.codec_context.pix_fmt} {video.average_rate} fps, "
            f"{video.frames} frames",
            "audio": f"{audio.codec_context.name} {audio.rate} Hz {audio.codec_context.layout.name}",
        }
        if video.average_rate != FPS:
            raise RuntimeError(f"frame rate is {video.average_rate}, expected {FPS}")
        if (video.width, video.height) != (WIDTH, HEIGHT):
            raise RuntimeError(f"unexpected size {video.width}x{video.height}")
        if video.frames not in (0, n_frames):
            raise RuntimeError(f"{video.frames} frames written, expected {n_frames}")
    return facts


# --- Main ------------------------------------------------------------------


def main() -> int:
    """Build promo.mp4 and timing.json next to this script."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    segments = load_script(SCRIPT_PATH)

    with tempfile.TemporaryDirectory(prefix="promo-") as tmp:
        workdir = Path(tmp)
        print(f"Synthesizing {len(segments)} segments with espeak-ng ...", flush=True)
        clips = synthesize(segments, workdir, ffmpeg)

        # First pass gives the natural length; then pad the closing so the
        # audio ends on the same frame boundary as the video.
        timeline, starts = lay_out(segments, clips)
        n_frames = math.ceil(Fraction(len(timeline), SAMPLE_RATE) * FPS)
        total_samples = round_half_up(n_frames / FPS * SAMPLE_RATE)
        timeline, starts = lay_out(segments, clips, total_samples)

        placements: list[Placement] = []
        for seg, start, clip in zip(segments, starts, clips, strict=True):
            end = start + len(clip)
            onset, offset = detect_speech(timeline[start:end])
            placements.append(Placement(seg, start, end, start + onset, start + offset))

        cards = plan_cards(placements, n_frames)
        print(f"Rendering {len(cards)} cards with moviepy ...", flush=True)
        frames = [render_card(card, PALETTE[i % len(PALETTE)]) for i, card in enumerate(cards)]

        audio_path = workdir / "track.wav"
        write_wav(audio_path, timeline)
        partial = VIDEO_PATH.with_name(VIDEO_PATH.stem + ".partial.mp4")
        duration = Fraction(n_frames) / FPS
        print(f"Encoding {n_frames} frames ({float(duration):.2f} s) ...", flush=True)
        try:
            encode(cards, frames, audio_path, partial, ffmpeg)
            facts = verify(partial, n_frames)
            os.replace(partial, VIDEO_PATH)
        finally:
            partial.unlink(missing_ok=True)

    timing = {
        "fps": f"{FPS.numerator}/{FPS.denominator}",
        "duration_ms": round_half_up(duration * 1000),
        "segments": [
            {
                "id": p.segment.id,
                "speech_start_ms": samples_to_ms(p.speech_start),
                "speech_end_ms": samples_to_ms(p.speech_end),
                "placed_start_ms": samples_to_ms(p.start),
                "placed_end_ms": samples_to_ms(p.end),
            }
            for p in placements
        ],
        "shot_changes_ms": [frame_to_ms(card.first_frame) for card in cards[1:]],
        "cards": [
            {
                "key": card.key,
                "title": card.title,
                "start_ms": frame_to_ms(card.first_frame),
                "end_ms": frame_to_ms(card.end_frame),
            }
            for card in cards
        ],
    }
    TIMING_PATH.write_text(json.dumps(timing, indent=2) + "\n", encoding="utf-8")

    for key, value in facts.items():
        print(f"  {key}: {value}")
    print(f"Wrote {VIDEO_PATH} and {TIMING_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
