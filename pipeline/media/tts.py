"""Speech synthesis with eSpeak NG, for alignment only: each text becomes 16 kHz mono samples.

The library and its voices come from pip (``espeakng-loader``, the optional extra ``subpipe[align]``:
libespeak-ng 1.52 and the data of 114 languages, GPL-3.0), loaded with ctypes; nothing is fetched
at run time. eSpeak NG is not thread-safe, so calls are serialised with a lock. Its 22,050 Hz
output is resampled to 16 kHz by linear interpolation (the features alignment compares stop at 4 kHz).
"""

from __future__ import annotations

import ctypes
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


class SynthesisError(PipelineError):
    """eSpeak NG could not be loaded or could not speak."""


@cache
def _engine() -> tuple[ctypes.CDLL, int]:
    """The initialised library and its sample rate."""
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
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 500, espeakng_loader.get_data_path().encode(), 0)
    if rate <= 0:
        raise SynthesisError("eSpeak NG could not start (its data folder is missing?)")
    return lib, int(rate)


def voice_of(lang: str) -> str:
    """The eSpeak NG voice for a subpipe language tag."""
    return _VOICES.get(lang, lang.split("-")[0].lower())


@cache
def can_speak(lang: str) -> bool:
    """Whether eSpeak NG has a voice for ``lang``."""
    lib, _ = _engine()
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
    lib, rate = _engine()
    out = []
    chunks: list[npt.NDArray[np.int16]] = []

    def collect(wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if count > 0 and wav:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = _CALLBACK(collect)
    with _LOCK:
        lib.espeak_SetVoiceByName(voice_of(lang).encode())
        lib.espeak_SetSynthCallback(callback)
        for text in texts:
            chunks.clear()
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
