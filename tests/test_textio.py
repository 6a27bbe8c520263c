from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.core.textio import read_text

KO = "1\n00:00:01,000 --> 00:00:02,000\n행정안전부\n"


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_certain_encodings_decode(tmp_path: Path, codec: str) -> None:
    p = tmp_path / "a.srt"
    data = KO.replace("\n", "\r\n").encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        data = "\ufeff".encode(codec) + data
    p.write_bytes(data)
    assert read_text(p) == KO


def test_cp949_needs_a_declared_encoding_and_names_a_guess(tmp_path: Path) -> None:
    p = tmp_path / "a.srt"
    p.write_bytes((KO * 5).encode("cp949"))
    with pytest.raises(InputError) as info:
        read_text(p)
    assert "not UTF-8" in info.value.problem and "--encoding" in info.value.problem
    assert info.value.line == 3
    assert read_text(p, "cp949") == KO * 5


def test_unknown_declared_encoding(tmp_path: Path) -> None:
    p = tmp_path / "a.srt"
    p.write_text(KO, encoding="utf-8")
    with pytest.raises(InputError, match="unknown encoding"):
        read_text(p, "klingon-8")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "nope.srt")
