"""Map an export onto a canonical table and validate every row, as a list of named stages.

:func:`read_table` is the dry run behind ``coordkit validate`` and the first
half of every ingest. It reads the file (:mod:`coordkit.ingest.readers`), then
runs :data:`STAGES` in order, each a small function of a shared
:class:`~coordkit.ingest.checks.Batch`. Nothing is dropped silently: each data
record ends up accepted, rejected (with file, row, column, value and what to
do) or merged into an identical duplicate; every other line is a skipped
non-data line with its row number.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from coordkit.config import WorkspaceConfig
from coordkit.contract import table_spec
from coordkit.errors import CoordkitError
from coordkit.ingest import checks
from coordkit.ingest.checks import CHANNEL_SYNONYMS, Batch, RejectedFile, normalise_channel
from coordkit.ingest.mapping import (
    canonical_text,
    expected_headers,
    map_values,
    resolve_columns,
)
from coordkit.ingest.messages import Message, Problems, group_messages
from coordkit.ingest.numbers import locale_from_options
from coordkit.ingest.prepare import PERSONAL_HEADER, prepare_raw
from coordkit.ingest.presets import Preset, load_preset
from coordkit.ingest.readers import RawTable, read_raw
from coordkit.ingest.recognise import preamble_of
from coordkit.ingest.result import ReadResult, build_result, failure_json, typed_frame
from coordkit.ingest.structure import Skipped
from coordkit.privacy import hash_contact_ids

__all__ = ["CHANNEL_SYNONYMS", "STAGES", "ReadResult", "RejectedFile", "failure_json", "normalise_channel", "read_table"]


# --- stages ----------------------------------------------------------------------------


def map_columns(batch: Batch) -> Batch:
    """Match the header to the preset (normalised names, did-you-mean, duplicates) and build canonical text."""
    batch.mapping, batch.used, warnings = resolve_columns(batch.raw, batch.spec, batch.preset)
    for text in warnings:
        batch.warn(text, column=text.split("'")[1] if "'" in text else None)
    batch.text = canonical_text(batch.raw, batch.preset, batch.mapping)
    return batch


def key_contact_ids(batch: Batch) -> Batch:
    """With ``hash_contact_ids`` the store keeps keyed hashes of contact ids, never the CRM's ids."""
    secret = batch.config.contact_id_secret
    if not secret or "contact_id" not in batch.typed:
        return batch
    columns = [c for c in ("contact_id", "outcome_id") if c in batch.typed]
    frame = pd.DataFrame({c: pd.Series(batch.typed[c]).reset_index(drop=True) for c in columns})
    hashed = hash_contact_ids(frame, secret)
    for column in columns:
        batch.typed[column] = hashed[column]
    return batch


def derive_keys(batch: Batch) -> Batch:
    """Touchpoints without an id get a stable one from their content; spend keys are never NULL."""
    typed = batch.typed
    for column in batch.spec.column_names:
        if column not in typed:
            typed[column] = pd.Series([None] * len(batch.raw.frame), dtype=object)
    if batch.spec.name == "touchpoints" and pd.Series(typed["touchpoint_id"]).isna().any():
        frame = typed_frame(batch)
        derived = _derive_touchpoint_ids(frame, [c for c in batch.spec.column_names if c != "touchpoint_id"])
        typed["touchpoint_id"] = frame["touchpoint_id"].where(frame["touchpoint_id"].notna(), derived)
    # key columns must not be NULL in the store; an optional one left empty means "whole workspace / any"
    for column in batch.spec.key:
        if not batch.spec.column(column).required and batch.spec.column(column).dtype == "string":
            typed[column] = pd.Series(typed[column]).where(pd.Series(typed[column]).notna(), "")
    return batch


