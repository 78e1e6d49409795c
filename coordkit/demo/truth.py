"""Ground truth: the planted facts measured on the simulated state (``ground_truth.json``) and their Markdown rendering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.demo.exports import LATE_FIRST_WEEK, LATE_LAST_WEEK, METRICS, UPDATE_FROM_WEEK
from coordkit.demo.outputs import webinar_weeks
from coordkit.demo.settings import (
    BASE_EXPORT_AT,
    CHANNELS_USED,
    COLLAPSE_CHANNEL,
    COLLAPSE_TEAM,
    COLLAPSE_WEEK,
    DAY,
    FIRST_MONDAY,
    GENERATOR_VERSION,
    HOLIDAY_WEEKS,
    LEAD_REPEAT_GAP_DAYS,
    N_WEEKS,
    NO_OUTCOME_CAMPAIGN,
    NO_OUTCOME_TEAM,
    T_START,
    TEAMS,
    UPDATE_EXPORT_AT,
    WEBINAR_ATTEND_LEAD_P,
    WEBINAR_LAG_WEEKS,
    WEBINAR_LEAD_OPP_P,
    XSS,
    XSS_CAMPAIGN,
    iso_week,
    monday,
    week_of,
)


def _xmr(values: np.ndarray) -> dict:
    centre = float(np.mean(values))
    mr = float(np.mean(np.abs(np.diff(values))))
    return {
        "centre": round(centre, 2),
        "mean_moving_range": round(mr, 2),
        "lower_limit": round(centre - 2.66 * mr, 2),
        "upper_limit": round(centre + 2.66 * mr, 2),
    }


def _truth_collapse(weekly: pd.DataFrame, rows: pd.DataFrame, leads: pd.DataFrame) -> dict:
    team = weekly.loc[COLLAPSE_TEAM]
    baseline = range(COLLAPSE_WEEK - 12, COLLAPSE_WEEK)
    opp = rows[(rows["kind"] == "opportunity") & (rows["team"] == COLLAPSE_TEAM)]
    opp_week = week_of(opp["ts"].to_numpy())
    ps = opp[opp["channel"] == COLLAPSE_CHANNEL]
    ps_week = week_of(ps["ts"].to_numpy())
    return {
        "team": COLLAPSE_TEAM,
        "channel": COLLAPSE_CHANNEL,
        "from_week": monday(COLLAPSE_WEEK),
        "from_iso_week": iso_week(COLLAPSE_WEEK),
        "planted": "north-america leads whose source channel is paid_social are never qualified into an opportunity "
        "created on or after 2026-11-09 (conversion exactly 0)",
        "baseline_weeks": [monday(baseline[0]), monday(baseline[-1])],
        "paid_social_opportunities_per_week_baseline": round(
            float(np.mean([(ps_week == w).sum() for w in baseline])), 2
        ),
        "paid_social_opportunities_from_collapse_week": int((ps_week >= COLLAPSE_WEEK).sum()),
        "paid_social_share_of_team_opportunities_baseline": round(
            float(
                np.isin(ps_week, list(baseline)).sum()
                / max(1, np.isin(opp_week, list(baseline)).sum())
            ),
            3,
        ),
        "opportunities_suppressed": int(leads["collapsed"].sum()),
        "weekly": {
            metric: {
                monday(w): float(team[metric].iloc[w]) for w in range(COLLAPSE_WEEK - 12, N_WEEKS)
            }
            for metric in ("opportunities", "pipeline_created")
        },
        "xmr_baseline_12_weeks": {
            metric: {
                **_xmr(team[metric].to_numpy()[list(baseline)]),
                "collapse_week_value": float(team[metric].iloc[COLLAPSE_WEEK]),
            }
            for metric in ("opportunities", "pipeline_created")
        },
    }


def _truth_webinars(weekly: pd.DataFrame, rows: pd.DataFrame, outputs: pd.DataFrame) -> dict:
    per_team, lifted, other, lifted_pipe, other_pipe = {}, [], [], [], []
    for team in TEAMS:
        weeks = webinar_weeks(team)
        per_team[team] = [monday(w) for w in weeks]
        targets = {w + WEBINAR_LAG_WEEKS for w in weeks}
        for w in range(WEBINAR_LAG_WEEKS, N_WEEKS):
            if w in HOLIDAY_WEEKS or (team == COLLAPSE_TEAM and w >= COLLAPSE_WEEK):
                continue
            (lifted if w in targets else other).append(weekly.loc[(team, w), "opportunities"])
            (lifted_pipe if w in targets else other_pipe).append(
                weekly.loc[(team, w), "pipeline_created"]
            )
    webinar_opps = rows[(rows["kind"] == "opportunity") & rows["webinar"]]
    n_webinars = int((outputs["kind"] == "webinar").sum())
    return {
        "lag_weeks": WEBINAR_LAG_WEEKS,
        "webinar_weeks": per_team,
        "planted": f"each webinar attendee becomes a lead at the webinar with p={WEBINAR_ATTEND_LEAD_P} (if not a lead in "
        f"the last {LEAD_REPEAT_GAP_DAYS} days); such a lead becomes an opportunity with p={WEBINAR_LEAD_OPP_P}, created "
        f"exactly {WEBINAR_LAG_WEEKS} weeks (14 days + 0-20 h) after the webinar, same team",
        "webinars": n_webinars,
        "webinar_opportunities": len(webinar_opps),
        "webinar_opportunities_per_webinar": round(len(webinar_opps) / n_webinars, 2),
        "webinar_pipeline_per_webinar": round(float(webinar_opps["amount"].sum()) / n_webinars, 2),
        "comparison_note": "team-weeks from week 2 on, holidays and north-america from 2026-11-09 excluded",
        "mean_opportunities_two_weeks_after_webinar": round(float(np.mean(lifted)), 2),
        "mean_opportunities_other_weeks": round(float(np.mean(other)), 2),
        "mean_pipeline_two_weeks_after_webinar": round(float(np.mean(lifted_pipe)), 2),
        "mean_pipeline_other_weeks": round(float(np.mean(other_pipe)), 2),
    }


def _truth_no_outcome(outputs, touches, rows) -> dict:
    is_brand = outputs["campaign"].to_numpy() == NO_OUTCOME_CAMPAIGN
    counts = outputs.groupby("campaign").size().sort_values(ascending=False)
    return {
        "campaign": NO_OUTCOME_CAMPAIGN,
        "team": NO_OUTCOME_TEAM,
        "channel": "social",
        "outputs": int(is_brand.sum()),
        "outputs_rank_by_volume": int(list(counts.index).index(NO_OUTCOME_CAMPAIGN) + 1),
        "cost": round(float(outputs.loc[is_brand, "cost"].sum()), 2),
        "touchpoints": int(is_brand[touches["out_row"].to_numpy()].sum()),
        "outcomes_sourced": int((rows["campaign"] == NO_OUTCOME_CAMPAIGN).sum()),
        "outcomes_with_a_touch_in_lookback": 0,
        "planted": "its touches have zero effect on conversion and reach only a separate audience (2,500 contacts in "
        "650 accounts) that no other output touches, so no outcome shares a contact or account with it: zero credit "
        "under sourced, every touch-based model (90-day lookback) and account-level linking",
    }


def build_truth(
    seed, files, counts, weekly, weekly_base, rows, leads, outputs, touches, messy, calendar, extra
) -> dict:
    holiday_weeks = list(HOLIDAY_WEEKS)
    out_week = week_of(outputs["ts"].to_numpy())
    out_weekday = ((outputs["ts"].to_numpy() - T_START) // DAY) % 7
    tp_weekday = ((touches["ts"].to_numpy() - T_START) // DAY) % 7
    month = outputs["ts"].to_numpy().astype("datetime64[s]").astype("datetime64[M]").astype(str)
    last = N_WEEKS - 1
    headline = lambda w: {t: {m: float(weekly.loc[(t, w), m]) for m in METRICS} for t in TEAMS}
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "calendar": {
            "week_starts": "Monday",
            "time_zone": "UTC",
            "first_week": monday(0),
            "last_week": monday(last),
            "last_week_iso": iso_week(last),
            "data_end": "2026-11-22T23:59:59Z",
            "weeks": N_WEEKS,
            "same_week_last_year": monday(last - 52),
            "holiday_weeks": [monday(w) for w in holiday_weeks],
            "first_export_at": BASE_EXPORT_AT,
            "update_export_at": UPDATE_EXPORT_AT,
        },
        "teams": list(TEAMS),
        "channels": list(CHANNELS_USED),
        "campaigns": int(outputs["campaign"].nunique()),
        "files": {k: Path(v).name for k, v in files.items()},
        "rows": counts,
        "contacts": extra["contacts"],
        "accounts": extra["accounts"],
        "planted": {
            "webinar_lift": _truth_webinars(weekly, rows, outputs),
            "paid_social_collapse": _truth_collapse(weekly, rows, leads),
            "activity_without_outcome": _truth_no_outcome(outputs, touches, rows),
        },
        "realism": {
            "output_share_on_weekends": round(float((out_weekday >= 5).mean()), 4),
            "touch_share_on_weekends": round(float((tp_weekday >= 5).mean()), 4),
            "outputs_in_holiday_weeks": {
                monday(w): int((out_week == w).sum()) for w in holiday_weeks
            },
            "median_outputs_per_week": float(np.median(np.bincount(out_week, minlength=N_WEEKS))),
            "outputs_per_month": {m: int(c) for m, c in zip(*np.unique(month, return_counts=True))},
            "late_arriving_outcomes": extra["late"],
            "closures_logged_late": extra["late_closures"],
            "sourced_share_of_outcomes": round(float((rows["campaign"] != "").mean()), 3),
            "touchpoint_link_styles": extra["link_styles"],
            "account_only_touchpoints": extra["account_only"],
        },
        "messy_rows": messy,
        "special_rows": extra["special"],
        "weekly_metrics_note": "per team and week (created_at / closed_at in UTC, Monday weeks) after ingesting "
        "outcomes.csv then outcomes_update.csv, messy rows rejected, duplicate kept once",
        "headline_last_week": {"week": monday(last), "metrics": headline(last)},
        "headline_same_week_last_year": {
            "week": monday(last - 52),
            "metrics": headline(last - 52),
        },
        "weekly_metrics": {
            t: {m: [float(v) for v in weekly.loc[t][m].to_numpy()] for m in METRICS} for t in TEAMS
        },
        "weekly_metrics_first_export_only": {
            t: {
                m: [float(v) for v in weekly_base.loc[t][m].to_numpy()]
                for m in ("leads", "opportunities", "pipeline_created")
            }
            for t in TEAMS
        },
    }


# ================================================================ facts about the exports
def row_counts(frames: dict[str, pd.DataFrame], messy: list[dict]) -> dict:
    """Data rows per CSV and how many of them ingest is expected to accept and reject."""
    rejected = {
        f: sum(1 for m in messy if m["file"] == f and m["expected"].startswith("reject"))
        for f in ("outputs.csv", "touchpoints.csv", "outcomes.csv")
    }
    return {
        f"{name}.csv": {
            "rows": len(frame),
            "accepted": len(frame) - rejected.get(f"{name}.csv", 0),
            "rejected": rejected.get(f"{name}.csv", 0),
        }
        for name, frame in frames.items()
    }


def export_facts(rows, touches, contacts, frames: dict[str, pd.DataFrame], account_only) -> dict:
    """Late rows, late closures, link styles and special rows, measured on the written frames."""
    outputs_csv, touch_csv = frames["outputs"], frames["touchpoints"]
    outcomes_csv, update_csv = frames["outcomes"], frames["outcomes_update"]
    late = rows[rows["late"]]
    new_ids = set(update_csv["outcome_id"]) - set(outcomes_csv["outcome_id"])
    xss_row = int(np.flatnonzero(outputs_csv["campaign"].to_numpy() == XSS_CAMPAIGN)[0]) + 2
    return {
        "contacts": int(touches["contact_row"].nunique()),
        "accounts": int(contacts["account_id"].iloc[touches["contact_row"].unique()].nunique()),
        "late": {
            "count": len(late),
            "leads": int((late["kind"] == "lead").sum()),
            "opportunities": int((late["kind"] == "opportunity").sum()),
            "created_from": monday(LATE_FIRST_WEEK),
            "created_to": str(FIRST_MONDAY + 7 * LATE_LAST_WEEK + 6),
            "update_rows": len(update_csv),
            "update_covers_from": monday(UPDATE_FROM_WEEK),
            "new_in_update": len(new_ids),
        },
        "late_closures": {
            "count": int(rows["close_logged_late"].sum()),
            "won": int((rows["close_logged_late"] & rows["won"]).sum()),
            "outcome_ids": sorted(rows.loc[rows["close_logged_late"], "outcome_id"].tolist()),
        },
        "link_styles": {
            "output_id": int((touch_csv["output_id"] != "").sum()),
            "utm_columns_and_url": int((touch_csv["utm_campaign"] != "").sum()),
            "url_only": int(
                (
                    (touch_csv["output_id"] == "")
                    & (touch_csv["utm_campaign"] == "")
                    & (touch_csv["url"] != "")
                ).sum()
            ),
        },
        "account_only": int(account_only.sum()),
        "special": {
            "xss_output": {
                "row": xss_row,
                "output_id": outputs_csv.iloc[xss_row - 2]["output_id"],
                "campaign": XSS_CAMPAIGN,
            },
            "pii_column": {"file": "outcomes.csv", "column": "contact_email"},
        },
    }


# ================================================================ markdown
_TEMPLATE = "ground_truth.md.j2"


def render_markdown(truth: dict) -> str:
    """``GROUND_TRUTH.md`` from the ground-truth dict, through the package's Jinja template."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("coordkit.demo", "."),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,  # a renamed key fails loudly instead of printing nothing
        autoescape=False,  # Markdown, not HTML: the XSS row is shown verbatim inside backticks
    )
    env.filters["f"] = format
    return env.get_template(_TEMPLATE).render(truth=truth, xss=XSS)
