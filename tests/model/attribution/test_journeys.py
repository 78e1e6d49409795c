"""Journeys: event splitting, path files, distinct paths."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.errors import SchemaError, ValidationError
from coordkit.model.attribution import distinct_paths, journey_summary
from coordkit.model.attribution.files import read_events, read_paths
from coordkit.model.attribution.journeys import journeys_from_events


def _journeys(touches) -> pd.DataFrame:
    return touches.to_pandas().sort_values(["journey_id", "position"]).reset_index(drop=True)


def test_conversion_closes_journey_and_later_touches_form_a_non_converting_one(event_touches):
    touches = event_touches(
        [
            # file order is shuffled on purpose: journeys follow time, not rows
            ("c1", "2024-01-03T00:00:00Z", "B", "impression", 0),
            ("c1", "2024-01-01T00:00:00Z", "A", "impression", 0),
            ("c1", "2024-01-04T00:00:00Z", "C", "conversion", 5.0),
            ("c1", "2024-01-10T00:00:00Z", "A", "impression", 0),
            ("c1", "2024-01-06T00:00:00Z", "B", "conversion", 2.0),
            ("c1", "2024-01-11T00:00:00Z", "C", "impression", 0),
            ("c2", "2024-01-02T00:00:00Z", "A", "impression", 0),
        ]
    )
    rows = _journeys(touches)
    by_journey = {
        jid: (tuple(g["channel"]), g["conversions"].iloc[0], g["conversion_value"].iloc[0], g["non_conversions"].iloc[0])
        for jid, g in rows.groupby("journey_id")
    }
    assert sorted(by_journey.values()) == sorted(
        [
            (("A", "B", "C"), 1.0, 5.0, 0.0),
            (("B",), 1.0, 2.0, 0.0),
            (("A", "C"), 0.0, 0.0, 1.0),
            (("A",), 0.0, 0.0, 1.0),
        ]
    )
    first = rows[rows["channel"].eq("A") & rows["conversions"].eq(1)]
    # age is measured back from the conversion: 3 days
    assert first["age_seconds"].iloc[0] == 3 * 86400
    assert set(rows["n_touches"]) == {1, 2, 3}


def test_conversion_at_the_same_instant_sorts_after_the_impression(event_touches):
    touches = event_touches(
        [
            ("c1", "2024-01-01T00:00:00Z", "B", "conversion", 1.0),
            ("c1", "2024-01-01T00:00:00Z", "A", "impression", 0),
        ]
    )
    rows = _journeys(touches)
    assert list(rows["channel"]) == ["A", "B"]
    assert rows["journey_id"].nunique() == 1


def test_missing_event_column_is_named(event_touches):
    import ibis

    with pytest.raises(SchemaError, match="missing column.*'action'"):
        journeys_from_events(ibis.memtable(pd.DataFrame({"contact_id": ["a"], "touched_at": [pd.Timestamp("2024-01-01", tz="UTC")], "channel": ["x"]})))


def test_shared_event_file_gives_the_documented_journeys(events_file):
    from coordkit.model.attribution import event_journeys

    summary = journey_summary(event_journeys(read_events(events_file)))
    assert summary["journeys"] == 9506
    assert summary["converting"] == 1838
    assert summary["conversion_value"] == pytest.approx(11423.5, abs=1e-9)


def test_shared_path_file_sums_repeated_paths(paths_file):
    paths = read_paths(paths_file)
    raw = pd.read_csv(paths_file, sep=";")
    assert len(paths) == raw["path"].nunique() == 5408
    assert paths["conversions"].sum() == 19785
    assert paths["non_conversions"].sum() == 68602
    assert paths["conversion_value"].sum() == pytest.approx(74802.97, abs=0.01)
    one = raw["path"].value_counts().index[0]
    expected = raw.loc[raw["path"] == one, "total_conversions"].sum()
    assert paths.loc[paths["path"] == tuple(one.split(" > ")), "conversions"].item() == expected


def test_distinct_paths_round_trips_a_path_frame(path_touches):
    rows = [(("a", "b", "a"), 2.0, 3.0, 1.0), (("b",), 0.0, 0.0, 4.0), (("b", "a"), 1.0, 1.5, 0.0)]
    got = distinct_paths(path_touches(rows + [(("b",), 1.0, 2.0, 1.0)]))
    expected = {("a", "b", "a"): (2.0, 3.0, 1.0), ("b",): (1.0, 2.0, 5.0), ("b", "a"): (1.0, 1.5, 0.0)}
    assert {p: (c, v, n) for p, c, v, n in got.itertuples(index=False)} == expected


def test_path_file_errors_name_row_and_column(tmp_path):
    bad = tmp_path / "p.csv"
    bad.write_text("path;total_conversions;total_conversion_value;total_null\na > b;1;2;x\n")
    with pytest.raises(ValidationError, match=r"p.csv row 2, column total_null: 'x'"):
        read_paths(bad)
    bad.write_text("path,total_conversions\na,1\n")
    with pytest.raises(SchemaError, match="missing column"):
        read_paths(bad)


def test_event_reader_input_is_not_mutated(event_touches):
    rows = [("c1", "2024-01-01T00:00:00Z", "A", "conversion", 1.0)]
    from coordkit.model.attribution.files import event_journeys

    frame = pd.DataFrame(rows, columns=["contact_id", "touched_at", "channel", "action", "conversion_value"])
    frame["touched_at"] = pd.to_datetime(frame["touched_at"], utc=True)
    before = frame.copy()
    event_journeys(frame).to_pandas()
    pd.testing.assert_frame_equal(frame, before)
