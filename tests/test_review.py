"""The review page of a run: a thumbnail per cue from the burned cut (or drawn on the source)."""

from __future__ import annotations

import html
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.batch.review import caption_direction
from pipeline.batch.run import run_job
from pipeline.core.cues import Cue, Track
from pipeline.core.profiles import get_profile
from pipeline.ingest.job import parse_job
from pipeline.ingest.subparse import read_subtitles
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import probe
from pipeline.media.stills import extract_stills, select_expr
from pipeline.render.review import frame_at, moments_of

pytestmark = pytest.mark.render


def _job(tmp_path: Path, clip: Path, transcript: Path, burn: bool = True) -> Path:
    job = tmp_path / "job.toml"
    job.write_text(
        f'output_dir = "{(tmp_path / "out").as_posix()}"\n[[videos]]\nname = "clip"\n'
        f'video = "{clip.as_posix()}"\ntranscript = "{transcript.as_posix()}"\nlanguages = ["en", "ar"]\n'
        '[outputs]\nmux = []\nformats = ["srt"]\n'
        + ("" if burn else "burn = false\n")
        + '[render]\ncrf = 30\npreset = "ultrafast"\n',
        encoding="utf-8",
    )
    return job


def _imgs(page: str, lang: str) -> list[dict[str, str]]:
    section = page.split(f'<section class="lang" id="lang-{lang}"')[1].split("</section>")[0]
    tags = re.findall(r"<img [^>]*>", section)
    return [{k: html.unescape(v) for k, v in re.findall(r'(\w[\w-]*)="([^"]*)"', t)} for t in tags]


def _gray(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L")).astype(np.int32)


def _shows_subtitle(still: Path, plain: Path) -> bool:
    """The still differs from the plain source frame in the subtitle band, and hardly above it."""
    a, b = _gray(still), _gray(plain)
    cut = int(a.shape[0] * 0.7)
    band = np.abs(a[cut:] - b[cut:]) > 40
    above = np.abs(a[: cut - 10] - b[: cut - 10]) > 40
    return bool(band.mean() > 0.01 and above.mean() < 0.002)


def _plain_frames(clip: Path, stills: list[Path], folder: Path) -> dict[int, Path]:
    frames = [int(p.stem[1:]) for p in stills]
    return extract_stills(clip, frames, folder)


@pytest.fixture(scope="module")
def burned_run(tmp_path_factory: pytest.TempPathFactory, clip15: Path, clip15_transcript: Path) -> Path:
    tmp = tmp_path_factory.mktemp("review")
    job = parse_job(_job(tmp, clip15, clip15_transcript).read_text(encoding="utf-8"), tmp / "job.toml")
    assert run_job(job).ok
    return tmp / "out" / "clip"


def test_every_cue_has_its_thumbnail_from_the_burned_cut(burned_run: Path, clip15: Path, tmp_path: Path) -> None:
    page = (burned_run / "review.html").read_text(encoding="utf-8")
    for lang in ("en", "ar"):
        track = read_subtitles(burned_run / lang / f"clip.{lang}.srt", lang)
        imgs = _imgs(page, lang)
        assert [int(i["data-cue"]) for i in imgs] == list(range(1, len(track.cues) + 1))
        stills = [burned_run / i["src"] for i in imgs]
        plain = _plain_frames(clip15, stills, tmp_path / lang)
        for img, cue, still in zip(imgs, track.cues, stills, strict=True):
            assert img["data-lang"] == lang and img["alt"] == " / ".join(cue.lines)
            assert Image.open(still).size == (320, 180)
            assert _shows_subtitle(still, plain[int(still.stem[1:])]), (lang, cue.text)
            assert not _shows_subtitle(plain[int(still.stem[1:])], plain[int(still.stem[1:])])
    assert "burned cuts" in page and "en/clip.en.mp4" in page


def test_moments_row_shows_the_same_time_in_every_language(burned_run: Path) -> None:
    page = (burned_run / "review.html").read_text(encoding="utf-8")
    en = read_subtitles(burned_run / "en" / "clip.en.srt", "en")
    rows = re.findall(r'<tr data-moment="(\d+)">(.*?)</tr>', page)
    assert [int(ms) for ms, _ in rows] == moments_of(en)
    for ms, row in rows:
        assert re.findall(r'data-lang="(\w+)" data-moment="(\d+)"', row) == [("en", ms), ("ar", ms)]


def _links(page: str, lang: str) -> list[tuple[str, dict[str, str]]]:
    """Each thumbnail of ``lang``'s section: the link around it and its attributes."""
    section = page.split(f'<section class="lang" id="lang-{lang}"')[1].split("</section>")[0]
    found = re.findall(r'<a href="([^"]*)"[^>]*>(<img [^>]*>)</a>', section)
    attrs = [{k: html.unescape(v) for k, v in re.findall(r'(\w[\w-]*)="([^"]*)"', t)} for _, t in found]
    return [(html.unescape(h), a) for (h, _), a in zip(found, attrs, strict=True)]


def test_each_thumbnail_opens_the_cut_at_its_time(burned_run: Path) -> None:
    page = (burned_run / "review.html").read_text(encoding="utf-8")
    for lang in ("en", "ar"):
        cues = read_subtitles(burned_run / lang / f"clip.{lang}.srt", lang).cues
        links = _links(page, lang)
        assert [int(img["data-cue"]) for _, img in links] == list(range(1, len(cues) + 1))
        for (href, _), cue in zip(links, cues, strict=True):
            assert href == f"{lang}/clip.{lang}.mp4#t={(cue.start_ms + cue.end_ms) // 2 / 1000:.3f}"
        assert f'Cut: <a class="cut" href="{lang}/clip.{lang}.mp4">' in page
        assert (burned_run / lang / f"clip.{lang}.mp4").is_file()
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)  # offline, no script
    for ms, row in re.findall(r'<tr data-moment="(\d+)">(.*?)</tr>', page):
        at = f"{int(ms) / 1000:.3f}"
        assert re.findall(r'<a href="(\w+)/clip\.\w+\.mp4#t=([\d.]+)"', row) == [("en", at), ("ar", at)]


