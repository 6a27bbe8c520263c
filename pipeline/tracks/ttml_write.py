"""Writing TTML: the plain TTML1 profile (``ttml``) and the IMSC 1.1 Text Profile (``imsc``).

Both carry the language (``xml:lang``), the video's frame rate and a media time base, line breaks
(``<br/>``) and where each cue sits: three regions (top, middle, bottom of the title-safe 80 %, each
with its ``tts:extent``, as IMSC requires) and the text aligned start, centre or end. With a frame
rate, times are frame counts (``25f``), exact at 30000/1001; without one, clock times in ms.
IMSC 1.1 adds its ``ttp:contentProfiles`` designator; TTML1 declares none (Netflix's "TTML1").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from pipeline.core.timecode import ms_to_frame
from pipeline.tracks.delivery import Placed

PROFILES = {"ttml": "TTML1", "imsc": "IMSC 1.1 Text"}
IMSC11_TEXT = "http://www.w3.org/ns/ttml/profile/imsc1.1/text"
_REGIONS = {"top": "before", "middle": "center", "bottom": "after"}  # region -> tts:displayAlign
_TEXT_ALIGN = {0: "start", 1: "center", 2: "end"}


def _region(align: int) -> str:
    return "top" if align >= 7 else "middle" if align >= 4 else "bottom"


def _clock(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _times(cue: Placed, fps: Fraction | None) -> tuple[str, str, bool]:
    """``begin`` and ``end`` of a cue, and whether it was lengthened: with a frame rate, a cue shorter than
    a frame would begin and end on one frame (shown never), so it lasts one."""
    if not fps:
        return _clock(cue.start_ms), _clock(cue.end_ms), False
    first, last = ms_to_frame(cue.start_ms, fps), ms_to_frame(cue.end_ms, fps)
    return f"{first}f", f"{max(last, first + 1)}f", last <= first


def _rate(fps: Fraction) -> str:
    """``ttp:frameRate`` (an integer) and, when the rate is not whole, ``ttp:frameRateMultiplier``."""
    whole = round(fps)
    multiplier = fps / whole
    extra = "" if multiplier == 1 else f' ttp:frameRateMultiplier="{multiplier.numerator} {multiplier.denominator}"'
    return f' ttp:frameRate="{whole}"{extra}'


def _head(profile: str) -> str:
    regions = "".join(
        f'      <region xml:id="{name}" tts:origin="10% 10%" tts:extent="80% 80%" tts:displayAlign="{display}"/>\n'
        for name, display in _REGIONS.items()
    )
    styling = '      <style xml:id="s" tts:fontFamily="proportionalSansSerif" tts:fontSize="100%"/>\n'
    return f"  <head>\n    <styling>\n{styling}    </styling>\n    <layout>\n{regions}    </layout>\n  </head>\n"


def compose_ttml(
    cues: Sequence[Placed],
    lang: str,
    fps: Fraction | None = None,
    profile: str = "ttml",
    dropped: Counter[str] | None = None,
) -> str:
    """A TTML document of ``cues`` in ``lang``: ``profile`` ``ttml`` (TTML1) or ``imsc`` (IMSC 1.1 Text).

    ``fps`` is the video's frame rate (``ttp:frameRate``, times in frames); None writes clock times.
    ``dropped`` counts the cues shorter than a frame, lengthened to one.
    """
    from xml.sax.saxutils import escape, quoteattr  # here: it imports urllib.request (~30 ms) on every run otherwise

    dropped = Counter() if dropped is None else dropped
    signal = f' ttp:contentProfiles="{IMSC11_TEXT}"' if profile == "imsc" else ""
    rate = _rate(fps) if fps else ""
    root = (
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"'
        ' xmlns:tts="http://www.w3.org/ns/ttml#styling" xmlns:ttm="http://www.w3.org/ns/ttml#metadata"'
        f' xml:lang={quoteattr(lang)} ttp:timeBase="media"{rate}{signal}>\n'
    )
    body = []
    for n, cue in enumerate(cues, start=1):
        text = "<br/>".join(escape(line) for line in cue.lines)
        begin, end, lengthened = _times(cue, fps)
        dropped["cues shorter than a frame lengthened to one"] += lengthened
        body.append(
            f'      <p xml:id="c{n}" begin="{begin}" end="{end}"'
            f' region="{_region(cue.align)}" tts:textAlign="{_TEXT_ALIGN[(cue.align - 1) % 3]}">{text}</p>\n'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + root
        + _head(profile)
        + '  <body style="s">\n    <div>\n'
        + "".join(body)
        + "    </div>\n  </body>\n</tt>\n"
    )
