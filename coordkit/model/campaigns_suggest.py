"""Suggested campaigns for every label, each with a confidence and the reason.

Evidence, strongest first:

1. the workspace's campaign map (a person already decided);
2. a row carrying two labels: a post tagged ``AuditReadiness`` whose link has
   ``utm_campaign=q3-audit-readiness-webinar``;
3. the same core words once vendor prefixes (``TB |``), channel and objective
   words (``Search``, ``LeadGen``, ``Video``), e-mail kinds (``invite``,
   ``reminder``), issue numbers, dates and separators are dropped
   (:mod:`coordkit.model.campaigns_tokens`); years and quarters must not
   contradict each other;
4. active dates: labels grouped together must have been active at about the
   same time, otherwise the label is left undecided.

The canonical name is the CRM's campaign name when the group has one, else a
clean rendering of its words. A label is assigned (``campaign`` filled) only
at :data:`ASSIGN_AT` confidence or more; placeholders (``(not set)``,
``(organic)``, untagged posts) and labels made only of generic words are never
assigned.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter, defaultdict

import pandas as pd

from coordkit.model.campaigns import UNTAGGED, source_name
from coordkit.model.campaigns_tokens import LabelReading, detect_prefixes, read_label, split_words

__all__ = ["ASSIGN_AT", "SUGGESTION_COLUMNS", "suggest_campaigns"]

ASSIGN_AT = 0.7
SUGGESTION_COLUMNS = [
    "label", "source", "rows", "campaign", "confidence", "reason", "suggested", "status",
    "table", "column", "file", "vendor", "first", "last",
]
#: labels naming the CRM's campaigns (the names sales already uses)
_CRM_COLUMNS = {("outcomes", "campaign")}
#: days two labels of one campaign may be apart and still count as active together
#: (CRM deals follow the marketing that sourced them by weeks)
_SLACK_DAYS = 45
_OUTCOME_SLACK_DAYS = 150
#: a tag links to a utm value when at least this share of its linked rows carry it
_LINK_SHARE = 0.8


class _Groups:
    """Union-find over label groups."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, g: int) -> int:
        self.parent.setdefault(g, g)
        while self.parent[g] != g:
            self.parent[g] = self.parent[self.parent[g]]
            g = self.parent[g]
        return g

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _label_facts(registry: pd.DataFrame) -> pd.DataFrame:
    facts = registry.groupby("label").agg(
        rows=("rows", "sum"), first=("first", "min"), last=("last", "max"),
        sources=("file", "nunique"),
    )
    crm = registry[[(t, c) in _CRM_COLUMNS for t, c in zip(registry["table"], registry["column"])]]
    facts["crm"] = facts.index.isin(crm["label"])
    outcome_only = registry.groupby("label")["table"].agg(lambda s: set(s) == {"outcomes"})
    facts["outcome_only"] = outcome_only
    return facts


def _compatible(qualifiers: tuple, anchor: tuple) -> bool:
    return all(not mine or not theirs or mine == theirs for mine, theirs in zip(qualifiers, anchor))


def _key_groups(readings: dict[str, LabelReading]) -> tuple[dict[str, int], dict[str, str]]:
    """Group labels with the same core words; years, quarters and regions split them, never join them."""
    buckets: dict[tuple, list[str]] = defaultdict(list)
    for label, reading in readings.items():
        if not reading.placeholder and (reading.core or reading.words):
            buckets[reading.key].append(label)
    group_of, ambiguous = {}, {}
    next_id = 0
    for _, labels in sorted(buckets.items()):
        kinds = [{readings[x].qualifiers[i] for x in labels if readings[x].qualifiers[i]} for i in range(3)]
        if all(len(k) <= 1 for k in kinds):
            for label in labels:
                group_of[label] = next_id
            next_id += 1
            continue
        # the fully qualified labels anchor one group each; a label missing a qualifier joins
        # the one anchor it fits, or stays apart when it fits several
        anchors = sorted({
            readings[x].qualifiers for x in labels
            if all(readings[x].qualifiers[i] or len(kinds[i]) <= 1 for i in range(3))
        }, key=lambda q: tuple(sorted(part) for part in q))
        anchor_ids = {}
        for anchor in anchors:
            anchor_ids[anchor] = next_id
            next_id += 1
        for label in labels:
            fits = [a for a in anchors if _compatible(readings[label].qualifiers, a)]
            if len(fits) == 1:
                group_of[label] = anchor_ids[fits[0]]
            else:
                group_of[label] = next_id
                next_id += 1
                names = ", ".join(" ".join(sorted(set().union(*a))) for a in fits)
                ambiguous[label] = f"same words as labels of different periods or markets ({names}); say which one"
    return group_of, ambiguous


