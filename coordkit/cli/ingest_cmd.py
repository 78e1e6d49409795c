"""``coordkit ingest``, ``validate``, ``status`` and ``presets``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from coordkit.cli.common import (
    add_read_options,
    add_workspace_option,
    read_options,
)
from coordkit.errors import CoordkitError, ParameterError, ReadError, SchemaError, ValidationError

#: errors that reject one file: the next file is still read, and --json reports them per file
_FILE_ERRORS = (ValidationError, SchemaError, ReadError)


def register(subparsers) -> None:
    ingest = subparsers.add_parser("ingest", help="validate exports and load them into the workspace (idempotent)")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="CSV, Excel or Parquet export(s)")
    add_read_options(ingest)
    add_workspace_option(ingest)
    ingest.add_argument("--show", type=int, default=5, metavar="N", help="rejected rows to print per file (default 5)")
    ingest.add_argument("--create", action="store_true",
                        help="create the workspace if the folder has none (otherwise a missing workspace is an error)")
    ingest.set_defaults(handler=run_ingest)

    validate = subparsers.add_parser("validate", help="dry run: check an export without loading it")
    validate.add_argument("path", metavar="PATH")
    add_read_options(validate)
    validate.add_argument("--show", type=int, default=20, metavar="N", help="rejected rows to print (default 20)")
    validate.add_argument("--rejected-out", default=None, metavar="CSV", help="write every rejected row with its reason to this CSV")
    validate.set_defaults(handler=run_validate)

    status = subparsers.add_parser("status", help="summarise the workspace: tables, ingests, rejected rows")
    add_workspace_option(status)
    status.add_argument("--rejected", action="store_true", help="list every rejected row with its reason")
    status.set_defaults(handler=run_status)

    presets = subparsers.add_parser("presets", help="list the shipped presets for vendor exports")
    presets.add_argument("--verbose", "-v", action="store_true", help="show each preset's source and notes")
    presets.set_defaults(handler=run_presets)


def _table_for(args) -> str:
    from coordkit.ingest.presets import load_preset

    if args.table:
        return args.table
    if args.preset and args.preset != "canonical":
        return load_preset(args.preset).table
    raise ParameterError(
        "say which table the file is: --as outputs|touchpoints|outcomes|targets|spend",
        hint="or pass --preset NAME (coordkit presets lists them); a preset knows its table",
    )


def _print_json(payload: dict) -> None:
    print(json.dumps(payload, ensure_ascii=False, default=str))


def _print_failure(path: Path, exc: CoordkitError) -> None:
    print(f"{path.name}: REJECTED: {exc.message}")
    if exc.hint:
        print(f"  hint: {exc.hint}")


def _print_result(result, limit: int, more_hint: str) -> None:
    from coordkit.cli.common import print_messages

    for column, decision in result.decisions.items():
        print(f"  {column}: {decision}")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    errors = result.grouped_messages()
    errors = [line for line in errors if not line.startswith("warning")]
    print_messages(errors, len(result.rejected), limit, more_hint=more_hint)


def run_ingest(args) -> int:
    from coordkit.ingest.recognise import plan_ingest
    from coordkit.ingest.validate import failure_json
    from coordkit.ingest.workspace import open_workspace

    # files and folders; each download is recognised from its header unless --preset/--as says what it is
    planned = plan_ingest(args.paths, args.preset, args.table)
    failed = 0
    # a typo in --workspace (or running in the wrong folder) must not silently start a new workspace
    with open_workspace(args.workspace, create=args.create) as ws:
        for item in planned:
            if item.error is not None:
                failed = failed or getattr(item.error, "exit_code", ValidationError.exit_code)
                if item.path.is_file():  # a download nothing recognised: the next review must say it is missing
                    ws.record_failed_ingest(item.path, "", str(args.preset or ""), item.error.message)
                if args.json:
                    _print_json(failure_json(item.path, str(args.table or ""), str(args.preset or ""), item.error))
                else:
                    print(f"{item.path.name}: NOT INGESTED: {item.error.message}")
                    if item.error.hint:
                        print(f"  hint: {item.error.hint}")
                continue
            if item.note and not args.json:
                print(item.note)
            for table, preset in item.targets:
                try:
                    report = ws.ingest(item.path, table, preset, **read_options(args))
                except _FILE_ERRORS as exc:
                    failed = failed or exc.exit_code
                    if args.json:
                        _print_json(failure_json(item.path, table, str(preset or "canonical"), exc))
                    else:
                        _print_failure(item.path, exc)
                    continue
                if args.json:
                    payload = report.result.to_json()
                    payload.update(ingest_id=report.ingest_id, inserted=report.inserted, updated=report.updated,
                                   unchanged=report.unchanged, late=report.late)
                    _print_json(payload)
                    continue
                print(report.summary())
                _print_result(report.result, args.show, "coordkit status --rejected lists them all")
        if not args.json:
            _print_amounts_kept_apart(ws)
            from coordkit.cli.campaigns_cmd import print_new_campaign_labels

            print_new_campaign_labels(ws)
    return failed


def _print_amounts_kept_apart(ws) -> None:
    from coordkit.ingest.currency import amounts_kept_apart

    for warning in amounts_kept_apart(ws):
        print(f"warning: {warning}")


def run_validate(args) -> int:
    if not args.table and not args.preset:
        # no flags: validate the download as every table its recognised export feeds
        from coordkit.ingest.recognise import recognise

        found = recognise(Path(args.path))
        if not args.json:
            print(found.describe())
        code = 0
        for preset in found.presets:
            args.table, args.preset = preset.table, preset.name
            code = max(code, _validate_one(args))
        return code
    return _validate_one(args)


def _validate_one(args) -> int:
    from coordkit.ingest.validate import failure_json, read_table

    table = _table_for(args)
    path = Path(args.path)
    try:
        result = read_table(path, table, args.preset, **read_options(args))
    except _FILE_ERRORS as exc:
        if not args.json:
            raise
        _print_json(failure_json(path, table, str(args.preset or "canonical"), exc))
        return exc.exit_code
    if args.json:
        _print_json(result.to_json())
        if args.rejected_out:
            _write_rejected(result, args.rejected_out, stream=sys.stderr)
        return 0
    print(result.summary())
    if result.delimiter:
        print(f"  encoding {result.encoding or 'n/a'}, delimiter {result.delimiter!r}")
    _print_result(result, args.show, "--rejected-out FILE.csv writes them all")
    if args.rejected_out:
        _write_rejected(result, args.rejected_out)
    print("dry run: nothing was written to a workspace")
    return 0


def _write_rejected(result, out, stream=None) -> None:
    from coordkit.present.safe_export import write_safe_csv

    write_safe_csv(result.rejected.drop(columns=["raw"]), out)
    print(f"  wrote {len(result.rejected)} rejected rows to {out}", file=stream or sys.stdout)


def run_status(args) -> int:
    import pandas as pd

    from coordkit.ingest.currency import amounts_kept_apart
    from coordkit.ingest.workspace import open_workspace

    with open_workspace(args.workspace, read_only=True) as ws:
        status = ws.status()
        log = ws.ingest_log()
        rejected = ws.rejected_rows()
        kept_apart = amounts_kept_apart(ws)
        kept = _rejected_rows_kept(ws)
    print(f"workspace {Path(args.workspace).resolve()}")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(status.to_string(index=False))
    if not log.empty:
        failed = int((log["status"] != "ok").sum())
        print(f"{len(log)} ingests, {failed} failed; last: {Path(log['file'].iloc[-1]).name} at {log['finished_at'].iloc[-1]}")
        totals = log[log["status"] == "ok"][["rows_read", "accepted", "rejected", "merged_duplicates"]].sum()
        print("rows read {rows_read} = accepted {accepted} + rejected {rejected} + merged duplicates {merged_duplicates} (all ingests)".format(**totals.astype(int).to_dict()))
        _print_failed_files(log)
    for warning in kept_apart:
        print(f"warning: {warning}")
    from coordkit.cli.campaigns_cmd import print_campaign_coverage

    print_campaign_coverage(args.workspace)
    if args.rejected and not rejected.empty:
        for reason in rejected["reason"]:
            print(f"  rejected: {reason}")
    elif not rejected.empty:
        print(f"{len(rejected)} rejected rows in the latest ingest of each file (--rejected lists them)")
    if kept:
        print(kept)
    return 0


def _print_failed_files(log) -> None:
    """Each file whose latest ingest failed, with the reason (the reviews name the file only)."""
    from coordkit.analysis.review_quality import latest_failures

    for row in latest_failures(log).itertuples(index=False):
        when = row.finished_at.strftime("%Y-%m-%d %H:%M UTC") if hasattr(row.finished_at, "strftime") else row.finished_at
        print(f"failed: {Path(row.file).name} ({row.table_name or 'not recognised'}) at {when}: {row.message}")


def _rejected_rows_kept(ws) -> str:
    """How many rejected rows the store keeps and under which retention (embedded store only)."""
    from coordkit.ingest.retention import retention_summary

    if ws.backend is not None or "rejected_rows" not in ws.con.list_tables():
        return ""
    return retention_summary(ws.duckdb, ws.config.rejected_rows)


def run_presets(args) -> int:
    from coordkit.ingest.presets import list_presets

    print(f"{'canonical':34} {'(any)':16} coordkit's own column names (docs/data-contract.md)")
    for preset in list_presets():
        guess = " (best guess: no public header found)" if preset.best_guess else ""
        print(f"{preset.name:34} {preset.table:16} {preset.vendor or '-'}: {preset.report or preset.title}{guess}")
        if preset.download:
            print(f"{'':34} download: {preset.download}")
        if args.verbose and preset.source:
            print(f"{'':34} source: {' '.join(str(preset.source).split())}")
    return 0
