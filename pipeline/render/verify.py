"""Verify outputs by probing them: streams, durations, tags, cue counts, burned text where it must be.

Verification never raises for a finding: it returns the problems, and the caller decides. Burned
text is judged against a known mask (:mod:`pipeline.render.masks`): at each sampled time the output
must show libass's opaque text pixels inside the mask and match the source outside it
(:mod:`pipeline.render.judge`), compared in display geometry, with time counted from the source's
first timestamp.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av

from pipeline.core.errors import InputError
from pipeline.media.commands import burn_size
from pipeline.media.probe import MediaInfo
from pipeline.render.chunks import source_frame_table
from pipeline.render.frames import FrameMemo, Shown, display_size, iter_frames_shown
from pipeline.render.judge import judge
from pipeline.render.masks import Mask, render_masks
from pipeline.render.sampling import Sample, history_times, pick_samples

DURATION_SLACK_MS = 150
KEYFRAME_LEAD_MS = 2
"""How much later than its chunk's first frame's (floored) ms a keyframe time of :class:`BurnCheck` is:
a time at which that frame is shown (it starts less than 1 ms after the floored ms)."""
SYNC_SLACK_MS = 50  # a sound starts with the picture as in the source to within about one audio packet


@dataclass(frozen=True)
class BurnCheck:
    """What a burned cut must show: its ASS (rendered again for the mask), fonts, and cue times (ASS clock)."""

    ass_text: str
    font_keys: tuple[str, ...]
    cues: Sequence[tuple[int, int]]
    window_ms: tuple[int, int] | None = None
    """Sample only this span of the ASS clock (the chunks a rerun re-encoded); None: the whole cut."""
    keyframes_ms: tuple[int, ...] = ()
    """Times (ASS clock) at which the cut shows a keyframe (its chunks' first frames): samples land
    on them where a cue or gap holds one (:func:`pipeline.render.sampling.pick_samples`)."""
    steady: bool = False
    """Every cue shows one unchanging picture while it is shown (a static track,
    :func:`pipeline.render.overlay.is_static`): a cue without a keyframe well inside is checked
    early in it, where it costs least to decode, rather than in its middle."""


def verify_burn(
    out: MediaInfo, source: MediaInfo, check: BurnCheck, source_frames: FrameMemo | None = None
) -> list[str]:
    """Problems with a burned cut (probed as ``out``): geometry, rotation, duration, audio, text.

    ``source_frames``: the source's frames shared by the verifications of one burn
    (:func:`source_memo`; what it holds is not decoded again); None: decoded for this call alone.

    Raises:
        FfmpegError: when the mask cannot be rendered.
    """
    problems = _burn_streams(out, source)
    if problems or out.video is None or source.video is None:
        return problems or ["no video stream in the output"]
    frame_ms = _frame_ms(source)
    samples = _samples(source, check)

    def masks_at(src: list[Shown]) -> list[Mask]:
        return _masks(check, out, [f.pts_ms - source.start_ms for f in src], frame_ms)

    try:
        with contextlib.nullcontext(source_frames) if source_frames else source_memo(source) as memo:
            know_keyframes(memo, source, check)
            keys = [out.start_ms + k - KEYFRAME_LEAD_MS - 0.5 for k in check.keyframes_ms]  # at or before them
            src_frames, out_frames, masks = _frame_pairs(memo, source, out, samples, masks_at, keys)
    except (LookupError, av.error.FFmpegError) as exc:
        return [f"cannot read the frames to compare: {exc}"]
    for sample, src, got, mask in zip(samples, src_frames, out_frames, masks, strict=True):
        # a padded output has one more row or column than the source: compare the common part
        h = min(src.picture.shape[0], got.picture.shape[0], mask.over_black.shape[0])
        w = min(src.picture.shape[1], got.picture.shape[1], mask.over_black.shape[1])
        cut = Mask(mask.over_black[:h, :w], mask.over_white[:h, :w])
        problems += judge(sample, src.picture[:h, :w], got.picture[:h, :w], cut)
    return problems


def source_memo(source: MediaInfo) -> FrameMemo:
    """A memo of ``source``'s video frames for the verifications of one burn (close it after them).

    Raises:
        LookupError: when ``source`` has no video stream.
    """
    if source.video is None:
        raise LookupError("no video stream")
    return FrameMemo(source.path, source.video.index, source.sar)


def source_times(source: MediaInfo, check: BurnCheck) -> list[float]:
    """The times (ms on the source's clock) at which :func:`verify_burn` asks for the source's frames
    (to :meth:`FrameMemo.plan` a shared memo)."""
    if source.video is None:
        return []
    return [s.ass_ms + source.start_ms for s in _samples(source, check)]


def know_keyframes(memo: FrameMemo, source: MediaInfo, check: BurnCheck) -> None:
    """Tell ``memo`` (of ``source``'s frames) where the source's keyframes are, once: the first chunked
    check planned or verified with it reads them (:func:`source_keyframes`)."""
    if not memo.keyframes_ms:
        memo.plan((), source_keyframes(source, check))


def source_keyframes(source: MediaInfo, check: BurnCheck) -> list[float]:
    """Times (ms on the source's clock) at which the source has keyframes, for a chunked cut (whose
    chunk plan read them: :func:`pipeline.render.chunks.source_frame_table`), to :meth:`FrameMemo.plan`
    a shared memo; none known (empty) for another cut."""
    if not check.keyframes_ms or source.video is None:
        return []
    try:
        table = source_frame_table(Path(source.path))
    except (InputError, OSError):  # only a hint: the decoder finds the frames without it
        return []
    return [float(k * table.time_base * 1000) for k in table.keyframes]


def _frame_ms(source: MediaInfo) -> float:
    return 1000 / float(source.fps) if source.fps else 40.0


def _samples(source: MediaInfo, check: BurnCheck) -> list[Sample]:
    first, end = check.window_ms or (0, source.video_duration_ms)
    end = min(end, source.video_duration_ms)
    return pick_samples(check.cues, max(first, 0), end, _frame_ms(source), check.keyframes_ms, check.steady)


def _frame_pairs(
    memo: FrameMemo,
    source: MediaInfo,
    out: MediaInfo,
    samples: Sequence[Sample],
    masks_at: Callable[[list[Shown]], list[Mask]],
    out_keyframes_ms: Sequence[float] = (),
) -> tuple[list[Shown], list[Shown], list[Mask]]:
    """The source's frame at each sample (from ``memo``), the output's frame at the same place, in time
    order, and ``masks_at`` the source's frames (the masks at their times). ``out_keyframes_ms``: where
    the output has keyframes, as far as known (on its own clock).

    Both files are decoded at once (the source in a second thread, PyAV decodes without the GIL):
    the output is asked for the time, from its first frame, at which the source's frame starts,
    as soon as that frame is known; the masks are rendered in the source's thread once its frames
    are known, while the output's last frames are decoded.

    Raises:
        LookupError, av.error.FFmpegError: when a file cannot be read.
        FfmpegError: when the masks cannot be rendered.
    """
    if source.video is None or out.video is None:
        raise LookupError("no video stream")
    if (memo.path, memo.stream_index) != (source.path, source.video.index):
        raise ValueError(f"a memo of {memo.path} given to verify a cut of {source.path}")
    found: queue.SimpleQueue[float | None] = queue.SimpleQueue()

    def decode_source() -> tuple[list[Shown], list[Mask]]:
        shown = []
        try:
            for sample in samples:
                shown.append(memo.shown_at(sample.ass_ms + source.start_ms))
                found.put(out.start_ms + shown[-1].pts_ms - source.start_ms)
        finally:
            found.put(None)  # the end, also when decoding failed (the error is raised below)
        return shown, masks_at(shown)

    def out_times() -> Iterator[float]:
        while (t := found.get()) is not None:
            yield t

    with ThreadPoolExecutor(1) as pool:
        src = pool.submit(decode_source)
        out_frames = list(iter_frames_shown(out.path, out.video.index, out_times(), out.sar, out_keyframes_ms))
        src_frames, masks = src.result()
        return src_frames, out_frames, masks


def _masks(check: BurnCheck, out: MediaInfo, times: list[float], frame_ms: float) -> list[Mask]:
    """The mask at each time, rendered after the earlier frames that decide where overlapping cues sit."""
    timeline: list[float] = []
    picks = []
    for t in times:
        if timeline and t <= timeline[-1]:  # the same frame as the last sample (a long VFR frame)
            picks.append(len(timeline) - 1)
            continue
        timeline += [h for h in history_times(check.cues, t, 0, frame_ms) if not timeline or h > timeline[-1]]
        picks.append(len(timeline))
        timeline.append(t)
    size = (out.width, out.height)
    rendered = render_masks(check.ass_text, check.font_keys, size, display_size(*size, out.sar), timeline)
    return [rendered[i] for i in picks]


def _burn_streams(out: MediaInfo, source: MediaInfo) -> list[str]:
    problems: list[str] = []
    want = burn_size(source)
    if (out.width, out.height) != want:
        problems.append(f"picture is {out.width}x{out.height}, expected {want[0]}x{want[1]}")
    if out.rotation:
        problems.append(f"the output still carries a {out.rotation} degree rotation")
    if len(out.audio_streams()) != len(source.audio_streams()):
        problems.append(f"{len(out.audio_streams())} audio streams, the source has {len(source.audio_streams())}")
    return problems + played_as_source(out, source)


def played_as_source(out: MediaInfo, source: MediaInfo) -> list[str]:
    """Problems with what a player plays of ``out`` against what it plays of ``source``.

    Times count from each file's first shown video frame (packets an edit list hides are not
    played; a file may start at any time): the picture lasts as long, each sound stream starts with
    the picture as the source's does (in sync) and ends as it does, and nothing plays before the
    source's first packet or after its last. A sound that outlasts the picture in the source may
    outlast it in the output: a player plays it.
    """
    problems = []
    if abs(out.video_duration_ms - source.video_duration_ms) > DURATION_SLACK_MS:
        problems.append(f"video lasts {out.video_duration_ms} ms, the source's {source.video_duration_ms} ms")
    for n, (got, want) in enumerate(zip(out.audio_streams(), source.audio_streams(), strict=False)):
        problems += _sound_problems(n, out.span_ms(got), source.span_ms(want))
    (first, last), (src_first, src_last) = out.played_ms, source.played_ms
    if first < src_first - SYNC_SLACK_MS or last > src_last + DURATION_SLACK_MS:
        problems.append(
            f"the file plays from {first} to {last} ms, the source from {src_first} to {src_last} ms "
            "(counted from the first frame): a stream runs past it"
        )
    elif out.duration_ms > src_last - min(src_first, 0) + DURATION_SLACK_MS:  # a player's seek bar
        problems.append(f"the header says the file lasts {out.duration_ms} ms, it plays {last - min(first, 0)} ms")
    return problems


def _sound_problems(n: int, got: tuple[int, int] | None, want: tuple[int, int] | None) -> list[str]:
    if got is None or want is None:
        return (
            [] if got == want else [f"audio stream {n} has {'no' if got is None else 'its'} packets, the source's not"]
        )
    problems = []
    if abs(got[0] - want[0]) > SYNC_SLACK_MS:
        problems.append(
            f"audio stream {n} starts {got[0]} ms from the first frame, the source's {want[0]} ms: out of sync"
        )
    if abs(got[1] - want[1]) > DURATION_SLACK_MS:
        problems.append(f"audio stream {n} ends {got[1]} ms from the first frame, the source's {want[1]} ms")
    return problems


@dataclass(frozen=True)
class ExpectedTrack:
    """A soft track the muxed file must hold."""

    iso639_2: str
    title: str
    default: bool
    texts: Sequence[str]


@dataclass(frozen=True)
class KeptStreams:
    """How many of the source's streams the muxed file must still hold (from the mux plan)."""

    subtitles: int = 0
    attachments: int = 0
    covers: int = 0


def verify_mux(
    out: MediaInfo, texts: list[list[str]], source: MediaInfo, tracks: Sequence[ExpectedTrack], kept: KeptStreams
) -> list[str]:
    """Problems with a muxed file (probed as ``out``, its cue texts ``texts``): streams, durations, tracks."""
    subs = out.subtitle_streams()
    if len(subs) != kept.subtitles + len(tracks):
        return [f"{len(subs)} subtitle tracks, expected {kept.subtitles} of the source's and {len(tracks)} new"]
    problems = _mux_streams(out, source, kept)
    ours, our_texts = subs[kept.subtitles :], texts[kept.subtitles :]
    for i, (got, want, got_texts) in enumerate(zip(ours, tracks, our_texts, strict=True)):
        if got.language != want.iso639_2:
            problems.append(f"track {i}: language {got.language!r}, expected {want.iso639_2!r}")
        if got.title != want.title:
            problems.append(f"track {i}: title {got.title!r}, expected {want.title!r}")
        if got.default != want.default:
            problems.append(f"track {i}: default flag {got.default}, expected {want.default}")
        if list(got_texts) != list(want.texts):
            problems.append(f"track {i}: {len(got_texts)} cues read back, expected {len(want.texts)} equal to the SRT")
    return problems


def _mux_streams(out: MediaInfo, source: MediaInfo, kept: KeptStreams) -> list[str]:
    problems = played_as_source(out, source)
    if len(out.audio_streams()) != len(source.audio_streams()):
        problems.append(f"{len(out.audio_streams())} audio streams, the source has {len(source.audio_streams())}")
    attachments = sum(1 for s in out.streams if s.kind == "attachment")
    covers = sum(1 for s in out.streams if s.attached_pic)
    if (attachments, covers) != (kept.attachments, kept.covers):
        problems.append(
            f"{attachments} attachments and {covers} cover pictures, expected {kept.attachments} and {kept.covers}"
        )
    if out.chapters != source.chapters:
        problems.append(f"{out.chapters} chapters, the source has {source.chapters}")
    return problems
