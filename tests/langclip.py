"""A 1.5 s stream copy of a zoo source: cheap to burn, for tests that burn or mux many small tracks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import build_zoo, ffmpeg_exe


def short_clip(zoo_dir: Path, folder: Path, seconds: float = 1.5) -> Path:
    """The first ``seconds`` of the zoo's plain H.264/AAC 640x360 source, in ``folder``."""
    source = build_zoo(zoo_dir, ["steady_tone"])["steady_tone"]
    out = folder / "short.mp4"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(source), "-t", str(seconds), "-c", "copy"]
    subprocess.run([*argv, str(out)], check=True)
    return out
