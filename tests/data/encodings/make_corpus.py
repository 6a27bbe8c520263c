"""Write the legacy-encoding subtitle corpus beside this script: short and long SRT files with ``corpus.json``.

Each (encoding, language) pair gets two SHORT files (one cue with two sentences; two cues of one sentence;
each under 1 KB) and one LONG file (22 cues). Texts come from ``corpus_texts.py``. Run: ``python make_corpus.py``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from corpus_texts import TEXTS

HERE = Path(__file__).resolve().parent
CORPUS = HERE

PAIRS: tuple[tuple[str, str], ...] = (
    ("cp1250", "pl"), ("cp1250", "cs"), ("cp1250", "hr"),
    ("cp1251", "ru"), ("cp1251", "uk"), ("koi8_r", "ru"),
    ("cp1252", "fr"), ("cp1252", "de"), ("cp1252", "es"), ("cp1252", "pt"),
    ("cp1253", "el"), ("cp1254", "tr"), ("cp1255", "he"), ("cp1256", "ar"), ("cp1256", "fa"),
    ("cp1257", "lt"), ("cp1258", "vi"), ("cp874", "th"), ("big5", "zh-Hant"),
    ("gb18030", "zh-Hans"), ("gb2312", "zh-Hans"), ("cp949", "ko"), ("euc_kr", "ko"),
    ("cp932", "ja"), ("shift_jis", "ja"),
)  # fmt: skip

# Punctuation some legacy encodings cannot hold, replaced the way converters do.
_FALLBACK = {"\u2014": "-", "\u2013": "-", "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "\u2019": "'", "…": "..."}
_VI_LETTER_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: precomposed in cp1258


def _cp1258_form(text: str) -> str:
    """Vietnamese as cp1258 stores it: base letters precomposed where possible, tone marks combining."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in _VI_LETTER_MARKS))
        out.append(letter + "".join(m for m in marks if m not in _VI_LETTER_MARKS))
    return "".join(out)


def encode(text: str, encoding: str, lang: str) -> bytes:
    """``text`` in ``encoding``; letters must be encodable, punctuation falls back to ASCII."""
    if lang == "fa":
        text = text.replace("\u06cc", "\u064a")  # Farsi yeh is written as Arabic yeh in cp1256
    if encoding == "cp1258":
        text = _cp1258_form(text)
    out = []
    for ch in text:
        try:
            out.append(ch.encode(encoding))
        except UnicodeEncodeError:
            out.append(_FALLBACK[ch].encode(encoding))  # KeyError: a letter that the encoding lacks
    return b"".join(out)


def _stamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _lines(sentence: str) -> list[str]:
    """A dialogue line (``- A - B``, with any dash) becomes one speaker per line."""
    parts = re.split(" (?=[\u2013\u2014-] ?\\S)", sentence) if sentence[:1] in "\u2013\u2014-" else [sentence]
    return [p.strip() for p in parts]


def srt(cues: list[list[str]], start: float = 1.0) -> str:
    """SRT text (CRLF line endings, as legacy Windows tools write) for cues given as lists of lines."""
    blocks = []
    for i, lines in enumerate(cues):
        t0 = start + i * 3.5
        blocks.append(f"{i + 1}\r\n{_stamp(t0)} --> {_stamp(t0 + 3.0)}\r\n" + "\r\n".join(lines) + "\r\n")
    return "\r\n".join(blocks)


def _window(sentences: list[str], start: int, size: int) -> list[str]:
    """``size`` consecutive sentences from ``start`` on, moved forward until they hold a non-ASCII letter."""
    while not any(ord(c) > 127 for s in sentences[start : start + size] for c in s):
        start += 1
    return sentences[start : start + size]


def build() -> dict[str, dict[str, str]]:
    """Write every file; return the manifest file -> {encoding, lang, kind}."""
    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.glob("*.srt"):
        old.unlink()
    manifest: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for encoding, lang in PAIRS:
        variant = seen.get(lang, 0)
        seen[lang] = variant + 1
        sentences = TEXTS[lang].splitlines()
        one = _window(sentences, 2 * variant, 2)
        two = _window(sentences, 10 + 3 * variant, 2)
        files = {
            "short1": srt([[line for s in one for line in _lines(s)]]),
            "short2": srt([_lines(s) for s in two], start=62.0),
            "long": srt([_lines(s) if i != 7 else [f"<i>{s}</i>"] for i, s in enumerate(sentences)]),
        }
        for kind, text in files.items():
            data = encode(text, encoding, lang)
            try:
                data.decode("utf-8")
                raise SystemExit(f"{kind} {encoding} {lang}: valid UTF-8, not a legacy test")
            except UnicodeDecodeError:
                pass
            if kind != "long" and len(data) >= 1024:
                raise SystemExit(f"{kind} {encoding} {lang}: {len(data)} bytes, not short")
            name = f"{kind}-{encoding.replace('_', '')}.{lang}.srt"
            (CORPUS / name).write_bytes(data)
            manifest[name] = {"encoding": encoding, "lang": lang, "kind": "long" if kind == "long" else "short"}
    (CORPUS / "corpus.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    built = build()
    print(f"{len(built)} files in {CORPUS}")
