"""Columns with few distinct values, read by the validation stages' own code once per value.

Booleans, closed sets (channel, allowed values), derived and value-mapped
columns and constants: :func:`read_categorical` gives the stages' typed
value, whether it passes, and whether its text is empty, for each distinct
raw cell, and joins them back into the SQL of
:mod:`coordkit.ingest.bulk_columns` (a CASE for up to 64 values, else a join).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from coordkit.ingest import checks
from coordkit.ingest.bulk_load import NotInBulk
from coordkit.ingest.bulk_values import MAX_DISTINCT, sql_text
from coordkit.ingest.checks import Batch, normalise_channel
from coordkit.ingest.headers import find_header
from coordkit.ingest.mapping import canonical_text
from coordkit.ingest.messages import Problems
from coordkit.ingest.readers import RawTable

__all__ = ["bool_text", "read_categorical"]

#: categorical columns with at most this many distinct values are read with CASE, more with a join
_CASE_VALUES = 64


def read_categorical(plan, column, exprs, mapping, prepared, options) -> bool:
    """Few distinct values: typed by the stages' own code once per value, joined back by the raw cell."""
    preset, name = plan.preset, column.name
    rule = mapping.get(name)
    if name in preset.derive:
        source = find_header(list(prepared.frame.columns), str(preset.derive[name]["from"]))
    elif name in preset.constants:
        source = None
    elif isinstance(rule, str):
        source = rule
    else:
        raise NotInBulk(f"{name}: a categorical column from several columns")
    if source is None:
        values = [""]
    else:
        distinct = plan.con.execute(f"SELECT DISTINCT {exprs[source]} FROM raw WHERE plain LIMIT {MAX_DISTINCT + 1}").fetchall()
        if len(distinct) > MAX_DISTINCT:
            raise NotInBulk(f"{name}: more than {MAX_DISTINCT} distinct values")
        values = [r[0] for r in distinct]
    frame = pd.DataFrame({c: pd.Series([""] * len(values), dtype="str") for c in prepared.frame.columns})
    if source is not None:
        frame[source] = pd.Series(values, dtype="str")
    raw = RawTable(plan.loaded.path, frame, list(range(len(values))), [], plan.loaded.encoding, plan.loaded.delimiter)
    text = canonical_text(raw, preset, mapping)[[name]].reset_index(drop=True)
    batch = Batch(raw=raw, spec=plan.spec, preset=preset, config=plan.config,
                  channel_policy=options.channel_policy or preset.channel_policy or plan.config.channel_policy,
                  share_limit=1.0)
    batch.rows = pd.Series(range(len(values)), dtype="int64")
    batch.problems = Problems(raw.name, batch.rows)
    batch.text = text
    if column.dtype in ("string", "bool"):
        checks.type_other_columns(batch)
    typed = pd.Series(batch.typed.get(name, text[name])).reset_index(drop=True)
    extra = {re.sub(r"[\s\-/]+", "_", str(k).strip().lower()): v for k, v in preset.values.get("channel", {}).items()}
    ok = []
    for index, value in enumerate(text[name]):
        good = index not in batch.problems.by_index
        if good and name == "channel" and batch.channel_policy != "keep" and value is not None:
            good = normalise_channel(value, extra) is not None
        ok.append(good)
    shown = [bool_text(v) if column.dtype == "bool" else (None if _missing(v) else str(v)) for v in typed]
    table = pd.DataFrame({"src": pd.Series(values, dtype=object), "typed": pd.Series(shown, dtype=object),
                          "ok": ok, "tnull": text[name].isna().to_list()})
    if source is None:
        row = table.iloc[0]
        plan.value[name] = "NULL" if row["typed"] is None else sql_text(row["typed"])
        plan.simple[name] = "true" if row["ok"] else "false"
        plan.textnull[name] = "true" if row["tnull"] else "false"
        return True
    plan.sources[name] = exprs[source]
    if len(table) <= _CASE_VALUES:
        # a few values: CASE expressions cost less than a join on a million rows
        def case(column: str, other: str) -> str:
            whens = " ".join(f"WHEN {sql_text(src)} THEN {_literal(value)}" for src, value in zip(table["src"], table[column]))
            return f'(CASE b."s_{name}" {whens} ELSE {other} END)'

        plan.value[name], plan.simple[name], plan.textnull[name] = case("typed", "NULL"), case("ok", "false"), case("tnull", "true")
        return True
    alias = f"m{len(plan.joins)}"
    table_name = f"map_{len(plan.joins)}"
    plan.con.register("_map", table)
    plan.con.execute(f"CREATE OR REPLACE TABLE {table_name} AS SELECT CAST(src AS VARCHAR) AS src, CAST(typed AS VARCHAR) AS typed, "
                     "ok, tnull FROM _map")
    plan.con.unregister("_map")
    plan.joins.append(f'LEFT JOIN {table_name} {alias} ON {alias}.src = b."s_{name}"')
    plan.value[name] = f"{alias}.typed"
    plan.simple[name] = f"{alias}.ok"
    plan.textnull[name] = f"coalesce({alias}.tnull, true)"
    return True


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return sql_text(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def bool_text(value) -> str | None:
    return None if _missing(value) else str(bool(value)).lower()
