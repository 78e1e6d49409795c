"""The weekly review's sections as HTML, and its short Markdown summary.

Each ``show_*`` takes the :class:`~coordkit.analysis.review.WeeklyReview`
and returns one displayable HTML object, so each notebook cell is one call.
Charts are inline SVG (no JavaScript, no network); every string from the data
is escaped.
"""

from __future__ import annotations

from IPython.display import HTML

from coordkit.analysis.narrative import escape_markdown, format_amount
from coordkit.analysis.review import ALL_TEAMS, WeeklyReview, format_metric
from coordkit.present.html import badge_html, escape, section_html, table_html
from coordkit.present.svg_charts import bars_svg, trends_svg, waterfall_svg

__all__ = [
    "headline_html",
    "save_review_files",
    "show_data_quality",
    "show_headline",
    "show_outputs",
    "show_outputs_to_outcomes",
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
    return HTML(
        f'<header class="ck-header"><h1>{escape(review.title)}</h1>'
        f'<p class="ck-sub">Week of {review.week:%A %d %B %Y} ({escape(review.week_label)}) · {escape(scope)} · '
        f"attribution model: {escape(review.model)} · compared with: {escape(review.compare)}</p></header>"
    )


def headline_html(review: WeeklyReview) -> str:
    """Headline cards: each outcome metric with target, comparisons and its signal/noise flag."""
    cards = []
    for row in review.headline.itertuples():
        fmt = lambda v: format_metric(v, row.money, review.currency)
        change = row.vs_last_week
        arrow = "▲" if change > 0 else ("▼" if change < 0 else "■")
        cards.append(
            f'<div class="ck-card {"ck-card-signal" if row.signal else ""}" data-metric="{escape(row.metric)}">'
            f'<div class="ck-card-label">{escape(row.label)} {badge_html(row.signal, row.rule)}</div>'
            f'<div class="ck-card-value">{escape(fmt(row.value))}</div>'
            f'<div class="ck-card-change">{arrow} {escape(fmt(abs(change)) if change == change else "–")} vs last week</div>'
            f'<dl class="ck-card-facts">'
            f"<dt>Target</dt><dd>{escape(fmt(row.target))}</dd>"
            f"<dt>Last week</dt><dd>{escape(fmt(row.last_week))}</dd>"
            f"<dt>Trailing 4 wk</dt><dd>{escape(fmt(row.trailing4))}</dd>"
            f"<dt>Trailing 13 wk</dt><dd>{escape(fmt(row.trailing13))}</dd>"
            f"<dt>Same week last year</dt><dd>{escape(fmt(row.last_year))}</dd>"
            f"</dl></div>"
        )
    verdicts = "".join(
        f"<li><strong>{escape(row.label)}:</strong> {escape(row.verdict)}</li>" for row in review.headline.itertuples()
    )
    return f'<div class="ck-cards">{"".join(cards)}</div><ul class="ck-verdicts">{verdicts}</ul>'


def show_headline(review: WeeklyReview) -> HTML:
    """Section 1: headline outcomes vs target, last week, trailing 4/13 weeks and last year."""
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
        chart = _figure(bars_svg(review.outputs_by_channel, "channel", "outputs", "Outputs by channel"), "Outputs by channel")
    return HTML(section_html("2. What was shipped", lead, chart, '<div class="ck-grid">', by_channel, by_kind, by_owner, "</div>", section_id="outputs"))


def show_outputs_to_outcomes(review: WeeklyReview) -> HTML:
    """Section 3: attributed pipeline by channel and campaign, efficiency, activity without outcome."""
    currency = review.currency
    columns = [
        ("opportunities", "Opps (this wk)", "number"), ("pipeline", "Pipeline (this wk)", "money"),
        ("opportunities_13w", "Opps (13 wk)", "number"), ("pipeline_13w", "Pipeline (13 wk)", "money"),
        ("outputs_13w", "Outputs (13 wk)", "int"), ("cost_13w", "Cost (13 wk)", "money"),
        ("cost_per_opportunity", "Cost / opp", "money"), ("pipeline_per_output", "Pipeline / output", "money"),
    ]
    intro = (
        f"<p>Opportunities created this week and over the last 13 weeks, credited to the outputs that touched "
        f"them under the <strong>{escape(review.model)}</strong> model (touches up to 90 days before each opportunity). "
        "Cost per opportunity and pipeline per output use the same 13 weeks.</p>"
    )
    chart = ""
    if not review.attributed_by_channel.empty and review.attributed_by_channel["pipeline_13w"].sum() > 0:
        chart = _figure(
            bars_svg(review.attributed_by_channel, "channel", "pipeline_13w", "Attributed pipeline by channel (13 weeks)",
                     money=True, currency=currency),
            "Attributed pipeline by channel",
        )
    by_channel = table_html(review.attributed_by_channel, [("channel", "Channel", "text"), *columns], currency, caption="By channel")
    by_campaign = table_html(review.attributed_by_campaign, [("campaign", "Campaign", "text"), *columns], currency,
                             caption="By campaign", max_rows=15)
    idle = table_html(
        review.activity_without_outcome,
        [("campaign", "Campaign", "text"), ("channel", "Channel", "text"), ("outputs", "Outputs (13 wk)", "int"),
         ("touches", "Touches", "int"), ("cost", "Cost (13 wk)", "money")],
        currency, caption="Activity without outcome: much output, no attributed outcome in 13 weeks",
        empty="No campaign with much output went without an outcome.",
    )
    return HTML(section_html("3. Outputs → outcomes", intro, chart, by_channel, by_campaign, idle, section_id="attribution"))


def what_moved_parts(review: WeeklyReview, caption: str) -> tuple[str, str]:
    """The what-moved narrative and its segment table as HTML (the review and the check-in show both)."""
    from coordkit.present.markdown import markdown_to_html

    narrative = f'<div class="ck-narrative">{markdown_to_html(review.what_moved_narrative)}</div>'
    table = table_html(
        review.what_moved,
        [("segment", "Segment", "text"), ("before", "Before", "money"), ("after", "After", "money"),
         ("contribution", "Contribution", "signed_money"), ("share_of_change", "Share of change", "percent")],
        review.currency, caption=caption, empty="No change to explain.",
    )
    return narrative, table


def show_what_moved(review: WeeklyReview) -> HTML:
    """Section 4: the change in pipeline created, explained by segment, in words."""
    narrative, table = what_moved_parts(review, "Segments that explain the change (the remainder row makes them add up)")
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
        chart = _figure(waterfall_svg(moved, "Change in pipeline created", review.currency), "What moved")
    return HTML(section_html("4. What moved the number", narrative, chart, table, bridge, section_id="what-moved"))


def show_trends(review: WeeklyReview) -> HTML:
    """Section 5: 13-week trends with natural process limits (XmR)."""
    svg = trends_svg(review.trends, review.currency)
    note = (
        "<p>Grey line: weekly value; green dashes: centre line; red dashes: natural process limits "
        "(mean ± 2.66 × average moving range of the 13 weeks before this one). Red points fire a rule.</p>"
    )
    return HTML(section_html("5. Trends (13 weeks)", note, _figure(svg, "13-week trends"), section_id="trends"))


def show_data_quality(review: WeeklyReview) -> HTML:
    """Section 6: rows read, accepted and rejected (with reasons), unlinked touchpoints, late data."""
    files = table_html(
        review.data_quality,
        [("file", "File", "text"), ("table", "Table", "text"), ("rows_read", "Read", "int"), ("accepted", "Accepted", "int"),
         ("rejected", "Rejected", "int"), ("merged_duplicates", "Merged duplicates", "int"), ("late", "Late rows", "int")],
        review.currency, caption="Latest ingest of each file (read = accepted + rejected + merged duplicates)",
    )
    reasons = table_html(
        review.rejection_reasons,
        [("file", "File", "text"), ("column", "Column", "text"), ("rows", "Rows", "int"), ("example", "Example", "text")],
        review.currency, caption="Rejected rows by file and column", empty="No rejected rows.",
    )
    notes = "".join(f"<li>{escape(note)}</li>" for note in review.quality_notes)
    return HTML(section_html("6. Data quality", f"<ul>{notes}</ul>", files, reasons, section_id="data-quality"))


def summary_markdown(review: WeeklyReview) -> str:
    """A short Markdown summary for chat or e-mail."""
    scope = "all teams" if review.team == ALL_TEAMS else review.team
    lines = [f"**Weekly outcome review: {escape_markdown(scope)}, {review.week_label} (week of {review.week:%d %b %Y})**", ""]
    for row in review.headline.itertuples():
        value = format_metric(row.value, row.money, review.currency)
        target = f" (target {format_metric(row.target, row.money, review.currency)})" if row.target == row.target else ""
        flag = "**signal**" if row.signal else "noise"
        change = format_metric(abs(row.vs_last_week), row.money, review.currency)
        direction = "up" if row.vs_last_week > 0 else ("down" if row.vs_last_week < 0 else "flat")
        lines.append(f"- {row.label}: {value}{target}, {direction} {change} vs last week, {flag}")
    lines += ["", review.what_moved_narrative]
    if not review.activity_without_outcome.empty:
        names = ", ".join(escape_markdown(c) for c in review.activity_without_outcome["campaign"].head(3))
        lines += ["", f"Activity without outcome: {names}."]
    return "\n".join(lines) + "\n"


def save_review_files(review: WeeklyReview, sidecar: str | None) -> None:
    """Write the key figures (``sidecar``, JSON) and the chat summary (same name, ``.md``); no-op without a path."""
    if not sidecar:
        return
    from pathlib import Path

    path = Path(sidecar)
    path.write_text(review.to_json(), encoding="utf-8")
    path.with_suffix(".md").write_text(summary_markdown(review), encoding="utf-8")
    return