def _link_evidence(cooccurrence: pd.DataFrame, group_of: dict[str, int], groups: _Groups,
                   readings: dict[str, LabelReading]) -> dict[str, str]:
    """Join a tag's group to the utm value its rows link with (most of its rows, at least two)."""
    reasons = {}
    if cooccurrence.empty:
        return reasons
    pairs = cooccurrence[cooccurrence["label"] != cooccurrence["other"]]
    both = pd.concat([
        pairs[["label", "other", "rows", "table", "column", "other_column"]],
        pairs.rename(columns={"label": "other", "other": "label", "column": "other_column", "other_column": "column"})[
            ["label", "other", "rows", "table", "column", "other_column"]],
    ], ignore_index=True)
    both = both[both["label"].isin(group_of) & both["other"].isin(group_of)]
    for label, rows in both.groupby("label"):
        total = int(rows["rows"].sum())
        per_other = rows.groupby("other")["rows"].sum().sort_values(ascending=False)
        other, count = per_other.index[0], int(per_other.iloc[0])
        if count < 2 or count / total < _LINK_SHARE:
            continue
        a, b = groups.find(group_of[label]), groups.find(group_of[other])
        if a == b:
            continue
        if readings[label].key[:1] == ("~generic",) or readings[other].key[:1] == ("~generic",):
            continue  # a tag like "webinar" links to many campaigns over time: never evidence
        conflict = False
        for i in range(3):
            mine = {q for x, g in group_of.items() if groups.find(g) == a for q in readings[x].qualifiers[i]}
            theirs = {q for x, g in group_of.items() if groups.find(g) == b for q in readings[x].qualifiers[i]}
            conflict = conflict or bool(mine and theirs and mine != theirs)
        if conflict:
            continue
        groups.union(a, b)
        first = rows.iloc[0]
        reasons[label] = (
            f"{count} of {total} {first['table']} rows with this {first['column']} carry "
            f"{first['other_column'].replace('url:', 'a link with ')} '{other}'"
        )
    return reasons


def _overlaps(facts: pd.DataFrame, label: str, others: list[str]) -> bool | None:
    start, end = facts.at[label, "first"], facts.at[label, "last"]
    if pd.isna(start) or not others:
        return None
    slack = dt.timedelta(days=_OUTCOME_SLACK_DAYS if facts.at[label, "outcome_only"] else _SLACK_DAYS)
    known = False
    for other in others:
        o_start, o_end = facts.at[other, "first"], facts.at[other, "last"]
        if pd.isna(o_start):
            continue
        known = True
        other_slack = dt.timedelta(days=_OUTCOME_SLACK_DAYS if facts.at[other, "outcome_only"] else _SLACK_DAYS)
        if start <= o_end + slack + other_slack and o_start <= end + slack + other_slack:
            return True
    return False if known else None


