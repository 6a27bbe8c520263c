"""Text geometry on the displayed picture, measured on real burns: a vertical 1080x1920 cut and an
anamorphic 720x480 (pixel aspect 32:27) one. Each cut is burned by the bundled ffmpeg (libass,
the real Noto font), one frame is extracted in display geometry, and the bounding box of the
bright pixels in the subtitle band is measured."""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from pipeline.core.cues import Cue, Track
from pipeline.core.profiles import get_profile
from pipeline.ingest.segments import Segment
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.fonts import make_fontsdir
from pipeline.tracks.build import build_track_report
from pipeline.tracks.formats import AssStyle, compose_ass, default_sizes
from pipeline.tracks.measure import TextBox, line_width

EN = get_profile("en")
FPS = Fraction(25)
ANAMORPHIC = Fraction(32, 27)
SENTENCE = "The ministry published every contract online so citizens could follow the money."
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen"

pytestmark = pytest.mark.render


def _burn_frame(tmp: Path, name: str, size: tuple[int, int], sar: Fraction, ass: str) -> npt.NDArray[np.uint8]:
    """Burn ``ass`` into a 1 s black clip of ``size`` and ``sar`` (x264), then extract the frame at
    0.5 s in display geometry (width times the pixel aspect) as grey levels."""
    work = tmp / name
    make_fontsdir(work / "fonts", ["noto-sans"])
    (work / "track.ass").write_text(ass, encoding="utf-8")
    run = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y"]
    src = f"color=black:s={size[0]}x{size[1]}:r=25:d=1,setsar={sar.numerator}/{sar.denominator}"
    burn = ["-vf", "subtitles=track.ass:fontsdir=fonts", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18"]
    subprocess.run([*run, "-f", "lavfi", "-i", src, *burn, "cut.mp4"], check=True, cwd=work)
    display = ["-vf", "scale=round(iw*sar/2)*2:ih,setsar=1", "-frames:v", "1"]
    subprocess.run([*run, "-ss", "0.5", "-i", "cut.mp4", *display, "frame.png"], check=True, cwd=work)
    keep = os.environ.get("SUBPIPE_KEEP_FRAMES")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.png").write_bytes((work / "frame.png").read_bytes())
    return np.asarray(Image.open(work / "frame.png").convert("L"))


def _text_box(frame: npt.NDArray[np.uint8]) -> tuple[int, int, int]:
    """(left, right, lines' height) of the bright pixels in the lower 40 % (the subtitle band)."""
    band = frame[int(frame.shape[0] * 0.6) :] > 128
    ys, xs = np.nonzero(band)
    assert xs.size, "no subtitle text on screen"
    return int(xs.min()), int(xs.max()) + 1, int(ys.max() - ys.min()) + 1


def _track(text: str, box: TextBox | None) -> tuple[Track, list[str]]:
    built = build_track_report([Segment("s", 0, 900, {"en": text})], "en", EN, FPS, box=box)
    return built.track, [f.rule for f in built.findings]


def _first(track: Track) -> Track:
    """The first cue of ``track``, shown for the whole second."""
    return Track("en", (Cue(0, 1000, track.cues[0].lines),))


def _style(size: int, margin: int) -> AssStyle:
    return AssStyle("Noto Sans", font_size=size, margin_v=margin)


def test_vertical_text_stays_inside_the_title_safe_area(tmp_path: Path) -> None:
    width, height = 1080, 1920
    size, margin = default_sizes(width, height)
    assert size < 0.06 * height / 2  # no longer 6 % of the height (115 px)
    track, rules = _track(SENTENCE, TextBox.title_safe("noto-sans", size, width, 2.5))
    left, right, _ = _text_box(_burn_frame(tmp_path, "vertical", (width, height), Fraction(1), compose_ass(
        _first(track), _style(size, margin), width, height)))  # fmt: skip
    assert right - left <= 0.9 * width and left >= 0.05 * width - 2 and right <= 0.95 * width + 2
    assert "scaled_down" not in rules
    # Before: 6 % of the height and lines wrapped by characters only (and no scale-down in the
    # composer, whose override this removes) ran off both edges; the measurement sees it.
    old, _ = _track(SENTENCE, None)
    ass = compose_ass(_first(old), _style(round(0.06 * height), margin), width, height)
    ass = re.sub(r"\{\\fscx[^}]*\}", "", ass)
    left, right, _ = _text_box(_burn_frame(tmp_path, "vertical-before", (width, height), Fraction(1), ass))
    assert left <= 1 and right >= width - 1


def test_anamorphic_glyphs_are_not_stretched(tmp_path: Path) -> None:
    size, margin = default_sizes(853, 480)
    box = TextBox.title_safe("noto-sans", size, 853, 2.5)
    track, _ = _track(SENTENCE, box)
    first = _first(track)
    widest = max(line_width(line, "noto-sans", size) for line in first.cues[0].lines)
    frame = _burn_frame(tmp_path, "anamorphic", (720, 480), ANAMORPHIC, compose_ass(
        first, _style(size, margin), 720, 480, sar=ANAMORPHIC))  # fmt: skip
    assert frame.shape[1] == 854  # extracted at the display width
    left, right, _ = _text_box(frame)
    assert right - left <= 0.9 * 853
    assert (right - left) == pytest.approx(widest + 5, rel=0.04)  # as wide as the font says (+ outline)
    # Without the compensation the same text is 32/27 (18.5 %) too wide on the display.
    frame = _burn_frame(tmp_path, "anamorphic-before", (720, 480), ANAMORPHIC, compose_ass(
        first, _style(size, margin), 720, 480))  # fmt: skip
    stretched_left, stretched_right, _ = _text_box(frame)
    assert (stretched_right - stretched_left) / (right - left) == pytest.approx(32 / 27, rel=0.03)


def test_a_word_too_wide_is_scaled_down_with_a_finding(tmp_path: Path) -> None:
    width, height = 1080, 1920
    size, margin = default_sizes(width, height)
    track, rules = _track(f"Er trug das {LONG_WORD}.", TextBox.title_safe("noto-sans", size, width, 2.5))
    assert "scaled_down" in rules
    word_cue = next(c for c in track.cues if any(LONG_WORD in line for line in c.lines))
    ass = compose_ass(Track("en", (Cue(0, 1000, word_cue.lines),)), _style(size, margin), width, height)
    assert "\\fscx" in ass
    left, right, _ = _text_box(_burn_frame(tmp_path, "long-word", (width, height), Fraction(1), ass))
    assert right - left <= 0.9 * width + 2


@pytest.mark.parametrize(
    ("lang", "size", "text"),
    [
        ("en", 80, SENTENCE + " Then they asked for the same openness from every city council in the country."),
        ("ko", 130, "정부는 모든 계약서를 온라인에 공개하여 시민들이 직접 예산의 흐름을 따라갈 수 있게 했습니다."),
    ],
)
def test_lines_are_rewrapped_to_the_measured_width(lang: str, size: int, text: str) -> None:
    """A large font on a narrow picture: lines wrapped by characters overflow, measured ones fit."""
    profile = get_profile(lang)
    box = TextBox.title_safe(profile.font, size, 1080, 2.5)
    seg = [Segment("s", 0, 6000, {lang: text})]
    by_chars = build_track_report(seg, lang, profile, FPS).track
    assert any(not box.fits(line) for c in by_chars.cues for line in c.lines)
    built = build_track_report(seg, lang, profile, FPS, box=box)
    lines = [line for c in built.track.cues for line in c.lines]
    assert all(box.fits(line) for line in lines) and len(built.track.cues) >= len(by_chars.cues)
    assert all(len(c.lines) <= profile.max_lines for c in built.track.cues)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # no word lost
    assert not [f for f in built.findings if f.rule == "scaled_down"]
