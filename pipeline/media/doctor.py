"""What this machine can do: the ffmpeg found, its libass and libx264, a font for each language."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from pipeline.core.errors import PipelineError
from pipeline.core.profiles import KNOWN_LANGUAGES, get_profile
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.fonts import font_spec


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


def _ffmpeg_lists(exe: str) -> tuple[str, str, str]:
    def run(*args: str) -> str:
        done = subprocess.run([exe, "-hide_banner", *args], capture_output=True, text=True, timeout=30, check=False)
        return done.stdout + done.stderr

    return run("-version"), run("-filters"), run("-encoders")


def _words(listing: str) -> set[str]:
    # ffmpeg lists one item per line: "flags  name  description"; the name is the second word.
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            names.add(parts[1])
    return names


def diagnose() -> list[Check]:
    """Check ffmpeg, its filters and encoders, and every language's font."""
    checks: list[Check] = []
    try:
        exe = ffmpeg_exe()
    except PipelineError as exc:
        return [Check("ffmpeg", False, str(exc))]
    version, filters, encoders = _ffmpeg_lists(exe)
    first = version.splitlines()[0] if version else "?"
    checks.append(Check("ffmpeg", bool(version), f"{exe} ({first})"))
    filter_names = _words(filters)
    checks.append(Check("libass (subtitles filter)", "subtitles" in filter_names, "needed to burn"))
    checks.append(Check("libx264 encoder", "libx264" in _words(encoders), "needed to burn"))
    for tag in KNOWN_LANGUAGES:
        profile = get_profile(tag)
        try:
            spec = font_spec(profile.font)
            path = spec.path
            checks.append(Check(f"font {tag}", path.is_file(), f"{spec.family} ({path.name})"))
        except PipelineError as exc:
            checks.append(Check(f"font {tag}", False, str(exc)))
    return checks
