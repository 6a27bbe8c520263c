"""Language profiles: the per-language rules for building, checking and burning tracks.

The profiles are data, in ``profiles.toml`` beside this module. A job file may override any field
of any language; an unknown language gets the ``[default]`` profile, its ISO 639-2 code from
``langcodes``, and a warning in the log.
"""

from __future__ import annotations

import dataclasses
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import langcodes

from pipeline.core.errors import UsageError

logger = logging.getLogger(__name__)

_CJK_COUNT = "cjk"


@dataclass(frozen=True)
class Profile:
    """The rules of one language. Times in ms, lengths in counted characters."""

    tag: str
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


def _load_table() -> dict[str, dict[str, Any]]:
    text = resources.files("pipeline.core").joinpath("profiles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


_TABLE = _load_table()
KNOWN_LANGUAGES: tuple[str, ...] = tuple(k for k in _TABLE if k != "default")


def canonical_tag(tag: str) -> str:
    """Normalise a BCP 47 tag to the spelling the profiles use (``zh-hans`` -> ``zh-Hans``).

    Raises:
        UsageError: when the tag is not a valid language tag.
    """
    if not tag or not langcodes.tag_is_valid(tag):
        raise UsageError(f"not a valid BCP 47 language tag: {tag!r}")
    lowered = {k.lower(): k for k in KNOWN_LANGUAGES}
    return lowered.get(tag.lower(), langcodes.standardize_tag(tag))


def iso639_2b(tag: str) -> str:
    """The 3-letter ISO 639-2/B code of a tag (``fr`` -> ``fre``), ``und`` when unknown."""
    try:
        return str(langcodes.Language.get(tag).to_alpha3(variant="B"))
    except (LookupError, ValueError):
        return "und"


def get_profile(tag: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    """The profile of ``tag``, with ``overrides`` (field -> value) applied.

    Raises:
        UsageError: on an invalid tag or an override naming an unknown field.
    """
    key = canonical_tag(tag)
    fields: dict[str, Any] = dict(_TABLE["default"])
    if key in _TABLE:
        fields.update(_TABLE[key])
    else:
        logger.warning("no language profile for %r: using the default profile", key)
        fields["iso639_2"] = iso639_2b(key)
        fields["name"] = key
    if overrides:
        unknown = sorted(set(overrides) - _FIELDS)
        if unknown:
            raise UsageError(f"unknown profile field(s) for {key!r}: {', '.join(unknown)}")
        fields.update(overrides)
    fields["tag"] = key
    return Profile(**{name: fields[name] for name in _FIELDS})
