"""Rule-based weights against hand-computed shares."""

from __future__ import annotations

import pytest

from coordkit.errors import AttributionError, ParameterError
from coordkit.model.attribution.rules import rule_weights


def weights_by_journey(touches, model, **kw):
    frame = rule_weights(touches, model, **kw).to_pandas().sort_values(["journey_id", "position"])
    return {len(g): list(g["weight"]) for _, g in frame.groupby("journey_id")}


# one converting journey of each length 1..5, channels a..e in order
JOURNEYS = [(tuple("abcde"[:n]), 1.0, 10.0, 0.0) for n in range(1, 6)]

EXPECTED = {
    "first": {1: [1], 2: [1, 0], 3: [1, 0, 0], 4: [1, 0, 0, 0], 5: [1, 0, 0, 0, 0]},
    "last": {1: [1], 2: [0, 1], 3: [0, 0, 1], 4: [0, 0, 0, 1], 5: [0, 0, 0, 0, 1]},
    "linear": {n: [1 / n] * n for n in range(1, 6)},
    "position": {
        1: [1],
        2: [0.5, 0.5],
        3: [0.4, 0.2, 0.4],
        4: [0.4, 0.1, 0.1, 0.4],
        5: [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4],
    },
    # fallback: lead touch = middle ((n-1)//2), opportunity touch = last;
    # up to three touches split equally
    "w_shaped": {
        1: [1],
        2: [0.5, 0.5],
        3: [1 / 3] * 3,
        4: [0.3, 0.3, 0.1, 0.3],
        5: [0.3, 0.05, 0.3, 0.05, 0.3],
    },
}


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_rule_weights_match_hand_computation(path_touches, model):
    got = weights_by_journey(path_touches(JOURNEYS), model)
    for n, expected in EXPECTED[model].items():
        assert got[n] == pytest.approx(expected, abs=1e-12), (model, n)


def test_time_decay_halves_per_half_life_back_from_the_conversion(event_touches):
    # ages 14, 7 and 0 days -> raw 1/4, 1/2, 1 -> 1/7, 2/7, 4/7
    touches = event_touches(
        [
            ("c", "2024-01-01T00:00:00Z", "a", "impression", 0),
            ("c", "2024-01-08T00:00:00Z", "b", "impression", 0),
            ("c", "2024-01-15T00:00:00Z", "c", "conversion", 3.0),
        ]
    )
    frame = rule_weights(touches, "time_decay").to_pandas().sort_values("position")
    assert list(frame["weight"]) == pytest.approx([1 / 7, 2 / 7, 4 / 7], abs=1e-12)
    # continuous, not in day steps: half a half-life is a factor sqrt(2)
    frame = rule_weights(touches, "time_decay", half_life_hours=14 * 24).to_pandas().sort_values("position")
    raw = [0.5, 0.5**0.5, 1.0]
    assert list(frame["weight"]) == pytest.approx([r / sum(raw) for r in raw], abs=1e-12)


def test_time_decay_is_measured_from_the_conversion_not_the_first_touch(event_touches):
    # 12 hours apart with a 12-hour half-life: 1/3 and 2/3 whatever the absolute date
    touches = event_touches(
        [
            ("c", "1990-06-01T00:00:00Z", "a", "impression", 0),
            ("c", "1990-06-01T12:00:00Z", "b", "conversion", 1.0),
        ]
    )
    frame = rule_weights(touches, "time_decay", half_life_hours=12).to_pandas().sort_values("position")
    assert list(frame["weight"]) == pytest.approx([1 / 3, 2 / 3], abs=1e-12)


def test_time_decay_survives_very_old_journeys(event_touches):
    touches = event_touches(
        [
            ("c", "1950-01-01T00:00:00Z", "a", "impression", 0),
            ("c", "1951-01-01T00:00:00Z", "b", "impression", 0),
            ("c", "2024-01-01T00:00:00Z", "c", "conversion", 1.0),
        ]
    )
    frame = rule_weights(touches, "time_decay", half_life_hours=1).to_pandas().sort_values("position")
    assert list(frame["weight"]) == pytest.approx([0.0, 0.0, 1.0], abs=1e-12)


def test_w_shaped_uses_known_milestones_and_merges_coinciding_roles(path_touches):
    touches = path_touches([(tuple("abcdef"), 1.0, 1.0, 0.0)])
    # lead at 1, opportunity at 4 -> 30/30/30 on 0,1,4; 10 % over 2,3,5
    frame = rule_weights(touches.mutate(lead_position=1, opportunity_position=4), "w_shaped").to_pandas()
    assert list(frame.sort_values("position")["weight"]) == pytest.approx(
        [0.3, 0.3, 0.1 / 3, 0.1 / 3, 0.3, 0.1 / 3], abs=1e-12
    )
    # lead == first touch: that touch plays two roles (60 %)
    frame = rule_weights(touches.mutate(lead_position=0, opportunity_position=5), "w_shaped").to_pandas()
    assert list(frame.sort_values("position")["weight"]) == pytest.approx(
        [0.6, 0.025, 0.025, 0.025, 0.025, 0.3], abs=1e-12
    )


def test_unknown_rule_and_bad_half_life_are_refused(path_touches):
    touches = path_touches(JOURNEYS)
    with pytest.raises(ParameterError, match=r"must be one of 'first'.*got 'lienar'"):
        rule_weights(touches, "lienar")
    with pytest.raises(ParameterError, match="half_life_hours must be a positive number; got -1"):
        rule_weights(touches, "time_decay", half_life_hours=-1)


def test_time_decay_without_times_is_a_clear_error(path_touches):
    with pytest.raises(AttributionError, match="time_decay needs touch times"):
        rule_weights(path_touches(JOURNEYS), "time_decay")


def test_rule_weights_do_not_touch_their_input(path_touches):
    touches = path_touches(JOURNEYS)
    before = touches.to_pandas()
    rule_weights(touches, "position").to_pandas()
    assert "weight" not in touches.columns
    assert touches.to_pandas().sort_values(["journey_id", "position"]).reset_index(drop=True).equals(
        before.sort_values(["journey_id", "position"]).reset_index(drop=True)
    )
