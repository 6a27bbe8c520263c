"""Speech synthesis with eSpeak NG, for alignment only: each text becomes 16 kHz mono samples.

The library and its voices come from pip (``espeakng-loader``, the optional extra ``subpipe[align]``:
libespeak-ng 1.52 and the data of 114 languages, GPL-3.0), loaded with ctypes; nothing is fetched
at run time. eSpeak NG is not thread-safe, so calls are serialised with a lock. Its 22,050 Hz
output is resampled to 16 kHz by linear interpolation (the features alignment compares stop at 4 kHz).

A line's voice must not depend on the lines spoken before it (the alignment's decisions would change
with the order of calls): eSpeak NG's pitch flutter runs on a phase that carries over from one
utterance to the next (a static counter in its wave generator: lengths varied by 2-200 samples
between calls), and its noise on a random generator. So every line is spoken by the voice with the
variant ``subpipe-steady`` (flutter 0, nothing else changed), from a data folder of links to the
package's plus that variant's file, the voice is set again and the generator seeded before each
line. A line's length is then the same whatever came before; its samples keep a 0.998 likeness
(the sign of its harmonics, another static, alternates). Where links cannot be made, the package's
folder is used as it is (the voice then varies a little).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from pipeline.core.errors import InputError, PipelineError

RATE = 16_000
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_LOCK = threading.Lock()
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
# subpipe's language tags -> eSpeak NG voices (the rest use the tag's language subtag)
_VOICES = {"zh": "cmn", "zh-Hans": "cmn", "zh-Hant": "yue", "pt-BR": "pt-br", "en-GB": "en-gb", "en": "en-us"}
STEADY = "subpipe-steady"  # the voice variant without pitch flutter
_STEADY_VARIANT = f"name {STEADY}\nflutter 0\n"


class SynthesisError(PipelineError):
    """eSpeak NG could not be loaded or could not speak."""


@cache
def _engine() -> tuple[ctypes.CDLL, int, bool]:
    """The initialised library, its sample rate, and whether it has the ``subpipe-steady`` variant."""
    try:
        import espeakng_loader
    except ImportError as exc:  # the optional extra: eSpeak NG is GPL-3.0
        raise SynthesisError(
            "alignment needs eSpeak NG, which is not installed: pip install 'subpipe[align]' "
            "(GPL-3.0, so not part of the default install)"
        ) from exc
    try:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
    except OSError as exc:
        raise SynthesisError(f"eSpeak NG could not be loaded: {exc}") from exc
    steady = _steady_data(espeakng_loader.get_data_path())
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    data = steady or espeakng_loader.get_data_path()
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 500, data.encode(), 0)
    if rate <= 0:
        raise SynthesisError("eSpeak NG could not start (its data folder is missing?)")
    return lib, int(rate), steady is not None


def _steady_data(source: str) -> str | None:
    """A temporary data folder of links to ``source``'s files, with the ``subpipe-steady`` variant
    added to its voice variants (removed at exit); None when links cannot be made."""
    root = tempfile.mkdtemp(prefix="subpipe-espeak-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    try:
        for rel in ("", "voices", os.path.join("voices", "!v")):
            os.makedirs(os.path.join(root, rel), exist_ok=True)
            for name in os.listdir(os.path.join(source, rel)):
                if os.path.join(rel, name) not in ("voices", os.path.join("voices", "!v")):
                    os.symlink(os.path.join(source, rel, name), os.path.join(root, rel, name))
        with open(os.path.join(root, "voices", "!v", STEADY), "w", encoding="ascii") as f:
            f.write(_STEADY_VARIANT)
    except OSError:
        return None
    return root


def voice_of(lang: str) -> str:
    """The eSpeak NG voice for a subpipe language tag."""
    return _VOICES.get(lang, lang.split("-")[0].lower())


@cache
def can_speak(lang: str) -> bool:
    """Whether eSpeak NG has a voice for ``lang``."""
    lib, _, _ = _engine()
    with _LOCK:
        return int(lib.espeak_SetVoiceByName(voice_of(lang).encode())) == 0


def synthesize(texts: Sequence[str], lang: str) -> list[npt.NDArray[np.float32]]:
    """Each text spoken by eSpeak NG's voice for ``lang``, as 16 kHz mono float samples.

    Raises:
        InputError: when eSpeak NG has no voice for the language.
        SynthesisError: when the library cannot be loaded.
    """
    if not can_speak(lang):
        raise InputError(lang, "eSpeak NG has no voice for this language: alignment is not supported for it")
    lib, rate, steady = _engine()
    voice = voice_of(lang) + (f"+{STEADY}" if steady else "")
    out = []
    chunks: list[npt.NDArray[np.int16]] = []

    def collect(wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if count > 0 and wav:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = _CALLBACK(collect)
    with _LOCK:
        lib.espeak_SetSynthCallback(callback)
        for text in texts:
            chunks.clear()
            lib.espeak_SetVoiceByName(voice.encode())  # from a clean state: the last line's echo and filters go
            lib.espeak_ng_SetRandSeed(1)
            data = text.encode("utf-8") + b"\0"
            lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            joined = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
            out.append(_resample(joined.astype(np.float32) / np.float32(32768), rate))
    return out


def _resample(samples: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float32]:
    if samples.size == 0 or rate == RATE:
        return samples
    count = int(samples.size * RATE / rate)
    positions = np.arange(count, dtype=np.float64) * (rate / RATE)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
