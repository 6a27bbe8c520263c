"""Issue 9, item 12: after a group burn fails, only languages the shared ffmpeg run may have failed are
burned again alone. The burn step is replaced by a recorder (the thing under test is the retry rule)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import pipeline.batch.run as run
from pipeline.core.errors import FfmpegError, VerifyError
from pipeline.ingest.job import parse_job


def _job(tmp_path: Path, clip: Path, transcript: Path) -> Any:
    text = (
        f'output_dir = "{tmp_path / "out"}"\n[[videos]]\nname = "clip"\nvideo = "{clip}"\n'
        f'transcript = "{transcript}"\nlanguages = ["en", "fr", "es"]\n'
        "[outputs]\nmux = []\nreview = false\n[render]\nburn_group = 3\n"  # the cuts are fakes: no review
    )
    return parse_job(text, tmp_path / "job.toml")


def _recorder(calls: list[list[str]], fail: str) -> Any:
    def fake(video: Path, media: Any, items: Sequence[tuple[Any, Path]], *args: Any) -> list[Path | VerifyError]:
        tags = [item.profile.tag for item, _ in items]
        calls.append(tags)
        if fail == "ffmpeg" and len(tags) > 1:
            raise FfmpegError(["ffmpeg"], 1, "", "boom")
        out: list[Path | VerifyError] = []
        for (_item, target), tag in zip(items, tags, strict=True):
            if fail == "verify" and tag == "fr":
                out.append(VerifyError(target, ["subtitle text missing at 1000 ms"]))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"cut")
                out.append(target)
        return out

    return fake


def test_a_language_failing_its_own_verification_is_not_burned_again(
    tmp_path: Path, clip15: Path, clip15_transcript: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(run, "burn_tracks_each", _recorder(calls, "verify"))
    result = run.run_job(_job(tmp_path, clip15, clip15_transcript)).videos[0]
    assert calls == [["en", "fr", "es"]]
    assert list(result.failures) == ["fr/burn"] and "text missing" in result.failures["fr/burn"]
    assert sorted(e.language for e in result.entries if e.kind == "burned") == ["en", "es"]


def test_a_shared_ffmpeg_failure_retries_each_language_alone(
    tmp_path: Path, clip15: Path, clip15_transcript: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(run, "burn_tracks_each", _recorder(calls, "ffmpeg"))
    result = run.run_job(_job(tmp_path, clip15, clip15_transcript)).videos[0]
    assert calls == [["en", "fr", "es"], ["en"], ["fr"], ["es"]]
    assert result.ok
