"""The demo workspace: deterministic, the right size, contract columns, and every planted fact.

Planted facts are re-derived here from the CSVs with plain pandas (never with the
generator's helpers), so a bug in the generator's bookkeeping cannot hide itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from coordkit.contract import CHANNELS, TABLES
from coordkit.demo import generate_demo
from coordkit.errors import ParameterError

FIRST_MONDAY = pd.Timestamp("2025-09-29")
COLLAPSE_MONDAY = pd.Timestamp("2026-11-09")
LAST_MONDAY = pd.Timestamp("2026-11-16")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate_demo(tmp_path_factory.mktemp("demo_a"))


@pytest.fixture(scope="module")
def truth(demo):
    return json.loads(demo["ground_truth"].read_text(encoding="utf-8"))


_READ_CACHE: dict = {}


def read(path) -> pd.DataFrame:
    """Every cell as text, empty stays empty; each file is parsed once per test session."""
    key = str(path)
    if key not in _READ_CACHE:
        _READ_CACHE[key] = pd.read_csv(path, dtype=str, keep_default_na=False)
    return _READ_CACHE[key].copy()


def monday(ts: pd.Series) -> pd.Series:
    """Monday (naive date) of the UTC week of each timestamp."""
    day = ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


def parse_time(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


@pytest.fixture(scope="module")
def outputs(demo):
    df = read(demo["outputs"])
    df["ts"] = parse_time(df["published_at"])
    df["cost_num"] = pd.to_numeric(df["cost"], errors="coerce")
    return df[df["ts"].notna() & (df["cost_num"] >= 0)].assign(week=lambda d: monday(d["ts"]))


@pytest.fixture(scope="module")
def touchpoints(demo):
    df = read(demo["touchpoints"])
    df["ts"] = parse_time(df["touched_at"])
    return df


@pytest.fixture(scope="module")
def outcomes(demo):
    """What a correct ingest holds after outcomes.csv then outcomes_update.csv (independent re-implementation)."""

    def clean(df):
        df = df.copy()
        df["ts"] = parse_time(df["created_at"])
        df["amount_num"] = pd.to_numeric(df["amount"].replace("", np.nan), errors="coerce")
        bad_amount = (df["kind"] == "opportunity") & ~(df["amount_num"] >= 0)
        return df[df["ts"].notna() & ~bad_amount].drop_duplicates("outcome_id", keep="first")

    merged = pd.concat([clean(read(demo["outcomes"])), clean(read(demo["outcomes_update"]))])
    merged = merged.drop_duplicates("outcome_id", keep="last").reset_index(drop=True)
    merged["week"] = monday(merged["ts"])
    merged["closed_ts"] = parse_time(merged["closed_at"].replace("", np.nan))
    return merged


def weekly(outcomes: pd.DataFrame, team: str, value: str) -> pd.Series:
    weeks = pd.date_range(FIRST_MONDAY, LAST_MONDAY, freq="7D")
    opp = outcomes[(outcomes["kind"] == "opportunity") & (outcomes["team"] == team)]
    if value == "count":
        return opp.groupby("week").size().reindex(weeks, fill_value=0).astype(float)
    return opp.groupby("week")["amount_num"].sum().reindex(weeks, fill_value=0.0)


# ------------------------------------------------------------------ basics
def test_same_seed_gives_identical_bytes(demo, tmp_path):
    """A second run in a fresh process (other hash seed, time zone, locale) writes the same bytes."""
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Auckland", "LC_ALL": "C.UTF-8"}
    code = "import sys; from coordkit.demo import generate_demo; generate_demo(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, timeout=120)
    for path in demo.values():
        again = tmp_path / path.name
        assert path.read_bytes() == again.read_bytes(), f"{path.name} differs between two runs"


def test_bad_seed_is_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match="seed must be a non-negative whole number"):
        generate_demo(tmp_path, seed=-1)


def _contract_columns(name: str) -> tuple[str, ...]:
    # the demo's money is all in the reporting currency, so its exports carry no currency column;
    # its e-mails report no unsubscribes (a column the Mailchimp preset fills)
    return tuple(c for c in TABLES[name].column_names if c not in ("currency", "unsubscribes"))


def test_columns_match_the_contract(demo):
    for name in ("outputs", "touchpoints", "targets", "spend"):
        assert tuple(read(demo[name]).columns) == _contract_columns(name), name
    for name in ("outcomes", "outcomes_update"):
        columns = list(read(demo[name]).columns)
        assert "contact_email" in columns  # the extra CRM column reports must never show
        columns.remove("contact_email")
        assert tuple(columns) == _contract_columns("outcomes")


def test_sizes_are_in_the_stated_ranges(demo, outputs, touchpoints, outcomes, truth):
    assert 1800 <= len(outputs) <= 2300
    assert 120_000 <= len(touchpoints) <= 180_000
    assert 35 <= outputs["campaign"].nunique() <= 45
    assert (
        set(outputs["channel"]) - {"tiktok"} == set(truth["channels"])
        and len(truth["channels"]) == 8
    )
    assert set(outputs["team"]) == {"emea", "north-america", "apac"}
    kinds = outcomes["kind"].value_counts()
    assert 1300 <= kinds["opportunity"] <= 1900
    assert kinds["lead"] > 2 * kinds["opportunity"]
    assert 15_000 <= touchpoints["contact_id"].replace("", np.nan).nunique() <= 20_000
    weeks = monday(outputs["ts"])
    assert weeks.min() == FIRST_MONDAY and weeks.max() == LAST_MONDAY
    assert weeks.nunique() >= 58  # the New Year week may be empty
    for name, counts in truth["rows"].items():
        assert len(read(demo[name.removesuffix(".csv")])) == counts["rows"], name
    assert (touchpoints["ts"].dropna() < pd.Timestamp("2026-11-23", tz="UTC")).all()
    assert (outcomes["ts"] < pd.Timestamp("2026-11-23", tz="UTC")).all()


def test_truth_weekly_metrics_match_an_independent_count(outcomes, truth):
    for team in truth["teams"]:
        got = truth["weekly_metrics"][team]
        assert weekly(outcomes, team, "count").tolist() == got["opportunities"], team
        assert np.allclose(weekly(outcomes, team, "amount").to_numpy(), got["pipeline_created"]), (
            team
        )
        leads = (
            outcomes[(outcomes["kind"] == "lead") & (outcomes["team"] == team)]
            .groupby("week")
            .size()
        )
        weeks = pd.date_range(FIRST_MONDAY, LAST_MONDAY, freq="7D")
        assert leads.reindex(weeks, fill_value=0).tolist() == got["leads"], team
        won = outcomes[(outcomes["team"] == team) & (outcomes["won"] == "true")]
        won_weekly = (
            won.groupby(monday(won["closed_ts"]))["amount_num"].sum().reindex(weeks, fill_value=0.0)
        )
        assert np.allclose(won_weekly.to_numpy(), got["won_revenue"]), team


# ------------------------------------------------------------------ planted facts
def test_webinars_lift_opportunities_two_weeks_later(outputs, outcomes, truth):
    webinars = outputs[outputs["kind"] == "webinar"]
    holiday = {pd.Timestamp("2025-12-22"), pd.Timestamp("2025-12-29")}
    lift_by_lag = {}
    for lag in range(5):
        after, other = [], []
        for team in truth["teams"]:
            series = weekly(outcomes, team, "count")
            lifted = set(webinars.loc[webinars["team"] == team, "week"] + pd.Timedelta(weeks=lag))
            for week, value in series.items():
                if week < FIRST_MONDAY + pd.Timedelta(weeks=2) or week in holiday:
                    continue
                if team == "north-america" and week >= COLLAPSE_MONDAY:
                    continue
                (after if week in lifted else other).append(value)
        lift_by_lag[lag] = np.mean(after) / np.mean(other)
    assert (
        max(lift_by_lag, key=lift_by_lag.get) == truth["planted"]["webinar_lift"]["lag_weeks"] == 2
    )
    assert lift_by_lag[2] > 1.3, lift_by_lag
    assert len(webinars) == truth["planted"]["webinar_lift"]["webinars"]


def xmr_lower_limit(values: np.ndarray) -> float:
    return values.mean() - 2.66 * np.abs(np.diff(values)).mean()


@pytest.mark.parametrize("value", ["count", "amount"])
def test_paid_social_collapse_is_flagged_by_xmr(outcomes, value):
    series = weekly(outcomes, "north-america", value)
    baseline = series[
        (series.index >= COLLAPSE_MONDAY - pd.Timedelta(weeks=12))
        & (series.index < COLLAPSE_MONDAY)
    ]
    assert len(baseline) == 12
    assert series[COLLAPSE_MONDAY] < xmr_lower_limit(baseline.to_numpy())
    # the other teams are not hit that week
    for team in ("emea", "apac"):
        other = weekly(outcomes, team, value)
        base = other[
            (other.index >= COLLAPSE_MONDAY - pd.Timedelta(weeks=12))
            & (other.index < COLLAPSE_MONDAY)
        ]
        assert other[COLLAPSE_MONDAY] >= xmr_lower_limit(base.to_numpy())


def test_paid_social_leads_stop_converting_for_north_america(outcomes, truth):
    na = outcomes[(outcomes["team"] == "north-america") & (outcomes["utm_medium"] == "paid_social")]
    opp_weeks = na.loc[na["kind"] == "opportunity", "week"]
    assert (opp_weeks >= COLLAPSE_MONDAY).sum() == 0
    baseline = opp_weeks[
        (opp_weeks >= COLLAPSE_MONDAY - pd.Timedelta(weeks=12)) & (opp_weeks < COLLAPSE_MONDAY)
    ]
    assert len(baseline) / 12 > 5  # sourced opportunities only; the truth counts unsourced too
    assert (
        (na["kind"] == "lead") & (na["week"] >= COLLAPSE_MONDAY)
    ).sum() > 20  # the leads still come
    collapse = truth["planted"]["paid_social_collapse"]
    assert (
        collapse["from_iso_week"] == "2026-W46"
        and collapse["paid_social_opportunities_from_collapse_week"] == 0
    )


def test_brand_campaign_has_volume_and_no_outcome(outputs, touchpoints, outcomes, truth):
    name = truth["planted"]["activity_without_outcome"]["campaign"]
    assert name == "always-on-brand-awareness"
    assert outputs["campaign"].value_counts().index[0] == name  # the busiest campaign
    ids = set(outputs.loc[outputs["campaign"] == name, "output_id"])
    touched = touchpoints[
        touchpoints["output_id"].isin(ids)
        | (touchpoints["utm_campaign"] == name)
        | touchpoints["url"].str.contains(f"utm_campaign={name}&", regex=False)
    ]
    assert len(touched) > 10_000
    assert len(touched) == truth["planted"]["activity_without_outcome"]["touchpoints"]
    assert not (outcomes["campaign"] == name).any()
    assert not set(touched["contact_id"]) & set(outcomes["contact_id"])
    assert not set(touched["account_id"]) & set(outcomes["account_id"])


def test_outcomes_follow_touches(touchpoints, outcomes):
    """Every outcome's contact was touched in the 90 days before it was created (causal generation)."""
    tp = touchpoints.loc[touchpoints["contact_id"] != "", ["contact_id", "ts"]].dropna()
    latest = outcomes[["outcome_id", "contact_id", "ts"]].merge(
        tp, on="contact_id", suffixes=("", "_touch")
    )
    latest = latest[
        (latest["ts_touch"] <= latest["ts"])
        & (latest["ts_touch"] >= latest["ts"] - pd.Timedelta(days=90))
    ]
    assert latest["outcome_id"].nunique() == len(outcomes)


