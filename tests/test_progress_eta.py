"""Issue 13: every encode's progress line shows how fast it goes and an honest ETA, not only chunked burns.

The monolithic burn (a rotated phone clip cannot be chunked) and the mux read fps, speed and the seconds
left from ffmpeg's ``-progress`` blocks: no ETA before there is a speed, 0 s on the finished line.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.cli.render_commands import ProgressBar
from pipeline.media.ffmpeg import EncodeRate, RateAware, _number, _ProgressReader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import BY_NAME, build_zoo, full_cues_srt

RATE = re.compile(r"(\d+) fps +(\d+\.\d)x ETA +(\d+)s")


class Terminal(io.StringIO):
    """A stderr that says it is a terminal (the bar then redraws on every ffmpeg progress block)."""

    def isatty(self) -> bool:
        return True


def _lines(text: str) -> list[str]:
    return [part.replace("\033[K", "") for part in re.split(r"[\r\n]", text) if part.strip()]


@pytest.mark.render
@pytest.mark.parametrize("command", ["burn", "mux"])
def test_the_monolithic_burn_and_the_mux_show_fps_speed_and_eta(
    zoo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    source = build_zoo(zoo_dir, ["phone_rotated"])["phone_rotated"]
    srt = tmp_path / "x.en.srt"
    srt.write_text(full_cues_srt(BY_NAME["phone_rotated"].duration), encoding="utf-8")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = tmp_path / ("out.mp4" if command == "burn" else "out.mkv")
    assert main([command, str(source), str(srt), "-o", str(out)]) == 0, terminal.getvalue()
    text = terminal.getvalue()
    lines = _lines(text)
    assert text.endswith("\n") and text.count("\n") == 1  # one line per encode, finished once
    final = RATE.search(lines[-1])
    assert "100%" in lines[-1] and final is not None, lines[-1]
    assert int(final.group(1)) > 0 and float(final.group(2)) > 0 and final.group(3) == "0"
    for line in lines[:-1]:  # an ETA only where there is a speed to derive it from
        assert ("ETA" in line) == (RATE.search(line) is not None), line


def test_an_eta_is_the_media_left_at_ffmpegs_speed_and_none_before_a_speed() -> None:
    seen: list[tuple[str, object]] = []

    class Recorder:
        def __call__(self, fraction: float) -> None:
            seen.append(("fraction", fraction))

        def rate(self, rate: EncodeRate) -> None:
            seen.append(("rate", rate))

    recorder = Recorder()
    assert isinstance(recorder, RateAware)
    reader = _ProgressReader(10_000_000, recorder)
    block = [b"fps=0.00\n", b"out_time_us=0\n", b"speed=N/A\n", b"progress=continue\n"]
    block += [b"frame=100\n", b"fps=50.0\n", b"out_time_us=4000000\n", b"speed=2.00x\n", b"progress=continue\n"]
    block += [b"fps=48.5\n", b"out_time_us=10000000\n", b"speed=2.1x\n", b"progress=end\n"]
    for raw in block:
        reader.line(raw)
    assert seen == [
        ("fraction", 0.0), ("rate", EncodeRate(0.0, 0.0, None)),
        ("fraction", 0.4), ("rate", EncodeRate(50.0, 2.0, 3.0)),
        ("fraction", 0.999), ("rate", EncodeRate(48.5, 2.1, 0.0)),  # 1.0 once ffmpeg has exited
    ]  # fmt: skip
    assert _number("N/A") == 0.0 and _number("-1") == 0.0 and _number(" 1.5x") == 1.5


def test_the_bar_shows_no_eta_before_a_rate_and_zero_at_the_end() -> None:
    out = Terminal()
    line = ProgressBar(out, width=10)("mux out.mkv")
    line(0.2)
    assert "ETA" not in out.getvalue() and "fps" not in out.getvalue()
    line.rate(EncodeRate(120.0, 4.8, None))  # type: ignore[attr-defined]
    line(0.5)
    line.rate(EncodeRate(125.0, 5.0, 7.4))  # type: ignore[attr-defined]
    line(1.0)
    drawn = _lines(out.getvalue())
    assert drawn[-2].endswith("125 fps   5.0x ETA    8s") and drawn[-1].endswith("125 fps   5.0x ETA    0s")
    assert "ETA" not in " ".join(drawn[:-2])  # a speed alone gives no ETA until ffmpeg says how much is left
    assert out.getvalue().count("\n") == 1


def test_a_pipe_gets_a_line_per_bar_step_not_per_ffmpeg_block() -> None:
    out = io.StringIO()
    line = ProgressBar(out, width=10)("burn")
    for i in range(1, 50):
        line.rate(EncodeRate(30.0, 1.0, 50 - i))  # type: ignore[attr-defined]
        line(i / 50)
    line(1.0)
    text = out.getvalue()
    assert "\r" not in text and 10 <= text.count("\n") <= 11 and "ETA    0s" in _lines(text)[-1]


def test_a_grouped_burns_label_lists_every_language_or_counts_them() -> None:
    # `make demo` showed `burn promo [en ko ja zh-Hans ar es fr ru [#####...`: cut inside its bracket, vi and id gone.
    out = io.StringIO()
    line = ProgressBar(out)("burn promo [en ko ja zh-Hans ar es fr ru vi id]")
    line(1.0)
    label = out.getvalue().split(" [#")[0]
    assert label.rstrip() == "burn promo [10 languages]" and len(label) == 40
    out = io.StringIO()
    line = ProgressBar(out)("burn promo [en ko ja zh-Hans ar]")
    line(1.0)
    assert out.getvalue().split(" [#")[0].rstrip() == "burn promo [en ko ja zh-Hans ar]"
