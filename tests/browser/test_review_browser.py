"""The review page in a real headless Chromium: every thumbnail is in the DOM and drawn on screen."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.cli.main import main
from pipeline.ingest.subparse import read_subtitles

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shots import save_screenshot

pytestmark = pytest.mark.browser
Browse = Callable[..., subprocess.CompletedProcess[str]]
LANGS = ("en", "ko", "ar")


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory, clip15: Path, clip15_transcript: Path) -> Path:
    tmp = tmp_path_factory.mktemp("review-browser")
    job = tmp / "job.toml"
    job.write_text(
        f'output_dir = "{(tmp / "out").as_posix()}"\nvideo = "{clip15.as_posix()}"\n'
        f'transcript = "{clip15_transcript.as_posix()}"\nlanguages = {list(LANGS)!r}\n'
        '[outputs]\nmux = []\nformats = ["srt"]\n[render]\ncrf = 30\npreset = "ultrafast"\n'.replace("'", '"'),
        encoding="utf-8",
    )
    assert main(["-q", "run", str(job)]) == 0
    return tmp / "out" / "clip15"


def test_dom_has_a_thumbnail_per_cue_and_a_row_per_moment(review: Path, tmp_path: Path, browse: Browse) -> None:
    dom = browse(review / "review.html", tmp_path / "profile", "--dump-dom").stdout
    for lang in LANGS:
        cues = read_subtitles(review / lang / f"clip15.{lang}.srt", lang).cues
        section = dom.split(f'<section class="lang" id="lang-{lang}"')[1].split("</section>")[0]
        numbers = [int(n) for n in re.findall(r'<img [^>]*data-cue="(\d+)"', section)]
        assert numbers == list(range(1, len(cues) + 1))
        assert 'class="timeline"' in section
    first = read_subtitles(review / "en" / "clip15.en.srt", "en").cues
    assert len(re.findall(r'<tr data-moment="\d+">', dom)) == len(first)


def test_thumbnails_link_to_the_cut_and_rtl_captions_are_marked(review: Path, tmp_path: Path, browse: Browse) -> None:
    dom = browse(review / "review.html", tmp_path / "profile", "--dump-dom").stdout
    for lang in LANGS:
        cues = read_subtitles(review / lang / f"clip15.{lang}.srt", lang).cues
        section = dom.split(f'<section class="lang" id="lang-{lang}"')[1].split("</section>")[0]
        links = re.findall(r'<a href="([^"#]+)#t=([\d.]+)"[^>]*><img [^>]*data-cue="(\d+)"', section)
        assert [int(n) for *_, n in links] == list(range(1, len(cues) + 1))
        for (cut, at, _), cue in zip(links, cues, strict=True):
            assert cut == f"{lang}/clip15.{lang}.mp4" and (review / cut).is_file()
            assert cue.start_ms / 1000 <= float(at) <= cue.end_ms / 1000
        assert f'<a class="cut" href="{lang}/clip15.{lang}.mp4">' in section
        direction = "rtl" if lang == "ar" else "ltr"
        captions = re.findall(r'<figcaption>[^<]*<span lang="([^"]+)" dir="(\w+)">', section)
        assert captions == [(lang, direction)] * len(cues)
    assert "<script" not in dom


def test_screenshot_shows_the_pictures(review: Path, tmp_path: Path, browse: Browse) -> None:
    shot = tmp_path / "shot.png"
    browse(review / "review.html", tmp_path / "profile", "--window-size=1200,1400", f"--screenshot={shot}")
    save_screenshot("review.png", shot, crop_height=900)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(np.int32)
    # The sample's title cards are saturated orange/blue: a page of text and lines has none of that.
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    saturated = (np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)) > 90
    rows = np.flatnonzero(saturated.sum(axis=1) > 150)
    assert rows.size > 150, "no thumbnails drawn"
