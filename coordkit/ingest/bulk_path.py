"""The bulk path: a large CSV export validated in DuckDB, with the exact stages for the rows that need them.

:func:`read_table_bulk` gives the same :class:`ReadResult` as the exact path
(:func:`coordkit.ingest.validate.read_table`), in a fraction of the time and
with memory that does not grow with the file:

1. the body is staged as text in a DuckDB file (:mod:`coordkit.ingest.bulk_load`)
   and its non-data lines are found (:mod:`coordkit.ingest.bulk_structure`);
2. the whole-file decisions (number locale and date order per column) are
   taken by the stages' own functions over one value per shape
   (:mod:`coordkit.ingest.bulk_values`);
3. every row whose values are all *simple* and pass every check is read in SQL;
4. every other row (a value to reject or warn about, a repeated key, an
   unusual character) goes through the exact stages (:data:`validate.STAGES`)
   with the whole-file decisions: its messages are the exact path's;
5. accepted rows stay in that DuckDB (:mod:`coordkit.ingest.staged`), which
   attaches the store and inserts them with ``INSERT ... SELECT``.

Whatever the bulk path cannot vouch for (Excel, UTF-16, blank lines in the
body, a summary row, prepare steps it cannot read in SQL, touchpoints whose
ids are derived, ...) returns None and the exact path reads the file.
``tests/ingest/test_bulk_path.py`` runs files through both paths and compares
the stored tables, the counts and the messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from coordkit.errors import CoordkitError, ReadError
from coordkit.ingest.bulk_columns import Plan, plan_columns
from coordkit.ingest.bulk_load import NotInBulk, load_csv
from coordkit.ingest.bulk_structure import classify_body, flags_sql
from coordkit.ingest.filekind import check_file_kind
from coordkit.ingest.messages import Problems
from coordkit.ingest.readers import RawTable
from coordkit.ingest.scratch import make_scratch
from coordkit.ingest.staged import Staged

__all__ = ["BULK_PATH_MIN_BYTES", "read_table_bulk"]

#: files at least this big take the bulk path (measured: docs/ingest.md); COORDKIT_BULK_MIN_BYTES overrides it
BULK_PATH_MIN_BYTES = 16_000_000
_MEMORY_LIMIT = "500MB"
#: why the last file was left to the exact path (for tests and COORDKIT_STAGE_TIMES)
LAST_FALLBACK: str | None = None


def bulk_threshold() -> int:
    value = os.environ.get("COORDKIT_BULK_MIN_BYTES")
    return int(value) if value not in (None, "") else BULK_PATH_MIN_BYTES


def _ineligible(path: Path, spec, preset, config) -> str | None:
    """Why the bulk path cannot take this file, or None."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt") or not path.is_file():
        return "not a CSV file"
    if path.stat().st_size < bulk_threshold():
        return "small file"
    if spec.name == "touchpoints":
        return "touchpoint ids are derived over the whole file"
    if config.contact_id_secret or config.naive_timestamps != "local":
        return "hashed contact ids or naive_timestamps: reject"
    if preset.read.get("drop_rows_where"):
        return "the preset drops rows (read.drop_rows_where)"
    if preset.read.get("sections"):
        return "the report holds several tables (read.sections)"
    with path.open("rb") as handle:
        head = handle.read(4096)
    try:
        return None if check_file_kind(path, head) == "csv" else "not a CSV file"
    except ReadError:
        return "not a CSV file"


@dataclass
class _Options:
    delimiter: str | None
    encoding: str
    skip_rows: int
    locale: str | None
    date_order: str | None
    channel_policy: str | None
    max_bad_share: float | None


def read_table_bulk(path, spec, preset, preamble, config, *, delimiter=None, encoding=None, locale=None, date_order=None,
                    channel_policy=None, max_bad_share=None, for_store=False, scratch=None):
    """The ReadResult of ``path`` read in bulk, or None when the exact path must read it (why: LAST_FALLBACK).

    ``for_store`` is kept for callers: the staging DuckDB stays open either way, and the workspace
    either has it write the rows into the store or asks for the Parquet hand-over
    (:mod:`coordkit.ingest.staged`).
    ``scratch``: the folder for the staging DuckDB's spill files and the Parquet hand-over
    (:mod:`coordkit.ingest.scratch`; default the system's temporary folder).
    """
    global LAST_FALLBACK
    path = Path(path)
    why = _ineligible(path, spec, preset, config)
    if why:
        LAST_FALLBACK = f"{path.name}: {why}"
        return None
    import duckdb

    options = _Options(delimiter or preset.read.get("delimiter"), encoding or preset.read.get("encoding", "auto"),
                       int(preset.read.get("skip_rows", 0)), locale, date_order, channel_policy, max_bad_share)
    folder = make_scratch(scratch)
    con = duckdb.connect(":memory:", config={
        "threads": min(2, os.cpu_count() or 1), "memory_limit": _MEMORY_LIMIT,
        "temp_directory": str(folder / "spill"), "preserve_insertion_order": True})
    staged = Staged(con, folder, spec)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        result = _read(path, con, staged, spec, preset, preamble, config, options)
    except (NotInBulk, duckdb.Error) as reason:
        # a DuckDB failure (out of memory or disk for its spill files) leaves the file to the exact path
        LAST_FALLBACK = f"{path.name}: {reason}"
        staged.release()
        return None
    except BaseException:
        staged.release()
        raise
    LAST_FALLBACK = None
    return result


