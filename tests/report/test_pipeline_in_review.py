"""The rendered weekly review and the check-in show the planted stage facts (docs/pipeline.md).

North-america's June 2026 cohort slump must appear in its review and the
all-teams review, not in emea's; the check-in panel must name it when the team
is selected.
"""

from __future__ import annotations

import html
import re

import pytest

from coordkit.report.review import render_reviews

pytestmark = pytest.mark.slow
WEEK = "2026-11-16"


def _text(path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def rendered(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("pipeline-reviews")
    return {r.team: r for r in render_reviews(demo_workspace, WEEK, teams=["north-america", "emea"], out=out, progress=False)}


def test_review_names_the_slump_for_its_team_only(rendered, ground_truth):
    truth = ground_truth["planted"]["pipeline_movement"]["proposal_slump"]
    north_america = _text(rendered[truth["team"]].html)
    assert "Pipeline movement" in north_america
    assert re.search(r"created in June 2026 moved from Proposal to Negotiation at 31%", north_america)
    assert "June 2026" not in _text(rendered["emea"].html)


def test_checkin_panel_names_the_slump(demo_workspace):
    from coordkit.present.checkin_view import CheckinExplorer

    explorer = CheckinExplorer(demo_workspace, team="north-america", week=WEEK, prefetch=False)
    explorer.wait()  # the panel is filled from a background thread
    assert "June 2026" in explorer.pipeline.value and "Proposal to Negotiation" in explorer.pipeline.value
    explorer.set_team("emea")
    explorer.wait()
    assert "June 2026" not in explorer.pipeline.value and "stuck" in explorer.pipeline.value
    explorer.set_team("apac")
    explorer.wait()
    assert "apac-search-always-on" in explorer.pipeline.value
    explorer.set_team("north-america")  # seen before: shown at once from the cache
    assert "June 2026" in explorer.pipeline.value


def test_chat_summary_has_the_quarter_forecast_against_the_recounted_target(rendered, demo_workspace):
    import csv

    from coordkit.analysis.narrative import format_amount

    # the 2026-Q4 won-revenue target of north-america: its weekly targets from October to December, by csv
    with (demo_workspace / "exports" / "targets.csv").open(encoding="utf-8", newline="") as handle:
        target = sum(
            float(r["value"]) for r in csv.DictReader(handle)
            if r["team"] == "north-america" and r["metric"] == "won_revenue" and "2026-10-01" <= r["week"] < "2027-01-01"
        )
    summary = rendered["north-america"].summary.read_text(encoding="utf-8")
    lines = [line for line in summary.splitlines() if line.startswith("- *Quarter forecast*:")]
    assert len(lines) == 1
    assert "2026-Q4 closes at" in lines[0] and "of won revenue" in lines[0]
    assert f"of the {format_amount(target, 'USD')} target" in lines[0]
