"""The weekly review's sections as HTML, and its short Markdown summary.

Each ``show_*`` takes the :class:`~coordkit.analysis.review.WeeklyReview`
and returns one displayable HTML object, so each notebook cell is one call.
Charts are inline SVG (no JavaScript, no network); every string from the data
is escaped.
"""

from __future__ import annotations

import datetime as dt
import math

from IPython.display import HTML

from coordkit.analysis.narrative import escape_markdown
from coordkit.analysis.review import ALL_TEAMS, NOT_CREDITED, WeeklyReview
from coordkit.numbers import format_amount, format_metric, format_percent, is_missing
from coordkit.present import charts
from coordkit.present.deliverables_view import deliverables_markdown
from coordkit.present.html import badge_html, escape, section_html, table_html

__all__ = [
    "headline_html",
    "save_review_files",
    "show_data_quality",
    "show_headline",
    "show_outputs",
    "show_outputs_to_outcomes",
    "show_spend",
    "show_teams",
    "show_title",
    "show_trends",
    "show_what_moved",
    "summary_markdown",
]


def _figure(svg: str, caption: str) -> str:
    return f'<figure class="ck-chart" aria-label="{escape(caption)}">{svg}</figure>'


def show_title(review: WeeklyReview) -> HTML:
    """The report's title and what it covers."""
    scope = "all teams" if review.team == ALL_TEAMS else f"team {review.team}"
    end = review.week + dt.timedelta(days=6)
    return HTML(
        f'<header class="ck-header"><h1>{escape(review.title)}</h1>'
        f'<p class="ck-sub">{escape(review.week_label)}: {review.week.isoformat()} to {end.isoformat()} · {escape(scope)} · '
        f"attribution model: {escape(review.model)}</p></header>"
    )


_STATUS_WORDS = {
    "on_target": "on target",
    "near_target": "near target",
    "behind_target": "behind target",
    "no_target": "no target",
}


def _card(row, currency: str) -> str:
    fmt = lambda v: format_metric(v, row.money, currency)
    status = row.target_status
    if status == "no_target":
        lead = '<div class="ck-card-target">No target set for this week.</div>'
    else:
        gap = row.gap
        gap_words = f"{fmt(abs(gap))} {'above' if gap >= 0 else 'short of'} target"
        lead = (f'<div class="ck-card-target"><strong>{escape(format_percent(row.pct_of_target))} of target</strong> '
                f"({escape(fmt(row.target))}) · {escape(gap_words)}</div>")
    quarter = ""
    if row.qtd_target == row.qtd_target:
        needed = ""
        if row.run_rate_needed == row.run_rate_needed:
            assumed = (f" ({int(row.quarter_target_weeks_assumed)} of them without a target yet: taken at the quarter's "
                       "average)" if row.quarter_target_weeks_assumed else "")
            rate = row.run_rate_needed if row.money else math.ceil(row.run_rate_needed - 1e-9)
            needed = (f"; needs {escape(fmt(rate))} a week for the last {int(row.weeks_left)} week"
                      f"{'s' if row.weeks_left != 1 else ''}{assumed}")
        quarter = (f'<div class="ck-card-qtd">{escape(row.quarter)} to date: {escape(fmt(row.qtd_value))} of '
                   f"{escape(fmt(row.qtd_target))} ({escape(format_percent(row.qtd_pct))}){needed}</div>")
    change = row.vs_last_week
    direction = "up" if change > 0 else ("down" if change < 0 else "flat")
    facts = (
        f"<dt>Last week</dt><dd>{escape(fmt(row.last_week))}"
        f"{f' ({direction} {escape(fmt(abs(change)))})' if not is_missing(change) and change != 0 else ''}</dd>"
        f"<dt>Trailing 13 wk avg</dt><dd>{escape(fmt(row.trailing13))}</dd>"
        f"<dt>Same week last year</dt><dd>{escape(fmt(row.last_year))}</dd>"
    )
    return (
        f'<div class="ck-card ck-status-{escape(status)}" data-metric="{escape(row.metric)}" '
        f'data-status="{escape(status)}" data-pct-of-target="{escape(format_percent(row.pct_of_target))}">'
        f'<div class="ck-card-label">{escape(row.label)}'
        f'<span class="ck-badges"><span class="ck-badge ck-target-{escape(status)}">{escape(_STATUS_WORDS[status])}</span>'
        f"{badge_html(row.signal, row.rule)}</span></div>"
        f'<div class="ck-card-value">{escape(fmt(row.value))}</div>'
        f"{lead}{quarter}"
        f'<p class="ck-card-position">{escape(row.position)}</p>'
        f'<dl class="ck-card-facts">{facts}</dl></div>'
    )


