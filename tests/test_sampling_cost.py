"""Past MAX_CUES visible cues, verification checks the shortest, the last and, in each of MAX_CUES - 3
consecutive runs of the others, the cue whose sample is cheapest to decode (pick_samples is pure:
no video needed)."""

from __future__ import annotations

import random

from pipeline.render.sampling import MAX_CUES, SEEK_MARGIN_MS, decode_cost, pick_samples

FRAME_MS = 40
CUES = [(i * 1000, i * 1000 + 800) for i in range(26)]
CUES[5] = (5000, 5300)  # the shortest
END_MS = 26_500
# the 24 cues left once the shortest (5) and the last (25) are kept, in 7 runs of 3 or 4
RUNS = [[0, 1, 2], [3, 4, 6], [7, 8, 9, 10], [11, 12, 13], [14, 15, 16, 17], [18, 19, 20], [21, 22, 23, 24]]


def shown_cues(keys: list[int], cues: list[tuple[int, int]] = CUES) -> list[int]:
    """The indices of the cues checked (each shown sample lies in exactly one of these cues)."""
    times = [s.ass_ms for s in pick_samples(cues, 0, END_MS, FRAME_MS, keys) if s.shown]
    found = [next(i for i, (s, e) in enumerate(cues) if s <= t < e) for t in times]
    assert len(found) == len(set(found))
    return found


def test_decode_cost_counts_from_the_keyframe_the_decoder_seeks_to() -> None:
    assert SEEK_MARGIN_MS == 0  # the decoder seeks to the time itself (the figures below assume it)
    keys = [1000, 5000]
    assert decode_cost(6500, keys) == 1500
    assert decode_cost(5000, keys) == 0  # a keyframe decodes alone
    assert decode_cost(2400, keys) == 1400
    assert decode_cost(600, keys) == 600  # nothing at or before it: from the cut's first frame
    assert decode_cost(600, []) == decode_cost(9000, []) == 0  # none known: no time is cheaper


def test_each_run_gives_its_cue_cheapest_to_decode() -> None:
    # run [7, 8, 9, 10], middles 7400 .. 10_400; 8850 lies in no cue: cue 9's middle costs 550 from it
    assert 9 in shown_cues([2, 8850]) and 7 not in shown_cues([2, 8850])  # without the cost: cue 7
    # a keyframe in a cue is its sample and costs nothing: cue 10 beats cue 9's middle (550 from 8850)
    assert 10 in shown_cues([2, 8850, 10_100]) and 9 not in shown_cues([2, 8850, 10_100])


def test_ties_go_to_the_earliest_cue() -> None:
    keys = [2, 2900, 3900, 5900]  # the second run's cues 3, 4 and 6 each cost 500 from the keyframe before
    assert shown_cues(keys)[:3] == [0, 3, 5]


def test_the_shortest_and_the_last_are_kept_however_costly() -> None:
    keys = [i * 1000 + 200 for i in range(25) if i != 5]  # a keyframe in every cue but 5 and 25: all free
    chosen = shown_cues(keys)
    assert 5 in chosen and 25 in chosen and len(chosen) == MAX_CUES - 1
    assert decode_cost(5150, keys) > 900 and decode_cost(25_400, keys) > 1000


def test_every_run_gives_one_cue_whatever_the_keyframes() -> None:
    rng = random.Random(22)
    for _ in range(50):
        keys = sorted(rng.sample(range(END_MS), rng.randrange(0, 40)))
        chosen = shown_cues(keys)
        assert 5 in chosen and 25 in chosen and len(chosen) == MAX_CUES - 1
        assert all(sum(i in run for i in chosen) == 1 for run in RUNS)
        times = [s.ass_ms for s in pick_samples(CUES, 0, END_MS, FRAME_MS, keys) if s.shown]
        for t, i in zip(times, chosen, strict=True):
            assert t >= CUES[i][0] + FRAME_MS  # never a cue's first frame (a fade-in shows no opaque text yet)


def test_the_choice_depends_on_the_cues_and_keyframes_not_their_order() -> None:
    rng = random.Random(7)
    keys = [2, 1500, 3300, 4300, 8850, 14_100, 20_500]
    want = pick_samples(CUES, 0, END_MS, FRAME_MS, keys)
    for _ in range(5):
        cues, shuffled = CUES[:], keys[:]
        rng.shuffle(cues)
        rng.shuffle(shuffled)
        assert pick_samples(cues, 0, END_MS, FRAME_MS, shuffled) == want


def test_without_keyframes_each_run_gives_its_first_cue() -> None:
    assert shown_cues([]) == [0, 3, 5, 7, 11, 14, 18, 21, 25]
    times = [s.ass_ms for s in pick_samples(CUES, 0, END_MS, FRAME_MS) if s.shown]
    assert times == [420, 3400, 5150, 7400, 11_400, 14_400, 18_400, 21_400, 25_400]