def _name(labels: list[str], readings: dict[str, LabelReading], facts: pd.DataFrame, decided: dict[str, str]) -> str:
    chosen = Counter(decided[x] for x in labels if x in decided)
    if chosen:
        return chosen.most_common(1)[0][0]
    # the CRM's own campaign name, written for people (spaces, capitals), not a utm value it also stores
    crm = [x for x in labels if facts.at[x, "crm"] and _reads_like_a_name(x)]
    if crm:
        return max(crm, key=lambda x: (facts.at[x, "rows"], x))
    if len(labels) == 1:
        return labels[0]  # one spelling: renaming it would only confuse
    # a label written as a name (no account prefix, no separators), with the fewest generic words
    named = [x for x in labels if _reads_like_a_name(x) and "|" not in x and "_" not in x]
    if named:
        return max(named, key=lambda x: (-len(readings[x].dropped), facts.at[x, "rows"], x))
    # else built from the words of the label with the most of them
    best = max(labels, key=lambda x: (len(readings[x].core), x.count(" "), -sum(not c.isalnum() and c != " " for c in x), x))
    words = [w.upper() if w.upper() in best else w.capitalize() for w in readings[best].core]
    years = {y for x in labels for y in readings[x].years}
    quarters = {q for x in labels for q in readings[x].quarters}
    regions = {r for x in labels for r in readings[x].regions}
    prefix = [r.upper() for r in sorted(regions)] if len(regions) == 1 else []
    prefix += [next(iter(quarters)).upper()] if len(quarters) == 1 else []
    suffix = [next(iter(years))] if len(years) == 1 else []
    return " ".join(prefix + words + suffix)


def _reads_like_a_name(label: str) -> bool:
    return " " in label.strip() and any(c.isupper() for c in label)


def suggest_campaigns(registry: pd.DataFrame, cooccurrence: pd.DataFrame | None = None,
                      decided: dict[str, str] | None = None, seen: set[str] | None = None) -> pd.DataFrame:
    """One row per registry row with ``campaign`` (empty when unsure), ``confidence`` and ``reason``.

    ``decided`` maps labels a person already assigned (the stored map) to their
    campaign; ``seen`` holds every label the stored map lists. ``status`` says
    ``decided``, ``undecided`` (in the map, no campaign) or ``new`` (not in the map:
    what a later ingest brought).
    """
    seen = set(seen or ()) | set(decided or ())
    decided = {k: v for k, v in (decided or {}).items() if v}
    if registry.empty:
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    facts = _label_facts(registry)
    prefixes = detect_prefixes({f: list(g["label"]) for f, g in registry.groupby("file")})
    # words of labels that split into several words: what a run-together label can be read with
    vocabulary = {w for label in facts.index if len(split_words(label)) > 1 for w in split_words(label) if len(w) >= 3}
    readings = {label: read_label(label, prefixes, vocabulary) for label in facts.index}
    for label in facts.index:
        if label == UNTAGGED:
            readings[label] = LabelReading(label, True, (), frozenset(), frozenset(), ())

    group_of, ambiguous = _key_groups(readings)
    groups = _Groups()
    # a person's decision groups labels whatever their words say
    by_decision: dict[str, int] = {}
    for label, campaign in decided.items():
        if label in group_of:
            if campaign in by_decision:
                groups.union(group_of[label], by_decision[campaign])
            by_decision.setdefault(campaign, group_of[label])
    linked = _link_evidence(cooccurrence if cooccurrence is not None else pd.DataFrame(), group_of, groups, readings)

    members: dict[int, list[str]] = defaultdict(list)
    for label, g in group_of.items():
        members[groups.find(g)].append(label)
    names = {root: _name(labels, readings, facts, decided) for root, labels in members.items()}
    names = _unique(names, members, facts)

    per_label = {}
    for label in facts.index:
        reading = readings[label]
        if reading.placeholder:
            per_label[label] = ("", 0.0, "not a campaign (placeholder or untagged); never merged", "")
            continue
        if label not in group_of:
            per_label[label] = ("", 0.0, "no words to read a campaign from", "")
            continue
        root = groups.find(group_of[label])
        name = names[root]
        others = [x for x in members[root] if x != label]
        if label in decided:
            per_label[label] = (decided[label], 1.0, "decided in the workspace's campaign map", decided[label])
            continue
        if label in ambiguous and not others:
            per_label[label] = ("", 0.3, ambiguous[label], "")
            continue
        if reading.generic_only:
            words = ", ".join(reading.words)
            same = f"; same words as {others[0]!r}" if others else ""
            if any(reading.qualifiers):
                # "emea-newsletter" is a campaign (that market's newsletter); it joins only labels of
                # exactly the same words, never a named campaign
                why = f"generic words with a market or period ({words}): its own campaign, merged only with the same words"
                per_label[label] = (name, 0.75, why + same, name)
            else:
                why = f"only generic words ({words}): kept as spelled, never merged into a named campaign"
                per_label[label] = ("", 0.4, why + same, name)
            continue
        if not others:
            per_label[label] = (name, 0.9, "no other spelling found: a campaign of its own", name)
            continue
        overlap = _overlaps(facts, label, others)
        if label in linked:
            reason, confidence = linked[label], 0.95
        else:
            same = [x for x in others if readings[x].key == reading.key][:3]
            dropped = sorted({w for x in [label, *others] for w in readings[x].dropped} | {p.upper() for p in prefixes if split_words(label)[:1] == [p]})
            if same:
                reason = f"same words ({' '.join(reading.core)}) as {', '.join(repr(x) for x in same)}"
                if dropped:
                    reason += f" once {', '.join(dropped[:6])} are set aside"
                confidence = 0.85
            else:
                reason = f"grouped with {', '.join(repr(x) for x in others[:3])} through linked labels"
                confidence = 0.8
        if overlap is False:
            per_label[label] = ("", 0.5, reason + "; but never active at the same time: check", name)
            continue
        if overlap:
            confidence = min(0.99, confidence + 0.05)
            reason += "; active at the same time"
        per_label[label] = (name, round(confidence, 2), reason, name)

    _fuzzy_hints(per_label, readings, names, members, groups, {k: v for k, v in group_of.items() if k not in ambiguous})
    rows = []
    for record in registry.itertuples(index=False):
        campaign, confidence, reason, suggested = per_label[record.label]
        row = record._asdict()
        status = "decided" if record.label in decided else ("undecided" if record.label in seen else "new")
        rows.append({
            **row, "source": source_name(row), "campaign": campaign if confidence >= ASSIGN_AT else "",
            "confidence": confidence, "reason": reason, "suggested": suggested, "status": status,
        })
    frame = pd.DataFrame(rows)
    frame["_key"] = frame["suggested"].where(frame["suggested"] != "", "~" + frame["label"])
    frame = frame.sort_values(["_key", "table", "column", "label"], kind="stable").drop(columns="_key")
    return frame[SUGGESTION_COLUMNS].reset_index(drop=True)


