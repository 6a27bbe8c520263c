"""Past MAX_CUES visible cues, verification checks the shortest, the last and, in each of MAX_CUES - 2
consecutive runs of the others, the cue whose sample is cheapest to decode (pick_samples is pure:
no video needed)."""

from __future__ import annotations

import random

from pipeline.render.sampling import MAX_CUES, decode_cost, pick_samples

FRAME_MS = 40
CUES = [(i * 1000, i * 1000 + 800) for i in range(26)]
CUES[5] = (5000, 5300)  # the shortest
END_MS = 26_500
# the 24 cues left once the shortest (5) and the last (25) are kept, in 8 runs of 3
RUNS = [[0, 1, 2], [3, 4, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18], [19, 20, 21], [22, 23, 24]]


def shown_cues(keys: list[int], cues: list[tuple[int, int]] = CUES) -> list[int]:
    """The indices of the cues checked (each shown sample lies in exactly one of these cues)."""
    times = [s.ass_ms for s in pick_samples(cues, 0, END_MS, FRAME_MS, keys) if s.shown]
    found = [next(i for i, (s, e) in enumerate(cues) if s <= t < e) for t in times]
    assert len(found) == len(set(found))
    return found


def test_a_cue_holding_a_keyframe_beats_the_earlier_ones_of_its_run() -> None:
    keys = [2, 2400]  # in cue 2, the last of the first run: its sample is that keyframe, decoded alone
    samples = pick_samples(CUES, 0, END_MS, FRAME_MS, keys)
    assert 2400 in [s.ass_ms for s in samples if s.shown]
    assert shown_cues(keys)[:2] == [2, 3]  # without the cost, cue 0 (the run's first) would be checked


def test_without_a_keyframe_in_the_cue_the_one_nearest_after_a_keyframe_wins() -> None:
    # run [7, 8, 9]: middles 7400, 8400, 9400; 9400 is 410 ms after 8990, 7400 is 450 ms after 6950
    assert 9 in shown_cues([2, 6950, 8990]) and 7 not in shown_cues([2, 6950, 8990])
    assert 7 in shown_cues([2, 6950, 8950]) and 9 not in shown_cues([2, 6950, 8950])  # a tie: the earliest


def test_ties_go_to_the_earliest_cue() -> None:
    keys = [2, 3300, 4300, 6300]  # a keyframe in every cue of the second run: all cost nothing
    assert shown_cues(keys)[:3] == [0, 3, 5]


def test_the_shortest_and_the_last_are_kept_however_costly() -> None:
    keys = [2] + [i * 1000 + 400 for i in range(25) if i != 5]  # every other cue holds a keyframe
    chosen = shown_cues(keys)
    assert 5 in chosen and 25 in chosen and len(chosen) == MAX_CUES
    assert decode_cost(5150, keys) > 0 and decode_cost(25_400, keys) > 0  # their middles are not keyframes


def test_every_run_gives_one_cue_whatever_the_keyframes() -> None:
    rng = random.Random(22)
    for _ in range(50):
        keys = sorted(rng.sample(range(END_MS), rng.randrange(0, 40)))
        chosen = shown_cues(keys)
        assert 5 in chosen and 25 in chosen and len(chosen) == MAX_CUES
        assert all(sum(i in run for i in chosen) == 1 for run in RUNS)
        times = [s.ass_ms for s in pick_samples(CUES, 0, END_MS, FRAME_MS, keys) if s.shown]
        for t, i in zip(times, chosen, strict=True):
            assert t >= CUES[i][0] + FRAME_MS  # never a cue's first frame (a fade-in shows no opaque text yet)


def test_the_choice_depends_on_the_cues_and_keyframes_not_their_order() -> None:
    rng = random.Random(7)
    keys = [2, 1500, 3300, 4300, 8990, 14_100, 20_500]
    want = pick_samples(CUES, 0, END_MS, FRAME_MS, keys)
    for _ in range(5):
        cues, shuffled = CUES[:], keys[:]
        rng.shuffle(cues)
        rng.shuffle(shuffled)
        assert pick_samples(cues, 0, END_MS, FRAME_MS, shuffled) == want


def test_without_keyframes_each_run_gives_its_first_cue() -> None:
    assert shown_cues([]) == [0, 3, 5, 7, 10, 13, 16, 19, 22, 25]
    times = [s.ass_ms for s in pick_samples(CUES, 0, END_MS, FRAME_MS) if s.shown]
    assert times == [420, 3400, 5150, 7400, 10_400, 13_400, 16_400, 19_400, 22_400, 25_400]


def test_decode_cost_counts_from_the_latest_keyframe_at_or_before() -> None:
    keys = [1000, 5000]
    assert decode_cost(5000, keys) == 0 and decode_cost(5400, keys) == 400 and decode_cost(4999, keys) == 3999
    assert decode_cost(600, keys) == 600  # before the first keyframe listed: from the cut's first frame
    assert decode_cost(600, []) == decode_cost(9000, []) == 0  # none known: no time is cheaper
