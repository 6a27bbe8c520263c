"""How many real-world-like and conformance files the reader refuses or reads wrongly.

    .venv/bin/python benchmarks/measure_reading.py [--root DIR]

Reads every file of ``tests/data/realworld/`` (expected cues in its ``expected.json``) and of
``tests/data/webvtt-conformance/`` (the cues a browser makes) the way ``subpipe check`` does
(lenient), with whatever ``pipeline`` is importable: run it at the base commit for the "before"
numbers (``PYTHONPATH=<checkout of the base commit>``). Only the API both versions have is used.
A conformance file is "wrong" when a cue that a browser shows is missing or different; cues read
beyond the browser's (lenient repairs such as ``,`` before VTT milliseconds) are counted apart.
"""

from __future__ import annotations

import argparse
import html
import json
import re
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.ingest.subparse import read_subtitles_checked

ROOT = Path(__file__).resolve().parents[1]
_TAGS = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
Row = tuple[int, int, tuple[str, ...]]


def _browser_rows(cues: list[dict[str, object]]) -> list[Row]:
    """The cues a browser shows, as plain text lines (what subpipe keeps of them: no tags, no control characters)."""
    rows = []
    for cue in cues:
        start, end, text = int(str(cue["start_ms"])), int(str(cue["end_ms"])), str(cue["text"])
        lines = tuple(
            s for s in (_CONTROL.sub("", html.unescape(_TAGS.sub("", line))).strip() for line in text.split("\n")) if s
        )
        if end > start and lines:
            rows.append((start, end, lines))
    return sorted(rows)


def _read(path: Path) -> list[Row] | str:
    lang = path.name.split(".")[-2]
    try:
        parsed = read_subtitles_checked(path, lang, lenient=True)
    except InputError as exc:
        return f"refused: {exc}"
    return sorted((c.start_ms, c.end_ms, c.lines) for c in parsed.track.cues)


def _verdict(got: list[Row] | str, want: list[Row], *, extras_ok: bool) -> str:
    if isinstance(got, str):
        return "refused" if want else "ok"
    if got == want:
        return "ok"
    if extras_ok and all(row in got for row in want):
        return "extra"
    return "wrong"


def main() -> None:
    """Print one line per file that is not read as expected, then the counts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    counts: dict[str, dict[str, int]] = {}
    for name, folder, extras_ok in (("realworld", "realworld", False), ("conformance", "webvtt-conformance", True)):
        data = args.root / "tests" / "data" / folder
        expected = json.loads((data / "expected.json").read_text(encoding="utf-8"))
        tally = counts.setdefault(name, {"ok": 0, "extra": 0, "refused": 0, "wrong": 0})
        for file, entry in sorted(expected.items()):
            if extras_ok:
                want = _browser_rows(entry["cues"])
            else:
                want = sorted((s, e, tuple(lines)) for s, e, lines in entry["cues"])
            got = _read(data / file)
            verdict = _verdict(got, want, extras_ok=extras_ok)
            tally[verdict] += 1
            if verdict != "ok":
                print(f"{name}: {file}: {verdict}" + (f" ({got})" if isinstance(got, str) else ""))
    for name, tally in counts.items():
        print(f"{name}: {sum(tally.values())} files: " + ", ".join(f"{k} {v}" for k, v in tally.items()))


if __name__ == "__main__":
    main()
