"""The memo of built tracks (pipeline.batch.trackmemo): a track whose inputs are all unchanged is reused
exactly as the build makes it; a change to anything the build reads (text, timing, profile, style,
job keys, shot changes, pauses, timeline) builds it again."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.batch import trackmemo, tracks_step
from pipeline.batch.trackmemo import build_key, memo_path, remembered_build
from pipeline.core.cues import Cue, Track
from pipeline.core.filecache import measured_afresh
from pipeline.core.findings import Finding, Retime
from pipeline.core.profiles import Profile, get_profile
from pipeline.ingest.job import parse_job
from pipeline.ingest.segments import Segment
from pipeline.media.probe import probe
from pipeline.tracks.build import TrackBuild, build_track_report
from pipeline.tracks.measure import TextBox
from pipeline.tracks.timeline import Timeline

FPS = Fraction(30000, 1001)
LANGS = ("en", "fr", "ar", "ja")
TEXTS = {
    "en": ["Hello there, this line is long enough that it has to be wrapped onto two lines at least.", "Bye."],
    "fr": ["Bonjour, cette phrase est assez longue pour être coupée en deux lignes au moins ici.", "Salut."],
    "ar": ["مرحبا، هذه الجملة طويلة بما يكفي لتقسيمها على سطرين على الأقل هنا.", "وداعا."],
    "ja": ["こんにちは、この文は十分に長いので、少なくとも二行に分けて表示されるはずです。", "さようなら。"],
}
SEGMENTS = (
    Segment("s1", 1000, 6500, {lang: texts[0] for lang, texts in TEXTS.items()}),
    Segment("s2", 7000, 7300, {lang: texts[1] for lang, texts in TEXTS.items()}),
)


END_9S = Timeline(9000)
BOX = TextBox("noto-sans", 40, 1152, 2.0)


@dataclasses.dataclass(frozen=True)
class Inputs:
    segments: tuple[Segment, ...] = SEGMENTS
    lang: str = "en"
    max_line_chars: int | None = None
    fps: Fraction = FPS
    shots: tuple[int, ...] = (3003,)
    pauses: tuple[int, ...] = (4000,)
    timeline: Timeline | None = END_9S
    box: TextBox | None = BOX

    def profile_key(self) -> tuple[str, str]:
        profile = self._profile()
        return profile.tag, build_key(*self._args(profile))

    def build(self) -> TrackBuild:
        return build_track_report(*self._args(self._profile()))

    def _profile(self) -> Profile:
        table = {} if self.max_line_chars is None else {"max_line_chars": self.max_line_chars}
        return get_profile(self.lang, table)

    def _args(
        self, profile: Profile
    ) -> tuple[
        tuple[Segment, ...], str, Profile, Fraction, tuple[int, ...], tuple[int, ...], Timeline | None, TextBox | None
    ]:
        return (self.segments, self.lang, profile, self.fps, self.shots, self.pauses, self.timeline, self.box)


def _counting(build: Callable[[], TrackBuild], calls: list[int]) -> Callable[[], TrackBuild]:
    def counted() -> TrackBuild:
        calls.append(1)
        return build()

    return counted


@pytest.mark.parametrize("lang", LANGS)
def test_a_remembered_track_is_the_build_itself(lang: str) -> None:
    inputs = Inputs(lang=lang)
    _tag, key = inputs.profile_key()
    calls: list[int] = []
    first = remembered_build(f"same-{lang}", key, _counting(inputs.build, calls))
    again = remembered_build(f"same-{lang}", key, _counting(inputs.build, calls))
    assert calls == [1]  # the second came from the memo
    assert again == first == inputs.build()
    assert again.track.cues and (again.findings or lang == "ar")


def test_every_field_of_a_build_survives_the_memo() -> None:
    track = Track("ar", (Cue(1001, 2002, ("\u202bسطر\u202c", "two"), "s1"), Cue(3003, 4004, ("x",), "")), FPS)
    findings = (
        Finding("min_gap", "warning", 2, 3003, "too close", "move it", 7, Retime(2, "start", 3036)),
        Finding("past_end", "error", None, 0, "whole file"),
    )
    made = TrackBuild(track, findings, 3)
    assert remembered_build("fields", "k", lambda: made) is made
    assert remembered_build("fields", "k", lambda: TrackBuild(track, (), 0)) == made


def _edited_text(lang: str) -> tuple[Segment, ...]:
    first = SEGMENTS[0]
    return (dataclasses.replace(first, text={**first.text, lang: first.text[lang] + " (fixed)"}), SEGMENTS[1])


CHANGES: dict[str, Inputs] = {
    "text": Inputs(segments=_edited_text("en")),
    "start time": Inputs(segments=(dataclasses.replace(SEGMENTS[0], start_ms=1100), SEGMENTS[1])),
    "end time": Inputs(segments=(dataclasses.replace(SEGMENTS[0], end_ms=6400), SEGMENTS[1])),
    "segment id": Inputs(segments=(dataclasses.replace(SEGMENTS[0], id="s0"), SEGMENTS[1])),
    "speaker": Inputs(segments=(dataclasses.replace(SEGMENTS[0], speaker="B"), SEGMENTS[1])),
    "profile": Inputs(max_line_chars=30),
    "frame rate": Inputs(fps=Fraction(25)),
    "shot changes": Inputs(shots=(3103,)),
    "speech pauses": Inputs(pauses=(4100,)),
    "video end": Inputs(timeline=Timeline(7100)),
    "frame times": Inputs(timeline=Timeline(9000, tuple(range(0, 9000, 40)))),
    "no video": Inputs(timeline=None, box=None),
    "font size": Inputs(box=TextBox("noto-sans", 48, 1152, 2.0)),
    "font": Inputs(box=TextBox("noto-sans-arabic", 40, 1152, 2.0)),
    "outline": Inputs(box=TextBox("noto-sans", 40, 1152, 3.0)),
    "bold": Inputs(box=TextBox("noto-sans", 40, 1152, 2.0, True)),
    "picture width": Inputs(box=TextBox("noto-sans", 40, 1000, 2.0)),
}


@pytest.mark.parametrize("what", list(CHANGES))
def test_any_change_to_what_the_build_reads_builds_it_again(what: str) -> None:
    base, changed = Inputs(), CHANGES[what]
    calls: list[int] = []
    remembered_build(f"changed-{what}", base.profile_key()[1], _counting(base.build, calls))
    made = remembered_build(f"changed-{what}", changed.profile_key()[1], _counting(changed.build, calls))
    assert calls == [1, 1]
    assert made == changed.build()


def test_another_languages_text_edited_keeps_the_track() -> None:
    assert Inputs(segments=_edited_text("fr")).profile_key() == Inputs().profile_key()
    assert Inputs(lang="fr", segments=_edited_text("fr")).profile_key() != Inputs(lang="fr").profile_key()


DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "a cue of the wrong shape": lambda doc: doc["build"]["cues"].__setitem__(0, ["not", "a cue"]),
    "findings a list of lists": lambda doc: doc["build"].__setitem__("findings", [["min_gap"]]),
    "a finding's cue a text": lambda doc: doc["build"]["findings"][0].__setitem__("cue", "two"),
    "a zero frame rate": lambda doc: doc["build"].__setitem__("fps", [25, 0]),
    "no cues": lambda doc: doc["build"].pop("cues"),
    "the build a list": lambda doc: doc.__setitem__("build", []),
}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_entry_is_built_again(how: str) -> None:
    inputs = Inputs()
    key = inputs.profile_key()[1]
    made = remembered_build(f"damaged-{how}", key, inputs.build)
    assert made.findings  # the damage below reaches them
    entry = memo_path(f"damaged-{how}")
    doc = json.loads(entry.read_text("utf-8"))
    DAMAGE[how](doc)
    entry.write_text(json.dumps(doc), "utf-8")
    calls: list[int] = []
    assert remembered_build(f"damaged-{how}", key, _counting(inputs.build, calls)) == inputs.build()
    assert calls == [1]


def test_forced_builds_read_nothing_from_the_memo() -> None:
    inputs = Inputs()
    key = inputs.profile_key()[1]
    remembered_build("forced", key, inputs.build)
    calls: list[int] = []
    with measured_afresh():
        assert remembered_build("forced", key, _counting(inputs.build, calls)) == inputs.build()
    assert calls == [1]
    assert remembered_build("forced", key, _counting(inputs.build, calls)) == inputs.build() and calls == [1]


JOB = """output_dir = "out"
[[videos]]
name = "clip"
video = "{video}"
transcript = "{transcript}"
languages = ["en", "fr"]
"""


def test_a_runs_tracks_are_built_again_when_a_job_key_changes(
    tmp_path: Path, clip15: Path, clip15_transcript: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the run's own step: the job's [profile.<lang>] and [style] keys and the transcript's text."""
    built: list[str] = []

    def counted(segments: Sequence[Segment], lang: str, *args: Any) -> TrackBuild:
        built.append(lang)
        return build_track_report(segments, lang, *args)

    monkeypatch.setattr(tracks_step, "build_track_report", counted)
    media = probe(clip15)
    transcript = tmp_path / "t.json"
    transcript.write_text(clip15_transcript.read_text("utf-8"), "utf-8")
    base = JOB.format(video=clip15, transcript=transcript)

    def tracks(extra: str = "") -> dict[str, object]:
        built.clear()
        job = parse_job(base + extra, tmp_path / "job.toml")
        made = tracks_step.base_tracks(job, job.videos[0], media, [], [])
        return {lang: item.track for lang, item in made.items()}  # type: ignore[union-attr]

    first = tracks()
    assert sorted(built) == ["en", "fr"]
    assert tracks() == first and built == []
    assert tracks("[profile.fr]\nmax_line_chars = 20\n") != first and built == ["fr"]
    assert tracks("[style]\nfont_size = 60\n") and sorted(built) == ["en", "fr"]
    assert tracks() == first and sorted(built) == ["en", "fr"]  # one entry per language: the last key is kept
    doc = json.loads(transcript.read_text("utf-8"))
    doc["segments"][0]["text"]["fr"] += " (corrigé)"
    transcript.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    edited = tracks()
    assert built == ["fr"] and edited["en"] == first["en"] and edited["fr"] != first["fr"]


