"""The HTML check report in a real headless Chromium: every file's timeline is drawn.

Run by ``make test-browser`` (``.ci/run`` installs Debian's ``chromium``); ``make test`` leaves it out.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.cli.main import main
from pipeline.core.cues import Cue, Track
from pipeline.ingest.subparse import read_subtitles
from pipeline.qc.report_html import COLORS
from pipeline.tracks.formats import compose_srt

pytestmark = pytest.mark.browser
Browse = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, clip15: Path, clip15_transcript: Path) -> tuple[Path, list[int]]:
    folder = tmp_path_factory.mktemp("browser")
    assert main(["-q", "tracks", str(clip15_transcript), "--lang", "en", "--lang", "ko", "-o", str(folder)]) == 0
    subs = [folder / "clip15.en.srt", folder / "clip15.ko.srt"]
    late = read_subtitles(subs[0], "en")
    shifted = Track("en", tuple(Cue(c.start_ms + 700, c.end_ms + 700, c.lines) for c in late.cues))
    subs.append(folder / "late.en.srt")
    subs[-1].write_text(compose_srt(shifted), encoding="utf-8")
    page = folder / "report.html"
    main(["check", *map(str, subs), "--video", str(clip15), "--format", "html", "-o", str(page)])
    return page, [len(read_subtitles(p, "en").cues) for p in subs]


def test_dom_has_every_timeline_with_every_cue(
    report: tuple[Path, list[int]], tmp_path: Path, browse: Browse
) -> None:
    page, counts = report
    dom = browse(page, tmp_path / "profile", "--dump-dom").stdout
    sections = dom.split('<section class="file"')[1:]
    assert len(sections) == len(counts)
    for section, count in zip(sections, counts, strict=True):
        assert f'data-cues="{count}"' in section
        assert len(set(re.findall(r'class="cue" data-cue="(\d+)"', section))) == count
        assert 'class="speech"' in section and 'class="shot"' in section
    assert 'class="finding error"' in sections[2]  # the late copy is flagged


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])


def _bands(mask: np.ndarray, gap: int) -> list[tuple[int, int]]:
    rows = np.flatnonzero(mask.any(axis=1))
    bands: list[tuple[int, int]] = []
    for y in rows:
        if bands and y - bands[-1][1] <= gap:
            bands[-1] = (bands[-1][0], int(y))
        else:
            bands.append((int(y), int(y)))
    return bands


def test_screenshot_shows_every_timeline(
    report: tuple[Path, list[int]], tmp_path: Path, browse: Browse
) -> None:
    page, counts = report
    shot = tmp_path / "shot.png"
    browse(page, tmp_path / "profile", "--window-size=1300,2400", f"--screenshot={shot}")
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(np.int32)

    def near(color: str) -> np.ndarray:
        close: np.ndarray = np.abs(pixels - _rgb(color)).sum(axis=2) < 40
        return close

    cue_like = near(COLORS["cue"]) | near(COLORS["warning"]) | near(COLORS["error"])
    # A cue is an 18 px tall block: keep pixels that end a vertical run of 17 (no text glyph is that tall).
    runs = np.cumsum(cue_like, axis=0)
    solid = np.zeros_like(cue_like)
    solid[17:] = (runs[17:] - runs[:-17]) == 17
    bands = _bands(solid, 60)
    assert len(bands) == len(counts), bands
    speech = near(COLORS["speech"])
    for top, bottom in bands:
        assert solid[top : bottom + 1].sum() > 200  # cues drawn, not a stray block
        assert speech[max(top - 40, 0) : bottom + 1].sum() > 500  # the speech lane above the cues
