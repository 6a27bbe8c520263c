"""subpipe's first render against the bare ffmpeg loop a user would write, whole processes timed.

    .venv/bin/python benchmarks/bench_first_render.py [--only excerpt|sample|both] [--langs 1,10] [--seconds 60]
        [--rounds 3] [--sample-rounds 1] [--no-reruns] [--json PATH] [--keep DIR]

Inputs: the sample (``assets/promo/promo.mp4``, 4:23 of 720p 29.97) and its first ``--seconds``
(``ffmpeg -t S -c copy``), whose transcript keeps the segments that end 0.5 s before the excerpt
does. Untimed step 0: one ``subpipe run`` per input (10 languages, SRT + ASS, burned) gives the
ASS files exactly as subpipe burns them and the SRT ``subpipe burn`` takes. Timed, start-up
included, each subpipe run on a brand-new empty ``SUBPIPE_CACHE`` (shot changes, speech, chunks:
all computed as for a new user):

- 1 language: ``python -m pipeline -q burn VIDEO promo.en.srt -o OUT.mp4 --lang en`` against
  ``ffmpeg -nostdin -v error -y -i VIDEO -vf subtitles=en.ass:fontsdir=fonts -c:v libx264
  -preset veryfast -crf 23 -c:a copy OUT.mp4``;
- 10 languages: ``python -m pipeline -q run job.toml`` (burn only, no mux, ASS files, the review
  page as the job default leaves it) in a fresh output folder, against that ffmpeg command once
  per language, one after the other (their figures summed).

Round r runs bare then subpipe for odd r, subpipe then bare for even r. Per command: wall
(``perf_counter``), CPU (``RUSAGE_CHILDREN`` user + sys: every descendant once reaped) and peak
memory, sampled with psutil every 50 ms (``procmeter``): the largest PSS sum of the process tree
(what it occupies in RAM: the target), its largest RSS sum (pages shared by forked workers counted
in each) and the largest single process. Then, once (on the sample, on the excerpt with
``--only excerpt``): an unchanged rerun of the 10-language job (target < 1 s), a rerun after one
cue edited in one language (``fr``, the 3rd segment; target < 3 s), and a second first render
whose cuts must be byte-identical to the first's. The machine is shared and noisy: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.filecache import sha256_file  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.fonts import FONTS, make_fontsdir  # noqa: E402
from pipeline.media.probe import probe  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procmeter import Measure, run_measured  # noqa: E402

LANGS = ("en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id")
SAMPLE = ROOT / "assets" / "promo" / "promo.mp4"
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
SUBPIPE = (sys.executable, "-m", "pipeline", "-q")
EDIT_LANG, EDIT_SEGMENT = "fr", 2  # the 3rd segment's French text gets " (fixed)"


@dataclasses.dataclass(frozen=True)
class Round:
    """One round: which side ran first, and each side's figures."""

    first: str
    bare: Measure
    subpipe: Measure


@dataclasses.dataclass(frozen=True)
class Source:
    """An input: its label, job name, video, transcript, work folder and the bare runs' folder."""

    label: str
    name: str
    video: Path
    transcript: dict[str, Any]
    folder: Path
    srt_en: Path
    bare: Path  # <lang>.ass as subpipe burns it, and fonts/
    keep: bool


def _run(argv: Sequence[str | Path], cwd: Path | None = None, cache: Path | None = None) -> Measure:
    return run_measured(argv, ROOT, cwd, cache)


def _drop(src: Source, path: Path) -> None:
    if not src.keep:
        shutil.rmtree(path, ignore_errors=True)


def _write_job(folder: Path, name: str, video: Path, transcript: dict[str, Any], formats: list[str]) -> Path:
    """``folder/job.toml`` (output_dir ``out``) and the transcript it reads, ``folder/transcript.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "transcript.json").write_text(json.dumps(transcript, ensure_ascii=False, indent=1), "utf-8")
    job = folder / "job.toml"
    q = json.dumps  # a JSON string or list of strings is a TOML one
    job.write_text(
        f'output_dir = "out"\n\n[[videos]]\nname = {q(name)}\nvideo = {q(str(video))}\n'
        f'transcript = "transcript.json"\nlanguages = {q(list(LANGS))}\ndefault_language = "en"\n\n'
        f"[outputs]\nformats = {q(formats)}\nburn = true\nmux = []\n\n"
        f'[render]\ncrf = 23\npreset = "veryfast"\n',
        "utf-8",
    )
    return job


def _clip(folder: Path, seconds: int) -> Path:
    out = folder / f"clip{seconds}.mp4"
    _run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", SAMPLE, "-t", str(seconds), "-c", "copy", out])
    return out


def _source(folder: Path, label: str, video: Path, keep: bool) -> Source:
    """Step 0 (untimed): the input's transcript, the ASS files subpipe burns and the English SRT."""
    transcript = json.loads(TRANSCRIPT.read_text("utf-8"))
    if video != SAMPLE:
        last_ms = probe(video).duration_ms - 500
        transcript["segments"] = [s for s in transcript["segments"] if s["end_ms"] <= last_ms]
        transcript["video"] = video.stem
    name, work = video.stem, folder / label
    step0 = work / "step0"
    job = _write_job(step0, name, video, transcript, ["srt", "ass"])
    _run([*SUBPIPE, "run", str(job)], cwd=step0, cache=step0 / "cache")
    made, bare = step0 / "out" / name, work / "bare"
    make_fontsdir(bare / "fonts", FONTS)
    for lang in LANGS:
        shutil.copyfile(made / lang / f"{name}.{lang}.ass", bare / f"{lang}.ass")
    src = Source(label, name, video, transcript, work, made / "en" / f"{name}.en.srt", bare, keep)
    _drop(src, step0 / "cache")
    return src