def _read(path: Path, con, staged: Staged, spec, preset, preamble, config, options: _Options):
    from coordkit.ingest import validate

    progress = validate._Progress(path.name, path.stat().st_size, 5)
    try:
        with progress.step("read (bulk)"):
            loaded = load_csv(path, con, delimiter=options.delimiter, encoding=options.encoding,
                              skip_rows=options.skip_rows, expected=validate.expected_headers(preset), flags=flags_sql)
        with progress.step("find non-data lines (bulk)"):
            body = classify_body(loaded)
        skipped = sorted([*loaded.head_skipped, *body.skipped], key=lambda s: s.row)
        counts = {"read": body.data_rows, "skipped": len(skipped)}
        try:
            with progress.step("decide and read values (bulk)"):
                plan = plan_columns(loaded, spec, preset, preamble, config, options, counts)
                plan.create_typed()
            with progress.step("check the rows SQL cannot vouch for"):
                batch, prepare_skipped = _exact_rows(loaded, plan, skipped, preamble, options)
        except CoordkitError as exc:
            exc.counts = counts
            raise
        with progress.step("collect results (bulk)"):
            result = validate.build_result(batch)
            staged.rows = plan.stage_accepted(result.accepted)
    finally:
        progress.close()
    return replace(result, accepted=None, staged=staged, rows_read=body.data_rows, skipped_rows=prepare_skipped)


class _CountedRaw:
    """The subset's RawTable, counting the whole file's data rows (the share of bad rows is over the file)."""

    def __init__(self, raw: RawTable, rows_read: int):
        self._raw, self.rows_read = raw, rows_read

    def __getattr__(self, name):
        return getattr(self._raw, name)


def _exact_rows(loaded, plan: Plan, skipped, preamble, options: _Options):
    """Run the exact stages on the rows SQL did not read; repeat while their keys meet a SQL-read row's."""
    from coordkit.ingest import checks, validate

    for _attempt in range(4):
        frame, ids = plan.unusual_rows()
        rows = [loaded.first_line + int(i) for i in ids]
        raw = RawTable(loaded.path, frame, rows, [], loaded.encoding, loaded.delimiter, _blank_warnings(loaded, skipped),
                       list(skipped), list(loaded.header_cells), loaded.header_row, may_hold_markers=False)
        raw, preset, prepare_skipped = validate._prepare(raw, plan.preset, preamble, plan.config)
        if prepare_skipped:
            raise NotInBulk("a prepare step left rows out")
        batch = checks.Batch(
            raw=raw, spec=plan.spec, preset=preset, config=plan.config,
            channel_policy=options.channel_policy or preset.channel_policy or plan.config.channel_policy,
            share_limit=plan.config.max_bad_share if options.max_bad_share is None else options.max_bad_share,
            locale=options.locale, date_order=options.date_order,
        )
        batch.rows = pd.Series(raw.rows, dtype="int64")
        batch.problems = Problems(raw.name, batch.rows)
        for name, stage in validate.STAGES:
            if name == "decide number locales":
                plan.inject_number_decisions(batch)
            elif name == "decide date orders":
                plan.inject_date_decisions(batch)
            elif name == "check the share of bad rows":
                continue
            else:
                batch = stage(batch)
        collisions = plan.key_collisions(batch)
        if not collisions:
            batch.raw = _CountedRaw(batch.raw, plan.data_rows)
            validate.check_bad_share(batch)
            batch.raw = batch.raw._raw
            return batch, prepare_skipped
        plan.mark_unusual(collisions)
    raise NotInBulk("keys kept meeting rows read in SQL")


def _blank_warnings(loaded, skipped) -> list[str]:
    blank = sum(1 for s in skipped if s.reason == "blank line")
    return [f"{loaded.path.name}: skipped {blank} blank line(s)"] if blank else []

