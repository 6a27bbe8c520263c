"""`subpipe align` (issue 23): a script timed from real recorded speech (tests/data/speech/real), a
passage missing from the script flagged, a tone and silence refused, and an untimed transcript in a
job (``align = true``) through `subpipe run` to burned cuts."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pipeline.cli.main import main
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.tts import can_speak

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realspeech import CLIP, SEGMENTS, end_of, start_of

LINES = [str(s["text"]) for s in SEGMENTS]


def _align(tmp_path: Path, lines: list[str], media: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    script, out = tmp_path / "script.txt", tmp_path / "transcript.json"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["align", str(script), str(media), "--lang", "en", "-o", str(out)])
    return code, capsys.readouterr().err, out


def test_lines_are_timed_from_real_speech(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, out = _align(tmp_path, LINES, CLIP, capsys)
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    got = doc["segments"]
    assert [s["text"]["en"] for s in got] == LINES and doc["source_language"] == "en"
    errors = np.abs([g[k] - t for g, i in zip(got, range(len(LINES)), strict=True)
                     for k, t in (("start_ms", start_of(i)), ("end_ms", end_of(i)))])  # fmt: skip
    # Measured (make eval has the table): median 50 ms here; the published words leave out an "uh"
    # (line 4 starts 370 ms early) and the cold voice drifts on two lines.
    assert np.median(errors) <= 60, errors
    assert np.count_nonzero(errors > 300) <= 2, errors
    assert all(s["end_ms"] > s["start_ms"] for s in got)


def test_a_passage_missing_from_the_script_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = 8  # "um i have a cold so this probably sounds ..." (7.5 s)
    code, err, out = _align(tmp_path, LINES[:missing] + LINES[missing + 1 :], CLIP, capsys)
    assert code == 0, err
    flagged = [line for line in err.splitlines() if "unscripted_speech" in line]
    assert flagged, err
    start, end = start_of(missing), end_of(missing)
    clock = [int(t[2:4]) * 60_000 + round(float(t[5:]) * 1000) for t in _clocks(flagged[-1])]
    assert clock[0] < end and clock[1] > start, (flagged, start, end)
    assert len(json.loads(out.read_text(encoding="utf-8"))["segments"]) == len(LINES) - 1


def _clocks(line: str) -> list[str]:
    """The two H:MM:SS.mmm clocks of a finding's message."""
    inside = line[line.rindex("(") + 1 : line.rindex(")")]
    return inside.split("-")


def test_a_tone_and_silence_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    media = tmp_path / "tone.wav"
    src = "sine=frequency=440:duration=3,apad=pad_dur=3"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", src, str(media)], check=True)
    code, err, out = _align(tmp_path, LINES[:2], media, capsys)
    assert code == 1 and "no speech found" in err and "nothing written" in err
    assert not out.exists()


