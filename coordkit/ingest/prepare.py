"""Prepare a raw export for mapping: the steps a preset's ``prepare:`` list names.

Real downloads rarely map column for column onto the data contract: a post's
campaign is a tag or the ``utm_campaign`` of its link, a GA4 report's period
sits in its ``#`` comment block, a deal lists its contacts in one cell, only
some contacts are leads, and contacts exports carry names and phone numbers
that must not be stored. Each step here is one such transformation, declared
as data in the preset and run in order on the raw text table before
:mod:`coordkit.ingest.validate` maps and checks it.

Steps never drop a row silently: a row a step leaves out of a table is listed
as *skipped* with its row number and reason (it belongs to another table of
the same export, or to none).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from coordkit.errors import ParameterError, SchemaError, allowed_values_message
from coordkit.ingest.channel_groups import ga4_channel_group
from coordkit.money import currency_in_text

__all__ = ["CURRENCY_COLUMN", "PERSONAL_HEADER", "STEPS", "Prepared", "check_steps", "prepare_raw"]

#: the raw column a ``currency`` step writes and the preset's ``currency`` is mapped from
CURRENCY_COLUMN = "currency (coordkit)"
#: headers of personal data (names, e-mail addresses, phone numbers): not stored unless a preset maps them
PERSONAL_HEADER = re.compile(
    r"^(?:.*\be-?mail(?: address)?|(?:.*\b)?(?:phone|mobile|telephone|fax)(?: (?:phone )?number)?|"
    r"(?:contact |customer )?(?:first|last|full|middle|sur) ?name|salutation|street address|address(?: line \d)?|"
    r"date of birth|birthday|ip address)$",
    re.IGNORECASE,
)
_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

#: step name -> allowed keys of its mapping (a list is also accepted where noted in docs/presets.md)
STEPS = {
    "drop_personal": ("columns",),
    "from_preamble": ("into", "pattern"),
    "split": ("column", "sep", "into"),
    "utm_from_url": ("column", "prefix"),
    "first_of": ("into", "columns", "item_sep"),
    "currency": ("column", "header", "values_of", "default"),
    "keep_rows": ("column", "in", "not_empty", "differs_from", "reason"),
    "skip_rows": ("column", "matches", "only_first_cell", "reason"),
    "day_month_order": ("columns",),
    "extract": ("into", "column", "pattern"),
    "is_filled": ("into", "column"),
    "explode": ("column", "sep"),
    "row_id": ("into", "columns", "prefix"),
    "ga4_channel_group": ("into", "source", "medium", "campaign", "source_medium"),
}


@dataclasses.dataclass
class Prepared:
    """A prepared raw frame, its row numbers, what was skipped and said."""

    frame: pd.DataFrame
    rows: list[int]
    #: (row, reason) of rows left out of this table
    skipped: list[tuple[int, str]]
    warnings: list[str]
    #: canonical column -> source column added by a step (e.g. currency)
    extra_columns: dict
    #: columns the steps added to the frame
    created: list = dataclasses.field(default_factory=list)


def check_steps(steps: list, origin: str) -> None:
    """Raise a located ParameterError for an unknown step or key."""
    for position, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or len(step) != 1:
            raise ParameterError(f"preset {origin}: prepare step {position} must be a mapping with one step name")
        (name, options), = step.items()
        if name not in STEPS:
            raise ParameterError(f"preset {origin}: prepare step {position}: " + allowed_values_message("step", name, tuple(STEPS)))
        if name == "drop_personal" and isinstance(options, list):
            continue
        if not isinstance(options, dict):
            raise ParameterError(f"preset {origin}: prepare step {position} ({name}) needs a mapping of options")
        unknown = sorted(set(options) - set(STEPS[name]))
        if unknown:
            raise ParameterError(
                f"preset {origin}: prepare step {position} ({name}): " + allowed_values_message("option", unknown[0], STEPS[name])
            )


def _normalise(name: str) -> str:
    return re.sub(r"[\s_]+", " ", str(name).replace("\ufeff", "").replace("\u200b", "").replace("\xa0", " ").strip().lower())


def _find(frame: pd.DataFrame, wanted) -> str | None:
    """The frame's column for a header name (or the first of a list) matched ignoring case and spacing."""
    for name in wanted if isinstance(wanted, list) else [wanted]:
        if name in frame.columns:
            return name
        target = _normalise(name)
        for column in frame.columns:
            if _normalise(column) == target:
                return column
    return None


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].fillna("").astype(str).str.strip()


