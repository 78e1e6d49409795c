"""Exports: the simulated state rendered as the canonical CSVs (two outcome exports, outputs, touchpoints, targets, spend)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.settings import (
    COLLAPSE_WEEK,
    HOLIDAY_WEEKS,
    N_WEEKS,
    TEAMS,
    count_text,
    iso,
    monday,
    money,
    pick_from,
    week_of,
)

# ================================================================ re-export
LATE_FIRST_WEEK, LATE_LAST_WEEK, LATE_SHARE = 50, 57, 0.05
UPDATE_FROM_WEEK = 48  # the re-export covers records created since 2026-08-31
LATE_CLOSE_SHARE = 0.5


def plan_exports(rng, rows: pd.DataFrame) -> pd.DataFrame:
    """Mark late-arriving rows (missing from the first export) and closures logged late."""
    week = week_of(rows["ts"].to_numpy())
    n = len(rows)
    rows = rows.copy()
    rows["late"] = (
        (week >= LATE_FIRST_WEEK) & (week <= LATE_LAST_WEEK) & (rng.random(n) < LATE_SHARE)
    )
    close_week = np.where(
        rows["close_ts"].to_numpy() >= 0, week_of(rows["close_ts"].to_numpy()), -1
    )
    rows["close_logged_late"] = (
        rows["closed"].to_numpy()
        & (close_week >= COLLAPSE_WEEK)
        & ~rows["late"].to_numpy()
        & (rng.random(n) < LATE_CLOSE_SHARE)
    )
    return rows


def canonical_outcomes(rows: pd.DataFrame, as_first_export: bool) -> pd.DataFrame:
    """Render rows in contract columns; the first export shows late-logged closures still open."""
    closed = rows["closed"].to_numpy().copy()
    stage = rows["stage"].to_numpy(dtype=object).copy()
    if as_first_export:
        hide = rows["close_logged_late"].to_numpy()
        closed[hide] = False
        stage[hide] = "Negotiation"
    close_ts = rows["close_ts"].to_numpy()
    is_opp = rows["kind"].to_numpy() == "opportunity"
    amount = rows["amount"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "outcome_id": rows["outcome_id"].to_numpy(dtype=object),
            "kind": rows["kind"].to_numpy(dtype=object),
            "created_at": iso(rows["ts"].to_numpy()),
            "contact_id": rows["contact_id"].to_numpy(dtype=object),
            "contact_email": rows["contact_email"].to_numpy(dtype=object),
            "account_id": rows["account_id"].to_numpy(dtype=object),
            "amount": np.where(is_opp, ["" if np.isnan(a) else f"{a:.2f}" for a in amount], ""),
            "stage": stage,
            "closed_at": np.where(closed, iso(np.maximum(close_ts, 0)), ""),
            "won": np.where(closed, np.where(rows["won"].to_numpy(), "true", "false"), ""),
            "team": rows["team"].to_numpy(dtype=object),
            "owner": rows["owner"].to_numpy(dtype=object),
            "campaign": rows["campaign"].to_numpy(dtype=object),
            "utm_source": rows["utm_source"].to_numpy(dtype=object),
            "utm_medium": rows["utm_medium"].to_numpy(dtype=object),
            "utm_campaign": rows["utm_campaign"].to_numpy(dtype=object),
            "utm_content": rows["utm_content"].to_numpy(dtype=object),
        }
    )


# ================================================================ canonical outputs / touchpoints
def _delivery_counts(rng, outputs: pd.DataFrame, touches: pd.DataFrame) -> pd.DataFrame:
    """Platform-reported counts, scaled up from the touches by known contacts (platforms see everyone)."""
    n = len(outputs)
    by_action = pd.crosstab(touches["out_row"], touches["action"]).reindex(range(n), fill_value=0)
    total = by_action.sum(axis=1).to_numpy(dtype=float)
    get = lambda a: by_action[a].to_numpy(dtype=float) if a in by_action else np.zeros(n)
    kind = outputs["kind"].to_numpy(dtype=object)
    u = lambda lo, hi: lo + (hi - lo) * rng.random(n)
    nan = np.full(n, np.nan)
    social, ad, email = np.isin(kind, ("post", "video")), kind == "ad", kind == "email"
    web, live = np.isin(kind, ("blog", "press_release")), np.isin(kind, ("event", "webinar"))
    impressions = np.where(social, total * u(40, 80), np.where(ad, total * u(80, 200), nan))
    reach = np.where(
        social | ad,
        impressions * u(0.4, 0.8),
        np.where(web, total * u(5, 10), np.where(live, get("attend") * 1.15, nan)),
    )
    clicks = np.where(social | ad | email, get("click") * u(1.5, 3.5), nan)
    opens = np.where(email, get("open") * u(2.5, 4.0), nan)
    engagements = np.where(social, clicks * u(1.5, 3.0), np.where(live, get("attend"), nan))
    counts = {
        "impressions": impressions,
        "reach": reach,
        "clicks": clicks,
        "opens": opens,
        "engagements": engagements,
    }
    return pd.DataFrame({k: count_text(np.round(v)) for k, v in counts.items()})


def canonical_outputs(rng, outputs, touches) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "output_id": outputs["output_id"],
            "published_at": iso(outputs["ts"].to_numpy()),
            "channel": outputs["channel"],
            "kind": outputs["kind"],
            "campaign": outputs["campaign"],
            "platform": outputs["platform"],
            "owner": outputs["owner"],
            "team": outputs["team"],
            "title": outputs["title"],
            "cost": money(outputs["cost"].to_numpy()),
            "url": outputs["url"],
            "utm_source": outputs["utm_source"],
            "utm_medium": outputs["utm_medium"],
            "utm_campaign": outputs["utm_campaign"],
            "utm_content": outputs["utm_content"],
        }
    )
    return pd.concat([frame, _delivery_counts(rng, outputs, touches)], axis=1)


def canonical_touchpoints(rng, touches, outputs, contacts) -> pd.DataFrame:
    """Touches with three linking styles: output_id; UTM columns + URL; URL only (UTMs inside)."""
    n = len(touches)
    o, c = touches["out_row"].to_numpy(), touches["contact_row"].to_numpy()
    style = pick_from(rng, (0.6, 0.25, 0.15), n)  # 0 = output_id, 1 = utm columns, 2 = url only
    account_only = touches["account_only"].to_numpy()
    utm = {
        col: outputs[col].to_numpy(dtype=object)[o]
        for col in ("utm_source", "utm_medium", "utm_campaign", "utm_content")
    }
    blank = np.full(n, "", dtype=object)
    frame = pd.DataFrame(
        {
            "touchpoint_id": np.char.add(
                "T-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)
            ).astype(object),
            "contact_id": np.where(
                account_only, "", contacts["contact_id"].to_numpy(dtype=object)[c]
            ),
            "account_id": contacts["account_id"].to_numpy(dtype=object)[c],
            "touched_at": iso(touches["ts"].to_numpy()),
            "output_id": np.where(style == 0, outputs["output_id"].to_numpy(dtype=object)[o], ""),
            "channel": np.where(style == 0, outputs["channel"].to_numpy(dtype=object)[o], ""),
            "url": np.where(style >= 1, outputs["url"].to_numpy(dtype=object)[o], ""),
            **{col: np.where(style == 1, values, "") for col, values in utm.items()},
            "action": touches["action"].to_numpy(dtype=object),
            "conversion_value": blank,
        }
    )
    return frame, account_only


# ================================================================ targets and spend
METRICS = ("pipeline_created", "opportunities", "leads", "won_revenue")


def weekly_metrics(rows: pd.DataFrame) -> pd.DataFrame:
    """Weekly leads, opportunities, pipeline created and won revenue per team (the final, clean state)."""
    week = week_of(rows["ts"].to_numpy())
    is_opp = rows["kind"].to_numpy() == "opportunity"
    amount = np.nan_to_num(rows["amount"].to_numpy(dtype=float))
    created = pd.DataFrame(
        {
            "team": rows["team"],
            "week": week,
            "lead": ~is_opp,
            "opp": is_opp,
            "pipe": np.where(is_opp, amount, 0.0),
        }
    )
    agg = created.groupby(["team", "week"]).agg(
        leads=("lead", "sum"), opportunities=("opp", "sum"), pipeline_created=("pipe", "sum")
    )
    won = rows[rows["won"].to_numpy() & rows["closed"].to_numpy()]
    won_rev = pd.DataFrame(
        {"team": won["team"], "week": week_of(won["close_ts"].to_numpy()), "w": won["amount"]}
    )
    won_rev = won_rev.groupby(["team", "week"])["w"].sum().rename("won_revenue")
    index = pd.MultiIndex.from_product([TEAMS, range(N_WEEKS)], names=["team", "week"])
    return agg.join(won_rev, how="outer").reindex(index).fillna(0.0)


def targets(weekly: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """Plan = the team's average over the first 26 weeks, shaped by season, +10% ambition."""
    season = calendar.groupby(calendar["day"] // 7)["season"].mean().to_numpy()
    holiday_week = np.isin(np.arange(N_WEEKS), HOLIDAY_WEEKS)
    shape = np.where(holiday_week, 0.3, 1.0) * season / season[:26].mean()
    rows = []
    for team in (*TEAMS, "all"):
        series = weekly.groupby(level="week").sum() if team == "all" else weekly.loc[team]
        for metric in METRICS:
            base = series[metric].to_numpy()[:26][~holiday_week[:26]].mean()
            for week in range(N_WEEKS):
                value = 1.1 * base * shape[week]
                value = (
                    round(value)
                    if metric in ("opportunities", "leads")
                    else round(value / 1000) * 1000
                )
                rows.append((monday(week), metric, team, f"{float(value):.2f}"))
    return pd.DataFrame(rows, columns=["week", "metric", "team", "value"])


def spend(rng, outputs: pd.DataFrame) -> pd.DataFrame:
    """Planned cost per week, team, channel and campaign: what was spent, give or take the plan's error."""
    week = week_of(outputs["ts"].to_numpy())
    spent = (
        outputs.assign(week=week)
        .groupby(["week", "team", "channel", "campaign"], sort=True)["cost"]
        .sum()
        .reset_index()
    )
    planned = np.round(spent["cost"].to_numpy() * (0.85 + 0.3 * rng.random(len(spent))) / 50) * 50
    return pd.DataFrame(
        {
            "week": [monday(w) for w in spent["week"]],
            "team": spent["team"],
            "channel": spent["channel"],
            "campaign": spent["campaign"],
            "planned_cost": money(np.maximum(planned, 50.0)),
        }
    )


