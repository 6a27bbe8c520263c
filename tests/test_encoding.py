"""Tests of ``guess_encoding`` on the legacy-encoding corpus (``tests/data/encodings/make_corpus.py`` writes it).

A guess is right when it decodes the file to the same text as the true encoding (cp949 for an EUC-KR file,
gb18030 for a GB2312 one). Hit rates without a language hint, and charset-normalizer's on the same files,
are printed, not asserted at 100 %: short single-byte Latin files are genuinely ambiguous without a language.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from charset_normalizer import from_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.encoding import EncodingGuess, describe, guess_encoding, normalize_language

CORPUS = Path(__file__).resolve().parent / "data" / "encodings"


def _module(name: str) -> ModuleType:
    """A module of the corpus folder (the script that writes it, with its texts), loaded by path."""
    spec = importlib.util.spec_from_file_location(name, CORPUS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_MAKE = _module("make_corpus")
TEXTS: dict[str, str] = _MAKE.TEXTS
PAIRS: tuple[tuple[str, str], ...] = _MAKE.PAIRS
encode: Callable[[str, str, str], bytes] = _MAKE.encode
srt: Callable[..., str] = _MAKE.srt
MANIFEST: dict[str, dict[str, str]] = json.loads((CORPUS / "corpus.json").read_text(encoding="utf-8"))


def _right(data: bytes, guessed: str | None, truth: str) -> bool:
    """Whether ``guessed`` reads ``data`` exactly as ``truth`` does."""
    if guessed is None:
        return False
    try:
        return data.decode(guessed) == data.decode(truth)
    except (UnicodeDecodeError, LookupError):
        return False


def _ours(hinted: bool) -> Callable[[bytes, str], str | None]:
    def guess(data: bytes, lang: str) -> str | None:
        found = guess_encoding(data, lang if hinted else None)
        return found.encoding if found else None

    return guess


def _charset_normalizer(data: bytes, lang: str) -> str | None:
    best = from_bytes(data).best()
    return best.encoding if best else None


def _rates(guesser: Callable[[bytes, str], str | None]) -> tuple[dict[str, list[bool]], list[str]]:
    """Hits per kind (short, long) over the corpus, and the files missed."""
    hits: dict[str, list[bool]] = defaultdict(list)
    missed = []
    for name, meta in MANIFEST.items():
        data = (CORPUS / name).read_bytes()
        guessed = guesser(data, meta["lang"])
        hits[meta["kind"]].append(_right(data, guessed, meta["encoding"]))
        if not hits[meta["kind"]][-1]:
            missed.append(f"{name} -> {guessed}")
    return hits, missed


def _line(label: str, hits: dict[str, list[bool]]) -> str:
    return label + "  ".join(f"{kind} {sum(v)}/{len(v)} ({100 * sum(v) / len(v):.0f} %)" for kind, v in hits.items())


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_corpus_file_is_read_right_with_its_language(name: str) -> None:
    meta = MANIFEST[name]
    data = (CORPUS / name).read_bytes()
    lang = name.split(".")[-2]  # the file name's tag, as the reader will take it
    assert lang == meta["lang"]
    guess = guess_encoding(data, lang)
    assert guess is not None
    assert _right(data, guess.encoding, meta["encoding"]), (guess, meta)
    assert meta["kind"] == "long" or len(data) < 1024


def test_every_single_sentence_is_read_right_with_its_language() -> None:
    """Harder than the corpus: each sentence of each text alone in a one-cue file."""
    missed = []
    for encoding, lang in PAIRS:
        for sentence in TEXTS[lang].splitlines():
            data = encode(srt([[sentence]]), encoding, lang)
            if data.isascii():
                continue
            guess = guess_encoding(data, lang)
            if not _right(data, guess.encoding if guess else None, encoding):
                missed.append(f"{encoding} {lang}: {sentence} -> {guess}")
    assert not missed, missed


def test_hit_rates_without_hint_and_against_charset_normalizer(capsys: pytest.CaptureFixture[str]) -> None:
    hinted, _ = _rates(_ours(True))
    blind, blind_missed = _rates(_ours(False))
    theirs, _ = _rates(_charset_normalizer)
    with capsys.disabled():
        print("\n" + _line("guess_encoding, language hint:    ", hinted))
        print(_line("guess_encoding, no hint:          ", blind), "missed:", blind_missed or "none")
        print(_line("charset-normalizer best(), no hint: ", theirs))
    assert all(all(v) for v in hinted.values())
    assert sum(map(sum, blind.values())) >= sum(map(sum, theirs.values()))


def test_a_100_kb_file_is_guessed_whole() -> None:
    # Speed belongs to the benchmarks, not to a timed assertion here (it failed at 0.14 s under load).
    data = (CORPUS / "long-cp1253.el.srt").read_bytes()
    data = (data * (100_000 // len(data) + 1))[:100_000]
    for lang in ("el", None):
        guess = guess_encoding(data, lang)
        assert guess is not None and guess.encoding == "cp1253"


def test_utf8_is_utf8_and_descriptions_are_short() -> None:
    assert guess_encoding("Grüße".encode(), "de") == EncodingGuess("utf-8", 1.0, "de", ())
    assert describe(EncodingGuess("cp1252", 0.9, "fr", ())) == "cp1252 (Western European)"
    guess = guess_encoding("Gdzie jest najbliższa apteka?".encode("cp1250"), "pl")
    assert guess is not None and describe(guess) == "cp1250 (Central European)"


@pytest.mark.parametrize(
    ("tag", "key"),
    [("zh-TW", "zh-Hant"), ("zh-Hant-HK", "zh-Hant"), ("zh", "zh-Hans"), ("zh_CN", "zh-Hans"), ("ko-KR", "ko"),
     ("pt-BR", "pt"), ("nb", "no"), ("xx", None), ("", None), (None, None)],
)  # fmt: skip
def test_language_tags(tag: str | None, key: str | None) -> None:
    assert normalize_language(tag) == key


def test_an_unknown_language_means_no_hint() -> None:
    data = "Привет, как дела?".encode("cp1251")
    assert guess_encoding(data, "xx") == guess_encoding(data)


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=600).filter(_not_utf8), st.sampled_from([None, "ru", "ja", "zh-TW", "vi"]))
def test_random_bytes_never_crash_and_a_guess_always_decodes(data: bytes, lang: str | None) -> None:
    guess = guess_encoding(data, lang)
    if guess is not None:
        data.decode(guess.encoding)
        assert 0.0 <= guess.score <= 1.0
        assert guess.encoding not in guess.alternatives
