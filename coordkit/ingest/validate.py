"""Map an export onto a canonical table and validate every row.

:func:`read_table` is the dry run behind ``coordkit validate`` and the first
half of every ingest. It never drops a row silently: each row read ends up
accepted, rejected (with a reason naming file, row, column, value and what to
do) or merged into an identical duplicate, and the counts say so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.config import WorkspaceConfig
from coordkit.contract import CHANNELS, Column, Table, table_spec
from coordkit.errors import SchemaError, ValidationError
from coordkit.ingest.prepare import prepare_raw
from coordkit.ingest.presets import Preset, load_preset
from coordkit.ingest.readers import CANDIDATE_DELIMITERS, RawTable, read_raw
from coordkit.ingest.recognise import preamble_of
from coordkit.weeks import WEEK_PATTERN, week_start_of

__all__ = ["CHANNEL_SYNONYMS", "ReadResult", "normalise_channel", "read_table"]

#: Common ways exports spell the contract's channels (lower-case, spaces and dashes as `_`).
CHANNEL_SYNONYMS = {
    "e_mail": "email", "newsletter": "email", "mail": "email", "emails": "email",
    "organic_social": "social", "social_media": "social", "linkedin": "social", "twitter": "social",
    "x": "social", "facebook": "social", "instagram": "social",
    "ppc": "paid_search", "sem": "paid_search", "cpc": "paid_search", "google_ads": "paid_search",
    "search": "paid_search", "online_search": "paid_search",
    "paidsocial": "paid_social", "social_ads": "paid_social", "meta_ads": "paid_social", "facebook_ads": "paid_social",
    "banner": "display", "programmatic": "display", "online_display": "display", "video": "display",
    "event": "events", "webinar": "events", "webinars": "events", "trade_show": "events", "conference": "events",
    "blog": "content", "seo": "content", "organic": "content",
    "press": "pr", "public_relations": "pr",
    "directmail": "direct_mail", "postal": "direct_mail",
}

_TRUE = {"true", "t", "yes", "y", "1", "won", "closed won"}
_FALSE = {"false", "f", "no", "n", "0", "lost", "closed lost"}
_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\s?UTC|\s?GMT)$", re.IGNORECASE)
_CURRENCY = re.compile(r"[\s$€£¥%]|USD|EUR|GBP", re.IGNORECASE)


@dataclass
class ReadResult:
    """The outcome of reading and validating one export."""

    path: Path
    table: str
    preset: str
    #: accepted rows in canonical columns (typed), plus ``extras`` (JSON of unmapped columns) and ``_source_row``
    accepted: pd.DataFrame
    #: one row per rejected source row: row, column, value, reason, raw (JSON of the original cells)
    rejected: pd.DataFrame
    rows_read: int
    merged_duplicates: int
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    #: (row, reason) of data rows a preset's prepare steps left out of this table (e.g. contacts that
    #: are not leads); they are not part of rows_read
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "accepted": len(self.accepted),
            "rejected": len(self.rejected),
            "merged_duplicates": self.merged_duplicates,
        }

    def summary(self) -> str:
        """One line: ``deals.csv -> outcomes: 10 read, 9 accepted, 1 rejected, 0 merged``."""
        c = self.counts
        return (
            f"{self.path.name} -> {self.table} (preset {self.preset}): {c['rows_read']} read, "
            f"{c['accepted']} accepted, {c['rejected']} rejected, {c['merged_duplicates']} merged duplicates"
        )


class _Problems:
    """Collects row-level problems: at most one reason is shown per row, all are kept."""

    def __init__(self, file_name: str):
        self.file_name = file_name
        self.by_index: dict[int, list[tuple[str, str, str]]] = {}

    def add(self, index: int, row: int, column: str, value, message: str) -> None:
        where = f"{self.file_name} row {row}" + (f", column {column}" if column else "")
        shown = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        self.by_index.setdefault(index, []).append((column, shown, f"{where}: {message}"))

    def add_many(self, mask: pd.Series, rows: pd.Series, column: str, values: pd.Series, make_message) -> None:
        for index in np.flatnonzero(mask.to_numpy()):
            value = values.iloc[index]
            self.add(int(index), int(rows.iloc[index]), column, value, make_message(value))


def read_table(
    path: str | Path,
    table: str,
    preset: str | Path | Preset | None = None,
    *,
    config: WorkspaceConfig | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_bad_share: float | None = None,
    channel_policy: str | None = None,
) -> ReadResult:
    """Read one export, map it onto ``table`` through ``preset`` and validate every row.

    Raises :class:`SchemaError` when a required column is missing and
    :class:`ValidationError` when more than ``max_bad_share`` of the rows are
    bad; otherwise returns the accepted and rejected rows.

    >>> result = read_table("sales_pipeline.csv", "outcomes", preset="maven-crm")  # doctest: +SKIP
    >>> result.counts                                                              # doctest: +SKIP
    {'rows_read': 8800, 'accepted': 8300, 'rejected': 500, 'merged_duplicates': 0}
    """
    config = config or WorkspaceConfig()
    spec = table_spec(table)
    preset_obj = preset if isinstance(preset, Preset) else load_preset(preset, table)
    preamble, preset_obj = preamble_of(path, preset_obj)
    read_options = preset_obj.read
    raw = read_raw(
        path,
        delimiter=delimiter or read_options.get("delimiter"),
        encoding=encoding or read_options.get("encoding", "auto"),
        sheet=read_options.get("sheet", 0),
        skip_rows=int(read_options.get("skip_rows", 0)),
    )
    raw, preset_obj, skipped = _prepare(raw, preset_obj, preamble, config)
    policy = channel_policy or preset_obj.channel_policy or config.channel_policy
    share_limit = config.max_bad_share if max_bad_share is None else max_bad_share
    result = _validate(raw, spec, preset_obj, config, policy, share_limit)
    result.skipped_rows = skipped
    return result


def _prepare(raw: RawTable, preset: Preset, preamble: list[str], config: WorkspaceConfig):
    """Run the preset's prepare steps (coordkit.ingest.prepare); say which rows they left out."""
    prepared = prepare_raw(raw.frame, raw.rows, preset, preamble, config.currency, raw.name)
    warnings = list(raw.warnings) + prepared.warnings
    by_reason: dict[str, list[int]] = {}
    for row, reason in sorted(prepared.skipped):
        by_reason.setdefault(reason, []).append(row)
    for reason, rows in by_reason.items():
        shown = ", ".join(str(r) for r in rows[:8]) + (", ..." if len(rows) > 8 else "")
        warnings.append(f"{len(rows)} row(s) not read into {preset.table}: {reason} (rows {shown})")
    if prepared.extra_columns:
        preset = replace(preset, columns={**prepared.extra_columns, **preset.columns})
    raw = RawTable(raw.path, prepared.frame, prepared.rows, raw.bad_records, raw.encoding, raw.delimiter, warnings)
    return raw, preset, prepared.skipped


