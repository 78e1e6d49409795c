"""The what-moved story as formatted HTML: the notebook's tables read like the review's (no raw pandas).

Each ``table_*`` takes the :class:`~coordkit.analysis.what_moved.WhatMoved`
story and returns one displayable HTML object; numbers go through
:mod:`coordkit.numbers`, strings are escaped.
"""

from __future__ import annotations

from IPython.display import HTML

from coordkit.analysis.metrics import METRIC_LABELS
from coordkit.analysis.what_moved import WhatMoved
from coordkit.present.html import escape, table_html

__all__ = ["show_story", "table_bridge", "table_lag", "table_segments"]


def _kind(story: WhatMoved) -> tuple[str, str]:
    return ("money", "signed_money") if story.currency else ("number", "signed_int")


def show_story(story: WhatMoved) -> HTML:
    """The narrative, in a box."""
    from coordkit.present.markdown import markdown_to_html

    team = "all teams" if story.team == "all" else f"team {story.team}"
    head = f"<p class='ck-sub'>{escape(METRIC_LABELS[story.metric])}, {escape(team)}, week of {escape(str(story.after))}</p>"
    return HTML(head + f'<div class="ck-narrative">{markdown_to_html(story.narrative)}</div>')


def table_segments(story: WhatMoved) -> HTML:
    """The segments that explain the change, with the remainder row that makes them add up."""
    value, change = _kind(story)
    frame = story.explanation.assign(segment=story.explanation.get("label", story.explanation["segment"]))
    return HTML(table_html(
        frame,
        [("segment", "Segment", "text"), ("before", "Before", value), ("after", "After", value),
         ("contribution", "Contribution", change), ("share_of_change", "Share of change", "percent")],
        story.currency, caption="Segments that explain the change (the last row makes them add up)", empty="No change to explain.",
    ))


def table_bridge(story: WhatMoved) -> HTML:
    """Volume, mix and deal size (pipeline only)."""
    if story.bridge is None or story.bridge.empty:
        return HTML("<p class='ck-empty'>The volume / mix / deal-size split applies to pipeline created only.</p>")
    return HTML(table_html(story.bridge, [("effect", "Driver", "text"), ("contribution", "Contribution", "signed_money")],
                           story.currency, caption="Volume, mix or deal size? (adds up to the change)"))


def table_lag(story: WhatMoved) -> HTML:
    """Week-on-week output changes by channel 0..k weeks earlier, with their correlation over the history."""
    lag = story.lag
    if lag is None or lag.empty:
        return HTML("<p class='ck-empty'>Not enough history to relate outputs to this metric.</p>")
    channel = lag.columns[0]
    return HTML(table_html(
        lag.sort_values("correlation", ascending=False, kind="stable"),
        [(channel, "Channel", "text"), ("lag", "Weeks earlier", "int"), ("output_change", "Output change", "signed_int"),
         ("correlation", "Correlation (r)", "ratio")],
        story.currency, caption="Outputs that moved before it (association, not proof)", max_rows=10,
    ))
