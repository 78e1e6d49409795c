"""The check-in's HTML pieces: its style sheet and each section's HTML from the analysis frames.

Pure functions of frames and values (no widgets, no data loading): the
explorer in :mod:`coordkit.present.checkin_view` sets them as widget values.
Every user string is escaped (:mod:`coordkit.present.html`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from coordkit.analysis.checkin import ALL_CHANNELS
from coordkit.analysis.narrative import format_amount
from coordkit.analysis.review import ALL_TEAMS, WeeklyReview
from coordkit.errors import CoordkitError
from coordkit.model.calendar import iso_week_label
from coordkit.present.html import escape, table_html
from coordkit.present.review_view import what_moved_parts

__all__ = ["CSS", "MODEL_LABELS", "campaigns_html", "drilldown_html", "error_html", "flow_html", "history_html",
           "title_html", "what_moved_html"]

MODEL_LABELS = {
    "first": "first touch",
    "last": "last touch",
    "linear": "linear",
    "time_decay": "time decay",
    "position": "position-based (40/20/40)",
    "w_shaped": "W-shaped",
    "markov": "Markov removal effect",
    "shapley": "Shapley value",
}

CSS = """<style>
.ck-explorer { --ink:#2e3440; --muted:#5c6577; --line:#d8dee9; --signal:#c62828; --noise:#4c566a; --accent:#5e81ac; color:var(--ink); }
.ck-explorer h2 { font-size:1.1rem; border-bottom:2px solid var(--line); padding-bottom:2px; margin:14px 0 6px; }
.ck-explorer h3 { font-size:0.98rem; margin:10px 0 4px; }
.ck-explorer .ck-sub, .ck-explorer .ck-note { color:var(--muted); font-size:0.88rem; }
.ck-explorer .ck-cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(210px, 1fr)); gap:10px; }
.ck-explorer .ck-card { border:1px solid var(--line); border-radius:8px; padding:8px 10px; }
.ck-explorer .ck-card { border-top:5px solid var(--noise); min-width:0; }
.ck-explorer .ck-status-on_target { border-top-color:#2e7d32; } .ck-explorer .ck-status-near_target { border-top-color:#b7791f; }
.ck-explorer .ck-status-behind_target { border-top-color:var(--signal); } .ck-explorer .ck-status-no_target { border-top-color:var(--line); }
.ck-explorer .ck-badges { display:inline-flex; gap:4px; flex-wrap:wrap; justify-content:flex-end; }
.ck-explorer .ck-target-on_target { background:#2e7d32; } .ck-explorer .ck-target-near_target { background:#b7791f; }
.ck-explorer .ck-target-behind_target { background:var(--signal); } .ck-explorer .ck-target-no_target { background:var(--muted); }
.ck-explorer .ck-card-target { font-size:0.88rem; } .ck-explorer .ck-card-qtd { font-size:0.8rem; color:var(--muted); }
.ck-explorer .ck-card-position { font-size:0.82rem; margin:4px 0 0; }
.ck-explorer .ck-lens, .ck-explorer .ck-also { font-size:0.85rem; color:var(--muted); }
.ck-explorer, .ck-explorer .widget-box, .ck-explorer .widget-html, .ck-explorer .widget-html-content { max-width:100%; min-width:0; }
.ck-explorer .widget-html-content { overflow-wrap:anywhere; }
.ck-explorer .ck-scroll { max-width:100%; overflow-x:auto; background: linear-gradient(to right, #fff 30%, rgba(255,255,255,0)), linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) 100% 0, radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.2), rgba(0,0,0,0)), radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.2), rgba(0,0,0,0)) 100% 0; background-repeat:no-repeat; background-size:40px 100%, 40px 100%, 14px 100%, 14px 100%; background-attachment:local, local, scroll, scroll; }
.ck-explorer .ck-card-label { font-weight:600; display:flex; justify-content:space-between; gap:8px; }
.ck-explorer .ck-card-value { font-size:1.5rem; font-weight:700; margin:2px 0; }
.ck-explorer .ck-card-change { color:var(--muted); font-size:0.85rem; }
.ck-explorer .ck-card-facts { display:grid; grid-template-columns:minmax(0,1fr) minmax(0,max-content); gap:1px 10px; margin:6px 0 0; font-size:0.82rem; }
.ck-explorer .ck-card-facts dt { color:var(--muted); font-weight:normal; min-width:0; white-space:normal; float:none; width:auto; margin:0; padding:0; }
.ck-explorer .ck-card-facts dd { margin:0; padding:0; float:none; width:auto; min-width:0; text-align:right; white-space:normal; overflow-wrap:anywhere; }
.ck-explorer .ck-badge { font-size:0.7rem; padding:1px 7px; border-radius:10px; color:#fff; text-transform:uppercase; }
.ck-explorer .ck-signal { background:var(--signal); } .ck-explorer .ck-noise { background:var(--noise); }
.ck-explorer .ck-verdicts { font-size:0.86rem; color:var(--muted); }
.ck-explorer .ck-table { border-collapse:collapse; width:100%; margin:4px 0 10px; font-size:0.85rem; }
.ck-explorer .ck-table caption { text-align:left; font-weight:600; padding:3px 0; }
.ck-explorer .ck-table th, .ck-explorer .ck-table td { border-bottom:1px solid var(--line); padding:3px 7px; }
.ck-explorer .ck-table th { background:#f4f6f9; text-align:left; }
.ck-explorer .ck-table .num { text-align:right; white-space:nowrap; }
.ck-explorer .ck-narrative { background:#f4f6f9; border-left:4px solid var(--accent); padding:4px 12px; }
.ck-explorer .ck-chart svg { max-width:100%; height:auto; }
.ck-explorer .ck-empty, .ck-explorer .ck-more { color:var(--muted); font-style:italic; }
.ck-explorer .ck-warning { border-left:3px solid #b45309; padding:2px 10px; margin:6px 0; }
.ck-explorer .ck-error { color:var(--signal); font-weight:600; }
.ck-explorer .ck-ok { color:#2e7d32; font-weight:600; }
.ck-explorer .ck-note-card { border-left:3px solid var(--line); padding:2px 10px; margin:6px 0; }
.ck-explorer .ck-note-card pre { white-space:pre-wrap; font-family:inherit; margin:2px 0; }
</style>"""

_FLOW_COLUMNS = [
    ("channel", "Channel", "text"), ("outputs", "Outputs", "int"), ("last_week", "Outputs last wk", "int"),
    ("cost", "Cost", "money"), ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("pipeline_13w", "Pipeline (13 wk)", "money"), ("pipeline_13w_share_text", "Share (13 wk), 90 % range", "interval"),
    ("cost_per_opportunity", "Cost / opp (13 wk)", "money"),
]
_CAMPAIGN_COLUMNS = [
    ("campaign", "Campaign", "text"), ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("opportunities_13w", "Opps (13 wk)", "number"), ("pipeline_13w", "Pipeline (13 wk)", "money"),
    ("pipeline_13w_share_text", "Share (13 wk), 90 % range", "interval"), ("outputs_13w", "Outputs (13 wk)", "int"),
    ("cost_13w", "Cost (13 wk)", "money"), ("cost_per_opportunity", "Cost / opp", "money"),
]
_DRILL_COLUMNS = [
    ("output_id", "Output", "text"), ("title", "Title", "text"), ("channel", "Channel", "text"), ("kind", "Kind", "text"),
    ("owner", "Owner", "text"), ("published", "Published", "text"), ("cost", "Cost", "money"),
    ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("opportunities_13w", "Opps (13 wk)", "number"), ("pipeline_13w", "Pipeline (13 wk)", "money"),
]

#: notes listed under "Earlier check-ins"
HISTORY_NOTES = 20


def title_html(week: dt.date, team: str, model: str, channel: str) -> str:
    scope = "all teams" if team == ALL_TEAMS else f"team {team}"
    return (
        f"<h1 style='font-size:1.35rem;margin:4px 0'>Weekly check-in: {escape(scope)}, "
        f"{escape(iso_week_label(week))} ({week.isoformat()} to {(week + dt.timedelta(days=6)).isoformat()})</h1>"
        f"<p class='ck-sub'>Outcomes first, then the outputs behind them. Attribution model: "
        f"{escape(MODEL_LABELS.get(model, model))}; channel: {escape('all' if channel == ALL_CHANNELS else channel)}.</p>"
    )


def channel_note_html(channel: str) -> str:
    if channel == ALL_CHANNELS:
        return ""
    return ("<p class='ck-note'>Headline outcomes are the team's totals (outcomes are not split by channel); "
            "the channel choice narrows outputs, campaigns and the drill-down.</p>")


def flow_html(flow: pd.DataFrame, model: str, currency: str, notes: list[str] = ()) -> str:
    """Outputs next to outcomes: a sentence of totals and the per-channel table (:func:`~coordkit.analysis.checkin.channel_flow`)."""
    total_outputs = int(flow["outputs"].sum())
    lead = (f"<p>{total_outputs:,} outputs shipped this week for {escape(format_amount(float(flow['cost'].sum()), currency))}; "
            f"{float(flow['opportunities'].sum()):,.1f} opportunities and "
            f"{escape(format_amount(float(flow['pipeline'].sum()), currency))} of pipeline credited to outputs "
            f"this week under the {escape(MODEL_LABELS.get(model, model))} model.</p>")
    lead += "".join(f'<p class="ck-warning" role="note">{escape(note)}</p>' for note in notes)
    return lead + table_html(flow, _FLOW_COLUMNS, currency, caption="Per channel: what was shipped, what it earned",
                             empty="Nothing shipped or credited for this choice.")


def campaigns_html(campaigns: pd.DataFrame, idle: pd.DataFrame, currency: str) -> str:
    """The campaign table and the *activity without outcome* list."""
    table = table_html(campaigns, _CAMPAIGN_COLUMNS, currency, max_rows=15,
                       caption="Opportunities credited to each campaign's outputs (13 weeks up to this week)",
                       empty="No campaign earned or shipped anything in these 13 weeks.")
    idle_html = table_html(
        idle, [("campaign", "Campaign", "text"), ("channel", "Channel", "text"), ("outputs", "Outputs (13 wk)", "int"),
               ("touches", "Touches", "int"), ("cost", "Cost (13 wk)", "money")],
        currency, caption="Activity without outcome: much output, no attributed outcome in 13 weeks",
        empty="No campaign with much output went without an outcome.",
    )
    return table + idle_html


def drilldown_html(campaign: str | None, frame: pd.DataFrame | None, currency: str) -> str:
    """One campaign's outputs (:func:`~coordkit.analysis.checkin.campaign_outputs`) with a sentence of totals."""
    if campaign is None or frame is None:
        return "<p class='ck-empty'>No campaign to drill into.</p>"
    earning = int((frame["opportunities_13w"] > 0).sum())
    lead = (f"<p><strong>{escape(campaign)}</strong>: {len(frame):,} outputs shipped or credited in the 13 weeks up to this week; "
            f"{earning:,} earned credit for {float(frame['opportunities_13w'].sum()):,.1f} opportunities and "
            f"{escape(format_amount(float(frame['pipeline_13w'].sum()), currency))} of pipeline.</p>")
    return lead + table_html(frame, _DRILL_COLUMNS, currency, max_rows=40, caption="Outputs of this campaign",
                             empty="This campaign has no outputs in these 13 weeks.")


def what_moved_html(review: WeeklyReview) -> str:
    narrative, table = what_moved_parts(review, "Segments that explain the change in pipeline created (vs last week)")
    return narrative + table


def history_html(notes: pd.DataFrame, team: str) -> str:
    """Earlier check-ins, newest first; an older version of a (team, week) note is marked replaced."""
    if notes.empty:
        scope = "any team" if team == ALL_TEAMS else f"team {team}"
        return f"<p class='ck-empty'>No check-in saved yet for {escape(scope)}.</p>"
    cards = []
    seen: set = set()
    for row in notes.head(HISTORY_NOTES).itertuples():
        version = "" if (row.team, row.week) not in seen else " · <em>earlier version, replaced</em>"
        seen.add((row.team, row.week))
        due = f", due {row.due_date.isoformat()}" if row.due_date is not None else ""
        owner = f"owner {escape(row.owner)}{escape(due)}" if row.owner else escape(due.lstrip(", "))
        by = f" by {escape(row.author)}" if row.author else ""
        saved = pd.Timestamp(row.created_at).strftime("%Y-%m-%d %H:%M UTC")
        body = ""
        if row.decisions:
            body += f"<div><em>Decisions</em><pre>{escape(row.decisions)}</pre></div>"
        if row.next_actions:
            body += f"<div><em>Next actions</em> ({owner})<pre>{escape(row.next_actions)}</pre></div>"
        cards.append(
            f"<div class='ck-note-card' data-checkin-id='{int(row.id)}'>"
            f"<div class='ck-note'>#{int(row.id)} · {escape(row.team)} · week {escape(iso_week_label(row.week))} · "
            f"saved {escape(saved)}{by}{version}</div>{body}</div>"
        )
    more = f"<p class='ck-more'>… and {len(notes) - HISTORY_NOTES} earlier notes.</p>" if len(notes) > HISTORY_NOTES else ""
    return "".join(cards) + more


def carried_note_html(previous: pd.Series | None, items: list[str]) -> str:
    """The line above last check-in's checklist."""
    if previous is None:
        return "<p class='ck-empty'>No earlier check-in: nothing carried forward.</p>"
    label = escape(iso_week_label(previous["week"]))
    if not items:
        return f"<p class='ck-empty'>The check-in of {label} set no next actions.</p>"
    due = f", due {previous['due_date'].isoformat()}" if previous["due_date"] is not None else ""
    owner = f", owner {escape(previous['owner'])}" if previous["owner"] else ""
    return f"<p class='ck-note'>From the check-in of {label}{owner}{escape(due)}: tick what is done.</p>"


def form_note_html(note: pd.Series | None, final: bool) -> str:
    if note is None:
        return ""
    saved = escape(pd.Timestamp(note["created_at"]).strftime("%Y-%m-%d %H:%M UTC"))
    return (f"<p class='ck-note'>This week's note (#{int(note['id'])}, saved {saved}): "
            + ("final, a later check-in exists.</p>" if final else "edit it and save to update it.</p>"))


def error_html(exc: CoordkitError) -> str:
    hint = f" {escape(exc.hint)}" if getattr(exc, "hint", None) else ""
    return f"<span class='ck-error'>{escape(exc.message)}</span>{hint}"
