"""The check-in explorer, driven without a browser: what it shows equals the review, the demo's truth and the store.

Each interaction goes through the explorer's methods (which set widget values,
as a click would) and the assertions read the widgets' displayed HTML back.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import time

import pandas as pd
import pytest

from coordkit.analysis.review import compute_weekly_review, format_metric, review_context
from coordkit.errors import ParameterError, WorkspaceError
from coordkit.ingest.checkins import list_checkins
from coordkit.ingest.workspace import open_workspace
from coordkit.model.calendar import trailing_weeks
from coordkit.present.checkin_view import ALL_CHANNELS, CheckinExplorer, checkin

pytestmark = pytest.mark.slow  # builds the demo workspace (~20 s)

METRICS = ("pipeline_created", "opportunities", "leads", "won_revenue")
XSS_CAMPAIGN = "apac-launch-teaser <script>alert(1)</script>"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from coordkit.cli import main

    folder = tmp_path_factory.mktemp("checkin") / "demo"
    assert main(["demo", str(folder), "--no-review"]) == 0
    return folder


@pytest.fixture(scope="module")
def truth(demo):
    return json.loads((demo / "exports" / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def explorer(demo):
    return CheckinExplorer(demo)


@pytest.fixture()
def writable(demo, tmp_path):
    """A copy of the demo workspace to save notes into (saving changes the store, which resets the review cache)."""
    copy = tmp_path / "ws"
    shutil.copytree(demo, copy)
    return copy


def displayed_headline(explorer) -> dict[str, dict]:
    """metric -> {value text, signal flag} as shown in the headline widget."""
    cards = re.findall(
        r'<div class="ck-card [^"]*" data-metric="([^"]+)"[^>]*>(.*?)<div class="ck-card-value">(.*?)</div>',
        explorer.headline.value, flags=re.DOTALL,
    )
    return {metric: {"value": html.unescape(value), "signal": "ck-badge ck-signal" in label} for metric, label, value in cards}


def truth_value(truth, team: str, metric: str, week: dt.date) -> float:
    first = dt.date.fromisoformat(truth["calendar"]["first_week"])
    return truth["weekly_metrics"][team][metric][(week - first).days // 7]


def assert_headline_matches_review(explorer, review):
    shown = displayed_headline(explorer)
    assert sorted(shown) == sorted(METRICS)
    for row in review.headline.itertuples():
        assert shown[row.metric]["value"] == format_metric(row.value, row.money, review.currency), row.metric
        assert shown[row.metric]["signal"] == bool(row.signal), row.metric


# --- what is shown ---------------------------------------------------------------


def test_opens_on_the_latest_week_for_all_teams(explorer, demo, truth):
    assert explorer.state["week"] == dt.date.fromisoformat(truth["calendar"]["last_week"])
    assert explorer.state["team"] == "all" and explorer.state["channel"] == ALL_CHANNELS
    assert explorer.teams == ["all", *sorted(truth["teams"])]
    assert_headline_matches_review(explorer, compute_weekly_review(demo, week=truth["calendar"]["last_week"]))


@pytest.mark.parametrize(
    ("week", "team", "model"),
    [("2026-W46", "north-america", "position"), ("2026-W47", "emea", "linear"), ("2026-W40", "apac", "last"),
     ("2026-W47", "north-america", "first")],
)
def test_headline_follows_week_team_and_model(explorer, demo, truth, week, team, model):
    explorer.set_week(week).set_team(team).set_model(model)
    expected = compute_weekly_review(demo, week=week, team=team, model=model)  # a fresh computation, not the explorer's
    assert_headline_matches_review(explorer, expected)
    pd.testing.assert_frame_equal(explorer.review.headline, expected.headline)
    # and the numbers are the demo's planted truth, re-derived by the generator from its CSVs
    for metric in METRICS:
        value = explorer.review.headline.set_index("metric").loc[metric, "value"]
        assert value == pytest.approx(truth_value(truth, team, metric, expected.week)), metric


REVIEW_FRAMES = ("headline", "trends", "outputs_by_channel", "outputs_by_kind", "outputs_by_owner", "attributed_by_channel",
                 "attributed_by_campaign", "activity_without_outcome", "what_moved", "data_quality", "rejection_reasons")


@pytest.mark.parametrize("team", ["emea", "north-america", "apac", "all"])
def test_the_explorers_review_is_the_full_review(explorer, demo, team):
    """The explorer computes each team's review on that team's slice of the data (for speed): every section must match."""
    context = review_context(demo)
    for week in ("2026-W47", "2026-W46", "2026-W20"):
        mine = explorer.review_for(week, team, "position")
        full = compute_weekly_review(context, week=week, team=team, model="position")
        for name in REVIEW_FRAMES:
            pd.testing.assert_frame_equal(getattr(mine, name), getattr(full, name), obj=f"{team} {week} {name}")
        assert mine.what_moved_narrative == full.what_moved_narrative
        assert mine.quality_notes == full.quality_notes and mine.title == full.title


def test_the_planted_collapse_is_flagged_as_a_signal(explorer, truth):
    explorer.set_week("2026-W46").set_team("north-america").set_model("position")
    shown = displayed_headline(explorer)
    # GROUND_TRUTH.md section 2: pipeline and opportunities below the lower limit in 2026-W46
    assert shown["pipeline_created"]["signal"] and shown["opportunities"]["signal"]
    assert explorer.review.headline.set_index("metric").loc["pipeline_created", "value"] == 64_600
    assert "paid\\_social" in explorer.review.what_moved_narrative or "paid_social" in explorer.review.what_moved_narrative
    assert "paid_social" in html.unescape(explorer.what_moved.value)
    assert "signal" in explorer.what_moved.value.lower()
    assert "outside_limits" in json.dumps(explorer.trends.outputs[0]["data"])  # the red points of the trend chart


def test_trend_chart_marks_the_weeks_that_fire_a_rule(explorer):
    explorer.set_week("2026-W46").set_team("north-america")
    trends = explorer.review.trends
    (output,) = explorer.trends.outputs
    spec = output["data"]["application/vnd.vegalite.v5+json"]
    text = json.dumps(spec)
    assert "<script" not in text and "http" not in text.replace("https://vega.github.io/schema/vega-lite/", "")
    # one panel per metric; its data is the review's trend frame: one row per week, signals flagged
    assert len(spec["concat"]) == trends["metric"].nunique()
    rows = [row for data in spec["datasets"].values() for row in data if "rule" in row]
    assert len(rows) == len(trends)
    assert sum(bool(row["signal"]) for row in rows) == int((trends["rule"] != "").sum())


def test_outputs_next_to_outcomes_equal_the_review(explorer):
    explorer.set_week("2026-W47").set_team("emea").set_model("position").set_channel(ALL_CHANNELS)
    review = explorer.review
    text = html.unescape(explorer.flow.value)
    shipped = int(review.outputs_by_channel["outputs"].sum())
    assert f"{shipped:,} outputs shipped this week" in text
    for row in review.outputs_by_channel.itertuples():
        assert f">{row.channel}<" in text
    explorer.set_channel("email")
    text = html.unescape(explorer.flow.value)
    email = review.outputs_by_channel.set_index("channel").loc["email", "outputs"]
    assert f"{int(email):,} outputs shipped this week" in text
    assert ">paid_search<" not in text


def test_channel_narrows_campaigns_and_they_add_up_to_the_channel(explorer):
    explorer.set_week("2026-W47").set_team("north-america").set_model("linear").set_channel("paid_social")
    review = explorer.review
    campaigns = explorer.campaign_table(explorer.selected_week, "north-america", "linear", "paid_social")
    channel_row = review.attributed_by_channel.set_index("channel").loc["paid_social"]
    assert campaigns["pipeline_13w"].sum() == pytest.approx(channel_row["pipeline_13w"])
    assert campaigns["opportunities_13w"].sum() == pytest.approx(channel_row["opportunities_13w"])
    assert campaigns["outputs_13w"].sum() == channel_row["outputs_13w"]
    shown = [html.unescape(name) for name in re.findall(r'<td class="txt">([^<]*)</td>', explorer.campaigns.value)]
    assert set(campaigns["campaign"].head(15)) <= set(shown)
    explorer.set_channel(ALL_CHANNELS)
    pd.testing.assert_frame_equal(
        explorer.campaign_table(explorer.selected_week, "north-america", "linear", ALL_CHANNELS), review.attributed_by_campaign
    )


def test_drill_down_lists_a_campaigns_outputs_and_adds_up(explorer, demo):
    explorer.set_week("2026-W45").set_team("emea").set_model("position").set_channel(ALL_CHANNELS)
    review = explorer.review
    top = review.attributed_by_campaign.iloc[0]
    explorer.select_campaign(top["campaign"])
    rows = explorer.campaign_outputs(top["campaign"])
    assert rows["pipeline_13w"].sum() == pytest.approx(top["pipeline_13w"])
    assert rows["opportunities_13w"].sum() == pytest.approx(top["opportunities_13w"])
    assert rows["pipeline"].sum() == pytest.approx(top["pipeline"])
    window = [*trailing_weeks(review.week, 12), review.week]
    assert int(rows["week"].isin(window).sum()) == top["outputs_13w"]
    # every listed output is a real output of that campaign, with its title and owner from the outputs table
    outputs = review_context(demo).outputs.set_index("output_id")
    assert (outputs.loc[rows["output_id"], "campaign"] == top["campaign"]).all()
    # short titles (one line): the full title, or its start and an ellipsis
    for short, full in zip(rows["title"], outputs.loc[rows["output_id"], "title"]):
        assert len(short) <= 48 and (short == full or (short.endswith("…") and full.startswith(short[:-1])))
    # most credit first
    assert rows["opportunities_13w"].tolist() == sorted(rows["opportunities_13w"], reverse=True)
    shown = html.unescape(explorer.drilldown.value)
    for row in rows.head(40).itertuples():
        assert row.output_id in shown
    assert html.unescape(top["campaign"]) in shown


def test_drill_down_shows_activity_without_outcome(explorer):
    # GROUND_TRUTH.md section 3: always-on-brand-awareness (emea, social) earns nothing under every model
    explorer.set_week("2026-W47").set_team("emea").set_model("shapley").set_channel("social")
    idle = explorer.review.activity_without_outcome.set_index("campaign")
    assert "always-on-brand-awareness" in idle.index
    assert "always-on-brand-awareness" in explorer.campaigns.value
    explorer.select_campaign("always-on-brand-awareness")
    rows = explorer.campaign_outputs("always-on-brand-awareness")
    assert len(rows) == idle.loc["always-on-brand-awareness", "outputs"]
    assert rows["opportunities_13w"].sum() == 0 and rows["pipeline_13w"].sum() == 0
    assert "earned credit for 0.0 opportunities" in explorer.drilldown.value


@pytest.mark.hostile
def test_every_user_string_is_escaped(explorer, demo, truth):
    assert truth["special_rows"]["xss_output"]["campaign"] == XSS_CAMPAIGN
    outputs = review_context(demo).outputs
    shipped = outputs.loc[outputs["campaign"] == XSS_CAMPAIGN, "week"].max()
    explorer.set_week(shipped).set_team("apac").set_model("position").set_channel(ALL_CHANNELS)
    explorer.select_campaign(XSS_CAMPAIGN)
    assert html.escape(XSS_CAMPAIGN) in explorer.campaigns.value
    assert html.escape(XSS_CAMPAIGN) in explorer.drilldown.value
    for widget in (explorer.title, explorer.headline, explorer.flow, explorer.campaigns, explorer.drilldown,
                   explorer.what_moved, explorer.history, explorer.status):
        assert "<script" not in widget.value.lower()


# --- choices are checked ------------------------------------------------------------------


def test_bad_choices_are_clear_errors(explorer, tmp_path):
    with pytest.raises(ParameterError, match="team must be one of 'all', 'apac', 'emea', 'north-america'; got 'mars'"):
        explorer.set_team("mars")
    with pytest.raises(ParameterError, match="has no data in this workspace; pick a week from 2025-W40 to 2026-W47"):
        explorer.set_week("2024-W01")
    with pytest.raises(ParameterError, match="model must be one of"):
        explorer.set_model("sourced")
    with pytest.raises(ParameterError, match="channel must be one of 'all', "):
        explorer.set_channel("tv")
    with pytest.raises(WorkspaceError, match="is not a coordkit workspace"):
        CheckinExplorer(tmp_path / "nowhere")


# --- saving ------------------------------------------------------------------------------


@pytest.mark.hostile
def test_saving_persists_keeps_history_and_escapes(writable):
    explorer = CheckinExplorer(writable, team="emea", week="2026-W47")
    assert "No check-in saved yet" in explorer.history.value
    first = explorer.save(decisions="Pause display <script>alert('x')</script>", next_actions="Move budget to events",
                          owner="Amelie & Co", due_date="2026-11-27", author="Sam")
    stored = list_checkins(writable)
    assert len(stored) == 1
    row = stored.iloc[0]
    assert (row["id"], row["team"], row["week"]) == (first.id, "emea", dt.date(2026, 11, 16))
    assert row["decisions"] == "Pause display <script>alert('x')</script>"
    assert (row["owner"], row["due_date"], row["author"], row["model"]) == ("Amelie & Co", dt.date(2026, 11, 27), "Sam", "position")
    # the note stays in the form, editable until the next check-in; the history shows it, escaped
    assert explorer.decisions.value.startswith("Pause display") and explorer.save_button.description == "Update check-in"
    assert "&lt;script&gt;" in explorer.history.value and "<script" not in explorer.history.value
    assert "Amelie &amp; Co" in explorer.history.value
    assert f"Saved check-in #{first.id}" in explorer.save_status.value

    # an edit through the button: a new version, the first one kept in the history and marked replaced
    explorer.decisions.value = "Second thoughts: keep display"
    explorer.save_button.click()
    stored = list_checkins(writable, team="emea")
    assert stored["decisions"].tolist() == ["Second thoughts: keep display", "Pause display <script>alert('x')</script>"]
    assert explorer.history.value.index("Second thoughts") < explorer.history.value.index("Pause display")
    assert "earlier version, replaced" in explorer.history.value

    # a note for another team is not listed under emea
    explorer.set_team("apac")
    assert "No check-in saved yet for team apac" in explorer.history.value
    explorer.save(decisions="apac note")
    explorer.set_team("emea")
    assert "apac note" not in explorer.history.value
    explorer.set_team("all")
    assert all(text in explorer.history.value for text in ("apac note", "Second thoughts"))


def test_a_bad_note_is_refused_shown_and_not_saved(writable):
    explorer = CheckinExplorer(writable, team="emea")
    with pytest.raises(ParameterError, match="needs decisions or next actions"):
        explorer.save(decisions="  ")
    assert "needs decisions or next actions" in explorer.save_status.value
    with pytest.raises(ParameterError, match="due_date must be a date like 2026-11-30"):
        explorer.save(decisions="d", next_actions="n", owner="o", due_date="30/11/2026")
    assert "due_date must be a date" in explorer.save_status.value
    explorer.next_actions.value = "Call the agency"
    explorer.owner.value = ""
    explorer.due_date.value = dt.date(2026, 11, 30)
    explorer.save_button.click()  # no owner: refused, shown, not raised from the click
    assert "need an owner" in explorer.save_status.value
    assert explorer.next_actions.value == "Call the agency"  # the text is kept to fix and retry
    assert list_checkins(writable).empty


def test_last_weeks_actions_are_a_checklist_and_a_note_is_final_once_a_later_one_exists(writable):
    explorer = CheckinExplorer(writable, team="emea", week="2026-W46")
    assert "nothing carried forward" in explorer.carried_note.value
    explorer.save(decisions="Shift budget", next_actions="- Call the agency\n- Pause display\n\n* Book the venue", owner="Sam",
                  due_date="2026-11-20")
    explorer.set_week("2026-W47")
    items = [box.tooltip for box in explorer.carried.children]
    assert items == ["Call the agency", "Pause display", "Book the venue"]
    assert explorer.decisions.value == "" and explorer.save_button.description == "Save check-in"
    explorer.carried.children[1].value = True
    explorer.save(decisions="Keep webinars")
    stored = list_checkins(writable, team="emea", week="2026-W47").iloc[0]
    assert stored["decisions"].splitlines() == [
        "Keep webinars", "From the last check-in: [ ] Call the agency · [x] Pause display · [ ] Book the venue"]
    # reopening the week shows the note without the checklist line, and the ticks restored
    explorer.set_week("2026-W46").set_week("2026-W47")
    assert explorer.decisions.value == "Keep webinars" and explorer.carried.children[1].value is True
    # W46's note is final now that W47 has one
    explorer.set_week("2026-W46")
    assert explorer.save_button.disabled and "final" in explorer.form_note.value
    with pytest.raises(ParameterError, match="is final"):
        explorer.save(decisions="too late")


def test_the_explorer_holds_no_connection(writable):
    explorer = CheckinExplorer(writable, team="emea")
    explorer.save(decisions="d")
    explorer.wait()  # its background work (the pipeline panel reads the store once) is over
    with open_workspace(writable) as ws:  # a read-write open in this process would fail if one were held
        assert ws.table("checkins").count().execute() == 1


# --- speed ---------------------------------------------------------------------------


def test_each_interaction_is_recorded_and_repeats_come_from_the_cache(demo):
    explorer = checkin(demo, warm_models=False)
    explorer.warm_models(background=False)  # the credit of every model, as the background warm-up leaves it
    steps = [
        ("week", lambda: explorer.set_week("2026-W46")),
        ("team", lambda: explorer.set_team("north-america")),
        ("week", lambda: explorer.set_week("2026-W45")),
        ("team", lambda: explorer.set_team("emea")),
        ("campaign", lambda: explorer.select_campaign(explorer.campaign.options[3][1])),
        ("channel", lambda: explorer.set_channel("email")),
        ("model", lambda: explorer.set_model("markov")),
        ("team", lambda: explorer.set_team("apac")),
        ("week", lambda: explorer.set_week("2026-W30")),
        ("model", lambda: explorer.set_model("shapley")),
        ("model back (cached)", lambda: explorer.set_model("markov")),
    ]
    measured = []
    for name, step in steps:
        before = len(explorer.timings)
        started = time.perf_counter()
        step()
        measured.append((name, time.perf_counter() - started))
        assert len(explorer.timings) == before + 1, f"step {name!r} changed nothing"
    print("\ncheck-in interactions (ms): " + ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in measured))
    assert len(explorer.timings) >= len(steps)
    # speed is measured (printed above; benchmarks and the browser test report it), not asserted: the machine is shared.
    # What is asserted: a (week, team, model) seen before is served from the cache, not recomputed
    cached = explorer.review_for(explorer.selected_week, explorer.team.value, "markov")
    assert explorer.review is cached


def test_background_warm_up_computes_every_model(demo):
    context = review_context(demo, use_cache=False)
    explorer = CheckinExplorer(demo, context=context)
    thread = explorer.warm_models(["first", "w_shaped"])
    thread.join(120)
    assert all(context.has_credit(m) for m in ("first", "w_shaped", "position"))
    # switching to a warmed model uses the credit already in memory: nothing is attributed again
    before = context.credit("w_shaped")
    explorer.set_model("w_shaped")
    assert context.credit("w_shaped") is before and explorer.review.model == "w_shaped"


def test_the_notebook_builds_the_explorer(demo, repo_root, tmp_path):
    papermill = pytest.importorskip("papermill")
    import nbformat

    out = tmp_path / "checkin.ipynb"
    papermill.execute_notebook(
        str(repo_root / "notebooks" / "checkin.ipynb"), str(out), cwd=str(repo_root / "notebooks"),
        parameters={"workspace": str(demo), "team": "north-america", "week": "2026-W46"}, progress_bar=False,
    )
    notebook = nbformat.read(out, as_version=4)
    views = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1
    assert not [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_trend_spec_rebuilt_for_a_new_week_equals_the_charts_own(explorer, demo):
    """The check-in reuses one spec per chart layout and swaps the data in: the result must be chart_trends' own spec."""
    from coordkit.present import charts
    from coordkit.present.checkin_charts import trends_spec

    context = review_context(demo)
    for team, week in (("all", "2026-W47"), ("north-america", "2026-W46"), ("emea", "2026-W20"), ("apac", "2025-W45"),
                       ("north-america", "2026-W45")):
        trends = compute_weekly_review(context, week=week, team=team).trends
        fresh = charts.chart_spec(charts.chart_trends(trends, "USD"))
        assert trends_spec(trends, "USD", explorer.data) == fresh, (team, week)
    assert sum(1 for key in explorer.data._memo if key[0] == "trends-template") < 5  # templates were reused


def test_a_change_updates_widgets_in_place(explorer):
    explorer.set_team("all").set_week("2026-W47").set_channel(ALL_CHANNELS)
    children, box, trends = explorer.widget.children, explorer.carried, explorer.trends
    explorer.set_week("2026-W46").set_team("emea").set_channel("email")
    assert explorer.widget.children == children and explorer.carried is box and explorer.trends is trends