def test_a_language_espeak_cannot_speak_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert can_speak("ja") and can_speak("zh-Hans") and not can_speak("xx")
    script = tmp_path / "s.txt"
    script.write_text("hello\n", encoding="utf-8")
    code = main(["align", str(script), str(CLIP), "--lang", "tlh", "-o", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2 and "not supported" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.render
def test_an_untimed_transcript_in_a_job_is_aligned_and_burned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = tmp_path / "clip.mp4"
    picture = ["-f", "lavfi", "-i", "color=c=gray:s=320x180:r=25:d=12", "-i", str(CLIP), "-t", "12"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(video)]
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", *picture, *encode], check=True)
    lines = [s for i, s in enumerate(SEGMENTS) if end_of(i) < 11_500]
    untimed = {
        "source_language": "en",
        "segments": [{"id": f"s{i}", "text": {"en": s["text"]}} for i, s in enumerate(lines)],
    }
    (tmp_path / "t.json").write_text(json.dumps(untimed), encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(
        f'video = "{video.as_posix()}"\ntranscript = "t.json"\nlanguages = ["en"]\nalign = true\n', encoding="utf-8"
    )
    code = main(["-q", "run", str(job)])
    err = capsys.readouterr().err
    assert code == 0, err
    (found,) = tmp_path.rglob("manifest.json")
    manifest = json.loads(found.read_text(encoding="utf-8"))
    assert manifest["failures"] == {}
    burned = [f for f in manifest["files"] if f["kind"] == "burned"]
    assert burned and all((found.parent / f["path"]).is_file() for f in burned)
    (srt,) = tmp_path.rglob("*.en.srt")
    assert srt.read_text(encoding="utf-8").count("-->") >= len(lines) - 1


def test_a_sound_set_apart_before_a_line_is_left_out_only_when_the_line_is_too_long() -> None:
    from pipeline.align.refine import trim_islands
    from pipeline.media.vad import Speech, spans_of

    flags = np.zeros(900, dtype=bool)
    flags[10:30] = True  # a 200 ms click, 1 s before the line
    flags[130:330] = True  # the line: 2 s
    flags[400:420] = True  # a short word, 300 ms before the rest of the next line
    flags[450:550] = True
    flags[600:800] = True
    speech = Speech(flags, spans_of(flags))
    # the lines' synthetic voices: 2 s, 1.5 s and 2 s, the audio's rate the same
    spans = [(10, 330), (400, 550), (600, 800)]
    assert trim_islands(spans, speech, [200, 150, 200]) == [(130, 330), (400, 550), (600, 800)]


def test_a_line_not_spoken_is_flagged_and_its_neighbours_keep_their_speech(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = "The quarterly report was filed with the regional office yesterday afternoon."
    # Between lines 1 and 2. With the speech detector that tells a music bed and a hiss from the voice,
    # the pauses around this clip's lines moved, and the confirmation (boundaries in pauses without the
    # line) now accepts the added line at positions 1 and 4 of 11 only (the skip search finds it at 9 of
    # 11); it flags no spoken line at any position (the margins).
    at = 1  # (at 4 the next line is the one whose published start leaves out an "uh": 370 ms off)
    code, err, out = _align(tmp_path, [*LINES[:at], extra, *LINES[at:]], CLIP, capsys)
    assert code == 0, err
    assert [ln for ln in err.splitlines() if "unspoken_line" in ln and f"line {at + 1} " in ln], err
    got = json.loads(out.read_text(encoding="utf-8"))["segments"]
    assert got[at]["align_confidence"] < 0.3
    spoken = got[:at] + got[at + 1 :]
    # the warping no longer spreads the unsaid line over them (before: 3-4 s off)
    for i in (at - 1, at):
        assert abs(spoken[i]["start_ms"] - start_of(i)) <= 300, (i, spoken[i], start_of(i))
        assert abs(spoken[i]["end_ms"] - end_of(i)) <= 300, (i, spoken[i], end_of(i))


def test_an_untimed_sheet_is_aligned_and_its_other_language_takes_the_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # one alignment: the layouts, errors and languages are tested at the parse level (test_align_script)
    rows = [f's{n},,,michael,"{line}","ligne {n}"' for n, line in enumerate(LINES, 1)]
    sheet, out = tmp_path / "script.csv", tmp_path / "transcript.json"
    sheet.write_text("\n".join(["id,start,end,speaker,en,fr", *rows]) + "\n", encoding="utf-8")
    assert main(["align", str(sheet), str(CLIP), "--lang", "en", "-o", str(out)]) == 0, capsys.readouterr().err
    got = json.loads(out.read_text(encoding="utf-8"))
    assert got["languages"] == ["en", "fr"]
    segs = got["segments"]
    assert [s["text"] for s in segs] == [{"en": line, "fr": f"ligne {n}"} for n, line in enumerate(LINES, 1)]
    assert {s["speaker"] for s in segs} == {"michael"} and [s["id"] for s in segs][:2] == ["s1", "s2"]
    assert abs(segs[0]["start_ms"] - start_of(0)) <= 100 and segs[-1]["end_ms"] > segs[-1]["start_ms"]


def test_a_boundary_moves_to_the_pause_that_fits_both_lines_lengths() -> None:
    from pipeline.align.refine import fit_to_pauses
    from pipeline.media.vad import Speech, spans_of

    flags = np.zeros(1200, dtype=bool)
    for a, b in ((0, 200), (230, 400), (500, 600), (630, 700), (800, 1000)):  # a 1 s pause at 400-500
        flags[a:b] = True
    speech = Speech(flags, spans_of(flags))
    # the warping put the second boundary in the 300 ms pause at 600-630, 1.3 s past the long one;
    # the lines' synthetic voices say 2 s, 1.7 s and 5 s
    spans = [(0, 200), (230, 600), (630, 1000)]
    assert fit_to_pauses(spans, speech, [200, 170, 500]) == [(0, 200), (230, 400), (500, 1000)]
    # lengths that fit where it is: it stays
    assert fit_to_pauses(spans, speech, [200, 370, 370]) == spans


def test_a_boundary_takes_a_long_pause_just_out_of_reach_unless_a_nearer_boundary_claims_it() -> None:
    from pipeline.align.gaps import snap_to_pauses
    from pipeline.media.vad import Speech, spans_of

    def speech(*runs: tuple[int, int]) -> Speech:
        flags = np.zeros(700, dtype=bool)
        for a, b in runs:
            flags[a:b] = True
        return Speech(flags, spans_of(flags))

    # French list reading: the warping put the boundary in a 240 ms pause; the phrase goes on to a
    # 950 ms pause 880 ms later (it stayed in the short one: 1.4 s off)
    heard = speech((0, 200), (224, 300), (395, 700))
    assert snap_to_pauses([(0, 200), (224, 700)], heard) == [(0, 300), (395, 700)]
    # the same long pause right at the next boundary: that one takes it, this one keeps its own
    heard = speech((0, 200), (230, 300), (380, 700))
    assert snap_to_pauses([(0, 200), (230, 370), (385, 700)], heard) == [(0, 200), (230, 300), (380, 700)]


def test_an_end_goes_on_over_a_short_dip_to_a_voiced_last_sound_but_not_to_a_breath() -> None:
    from pipeline.align.gaps import extend_ends
    from pipeline.align.voicing import band_levels

    rng = np.random.default_rng(7)
    t = np.arange(16_000) / 16_000
    voice = np.sin(2 * np.pi * 150 * np.arange(1, 20)[:, None] * t).T @ (1 / np.arange(1, 20))  # 150 Hz, harmonics

    def levels_of(
        tail: npt.NDArray[np.float64], at: int = 33_000
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        audio = rng.normal(0, 30, 48_000)  # room tone; the line at 1-2 s
        audio[16_000:32_000] += 6000 * voice
        audio[at : at + tail.size] += tail  # by default 60 ms after the line's end
        samples = audio.astype(np.int16)
        frames = samples[: samples.size // 160 * 160].astype(np.float32).reshape(-1, 160)
        return (10 * np.log10((frames**2).mean(axis=1) + 1)).astype(np.float32), band_levels(samples)

    # Spanish "por escrito": the weak last syllable 90 ms after the "to" (it ended 135 ms early)
    levels, bands = levels_of(600 * voice[:800])
    assert extend_ends([(100, 200)], levels)[0][1] < 205
    assert extend_ends([(100, 200)], levels, bands=bands)[0][1] >= 210
    # a breath as loud, 60 ms after the line: noise, as strong over 3.4 kHz as under 1 kHz
    levels, bands = levels_of(rng.normal(0, 2000, 800))
    assert extend_ends([(100, 200)], levels, bands=bands)[0][1] < 205
    # French "quarante six" after its "-rante": [s] 150 ms, [i] 50 ms, [s] 200 ms (was cut 300 ms on)
    six = np.concatenate((rng.normal(0, 1500, 2400), 1500 * voice[:800], rng.normal(0, 1500, 3200)))
    levels, bands = levels_of(six, at=32_000)
    assert extend_ends([(100, 200)], levels)[0][1] <= 230
    assert extend_ends([(100, 200)], levels, bands=bands)[0][1] >= 238


def test_a_line_is_spoken_the_same_whatever_was_spoken_before() -> None:
    from pipeline.media.tts import synthesize

    # eSpeak NG's pitch flutter carried over from one line to the next: lengths varied by 2-200
    # samples; what is left (a harmonic's sign, a static in its wave generator) is a 0.998 likeness
    forward = synthesize(LINES[:4], "en")
    backward = synthesize(LINES[3::-1], "en")[::-1]
    alone = [synthesize([line], "en")[0] for line in LINES[:4]]
    for a, b, c in zip(forward, backward, alone, strict=True):
        assert a.size == b.size == c.size
        assert min(np.corrcoef(a, b)[0, 1], np.corrcoef(a, c)[0, 1]) > 0.99


def test_two_unspoken_lines_in_a_row_flag_no_spoken_line() -> None:
    from pipeline.align.aligner import align_samples
    from pipeline.media.vad import decode_audio

    extra = [
        "The quarterly report was filed with the regional office yesterday afternoon.",
        "Please remember to water the plants on the balcony before you leave tonight.",
    ]
    lines = [*LINES[:5], *extra, *LINES[5:]]
    got = align_samples(decode_audio(CLIP), lines, "en")
    # a spoken line flagged tells the user to delete a real one: when unsure, nothing is flagged
    assert {k for k, line in enumerate(got.lines) if not line.spoken} <= {5, 6}


def test_too_long_to_warp_is_one_clear_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.align import dtw
    from pipeline.core.errors import InputError

    frames = np.zeros((dtw.COARSE * 6400, 2), dtype=np.float32)  # 6400 x 6400 coarse cells: 85 min each
    with pytest.raises(InputError, match="too long to align at once"):
        dtw.warp(frames, frames)
    monkeypatch.setattr(dtw, "MAX_COARSE_CELLS", 100)  # the clip, as if it were hours long
    code, err, out = _align(tmp_path, LINES, CLIP, capsys)
    assert code == 2 and "unexpected" not in err and str(CLIP) in err and "split the video" in err, err
    assert not out.exists()


def test_a_script_too_long_for_the_search_for_unsaid_lines_says_it_was_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.align import skips

    monkeypatch.setattr(skips, "MAX_CELLS", 100)  # the clip, as if it were over 5.3 minutes
    code, err, _ = _align(tmp_path, LINES, CLIP, capsys)
    assert code == 0 and "info: unspoken_search_not_run (audio): script lines the audio does not say" in err, err


def test_no_two_lines_overlap_once_placed() -> None:
    from pipeline.align.aligner import AlignedLine, Alignment
    from pipeline.align.refine import without_overlaps
    from pipeline.align.transcript import _findings, _placed
    from pipeline.ingest.script import Script

    # Mandarin under hiss: two boundaries left 10 ms on both sides of a pause's edge
    assert without_overlaps([(267, 425), (424, 652), (651, 1021)]) == [(267, 424), (424, 651), (651, 1021)]
    assert without_overlaps([(10, 50), (5, 8)]) == [(10, 11), (11, 12)]

    def said(a: int, b: int) -> AlignedLine:
        return AlignedLine(a, b, 1.0, True)

    unsaid = AlignedLine(75260, 75260, 0.0, False)
    # English under a loud hiss: no room at all between the lines around an unspoken one
    placed = _placed((said(70000, 75260), unsaid, said(75260, 77850)))
    assert placed[1][0] < placed[1][1] and placed[0][1] <= placed[1][0] and placed[1][1] <= placed[2][0], placed
    # two unspoken lines in a row share the pause, and a finding gives the time a line was placed at
    lines = (said(0, 1000), unsaid, unsaid, said(1150, 2000))
    placed = _placed(lines)
    assert all(a < b <= c for (a, b), (c, _) in itertools.pairwise(placed)), placed
    found = _findings(Alignment(lines, ()), Script({}, ("a", "b", "c", "d")))
    assert [f.start_ms for f in found] == [placed[1][0], placed[2][0]]


def test_an_output_that_is_a_folder_is_refused_before_aligning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script, folder = tmp_path / "s.txt", tmp_path / "out"
    script.write_text("hello\n", encoding="utf-8")
    folder.mkdir()
    code = main(["align", str(script), str(CLIP), "--lang", "en", "-o", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "is a folder" in err and "nothing written" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.txt"]  # no .out.<pid> left behind
    code = main(["align", str(script), str(CLIP), "--lang", "en", "-o", str(tmp_path / "no" / "t.json")])
    assert code == 2 and "does not exist" in capsys.readouterr().err
