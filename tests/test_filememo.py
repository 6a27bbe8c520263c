"""A reader remembered per file as it is on disk (probe and frame times use it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.core.filecache import memo_by_file


def test_a_file_is_read_once_until_it_changes_and_errors_are_not_remembered(tmp_path: Path) -> None:
    reads: list[str] = []

    @memo_by_file
    def read(path: Path) -> str:
        reads.append(path.name)
        return path.read_text(encoding="utf-8")

    f = tmp_path / "a.txt"
    f.write_text("one", encoding="utf-8")
    assert read(f) == read(f) == "one" and reads == ["a.txt"]
    f.write_text("two!", encoding="utf-8")  # another size and time
    assert read(f) == "two!" and len(reads) == 2
    os.utime(f, ns=(1, 1))  # same size, another time
    assert read(f) == "two!" and len(reads) == 3
    missing = tmp_path / "gone.txt"
    for _ in range(2):
        with pytest.raises(FileNotFoundError):
            read(missing)
    assert reads.count("gone.txt") == 2
    for i in range(70):  # more files than it keeps: the oldest are read again
        (tmp_path / f"{i}.txt").write_text(str(i), encoding="utf-8")
        read(tmp_path / f"{i}.txt")
    read(f)
    assert len(reads) == 5 + 70 + 1  # a.txt three times, gone.txt twice, the 70, a.txt again
