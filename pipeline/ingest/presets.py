"""Delivery presets: ``preset = "<name>"`` in a job picks the outputs and the rules a destination asks for.

Keys the job sets itself (``[outputs] formats``, ``burn``, ``mux``, ``hls``; ``[profile.<lang>]``) win
over the preset's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    """What a preset writes (``[outputs]`` keys) and the rules it sets under every language's profile."""

    outputs: Mapping[str, Any]
    rules: Mapping[str, Any] = field(default_factory=dict)
    what: str = ""


PRESETS: dict[str, Preset] = {
    "streaming": Preset(
        {"formats": ["imsc"], "burn": False, "mux": [], "hls": False},
        what="IMSC 1.1 Text per language; each language's own reading speed (its profile)",
    ),
    "youtube": Preset(
        {"formats": ["srt"], "burn": True, "mux": [], "hls": False},
        what="SRT per language and the burned cut",
    ),
    "broadcast-us": Preset(
        {"formats": ["scc"], "burn": False, "mux": [], "hls": False},
        {"max_line_chars": 32},
        what="SCC (CEA-608) per language, lines of at most 32 characters",
    ),
    "broadcast-eu": Preset(
        {"formats": ["stl"], "burn": False, "mux": [], "hls": False},
        {"max_line_chars": 40, "max_lines": 2},
        what="EBU-STL per language, at most 2 rows of 40 characters (a teletext row)",
    ),
    "web": Preset(
        {"formats": ["vtt"], "burn": False, "mux": [], "hls": True},
        what="WebVTT per language and one HLS package with every language (<name>/hls/master.m3u8)",
    ),
}
