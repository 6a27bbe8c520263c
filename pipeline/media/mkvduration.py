"""The Segment ``Duration`` of a Matroska file that ffmpeg wrote from a source whose edit list hides a sound pre-roll.

ffmpeg copies such a sound into Matroska with a ``CodecDelay`` as long as the pre-roll and stores its blocks
that much later; the ``Duration`` it writes counts them there, so a 20 s clip with 1 s of hidden sound says
21 s (a player's seek bar runs a second past the end). :func:`lower_duration` writes the played end instead,
in place: the element keeps its size, and the Info element's CRC-32 is recomputed when it has one.
"""

from __future__ import annotations

import struct
from pathlib import Path

from pipeline.media.ebml import CRC32, EbmlFormatError, iter_bytes, with_crc
from pipeline.media.mkvlang import read_data, scan

INFO, DURATION, TIMESTAMP_SCALE = 0x1549A966, 0x4489, 0x2AD7B1
DEFAULT_SCALE_NS = 1_000_000


def lower_duration(path: Path, end_ms: int) -> bool:
    """Lower the ``Duration`` of the Matroska file at ``path`` to ``end_ms`` when it says more; whether it did.

    Raises:
        EbmlFormatError: when the file is not Matroska with one Info element.
        OSError: when it cannot be written.
    """
    with path.open("r+b") as f:
        infos = scan(f).find(INFO)
        if len(infos) != 1:
            raise EbmlFormatError(f"{len(infos)} Info elements (one expected)")
        data = read_data(f, infos[0])
        new = _lowered(data, end_ms)
        if new is None:
            return False
        f.seek(infos[0].data)
        f.write(new)
    return True


def _lowered(data: bytes, end_ms: int) -> bytes | None:
    """The Info element's data with its Duration lowered to ``end_ms`` (None when it is no longer)."""
    fields = {el.id: (el, body) for el, body in iter_bytes(data)}
    if DURATION not in fields or len(fields[DURATION][1]) not in (4, 8):
        return None
    el, body = fields[DURATION]
    scale = int.from_bytes(fields[TIMESTAMP_SCALE][1], "big") if TIMESTAMP_SCALE in fields else DEFAULT_SCALE_NS
    form = ">d" if len(body) == 8 else ">f"
    wanted = end_ms * 1_000_000 / scale
    if struct.unpack(form, body)[0] <= wanted:
        return None
    out = data[: el.data] + struct.pack(form, wanted) + data[el.end :]
    if out[:1] == bytes([CRC32]):
        crc, _ = next(iter_bytes(out))
        out = with_crc(out[crc.end :])
    return out
