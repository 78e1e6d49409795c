"""The "Pipeline movement" section of the weekly review and the check-in's pipeline panel.

Takes a :class:`~coordkit.analysis.pipeline_movement.PipelineMovement` and
returns escaped HTML (or Markdown lines for the summary); it never loads data.
"""

from __future__ import annotations

import pandas as pd

from coordkit.analysis.narrative import escape_markdown
from coordkit.analysis.pipeline_movement import PipelineMovement
from coordkit.present.html import escape, section_html, table_html

__all__ = [
    "pipeline_movement_html", "pipeline_movement_markdown", "pipeline_panel", "pipeline_panel_html", "show_pipeline_movement"]

_STAGE_COLUMNS = [
    ("stage", "Stage", "text"),
    ("finished", "Finished stays", "int"),
    ("median_days", "Median days", "number"),
    ("p75_days", "75th pct", "number"),
    ("p90_days", "90th pct", "number"),
    ("open", "Open now", "int"),
]
_STUCK_COLUMNS = [
    ("outcome_id", "Opportunity", "text"),
    ("stage", "Stage", "text"),
    ("days", "Days in stage", "number"),
    ("limit_days", "Usual at most", "number"),
    ("campaign", "Campaign", "text"),
    ("amount", "Amount", "money"),
]
_FORECAST_COLUMNS = [
    ("metric", "Metric", "text"),
    ("so_far", "So far", "money"),
    ("expected", "Expected", "money"),
    ("lower", "Low", "money"),
    ("upper", "High", "money"),
    ("target", "Target", "money"),
    ("share_of_target", "Of target", "percent"),
    ("extra_opportunities_per_week", "Extra opps / week", "number"),
]


def _sentences_html(movement: PipelineMovement) -> str:
    if not movement.sentences:
        reason = movement.warnings[0] if movement.warnings else "No stage history for this team and week."
        return f'<p class="ck-empty">{escape(reason)}</p>'
    items = "".join(f"<li>{escape(s)}</li>" for s in movement.sentences)
    return f'<ul class="ck-findings">{items}</ul>'


def pipeline_movement_html(movement: PipelineMovement) -> str:
    """The full section: findings, time in stage, stuck deals, forecast."""
    if movement.forecast.empty:
        return section_html("Pipeline movement", _sentences_html(movement), section_id="pipeline-movement")
    stages = movement.stage_times
    if len(stages):
        stages = stages[stages["segment"] == "all"]
    stuck = movement.stuck.head(10)
    forecast = movement.forecast.assign(metric=movement.forecast["metric"].str.replace("_", " "))
    currency = getattr(movement, "currency", "USD")
    return section_html(
        "Pipeline movement",
        _sentences_html(movement),
        "<h3>Days in each stage (finished stays)</h3>",
        table_html(stages, _STAGE_COLUMNS, currency, empty="No finished stays yet."),
        f"<h3>Stuck opportunities ({len(movement.stuck)})</h3>",
        table_html(stuck, _STUCK_COLUMNS, currency, empty="None stuck."),
        "<h3>Quarter forecast on current rates</h3>",
        table_html(forecast, _FORECAST_COLUMNS, currency, empty="No forecast."),
        section_id="pipeline-movement",
    )


def pipeline_panel_html(movement: PipelineMovement) -> str:
    """The check-in's compact panel: the findings only."""
    return f'<div class="ck-panel ck-pipeline">{_sentences_html(movement)}</div>'


_PANEL_CACHE: dict = {}


def _cache_key(folder) -> tuple[str, str]:
    from coordkit.ingest.workspace import data_state

    # every ingest changes the data state, so new data never shows an old panel
    return str(folder), data_state(folder) or ""


def pipeline_panel(workspace, week, team: str = "all") -> str:
    """The check-in panel for a workspace folder, week and team.

    The stage history is loaded once per data state (it changes with every
    ingest) and each (week, team) panel is kept, so changing
    the selection in the check-in does not recompute it.
    """
    from pathlib import Path

    from coordkit.analysis.pipeline_data import NoStageHistoryError, load_pipeline
    from coordkit.analysis.pipeline_movement import compute_pipeline_movement

    folder = Path(workspace).resolve()
    key = _cache_key(folder)
    cached = _PANEL_CACHE.get(key)
    if cached is None:
        _PANEL_CACHE.clear()  # one workspace state at a time
        try:
            cached = {"data": load_pipeline(folder), "panels": {}}
        except NoStageHistoryError as exc:
            cached = {"data": None, "panels": {}, "reason": str(exc)}
        _PANEL_CACHE[key] = cached
    if cached["data"] is None:
        return f'<div class="ck-panel ck-pipeline"><p class="ck-empty">{escape(cached["reason"])}</p></div>'
    panel_key = (str(week), team)
    if panel_key not in cached["panels"]:
        movement = compute_pipeline_movement(folder, week, team, data=cached["data"])
        cached["panels"][panel_key] = pipeline_panel_html(movement)
    return cached["panels"][panel_key]


def pipeline_movement_markdown(movement: PipelineMovement) -> str:
    """Markdown lines for the review's short summary."""
    lines = ["**Pipeline movement**"]
    lines += [f"- {escape_markdown(s)}" for s in movement.sentences] or ["- no stage history"]
    return "\n".join(lines) + "\n"


def show_pipeline_movement(movement: PipelineMovement):
    """Display the section in a notebook cell."""
    from IPython.display import HTML

    return HTML(pipeline_movement_html(movement))


def stage_times_table(movement: PipelineMovement) -> pd.DataFrame:
    """The time-in-stage table as shown (for notebooks that want the numbers)."""
    return movement.stage_times
