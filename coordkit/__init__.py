"""coordkit: did this week's marketing work move the numbers that matter?

The public verbs come in families (``read_*`` ingest, ``link_*`` /
``attribute_*`` model, ``compute_*`` / ``explain_*`` analysis, ``chart_*`` /
``table_*`` present, ``render_*`` report). They are imported lazily so that
``import coordkit`` stays fast in notebooks and the CLI.
"""

from __future__ import annotations

import importlib

from coordkit import _lazy_imports
from coordkit.errors import CoordkitError

_lazy_imports.install()

from coordkit._version import __version__

# public name -> module that defines it
_PUBLIC = {
    "open_workspace": "coordkit.ingest.workspace",
    "Workspace": "coordkit.ingest.workspace",
    "read_table": "coordkit.ingest.validate",
    "ingest_files": "coordkit.ingest.workspace",
    "compute_weekly_review": "coordkit.analysis.review",
    "show_title": "coordkit.present.review_view",
    "show_headline": "coordkit.present.review_view",
    "show_teams": "coordkit.present.review_view",
    "show_spend": "coordkit.present.review_view",
    "show_outputs": "coordkit.present.review_view",
    "show_outputs_to_outcomes": "coordkit.present.review_view",
    "show_what_moved": "coordkit.present.review_view",
    "show_trends": "coordkit.present.review_view",
    "show_data_quality": "coordkit.present.review_view",
    "show_deliverables": "coordkit.present.deliverables_view",
    "summary_markdown": "coordkit.present.review_view",
    "save_review_files": "coordkit.present.review_view",
    "render_review": "coordkit.report.review",
    "render_reviews": "coordkit.report.review",
    "checkin": "coordkit.present.checkin_view",
    "campaign_editor": "coordkit.present.campaigns_editor",
    "campaign_suggestions": "coordkit.model.campaigns_decide",
    "apply_campaign_choices": "coordkit.model.campaigns_decide",
    "campaign_registry": "coordkit.model.campaigns",
    "campaign_coverage": "coordkit.model.campaigns_coverage",
    "load_pipeline": "coordkit.analysis.pipeline_data",
    "compute_funnel": "coordkit.analysis.funnel",
    "compute_time_in_stage": "coordkit.analysis.velocity",
    "summarise_time_in_stage": "coordkit.analysis.velocity",
    "find_stuck_deals": "coordkit.analysis.velocity",
    "compute_pipeline_velocity": "coordkit.analysis.velocity",
    "forecast_quarter": "coordkit.analysis.forecast",
    "backtest_forecast": "coordkit.analysis.forecast",
    "compute_pipeline_movement": "coordkit.analysis.pipeline_movement",
    "show_pipeline_movement": "coordkit.present.pipeline_view",
    "what_moved": "coordkit.analysis.what_moved",
    "explain_week": "coordkit.analysis.what_moved",
    "review_context": "coordkit.analysis.review_context",
    "review_pipeline_data": "coordkit.analysis.review_context",
    "show_story": "coordkit.present.what_moved_view",
    "table_segments": "coordkit.present.what_moved_view",
    "table_bridge": "coordkit.present.what_moved_view",
    "table_lag": "coordkit.present.what_moved_view",
    "chart_xmr": "coordkit.present.charts_whatmoved",
    "chart_waterfall": "coordkit.present.charts_whatmoved",
    "use_static_charts": "coordkit.present.charts_whatmoved",
}

__all__ = ["CoordkitError", "__version__", *_PUBLIC]


#: packages that come with an extra rather than the runtime install, and that extra
_OPTIONAL = {"ipywidgets": "lab", "jupyterlab": "lab", "pyspark": "spark"}


def __getattr__(name: str):
    module_name = _PUBLIC.get(name)
    if module_name is None:
        raise AttributeError(f"module 'coordkit' has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        extra = _OPTIONAL.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        raise ModuleNotFoundError(
            f"coordkit.{name} needs {exc.name}, which comes with the {extra!r} extra: pip install 'coordkit[{extra}]'",
            name=exc.name,
        ) from None
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