def fill_currency(batch: Batch) -> Batch:
    """Every amount has a currency: the row's, else the one its cells or header name, else the reporting one.

    Amounts in another currency than the workspace reports in get a warning: they are kept apart, never
    added to the reporting currency's totals, until a rate for them is ingested.
    """
    money = [c for c in batch.spec.money_columns if c in batch.text]
    if "currency" not in batch.spec.column_names or not money:
        return batch
    size = len(batch.raw.frame)
    current = batch.typed.get("currency", pd.Series([None] * size, dtype=object))
    given = map_values(pd.Series(current).reset_index(drop=True),
                       lambda v: str(v).strip().upper() if str(v).strip() else None)
    for column in money:
        named = _currency_named_by(batch, column)
        _reject_currency_conflicts(batch, column, given, named)
        given = given.where(given.notna(), named)
    batch.problems.add_many(
        given.notna() & ~given.fillna("").str.fullmatch(r"[A-Z]{3}"), "currency", pd.Series(batch.typed["currency"]),
        lambda v: f"{v!r} is not a currency code; write an ISO 4217 code such as USD, EUR or GBP",
        "currency is not a currency code",
    )
    has_money = np.logical_or.reduce([pd.Series(batch.typed[c]).notna().to_numpy() for c in batch.spec.money_columns
                                      if c in batch.typed] or [np.zeros(len(given), bool)])
    batch.typed["currency"] = given.where(given.notna() | ~has_money, batch.config.currency)
    foreign = pd.Series(has_money) & given.notna() & given.ne(batch.config.currency)
    foreign = foreign & ~foreign.index.isin(list(batch.problems.bad))
    for code, rows in given[foreign].groupby(given[foreign]).groups.items():
        column = next(c for c in money if pd.Series(batch.typed[c]).notna().any())
        batch.warn(
            f"{batch.raw.name}: {len(rows)} row(s) have {column} in {code}, the workspace reports in {batch.config.currency}: "
            f"they are kept apart and never added to {batch.config.currency} totals until an fx rate for {code} is ingested",
            row=batch.row_at(int(rows[0])), column=column, key=f"{column} in {code}, kept apart from {batch.config.currency}")
    return batch


def _reject_currency_conflicts(batch: Batch, column: str, given: pd.Series, named: pd.Series) -> None:
    """A money cell or header naming another currency than the row's currency column: which one is right is a guess."""
    amounts = pd.Series(batch.typed[column]).reset_index(drop=True) if column in batch.typed else None
    clash = given.notna() & named.notna() & given.ne(named)
    if amounts is not None:
        clash = clash & amounts.notna()
    text = batch.text[column].reset_index(drop=True)
    for index in np.flatnonzero(clash.fillna(False).to_numpy(dtype=bool)):
        value = text.iloc[index]
        batch.problems.add(
            int(index), batch.label(column), value,
            f"{value!r} is in "
            f"{named.iloc[index]} (its cell or header says so) but the row's currency is {given.iloc[index]}; "
            "fix the currency column or the amount and import again",
            f"{column} names another currency than the row's currency",
        )


def _currency_named_by(batch: Batch, column: str) -> pd.Series:
    """Per row, the currency a money cell names (``1.234,50 €``, ``USD 12``) or its header does (``Cost (EUR)``)."""
    from coordkit.money import currency_in_text

    source = batch.mapping.get(column)
    header_code = currency_in_text(source) if isinstance(source, str) else None
    text = batch.text[column].reset_index(drop=True)
    named = pd.Series([header_code] * len(text), dtype=object)
    marked = text.astype("string").str.contains(r"[A-Z€£₹₩]", regex=True).fillna(False).to_numpy()
    if marked.any():
        codes = {value: currency_in_text(value) for value in text[marked].unique()}
        named[marked] = text[marked].map(codes).where(lambda c: c.notna(), header_code)
    return named


def find_duplicates(batch: Batch) -> Batch:
    """Repeated keys: identical repeats are merged; later rows that disagree with the first are rejected."""
    typed = typed_frame(batch)
    bad = batch.problems.bad
    clean = typed.loc[[i for i in range(len(typed)) if i not in bad]]
    merged, conflicts = _duplicates(clean, batch)
    for index, message, column, value, key in conflicts:
        batch.problems.add(index, column, value, message, key)
    batch.merged = merged
    return batch


def check_bad_share(batch: Batch) -> Batch:
    """A file with more bad rows than ``max_bad_share`` is rejected whole."""
    bad_rows, data_rows = len(batch.problems.bad) + len(batch.raw.bad_records), batch.raw.rows_read
    if data_rows and bad_rows / data_rows > batch.share_limit:
        messages = sorted((ms[0] for ms in batch.problems.by_index.values()), key=lambda m: m.row)
        top = group_messages(messages, 3)
        raise RejectedFile(
            f"{batch.raw.name}: {bad_rows} of {data_rows} rows are invalid "
            f"({bad_rows / data_rows:.0%}, more than the allowed {batch.share_limit:.0%}); nothing was ingested. "
            "First problems: " + " | ".join(top),
            hint="fix the rows named above, check that the right --preset/--as was used, "
            "or raise max_bad_share (--max-bad-share) to accept the good rows anyway",
            messages=[*messages, Message("error", None, None, None, f"{bad_rows} of {data_rows} rows are invalid")],
        )
    return batch


