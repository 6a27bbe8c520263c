"""A reviewer's view of a cue (times and text), an edited cue as stored, and the limits of an edit."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from pipeline.core.cues import Cue
from pipeline.core.errors import InputError

MAX_TEXT_CHARS = 1000


@dataclass(frozen=True)
class CueState:
    """A cue as a reviewer sees it: its times and its text (lines joined by newlines)."""

    start_ms: int
    end_ms: int
    text: str

    @classmethod
    def of(cls, cue: Cue) -> CueState:
        """The state of a built cue."""
        return cls(cue.start_ms, cue.end_ms, cue.text)

    def as_json(self) -> dict[str, object]:
        """The state as JSON."""
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "text": self.text}


@dataclass(frozen=True)
class StoredCue:
    """One edited cue of a track: ``state`` None means deleted, ``base`` None means inserted."""

    id: str
    version: int
    state: CueState | None
    base: CueState | None


def state_problem(state: CueState, duration_ms: int | None) -> tuple[str, str] | None:
    """What makes ``state`` a cue no track can hold, as (field, problem), or None: end not after start,
    a time outside the video, control characters or lone surrogates in the text, an empty line, more than
    1,000 characters, or no text."""
    if state.start_ms < 0:
        return "start_ms", f"{state.start_ms} is before the video starts"
    if state.end_ms <= state.start_ms:
        return "end_ms", f"{state.end_ms} is not after start_ms {state.start_ms}"
    if duration_ms is not None and state.end_ms > duration_ms:
        return "end_ms", f"{state.end_ms} is past the end of the video ({duration_ms} ms)"
    if len(state.text) > MAX_TEXT_CHARS:
        return "text", f"{len(state.text)} characters, more than {MAX_TEXT_CHARS}"
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in state.text):
        return "text", "has no visible character (delete the cue instead)"
    if any(not line.strip() for line in state.text.split("\n")):
        return "text", "has an empty line (a blank line ends a cue in SRT and WebVTT)"
    bad = sorted({f"U+{ord(ch):04X}" for ch in state.text if ch != "\n" and unicodedata.category(ch) == "Cc"})
    if bad:
        return "text", f"holds control characters {', '.join(bad)}"
    lone = sorted({f"U+{ord(ch):04X}" for ch in state.text if unicodedata.category(ch) == "Cs"})
    if lone:
        return "text", f"holds lone surrogates {', '.join(lone)} (not characters: the text is not valid Unicode)"
    return None


def check_state(state: CueState, duration_ms: int | None, where: str) -> None:
    """Refuse a cue state no track can hold (:func:`state_problem`).

    Raises:
        InputError: naming ``where``, the field and the problem.
    """
    problem = state_problem(state, duration_ms)
    if problem:
        raise InputError(None, f"{where}.{problem[0]}: {problem[1]}")