def _mapped_sources(preset) -> set[str]:
    sources: set[str] = set()
    for rule in preset.columns.values():
        if isinstance(rule, dict):
            sources.update(_normalise(p) for p in rule.get("concat", []))
        else:
            sources.update(_normalise(r) for r in (rule if isinstance(rule, list) else [rule]))
    for rule in preset.derive.values():
        sources.add(_normalise(rule["from"]))
    return sources


def prepare_raw(
    frame: pd.DataFrame, rows: list[int], preset, preamble: list[str], reporting_currency: str, file_name: str = ""
) -> Prepared:
    """Run the preset's prepare steps on a raw frame; personal columns are dropped for every preset.

    ``preamble`` holds the lines above the header (GA4's ``#`` block, report titles).
    The input frame is not changed.
    """
    frame = frame.copy()
    original_columns = list(frame.columns)
    rows = list(rows)
    skipped: list[tuple[int, str]] = []
    warnings: list[str] = []
    extra_columns: dict = {}
    explicit_personal: set[str] = set()
    for step in preset.prepare:
        (name, options), = step.items()
        if name == "drop_personal":
            explicit_personal.update(_normalise(c) for c in (options if isinstance(options, list) else options.get("columns", [])))
            continue
        try:
            frame, rows, step_skipped = _run(name, options, frame, rows, preamble, reporting_currency, warnings, extra_columns)
        except SchemaError as exc:
            raise SchemaError(f"{file_name} {exc.message}".strip(), hint=exc.hint) from None
        skipped.extend(step_skipped)
    created = [c for c in frame.columns if c not in set(original_columns)]
    frame, dropped = _drop_personal(frame, preset, explicit_personal)
    if dropped:
        warnings.append(
            "not stored (personal data, not needed by the data contract): " + ", ".join(repr(c) for c in dropped)
        )
    return Prepared(frame.reset_index(drop=True), rows, skipped, warnings, extra_columns, created)


def _drop_personal(frame: pd.DataFrame, preset, explicit: set[str]) -> tuple[pd.DataFrame, list[str]]:
    mapped = _mapped_sources(preset)
    dropped = [
        c for c in frame.columns
        if (_normalise(c) in explicit or PERSONAL_HEADER.match(_normalise(c))) and _normalise(c) not in mapped
    ]
    return frame.drop(columns=dropped), dropped


