"""Burn-in fonts: which font each language uses, where its file is, and whether it covers a track.

The fonts arrive by pip (Noto, OFL-1.1). libass only uses a font from ``fontsdir`` when the style
names its family, so each font key maps to a file *and* the family name the ASS style must carry.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from pipeline.core.errors import FontCoverageError, UsageError
from pipeline.core.filecache import cache_root


@dataclass(frozen=True)
class FontSpec:
    """A font face: the package that ships it, its file, face index (TTC) and family name."""

    package: str
    filename: str
    face: int
    family: str

    @property
    def path(self) -> Path:
        """The font file on disk.

        Raises:
            UsageError: when the font package is not installed.
        """
        spec = importlib.util.find_spec(self.package)
        if spec is None or spec.origin is None:
            raise UsageError(f"font package {self.package!r} is not installed (pip install -e .)")
        return Path(spec.origin).parent / self.filename


FONTS: dict[str, FontSpec] = {
    "noto-sans": FontSpec("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf", 0, "Noto Sans"),
    "noto-sans-arabic": FontSpec(
        "fontpkg_noto_sans_arabic", "files/NotoSansArabic[wdth,wght].ttf", 0, "Noto Sans Arabic"
    ),
    "noto-sans-thai": FontSpec("fontpkg_noto_sans_thai", "files/NotoSansThai[wdth,wght].ttf", 0, "Noto Sans Thai"),
    "noto-sans-devanagari": FontSpec(
        "fontpkg_noto_sans_devanagari", "files/NotoSansDevanagari[wdth,wght].ttf", 0, "Noto Sans Devanagari"
    ),
    "noto-cjk-jp": FontSpec("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 0, "Noto Sans CJK JP"),
    "noto-cjk-kr": FontSpec("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 1, "Noto Sans CJK KR"),
    "noto-cjk-sc": FontSpec("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    "noto-cjk-tc": FontSpec("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 3, "Noto Sans CJK TC"),
    "noto-cjk-hk": FontSpec("noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc", 4, "Noto Sans CJK HK"),
}


def font_spec(key: str) -> FontSpec:
    """The font registered under ``key``.

    Raises:
        UsageError: for an unknown key.
    """
    try:
        return FONTS[key]
    except KeyError:
        raise UsageError(f"unknown font {key!r}; known: {', '.join(sorted(FONTS))}") from None


@functools.lru_cache(maxsize=16)
def _cmap(path: str, face: int) -> frozenset[int]:
    """The code points ``path``'s face maps, remembered on disk (parsing a CJK cmap costs ~0.1 s)."""
    memo = _cmap_memo(Path(path), face)
    with contextlib.suppress(OSError, ValueError, TypeError):
        runs = json.loads(memo.read_text(encoding="ascii"))
        return frozenset(cp for first, last in runs for cp in range(first, last + 1))
    if path.lower().endswith((".ttc", ".otc")):
        font = TTCollection(path, lazy=True).fonts[face]
    else:
        font = TTFont(path, lazy=True, fontNumber=face)
    points = frozenset(font.getBestCmap())
    with contextlib.suppress(OSError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        staged = memo.with_name(f".{memo.name}.{os.getpid()}")
        staged.write_text(json.dumps(_runs(sorted(points))), encoding="ascii")
        os.replace(staged, memo)
    return points


def _cmap_memo(path: Path, face: int) -> Path:
    stat = path.stat()
    ident = hashlib.sha256(f"cmap:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{face}".encode()).hexdigest()
    return cache_root() / "cmaps" / f"{ident[:32]}.json"


def _runs(points: list[int]) -> list[list[int]]:
    """Sorted code points as ``[first, last]`` runs."""
    runs: list[list[int]] = []
    for cp in points:
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return runs


def _needs_glyph(ch: str) -> bool:
    # Line breaks, format controls (bidi marks, ZWJ) and spaces are not drawn from the font.
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")


def missing_chars(spec: FontSpec, texts: Iterable[str]) -> list[str]:
    """The characters of ``texts`` that ``spec``'s font has no glyph for, sorted."""
    cmap = _cmap(str(spec.path), spec.face)
    used = {ch for text in texts for ch in text if _needs_glyph(ch)}
    return sorted(ch for ch in used if ord(ch) not in cmap)


def check_coverage(lang: str, key: str, texts: Iterable[str]) -> None:
    """Refuse a track whose characters its font cannot draw.

    Raises:
        FontCoverageError: naming the missing characters.
    """
    spec = font_spec(key)
    missing = missing_chars(spec, texts)
    if missing:
        raise FontCoverageError(lang, spec.family, missing)


def make_fontsdir(folder: Path, keys: Iterable[str]) -> Path:
    """A folder holding (links to) the font files of ``keys``, for libass's ``fontsdir``."""
    folder.mkdir(parents=True, exist_ok=True)
    for key in sorted(set(keys)):
        src = font_spec(key).path
        dest = folder / src.name
        if not dest.exists():
            try:
                os.symlink(src, dest)
            except OSError:  # e.g. a file system without links
                dest.write_bytes(src.read_bytes())
    return folder
