"""Segment drivers: hand-computed selections, exact sums, brute-force claims, Adtributor's surprise."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from coordkit.analysis.drivers import (
    adtributor_root_causes,
    explain_change,
    explain_change_columns,
    rank_segments,
)
from coordkit.errors import AnalysisError, ParameterError

LOOSE = {"min_segment_size": 1, "noise_z": 0.0}


def two_weeks(cells: dict[tuple[str, str], tuple[float, float]]) -> pd.DataFrame:
    """One row per (week, channel, region) from {(channel, region): (before, after)}."""
    rows = []
    for (channel, region), (before, after) in cells.items():
        rows.append({"week": "w1", "channel": channel, "region": region, "pipeline": before})
        rows.append({"week": "w2", "channel": channel, "region": region, "pipeline": after})
    return pd.DataFrame(rows)


def explain(frame, **kwargs):
    options = {"by": ["channel", "region"], "period_column": "week", "before": "w1", "after": "w2", **LOOSE, **kwargs}
    return explain_change(frame, "pipeline", **options)


def test_hand_computed_selection_and_remainder():
    frame = two_weeks(
        {
            ("email", "emea"): (100, 100),
            ("email", "us"): (100, 100),
            ("events", "emea"): (50, 90),
            ("events", "us"): (50, 50),
            ("ads", "emea"): (80, 70),
            ("ads", "us"): (80, 80),
        }
    )
    result = explain(frame, max_segments=2)
    # |change|: channel=events 40, and events & emea inside it carries all 40 -> the narrower one;
    # then channel=ads -10, and ads & emea inside it carries all of that
    assert result["segment"].tolist() == ["channel=events & region=emea", "channel=ads & region=emea", "remainder"]
    assert result["before"].tolist() == [50, 80, 330]
    assert result["after"].tolist() == [90, 70, 330]
    assert result["contribution"].tolist() == [40, -10, 0]
    assert result["share_of_change"].tolist() == pytest.approx([40 / 30, -10 / 30, 0])
    assert result["channel"].tolist()[:2] == ["events", "ads"]
    assert result["region"].tolist()[:2] == ["emea", "emea"]
    assert pd.isna(result["region"].iloc[2])

    broad = explain(frame, max_segments=2, prefer_specific=None)
    # without the preference the tie goes to the broader segment, listed first in `by`
    assert broad["segment"].tolist() == ["channel=events", "channel=ads", "remainder"]
    assert broad["before"].tolist() == [100, 160, 200]
    assert broad["region"].isna().all()
    assert list(result.columns) == ["segment", "channel", "region", "before", "after", "contribution", "share_of_change"]


def test_overlapping_segment_contributes_only_its_unclaimed_change():
    frame = two_weeks(
        {("events", "emea"): (10, 50), ("events", "us"): (10, 20), ("email", "emea"): (10, 35), ("email", "us"): (10, 10)}
    )
    result = explain(frame, max_segments=2, prefer_specific=None)
    # region=emea moves +65 and is taken first; channel=events moves +50 but +40 of it is already claimed
    assert result["segment"].tolist() == ["region=emea", "channel=events", "remainder"]
    assert result["contribution"].tolist() == [65, 10, 0]
    assert result["before"].tolist()[:2] == [20, 20]
    assert result["after"].tolist()[:2] == [85, 70]


def test_pair_segment_is_found_and_labelled():
    cells = {(c, r): (100.0, 100.0) for c in ("a", "b", "c") for r in ("x", "y", "z")}
    cells[("b", "y")] = (100.0, 400.0)
    cells[("b", "x")] = (100.0, 0.0)
    cells[("c", "y")] = (100.0, 90.0)
    # channel=b moves +200, region=y +290, the pair b & y +300
    result = explain(two_weeks(cells), max_segments=1)
    assert result["segment"].iloc[0] == "channel=b & region=y"
    assert result[["channel", "region"]].iloc[0].tolist() == ["b", "y"]
    assert result["contribution"].tolist() == [300, -110]


def test_noise_guard_leaves_proportional_growth_in_the_remainder():
    # 36 cells, each up exactly 10 %: no segment moved differently from the rest
    cells = {(c, r): (100.0 * (i + 1), 110.0 * (i + 1)) for i, (c, r) in enumerate(itertools.product("abcdef", "uvwxyz"))}
    result = explain(two_weeks(cells), noise_z=3.0)
    assert result["segment"].tolist() == ["remainder"]
    assert result["contribution"].iloc[0] == pytest.approx(0.1 * 100 * sum(range(1, 37)))


def test_noise_guard_picks_the_planted_jump_and_is_off_for_few_cells():
    cells = {(c, r): (100.0, 101.0 + (i % 3)) for i, (c, r) in enumerate(itertools.product("abcdef", "uvwxyz"))}
    cells[("c", "x")] = (100.0, 160.0)
    result = explain(two_weeks(cells), noise_z=3.0, max_segments=3)
    assert result["segment"].tolist()[0] == "channel=c & region=x"
    ranked = rank_segments(two_weeks(cells), "pipeline", ["channel", "region"], "week", "w1", "w2")
    assert ranked.set_index("segment").loc["channel=c & region=x", "noise"] == False
    assert ranked["noise"].any()
    few = {("a", "x"): (100.0, 101.0), ("b", "x"): (100.0, 102.0)}
    assert not rank_segments(two_weeks(few), "pipeline", ["channel", "region"], "week", "w1", "w2")["noise"].any()


def test_min_segment_size_counts_rows():
    cells = {(c, r): (100.0, 100.0) for c in "abc" for r in "xyz"}
    cells[("a", "x")] = (100.0, 200.0)
    # every segment has at least 1 row per period; pairs only 1, single values 3
    result = explain(two_weeks(cells), max_segments=1, min_segment_size=2)
    assert result["segment"].iloc[0] in {"channel=a", "region=x"}


def test_input_frame_is_unchanged():
    frame = two_weeks({("a", "x"): (1, 2), ("b", "y"): (3, 1)})
    copy = frame.copy()
    explain(frame)
    rank_segments(frame, "pipeline", ["channel", "region"], "week", "w1", "w2")
    pd.testing.assert_frame_equal(frame, copy)


def test_surprise_sums_to_jensen_shannon_divergence_per_dimension():
    frame = two_weeks({("a", "x"): (10, 30), ("b", "x"): (20, 10), ("c", "y"): (70, 60), ("a", "y"): (5, 25)})
    ranked = rank_segments(frame, "pipeline", ["channel", "region"], "week", "w1", "w2")
    channels = ranked[ranked["dimensions"] == "channel"].set_index("channel")
    before = frame[frame.week == "w1"].groupby("channel")["pipeline"].sum()
    after = frame[frame.week == "w2"].groupby("channel")["pipeline"].sum()
    expected = jensenshannon(before / before.sum(), after / after.sum()) ** 2
    assert channels["surprise"].sum() == pytest.approx(expected)
    assert channels.loc["a", "explanatory_power"] == pytest.approx((55 - 15) / (125 - 105))


def test_adtributor_sets_reach_the_threshold():
    frame = two_weeks({("a", "x"): (100, 200), ("b", "x"): (100, 100), ("c", "y"): (100, 95), ("d", "y"): (100, 100)})
    ranked = rank_segments(frame, "pipeline", ["channel", "region"], "week", "w1", "w2")
    causes = adtributor_root_causes(ranked)
    by_channel = causes[causes["dimensions"] == "channel"].iloc[0]
    assert by_channel["segments"] == "channel=a"
    assert by_channel["explanatory_power"] == pytest.approx(100 / 95)


cell_values = st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda v: round(v, 2))


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abcd"), st.sampled_from("xyz"), st.sampled_from("pq")),
        st.tuples(cell_values, cell_values),
        min_size=1,
        max_size=24,
    ),
    st.integers(min_value=1, max_value=6),
)
def test_contributions_add_up_and_each_is_its_unclaimed_change(cells, max_segments):
    rows = []
    for (channel, region, tier), (before, after) in cells.items():
        rows.append({"week": "w1", "channel": channel, "region": region, "tier": tier, "pipeline": before})
        rows.append({"week": "w2", "channel": channel, "region": region, "tier": tier, "pipeline": after})
    frame = pd.DataFrame(rows)
    by = ["channel", "region", "tier"]
    result = explain_change(frame, "pipeline", by, "week", "w1", "w2", max_segments=max_segments, **LOOSE)
    total = frame.loc[frame.week == "w2", "pipeline"].sum() - frame.loc[frame.week == "w1", "pipeline"].sum()
    assert math.fsum(result["contribution"]) == pytest.approx(total, abs=1e-6)
    assert result["segment"].iloc[-1] == "remainder"

    # brute force on the raw rows: each listed segment gets the change of rows nobody above claimed
    claimed = pd.Series(False, index=frame.index)
    for _, row in result.iloc[:-1].iterrows():
        members = pd.Series(True, index=frame.index)
        for dim in by:
            if not pd.isna(row[dim]):
                members &= frame[dim] == row[dim]
        fresh = frame[members & ~claimed]
        expected = fresh.loc[fresh.week == "w2", "pipeline"].sum() - fresh.loc[fresh.week == "w1", "pipeline"].sum()
        assert row["contribution"] == pytest.approx(expected, abs=1e-6)
        assert row["after"] - row["before"] == pytest.approx(
            frame[members & (frame.week == "w2")]["pipeline"].sum() - frame[members & (frame.week == "w1")]["pipeline"].sum(),
            abs=1e-6,
        )
        claimed |= members


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")), st.tuples(cell_values, cell_values), min_size=1, max_size=9
    )
)
def test_first_segment_has_the_largest_change_of_all_singles_and_pairs(cells):
    frame = two_weeks(cells)
    changes = []
    for dims in (["channel"], ["region"], ["channel", "region"]):
        grouped = frame.pivot_table(index=dims, columns="week", values="pipeline", aggfunc="sum", fill_value=0)
        changes.extend((grouped["w2"] - grouped["w1"]).abs().tolist())
    if max(changes) == 0:
        assert explain(frame, max_segments=1)["segment"].tolist() == ["remainder"]
    else:
        broadest = explain(frame, max_segments=1, prefer_specific=None)
        assert abs(broadest["contribution"].iloc[0]) == pytest.approx(max(changes))
        narrower = explain(frame, max_segments=1)
        assert abs(narrower["contribution"].iloc[0]) >= 0.8 * max(changes) - 1e-9


def test_text_columns_give_the_same_answer_as_a_frame():
    frame = two_weeks({("a", "x"): (10, 50), ("b", "x"): (20, 10), ("c", "y"): (70, 60), ("a", "y"): (5, 25)})
    text = {column: [str(v) for v in frame[column]] for column in frame.columns}
    from_text = explain_change_columns(text, "pipeline", "channel,region", "week", "w1", "w2", **LOOSE)
    from_frame = explain(frame)
    assert from_text["segment"] == from_frame["segment"].tolist()
    assert from_text["contribution"] == pytest.approx(from_frame["contribution"].tolist())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"metric": "pipelin"}, AnalysisError, r"^deals.csv: missing column 'pipelin'$"),
        ({"by": ["channel", "regio"]}, AnalysisError, r"deals.csv: missing column 'regio'"),
        ({"before": "w0"}, AnalysisError, r"deals.csv: column 'week' has no rows for period 'w0'"),
        ({"after": "w1"}, ParameterError, r"before and after must be different periods; both are 'w1'"),
        ({"by": "channel,channel"}, ParameterError, r"by names 'channel' more than once"),
        ({"max_segments": 0}, ParameterError, r"max_segments must be a whole number of at least 1; got 0"),
    ],
)
def test_bad_input_messages_name_source_column_and_value(kwargs, error, message):
    frame = two_weeks({("a", "x"): (1, 2)})
    options = {"metric": "pipeline", "by": ["channel", "region"], "period_column": "week", "before": "w1", "after": "w2"}
    options.update(kwargs)
    with pytest.raises(error, match=message):
        explain_change(frame, source="deals.csv", **options)


def test_unknown_period_hint_lists_the_periods():
    with pytest.raises(AnalysisError) as caught:
        explain(two_weeks({("a", "x"): (1, 2)}), before="2026-W01")
    assert caught.value.hint == "periods present: 'w1', 'w2'"


def test_text_number_is_located():
    frame = two_weeks({("a", "x"): (1, 2), ("b", "x"): (1, 2)}).astype({"pipeline": object})
    frame.loc[2, "pipeline"] = "12k"
    with pytest.raises(AnalysisError, match=r"data: column 'pipeline', row 3: '12k' is not a number"):
        explain(frame)


@pytest.mark.peers
@pytest.mark.slow
def test_top_segments_overlap_with_wise_pizza(shared_data):
    wise_pizza = pytest.importorskip("wise_pizza")
    data = pd.read_csv(shared_data / "whatmoved" / "segments_wisepizza_synth.csv")
    months = sorted(data["COHORT_MONTH"].unique())[-2:]
    dims = ["TYPE", "REGION", "FIRST_PRODUCT", "CURRENCY"]
    peer = wise_pizza.explain_changes_in_totals(
        data[data.COHORT_MONTH == months[0]],
        data[data.COHORT_MONTH == months[1]],
        dims=dims,
        total_name="VOLUME",
        size_name="TRANSACTION_COUNT",
        max_segments=5,
        min_depth=1,
        max_depth=2,
        how="totals",
    )
    peer_labels = {
        " & ".join(f"{dim}={segment['segment'][dim]}" for dim in dims if dim in segment["segment"])
        for segment in peer.segments
    }
    ours = explain_change(data, "VOLUME", dims, "COHORT_MONTH", months[0], months[1], max_segments=5)
    our_labels = set(ours["segment"].iloc[:-1])
    # docs/what-moved.md explains the segment the two pick differently
    assert len(our_labels & peer_labels) >= 4, (our_labels, peer_labels)
    assert math.fsum(ours["contribution"]) == pytest.approx(
        data.loc[data.COHORT_MONTH == months[1], "VOLUME"].sum() - data.loc[data.COHORT_MONTH == months[0], "VOLUME"].sum()
    )