def _subpipe(src: Source, count: int, run: Path) -> Measure:
    """subpipe's first render in ``run`` (a fresh folder), on an empty cache of its own."""
    run.mkdir(parents=True, exist_ok=True)
    if count == 1:
        argv: list[str | Path] = [*SUBPIPE, "burn", src.video, src.srt_en, "-o", run / "out.mp4", "--lang", "en"]
        return _run(argv, cwd=run, cache=run / "cache")
    job = _write_job(run, src.name, src.video, src.transcript, ["ass"])
    return _run([*SUBPIPE, "run", str(job)], cwd=run, cache=run / "cache")


def _bare(src: Source, count: int, out: Path) -> Measure:
    """The ffmpeg command per language, one after the other, figures summed."""
    out.mkdir(parents=True, exist_ok=True)
    ffmpeg, total = ffmpeg_exe(), None
    for lang in LANGS[:count]:
        vf = f"subtitles={lang}.ass:fontsdir=fonts"
        argv: list[str | Path] = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", src.video, "-vf", vf,
                                  "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "copy",
                                  out / f"out.{lang}.mp4"]  # fmt: skip
        one = _run(argv, cwd=src.bare)
        total = one if total is None else total.then(one)
    assert total is not None
    return total


def _ratios(r: Round) -> tuple[float, float]:
    return r.subpipe.wall / r.bare.wall, r.subpipe.cpu / r.bare.cpu


def _print_round(i: int, r: Round) -> None:
    b, s = r.bare, r.subpipe
    wall, cpu = _ratios(r)
    print(f"| {i} | {r.first} | {b.wall:.2f} / {s.wall:.2f} | {wall:.3f}x | {b.cpu:.1f} / {s.cpu:.1f} | {cpu:.3f}x "
          f"| {b.pss_mib:.0f} / {s.pss_mib:.0f} | {b.tree_mib:.0f} / {s.tree_mib:.0f} "
          f"| {b.proc_mib:.0f} / {s.proc_mib:.0f} |", flush=True)  # fmt: skip


