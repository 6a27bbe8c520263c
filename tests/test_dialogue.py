"""Two speakers in one cue: one speaker per line (Netflix dual-speaker format), split between them."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from pipeline.core.profiles import get_profile
from pipeline.ingest.segments import Segment, load_transcript
from pipeline.tracks.build import build_track
from pipeline.tracks.dialogue import part_lines, speaker_turns, split_parts

FILM = Path(__file__).parent / "data" / "dialogue" / "night-train.en.srt"
FPS = Fraction(24000, 1001)
EN = get_profile("en")
# A second speaker's dash inside a line: the merge this module prevents.
MERGED = re.compile(r"(?<=[.!?…\"”])\s+[-–]\s*\S")


def _source_dialogue_cues() -> set[str]:
    blocks = [b.split("\n") for b in FILM.read_text(encoding="utf-8").strip().split("\n\n")]
    return {b[0] for b in blocks if len(b) == 4 and all(re.match(r"[-–]", line) for line in b[2:])}


def test_every_dialogue_cue_of_a_film_keeps_one_speaker_per_line() -> None:
    dialogue = _source_dialogue_cues()
    assert len(dialogue) == 68  # of 108 cues (before this module: 17 kept one speaker per line)
    track = build_track(load_transcript(FILM).segments, "en", EN, FPS)
    cues = [c for c in track.cues if c.segment_id in dialogue]
    assert not [c.lines for c in cues if any(MERGED.search(line) for line in c.lines)]
    two = [c for c in cues if len(c.lines) == 2 and all(re.match(r"[-–]", line) for line in c.lines)]
    assert len(two) == 61  # the other 7 had a turn too long for one line: split between the speakers


def test_a_turn_too_long_for_a_line_is_split_between_the_speakers() -> None:
    text = "- I need you to stay calm and listen to every word I say.\n- I'm listening."
    assert split_parts(text, EN) == ["I need you to stay calm and listen to every word I say.", "I'm listening."]


def test_a_segment_too_long_in_time_is_cut_between_speakers_not_inside_a_turn() -> None:
    seg = Segment("1", 0, 9000, {"en": "- Where were you on the fourteenth?\n- At home, all night."})
    track = build_track([seg], "en", EN, FPS)
    assert [c.lines for c in track.cues] == [("Where were you on the fourteenth?",), ("At home, all night.",)]


def test_turns_merged_on_one_line_are_separated() -> None:
    assert speaker_turns("- Where are you going? - Home.") == ["- Where are you going?", "- Home."]
    assert part_lines("-What time is it? -Almost midnight.", EN) == ["-What time is it?", "-Almost midnight."]
    assert speaker_turns("Wait - what?") == ["Wait - what?"]


def test_three_turns_make_a_pair_and_a_single() -> None:
    assert split_parts("- Ready?\n- Ready.\n- Go!", EN) == ["- Ready?\n- Ready.", "Go!"]


def test_two_transcript_speakers_never_share_a_cue() -> None:
    segs = [
        Segment("1", 0, 600, {"en": "Coffee?"}, speaker="anna"),
        Segment("2", 650, 1200, {"en": "Please. Black."}, speaker="tom"),
    ]
    track = build_track(segs, "en", EN, FPS)
    assert [c.lines for c in track.cues] == [("Coffee?",), ("Please. Black.",)]


def test_cjk_dialogue_keeps_one_speaker_per_line() -> None:
    ja = get_profile("ja")
    assert part_lines("－どこへ？", ja) == ["－どこへ？"]  # a full-width dash is text, not a turn
    assert split_parts("-どこへ行くの？\n-家に帰る。", ja) == ["-どこへ行くの？\n-家に帰る。"]
    assert part_lines("-どこへ行くの？\n-家に帰る。", ja) == ["-どこへ行くの？", "-家に帰る。"]
