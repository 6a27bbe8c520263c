"""Real ffmpeg renders on the 15 s excerpt: burned text on screen, muxed tracks read back."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.batch.burnstep import burn_tracks
from pipeline.batch.steps import LangTrack, build_tracks, mux_tracks, style_for
from pipeline.core.errors import FontCoverageError
from pipeline.ingest.segments import load_transcript
from pipeline.media.probe import MediaInfo, probe, subtitle_texts
from pipeline.render.burn import Encoder
from pipeline.render.verify import BurnCheck, verify_burn
from pipeline.tracks.formats import compose_ass, compose_srt

NTSC = Fraction(30000, 1001)
FAST = Encoder(crf=30, preset="ultrafast")


@pytest.fixture(scope="module")
def built(clip15_transcript: Path) -> dict[str, LangTrack]:
    return build_tracks(load_transcript(clip15_transcript), ["en", "ko", "ar", "ja", "ru"], {}, NTSC)


@pytest.fixture(scope="module")
def burned(clip15: Path, built: dict[str, LangTrack], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("burn")
    langs = ["en", "ko", "ar"]
    items = [(built[lang], out / f"clip.{lang}.mp4") for lang in langs]
    paths = burn_tracks(clip15, probe(clip15), items, {}, FAST)
    return dict(zip(langs, paths, strict=True))


@pytest.mark.parametrize("lang", ["en", "ko", "ar"])
def test_burned_text_is_where_libass_puts_it_and_nowhere_else(
    clip15: Path, built: dict[str, LangTrack], burned: dict[str, Path], lang: str
) -> None:
    cues = built[lang].track.cues
    assert len(cues) >= 2
    media = probe(clip15)
    check = _check(built[lang], media)
    assert verify_burn(probe(burned[lang]), media, check) == []
    # The source itself has no text: every cue is reported missing, the gaps are fine.
    missing = verify_burn(probe(clip15), media, check)
    assert len(missing) == len(cues) and all("text missing" in p for p in missing), missing
    # Another language's cut: text where this track has none (and not where it has).
    other = "ko" if lang != "ko" else "en"
    wrong = verify_burn(probe(burned[other]), media, check)
    assert any("unexpected marks" in p for p in wrong), wrong


def _check(item: LangTrack, media: MediaInfo) -> BurnCheck:
    style = style_for(item.profile, {}, media.height)
    ass = compose_ass(item.track, style, media.width, media.height, fps=media.fps)
    return BurnCheck(ass, (item.profile.font,), [(c.start_ms, c.end_ms) for c in item.track.cues])


def test_burned_cuts_keep_picture_audio_and_rate(clip15: Path, burned: dict[str, Path]) -> None:
    src = probe(clip15)
    for path in burned.values():
        got = probe(path)
        assert (got.width, got.height, got.fps, got.has_audio) == (src.width, src.height, NTSC, True)
        assert abs(got.duration_ms - src.duration_ms) < 150
    assert not list(next(iter(burned.values())).parent.glob(".*partial*")), "partial files left behind"


def test_font_missing_glyphs_is_refused_before_encoding(
    clip15: Path, built: dict[str, LangTrack], tmp_path: Path
) -> None:
    ko = built["ko"]
    latin_only = LangTrack(ko.track, ko.profile.__class__(**{**ko.profile.__dict__, "font": "noto-sans"}))
    target = tmp_path / "ko.mp4"
    with pytest.raises(FontCoverageError) as info:
        burn_tracks(clip15, probe(clip15), [(latin_only, target)], {}, FAST)
    assert info.value.lang == "ko" and "세" in info.value.missing
    assert not target.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("container", ["mkv", "mp4"])
def test_mux_all_tracks_read_back(clip15: Path, built: dict[str, LangTrack], tmp_path: Path, container: str) -> None:
    items = list(built.values())
    target = tmp_path / f"clip.subs.{container}"
    mux_tracks(clip15, probe(clip15), items, "en", target)
    info = probe(target)
    subs = info.subtitle_streams()
    assert [s.language for s in subs] == ["eng", "kor", "ara", "jpn", "rus"]
    assert [s.title for s in subs] == ["English", "한국어", "العربية", "日本語", "Русский"]
    assert [s.default for s in subs] == [True, False, False, False, False]
    texts = subtitle_texts(target)
    for item, got in zip(items, texts, strict=True):
        assert got == item.track.texts()
        assert got == [block.split("\n", 2)[2].rstrip("\n") for block in compose_srt(item.track).split("\n\n")]
    # video and audio were stream-copied, not re-encoded
    src = probe(clip15)
    assert [s.codec for s in info.streams if s.kind != "subtitle"] == [s.codec for s in src.streams]
