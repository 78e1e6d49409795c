"""Map an export's columns onto a canonical table through a preset.

Headers are matched after normalising (:mod:`coordkit.ingest.headers`). A
required column that is missing fails the file naming the closest header; an
optional one is a warning saying which field stays empty; a mapped name that
appears twice is an error naming both columns.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from coordkit.contract import Table
from coordkit.errors import SchemaError
from coordkit.ingest.headers import (
    closest_header,
    column_letter,
    duplicate_headers,
    find_header,
    normalise_header,
)
from coordkit.ingest.messages import Message
from coordkit.ingest.presets import Preset
from coordkit.ingest.readers import CANDIDATE_DELIMITERS, RawTable

__all__ = ["canonical_text", "map_values", "describe_source", "expected_headers", "extras", "resolve_columns"]


def _alternatives(rule) -> list[str]:
    if isinstance(rule, dict):
        return [str(p) for p in rule["concat"]]
    return [str(a) for a in (rule if isinstance(rule, list) else [rule])]


def map_values(series: pd.Series, func) -> pd.Series:
    """``func`` applied once per distinct value (exports repeat a few labels a million times); missing stays None."""
    present = series.notna()
    table = {value: func(value) for value in pd.unique(series[present])}
    mapped = series.map(table).astype(object)
    return mapped.where(present, None)


def expected_headers(preset: Preset) -> list[str]:
    """Every source header the preset can read: used to find the header row and the sheet."""
    names = []
    for rule in preset.columns.values():
        names.extend(_alternatives(rule))
    names.extend(str(rule["from"]) for rule in preset.derive.values())
    return names


def describe_source(preset: Preset, column: str) -> str:
    rule = preset.columns.get(column)
    if rule is None:
        return ""
    if isinstance(rule, dict):
        return " + ".join(repr(p) for p in rule["concat"])
    return " or ".join(repr(a) for a in _alternatives(rule))


def resolve_columns(raw: RawTable, spec: Table, preset: Preset) -> tuple[dict, list[str], list[str]]:
    """Return ({canonical: source header or concat rule}, source headers used, warnings)."""
    header = list(raw.frame.columns)
    mapping: dict[str, object] = {}
    used: list[str] = []
    for canonical, rule in preset.columns.items():
        if isinstance(rule, dict):
            parts = [find_header(header, part) for part in rule["concat"]]
            if all(parts):
                mapping[canonical] = {"concat": parts, "sep": rule.get("sep", ":")}
                used.extend(parts)
            continue
        for alternative in _alternatives(rule):
            found = find_header(header, alternative)
            if found:
                mapping[canonical] = found
                used.append(found)
                break
    for rule in preset.derive.values():
        found = find_header(header, str(rule["from"]))
        if found:
            used.append(found)
    _check_duplicates(raw, used)
    _check_required(raw, spec, preset, mapping)
    warnings = _missing_optional(raw, spec, preset, mapping, used)
    return mapping, used, warnings


def _check_duplicates(raw: RawTable, used: list[str]) -> list[str]:
    cells = raw.header_cells or list(raw.frame.columns)
    names = list(raw.frame.columns)
    used_normal = {normalise_header(u) for u in used}
    for first, later, name in duplicate_headers(cells):
        if normalise_header(name) in used_normal:
            text = (f"{raw.name}: the header names {name!r} twice, in column {column_letter(first)} "
                    f"({cells[first]!r}) and column {column_letter(later)} ({cells[later]!r}); "
                    "coordkit cannot tell which one holds the data")
            error = SchemaError(text, hint="rename or delete one of the two columns and export again")
            error.messages = [Message("error", raw.header_row, cells[later].strip(), cells[later], text)]
            raise error
    del names
    return []


def _check_required(raw: RawTable, spec: Table, preset: Preset, mapping: dict) -> None:
    available = set(mapping) | set(preset.constants) | set(preset.derive)
    # touchpoint_id is derived when absent; one_of groups are checked per row
    missing = [c for c in spec.required if c not in available]
    if not missing:
        for group in spec.one_of:
            if not any(c in available for c in group):
                missing = [group[0]]
                break
    if not missing:
        return
    column = missing[0]
    header = list(raw.frame.columns)
    source = describe_source(preset, column)
    where = f" (preset {preset.name!r} reads it from {source})" if source and not preset.identity else ""
    wanted = _alternatives(preset.columns[column]) if column in preset.columns else [column]
    close = next((c for c in (closest_header(header, w, set(mapping.values()) - {None}) for w in wanted) if c), None)
    shown = ", ".join(repr(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
    hint = f"the file's columns are: {shown}"
    if close is not None:
        position = header.index(close)
        hint = (f"did you mean {close!r} (row {raw.header_row}, column {column_letter(position)})? "
                f"Rename it to {wanted[0]!r} in the file, or map it in your own preset; " + hint)
    if len(header) == 1:
        for candidate in CANDIDATE_DELIMITERS:
            if candidate != raw.delimiter and candidate in header[0]:
                name = {"\t": "tab", ";": "';'", "|": "'|'", ",": "','"}[candidate]
                hint = (
                    f"the file seems to be separated by {name}, not {raw.delimiter!r}: "
                    f"pass --delimiter {name.strip(chr(39))!r} or fix the preset's read.delimiter"
                )
                break
    elif preset.identity and close is None:
        hint += "; pass --preset NAME if this is a vendor export (coordkit presets lists them)"
    group = next((g for g in spec.one_of if column in g), None)
    what = f"missing column {column!r}" if group is None else "missing column " + " or ".join(repr(c) for c in group)
    text = f"{raw.name}: {what}{where}" + (f"; did you mean {close!r}?" if close else "")
    error = SchemaError(text, hint=hint)
    error.messages = [Message("error", raw.header_row, column, close, text)]
    raise error


def _missing_optional(raw: RawTable, spec: Table, preset: Preset, mapping: dict, used: list[str]) -> list[str]:
    if preset.identity:
        return []
    header = list(raw.frame.columns)
    warnings = []
    for canonical, rule in preset.columns.items():
        if canonical in mapping:
            continue
        close = next((c for c in (closest_header(header, w, set(used)) for w in _alternatives(rule)) if c), None)
        text = f"column {canonical!r}: the export has no {describe_source(preset, canonical)}; {canonical} stays empty"
        if close:
            text += f"; did you mean {close!r} (column {column_letter(header.index(close))})?"
        warnings.append(text)
    return warnings


def canonical_text(raw: RawTable, preset: Preset, mapping: dict) -> pd.DataFrame:
    """Canonical columns as stripped text (None for empty), before typing."""
    frame = raw.frame
    out = {}
    for canonical, rule in mapping.items():
        if isinstance(rule, dict):
            parts = [frame[p].astype(str).str.strip() for p in rule["concat"]]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined + rule["sep"] + part
            empty = np.logical_or.reduce([p.eq("").to_numpy() for p in parts])
            out[canonical] = joined.mask(empty, None)
        else:
            text = frame[rule].astype(str).str.strip()
            out[canonical] = text.mask(text.eq(""), None)
    for canonical, value in preset.constants.items():
        out[canonical] = pd.Series([None if value is None else value] * len(frame), dtype=object, index=frame.index)
    for canonical, rule in preset.derive.items():
        source = find_header(list(frame.columns), str(rule["from"]))
        lookup = {str(k).strip().lower(): v for k, v in rule["map"].items()}
        default = rule.get("default")
        if source is None:
            out[canonical] = pd.Series([default] * len(frame), dtype=object, index=frame.index)
            continue
        keys = frame[source].astype(str).str.strip().str.lower()
        out[canonical] = map_values(keys, lambda k, lookup=lookup, default=default: lookup.get(k, default))
    # text columns stay Arrow-backed strings (missing = NA): object columns of Python strings cost
    # several times the memory on a million rows
    result = pd.DataFrame(out, index=frame.index)
    for canonical, table_map in preset.values.items():
        if canonical in result:
            lookup = {str(k).strip().lower(): v for k, v in table_map.items()}
            result[canonical] = map_values(result[canonical], lambda v, lookup=lookup: lookup.get(str(v).strip().lower(), v))
    return result


def extras(raw: RawTable, used: list[str]) -> pd.Series:
    """Unmapped columns per row as JSON (empty cells left out), so nothing in an export is lost.

    Built column by column with vectorised string operations: a Python ``json.dumps`` per row
    costs seconds on a million rows.
    """
    leftover = [c for c in raw.frame.columns if c not in set(used)]
    size = len(raw.frame)
    if not leftover:
        return pd.Series([None] * size, dtype=object)
    body = pd.Series([""] * size, dtype="str", index=raw.frame.index)
    for name in leftover:
        values = raw.frame[name].astype("str").fillna("")
        if values.str.contains(r"[\x00-\x1f\x7f]", regex=True).any():
            escaped = values.map(lambda v: json.dumps(v, ensure_ascii=False))
        else:
            escaped = '"' + values.str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"', regex=False) + '"'
        piece = json.dumps(name, ensure_ascii=False) + ": " + escaped + ", "
        body = body + piece.where(values.ne(""), "")
    return ("{" + body.str.slice(0, -2) + "}").reset_index(drop=True)