def headline_html(review: WeeklyReview) -> str:
    """Headline cards: value, percent of target and gap first; quarter to date; then signal or noise in words."""
    cards = "".join(_card(row, review.currency) for row in review.headline.itertuples())
    return f'<div class="ck-cards">{cards}</div>'


def teams_html(review: WeeklyReview) -> str:
    """The all-teams page's opening table: each team's pipeline against target and signal, linking its own review."""
    table = review.team_table
    if table is None or table.empty:
        return ""
    rows = []
    for row in table.itertuples():
        fmt = lambda v: format_metric(v, True, review.currency)
        status = _STATUS_WORDS[row.target_status]
        rows.append(
            f'<tr data-team="{escape(row.team)}"><td class="txt"><a href="{escape(row.file)}">{escape(row.team)}</a></td>'
            f'<td class="num">{escape(fmt(row.value))}</td><td class="num">{escape(fmt(row.target))}</td>'
            f'<td class="num">{escape(format_percent(row.pct_of_target))}</td>'
            f'<td class="txt"><span class="ck-badge ck-target-{escape(row.target_status)}">{escape(status)}</span></td>'
            f'<td class="txt">{badge_html(row.signal, row.rule)}</td></tr>'
        )
    head = "".join(f'<th class="{c}">{escape(t)}</th>' for t, c in (
        ("Team", "txt"), ("Pipeline created", "num"), ("Target", "num"), ("% of target", "num"), ("Status", "txt"),
        ("Signal or noise", "txt")))
    return (f'<div class="ck-scroll"><table class="ck-table ck-teams"><caption>Teams this week, furthest behind target '
            f'first (each name opens its review)</caption><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            "</table></div>")


def show_teams(review: WeeklyReview) -> HTML:
    """The all-teams review opens with its teams: value, target, percent, signal, each linking the team's page."""
    if review.team != ALL_TEAMS:
        return HTML("")
    return HTML(section_html("Teams at a glance", teams_html(review), section_id="teams"))


def show_headline(review: WeeklyReview) -> HTML:
    """Section 1: headline outcomes judged against target first, then against their normal range."""
    return HTML(section_html("1. Headline outcomes", headline_html(review), section_id="headline"))


def show_outputs(review: WeeklyReview) -> HTML:
    """Section 2: what the team shipped this week, by channel, kind and owner, with cost."""
    currency = review.currency
    by_channel = table_html(
        review.outputs_by_channel,
        [("channel", "Channel", "text"), ("outputs", "Outputs", "int"), ("last_week", "Last week", "int"),
         ("cost", "Cost", "money"), ("planned_cost", "Planned cost", "money")],
        currency, caption="By channel", empty="Nothing was shipped this week.",
    )
    by_kind = table_html(
        review.outputs_by_kind, [("kind", "Kind", "text"), ("outputs", "Outputs", "int"), ("cost", "Cost", "money")],
        currency, caption="By kind", empty="Nothing was shipped this week.",
    )
    by_owner = table_html(
        review.outputs_by_owner, [("owner", "Owner", "text"), ("outputs", "Outputs", "int"), ("cost", "Cost", "money")],
        currency, caption="By owner", empty="Nothing was shipped this week.",
    )
    total = int(review.outputs_by_channel["outputs"].sum()) if not review.outputs_by_channel.empty else 0
    cost = float(review.outputs_by_channel["cost"].sum()) if not review.outputs_by_channel.empty else 0.0
    lead = f"<p>{total:,} outputs shipped for {escape(format_amount(cost, currency))}.</p>"
    chart = ""
    if total:
        chart = _figure(charts.bars_svg(review.outputs_by_channel, "channel", "outputs", "Outputs by channel",
                                        label="Outputs by channel", grow=1.0), "Outputs by channel")
    return HTML(section_html("2. What was shipped", lead, chart, '<div class="ck-grid">', by_channel, by_kind, by_owner, "</div>", section_id="outputs"))


ATTRIBUTED_COLUMNS = [
    ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
    ("opportunities_13w", "Opps (13 wk)", "number"), ("pipeline_13w", "Pipeline (13 wk)", "money"),
    ("pipeline_13w_share_text", "Share (13 wk), 90 % range", "interval"), ("cost_13w", "Cost (13 wk)", "money"),
    ("cost_per_opportunity", "Cost / opp", "money"), ("pipeline_per_output", "Pipeline / output", "money"),
]
INTERVAL_NOTE = (
    "Each 13-week share comes with a 90 % range, found by redrawing the 13 weeks' opportunities at random: "
    "a share shown as 41 % (33–49 %) could as well be 35 %, so two rows whose ranges overlap may not really differ."
)
FRACTIONAL_NOTE = (
    "An opportunity touched by several outputs is split between them, so a channel or campaign can hold a "
    "fraction such as 2.5 opportunities; each opportunity counts once in total."
)


def show_spend(review: WeeklyReview) -> HTML:
    """Spend and efficiency: plan against actual with pacing and projection, by channel and campaign; ROAS trend."""
    spend = review.spend
    if spend is None:
        return HTML("")
    currency = review.currency
    pacing = table_html(
        spend.pacing,
        [("period", "Period", "text"), ("actual", "Spent", "money"), ("planned", "Planned so far", "money"),
         ("pct_paced", "% of plan", "percent"), ("projected", "Projected for the period", "money"),
         ("planned_full", "Plan for the period", "money")],
        currency, caption="Plan against actual (projected at this period's weekly rate so far)",
    )
    columns = [("actual", "Spent (wk)", "money"), ("planned", "Planned (wk)", "money"), ("actual_qtd", "Spent (QTD)", "money"),
               ("planned_qtd", "Planned (QTD)", "money"), ("pct_paced_qtd", "% of plan (QTD)", "percent")]
    by_channel = table_html(spend.by_channel, [("channel", "Channel", "text"), *columns], currency, caption="By channel")
    by_campaign = table_html(spend.by_campaign, [("campaign", "Campaign", "text"), *columns], currency,
                             caption="By campaign (largest plan first)", max_rows=12)
    trend = table_html(
        spend.trend.iloc[::-1].head(6),
        [("week", "Week", "text"), ("spend", "Spent", "money"), ("pct_paced", "% of plan", "percent"),
         ("opportunities", "Credited opps", "number"), ("cost_per_opportunity", "Cost / opp", "money"),
         ("cost_per_pipeline_dollar", "Cost per 1 of pipeline", "ratio"), ("roas", "ROAS", "ratio")],
        currency, caption=f"Efficiency, latest weeks first (lens: {review.model}; the chart shows 14 weeks)",
    )
    chart = ""
    if spend.trend["roas"].notna().sum() >= 2:
        chart = _figure(charts.efficiency_svg(spend.trend, "ROAS trend", grow=1.2), "ROAS trend")
    lead = f'<p>{escape(spend.pacing_signal)}</p>' if spend.pacing_signal else ""
    return HTML(section_html("Spend and efficiency", lead, pacing, '<div class="ck-grid">', by_channel, by_campaign,
                             "</div>", chart, trend, section_id="spend"))


def lens_html(review: WeeklyReview) -> str:
    """One sentence naming the attribution lens of the section and explaining fractional credit once."""
    return (f'<p class="ck-lens"><strong>Lens: {escape(review.model)}</strong> ({escape(review.model_lens)}; touches up to '
            f"90 days before each opportunity). {escape(FRACTIONAL_NOTE)} The row {escape(NOT_CREDITED)} holds the "
            "opportunities no output touched, so the shares add up to the whole.</p>")


def interval_html(review: WeeklyReview) -> str:
    """What the share's range means, and the warning when a data-driven model rests on few opportunities."""
    notes = "".join(f'<p class="ck-warning" role="note">{escape(note)}</p>' for note in review.attribution_notes)
    return f'<p class="ck-lens">{escape(INTERVAL_NOTE)}</p>{notes}'


def show_outputs_to_outcomes(review: WeeklyReview) -> HTML:
    """Section 3: credited pipeline by channel and campaign under one named lens, efficiency, activity without outcome."""
    currency = review.currency
    chart = ""
    credited = review.attributed_by_channel
    if not credited.empty and credited["pipeline_13w"].sum() > 0:
        chart = _figure(
            charts.bars_svg(credited[credited["channel"] != NOT_CREDITED], "channel", "pipeline_13w",
                            "Credited pipeline by channel (13 weeks)", money=True, currency=currency,
                            label="Credited pipeline by channel", grow=1.0),
            "Credited pipeline by channel",
        )
    by_channel = table_html(credited, [("channel", "Channel", "text"), *ATTRIBUTED_COLUMNS], currency, caption="By channel")
    by_campaign = table_html(review.attributed_by_campaign, [("campaign", "Campaign", "text"), *ATTRIBUTED_COLUMNS], currency,
                             caption="By campaign", max_rows=15)
    idle = table_html(
        review.activity_without_outcome,
        [("campaign", "Campaign", "text"), ("channel", "Channel", "text"), ("outputs", "Outputs (13 wk)", "int"),
         ("touches", "Touches", "int"), ("cost", "Cost (13 wk)", "money")],
        currency, caption="Spend or activity without outcome: much output or money, no credited outcome in 13 weeks",
        empty="No campaign with much output or spend went without an outcome.",
    )
    return HTML(section_html("3. Outputs → outcomes", lens_html(review), interval_html(review), chart, by_channel, by_campaign, idle,
                             section_id="attribution"))


SHORT_COMPARE = {"previous": "Last week", "trailing4": "4-week average", "trailing13": "13-week average",
                 "last_year": "Last year", "baseline": "Normal level"}
SOURCED_LENS = ("Lens: sourced. Each opportunity counts for the channel and campaign it names itself "
                "(its campaign / UTM fields); (not sourced) holds those that name none.")


def what_moved_parts(review: WeeklyReview, caption: str | None = None) -> tuple[str, str]:
    """The what-moved narrative and its segment table as HTML (the review and the check-in show both)."""
    from coordkit.analysis.review import compare_label
    from coordkit.present.markdown import markdown_to_html

    also = ""
    if review.what_moved_also is not None:
        also = f'<p class="ck-also"><strong>Against last week:</strong> {markdown_to_html(review.what_moved_also.narrative)[3:-4]}</p>'
    narrative = f'<div class="ck-narrative">{markdown_to_html(review.what_moved_narrative)}{also}</div>'
    caption = caption or (f"Segments that explain the change against {compare_label(review.what_moved_compare)} "
                          "(the last row, everything else, makes them add up)")
    moved = review.what_moved
    table = table_html(
        moved.assign(segment=moved["label"]) if "label" in moved else moved,
        [("segment", "Segment", "text"), ("before", "Before", "money"), ("after", "This week", "money"),
         ("contribution", "Contribution", "signed_money"), ("share_of_change", "Share of change", "percent")],
        review.currency, caption=caption, empty="No change to explain.",
    )
    return narrative, table


def show_what_moved(review: WeeklyReview) -> HTML:
    """Section 4: the change in pipeline created against the comparison that tells the story, in words."""
    narrative, table = what_moved_parts(review)
    bridge = table_html(
        review.what_moved_bridge,
        [("effect", "Driver", "text"), ("contribution", "Contribution", "signed_money")],
        review.currency,
        caption="Volume, mix or deal size? (opportunities x channel mix x average deal size; adds up to the change)",
        empty="No bridge: one of the periods has no opportunities.",
    )
    chart = ""
    moved = review.what_moved
    if not moved.empty and moved["contribution"].abs().sum() > 0:
        after = float(review.headline.set_index("metric").loc["pipeline_created", "value"])
        before = after - float(moved["contribution"].sum())
        chart = _figure(charts.waterfall_svg(moved, before, after, review.currency,
                                             before_label=SHORT_COMPARE.get(review.what_moved_compare, "Before"),
                                             label="What moved pipeline created", grow=1.2), "What moved")
    lens = f'<p class="ck-lens">{escape(SOURCED_LENS)}</p>'
    return HTML(section_html("4. What moved the number", lens, narrative, chart, table, bridge, section_id="what-moved"))


def show_trends(review: WeeklyReview) -> HTML:
    """Section 5: each headline metric over 14 weeks with its normal range, target and the same weeks last year."""
    panels = "".join(
        _figure(charts.trend_svg(review.trends, metric, review.currency, f"{metric} trend"), metric)
        for metric in review.headline["metric"]
    )
    note = (
        "<p>Dark line: this year, week by week (red points fire an XmR rule); grey band: the normal range "
        "(natural process limits from the 13 weeks before this one, never below zero) around the dotted average; "
        "orange dashes: target; light line: the same weeks last year.</p>"
    )
    return HTML(section_html("5. Trends (14 weeks)", note, f'<div class="ck-chart-grid">{panels}</div>', section_id="trends"))


def show_data_quality(review: WeeklyReview) -> HTML:
    """Section 6: this team's rows stored and rejected (with reasons), late rows; workspace files for ``all``."""
    if review.team == ALL_TEAMS:
        columns = [("file", "File", "text"), ("table", "Table", "text"), ("rows_read", "Read", "int"),
                   ("accepted", "Accepted", "int"), ("rejected", "Rejected", "int"),
                   ("merged_duplicates", "Merged duplicates", "int"), ("late", "Late rows", "int")]
        caption = "Latest ingest of each file (read = accepted + rejected + merged duplicates; late rows over all ingests)"
    else:
        columns = [("table", "Table", "text"), ("stored", "Rows stored", "int"), ("rejected", "Rejected", "int"),
                   ("late", "Late rows", "int")]
        caption = "This team's rows"
    files = table_html(review.data_quality, columns, review.currency, caption=caption)
    reasons = table_html(
        review.rejection_reasons,
        [("file", "File", "text"), ("column", "Column", "text"), ("rows", "Rows", "int"), ("example", "Example", "text")],
        review.currency, caption="Rejected rows by file and column", empty="No rejected rows.",
    )
    notes = "".join(f"<li>{escape(note)}</li>" for note in review.quality_notes)
    return HTML(section_html("6. Data quality", f"<ul>{notes}</ul>", files, reasons, section_id="data-quality"))


def _chat_text(markdown: str) -> str:
    # an underscore inside a word formats nothing in Slack or CommonMark, and "paid\_search" reads badly in chat
    return markdown.replace("\\_", "_")


def summary_markdown(review: WeeklyReview, report_link: str | None = None) -> str:
    """A short Markdown summary for chat or e-mail: each metric against target first, the story, the caveat, the link."""
    scope = "all teams" if review.team == ALL_TEAMS else review.team
    end = review.week + dt.timedelta(days=6)
    heading = (f"*Weekly outcome review: {_chat_text(escape_markdown(scope))}, {review.week_label} "
               f"({review.week.isoformat()} to {end.isoformat()})*")
    lines = [heading, ""]
    for row in review.headline.itertuples():
        fmt = lambda v, m=row.money: format_metric(v, m, review.currency)
        if row.target_status == "no_target":
            judged = "no target set"
        else:
            short = f"{fmt(abs(row.gap))} {'above' if row.gap >= 0 else 'short'}"
            judged = f"{format_percent(row.pct_of_target)} of target ({fmt(row.target)}; {short})"
        quarter = ""
        if row.qtd_target == row.qtd_target:
            quarter = f"; {row.quarter} to date {format_percent(row.qtd_pct)} of target"
        lines.append(f"- *{row.label}*: {fmt(row.value)}, {judged}{quarter}. {row.position}")
    lines += _pipeline_forecast_line(review)
    if review.team_table is not None and not review.team_table.empty:
        teams = [f"{_chat_text(escape_markdown(row.team))} {format_percent(row.pct_of_target)}{' (signal)' if row.signal else ''}"
                 for row in review.team_table.head(8).itertuples()]
        more = f" and {len(review.team_table) - 8} more" if len(review.team_table) > 8 else ""
        lines += ["", f"Pipeline against target by team, furthest behind first: {', '.join(teams)}{more}."]
    lines += ["", _chat_text(review.what_moved_narrative)]
    if not review.activity_without_outcome.empty:
        names = ", ".join(_chat_text(escape_markdown(c)) for c in review.activity_without_outcome["campaign"].head(3))
        lines += ["", f"Spend or activity without outcome: {names}."]
    deliverables = deliverables_markdown(review.deliverables)
    if deliverables:
        lines += ["", deliverables]
    caveat = review.biggest_caveat()
    if caveat:
        lines += ["", f"Data caveat: {caveat}"]
    if report_link:
        lines += ["", f"Full review: {report_link}"]
    return "\n".join(lines) + "\n"


def _pipeline_forecast_line(review: WeeklyReview) -> list[str]:
    """The quarter's won-revenue forecast against target, when the review's pipeline movement was attached."""
    movement = review.extra_sections.get("pipeline_movement")
    forecast = getattr(movement, "forecast", None)
    if forecast is None or forecast.empty or "won_revenue" not in set(forecast["metric"]):
        return []
    from coordkit.analysis.forecast import forecast_sentence

    row = forecast[forecast["metric"] == "won_revenue"].iloc[0]
    return [f"- *Quarter forecast*: {_chat_text(escape_markdown(forecast_sentence(row, review.currency)))}"]


def save_review_files(review: WeeklyReview, sidecar: str | None) -> None:
    """Write the key figures (``sidecar``, JSON) and the chat summary (same name, ``.md``); no-op without a path."""
    if not sidecar:
        return
    from pathlib import Path

    path = Path(sidecar)
    path.write_text(review.to_json(), encoding="utf-8")
    path.with_suffix(".md").write_text(summary_markdown(review), encoding="utf-8")
    return
