"""Link touchpoints to outputs through ids and UTM parameters.

A touch links to an output by, in order of trust:

1. ``output_id`` when the touch carries one that exists in ``outputs``;
2. ``utm_campaign`` + ``utm_content`` matching exactly one output;
3. ``utm_campaign`` alone: the touch links to the *campaign* (``output_id``
   is set only when the campaign has exactly one output).

UTM values are compared after normalisation (lower case, ``+`` and ``%20``
as spaces, runs of whitespace / ``-`` / ``_`` as one ``_``, trimmed) and
after a user alias table for known typos. Values come from the UTM columns,
else from the landing ``url``. Everything is an Ibis expression; only the
linking report's small tables come back as pandas.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from coordkit.ingest.campaign_map import utm_from_url

__all__ = [
    "LinkingReport",
    "link_touchpoints",
    "linking_report",
    "normalise_utm",
    "utm_from_url",
]

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")


def normalise_utm(value: ir.StringValue) -> ir.StringValue:
    """Normalise a UTM value for comparison: ``" Spring+Sale%20 "`` -> ``"spring_sale"``."""
    text = value.cast("string").replace("%20", " ").replace("+", " ").lower()
    text = text.re_replace(r"[\s\-_]+", "_").re_replace(r"^_+|_+$", "")
    return ibis.ifelse(text == "", ibis.null("string"), text)


def _utm(table: ir.Table, field: str, aliases: ir.Table | None) -> ir.StringValue:
    raw = table[field].cast("string") if field in table.columns else ibis.null("string")
    if "url" in table.columns:
        raw = ibis.coalesce(raw, utm_from_url(table.url, field))
    return normalise_utm(raw)


def _apply_aliases(table: ir.Table, column: str, aliases: ir.Table | None) -> ir.Table:
    if aliases is None:
        return table
    lookup = aliases.select(
        _alias_from=normalise_utm(aliases["alias"]), _alias_to=normalise_utm(aliases["value"])
    ).distinct()
    joined = table.left_join(lookup, table[column] == lookup._alias_from)
    return joined.mutate(**{column: ibis.coalesce(joined._alias_to, joined[column])}).drop(
        "_alias_from", "_alias_to"
    )


def _normalised_outputs(outputs: ir.Table, aliases) -> ir.Table:
    base = outputs.select(
        output_id=outputs.output_id.cast("string"),
        output_channel=outputs.channel.cast("string"),
        output_campaign=outputs.campaign.cast("string"),
        o_campaign=ibis.coalesce(_utm(outputs, "utm_campaign", None), normalise_utm(outputs.campaign)),
        o_content=_utm(outputs, "utm_content", None),
    )
    return _apply_aliases(base, "o_campaign", aliases)


def link_touchpoints(touchpoints: ir.Table, outputs: ir.Table, aliases: ir.Table | None = None) -> ir.Table:
    """Return touchpoints with ``linked_output_id``, ``linked_campaign``,
    ``linked_channel`` and ``link_method`` (``output_id``, ``campaign+content``,
    ``campaign`` or null when unlinked), plus the normalised ``utm_campaign_norm``.

    ``aliases`` is an optional table ``alias, value`` (e.g. ``spring_sael`` ->
    ``spring_sale``) applied to campaign values of both sides.
    """
    outs = _normalised_outputs(outputs, aliases)
    t = touchpoints.mutate(
        _tp_output=(touchpoints.output_id.cast("string") if "output_id" in touchpoints.columns else ibis.null("string")),
        utm_campaign_norm=_utm(touchpoints, "utm_campaign", aliases),
        _content=_utm(touchpoints, "utm_content", aliases),
    )
    t = _apply_aliases(t, "utm_campaign_norm", aliases)

    by_id = outs.select(_id=outs.output_id, _id_campaign=outs.output_campaign, _id_channel=outs.output_channel)
    # the campaign a utm value names is the outputs' campaign spelled like it (after the
    # workspace's campaign map, the canonical one), not whichever tag sorts last: a post
    # tagged just "webinar" can carry the same utm link
    named = normalise_utm(outs.output_campaign) == outs.o_campaign
    pairs = outs.group_by(["o_campaign", "o_content"]).aggregate(
        _pair_n=outs.output_id.count(), _pair_id=outs.output_id.max(),
        _pair_campaign=ibis.coalesce(outs.output_campaign.max(where=named), outs.output_campaign.max()),
        _pair_channel=outs.output_channel.max(),
    )
    campaigns = outs.group_by("o_campaign").aggregate(
        _camp_n=outs.output_id.count(), _camp_id=outs.output_id.max(),
        _camp_campaign=ibis.coalesce(outs.output_campaign.max(where=named), outs.output_campaign.max()),
        _camp_channels=outs.output_channel.nunique(),
        _camp_channel=outs.output_channel.max(),
    )
    j = t.left_join(by_id, t._tp_output == by_id._id)
    j = j.left_join(pairs, [j.utm_campaign_norm == pairs.o_campaign, j._content == pairs.o_content])
    j = j.drop(*[c for c in j.columns if c.endswith("_right") or c in ("o_campaign", "o_content")])
    j = j.left_join(campaigns, j.utm_campaign_norm == campaigns.o_campaign)
    j = j.drop(*[c for c in j.columns if c.endswith("_right") or c == "o_campaign"])

    by_output = j._id.notnull()
    by_pair = ~by_output & (j._pair_n == 1).fill_null(False)
    by_campaign = ~by_output & ~by_pair & j._camp_n.notnull()
    method = ibis.cases(
        (by_output, "output_id"), (by_pair, "campaign+content"), (by_campaign, "campaign"),
        else_=ibis.null("string"),
    )
    single_output = ibis.ifelse(j._camp_n == 1, j._camp_id, ibis.null("string"))
    single_channel = ibis.ifelse(j._camp_channels == 1, j._camp_channel, ibis.null("string"))
    own_channel = j.channel.cast("string") if "channel" in j.columns else ibis.null("string")
    linked = j.mutate(
        link_method=method,
        linked_output_id=ibis.cases((by_output, j._id), (by_pair, j._pair_id), (by_campaign, single_output), else_=ibis.null("string")),
        linked_campaign=ibis.cases((by_output, j._id_campaign), (by_pair, j._pair_campaign), (by_campaign, j._camp_campaign), else_=ibis.null("string")),
        linked_channel=ibis.coalesce(
            ibis.cases((by_output, j._id_channel), (by_pair, j._pair_channel), (by_campaign, single_channel), else_=ibis.null("string")),
            own_channel,
        ),
    )
    helpers = [c for c in linked.columns if c.startswith("_")]
    return linked.drop(*helpers)


@dataclass(frozen=True)
class LinkingReport:
    """How well touchpoints linked: shares, top unlinked values, suggested aliases."""

    touchpoints: int
    linked_share: float
    #: link_method, touchpoints, share
    by_method: pd.DataFrame
    #: utm_campaign_norm, touchpoints (unlinked), most frequent first
    top_unlinked: pd.DataFrame
    #: alias (unlinked value), value (known campaign), similarity
    suggested_aliases: pd.DataFrame


def linking_report(linked: ir.Table, outputs: ir.Table, top: int = 10, cutoff: float = 0.8) -> LinkingReport:
    """Summarise a :func:`link_touchpoints` result and suggest aliases.

    An unlinked campaign value close to a known one (``difflib`` ratio >=
    ``cutoff``, e.g. ``sprng_sale`` vs ``spring_sale``) is suggested as an alias.
    """
    methods = linked.group_by("link_method").aggregate(touchpoints=linked.count()).to_pandas()
    total = int(methods["touchpoints"].sum())
    methods["link_method"] = methods["link_method"].astype(object).where(methods["link_method"].notna(), "unlinked")
    methods["share"] = methods["touchpoints"] / total if total else 0.0
    methods = methods.sort_values("touchpoints", ascending=False, kind="stable").reset_index(drop=True)
    unlinked = linked.filter(linked.link_method.isnull() & linked.utm_campaign_norm.notnull())
    top_unlinked = (
        unlinked.group_by("utm_campaign_norm").aggregate(touchpoints=unlinked.count())
        .order_by([ibis.desc("touchpoints"), "utm_campaign_norm"]).limit(top).to_pandas()
    )
    known = _normalised_outputs(outputs, None).select("o_campaign").distinct().to_pandas()["o_campaign"].dropna().tolist()
    suggestions = []
    for value in top_unlinked["utm_campaign_norm"]:
        for match in difflib.get_close_matches(value, known, n=1, cutoff=cutoff):
            suggestions.append((value, match, round(difflib.SequenceMatcher(None, value, match).ratio(), 3)))
    linked_count = total - int(methods.loc[methods["link_method"] == "unlinked", "touchpoints"].sum())
    return LinkingReport(
        touchpoints=total,
        linked_share=linked_count / total if total else 0.0,
        by_method=methods,
        top_unlinked=top_unlinked,
        suggested_aliases=pd.DataFrame(suggestions, columns=["alias", "value", "similarity"]),
    )
