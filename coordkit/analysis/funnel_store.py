"""The weekly funnel of ``coordkit funnel`` straight from the workspace store: DuckDB and plain Python, no pandas.

Importing pandas alone takes longer than the command's 1 s budget on a busy
machine, so the command reads the embedded store with DuckDB and applies the
stage-history rules (``coordkit.model.stage_history``) and the funnel
definitions (``coordkit.analysis.funnel``) in plain Python. It must give the
very same rows as ``compute_funnel(load_pipeline(W, team), grain="week", by=...)``
(tested byte for byte on the written CSV). Where a workspace needs what only
the full path does, :func:`weekly_funnel_rows` returns None and the caller
takes that path: a store that is not the embedded DuckDB one (or is locked),
outcomes in another currency than the reporting one (conversion warnings),
HubSpot "Date entered" / lifecycle dates kept in ``extras``, a pipeline whose
stage order has to be guessed (a warning), and no outcomes or no stage history
(the full path's error messages).

XmR limits use numpy's summation order (pairwise, as ``np.mean`` adds), so the
limits agree to the last bit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from coordkit.analysis.xmr_rules import rules_fired
from coordkit.errors import ParameterError, allowed_values_message
from coordkit.model.pipelines import KNOWN_PIPELINES, LOST_STAGES, WON_STAGES

__all__ = ["FUNNEL_COLUMNS", "funnel_summary", "weekly_funnel_rows"]

#: the funnel's columns (``coordkit.analysis.funnel`` and ``coordkit funnel``), in this order
FUNNEL_COLUMNS = (
    "pipeline",
    "segment",
    "cohort",
    "step",
    "stage",
    "next_stage",
    "cohort_size",
    "reached",
    "advanced",
    "next_step_conversion",
    "cumulative_conversion",
    "won_conversion",
    "median_days_to_reach",
    "still_open",
    "open_share",
    "lost_here",
    "provisional",
    "xmr_centre",
    "xmr_lower",
    "xmr_upper",
    "xmr_rule",
)

#: the embedded store inside a workspace folder, as ``coordkit.ingest.workspace`` lays it out (tested equal);
#: not imported from there, which would import its file locking and the data contract
STORE_PATH = (".coordkit", "workspace.duckdb")
_DAY_US = 86_400_000_000
_EPOCH = dt.date(1970, 1, 1)
_NO_TIME = float("inf")
NAN = float("nan")


def weekly_funnel_rows(workspace, team: str | None = None, by: str | None = None):
    """(rows in FUNNEL_COLUMNS order, warnings), or None when the full pandas path must answer."""
    tables = _read_store(workspace)
    if tables is None:
        return None
    currency, outcomes, stages, channels = tables
    if not outcomes or any(o["currency"] is not None and o["currency"].upper() != currency for o in outcomes):
        return None
    if any(o["extras"] and ("Date entered" in o["extras"] or "Became a" in o["extras"]) for o in outcomes):
        return None
    for o in outcomes:
        o["team"] = o["team"] or ""
        o["campaign"] = o["campaign"] or ""
        o["channel"] = channels.get(o["campaign"], "") if o["campaign"] else ""
    if team not in (None, "", "all"):
        known = sorted({o["team"] for o in outcomes} - {""})
        if team not in known:
            raise ParameterError(allowed_values_message("team", team, known))
        outcomes = [o for o in outcomes if o["team"] == team]
    if by is not None and by not in ("team", "campaign", "channel"):
        raise ParameterError(allowed_values_message("by", by, ("team", "campaign", "channel")))
    ids = {o["outcome_id"] for o in outcomes}
    entries = [s for s in stages if s[0] in ids]
    if not entries:
        return None
    history, orders = _stage_history(entries, outcomes)
    if history is None:
        return None
    warnings = []
    without = sum(1 for o in outcomes if o["kind"] == "opportunity" and o["outcome_id"] not in history)
    if without:
        warnings.append(f"{without} opportunities have no stage history and are left out of the funnel")
    return _funnel(history, orders, [o for o in outcomes if o["outcome_id"] in history], by), warnings


def _read_store(folder):
    """(reporting currency, outcome dicts, stage entries, campaign -> channel) from the embedded store, or None."""
    import duckdb

    from coordkit.config import load_config

    config = load_config(folder)
    store = Path(folder).joinpath(*STORE_PATH)
    if config.backend not in (None, "", "duckdb") or not store.is_file():
        return None
    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error:
        return None
    try:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
        if not {"outcomes", "outcome_stages"} <= tables:
            return None
        columns = {r[0] for r in con.execute('DESCRIBE "outcomes"').fetchall()}
        want = ("outcome_id", "kind", "created_at", "closed_at", "won", "team", "campaign", "currency", "extras")
        if not {"outcome_id", "kind", "created_at", "closed_at", "won"} <= columns:
            return None
        select = ", ".join(
            (f'epoch_us("{c}")' if c in ("created_at", "closed_at") else f'"{c}"') if c in columns else "NULL"
            for c in want
        )
        outcomes = [dict(zip(want, row)) for row in con.execute(f'SELECT {select} FROM "outcomes"').fetchall()]
        stage_columns = {r[0] for r in con.execute('DESCRIBE "outcome_stages"').fetchall()}
        order = '"stage_order"' if "stage_order" in stage_columns else "NULL"
        pipeline = '"pipeline"' if "pipeline" in stage_columns else "NULL"
        stages = con.execute(
            f'SELECT "outcome_id", "stage", epoch_us("entered_at"), {order}, {pipeline} FROM "outcome_stages"'
        ).fetchall()
        channels = {}
        if "outputs" in tables:
            # the channel most of a campaign's outputs went out on; ties to the first channel by name
            counts = con.execute(
                'SELECT campaign, channel, count(*) FROM "outputs" WHERE campaign IS NOT NULL AND channel IS NOT NULL '
                "GROUP BY ALL"
            ).fetchall()
            for campaign, channel, n in sorted(counts, key=lambda r: (r[0], -r[2], r[1])):
                channels.setdefault(campaign, channel)
    finally:
        con.close()
    return config.currency.upper(), outcomes, stages, channels


def _orders(entries) -> dict | None:
    """``stage_order_of`` without its last resort (guessing an order, with a warning): None then."""
    groups: dict = {}
    for outcome_id, stage, entered, order, pipeline in entries:
        groups.setdefault(pipeline, []).append((stage, order))
    known = KNOWN_PIPELINES
    orders = {}
    for pipeline in sorted(groups):
        rows = groups[pipeline]
        stages = {s for s, _ in rows} - set(LOST_STAGES)
        won = [s for s in WON_STAGES if s in stages]
        given = [(s, o) for s, o in rows if o is not None]
        if given and {s for s, _ in given} | set(won) >= stages:
            ranks: dict = {}
            for s, o in given:
                ranks[s] = min(ranks.get(s, o), o)
            ranked = sorted(sorted(ranks), key=lambda s: ranks[s])
            orders[pipeline] = tuple(s for s in ranked if s not in won) + tuple(won)
            continue
        if pipeline in known and stages <= set(known[pipeline]):
            orders[pipeline] = tuple(known[pipeline])
            continue
        match = next((o for o in known.values() if stages <= set(o)), None)
        if match is None:
            return None
        orders[pipeline] = tuple(match)
    return orders


def _stage_history(stage_rows, outcomes) -> tuple[dict | None, dict]:
    """outcome_id -> (pipeline, [(step, reached_at_us)], closed, last_step), under the five rules."""
    entries = [
        (oid, stage, entered, None if order is None else float(order), pipeline or "(unnamed pipeline)")
        for oid, stage, entered, order, pipeline in stage_rows
    ]
    by_id = {o["outcome_id"]: o for o in outcomes}
    # a closed outcome whose history lacks its closing stage gets one at closed_at
    first_pipeline: dict = {}
    closing = set()
    for oid, stage, _, _, pipeline in entries:
        first_pipeline.setdefault(oid, pipeline)
        if stage in WON_STAGES or stage in LOST_STAGES:
            closing.add(oid)
    for o in outcomes:
        oid = o["outcome_id"]
        if o["won"] is not None and o["closed_at"] is not None and oid in first_pipeline and oid not in closing:
            pipeline = first_pipeline[oid]
            stage = KNOWN_PIPELINES.get(pipeline, ("Closed Won",))[-1] if o["won"] else "Closed Lost"
            entries.append((oid, stage, o["closed_at"], None, pipeline))
    orders = _orders(entries)
    if orders is None:
        return None, {}
    # rule 5: created in the first stage unless the history says when
    first_stage = {p: order[0] for p, order in orders.items() if order}
    has_first, earliest, pipeline_of = set(), {}, {}
    for oid, stage, entered, _, pipeline in entries:
        pipeline_of.setdefault(oid, pipeline)
        if stage == first_stage.get(pipeline):
            has_first.add(oid)
        if entered is not None and (oid not in earliest or entered < earliest[oid]):
            earliest[oid] = entered
    for oid, pipeline in pipeline_of.items():
        created = by_id[oid]["created_at"] if oid in by_id else None
        if oid in has_first or created is None or oid not in earliest or created > earliest[oid]:
            continue
        entries.append((oid, first_stage[pipeline], created, None, pipeline))
    return _paths(entries, orders), orders


def _paths(entries, orders) -> dict:
    step_of = {(p, s): i + 1 for p, order in orders.items() for i, s in enumerate(order)}
    won_step = {p: i + 1 for p, order in orders.items() for i, s in enumerate(order) if s in WON_STAGES}
    per_outcome: dict = {}
    for index, entry in enumerate(entries):
        per_outcome.setdefault(entry[0], []).append((entry[2] if entry[2] is not None else _NO_TIME, index, entry))
    history = {}
    for oid, rows in per_outcome.items():
        rows.sort(key=lambda r: (r[0], r[1]))  # by entered_at, stable
        pipeline = rows[0][2][4]
        first_entry: dict = {}
        lost = False
        for _, _, (_, stage, entered, _, row_pipeline) in rows:
            if stage in LOST_STAGES:
                lost = True
                continue
            step = step_of[(row_pipeline, stage)]
            if entered is not None and (step not in first_entry or entered < first_entry[step]):
                first_entry[step] = entered
            first_entry.setdefault(step, None)
        if not first_entry:
            continue
        last = max(first_entry)
        reached, running = [], _NO_TIME
        for step in range(last, 0, -1):  # rule 2: reached at the earliest entry into it or a later step
            entered = first_entry.get(step)
            if entered is not None and entered < running:
                running = entered
            reached.append((step, running))
        reached.reverse()
        won = pipeline in won_step and last >= won_step[pipeline]
        history[oid] = (pipeline, reached, "won" if won else ("lost" if lost else ""), last)
    return history


def _monday(us: int) -> str:
    days = us // _DAY_US
    return (_EPOCH + dt.timedelta(days=days - (days + 3) % 7)).isoformat()


def _median(values: list[float]) -> float:
    values = sorted(values)
    n, mid = len(values), len(values) // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def _pairwise_sum(values: list[float]) -> float:
    """numpy's float64 summation (``np.add.reduce``): 8 accumulators per block of 128, halves above it."""
    n = len(values)
    if n < 8:
        total = -0.0
        for v in values:
            total += v
        return total
    if n <= 128:
        r = values[:8]
        end = n - n % 8
        for i in range(8, end, 8):
            for j in range(8):
                r[j] += values[i + j]
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for v in values[end:]:
            total += v
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(values[:half]) + _pairwise_sum(values[half:])


