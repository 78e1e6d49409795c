"""Intervals in the review's and the check-in's attributed tables (issue 17, item 2).

The shown range must be what ``credit_intervals`` gives for the same
opportunities (recounted here from the credit rows and the opportunity facts,
not taken from the table), contain the table's own share, and reach the page;
a data-driven model on fewer opportunities than the documented threshold must
say so on the page.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from coordkit.analysis.attributed_intervals import REVIEW_RESAMPLES, share_text, volume_note
from coordkit.analysis.metrics import OPPORTUNITY_KINDS
from coordkit.analysis.review import NOT_CREDITED, compute_weekly_review, review_context
from coordkit.model.attribution.intervals import MIN_DATA_DRIVEN_CONVERSIONS
from coordkit.model.attribution.workspace_intervals import credit_intervals
from coordkit.model.calendar import trailing_weeks

WEEK = "2026-W47"


@pytest.fixture(scope="module")
def context(demo_workspace):
    return review_context(demo_workspace)


def window_rows(context, team, model, week, column):
    """The 13 weeks' opportunities as bootstrap rows, rebuilt by hand: credit per label, the rest not credited."""
    window = trailing_weeks(week, 12) + [week]
    credit = context.credit(model)
    credit = credit[(credit["team"] == team) & credit["kind"].isin(OPPORTUNITY_KINDS) & credit["week"].isin(window)]
    facts = context.facts
    opportunities = facts[(facts["team"] == team) & facts["kind"].isin(OPPORTUNITY_KINDS) & facts["week"].isin(window)]
    rows = []
    labelled = credit[credit[column].notna()]
    for outcome_id, amount in zip(opportunities["outcome_id"], opportunities["amount"].fillna(0.0)):
        mine = labelled[labelled["outcome_id"] == outcome_id]
        for label, share, money in zip(mine[column], mine["credit"], mine["amount"]):
            rows.append((outcome_id, label, share, money))
        if 1.0 - mine["credit"].sum() > 1e-12 or amount - mine["amount"].sum() > 1e-9:
            rows.append((outcome_id, NOT_CREDITED, max(0.0, 1.0 - mine["credit"].sum()), max(0.0, amount - mine["amount"].sum())))
    return pd.DataFrame(rows, columns=["outcome_id", column, "credit", "amount"])


@pytest.mark.parametrize(("team", "column"), [("emea", "channel"), ("north-america", "campaign")])
def test_the_shown_interval_is_credit_intervals_on_the_windows_opportunities(context, team, column):
    review = compute_weekly_review(context, week=WEEK, team=team, model="position")
    table = getattr(review, f"attributed_by_{column}").set_index(column)
    expected = credit_intervals(window_rows(context, team, "position", review.week, column), column,
                                level=0.9, resamples=REVIEW_RESAMPLES, seed=0).set_index(column)
    credited = table[table["pipeline_13w"] > 0]
    assert len(credited) >= 3
    for label, row in credited.iterrows():
        mine = expected.loc[label]
        # the recount's point figures are the table's own: same opportunities, same split
        assert mine["amount"] == pytest.approx(row["pipeline_13w"], rel=1e-9)
        assert mine["amount_share"] == pytest.approx(row["pipeline_13w_share"], rel=1e-9)
        for end in ("low", "high"):
            assert row[f"pipeline_13w_{end}"] == pytest.approx(mine[f"amount_{end}"], rel=1e-9)
            assert row[f"opportunities_13w_{end}"] == pytest.approx(mine[f"outcomes_{end}"], rel=1e-9)
            assert row[f"pipeline_13w_share_{end}"] == pytest.approx(mine[f"amount_share_{end}"], rel=1e-9)
        assert row["pipeline_13w_share_low"] <= row["pipeline_13w_share"] <= row["pipeline_13w_share_high"]
        assert row["pipeline_13w_low"] <= row["pipeline_13w"] <= row["pipeline_13w_high"]
        assert row["pipeline_13w_share_text"] == share_text(row["pipeline_13w_share"], row["pipeline_13w_share_low"],
                                                            row["pipeline_13w_share_high"])
    assert credited["pipeline_13w_share_high"].gt(credited["pipeline_13w_share_low"]).all()


