from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.batch.preflight import input_problems
from pipeline.batch.run import run_job
from pipeline.batch.steps import style_for
from pipeline.cli.main import main
from pipeline.core.errors import InputError, InputProblemsError
from pipeline.core.langtags import merged_table
from pipeline.core.profiles import get_profile
from pipeline.ingest.job import load_job, parse_job
from pipeline.ingest.jobkeys import OUTPUTS_KEYS, PROFILE_KEYS, RENDER_KEYS, STYLE_KEYS, VIDEO_KEYS

ROOT = Path(__file__).resolve().parents[1]


def test_smallest_job(tmp_path: Path) -> None:
    job = parse_job('video = "clip.mp4"\ntranscript = "clip.json"\nlanguages = ["en", "ko"]\n', tmp_path / "job.toml")
    (v,) = job.videos
    assert v.name == "clip" and v.video == tmp_path / "clip.mp4" and v.default_language == "en"
    # burn and mux not named: None, the defaults that adapt to each source (pipeline.batch.defaults)
    assert job.outputs.burn is None and job.outputs.mux is None and job.output_dir == tmp_path / "output"


def test_embedded_default_job_parses() -> None:
    job = load_job(ROOT / "subpipe.toml")
    assert job.videos[0].languages == ("en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id")
    assert job.videos[0].video is not None and job.videos[0].video.is_file()
    assert job.videos[0].transcript.is_file()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("languages = [", "invalid TOML"),
        ('transcript = "t.json"\n', "the top level has 'transcript' but no 'languages'"),
        ('transcript = "t.json"\nlanguages = []\n', "empty"),
        ('transcript = "t.json"\nlanguages = ["en"]\ndefault_language = "ko"\n', "not in languages"),
        ('transcript = "t.json"\nlanguages = ["en"]\n[outputs]\nmux = ["avi"]\n', "not among"),
        ('transcript = "t.json"\nlanguages = ["en"]\n[render]\ncrf = "high"\n', "expected an integer"),
        ("", "no video"),
    ],
    ids=["syntax", "no-languages", "empty-languages", "bad-default", "bad-container", "bad-crf", "empty"],
)
def test_bad_jobs(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(InputError) as info:
        parse_job(text, tmp_path / "job.toml")
    assert problem in str(info.value) and info.value.path == str(tmp_path / "job.toml")


# --- unknown keys, types and required keys: every problem with its line -----------------------------

TYPOS = """\
output_dri = "out"

[[videos]]
transcript = "t.json"
langauges = ["en", "ko"]

[outputs]
fromats = ["srt"]
burm = false

[rendr]
crf = 20
"""


def test_every_typo_is_refused_with_its_line_and_the_closest_key(tmp_path: Path) -> None:
    with pytest.raises(InputProblemsError) as info:
        parse_job(TYPOS, tmp_path / "job.toml")
    assert info.value.problems == [
        (1, "unknown key 'output_dri' (did you mean 'output_dir'?)"),
        (3, "[[videos]] #1 has no 'languages'"),
        (5, "unknown key 'langauges' in [[videos]] #1 (did you mean 'languages'?)"),
        (8, "unknown key 'fromats' in [outputs] (did you mean 'formats'?)"),
        (9, "unknown key 'burm' in [outputs] (did you mean 'burn'?)"),
        (11, "unknown table [rendr] (did you mean [render]?)"),
    ]
    assert str(info.value).startswith(f"{tmp_path / 'job.toml'}:1: unknown key 'output_dri'")


def test_a_job_with_typos_exits_2_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.toml"
    job.write_text(TYPOS, encoding="utf-8")
    assert main(["-q", "run", str(job)]) == 2
    err = capsys.readouterr().err
    for line, key in [(1, "output_dri"), (5, "langauges"), (8, "fromats"), (9, "burm")]:
        assert f"{job}:{line}: unknown key '{key}'" in err
    assert f"{job}:11: unknown table [rendr]" in err and "Traceback" not in err
    assert not (tmp_path / "output").exists() and not (tmp_path / "out").exists()


_SMALL = 'transcript = "t.json"\nlanguages = ["en", "ja"]\n'


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (_SMALL + "profile.ja.max_cpss = 3\n", 3, "unknown key 'max_cpss' in [profile.ja] (did you mean 'max_cps'?)"),
        ('"langauges" = ["en"]\ntranscript = "t"\nlanguages = ["en"]\n', 1, "unknown key 'langauges'"),
        (_SMALL + '[style."ja"]\n"font sise" = 3\n', 4, "unknown key 'font sise' in [style.ja] (did you mean"),
        (_SMALL + "outputs = { review = true, burm = true }\n", 3, "unknown key 'burm' in [outputs]"),
        (
            _SMALL + 'name = """\nfromats = 1\n[rendr]\n"""\nx = [\n  "]", # ]\n]\n[outputs]\nfromats = []\n',
            11,
            "unknown key 'fromats' in [outputs]",
        ),
        (_SMALL + "[style.en]\nmax_cps = 3\n", 4, "unknown key 'max_cps' in [style.en] (valid: bold, font_size,"),
        (
            _SMALL + "[profile.en]\nfont_size = 3\n",
            4,
            "'font_size' belongs in [style] or [style.<lang>]",
        ),
        (_SMALL + "[profile.en]\ntag = 'en-GB'\n", 4, "unknown key 'tag' in [profile.en]"),
        (_SMALL + "[profile.en]\nkey = 'fr'\n", 4, "unknown key 'key' in [profile.en]"),
        (_SMALL + '[outputs]\nburn = false\noutput_dir = "x"\n', 5, "'output_dir' belongs at the top level, above"),
        (_SMALL + "burn = false\n", 3, "unknown key 'burn' ('burn' belongs in [outputs])"),
        (_SMALL + "[profile]\nmax_cps = 3\n", 4, "put it in [profile.<lang>]"),
        (
            _SMALL + "[profile.jp]\nmax_cps = 3\n",
            3,
            "[profile.jp] names no language of this job (did you mean [profile.ja]",
        ),
        (_SMALL + "[outputs.x]\n", 3, "unknown table [outputs.x] in [outputs]"),
        (
            _SMALL + '[[videos]]\ntranscript = "b"\nlanguages = ["ko"]\n\n[[videos]]\nvideo = "c.mp4"\n',
            7,
            "[[videos]] #2 has no 'transcript'",
        ),
        (_SMALL + '[[videos]]\ntranscript = "b"\nlanguages = ["ko"]\nlangauges = 1\n', 6, "in [[videos]] #1 (did you"),
        (_SMALL + "[videos]\n", 3, "'videos': expected an array of tables ([[videos]]), got a table"),
        ('[[vidoes]]\ntranscript = "t"\n', 1, "unknown table [[vidoes]] (did you mean [[videos]]?)"),
    ],
    ids=[
        "dotted",
        "quoted-key",
        "quoted-table",
        "inline-table",
        "after-multiline-values",
        "style-lang-checks-style-fields",
        "profile-lang-checks-profile-fields",
        "profile-tag",
        "profile-key",
        "misplaced-below-a-table",
        "misplaced-at-top",
        "profile-without-lang",
        "lang-table-typo",
        "unknown-subtable",
        "videos-missing-transcript",
        "videos-2nd-table",
        "videos-not-array",
        "videos-typo",
    ],
)
def test_each_problem_names_its_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    with pytest.raises(InputProblemsError) as info:
        parse_job(text, tmp_path / "job.toml")
    assert any(at == line and problem in said for at, said in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (_SMALL + "[style.ja]\nbold = 1\n", 4, "'bold' in [style.ja]: expected true or false, got 1"),
        (_SMALL + "[profile.ja]\nmax_cps = 'fast'\n", 4, "'max_cps' in [profile.ja]: expected a number, got 'fast'"),
        (_SMALL + "[profile.ja]\nmax_lines = 2.5\n", 4, "'max_lines' in [profile.ja]: expected an integer, got 2.5"),
        (_SMALL + "lenient = 'yes'\n", 3, "'lenient' at the top level: expected true or false, got 'yes'"),
        (_SMALL + "[outputs]\nformats = 'srt'\n", 4, "'formats' in [outputs]: expected a list of strings, got 'srt'"),
        (_SMALL + "render = 5\n", 3, "'render': expected a table ([render]), got 5"),
    ],
    ids=["style-bool", "profile-float", "profile-int", "video-bool", "list", "table"],
)
def test_wrong_types_name_key_line_and_expected_type(tmp_path: Path, text: str, line: int, problem: str) -> None:
    with pytest.raises(InputProblemsError) as info:
        parse_job(text, tmp_path / "job.toml")
    assert info.value.problems == [(line, problem)]


