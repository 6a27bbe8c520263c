"""Joining lines of text the way each script is written: no space where the script uses none.

Japanese, Chinese and Thai are written without spaces between words, so a line break in the
source is not a word boundary marked by a space: ``情報を`` + ``インターネットに`` joins as
``情報をインターネットに``, never ``情報を インターネットに``. Korean writes spaces between eojeol
and keeps them. A line that starts with a dash (``-`` or ``–``) starts a speaker's turn (the
dual-speaker format of the Netflix guide): it keeps its own line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Han, kana, CJK punctuation, full-width forms, Thai, Lao, Khmer, Myanmar: scripts without spaces.
_NO_SPACE = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u31a0-\u31ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
)
# A speaker's turn: a line starting with a hyphen or an en dash (not an em dash, which marks a pause).
_TURN = re.compile(r"^[-–](?!-)\s*\S")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u3000]*\n[ \t\f\v\u00a0\u3000]*")


def writes_without_spaces(ch: str) -> bool:
    """Whether ``ch`` belongs to a script written without spaces between words (ja, zh, th)."""
    return bool(ch) and _NO_SPACE.match(ch) is not None


def join_two(left: str, right: str) -> str:
    """``left`` and ``right`` joined by a space, or by nothing where either side has no spaces."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    if writes_without_spaces(left[-1]) or writes_without_spaces(right[0]):
        return left + right
    return f"{left} {right}"


def starts_turn(line: str) -> bool:
    """Whether ``line`` starts a speaker's turn (``- Where?``, ``–Home.``)."""
    return _TURN.match(line.strip()) is not None


def join_lines(lines: Sequence[str]) -> str:
    """The lines of a cue as one text: joined by script, each speaker's turn kept on its own line.

    >>> join_lines(["情報を", "インターネットに"])
    '情報をインターネットに'
    >>> join_lines(["한국은", "변하고 있다"])
    '한국은 변하고 있다'
    >>> join_lines(["- Where are you going?", "- Home."])
    '- Where are you going?\\n- Home.'
    """
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and starts_turn(line) and starts_turn(out.split("\n")[0]):
            out += "\n" + line
        else:
            out = join_two(out, line)
    return out


def unwrap(text: str) -> str:
    """``text`` with its line breaks joined by script (turns kept), for re-wrapping."""
    return join_lines(_SPACES.sub("\n", text).split("\n"))