def test_captions_carry_the_direction_of_their_language_profile(burned_run: Path) -> None:
    page = (burned_run / "review.html").read_text(encoding="utf-8")
    for lang, direction in (("en", "ltr"), ("ar", "rtl")):
        section = page.split(f'<section class="lang" id="lang-{lang}"')[1].split("</section>")[0]
        texts = re.findall(r'<figcaption>[^<]*<span lang="([^"]+)" dir="([^"]+)">', section)
        cues = read_subtitles(burned_run / lang / f"clip.{lang}.srt", lang).cues
        assert texts == [(lang, direction)] * len(cues)
    cells = re.findall(r'</a><div lang="(\w+)" dir="(\w+)">', page)
    assert cells and set(cells) == {("en", "ltr"), ("ar", "rtl")}


def test_caption_direction_comes_from_the_profile() -> None:
    assert [caption_direction(get_profile(lang)) for lang in ("en", "ar", "ko")] == ["ltr", "rtl", "ltr"]
    assert caption_direction(get_profile("he")) == "auto"  # no profile of its own: the letters decide
    assert caption_direction(get_profile("he", {"direction": "rtl"})) == "rtl"  # a job's [profile.he]
    assert caption_direction(get_profile("ar", {"direction": "ltr"})) == "ltr"
    # a regional tag has its language's profile (it was `auto`: its full tag is no profile's key)
    assert [caption_direction(get_profile(lang)) for lang in ("zh-TW", "en-US", "ar-EG")] == ["ltr", "ltr", "rtl"]


def test_the_timeline_is_as_long_as_the_video(burned_run: Path, clip15: Path) -> None:
    page = (burned_run / "review.html").read_text(encoding="utf-8")
    video_ms = probe(clip15).duration_ms
    for lang in ("en", "ar"):
        last_cue = read_subtitles(burned_run / lang / f"clip.{lang}.srt", lang).cues[-1].end_ms
        assert last_cue < video_ms - 500  # the clip's last cue ends well before the video does
        section = page.split(f'<section class="lang" id="lang-{lang}"')[1].split("</section>")[0]
        ends = re.findall(r'<line class="video-end" data-ms="(\d+)" x1="([\d.]+)"', section)
        assert [int(ms) for ms, _ in ends] == [video_ms]
        assert float(ends[0][1]) == pytest.approx(8 + video_ms * (1200 - 16) / 60_000, abs=0.1)


def test_without_a_burn_the_subtitles_are_drawn_on_the_source(
    tmp_path: Path, clip15: Path, clip15_transcript: Path
) -> None:
    job = parse_job(_job(tmp_path, clip15, clip15_transcript, burn=False).read_text(encoding="utf-8"), tmp_path / "j")
    assert run_job(job).ok
    root = tmp_path / "out" / "clip"
    page = (root / "review.html").read_text(encoding="utf-8")
    assert "drawn by libass" in page and not list(root.rglob("*.mp4"))
    stills = [root / i["src"] for i in _imgs(page, "ar")]
    assert [href for href, _ in _links(page, "ar")] == [i["src"] for i in _imgs(page, "ar")]  # no cut: the still
    assert '<a class="cut"' not in page
    plain = _plain_frames(clip15, stills, tmp_path / "plain")
    assert stills and all(_shows_subtitle(s, plain[int(s.stem[1:])]) for s in stills)


def test_stills_are_the_frames_asked_for(tmp_path: Path, clip15: Path) -> None:
    # Frame 0 is a title card's fade-in (dark); a frame two seconds in is not: different pictures.
    got = extract_stills(clip15, [0, 60, 60, 10**6], tmp_path / "s")
    assert sorted(got) == [0, 60]  # duplicates merged, past-the-end left out
    a, b = (np.asarray(Image.open(got[n]).convert("L")).astype(np.int32) for n in (0, 60))
    assert a.shape == b.shape and np.abs(a - b).mean() > 1.0


def test_frame_arithmetic() -> None:
    fps = Fraction(30000, 1001)
    assert frame_at(0, fps) == 0 and frame_at(33, fps) == 0 and frame_at(34, fps) == 1
    assert moments_of(Track("en", (Cue(1000, 2000, ("a",)),))) == [1500]
    assert select_expr([1, 5]) == "select='eq(n,1)+eq(n,5)'"


def test_more_frames_than_one_select_expression_holds(tmp_path: Path) -> None:
    # testsrc2 changes every frame: a still taken from the wrong group or index would not match.
    clip = tmp_path / "moving.mp4"
    source = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=10"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", str(clip)]
    subprocess.run([ffmpeg_exe(), "-v", "error", *source, *encode], check=True)
    got = extract_stills(clip, range(0, 300, 2), tmp_path / "s")
    assert sorted(got) == list(range(0, 300, 2))
    for n in (0, 130, 298):  # first group, second group, last
        alone = extract_stills(clip, [n, n + 1], tmp_path / f"alone{n}")
        assert np.abs(_gray(got[n]) - _gray(alone[n])).mean() < 1.0
        assert np.abs(_gray(got[n]) - _gray(alone[n + 1])).mean() > 1.0
