from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import build_parser, main
from pipeline.ingest.subparse import read_subtitles
from pipeline.media.probe import probe


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    choices = sub.choices
    assert set(choices) == {
        *("run", "tracks", "burn", "mux", "doctor", "check", "sync", "convert", "cache", "studio", "align")
    }
    for name, p in choices.items():
        assert p.description and len(p.description) > 20, name


def test_python_m_pipeline_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "doctor" in done.stdout


def test_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "libass" in out and "font ko" in out and "BAD" not in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["burn"]) == 2
    assert main(["nonsense"]) == 2


def test_bad_subtitle_exits_2_with_file_and_line(
    tmp_path: Path, clip15: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.en.srt"
    bad.write_text("1\n00:00:01,000 --> 00:00:00,500\nhi\n", encoding="utf-8")
    out = tmp_path / "out.mp4"
    assert main(["-q", "burn", str(clip15), str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and "Traceback" not in err
    assert not out.exists()


def test_tracks_then_mux_via_cli(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> None:
    folder = tmp_path / "tracks"
    assert (
        main(
            [
                "tracks",
                str(clip15_transcript),
                "--lang",
                "en",
                "--lang",
                "fr",
                "-o",
                str(folder),
                "--video",
                str(clip15),
            ]
        )
        == 0
    )
    srts = sorted(folder.glob("*.srt"))
    assert [p.name for p in srts] == ["clip15.en.srt", "clip15.fr.srt"]
    # output name with spaces, quotes, a comma and Hangul
    target = tmp_path / "out dir" / "it's, 한국.mkv"
    assert main(["-q", "mux", str(clip15), *map(str, srts), "-o", str(target), "--default", "fr"]) == 0
    subs = probe(target).subtitle_streams()
    assert [(s.language, s.default) for s in subs] == [("eng", False), ("fre", True)]


def test_mux_without_a_language_is_usage_error(tmp_path: Path, clip15: Path) -> None:
    sub = tmp_path / "nolang.srt"
    sub.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n", encoding="utf-8")
    assert main(["-q", "mux", str(clip15), str(sub), "-o", str(tmp_path / "o.mkv")]) == 2


def test_public_api_names_resolve() -> None:
    import pipeline

    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, name
    with pytest.raises(AttributeError):
        _ = pipeline.no_such_name


@pytest.mark.parametrize(
    ("argv", "quiet", "verbose"),
    [
        (["burn", "v.mp4", "s.srt", "-o", "o.mp4"], False, False),
        (["-q", "burn", "v.mp4", "s.srt", "-o", "o.mp4"], True, False),
        (["burn", "v.mp4", "s.srt", "-o", "o.mp4", "--quiet"], True, False),
        (["burn", "--verbose", "v.mp4", "s.srt", "-o", "o.mp4", "-q"], True, True),
        (["-v", "check", "a.srt"], False, True),
    ],
)
def test_global_options_before_or_after_the_command(argv: list[str], quiet: bool, verbose: bool) -> None:
    args = build_parser().parse_args(argv)
    assert (args.quiet, args.verbose) == (quiet, verbose)


def test_run_json_prints_files_failures_and_qc(
    tmp_path: Path, clip15: Path, clip15_transcript: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    job = tmp_path / "job.toml"
    job.write_text(
        f'video = "{clip15.as_posix()}"\ntranscript = "{clip15_transcript.as_posix()}"\nlanguages = ["en", "ko"]\n'
        f'output_dir = "{(tmp_path / "out").as_posix()}"\n[outputs]\nburn = false\nmux = []\n',
        encoding="utf-8",
    )
    assert main(["run", str(job), "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == 1 and doc["ok"] is True
    (video,) = doc["videos"]
    assert {f["path"] for f in video["files"]} >= {"en/clip15.en.srt", "ko/clip15.ko.vtt"}
    assert set(video["qc"]) == {"en", "ko"} and video["qc"]["en"]["verdict"] in ("pass", "fail")
    assert video["failures"] == {} and Path(video["manifest"]).is_file()


def test_tracks_with_a_video_clip_cues_to_its_end(
    tmp_path: Path, clip15: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    transcript = tmp_path / "t.json"
    segments = [
        {"id": "a", "start_ms": 1000, "end_ms": 3000, "text": {"en": "Inside the video."}},
        {"id": "b", "start_ms": 13500, "end_ms": 17500, "text": {"en": "This one runs past the end."}},
        {"id": "c", "start_ms": 16000, "end_ms": 18000, "text": {"en": "This one starts after it."}},
    ]
    transcript.write_text(json.dumps({"segments": segments}), encoding="utf-8")
    out = tmp_path / "o"
    assert main(["-q", "tracks", str(transcript), "--lang", "en", "-o", str(out), "--video", str(clip15)]) == 0
    cues = read_subtitles(tmp_path / "o" / "clip15.en.srt", "en").cues
    end = probe(clip15).video_duration_ms
    assert len(cues) == 2 and cues[-1].end_ms <= end < 17500