def test_a_job_with_every_key_of_every_table_parses(tmp_path: Path) -> None:
    """The job file page's example with every table is a valid job, and it shows every key the schema knows."""
    page = (ROOT / "docs" / "job-file.md").read_text(encoding="utf-8")
    block = page.split("A job with every table:\n\n```toml\n", 1)[1].split("```", 1)[0]
    job = parse_job(block, tmp_path / "job.toml")
    assert job.videos[0].name == "promo" and job.render.burn_group == 5 and job.style["ar"]["font_size"] == 48
    assert job.profiles["ja"]["max_cps"] == 5.0
    for key in [*VIDEO_KEYS, *OUTPUTS_KEYS, *RENDER_KEYS, *STYLE_KEYS, "output_dir"]:
        assert f"\n{key} = " in "\n" + block, key
    every_field = "".join(f"{key} = {_sample(key)}\n" for key in PROFILE_KEYS)
    profile = parse_job(_SMALL + "[profile.ja]\n" + every_field, tmp_path / "job.toml")
    assert set(profile.profiles["ja"]) == set(PROFILE_KEYS) and "tag" not in PROFILE_KEYS


def _sample(key: str) -> str:
    kind = PROFILE_KEYS[key]
    return {"a string": '"x"', "an integer": "1", "a number": "1.5", "true or false": "true"}[kind.what]


