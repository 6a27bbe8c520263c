"""Language profiles: the per-language rules for building, checking and burning tracks.

The profiles are data, in ``profiles.toml`` beside this module. A job file may override any field
of any language. A tag takes the profile BCP 47 matching gives it (``zh-TW`` -> ``zh-Hant``, ``en-US``
-> ``en``; :mod:`pipeline.core.langtags`) and keeps its full spelling as the profile's ``tag``; a
regional table (``[pt-BR]``) holds only what differs from its language's. An unknown language gets
the ``[default]`` profile, its ISO 639-2 code from ``langcodes``, and a warning in the log (once).
"""

from __future__ import annotations

import dataclasses
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pipeline.core.errors import UsageError
from pipeline.core.langtags import ENGLISH_NAMES, find_key, has_region, parse_tag, standard_tag, suggestion
from pipeline.core.langtags import iso639_2b as iso639_2b

logger = logging.getLogger(__name__)

_CJK_COUNT = "cjk"


@dataclass(frozen=True)
class Profile:
    """The rules of one language. Times in ms, lengths in counted characters.

    ``tag`` is the language's full tag as given (``zh-TW``), ``key`` the profiles.toml table whose
    rules it follows (``zh-Hant``; ``default`` when none).
    """

    tag: str
    key: str
    name: str
    iso639_2: str
    script: str
    direction: str
    max_line_chars: int
    max_lines: int
    max_cps: float
    count: str
    min_duration_ms: int
    max_duration_ms: int
    min_gap_frames: int
    breaking: str
    font: str
    font_scale: float
    rtl_marks: bool
    chain_frames: int
    extend_frames: int
    sc_zone_frames: int
    sc_red_frames: int

    @property
    def is_cjk_count(self) -> bool:
        """Whether half-width characters count 0.5 (ko, ja, zh)."""
        return self.count == _CJK_COUNT

    @property
    def rtl(self) -> bool:
        """Whether the language is written right to left."""
        return self.direction == "rtl"


_FIELDS = {f.name for f in dataclasses.fields(Profile)}
# ``tag`` and ``key`` are set by subpipe (the language asked for, the table it follows): not a job's to override.
OVERRIDABLE = _FIELDS - {"tag", "key"}


def _load_table() -> dict[str, dict[str, Any]]:
    text = resources.files("pipeline.core").joinpath("profiles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


_TABLE = _load_table()
KNOWN_LANGUAGES: tuple[str, ...] = tuple(k for k in _TABLE if k != "default")
# A language's own table first, its regional ones after: on a tie the language's own wins.
_KEYS = tuple(k for k in KNOWN_LANGUAGES if not has_region(k)) + tuple(k for k in KNOWN_LANGUAGES if has_region(k))
_NAMES = {**ENGLISH_NAMES, **{str(_TABLE[k]["name"]).lower(): k for k in KNOWN_LANGUAGES}}
_warned: set[str] = set()


def canonical_tag(tag: str) -> str:
    """A language tag in its standard case (``zh-hans`` -> ``zh-Hans``, ``zh_TW`` -> ``zh-TW``), kept as
    given otherwise (``tl`` stays ``tl``: the profile lookup standardizes it to ``fil`` itself).

    Raises:
        UsageError: when the tag is not a valid language tag (a language's name suggests its tag).
    """
    return parse_tag(tag, _NAMES)


def suggest_tag(word: str) -> str | None:
    """The tag a language's name stands for (``english`` -> ``en``, ``한국어`` -> ``ko``), None if none."""
    return suggestion(word, _NAMES)


def language_scripts() -> dict[str, str]:
    """Each language profile's tag and script (regional tables write their language's script)."""
    return {k: str(_table_fields(k)["script"]) for k in _KEYS if not has_region(k)}


def _table_fields(key: str) -> dict[str, Any]:
    """The fields of table ``key``: the default's, its language's (for a regional table), its own."""
    fields: dict[str, Any] = dict(_TABLE["default"])
    base = find_key(key, [k for k in _KEYS if not has_region(k)]) if has_region(key) else None
    if base is not None and base != key:
        fields.update(_TABLE[base])
    fields.update(_TABLE[key])
    return fields


def get_profile(tag: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    """The profile of ``tag`` (its full tag kept), with ``overrides`` (field -> value) applied.

    Raises:
        UsageError: on an invalid tag or an override naming an unknown field.
    """
    full = canonical_tag(tag)
    key = find_key(standard_tag(full), _KEYS)  # tl: fil's rules, iw: he's
    if key is not None:
        fields = _table_fields(key)
    else:
        if full not in _warned:
            _warned.add(full)
            logger.warning("no language profile for %r: using the default profile", full)
        fields = dict(_TABLE["default"], iso639_2=iso639_2b(full), name=full)
    if overrides:
        unknown = sorted(set(overrides) - OVERRIDABLE)
        if unknown:
            raise UsageError(f"unknown profile field(s) for {full!r}: {', '.join(unknown)}")
        fields.update(overrides)
    fields["tag"], fields["key"] = full, key or "default"
    return Profile(**{name: fields[name] for name in _FIELDS})
