"""The check-in's frames on hand-made inputs small enough to add up by hand, and its one cache."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from types import SimpleNamespace

import pandas as pd
import pytest

from coordkit.analysis.checkin import (
    CheckinData,
    campaign_outputs,
    channel_campaigns,
    channel_flow,
    data_weeks,
    idle_campaigns,
    likely_picks,
    short_title,
)
from coordkit.analysis.checkin_notes import (
    action_items,
    checklist_of,
    later_checkin_week,
    note_of_week,
    previous_checkin,
    with_checklist,
    without_checklist,
)

W = dt.date(2026, 11, 16)  # the week shown
W1 = W - dt.timedelta(days=7)
OLD = W - dt.timedelta(days=7 * 13)  # one week outside the 13-week window


def _outputs() -> pd.DataFrame:
    rows = [
        # output_id, campaign, channel, team, week, cost, title
        ("o1", "spring", "email", "emea", W, 100.0, "Spring launch e-mail"),
        ("o2", "spring", "email", "emea", W1, 50.0, "Spring teaser " + "x" * 60),
        ("o3", "spring", "social", "emea", W1, 30.0, "Spring post"),
        ("o4", "spring", "email", "emea", OLD, 999.0, "Old spring e-mail"),  # outside the window
        ("o5", "autumn", "email", "apac", W, 70.0, "Autumn e-mail"),     # another team
    ]
    frame = pd.DataFrame(rows, columns=["output_id", "campaign", "channel", "team", "week", "cost", "title"])
    frame["kind"] = "email"
    frame["owner"] = "Sam"
    frame["published_at"] = [pd.Timestamp(w) for w in frame["week"]]
    return frame


def _credit() -> pd.DataFrame:
    rows = [
        # outcome, output_id, campaign, channel, team, kind, week, credit, amount
        ("d1", "o1", "spring", "email", "emea", "opportunity", W, 0.5, 5000.0),
        ("d1", "o3", "spring", "social", "emea", "opportunity", W, 0.5, 5000.0),
        ("d2", "o2", "spring", "email", "emea", "opportunity", W1, 1.0, 2000.0),
        ("l1", "o2", "spring", "email", "emea", "lead", W, 1.0, 0.0),           # a lead: not an opportunity
        ("d3", "o4", "spring", "email", "emea", "opportunity", OLD, 1.0, 9000.0),  # outside the window
        ("d4", "o5", "autumn", "email", "apac", "opportunity", W, 1.0, 700.0),
    ]
    return pd.DataFrame(rows, columns=["outcome_id", "output_id", "campaign", "channel", "team", "kind", "week", "credit",
                                       "amount"])


def test_drill_down_by_hand():
    outputs, credit = _outputs(), _credit()
    before = (outputs.copy(), credit.copy())
    got = campaign_outputs(credit, outputs, "spring", W, team="emea")
    pd.testing.assert_frame_equal(outputs, before[0])  # inputs untouched
    pd.testing.assert_frame_equal(credit, before[1])
    # o4 is outside the 13 weeks and earned only there; o5 is another team's
    assert set(got["output_id"]) == {"o1", "o2", "o3"}
    rows = got.set_index("output_id")
    assert rows.loc["o1", ["opportunities", "pipeline", "opportunities_13w", "pipeline_13w"]].tolist() == [0.5, 5000, 0.5, 5000]
    assert rows.loc["o2", ["opportunities", "pipeline", "opportunities_13w", "pipeline_13w"]].tolist() == [0, 0, 1.0, 2000]
    assert rows.loc["o3", "channel"] == "social" and rows.loc["o3", "published"] == W1.isoformat()
    # most credit first: o2 (1.0 opportunity) leads, then o1 and o3 (0.5 each, o1 published later)
    assert got["output_id"].tolist() == ["o2", "o1", "o3"]
    assert rows.loc["o2", "title"] == ("Spring teaser " + "x" * 60)[:47] + "…"

    email = campaign_outputs(credit, outputs, "spring", W, team="emea", channel="email")
    assert email["output_id"].tolist() == ["o2", "o1"]
    everyone = campaign_outputs(credit, outputs, "autumn", W)  # all teams
    assert everyone["output_id"].tolist() == ["o5"] and everyone["pipeline"].tolist() == [700.0]


def test_channel_campaigns_by_hand():
    table = channel_campaigns(_credit(), _outputs(), W, "emea", "email")
    row = table.set_index("campaign").loc["spring"]
    assert table["campaign"].tolist() == ["spring"]
    assert (row["opportunities"], row["pipeline"], row["opportunities_13w"], row["pipeline_13w"]) == (0.5, 5000, 1.5, 7000)
    assert (row["outputs_13w"], row["cost_13w"]) == (2, 150.0)
    assert row["cost_per_opportunity"] == pytest.approx(100.0)
    assert channel_campaigns(_credit(), _outputs(), W, "emea", "tv").empty


def test_channel_flow_joins_shipped_and_earned():
    review = SimpleNamespace(
        outputs_by_channel=pd.DataFrame({"channel": ["email", "social"], "outputs": [3, 1], "last_week": [2, 0],
                                         "cost": [150.0, 30.0]}),
        attributed_by_channel=pd.DataFrame({"channel": ["social", "events"], "opportunities": [0.5, 1.0],
                                            "pipeline": [5000.0, 8000.0], "pipeline_13w": [5000.0, 8000.0],
                                            "pipeline_13w_share_text": ["38 % (20-60 %)", "62 % (40-80 %)"],
                                            "cost_per_opportunity": [60.0, None]}),
    )
    flow = channel_flow(review)
    assert flow["channel"].tolist() == ["events", "social", "email"]  # most pipeline first
    assert flow.set_index("channel").loc["email", ["outputs", "opportunities", "pipeline"]].tolist() == [3, 0, 0]
    assert flow.set_index("channel").loc["events", ["outputs", "cost"]].tolist() == [0, 0]
    assert channel_flow(review, "social")["channel"].tolist() == ["social"]


def test_idle_campaigns_of_a_channel():
    review = SimpleNamespace(activity_without_outcome=pd.DataFrame(
        {"campaign": ["a", "b"], "channel": ["email", "social"], "outputs": [12, 3], "touches": [0, 1], "cost": [10.0, 5000.0]}))
    assert idle_campaigns(review)["campaign"].tolist() == ["a", "b"]
    assert idle_campaigns(review, "social")["campaign"].tolist() == ["b"]


def test_data_weeks_run_from_the_first_data_to_the_latest_complete_week():
    context = SimpleNamespace(facts=pd.DataFrame({"week": [W1, None]}), outputs=pd.DataFrame({"week": [OLD]}),
                              latest_week=W)
    weeks = data_weeks(context)
    assert weeks[0] == OLD and weeks[-1] == W and len(weeks) == 14
    assert all((b - a).days == 7 for a, b in itertools.pairwise(weeks))


def test_likely_picks_after_a_week_change_are_the_other_teams_of_that_week_first():
    weeks = [W - dt.timedelta(days=7 * i) for i in (4, 3, 2, 1, 0)]  # oldest first, as data_weeks gives them
    teams = ["all", "apac", "emea"]
    w2, w3 = W - dt.timedelta(days=14), W - dt.timedelta(days=21)
    assert likely_picks(weeks, teams, W1, "all", changed="week") == [(W1, "apac"), (W1, "emea"), (w2, "all"), (w3, "all")]
    # after anything else: the week before for this team, then the other teams of this week, then further back
    assert likely_picks(weeks, teams, W1, "emea", changed="team") == [(w2, "emea"), (W1, "all"), (W1, "apac"), (w3, "emea")]
    assert likely_picks(weeks, teams, weeks[0], "all") == [(weeks[0], "apac"), (weeks[0], "emea")]  # nothing earlier


def test_short_title():
    assert short_title("  a\n  b ") == "a b"
    assert short_title(None) == "" and short_title(float("nan")) == ""
    long = "word " * 20
    assert len(short_title(long)) == 48 and short_title(long).endswith("…")


def test_memo_computes_once_even_when_two_threads_ask_at_once():
    data = CheckinData(SimpleNamespace())
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(data.memo("k", slow))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1
    assert data.get("k") is results[0] and data.get("other", 7) == 7


def test_prefetch_runs_jobs_when_quiet_and_a_newer_call_replaces_them():
    data = CheckinData(SimpleNamespace())
    done = []
    data.touch()
    def job(key):
        return key, lambda: data.memo(key, lambda: done.append(key) or key.upper())

    data.prefetch([job("a"), job("b")], idle_seconds=0.3)
    data.prefetch([job("c")], idle_seconds=0.3)  # the selection moved on
    data.wait(10)
    assert done == ["c"] and data.get("c") == "C" and data.get("a") is None


# --- notes carried forward -------------------------------------------------------------


def test_action_items_strip_markers():
    assert action_items("- Call the agency\n2) Pause display\n\n* [x] Book the venue\n  •  Plan Q1") == [
        "Call the agency", "Pause display", "Book the venue", "Plan Q1"]
    assert action_items("") == [] and action_items(None) == []


def test_checklist_round_trip():
    text = with_checklist("Keep webinars", [("Call the agency", False), ("Pause · display", True)])
    assert text.splitlines() == ["Keep webinars", "From the last check-in: [ ] Call the agency · [x] Pause - display"]
    assert checklist_of(text) == [("Call the agency", False), ("Pause - display", True)]
    assert without_checklist(text) == "Keep webinars"
    assert with_checklist("d", []) == "d"
    assert with_checklist("  ", [("a", True)]) == "From the last check-in: [x] a"


def test_which_note_is_previous_current_and_final():
    notes = pd.DataFrame([  # newest first, as list_checkins returns them
        {"id": 4, "team": "emea", "week": W, "decisions": "v2"},
        {"id": 3, "team": "emea", "week": W, "decisions": "v1"},
        {"id": 2, "team": "apac", "week": W1, "decisions": "apac"},
        {"id": 1, "team": "emea", "week": W1 - dt.timedelta(days=7), "decisions": "old"},
    ])
    assert previous_checkin(notes, "emea", W)["id"] == 1
    assert previous_checkin(notes, "emea", W1 - dt.timedelta(days=7)) is None
    assert note_of_week(notes, "emea", W)["decisions"] == "v2"
    assert note_of_week(notes, "apac", W) is None
    assert later_checkin_week(notes, "emea", W1) == W
    assert later_checkin_week(notes, "emea", W) is None
    assert later_checkin_week(notes.iloc[0:0], "emea", W) is None
