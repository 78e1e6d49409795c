"""Exports: the documented messy rows inserted into the canonical CSVs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.demo.settings import week_of


# ================================================================ messy rows
def _insert_rows(
    frame: pd.DataFrame, inserts: list[tuple[int, dict]]
) -> tuple[pd.DataFrame, list[int]]:
    """Insert rows before the given 0-based positions; return the frame and each row's spreadsheet row."""
    pieces, start, positions = [], 0, []
    for offset, (pos, row) in enumerate(sorted(inserts, key=lambda x: x[0])):
        pieces.append(frame.iloc[start:pos])
        pieces.append(pd.DataFrame([row], columns=frame.columns))
        positions.append(pos + offset + 2)  # header is row 1; earlier inserts shift later ones
        start = pos
    pieces.append(frame.iloc[start:])
    return pd.concat(pieces, ignore_index=True), positions


def messy_outputs(outputs_csv: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    n = len(outputs_csv)
    template = outputs_csv.iloc[n // 3].to_dict()
    specs = [
        (
            n // 4,
            "published_at",
            "2026-02-30T10:00:00Z",
            "reject: unparseable date (30 February does not exist)",
        ),
        (n // 2, "cost", "-250.00", "reject: negative cost"),
        (
            3 * n // 4,
            "channel",
            "tiktok",
            "accept with a warning: unknown channel mapped to `other`",
        ),
    ]
    frame, log = _apply_messy("outputs.csv", outputs_csv, template, "output_id", "OUT-9", specs)
    # each extra row gets its own UTM tag, so linking touches by UTM stays unambiguous
    for entry in log:
        i = entry["row"] - 2
        tag = f"manual-{entry['id'].lower()}"
        frame.loc[i, "url"] = frame.loc[i, "url"].replace(template["utm_content"], tag)
        frame.loc[i, "utm_content"] = tag
    return frame, log


def _apply_messy(file, frame, template, id_col, id_prefix, specs):
    inserts = []
    for i, (pos, column, value, _) in enumerate(specs):
        row = dict(template)
        row[id_col] = f"{id_prefix}{i + 1:04d}"
        row[column] = value
        inserts.append((pos, row))
    frame, rows = _insert_rows(frame, inserts)
    log = [
        {
            "file": file,
            "row": r,
            "id": frame.iloc[r - 2][id_col],
            "column": column,
            "value": value,
            "expected": expected,
        }
        for r, (_, column, value, expected) in zip(rows, sorted(specs, key=lambda s: s[0]))
    ]
    return frame, log


def messy_touchpoints(tp: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    n = len(tp)
    template = tp.iloc[n // 2].to_dict()
    specs = [
        (n // 5, "contact_id", "", "reject: neither contact_id nor account_id"),
        (3 * n // 5, "touched_at", "yesterday", "reject: unparseable date"),
        (4 * n // 5, "contact_id", "", "reject: neither contact_id nor account_id"),
    ]
    tp, log = _apply_messy("touchpoints.csv", tp, template, "touchpoint_id", "T-9", specs)
    for entry in log:
        if entry["column"] == "contact_id":
            tp.loc[entry["row"] - 2, "account_id"] = ""
            entry["column"], entry["value"] = "contact_id,account_id", ""
    return tp, log


def messy_outcomes(oc: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    n = len(oc)
    opp_rows = np.flatnonzero(oc["kind"].to_numpy() == "opportunity")
    template = oc.iloc[opp_rows[len(opp_rows) // 2]].to_dict()
    specs = [
        (n // 5, "amount", "12k", "reject: unparseable number (write 12000)"),
        (
            2 * n // 5,
            "created_at",
            "2026-11-31T09:00:00Z",
            "reject: unparseable date (31 November does not exist)",
        ),
        (3 * n // 5, "amount", "-5000.00", "reject: negative amount"),
    ]
    oc, log = _apply_messy("outcomes.csv", oc, template, "outcome_id", "OPP-9", specs)
    # a duplicate id with a conflicting amount: an apac opportunity from spring 2026, re-listed later
    week = week_of(rows["ts"].to_numpy())
    victim = rows[
        (rows["kind"] == "opportunity")
        & (rows["team"] == "apac")
        & (week >= 25)
        & (week <= 30)
        & ~rows["late"]
    ]
    first = oc.index[oc["outcome_id"] == victim["outcome_id"].iloc[0]][0]
    dup = oc.loc[first].to_dict()
    original_amount = dup["amount"]
    dup["amount"] = f"{float(original_amount) * 1.5:.2f}"
    pos = len(oc) - len(oc) // 10
    oc, (row,) = _insert_rows(oc, [(pos, dup)])
    log.append(
        {
            "file": "outcomes.csv",
            "row": row,
            "id": dup["outcome_id"],
            "column": "amount",
            "value": dup["amount"],
            "expected": f"reject: duplicate outcome_id with a conflicting amount (row {first + 2} has {original_amount}); "
            "keep the first",
            "first_row": int(first + 2),
        }
    )
    return oc, log


# ================================================================ ground truth