def _unique(names: dict[int, str], members: dict[int, list[str]], facts: pd.DataFrame) -> dict[int, str]:
    """Two groups never get one name (applying the map would merge them)."""
    seen: dict[str, int] = {}
    out = {}
    for root in sorted(names, key=lambda r: -sum(facts.at[x, "rows"] for x in members[r])):
        name = names[root]
        folded = name.casefold()
        n = 2
        while folded in seen:
            name = f"{names[root]} ({n})"
            folded = name.casefold()
            n += 1
        seen[folded] = root
        out[root] = name
    return out


def _fuzzy_hints(per_label, readings, names, members, groups, group_of) -> None:
    """A lone label close to a campaign's words (a typo) gets that campaign as a hint, never assigned."""
    targets = {root: " ".join(sorted({w for x in labels for w in readings[x].core})) for root, labels in members.items() if len(labels) > 1}
    for label, (campaign, confidence, reason, suggested) in list(per_label.items()):
        if label not in group_of or len(members[groups.find(group_of[label])]) > 1 or label not in readings:
            continue
        mine = " ".join(readings[label].key)
        scored = sorted(((difflib.SequenceMatcher(None, mine, text).ratio(), root) for root, text in targets.items()), reverse=True)
        # identical words with other years are another campaign, not a typo
        if scored and 0.88 <= scored[0][0] < 1.0 and (len(scored) == 1 or scored[1][0] < scored[0][0] - 0.05):
            target = names[scored[0][1]]
            per_label[label] = ("", 0.6, f"close to the words of '{target}' (similarity {scored[0][0]:.2f}): a typo? check", target)
