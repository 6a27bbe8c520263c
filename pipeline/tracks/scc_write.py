"""Writing SCC: CEA-608 pop-on captions on CC1, 29.97 drop-frame timecode, 32 columns, up to 4 rows.

Each cue is loaded into the hidden memory (RCL, ENM, one PAC per row, its characters), then shown
by EOC on the frame it starts and cleared by EDM on the frame it ends; an EOC that follows within a
frame replaces it instead. EOC and EDM start lines of their own, because readers (ffmpeg's SCC
demuxer) time a line's codes by the line. The load takes the latest free frames after the previous
cue's EOC (around its EDM); when there are not enough before the cue starts, it is shown late (counted). Control codes
are doubled, as most decoders expect. Rows: bottom cues end on row 15, top ones start on row 1,
middle ones on row 7; columns follow the alignment (centred by indent and tab offsets). Pop-on shows
one caption at a time: cues that overlap share one (each at its place, the earlier above) while they
fit 4 rows, else the later one replaces the earlier (counted).

Only the 608 character set is written (basic, special and extended): a track with other characters
is refused (:class:`~pipeline.tracks.delivery.CharsetError`) naming them. Typographic characters
608 lacks but whose plain form it has (…, –, ’) are written plain, œ and æ as oe and ae, and counted.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import NamedTuple

from pipeline.core.timecode import ms_to_frame
from pipeline.tracks.delivery import CharsetError, Placed, fit_lines, split_rows

COLUMNS, ROWS = 32, 4
FPS = Fraction(30000, 1001)
HEADER = "Scenarist_SCC V1.0"
_BASIC_SWAPS = {"á": 0x2A, "é": 0x5C, "í": 0x5E, "ó": 0x5F, "ú": 0x60, "ç": 0x7B, "÷": 0x7C, "Ñ": 0x7D, "ñ": 0x7E}
_BASIC = {chr(b): b for b in range(0x20, 0x7F) if chr(b) not in "*\\^_`{|}~"} | _BASIC_SWAPS | {"■": 0x7F}
_SPECIAL = dict(zip("®°½¿™¢£♪à\u00a0èâêîôû", range(0x30, 0x40), strict=True))  # 0x11 0x3X
_EXTENDED = {
    **dict(zip("ÁÉÓÚÜü‘¡*'—©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»", ((0x12, b) for b in range(0x20, 0x40)), strict=True)),
    **dict(zip("ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤¦ÅåØø┌┐└┘", ((0x13, b) for b in range(0x20, 0x40)), strict=True)),
}
_PLAIN = {"…": "...", "–": "-", "’": "'", "\u2009": " ", "\u202f": " "}
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"}  # letters 608 lacks, written as their two
# Preamble address codes of rows 1-15 (CC1): first byte, second-byte base.
_PAC_ROWS = (
    (0x11, 0x40), (0x11, 0x60), (0x12, 0x40), (0x12, 0x60), (0x15, 0x40), (0x15, 0x60), (0x16, 0x40),
    (0x16, 0x60), (0x17, 0x40), (0x17, 0x60), (0x10, 0x40), (0x13, 0x40), (0x13, 0x60), (0x14, 0x40), (0x14, 0x60),
)  # fmt: skip
RCL, ENM, EOC, EDM, DER = (0x14, 0x20), (0x14, 0x2E), (0x14, 0x2F), (0x14, 0x2C), (0x14, 0x24)
CARRIES = "the CEA-608 set: Latin letters of English, Spanish, French, Portuguese, German, Italian, Dutch"


def _odd(byte: int) -> int:
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


def _word(pair: tuple[int, int]) -> str:
    return f"{_odd(pair[0]):02x}{_odd(pair[1]):02x}"


def uncarried(text: str) -> list[str]:
    """The characters of ``text`` that SCC cannot carry (after the plain forms of typographic ones)."""
    known = _BASIC.keys() | _SPECIAL.keys() | _EXTENDED.keys() | _PLAIN.keys() | _LIGATURES.keys() | {"\n"}
    return [ch for ch in dict.fromkeys(text) if ch not in known]


def _char_words(line: str) -> list[str]:
    """The 608 words of one row: basic characters two to a word; a special or extended one alone
    (an extended one after a basic stand-in, which decoders that know it overwrite). A special one
    repeated (♪♪, àà) follows a delete-to-end-of-row, which changes nothing where the row is being written:
    decoders (ffmpeg's, ttconv) take a word equal to the one before for a control code's redundant copy."""
    words: list[str] = []
    pending: list[int] = []

    def flush() -> None:
        if pending:
            words.append(_word((pending[0], pending[1] if len(pending) > 1 else 0)))
            pending.clear()

    for ch in line:
        if ch in _BASIC:
            pending.append(_BASIC[ch])
            if len(pending) == 2:
                flush()
        elif ch in _SPECIAL:
            flush()
            if words and words[-1] == _word((0x11, _SPECIAL[ch])):
                words.append(_word(DER))  # else dropped as a repeated control code (♪♪): a no-op at the row's end
            words.append(_word((0x11, _SPECIAL[ch])))
        else:
            stand_in = _BASIC.get(unicodedata.normalize("NFD", ch)[0], 0x20)
            pending.append(stand_in)
            flush()
            words.append(_word(_EXTENDED[ch]))
    flush()
    return words


def _row_words(row: int, column: int) -> list[str]:
    """The PAC that puts the cursor on ``row`` (1-15) at ``column`` (0-31), then a tab offset."""
    first, base = _PAC_ROWS[row - 1]
    words = [_word((first, base + 0x10 + 2 * (column // 4)))]
    if column % 4:
        words.append(_word((0x17, 0x20 + column % 4)))
    return words


class _Caption(NamedTuple):
    """What one EOC shows: lines, each at its place (1-9); those of one row band (bottom, middle, top)
    stacked in order."""

    start_ms: int
    end_ms: int
    lines: tuple[tuple[str, int], ...]


def _load(caption: _Caption) -> list[str]:
    """The words that load ``caption`` into the hidden memory (RCL, ENM, then each row)."""
    words = [_word(RCL), _word(RCL), _word(ENM), _word(ENM)]
    for band in (2, 1, 0):  # top, middle, bottom
        lines = [(line, align) for line, align in caption.lines if (align - 1) // 3 == band]
        first = 1 if band == 2 else 7 if band == 1 else 16 - len(lines)
        for i, (line, align) in enumerate(lines):
            width = len(line)
            column = 0 if align % 3 == 1 else COLUMNS - width if align % 3 == 0 else (COLUMNS - width) // 2
            words += _row_words(first + i, column) + _char_words(line)
    return words


def drop_frame(frame: int) -> str:
    """The 29.97 drop-frame timecode ``HH:MM:SS;FF`` of a frame count (frames 0 and 1 of each minute
    but every tenth are skipped)."""
    tens, rest = divmod(frame, 17982)
    frame += 18 * tens + (2 * ((rest - 2) // 1798) if rest > 1 else 0)
    return f"{frame // 108000:02d}:{frame // 1800 % 60:02d}:{frame // 30 % 60:02d};{frame % 30:02d}"


def _as_clock(frame: int) -> float:
    """The ms a reader that takes a drop-frame timecode for a clock time reads (ffmpeg: ``FF`` x 33 ms)."""
    stamp = drop_frame(frame)
    return (int(stamp[0:2]) * 3600 + int(stamp[3:5]) * 60 + int(stamp[6:8])) * 1000 + int(stamp[9:11]) * 33


def frame_for(ms: int) -> int:
    """The frame whose drop-frame timecode stands for ``ms``: within one frame of it as a frame count
    (the standard's reading) and as near as that allows to it read as a clock time (ffmpeg's, libcaption's),
    which drifts up to two frames from the frame count before each minute's dropped frames."""
    nearest = ms_to_frame(ms, FPS)
    near = [n for n in (nearest - 1, nearest, nearest + 1) if n >= 0 and abs(n * 1001 / 30 - ms) <= 1001 / 30]
    return min(near, key=lambda n: (max(abs(n * 1001 / 30 - ms), abs(_as_clock(n) - ms)), abs(n * 1001 / 30 - ms)))


def _prepare(cues: Sequence[Placed], lang: str, dropped: Counter[str]) -> list[_Caption]:
    """The captions of ``cues`` in 608 characters, at most 32 columns and 4 rows (broken again and split
    as needed), overlapping cues in one caption where they fit."""
    missing = [ch for cue in cues for ch in uncarried("\n".join(cue.lines))]
    if missing:
        raise CharsetError("SCC (CEA-608)", lang, missing, CARRIES)
    out = []
    for cue in cues:
        plain = tuple("".join(_PLAIN.get(ch, ch) for ch in line) for line in cue.lines)
        if plain != cue.lines:
            dropped["typographic characters written plain (… as ..., – as -)"] += 1
        spelled = tuple("".join(_LIGATURES.get(ch, ch) for ch in line) for line in plain)
        if spelled != plain:
            dropped["œ and æ written oe and ae (608 lacks them)"] += 1
        plain = spelled
        lines, broken = fit_lines(plain, COLUMNS)
        dropped["lines broken again to 32 columns"] += broken
        parts = split_rows(Placed(cue.start_ms, cue.end_ms, lines, cue.align), ROWS)
        dropped["cues split to fit 4 rows"] += len(parts) > 1
        out += parts
    captions: list[_Caption] = []
    group: list[Placed] = []
    for cue in sorted(out, key=lambda c: c.start_ms):
        if group and cue.start_ms >= max(c.end_ms for c in group):
            captions += _captions(group, dropped)
            group = []
        group.append(cue)
    return captions + _captions(group, dropped)


def _captions(group: Sequence[Placed], dropped: Counter[str]) -> list[_Caption]:
    """Pop-on shows one caption at a time: where cues overlap (``group``, in start order), one caption
    holds them all, the earlier above the later at a place, while they fit 4 rows; else the latest
    alone, the others cut short (counted). One caption per span of the same cues shown."""
    if len(group) == 1:
        return [_Caption(group[0].start_ms, group[0].end_ms, tuple((ln, group[0].align) for ln in group[0].lines))]
    times = sorted({t for c in group for t in (c.start_ms, c.end_ms)})
    spans: list[tuple[int, int, tuple[int, ...]]] = []  # start, end, the cues shown
    together: set[int] = set()
    cut: set[int] = set()
    for start, end in itertools.pairwise(times):
        active = tuple(i for i, c in enumerate(group) if c.start_ms <= start < c.end_ms)
        fits = sum(len(group[i].lines) for i in active) <= ROWS
        shown = active if fits else active[-1:]
        cut.update(set(active) - set(shown))
        together.update(shown if len(shown) > 1 else ())
        if spans and spans[-1][1] == start and spans[-1][2] == shown:
            spans[-1] = (spans[-1][0], end, shown)
        elif shown:
            spans.append((start, end, shown))
    dropped["overlapping cues shown together (stacked rows)"] += len(together)
    dropped["overlapping cues cut short where the next shows (no room for both)"] += len(cut)
    return [_Caption(a, b, tuple((line, group[i].align) for i in on for line in group[i].lines)) for a, b, on in spans]


def _free(slots: dict[int, str], low: int, start: int, count: int) -> list[int]:
    """``count`` free frames for a load: the latest ones before ``start`` and from ``low`` on, then
    the first ones from ``start`` on when there are not enough (the cue will be shown late)."""
    found = [f for f in range(start - 1, low - 1, -1) if f not in slots][:count][::-1]
    frame = start
    while len(found) < count:
        if frame not in slots:
            found.append(frame)
        frame += 1
    return found


def _pair_at(slots: dict[int, str], frame: int) -> int:
    """The first frame from ``frame`` on where two words in a row are free."""
    while frame in slots or frame + 1 in slots:
        frame += 1
    return frame


def _schedule(cues: Sequence[_Caption], dropped: Counter[str]) -> tuple[dict[int, str], set[int]]:
    """Frame -> word for every word of the file, and the frames that start a line (EOC, EDM, loads)."""
    slots: dict[int, str] = {}
    starts: set[int] = set()
    frames = [(frame_for(c.start_ms), frame_for(c.end_ms)) for c in cues]
    low = 0  # the hidden memory is free from the frame after the previous EOC
    for i, cue in enumerate(cues):
        load, (start, end) = _load(cue), frames[i]
        at = _free(slots, low, start, len(load))
        slots.update(zip(at, load, strict=True))
        starts.add(at[0])
        show = _pair_at(slots, max(start, at[-1] + 1))
        dropped["cues shown late (no room to load them in time)"] += show > start
        slots[show] = slots[show + 1] = _word(EOC)
        starts.add(show)
        low = show + 2
        if i + 1 == len(cues) or frames[i + 1][0] > max(end, low) + 1:  # else the next EOC replaces it
            clear = _pair_at(slots, max(end, low))
            slots[clear] = slots[clear + 1] = _word(EDM)
            starts.add(clear)
    return slots, starts


def _lines(slots: dict[int, str], starts: set[int]) -> list[tuple[int, list[str]]]:
    """The SCC lines: runs of words on consecutive frames, a new one at each frame in ``starts``."""
    out: list[tuple[int, list[str]]] = []
    previous = -2
    for frame in sorted(slots):
        if frame != previous + 1 or frame in starts:
            out.append((frame, []))
        out[-1][1].append(slots[frame])
        previous = frame
    return out


def compose_scc(cues: Sequence[Placed], lang: str, dropped: Counter[str]) -> str:
    """An SCC file (CEA-608 pop-on, CC1, 29.97 drop-frame) of ``cues`` in ``lang``.

    Raises:
        CharsetError: a character 608 cannot carry, all of them named in one line.
    """
    slots, starts = _schedule(_prepare(cues, lang, dropped), dropped)
    body = [f"{drop_frame(frame)}\t{' '.join(words)}\n" for frame, words in _lines(slots, starts)]
    return HEADER + "\n\n" + "\n".join(body)