def _rounds(src: Source, count: int, rounds: int) -> tuple[list[Round], Path]:
    """Alternated rounds of bare vs subpipe; the last subpipe run's folder is kept (for the reruns)."""
    print(f"\n{src.label} ({src.video.name}), {count} language(s), {rounds} round(s)")
    print("| round | first | wall s bare / subpipe | wall ratio | cpu s bare / subpipe | cpu ratio "
          "| peak tree PSS MiB bare / subpipe | peak tree RSS MiB | largest process MiB |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    done: list[Round] = []
    last: Path | None = None
    for i in range(1, rounds + 1):
        run, out = src.folder / f"subpipe{count}-{i}", src.folder / f"bare{count}-{i}"
        order = ("bare", "subpipe") if i % 2 else ("subpipe", "bare")
        got = {who: _bare(src, count, out) if who == "bare" else _subpipe(src, count, run) for who in order}
        done.append(Round(order[0], got["bare"], got["subpipe"]))
        _print_round(i, done[-1])
        _drop(src, out)
        if last is not None:
            _drop(src, last)
        last = run
    assert last is not None
    walls, cpus = zip(*map(_ratios, done), strict=True)
    pss = max(r.subpipe.pss_mib for r in done), max(r.bare.pss_mib for r in done)
    rss = max(r.subpipe.tree_mib for r in done), max(r.bare.tree_mib for r in done)
    print(f"median subpipe / bare: wall {statistics.median(walls):.3f}x, cpu {statistics.median(cpus):.3f}x; "
          f"peak memory of the tree, PSS (target <= 600 MiB): subpipe {pss[0]:.0f} MiB, bare {pss[1]:.0f} MiB; "
          f"RSS summed: subpipe {rss[0]:.0f} MiB, bare {rss[1]:.0f} MiB")  # fmt: skip
    return done, last


def _cuts(run: Path, name: str) -> dict[str, str]:
    return {lang: sha256_file(run / "out" / name / lang / f"{name}.{lang}.mp4") for lang in LANGS}


def _edit(transcript: Path) -> str:
    """Append " (fixed)" to one segment's French text; that segment's id."""
    data = json.loads(transcript.read_text("utf-8"))
    segment = data["segments"][min(EDIT_SEGMENT, len(data["segments"]) - 1)]
    segment["text"][EDIT_LANG] += " (fixed)"
    transcript.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    return str(segment["id"])


def _reruns(src: Source, kept: Path | None) -> dict[str, Any]:
    """Unchanged rerun, one cue edited, and a second first render compared byte for byte."""
    print(f"\nreruns of the 10-language job, {src.label} ({src.video.name})", flush=True)
    if kept is None:
        kept = src.folder / "reruns-first"
        print(f"first render: {_subpipe(src, 10, kept).wall:.2f} s wall", flush=True)
    first, argv = _cuts(kept, src.name), [*SUBPIPE, "run", str(kept / "job.toml")]
    unchanged = _run(argv, cwd=kept, cache=kept / "cache")
    unchanged_same = _cuts(kept, src.name) == first
    print(f"(a) unchanged rerun: {unchanged.wall:.2f} s wall, {unchanged.cpu:.2f} s cpu (target < 1 s: "
          f"{'met' if unchanged.wall < 1 else 'NOT met'}); cuts untouched: {_yes(unchanged_same)}")  # fmt: skip
    segment = _edit(kept / "transcript.json")
    edited = _run(argv, cwd=kept, cache=kept / "cache")
    after = _cuts(kept, src.name)
    others_same = all(after[lang] == first[lang] for lang in LANGS if lang != EDIT_LANG)
    print(f"(b) one cue edited ({EDIT_LANG}, segment {segment}): {edited.wall:.2f} s wall, {edited.cpu:.2f} s cpu "
          f"(target < 3 s: {'met' if edited.wall < 3 else 'NOT met'}); {EDIT_LANG} cut changed: "
          f"{_yes(after[EDIT_LANG] != first[EDIT_LANG])}, the others untouched: {_yes(others_same)}")  # fmt: skip
    second_dir = src.folder / "reruns-second"
    second = _subpipe(src, 10, second_dir)
    again = _cuts(second_dir, src.name)
    print(f"(c) a second first render ({second.wall:.2f} s wall), byte-identical to the first (target: every cut):")
    for lang in LANGS:
        print(f"    {lang}: identical: {_yes(again[lang] == first[lang])}")
    _drop(src, second_dir)
    return {
        "source": src.label, "unchanged": dataclasses.asdict(unchanged), "unchanged_cuts_same": unchanged_same,
        "edited": dataclasses.asdict(edited), "edited_segment": segment, "edited_others_same": others_same,
        "edited_cut_changed": after[EDIT_LANG] != first[EDIT_LANG], "second_first_render": dataclasses.asdict(second),
        "identical": {lang: again[lang] == first[lang] for lang in LANGS},
    }  # fmt: skip


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@contextlib.contextmanager
def _workdir(keep: str | None) -> Iterator[Path]:
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        yield Path(keep).resolve()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield Path(tmp)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", choices=("excerpt", "sample", "both"), default="both")
    parser.add_argument("--langs", default="1,10", help="language counts to time: 1, 10 or both")
    parser.add_argument("--seconds", type=int, default=60, help="length of the excerpt")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds on the excerpt")
    parser.add_argument("--sample-rounds", type=int, default=1, help="alternated rounds on the sample")
    parser.add_argument("--no-reruns", action="store_true", help="skip the unchanged / edited / identical part")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--keep", metavar="DIR", help="work (and leave everything) in DIR, not a temporary folder")
    args = parser.parse_args()
    args.counts = [int(c) for c in args.langs.split(",")]
    if not set(args.counts) <= {1, 10} or min(args.rounds, args.sample_rounds) < 1:
        parser.error("--langs takes 1, 10 or 1,10; rounds are at least 1")
    return args


def main() -> None:
    """Run the benchmark and print the figures."""
    args = _parse()
    labels = ["excerpt", "sample"] if args.only == "both" else [args.only]
    figures: dict[str, Any] = {"args": {k: v for k, v in vars(args).items() if k != "json"}, "rounds": {}}
    with _workdir(args.keep) as folder:
        kept: dict[str, Path] = {}
        sources = {}
        for label in labels:
            video = _clip(folder, args.seconds) if label == "excerpt" else SAMPLE
            src = sources[label] = _source(folder, label, video, bool(args.keep))
            for count in args.counts:
                rounds = args.rounds if label == "excerpt" else args.sample_rounds
                done, last = _rounds(src, count, rounds)
                figures["rounds"][f"{label}/{count}"] = [dataclasses.asdict(r) for r in done]
                if count == 10:
                    kept[label] = last
                else:
                    _drop(src, last)
        if not args.no_reruns:
            target = "sample" if "sample" in labels else "excerpt"
            figures["reruns"] = _reruns(sources[target], kept.get(target))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