def test_a_change_to_the_builds_code_or_data_changes_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package, libs = tmp_path / "pipeline", tmp_path / "site"
    edits = ("core/profiles.toml", "core/cues.py", "ingest/segments.py", "tracks/wrap.py", "media/fonts.py")
    for rel in (*edits, "batch/trackmemo.py", "media/other.py", "render/other.py"):
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text("# v1\n", "utf-8")
    (libs / "subpipe_fakelib").mkdir(parents=True)
    (libs / "subpipe_fakelib" / "__init__.py").write_text("# v1\n", "utf-8")
    (libs / "subpipe_fakelib-1.0.dist-info").mkdir()
    metadata = libs / "subpipe_fakelib-1.0.dist-info" / "METADATA"
    metadata.write_text("Metadata-Version: 2.1\nName: subpipe_fakelib\nVersion: 1.0\n", "utf-8")
    monkeypatch.syspath_prepend(str(libs))
    monkeypatch.setattr(trackmemo, "_PACKAGE", package)
    monkeypatch.setattr(trackmemo, "_LIBRARIES", ("subpipe_fakelib",))
    seen = [trackmemo.code_digest.__wrapped__()]
    for rel in (*edits, "batch/trackmemo.py"):  # each edit changes the digest it follows
        (package / rel).write_text(f"# {rel} edited\n", "utf-8")
        seen.append(trackmemo.code_digest.__wrapped__())
    (package / "tracks" / "nobreak.toml").write_text("x = 1\n", "utf-8")  # a new data file
    seen.append(trackmemo.code_digest.__wrapped__())
    (libs / "subpipe_fakelib" / "__init__.py").write_text("# version 2\n", "utf-8")  # a library upgraded
    seen.append(trackmemo.code_digest.__wrapped__())
    metadata.write_text("Metadata-Version: 2.1\nName: subpipe_fakelib\nVersion: 2.0\n", "utf-8")  # __init__ kept
    seen.append(trackmemo.code_digest.__wrapped__())
    assert len(set(seen)) == len(seen) == 10
    for rel in ("media/other.py", "render/other.py"):  # code the build does not run
        (package / rel).write_text("# v2\n", "utf-8")
    assert trackmemo.code_digest.__wrapped__() == seen[-1]