# ------------------------------------------------------------------ realism
def test_weekly_and_yearly_rhythm(outputs, touchpoints):
    assert (outputs["ts"].dt.day_of_week >= 5).mean() < 0.05
    assert 0.03 < (touchpoints["ts"].dt.day_of_week >= 5).mean() < 0.15
    per_week = (
        outputs.groupby("week")
        .size()
        .reindex(pd.date_range(FIRST_MONDAY, LAST_MONDAY, freq="7D"), fill_value=0)
    )
    assert per_week[pd.Timestamp("2025-12-22")] + per_week[pd.Timestamp("2025-12-29")] <= 5
    summer = per_week[(per_week.index >= "2026-07-06") & (per_week.index < "2026-08-10")].mean()
    spring = per_week[(per_week.index >= "2026-04-06") & (per_week.index < "2026-05-18")].mean()
    assert summer < 0.85 * spring


def test_update_export_closes_deals_and_adds_late_rows(demo, truth):
    base, update = read(demo["outcomes"]), read(demo["outcomes_update"])
    late = update[~update["outcome_id"].isin(base["outcome_id"])]
    assert len(late) == truth["realism"]["late_arriving_outcomes"]["count"] > 10
    assert (
        parse_time(late["created_at"]) < pd.Timestamp("2026-11-09", tz="UTC")
    ).all()  # weeks before the export
    both = base.drop_duplicates("outcome_id").merge(
        update, on="outcome_id", suffixes=("_base", "_update")
    )
    assert len(both) > 500  # the exports overlap
    newly_closed = both[(both["won_base"] == "") & (both["won_update"] != "")]
    assert (
        sorted(newly_closed["outcome_id"])
        == truth["realism"]["closures_logged_late"]["outcome_ids"]
    )
    assert {"true", "false"} <= set(newly_closed["won_update"])


