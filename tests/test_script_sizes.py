"""Every script looks the same size when burned: the profile's font_scale, checked on real libass frames."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.batch.steps import style_for
from pipeline.core.cues import Cue, Track
from pipeline.core.profiles import get_profile
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.fonts import make_fontsdir
from pipeline.tracks.formats import compose_ass

pytestmark = pytest.mark.render
SAMPLES = {
    "en": "the world continues to change by the minute",
    "ar": "يتغير العالم باستمرار من دقيقة إلى أخرى",
    "hi": "दुनिया हर मिनट बदल रही है",
    "ko": "세상은 시시각각 변하고 있습니다",
    "ja": "世界は刻一刻と変化し続けています",
}


def _ink_height(folder: Path, lang: str, scale: float | None = None) -> int:
    """Rows of ink of one line burned by libass at the style's size (1280x360, no outline)."""
    profile = get_profile(lang, {"font_scale": scale} if scale is not None else None)
    style = style_for(profile, {"font_size": 60, "outline": 0, "shadow": 0}, 360)
    ass = compose_ass(Track(lang, (Cue(0, 2000, (SAMPLES[lang],)),)), style, 1280, 360)
    (folder / f"{lang}.ass").write_text(ass, encoding="utf-8")
    make_fontsdir(folder / "fonts", [profile.font])
    frame = folder / f"{lang}-{scale}.png"
    canvas = ["-f", "lavfi", "-i", "color=black:s=1280x360:d=1"]
    burn = ["-vf", f"subtitles={lang}.ass:fontsdir=fonts", "-frames:v", "1", frame.name]
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *canvas, *burn], check=True, cwd=folder)
    ink = np.asarray(Image.open(frame).convert("L")) > 128
    return int(ink.any(axis=1).sum())


def test_scripts_burn_at_the_same_visual_height(tmp_path: Path) -> None:
    latin = _ink_height(tmp_path, "en")
    for lang in ("ar", "hi", "ko", "ja"):
        assert abs(_ink_height(tmp_path, lang) / latin - 1) <= 0.08, lang


def test_arabic_without_its_scale_looks_smaller(tmp_path: Path) -> None:
    assert _ink_height(tmp_path, "ar", 1.0) / _ink_height(tmp_path, "en") < 0.92
    assert style_for(get_profile("ar"), {"ar": {"font_size": 50}}).font_size == 50  # an explicit size is kept