def _run(name, options, frame, rows, preamble, reporting_currency, warnings, extra_columns):
    skipped: list[tuple[int, str]] = []
    if name == "from_preamble":
        pattern = re.compile(options["pattern"])
        value = ""
        for line in preamble:
            match = pattern.search(line)
            if match:
                value = match.group(1) if match.groups() else match.group(0)
                break
        frame[options["into"]] = value
    elif name == "split":
        source = _find(frame, options["column"])
        into = list(options["into"])
        if source is not None:
            parts = _text(frame, source).str.split(options.get("sep", "/"), n=len(into) - 1, regex=False)
            for position, target in enumerate(into):
                frame[target] = parts.map(lambda p, i=position: p[i].strip() if len(p) > i else "")
    elif name == "utm_from_url":
        source = _find(frame, options["column"])
        prefix = options.get("prefix", "url ")
        values = _text(frame, source) if source is not None else pd.Series([""] * len(frame), index=frame.index)
        parsed = values.map(_utm_of)
        for key in _UTM_KEYS:
            frame[prefix + key] = parsed.map(lambda d, k=key: d.get(k, ""))
    elif name == "first_of":
        out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
        for wanted in options["columns"]:
            source = _find(frame, wanted)
            if source is None:
                continue
            values = _text(frame, source)
            if options.get("item_sep"):
                values = values.str.split(options["item_sep"], n=1, regex=False).str[0].str.strip()
            out = out.where(out.ne(""), values)
        frame[options["into"]] = out
    elif name == "currency":
        frame[CURRENCY_COLUMN] = _currency(frame, options, warnings)
        extra_columns["currency"] = CURRENCY_COLUMN
    elif name in ("keep_rows", "skip_rows"):
        frame, rows, skipped = _filter(name, options, frame, rows)
    elif name == "explode":
        source = _find(frame, options["column"])
        if source is not None:
            sep = options.get("sep", ";")
            frame = frame.assign(_row=rows)
            frame[source] = _text(frame, source).map(lambda v: [p.strip() for p in v.split(sep)] if v else [""])
            frame = frame.explode(source, ignore_index=True)
            rows = frame.pop("_row").astype(int).tolist()
    elif name == "row_id":
        sources = [_find(frame, c) for c in options["columns"]]
        parts = [_text(frame, s) if s else pd.Series([""] * len(frame), index=frame.index) for s in sources]
        keys = parts[0]
        for part in parts[1:]:
            keys = keys + "\x1f" + part
        occurrence = keys.groupby(keys).cumcount()
        prefix = options.get("prefix", "")
        frame[options["into"]] = [
            prefix + hashlib.sha1(f"{k}\x1e{n}".encode()).hexdigest()[:16] for k, n in zip(keys, occurrence)
        ]
    elif name == "ga4_channel_group":
        frame[options["into"]] = _ga4_groups(frame, options)
    elif name == "extract":
        source = _find(frame, options["column"])
        pattern = re.compile(options["pattern"])
        values = _text(frame, source) if source is not None else pd.Series([""] * len(frame), index=frame.index)

        def first_group(value: str) -> str:
            match = pattern.search(value)
            return "" if not match else (match.group(1) if match.groups() else match.group(0)).strip()

        frame[options["into"]] = values.map(first_group)
    elif name == "is_filled":
        source = _find(frame, options["column"])
        filled = _text(frame, source).ne("") if source is not None else pd.Series(False, index=frame.index)
        frame[options["into"]] = filled.map({True: "true", False: "false"})
    elif name == "day_month_order":
        frame = _day_month_order(frame, rows, options["columns"], warnings)
    return frame, rows, skipped


_SLASHED_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(.*)$")


def _day_month_order(frame: pd.DataFrame, rows: list[int], columns: list[str], warnings: list[str]) -> pd.DataFrame:
    """Read ``a/b/yyyy`` dates in one order decided over all listed columns of the whole file, never per value.

    A file with a first number above 12 is day-first (en-GB, EU), one with a second number
    above 12 month-first (en-US); a file with both is refused naming two rows, and a file with
    neither cannot be told and is refused too, asking for the order. Dates are rewritten as ISO.
    """
    found = [c for c in (_find(frame, c) for c in columns) if c is not None]
    day_first_row = month_first_row = None
    for column in found:
        for position, value in enumerate(_text(frame, column)):
            match = _SLASHED_DATE.match(value)
            if not match:
                continue
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 and day_first_row is None:
                day_first_row = (rows[position], column, value)
            if second > 12 and month_first_row is None:
                month_first_row = (rows[position], column, value)
    if day_first_row and month_first_row:
        raise SchemaError(
            f"row {day_first_row[0]}, column {day_first_row[1]}: {day_first_row[2]!r} is day-first but row "
            f"{month_first_row[0]}, column {month_first_row[1]}: {month_first_row[2]!r} is month-first; "
            "the dates mix two orders",
            hint="export the report again from one user's locale settings",
        )
    if not day_first_row and not month_first_row:
        if any(_text(frame, c).str.match(_SLASHED_DATE).any() for c in found):
            raise SchemaError(
                f"{', '.join(found)}: every date reads both ways (day and month both 12 or less), so the "
                "day/month order cannot be told from this file",
                hint="copy the preset and give the dates a format under dates: (e.g. '%d/%m/%Y'), "
                "or export a longer period",
            )
        return frame
    day_first = day_first_row is not None
    frame = frame.copy()
    for column in found:
        frame[column] = _text(frame, column).map(lambda v: _iso_date(v, day_first))
    warnings.append(
        f"dates in {', '.join(found)} read {'day-first (D/M/YYYY)' if day_first else 'month-first (M/D/YYYY)'}, "
        f"decided by row {(day_first_row or month_first_row)[0]} ({(day_first_row or month_first_row)[2]!r})"
    )
    return frame


def _iso_date(value: str, day_first: bool) -> str:
    match = _SLASHED_DATE.match(value)
    if not match:
        return value
    a, b, year, rest = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    day, month = (a, b) if day_first else (b, a)
    return f"{year}-{month:02d}-{day:02d}{rest}"