def test_messy_rows_are_where_the_truth_says(demo, truth):
    messy = truth["messy_rows"]
    assert {m["file"] for m in messy} == {"outputs.csv", "touchpoints.csv", "outcomes.csv"}
    for m in messy:
        frame = read(demo[m["file"].removesuffix(".csv")])
        row = frame.iloc[m["row"] - 2]  # spreadsheet row: header is row 1
        assert row.iloc[0] == m["id"], m
        for column in m["column"].split(","):
            assert row[column] == m["value"], m
    share = len(messy) / sum(c["rows"] for c in truth["rows"].values())
    assert share < 0.002
    values = {m["value"] for m in messy}
    assert {"12k", "tiktok", "-250.00"} <= values
    dup = next(m for m in messy if "duplicate" in m["expected"])
    outcomes = read(demo["outcomes"])
    same = outcomes[outcomes["outcome_id"] == dup["id"]]
    assert len(same) == 2 and same["amount"].nunique() == 2


def test_every_output_has_its_own_utm_tag(demo):
    outputs = read(demo["outputs"])
    assert not outputs.duplicated(["utm_campaign", "utm_content"]).any()
    assert not outputs["url"].duplicated().any()


def test_script_injection_and_email_rows(demo, truth):
    outputs = read(demo["outputs"])
    row = outputs.iloc[truth["special_rows"]["xss_output"]["row"] - 2]
    assert (
        "<script>alert(1)</script>" in row["campaign"]
        and "<script>alert(1)</script>" in row["title"]
    )
    emails = read(demo["outcomes"])["contact_email"]
    assert emails.str.fullmatch(r"[a-z.0-9]+@[a-z0-9]+\.example").all()


def test_targets_and_spend(demo, outputs):
    targets = read(demo["targets"])
    assert set(targets["metric"]) == {"pipeline_created", "opportunities", "leads", "won_revenue"}
    assert set(targets["team"]) == {"emea", "north-america", "apac", "all"}
    assert targets["week"].nunique() == 60 and (pd.to_numeric(targets["value"]) >= 0).all()
    spend = read(demo["spend"])
    assert set(spend["channel"]) <= set(CHANNELS)
    assert (pd.to_numeric(spend["planned_cost"]) > 0).all()
    assert set(spend["campaign"]) <= set(outputs["campaign"])


def test_ground_truth_markdown_states_the_figures(demo, truth):
    text = demo["ground_truth_md"].read_text(encoding="utf-8")
    assert "2026-W46" in text and "always-on-brand-awareness" in text and "**2 weeks**" in text
    for m in truth["messy_rows"]:
        assert f"| {m['file']} | {m['row']} |" in text