# --- mapping -----------------------------------------------------------------


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name.strip().lstrip("\ufeff").lower()).strip()


def _find_source(header: list[str], wanted: str) -> str | None:
    if wanted in header:
        return wanted
    target = _normalise_header(wanted)
    for name in header:
        if _normalise_header(name) == target:
            return name
    return None


def _resolve_columns(raw: RawTable, spec: Table, preset: Preset) -> tuple[dict[str, object], list[str]]:
    """Return {canonical column: source header or concat rule} and the source headers used."""
    header = list(raw.frame.columns)
    mapping: dict[str, object] = {}
    used: list[str] = []
    for canonical, rule in preset.columns.items():
        if isinstance(rule, dict):
            parts = [_find_source(header, part) for part in rule["concat"]]
            if all(parts):
                mapping[canonical] = {"concat": parts, "sep": rule.get("sep", ":")}
                used.extend(parts)
            continue
        alternatives = rule if isinstance(rule, list) else [rule]
        for alternative in alternatives:
            found = _find_source(header, str(alternative))
            if found:
                mapping[canonical] = found
                used.append(found)
                break
    for rule in preset.derive.values():
        found = _find_source(header, str(rule["from"]))
        if found:
            used.append(found)
    return mapping, used


def _describe_source(preset: Preset, column: str) -> str:
    rule = preset.columns.get(column)
    if rule is None:
        return ""
    if isinstance(rule, dict):
        return " + ".join(repr(p) for p in rule["concat"])
    alternatives = rule if isinstance(rule, list) else [rule]
    return " or ".join(repr(a) for a in alternatives)


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
    source = _describe_source(preset, column)
    where = f" (preset {preset.name!r} reads it from {source})" if source and not preset.identity else ""
    shown = ", ".join(repr(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
    hint = f"the file's columns are: {shown}"
    if len(header) == 1:
        for candidate in CANDIDATE_DELIMITERS:
            if candidate != raw.delimiter and candidate in header[0]:
                name = {"\t": "tab", ";": "';'", "|": "'|'", ",": "','"}[candidate]
                hint = (
                    f"the file seems to be separated by {name}, not {raw.delimiter!r}: "
                    f"pass --delimiter {name.strip(chr(39))!r} or fix the preset's read.delimiter"
                )
                break
    elif preset.identity:
        hint += "; pass --preset NAME if this is a vendor export (coordkit presets lists them)"
    group = next((g for g in spec.one_of if column in g), None)
    what = f"missing column {column!r}" if group is None else "missing column " + " or ".join(repr(c) for c in group)
    raise SchemaError(f"{raw.name}: {what}{where}", hint=hint)


def _canonical_text(raw: RawTable, spec: Table, preset: Preset, mapping: dict) -> pd.DataFrame:
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
        out[canonical] = pd.Series([None if value is None else value] * len(frame), dtype=object)
    for canonical, rule in preset.derive.items():
        source = _find_source(list(frame.columns), str(rule["from"]))
        lookup = {str(k).strip().lower(): v for k, v in rule["map"].items()}
        default = rule.get("default")
        if source is None:
            out[canonical] = pd.Series([default] * len(frame), dtype=object)
            continue
        keys = frame[source].astype(str).str.strip().str.lower()
        out[canonical] = keys.map(lambda k: lookup.get(k, default)).astype(object)
    result = pd.DataFrame(out, index=frame.index, dtype=object)
    for canonical, table_map in preset.values.items():
        if canonical in result:
            lookup = {str(k).strip().lower(): v for k, v in table_map.items()}
            result[canonical] = result[canonical].map(
                lambda v: lookup.get(str(v).strip().lower(), v) if v is not None else None
            )
    return result


def _extras(raw: RawTable, used: list[str]) -> pd.Series:
    leftover = [c for c in raw.frame.columns if c not in set(used)]
    if not leftover:
        return pd.Series([None] * len(raw.frame), dtype=object)
    sub = raw.frame[leftover]
    return pd.Series(
        [json.dumps({k: v for k, v in zip(leftover, values) if v not in ("", None)}, ensure_ascii=False)
         for values in sub.itertuples(index=False, name=None)],
        dtype=object,
    )


# --- typing ------------------------------------------------------------------


def normalise_channel(value: str, extra_map: dict | None = None) -> str | None:
    """Map a channel label onto the contract's channels, or None when unknown.

    >>> normalise_channel("Paid Social"), normalise_channel("Newsletter"), normalise_channel("TikTok")
    ('paid_social', 'email', None)
    """
    key = re.sub(r"[\s\-/]+", "_", str(value).strip().lower())
    if extra_map and key in extra_map:
        return extra_map[key]
    if key in CHANNELS:
        return key
    return CHANNEL_SYNONYMS.get(key)


def _parse_numbers(text: pd.Series, numbers: dict) -> tuple[pd.Series, pd.Series]:
    """Return (numbers, blank) where blank marks cells that mean "no value" ('', '--', 'N/A')."""
    decimal = numbers.get("decimal", ".")
    thousands = numbers.get("thousands", "," if decimal == "." else ".")
    cleaned = text.fillna("").astype(str)
    cleaned = cleaned.str.replace(_CURRENCY, "", regex=True)
    # accounting negatives: (1,234.50)
    negative = cleaned.str.match(r"^\(.*\)$")
    cleaned = cleaned.str.strip("()")
    if thousands:
        cleaned = cleaned.str.replace(thousands, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    cleaned = cleaned.mask(cleaned.isin(["--", "-", "—", "N/A", "n/a", "NA"]), "")
    blank = cleaned.eq("")
    values = pd.to_numeric(cleaned.mask(blank, None), errors="coerce")
    return values.where(~negative, -values), blank


def _parse_timestamps(
    text: pd.Series, fmt: str | None, day_first: bool, zone: str, naive_policy: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (UTC timestamps, unparseable mask, naive-with-time mask)."""
    present = text.notna()
    values = text.where(present, "").astype(str)
    aware = present & values.str.contains(_TZ_SUFFIX, regex=True)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    if aware.any():
        aware_values = values[aware].str.replace(r"\s?(UTC|GMT)$", "+00:00", regex=True, case=False)
        parsed = pd.to_datetime(aware_values, utc=True, errors="coerce", format=fmt or "ISO8601")
        if fmt is None and parsed.isna().any():
            retry = parsed.isna()
            parsed[retry] = pd.to_datetime(aware_values[retry], utc=True, errors="coerce", format="mixed", dayfirst=day_first)
        result[aware] = parsed.dt.as_unit("us")
    naive = present & ~aware
    has_time = pd.Series(False, index=text.index)
    if naive.any():
        naive_values = values[naive]
        parsed = pd.to_datetime(naive_values, errors="coerce", format=fmt or "ISO8601")
        if fmt is None and parsed.isna().any():
            retry = parsed.isna()
            parsed[retry] = pd.to_datetime(naive_values[retry], errors="coerce", format="mixed", dayfirst=day_first)
        localized = parsed.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward").dt.tz_convert("UTC")
        result[naive] = localized.dt.as_unit("us")
        # a calendar date (no time of day) is a day in the workspace zone, not "missing a zone"
        has_time[naive] = naive_values.str.contains(r"\d[:h]\d", regex=True)
        has_time = has_time & result.notna()
    bad = present & result.isna()
    naive_with_time = has_time if naive_policy == "reject" else pd.Series(False, index=text.index)
    return result, bad, naive_with_time


def _parse_week_column(text: pd.Series, week_start: str, day_first: bool) -> tuple[pd.Series, pd.Series]:
    present = text.notna()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    for index, value in text[present].items():
        value = str(value).strip()
        match = WEEK_PATTERN.match(value)
        try:
            if match:
                monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
                out[index] = week_start_of(monday, week_start) if week_start == "monday" else monday - dt.timedelta(days=1)
            else:
                day = pd.to_datetime(value, format="mixed", dayfirst=day_first).date()
                out[index] = week_start_of(day, week_start)
        except (ValueError, TypeError, OverflowError):
            pass
    bad = present & out.isna()
    return out, bad


def _parse_month_column(text: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    present = text.notna()
    out = pd.Series([None] * len(text), index=text.index, dtype=object)
    for index, value in text[present].items():
        value = str(value).strip()
        try:
            if re.fullmatch(r"\d{4}-\d{1,2}", value):
                year, month = value.split("-")
                out[index] = dt.date(int(year), int(month), 1)
            else:
                out[index] = pd.to_datetime(value, format="mixed", dayfirst=day_first).date().replace(day=1)
        except (ValueError, TypeError, OverflowError):
            pass
    return out, present & out.isna()


def _type_column(
    column: Column,
    text: pd.Series,
    rows: pd.Series,
    preset: Preset,
    config: WorkspaceConfig,
    policy: str,
    problems: _Problems,
    warnings: list[str],
    source_label: str,
) -> pd.Series:
    name = column.name
    label = f"{name}" + (f" ({source_label})" if source_label and source_label != repr(name) else "")
    if column.dtype == "string":
        values = text.astype(object)
        if column.allowed is not None:
            return _check_allowed(column, values, rows, preset, policy, problems, warnings, label)
        return values
    if column.dtype in ("float", "int"):
        values, blank = _parse_numbers(text, preset.numbers)
        problems.add_many(
            ~blank & values.isna(), rows, label, text,
            lambda v: f"{v!r} is not a number; write plain numbers such as 1250.50 (no letters like 'k')",
        )
        if column.nonnegative:
            problems.add_many(
                values.lt(0), rows, label, text,
                lambda v: f"{v!r} is negative; {name} cannot be below zero: fix the value or leave it empty",
            )
        if column.dtype == "int":
            problems.add_many(
                values.notna() & (values % 1 != 0), rows, label, text, lambda v: f"{v!r} is not a whole number"
            )
        return values.astype("float64")
    if column.dtype == "bool":
        lowered = text.map(lambda v: None if v is None else str(v).strip().lower())
        mapped = lowered.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None))
        problems.add_many(
            text.notna() & mapped.isna(), rows, label, text,
            lambda v: f"{v!r} is not true/false; use true, false, yes, no, 1 or 0",
        )
        return mapped.astype(object)
    if column.dtype == "timestamp":
        zone = preset.timezone or config.timezone
        values, bad, naive = _parse_timestamps(text, preset.dates.get(name), preset.day_first, zone, config.naive_timestamps)
        fmt = preset.dates.get(name)
        expected = f"the format {fmt!r}" if fmt else "a date such as 2026-11-16 or 2026-11-16T09:30:00Z"
        problems.add_many(bad, rows, label, text, lambda v: f"{v!r} is not a valid date; expected {expected}")
        problems.add_many(
            naive, rows, label, text,
            lambda v: f"{v!r} has a time but no time zone, and this workspace requires one; "
            "add the offset (2026-11-16T09:30:00+01:00) or set the preset's timezone",
        )
        return values
    if column.dtype == "month":
        values, bad = _parse_month_column(text, preset.day_first)
        problems.add_many(bad, rows, label, text, lambda v: f"{v!r} is not a month; write 2026-11 or any date in the month")
        return values
    if column.dtype == "week":
        values, bad = _parse_week_column(text, config.week_start, preset.day_first)
        problems.add_many(bad, rows, label, text, lambda v: f"{v!r} is not a week; write a date (2026-11-16) or an ISO week (2026-W47)")
        return values
    raise AssertionError(column.dtype)  # pragma: no cover - contract declares only these


def _check_allowed(column, values, rows, preset, policy, problems, warnings, label) -> pd.Series:
    present = values.notna()
    if column.name == "channel":
        if policy == "keep":
            return values
        extra = {re.sub(r"[\s\-/]+", "_", str(k).strip().lower()): v for k, v in preset.values.get("channel", {}).items()}
        normalised = values.map(lambda v: None if v is None else normalise_channel(v, extra))
        unknown = present & normalised.isna()
        if unknown.any():
            if policy == "reject":
                problems.add_many(
                    unknown, rows, label, values,
                    lambda v: f"{v!r} is not a known channel; allowed: {', '.join(CHANNELS)}. "
                    "Map it in the preset's values.channel or use --channel-policy other",
                )
            else:
                counts = values[unknown].value_counts()
                shown = ", ".join(f"{value!r} ({count} rows)" for value, count in counts.head(5).items())
                warnings.append(
                    f"channel: {int(unknown.sum())} rows with unknown channels were mapped to 'other': {shown}. "
                    "Map them in a preset's values.channel to keep them apart."
                )
                normalised = normalised.mask(unknown, "other")
        return normalised
    allowed_lower = {a.lower(): a for a in column.allowed}
    normalised = values.map(lambda v: None if v is None else allowed_lower.get(str(v).strip().lower()))
    problems.add_many(
        present & normalised.isna(), rows, label, values,
        lambda v: f"{v!r} is not allowed; use one of {', '.join(column.allowed)}",
    )
    return normalised


# --- the whole file ------------------------------------------------------------


def _as_text(series: pd.Series) -> pd.Series:
    """Values as text with empty string for missing values (for keys and hashes)."""
    return series.astype(object).where(series.notna(), "").astype(str)


def _derive_touchpoint_ids(typed: pd.DataFrame, content_columns: list[str]) -> pd.Series:
    """Stable ids from row content; the n-th identical row gets suffix n so repeats are kept."""
    keys = _as_text(typed[content_columns[0]])
    for column in content_columns[1:]:
        keys = keys + "\x1f" + _as_text(typed[column])
    occurrence = keys.groupby(keys).cumcount()
    return pd.Series(
        ["tp-" + hashlib.sha1(f"{k}\x1e{n}".encode()).hexdigest()[:20] for k, n in zip(keys, occurrence)],
        index=typed.index,
        dtype=object,
    )


def _validate(raw: RawTable, spec: Table, preset: Preset, config: WorkspaceConfig, policy: str, share_limit: float) -> ReadResult:
    warnings = list(raw.warnings)
    mapping, used = _resolve_columns(raw, spec, preset)
    _check_required(raw, spec, preset, mapping)
    for canonical, rule in preset.columns.items():
        if canonical not in mapping and not preset.identity:
            warnings.append(f"column {canonical!r}: the export has no {_describe_source(preset, canonical)}; left empty")

    frame = raw.frame.reset_index(drop=True)
    raw = RawTable(raw.path, frame, raw.rows, raw.bad_records, raw.encoding, raw.delimiter, raw.warnings)
    rows = pd.Series(raw.rows, dtype="int64")
    problems = _Problems(raw.name)
    text = _canonical_text(raw, spec, preset, mapping)

    drop_rule = preset.read.get("drop_rows_where")
    summary_lines = 0
    if drop_rule:
        source = _find_source(list(frame.columns), str(drop_rule["column"]))
        if source is not None:
            not_data = frame[source].astype(str).str.match(str(drop_rule["matches"]))
            summary_lines = int(not_data.sum())
            problems.add_many(
                not_data, rows, "", frame[source],
                lambda v: f"{v!r} is a summary line (totals), not a data row; skipped",
            )

    typed = {}
    for column in spec.columns:
        if column.name in text:
            typed[column.name] = _type_column(
                column, text[column.name], rows, preset, config, policy, problems, warnings,
                _describe_source(preset, column.name),
            )
        else:
            typed[column.name] = pd.Series([None] * len(frame), dtype=object)
    typed = pd.DataFrame(typed)

    for column in spec.required:
        if column in text:
            source = _describe_source(preset, column)
            label = column + (f" ({source})" if source and source != repr(column) else "")
            why = preset.empty_hints.get(column, "fill it in the export, or remove the row if it is not real")
            problems.add_many(
                text[column].isna(), rows, label, text[column],
                lambda v, c=column, w=why: f"{c} is empty, but every {spec.name[:-1]} needs it; {w}",
            )
    for group in spec.one_of:
        present = np.logical_or.reduce([typed[c].notna().to_numpy() for c in group])
        problems.add_many(
            pd.Series(~present), rows, "", pd.Series([""] * len(frame)),
            lambda v, g=group: f"{' and '.join(g)} are all empty; fill at least one so the row can be linked",
        )

    if spec.name == "touchpoints" and typed["touchpoint_id"].isna().any():
        content_columns = [c for c in spec.column_names if c != "touchpoint_id"]
        derived = _derive_touchpoint_ids(typed, content_columns)
        typed["touchpoint_id"] = typed["touchpoint_id"].where(typed["touchpoint_id"].notna(), derived)
    # key columns must not be NULL in the store; an optional one left empty means "whole workspace / any"
    for column in spec.key:
        if not spec.column(column).required and spec.column(column).dtype == "string":
            typed[column] = typed[column].where(typed[column].notna(), "")
    if "currency" in typed and spec.money_columns:
        # every amount has a currency: an export that names none is in the reporting currency
        given = typed["currency"].map(lambda v: None if v is None or pd.isna(v) or not str(v).strip() else str(v).strip().upper())
        problems.add_many(
            given.notna() & ~given.fillna("").str.fullmatch(r"[A-Z]{3}"), rows, "currency", typed["currency"],
            lambda v: f"{v!r} is not a currency code; write an ISO 4217 code such as USD, EUR or GBP",
        )
        has_money = np.logical_or.reduce([typed[c].notna().to_numpy() for c in spec.money_columns])
        typed["currency"] = given.where(given.notna() | ~has_money, config.currency)

    typed["extras"] = _extras(raw, used)
    typed["_source_row"] = rows.to_numpy()

    bad_index = set(problems.by_index)
    clean = typed.loc[[i for i in range(len(typed)) if i not in bad_index]]
    merged, conflicts = _duplicates(clean, spec, raw.name)
    for index, message, column, value in conflicts:
        problems.add(index, int(typed.at[index, "_source_row"]), column, value, message)

    bad_index = set(problems.by_index)
    keep = [i for i in range(len(typed)) if i not in bad_index and i not in merged]
    accepted = typed.loc[keep].reset_index(drop=True)

    rejected_records = []
    for index in sorted(bad_index):
        issues = problems.by_index[index]
        column, value, reason = issues[0]
        rejected_records.append(
            {
                "row": int(rows.iloc[index]),
                "column": column,
                "value": value,
                "reason": reason,
                "problems": len(issues),
                "raw": json.dumps(dict(zip(frame.columns, frame.iloc[index].tolist())), ensure_ascii=False, default=str),
            }
        )
    for row_number, reason, raw_text in raw.bad_records:
        rejected_records.append(
            {"row": row_number, "column": "", "value": raw_text[:200], "reason": f"{raw.name} {reason}", "problems": 1,
             "raw": json.dumps({"_line": raw_text}, ensure_ascii=False)}
        )
    rejected = pd.DataFrame(rejected_records, columns=["row", "column", "value", "reason", "problems", "raw"])
    rejected = rejected.sort_values("row", kind="stable").reset_index(drop=True)

    rows_read = raw.rows_read
    # totals/summary lines are accounted as rejected but are not "bad data": they do not count
    # towards the share that fails a file, or a short ad report with a totals line would fail whole
    bad_rows, data_rows = len(rejected) - summary_lines, rows_read - summary_lines
    if data_rows and bad_rows / data_rows > share_limit:
        top = rejected["reason"].head(3).tolist()
        raise ValidationError(
            f"{raw.name}: {bad_rows} of {data_rows} rows are invalid "
            f"({bad_rows / data_rows:.0%}, more than the allowed {share_limit:.0%}); nothing was ingested. "
            "First problems: " + " | ".join(top),
            hint="fix the rows named above, check that the right --preset/--as was used, "
            "or raise max_bad_share (--max-bad-share) to accept the good rows anyway",
        )
    return ReadResult(
        path=raw.path,
        table=spec.name,
        preset=preset.name,
        accepted=accepted,
        rejected=rejected,
        rows_read=rows_read,
        merged_duplicates=len(merged),
        warnings=warnings,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
    )


def _duplicates(clean: pd.DataFrame, spec: Table, file_name: str):
    """Find repeated keys: identical repeats are merged; later rows that conflict with the first are rejected."""
    key = list(spec.key)
    if clean.empty:
        return set(), []
    keyed = _as_text(clean[key[0]])
    for column in key[1:]:
        keyed = keyed + "\x1f" + _as_text(clean[column])
    repeated = keyed[keyed.duplicated(keep=False)]
    if repeated.empty:
        return set(), []
    content_columns = [c for c in spec.column_names]
    merged: set[int] = set()
    conflicts = []
    for _, group_index in repeated.groupby(repeated).groups.items():
        group = clean.loc[group_index]
        content = pd.DataFrame({c: _as_text(group[c]) for c in content_columns})
        # keep the first row of the id (as the export listed it) and reject the later ones that
        # disagree with it; later rows identical to the first are merged
        indices = list(group_index)
        first_index = indices[0]
        first_row = int(group.at[first_index, "_source_row"])
        key_text = ", ".join(f"{k} {group.at[first_index, k]!r}" for k in key)
        for index in indices[1:]:
            differing = [c for c in content_columns if content.at[index, c] != content.at[first_index, c]]
            if not differing:
                merged.add(index)
                continue
            column = differing[0]
            message = (
                f"{key_text} already appears in row {first_row} with a different {column} "
                f"({content.at[first_index, column]!r} there, {content.at[index, column]!r} here); the first row was kept: "
                "if this row is the right one, fix the export so each id appears once and ingest again"
            )
            conflicts.append((index, message, column, group.at[index, column]))
    return merged, conflicts