# --- input files: all missing ones named before any work ------------------------------------------------


def test_missing_inputs_are_named_at_once_before_any_work(
    tmp_path: Path, clip15: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "folder.json").mkdir()
    job = tmp_path / "job.toml"
    job.write_text(
        f"""[[videos]]
video = "{clip15}"
transcript = "gone.json"
languages = ["en", "ko"]

[[videos]]
video = "gone.mp4"
transcript = "folder.json"
languages = ["en"]

[profile.ko]
font = "noto-cjk-kor"
""",
        encoding="utf-8",
    )
    assert main(["-q", "run", str(job)]) == 2
    err = capsys.readouterr().err
    assert f"{job}:3: transcript {tmp_path / 'gone.json'}: no such file" in err
    assert f"{job}:7: video {tmp_path / 'gone.mp4'}: no such file" in err
    assert f"{job}:8: transcript {tmp_path / 'folder.json'}: is a folder, not a file" in err
    assert f"{job}:12: ko: font 'noto-cjk-kor' is not a known font (did you mean 'noto-cjk-kr'?)" in err
    assert "manifest" not in err and not (tmp_path / "output").exists()


def test_run_job_refuses_a_missing_transcript_and_accepts_present_inputs(
    tmp_path: Path, clip15: Path, clip15_transcript: Path
) -> None:
    text = f'video = "{clip15}"\ntranscript = "{clip15_transcript}"\nlanguages = ["en", "ko"]\n'
    assert input_problems(parse_job(text, tmp_path / "job.toml")) == []
    gone = parse_job(text.replace(str(clip15_transcript), "gone.json"), tmp_path / "job.toml")
    with pytest.raises(InputProblemsError) as info:
        run_job(gone)
    assert info.value.problems == [(2, f"transcript {tmp_path / 'gone.json'}: no such file")]
    assert not (tmp_path / "output").exists()


# --- per-language tables: applied by BCP 47 fallback, as the check promises ---------------------------


@pytest.mark.parametrize("table", ["zh-TW", "zh-Hant", "zh", "zh-Hant-TW"])
def test_a_profile_table_that_serves_a_regional_tag_is_applied(tmp_path: Path, table: str) -> None:
    text = f'transcript = "t.json"\nlanguages = ["zh-TW", "en"]\n\n[profile.{table}]\nfont = "No Such Font"\n'
    (tmp_path / "t.json").write_text("[]", encoding="utf-8")
    problems = input_problems(parse_job(text, tmp_path / "job.toml"))
    assert [(line, p.split(":")[0]) for line, p in problems] == [(5, "zh-TW")]


def test_a_table_that_serves_no_language_of_the_job_is_refused(tmp_path: Path) -> None:
    for table in ("zh-Hans", "zh-CN", "pt-PT"):
        text = f'transcript = "t.json"\nlanguages = ["zh-TW", "pt-BR"]\n\n[profile.{table}]\nmax_lines = 1\n'
        with pytest.raises(InputProblemsError) as info:
            parse_job(text, tmp_path / "job.toml")
        assert f"[profile.{table}] names no language of this job" in str(info.value)


def test_language_tables_merge_field_by_field_most_specific_winning(tmp_path: Path) -> None:
    text = """transcript = "t.json"
languages = ["zh-TW", "pt-BR"]
[style.zh]
outline = 3
bold = true
[style.zh-TW]
outline = 1
[style.pt]
shadow = 2
[profile.zh]
max_lines = 1
max_cps = 9.0
[profile.zh-Hant]
max_cps = 7.0
[profile.pt]
max_lines = 3
"""
    job = parse_job(text, tmp_path / "job.toml")
    zh = get_profile("zh-TW", merged_table("zh-TW", job.profiles))
    assert (zh.max_lines, zh.max_cps, zh.key) == (1, 7.0, "zh-Hant")
    assert get_profile("pt-BR", merged_table("pt-BR", job.profiles)).max_lines == 3
    assert get_profile("ko", merged_table("ko", job.profiles)).max_lines == get_profile("ko").max_lines
    style = style_for(zh, job.style)
    assert (style.outline, style.bold) == (1, True)
    assert style_for(get_profile("pt-BR"), job.style).shadow == 2
    assert style_for(get_profile("en"), job.style).shadow != 2