#: The validation stages, in order. Each takes the batch and returns it with its findings added.
STAGES = (
    ("map columns", map_columns),
    ("reject broken cells", checks.check_broken_cells),
    ("decide number locales", checks.decide_number_locales),
    ("parse numbers", checks.type_numbers),
    ("decide date orders", checks.decide_date_orders),
    ("parse dates", checks.type_dates),
    ("parse text, booleans and weeks", checks.type_other_columns),
    ("warn about far-future dates", checks.warn_far_future),
    ("check required values", checks.check_required_values),
    ("check linking columns", checks.check_one_of),
    ("key contact ids", key_contact_ids),
    ("derive keys", derive_keys),
    ("fill currencies", fill_currency),
    ("merge or reject duplicates", find_duplicates),
    ("check the share of bad rows", check_bad_share),
)


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
    locale: str | None = None,
    date_order: str | None = None,
    for_store: bool = False,
    scratch: str | Path | None = None,
) -> ReadResult:
    """Read one export, map it onto ``table`` through ``preset`` and validate every row.

    ``for_store``: the accepted rows are about to be stored (kept for callers: the bulk path keeps
    them in its DuckDB either way, and builds a DataFrame only when ``result.accepted`` is read).
    ``scratch``: where the bulk path keeps its spill and hand-over files (a workspace's
    ``.coordkit/scratch``; default the system's temporary folder).

    Raises :class:`SchemaError` when a required column is missing,
    :class:`RejectedFile` (a ValidationError) when a whole-file question has no
    answer or more than ``max_bad_share`` of the rows are bad, and
    :class:`ReadError` when the file cannot be read; otherwise returns the
    accepted, rejected, merged and skipped rows.

    >>> result = read_table("sales_pipeline.csv", "outcomes", preset="maven-crm")  # doctest: +SKIP
    >>> result.counts                                                              # doctest: +SKIP
    {'rows_read': 8800, 'accepted': 8300, 'rejected': 500, 'merged_duplicates': 0}
    """
    config = config or WorkspaceConfig()
    spec = table_spec(table)
    preset_obj = preset if isinstance(preset, Preset) else load_preset(preset, table)
    preamble, preset_obj = preamble_of(path, preset_obj)
    from coordkit.ingest.bulk_path import read_table_bulk

    bulk = read_table_bulk(path, spec, preset_obj, preamble, config, delimiter=delimiter, encoding=encoding, locale=locale,
                           date_order=date_order, channel_policy=channel_policy, max_bad_share=max_bad_share,
                           for_store=for_store, scratch=scratch)
    if bulk is not None:
        return bulk
    options = preset_obj.read
    started = time.perf_counter()
    raw = read_raw(
        path,
        delimiter=delimiter or options.get("delimiter"),
        encoding=encoding or options.get("encoding", "auto"),
        sheet=options.get("sheet"),
        skip_rows=int(options.get("skip_rows", 0)),
        expected=expected_headers(preset_obj),
        max_unpacked_mb=config.max_xlsx_unpacked_mb,
        number_locale=locale_from_options(preset_obj.numbers, locale),
        sections=bool(options.get("sections")),
    )
    raw = _drop_preset_rows(raw, preset_obj)
    read_seconds = time.perf_counter() - started
    raw, preset_obj, prepare_skipped = _prepare(raw, preset_obj, preamble, config)
    if os.environ.get("COORDKIT_STAGE_TIMES") == "1":
        print(f"stage read: {read_seconds:.2f} s; prepare: {time.perf_counter() - started - read_seconds:.2f} s", file=sys.stderr)
    batch = Batch(
        raw=raw, spec=spec, preset=preset_obj, config=config,
        channel_policy=channel_policy or preset_obj.channel_policy or config.channel_policy,
        share_limit=config.max_bad_share if max_bad_share is None else max_bad_share,
        locale=locale, date_order=date_order,
    )
    batch.rows = pd.Series(raw.rows, dtype="int64")
    batch.problems = Problems(raw.name, batch.rows)
    progress = _Progress(raw.name, Path(path).stat().st_size, len(STAGES))
    try:
        for name, stage in STAGES:
            with progress.step(name):
                batch = stage(batch)
    except CoordkitError as exc:
        exc.counts = {"read": raw.rows_read, "skipped": len(raw.skipped) + len(prepare_skipped)}
        raise
    with progress.step("collect results"):
        result = build_result(batch)
    progress.close()
    result.skipped_rows = prepare_skipped
    result.messages += [Message("info", row, None, None, f"{raw.name} row {row}: not read into {spec.name}: {reason}",
                                f"not read into {spec.name}: {reason}") for row, reason in prepare_skipped]
    return result