def test_the_range_is_on_the_review_page_and_in_the_checkin(context, demo_workspace):
    from coordkit.present.review_view import show_outputs_to_outcomes
    from coordkit.present.checkin_view import CheckinExplorer

    review = compute_weekly_review(context, week=WEEK, team="emea", model="position")
    page = html.unescape(show_outputs_to_outcomes(review).data)
    assert "Share (13 wk), 90 % range" in page
    for text in review.attributed_by_channel["pipeline_13w_share_text"]:
        assert f">{text}<" in page
    assert "ck-warning" not in page  # a rule model: no data-driven warning
    explorer = CheckinExplorer(demo_workspace)
    explorer.set_week(WEEK).set_team("emea").set_model("position")
    shown = html.unescape(explorer.flow.value)
    paid_social = review.attributed_by_channel.set_index("channel").loc["paid_social", "pipeline_13w_share_text"]
    assert "(" in paid_social and f">{paid_social}<" in shown


def test_a_data_driven_model_on_few_opportunities_is_flagged_on_the_page(context):
    from coordkit.present.review_view import show_outputs_to_outcomes

    review = compute_weekly_review(context, week=WEEK, team="apac", model="markov")
    credited = review.attributed_by_channel
    count = float(credited.loc[credited["channel"] != NOT_CREDITED, "opportunities_13w"].sum())
    assert 0 < count < MIN_DATA_DRIVEN_CONVERSIONS
    page = html.unescape(show_outputs_to_outcomes(review).data)
    assert 'class="ck-warning"' in page and "data-driven" in page and f"{count:,.0f} opportunities" in page
    assert review.attribution_notes and '"attribution_notes"' in review.to_json()


def test_volume_note_threshold_and_share_text_by_hand():
    assert volume_note("markov", 199) and volume_note("shapley", 10)
    assert volume_note("markov", 200) is None and volume_note("position", 5) is None
    assert share_text(0.41, 0.33, 0.49) == "41 % (33–49 %)"
    assert share_text(0.025, 0.013, 0.039) == "2.5 % (1.3–3.9 %)"
    assert share_text(0.0, 0.0, 0.0) == "0 %"
    assert share_text(float("nan"), float("nan"), float("nan")) == "–"


def test_share_intervals_of_two_groups_mirror_each_other():
    """With two groups the shares are x and 1 - x in every replicate, so the bounds mirror (percentiles are linear)."""
    rng = np.random.default_rng(3)
    rows = pd.DataFrame({"outcome_id": np.repeat(np.arange(40), 2), "channel": ["a", "b"] * 40,
                         "credit": np.tile([0.3, 0.7], 40), "amount": rng.uniform(0, 100, 80)})
    found = credit_intervals(rows, "channel", resamples=300, seed=5).set_index("channel")
    assert found.loc["a", "amount_share_low"] == pytest.approx(1 - found.loc["b", "amount_share_high"], abs=1e-12)
    assert found.loc["a", "amount_share_high"] == pytest.approx(1 - found.loc["b", "amount_share_low"], abs=1e-12)
    # every outcome gives the same 0.3 / 0.7 split of credit: no uncertainty at all in that share
    assert found.loc["a", ["outcomes_share", "outcomes_share_low", "outcomes_share_high"]].tolist() == pytest.approx([0.3] * 3)
    single = credit_intervals(rows.assign(channel="a"), "channel", resamples=50).iloc[0]
    assert single[["amount_share", "amount_share_low", "amount_share_high"]].tolist() == pytest.approx([1.0] * 3)


@pytest.mark.slow
def test_the_reviews_custom_model_reads_its_weights_from_coordkit_yaml(demo_workspace, tmp_path):
    """W-shaped's weights written as a custom model give W-shaped's credit; without weights a clear error."""
    import shutil

    from coordkit.errors import ParameterError

    copy = tmp_path / "ws"
    shutil.copytree(demo_workspace, copy, ignore=shutil.ignore_patterns("cache", "*.lock"))
    with pytest.raises(ParameterError, match="attribution_custom"):
        review_context(copy, use_cache=False).credit("custom")
    (copy / "coordkit.yaml").write_text(
        "attribution_custom: {first_touch: 0.3, lead_creation: 0.3, opportunity_creation: 0.3, other: 0.1}\n", encoding="utf-8")
    context = review_context(copy, use_cache=False)
    key = ["outcome_id", "output_id", "channel", "campaign"]
    custom = context.credit("custom").sort_values(key, kind="stable").reset_index(drop=True)
    shaped = context.credit("w_shaped").sort_values(key, kind="stable").reset_index(drop=True)
    assert len(custom) > 100
    pd.testing.assert_frame_equal(custom[[*key, "credit", "amount"]], shaped[[*key, "credit", "amount"]], rtol=1e-9)
    review = compute_weekly_review(context, week=WEEK, team="emea", model="custom")
    assert review.attributed_by_channel["pipeline_13w_share_text"].str.contains("%").all()
