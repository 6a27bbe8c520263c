"""``subpipe convert``: one subtitle file to another format and to UTF-8, saying what it drops.

In: SRT, WebVTT, ASS/SSA, or a transcript (subpipe/Whisper JSON, CSV/TSV sheet) in one language.
Out: SRT, WebVTT, ASS, TTML1 (``.ttml``), IMSC 1.1 (``.imsc.ttml``), SCC or EBU-STL by the output's
name (text ones in UTF-8), written atomically (nothing is written
when the input cannot be read). A legacy encoding is read with the best guess unless declared;
the result says which. What the target cannot hold is counted per kind (cues), never silently lost.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from pipeline.batch.deliver import DELIVERY_FORMATS, compose_delivery, delivery_format, write_bytes
from pipeline.core.errors import InputError, UsageError
from pipeline.core.langtags import same_tag
from pipeline.core.textio import Decoded, Repair, encoding_finding, read_decoded
from pipeline.ingest.delivery_read import read_delivery
from pipeline.ingest.segments import Transcript, language_from_name, load_transcript
from pipeline.ingest.styled import StyledSubs, read_ass, read_srt_vtt
from pipeline.render.outputs import write_text
from pipeline.tracks.delivery import placed_of_styled
from pipeline.tracks.styled_write import COMPOSERS, Composed

SOURCES = {
    ".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ass", ".json": "json", ".csv": "sheet", ".tsv": "sheet",
    ".ttml": "ttml", ".dfxp": "ttml", ".scc": "scc", ".stl": "stl",
}  # fmt: skip
TARGETS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass"}


@dataclass(frozen=True)
class Conversion:
    """A finished conversion: where, how many cues, how the input was decoded, what was repaired
    (lenient) and what the target dropped (kind -> number of cues)."""

    output: Path
    source_format: str
    target_format: str
    cues: int
    encoding: str
    encoding_note: str
    repairs: tuple[Repair, ...]
    dropped: tuple[tuple[str, int], ...]


def _formats(src: Path, dst: Path) -> tuple[str, str]:
    source = SOURCES.get(src.suffix.lower())
    target = delivery_format(dst) or TARGETS.get(dst.suffix.lower())
    if source is None:
        raise InputError(src, f"unknown input format {src.suffix!r}: expected {', '.join(SOURCES)}")
    if target is None:
        expected = ".srt, .vtt, .ass, .ttml (TTML1), .imsc.ttml (IMSC 1.1), .scc or .stl"
        raise UsageError(f"{dst}: unknown output format {dst.suffix!r}: expected {expected}")
    return source, target


def _transcript_lang(transcript: Transcript, lang: str | None, src: Path) -> str:
    if lang is None and len(transcript.languages) == 1:
        return transcript.languages[0]
    if lang is None:
        found = ", ".join(transcript.languages)
        raise UsageError(f"{src}: the transcript has {len(transcript.languages)} languages ({found}): pass --lang")
    key = next((k for k in transcript.languages if same_tag(k, lang)), None)  # EN is en
    if key is None:
        raise UsageError(f"{src}: no {lang!r} text in the transcript (it has {', '.join(transcript.languages)})")
    return key


def _from_transcript(src: Path, decoded: Decoded, lang: str | None, lenient: bool) -> StyledSubs:
    transcript = load_transcript(src, lang, decoded.encoding, lenient=lenient, hint_langs=[lang] if lang else [])
    tag = _transcript_lang(transcript, lang, src)
    subs = pysubs2.SSAFile()
    for seg in transcript.segments:
        text = seg.text.get(tag, "").strip()
        if text:
            body = "\\N".join(line.strip().replace("{", "(").replace("}", ")") for line in text.split("\n"))
            subs.append(pysubs2.SSAEvent(start=seg.start_ms, end=seg.end_ms, text=body, name=seg.speaker))
    if not subs:
        raise InputError(src, f"no segment has {tag!r} text")
    return StyledSubs(subs, "transcript")


def _from_delivery(src: Path, source: str) -> StyledSubs:
    """A TTML, SCC or STL file as styled events: text and position (``{\\an8}``)."""
    subs = pysubs2.SSAFile()
    for cue in read_delivery(src):
        body = "\\N".join(line.replace("{", "(").replace("}", ")") for line in cue.lines)
        position = f"{{\\an{cue.align}}}" if cue.align != 2 else ""
        subs.append(pysubs2.SSAEvent(start=cue.start_ms, end=cue.end_ms, text=position + body))
    return StyledSubs(subs, source)


def read_styled_file(src: Path, lang: str | None, encoding: str | None, lenient: bool) -> tuple[StyledSubs, Decoded]:
    """Read any input ``convert`` accepts into the styled model, with how it was decoded.

    Raises:
        InputError: an unreadable or malformed input (file and line), an unknown format.
        UsageError: a transcript in several languages without ``lang``.
    """
    source = SOURCES.get(src.suffix.lower())
    if source is None:
        raise InputError(src, f"unknown input format {src.suffix!r}: expected {', '.join(SOURCES)}")
    if source in ("ttml", "scc", "stl"):
        return _from_delivery(src, source), Decoded(str(src), "", {"ttml": "utf-8", "scc": "ascii"}.get(source, "stl"))
    decoded = read_decoded(src, encoding, ascii_start=source == "sheet", langs=[lang] if lang else [])
    if source in ("json", "sheet"):
        return _from_transcript(src, decoded, lang, lenient), decoded
    if source == "ass":
        return read_ass(decoded.text, src, lenient=lenient), decoded
    return read_srt_vtt(decoded.text, src, lang or language_from_name(src) or "en", lenient=lenient), decoded


def _delivered(doc: StyledSubs, target: str, lang: str, dst: Path) -> Composed:
    """Write ``doc`` as a delivery format (times in ms: no video, no frame rate but the format's own)."""
    dropped: Counter[str] = Counter(doc.dropped)
    cues = placed_of_styled(doc, dropped)
    write_bytes(dst, compose_delivery(target, cues, lang, dropped, title=dst.stem.split(".")[0]))
    return Composed("", len(cues), +dropped)


def convert_file(
    src: str | Path, dst: str | Path, *, lang: str | None = None, encoding: str | None = None, lenient: bool = False
) -> Conversion:
    """Convert ``src`` to the format of ``dst``'s extension, in UTF-8.

    Args:
        src: SRT, VTT, ASS/SSA, or a transcript (JSON, CSV, TSV).
        dst: the output, ``.srt``, ``.vtt`` or ``.ass``; written through a partial file.
        lang: the language (a transcript's column; informs an encoding guess).
        encoding: the input's encoding; None or ``"auto"`` guesses a legacy one (and says so).
        lenient: repair (or skip) malformed cues instead of refusing the file.

    Raises:
        InputError: the input cannot be read (nothing is written).
        UsageError: an unknown output format, or a transcript language to choose.
        OutputError: the output cannot be written.
    """
    src, dst = Path(src), Path(dst)
    source, target = _formats(src, dst)
    doc, decoded = read_styled_file(src, lang, encoding, lenient)
    if target in DELIVERY_FORMATS:
        composed = _delivered(doc, target, lang or language_from_name(src) or language_from_name(dst) or "und", dst)
    else:
        composed = COMPOSERS[target](doc)
        write_text(dst, composed.text)
    finding = encoding_finding(decoded)
    return Conversion(
        dst,
        source,
        target,
        composed.cues,
        decoded.encoding,
        finding.message if finding else "",
        tuple(doc.repairs),
        tuple(sorted(composed.dropped.items())),
    )
