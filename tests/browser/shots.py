"""Screenshots for the manual: with ``SUBPIPE_SCREENSHOTS=DIR`` set, the browser tests save theirs there.

``make screenshots`` sets it to ``docs/img``; the PNGs are scaled to at most 1280x720 and written with
a reduced palette, so the committed pictures stay small.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from PIL import Image

MAX_SIZE = (1280, 720)


def save_screenshot(name: str, png: bytes | Path, crop_height: int | None = None) -> Path | None:
    """Save ``png`` (bytes or a file) as ``DIR/name`` when SUBPIPE_SCREENSHOTS names DIR; else do nothing."""
    folder = os.environ.get("SUBPIPE_SCREENSHOTS")
    if not folder:
        return None
    image = Image.open(BytesIO(png) if isinstance(png, bytes) else png).convert("RGB")
    if crop_height is not None:
        image = image.crop((0, 0, image.width, min(crop_height, image.height)))
    image.thumbnail(MAX_SIZE)
    out = Path(folder) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out


def write_fontconfig(out: Path) -> Path:
    """A fontconfig file that adds the fonts subpipe burns with to the system's, so that Chromium draws the
    review page's Korean, Japanese and Chinese captions in screenshots (Debian's chromium has no CJK font)."""
    from pipeline.media.fonts import FONTS

    dirs = sorted({str(spec.path.parent) for spec in FONTS.values()})
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
        "<fontconfig>",
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
        *(f"  <dir>{d}</dir>" for d in dirs),
        "</fontconfig>",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    import sys

    print(write_fontconfig(Path(sys.argv[1])))