def _segment(outcome: dict, by: str | None) -> str:
    if by is None:
        return "all"
    return outcome[by] or f"(no {by})"


def _funnel(history: dict, orders: dict, outcomes: list[dict], by: str | None, provisional_share=0.10, min_reached=5):
    groups: dict = {}
    for o in outcomes:
        if o["created_at"] is None:
            continue
        pipeline, reached, closed, last = history[o["outcome_id"]]
        cells = groups.setdefault((pipeline, _segment(o, by), _monday(o["created_at"])), {})
        for step, at in reached:
            cell = cells.setdefault(step, [0, [], 0, 0])
            cell[0] += 1
            cell[1].append(((at - o["created_at"]) / 1_000_000) / 86_400)
            cell[2] += step == last and closed == ""
            cell[3] += step == last and closed == "lost"
    rows = []
    won_steps = {p: next((i + 1 for i, s in enumerate(o) if s in WON_STAGES), None) for p, o in orders.items()}
    for (pipeline, segment, cohort) in sorted(groups):
        cells, order = groups[(pipeline, segment, cohort)], orders[pipeline]
        counts = [cells.get(step, [0, [], 0, 0]) for step in range(1, len(order) + 1)]
        size = counts[0][0]
        won_step = won_steps[pipeline]
        won_reached = counts[won_step - 1][0] if won_step else 0
        for i, (reached, days, still_open, lost_here) in enumerate(counts):
            last = i == len(order) - 1
            advanced = 0 if last else counts[i + 1][0]
            open_share = still_open / reached if reached > 0 else NAN
            rows.append([
                pipeline, segment, cohort, i + 1, order[i], "" if last else order[i + 1], size, reached, advanced,
                advanced / reached if reached > 0 and not last else NAN,
                reached / size if size > 0 else NAN,
                won_reached / reached if reached > 0 else NAN,
                _median(days) if days else NAN,
                still_open, open_share, lost_here,
                open_share > provisional_share or reached < max(min_reached, 1),
                NAN, NAN, NAN, "",
            ])
    _judge(rows)
    return rows


def _judge(rows: list[list]) -> None:
    """XmR of the settled cohorts' next-step rates, per pipeline, segment and step (as ``funnel._judge``)."""
    series: dict = {}
    for row in rows:
        rate = row[9]
        if not row[16] and rate == rate:
            series.setdefault((row[0], row[1], row[3]), []).append(row)
    for members in series.values():
        if len(members) < 3:
            continue
        values = [row[9] for row in members]
        ranges = [abs(b - a) for a, b in zip(values, values[1:])]
        centre = _pairwise_sum(values) / len(values)
        half = 2.66 * (_pairwise_sum(ranges) / len(ranges))
        lower, upper = centre - half, centre + half
        for row, rule in zip(members, rules_fired(values, centre, lower, upper)):
            row[17:21] = [centre, lower, upper, rule]


def funnel_summary(rows) -> tuple[int, int]:
    """(weekly cohorts, rates flagged by the XmR rules), as the command reports them."""
    return len({row[2] for row in rows}), sum(1 for row in rows if row[20] != "")

