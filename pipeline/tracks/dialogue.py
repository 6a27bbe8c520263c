"""Two speakers in one cue: one speaker per line, never merged, split between the speakers.

The Netflix guide's dual-speaker format puts each speaker's turn on its own line, each starting
with a dash. A segment whose text holds several turns (lines starting with ``-`` or ``–``, kept
apart by :func:`pipeline.core.scripts.join_lines`) becomes cues of at most two turns, one line
each. A turn too long for one line gets a cue of its own, without its dash (a dash marks a second
speaker in the same subtitle), wrapped and split like any text; when a segment must be cut into
more cues (too long in time), it is cut between speakers first, inside a turn only after that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.core.profiles import Profile
from pipeline.core.scripts import starts_turn
from pipeline.tracks.wrap import count_chars, normalize_space, split_text, wrap_lines

# Two turns already merged on one line ("- Where? - Home."): a dash after the end of a sentence.
_MERGED_TURN = re.compile(r"(?<=[.!?…。！？؟\"”'’])\s+(?=[-–](?!-)\s*\S)")
_DASH = re.compile(r"^[-–]\s*")


def speaker_turns(text: str) -> list[str]:
    """The speakers' turns of ``text`` (two or more), or ``[text]`` when it is not a dialogue."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines or not starts_turn(lines[0]):
        return [text]
    turns = [normalize_space(t) for line in lines for t in _MERGED_TURN.split(line)]
    if len(turns) < 2 or not all(starts_turn(t) for t in turns):
        return [text]
    return turns


def _fits_line(turn: str, profile: Profile) -> bool:
    return count_chars(turn, profile) <= profile.max_line_chars


def _alone(turn: str) -> str:
    """A turn shown without a second speaker: its dash goes."""
    return _DASH.sub("", turn, count=1)


def _group(turns: Sequence[str], profile: Profile) -> list[list[str]]:
    """Consecutive turns paired into cues where both fit a line; the others alone."""
    groups: list[list[str]] = []
    i = 0
    while i < len(turns):
        pair = turns[i : i + 2]
        if len(pair) == 2 and all(_fits_line(t, profile) for t in pair):
            groups.append(list(pair))
            i += 2
        else:
            groups.append([turns[i]])
            i += 1
    return groups


def _parts_of(groups: list[list[str]], profile: Profile) -> list[str]:
    parts: list[str] = []
    for group in groups:
        if len(group) == 2:
            parts.append("\n".join(group))
        else:
            parts.extend(split_text(_alone(group[0]), profile))
    return parts


def _split_further(groups: list[list[str]]) -> bool:
    """Cut the longest two-speaker cue between its speakers; False when there is none."""
    pairs = [i for i, g in enumerate(groups) if len(g) == 2]
    if not pairs:
        return False
    i = max(pairs, key=lambda k: len(groups[k][0]) + len(groups[k][1]))
    groups[i : i + 1] = [[groups[i][0]], [groups[i][1]]]
    return True


def split_parts(text: str, profile: Profile, min_parts: int = 1) -> list[str]:
    """Cut ``text`` into cue texts (see :func:`pipeline.tracks.wrap.split_text`), speakers kept apart.

    A two-speaker part is ``"- turn\\n- turn"``; :func:`part_lines` shows it one turn per line.
    """
    turns = speaker_turns(text)
    if len(turns) < 2:
        return split_text(text, profile, min_parts=min_parts)
    groups = _group(turns, profile)
    parts = _parts_of(groups, profile)
    while len(parts) < min_parts and _split_further(groups):
        parts = _parts_of(groups, profile)
    if len(parts) < min_parts:  # every speaker alone already: cut inside the longest turn
        longest = max(range(len(parts)), key=lambda k: count_chars(parts[k], profile))
        more = split_text(parts[longest], profile, min_parts=min_parts - len(parts) + 1)
        parts[longest : longest + 1] = more
    return parts


def part_lines(part: str, profile: Profile) -> list[str]:
    """The lines of one cue: one per speaker for a two-speaker part, else wrapped by the profile."""
    turns = speaker_turns(part)
    if len(turns) == 2 and all(_fits_line(t, profile) for t in turns):
        return turns
    return wrap_lines(part, profile)