def _utm_of(url: str) -> dict:
    if not url or "utm_" not in url:
        return {}
    try:
        query = urlsplit(url if "://" in url else "https://" + url).query
    except ValueError:
        return {}
    return {k.lower(): v.strip() for k, v in parse_qsl(query) if k.lower() in _UTM_KEYS}


def _currency(frame: pd.DataFrame, options: dict, warnings: list[str]) -> pd.Series:
    """Per row: the currency column, else a code in a money header, else in the money cell, else the default."""
    out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    column = _find(frame, options.get("column", [])) if options.get("column") else None
    if column is not None:
        out = _text(frame, column).str.upper()
    for pattern in options.get("header", []) or []:
        regex = re.compile(pattern, re.IGNORECASE)
        hits = [c for c in frame.columns if regex.search(str(c))]
        codes = {currency_in_text(c) for c in hits} - {None}
        if len(codes) > 1:
            warnings.append(f"money columns name several currencies ({', '.join(sorted(codes))}): " + ", ".join(hits))
        if len(codes) == 1:
            out = out.where(out.ne(""), codes.pop())
    for wanted in options.get("values_of", []) or []:
        source = _find(frame, wanted)
        if source is not None:
            found = _text(frame, source).map(lambda v: currency_in_text(v) or "")
            out = out.where(out.ne(""), found)
    if options.get("default"):
        out = out.where(out.ne(""), str(options["default"]).upper())
    return out


def _filter(name: str, options: dict, frame: pd.DataFrame, rows: list[int]):
    # "@first" is the export's first column, where report totals and footers put their label
    source = frame.columns[0] if options["column"] == "@first" and len(frame.columns) else _find(frame, options["column"])
    values = _text(frame, source) if source is not None else pd.Series([""] * len(frame), index=frame.index)
    if name == "skip_rows" and options.get("only_first_cell"):
        # report footers ("Generated By: ...", the company name) fill the first cell only
        others = [c for c in frame.columns[1:] if not str(c).endswith("(coordkit)")]
        empty_rest = frame[others].fillna("").astype(str).apply(lambda col: col.str.strip().eq("")).all(axis=1)
        leave_out = values.ne("") & empty_rest
        if options.get("matches"):
            leave_out = leave_out | values.str.match(options["matches"])
    elif name == "skip_rows":
        leave_out = values.str.match(options["matches"])
    elif "in" in options:
        allowed = {str(v).strip().lower() for v in options["in"]}
        leave_out = ~values.str.lower().isin(allowed)
    elif "differs_from" in options:
        other = _find(frame, options["differs_from"])
        other_values = _text(frame, other) if other is not None else pd.Series([""] * len(frame), index=frame.index)
        leave_out = values.eq("") | values.eq(other_values)
    else:  # not_empty
        leave_out = values.eq("")
    reason = options.get("reason", f"{options['column']} is {{value}}")
    skipped = [(rows[i], reason.format(value=values.iloc[i] or "empty")) for i in range(len(frame)) if leave_out.iloc[i]]
    keep = ~leave_out.to_numpy()
    return frame.loc[keep].reset_index(drop=True), [r for r, k in zip(rows, keep) if k], skipped


def _ga4_groups(frame: pd.DataFrame, options: dict) -> pd.Series:
    empty = pd.Series([""] * len(frame), index=frame.index)
    if options.get("source_medium") and _find(frame, options["source_medium"]):
        pairs = _text(frame, _find(frame, options["source_medium"])).str.split(" / ", n=1, regex=False)
        source = pairs.map(lambda p: p[0].strip())
        medium = pairs.map(lambda p: p[1].strip() if len(p) > 1 else "")
    else:
        source = _text(frame, _find(frame, options["source"])) if _find(frame, options.get("source", [])) else empty
        medium = _text(frame, _find(frame, options["medium"])) if _find(frame, options.get("medium", [])) else empty
    campaign_column = _find(frame, options.get("campaign", [])) if options.get("campaign") else None
    campaign = _text(frame, campaign_column) if campaign_column else empty
    return pd.Series(
        [ga4_channel_group(s, m, c) for s, m, c in zip(source, medium, campaign)], index=frame.index, dtype=object
    )