class _Progress:
    """A progress bar on stderr for files big enough to take a while; stage times with COORDKIT_STAGE_TIMES=1."""

    def __init__(self, name: str, size: int, stages: int):
        import os
        import sys

        self.times = os.environ.get("COORDKIT_STAGE_TIMES") == "1"
        self.bar = None
        if size >= 20_000_000 and sys.stderr.isatty() or os.environ.get("COORDKIT_PROGRESS") == "1":
            from tqdm import tqdm

            self.bar = tqdm(total=stages + 1, desc=f"checking {name}", unit="stage", file=sys.stderr, leave=False)

    def step(self, name: str):
        import contextlib
        import sys
        import time

        @contextlib.contextmanager
        def timed():
            started = time.perf_counter()
            if self.bar is not None:
                self.bar.set_postfix_str(name)
            yield
            if self.bar is not None:
                self.bar.update(1)
            if self.times:
                print(f"stage {name}: {time.perf_counter() - started:.2f} s", file=sys.stderr)

        return timed()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _prepare(raw: RawTable, preset: Preset, preamble: list[str], config: WorkspaceConfig):
    """Run the preset's prepare steps (coordkit.ingest.prepare); say which rows they left out."""
    if not preset.prepare and not any(PERSONAL_HEADER.match(str(c).strip()) for c in raw.frame.columns) \
            and not config.contact_id_secret:
        return raw, preset, []
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
    frame = prepared.frame
    mapped = _mapped_headers(preset)
    # helper columns the steps made but the preset does not map are not export data: no extras
    unmapped = [c for c in prepared.created if c not in mapped]
    if config.contact_id_secret:
        # the CRM's contact ids must not survive in extras when the store keeps only their keys
        unmapped += [c for c in frame.columns if re.search(r"contact.?ids?\b", str(c), re.IGNORECASE) and c not in mapped]
    frame = frame.drop(columns=[c for c in dict.fromkeys(unmapped) if c in frame.columns])
    raw = replace(raw, frame=frame, rows=list(prepared.rows), warnings=warnings)
    return raw, preset, list(prepared.skipped)


def _mapped_headers(preset: Preset) -> set[str]:
    headers: set[str] = set()
    for rule in preset.columns.values():
        if isinstance(rule, dict):
            headers.update(rule.get("concat", []))
        else:
            headers.update(rule if isinstance(rule, list) else [rule])
    headers.update(str(rule["from"]) for rule in preset.derive.values())
    return headers


def _drop_preset_rows(raw: RawTable, preset: Preset) -> RawTable:
    """The preset's ``read.drop_rows_where`` marks more non-data lines (vendor-specific footers)."""
    rule = preset.read.get("drop_rows_where")
    if not rule or raw.frame.empty:
        return raw
    from coordkit.ingest.headers import find_header

    source = find_header(list(raw.frame.columns), str(rule["column"]))
    if source is None:
        return raw
    drop = raw.frame[source].astype(str).str.match(str(rule["matches"])).to_numpy()
    if not drop.any():
        return raw
    skipped = list(raw.skipped) + [
        Skipped(raw.rows[i], "summary line (totals), not a data row (read.drop_rows_where)", ",".join(raw.frame.iloc[i]))
        for i in np.flatnonzero(drop)
    ]
    skipped.sort(key=lambda s: s.row)
    return replace(raw, frame=raw.frame.loc[~drop].reset_index(drop=True), rows=[r for r, d in zip(raw.rows, drop) if not d],
                   skipped=skipped)


# --- keys ------------------------------------------------------------------------------


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


def _duplicates(clean: pd.DataFrame, batch: Batch):
    key = list(batch.spec.key)
    if clean.empty:
        return set(), []
    keyed = _as_text(clean[key[0]])
    for column in key[1:]:
        keyed = keyed + "\x1f" + _as_text(clean[column])
    repeated = keyed[keyed.duplicated(keep=False)]
    if repeated.empty:
        return set(), []
    content_columns = list(batch.spec.column_names)
    merged: set[int] = set()
    conflicts = []
    for _, group_index in repeated.groupby(repeated).groups.items():
        group = clean.loc[group_index]
        content = pd.DataFrame({c: _as_text(group[c]) for c in content_columns})
        # keep the first row of the id (as the export listed it) and reject the later ones that
        # disagree with it; later rows identical to the first are merged
        indices = list(group_index)
        first_index = indices[0]
        first_row = batch.row_at(first_index)
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
            conflicts.append((index, message, column, group.at[index, column], f"{'/'.join(key)} repeated with a different {column}"))
    return merged, conflicts
