"""The bulk path (DuckDB) and the exact path (pandas stages) give the same result for the same file.

Each file is read twice with ``read_table``: once with the bulk path forced
(``COORDKIT_BULK_MIN_BYTES=0``) and once with it off. The counts, every
message (level, row, column, value, text), the warnings, the skipped lines,
the decisions, the rejected rows and every accepted value must be equal, and
so must the tables stored by an ingest. Files: the problem corpus, the vendor
fixtures, and generated exports mixing clean rows with locale numbers,
day-first dates, duplicates, rejects, non-data lines and odd characters. The
bulk path must actually be taken for the generated files and for a good part
of the others (it falls back to the exact path for what it cannot vouch for).
"""

from __future__ import annotations

import csv
import json
import math
import random
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import pytest

from coordkit.config import WorkspaceConfig
from coordkit.errors import CoordkitError
from coordkit.ingest.recognise import recognise
from coordkit.ingest.validate import read_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = FIXTURES / "corpus"
VENDORS = FIXTURES / "vendors"
_OPTIONS = {"--locale": "locale", "--date-order": "date_order", "--delimiter": "delimiter", "--encoding": "encoding"}


def _read(monkeypatch, bulk: bool, path, table, preset, **options):
    monkeypatch.setenv("COORDKIT_BULK_MIN_BYTES", "0" if bulk else str(10**15))
    try:
        return read_table(path, table, preset, **options)
    except CoordkitError as exc:
        return exc


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float):
        return ("float", value.hex())
    return value


def _rows(frame: pd.DataFrame) -> list[tuple]:
    frame = frame.sort_values("_source_row", kind="stable").reset_index(drop=True)
    return [tuple(_cell(v) for v in row) for row in frame.itertuples(index=False)]


def assert_same(monkeypatch, path, table, preset, **options) -> bool:
    """Compare both paths on one file; return True when the bulk path read it (False: it fell back)."""
    fast = _read(monkeypatch, True, path, table, preset, **options)
    exact = _read(monkeypatch, False, path, table, preset, **options)
    assert type(fast) is type(exact), (path, fast, exact)
    if isinstance(exact, CoordkitError):
        assert (fast.message, fast.hint) == (exact.message, exact.hint)
        assert getattr(fast, "counts", None) == getattr(exact, "counts", None)
        assert getattr(fast, "messages", None) == getattr(exact, "messages", None)
        return getattr(fast, "bulk", False)
    assert fast.to_json() == exact.to_json()
    assert fast.messages == exact.messages
    assert fast.warnings == exact.warnings
    assert fast.skipped == exact.skipped and fast.skipped_rows == exact.skipped_rows
    assert (fast.encoding, fast.delimiter) == (exact.encoding, exact.delimiter)
    pd.testing.assert_frame_equal(fast.rejected, exact.rejected)
    assert list(fast.accepted.columns) == list(exact.accepted.columns)
    assert _rows(fast.accepted) == _rows(exact.accepted)
    return fast.staged is not None


def _corpus():
    for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if not entry["file"].endswith((".csv", ".tsv", ".txt")):
            continue
        args, options = entry["args"], {}
        for flag, name in _OPTIONS.items():
            if flag in args:
                options[name] = args[args.index(flag) + 1]
        preset = None if entry["preset"] == "canonical" else entry["preset"]
        yield pytest.param(entry["file"], entry["table"], preset, options, id=entry["file"])


@pytest.mark.slow
def test_corpus_files_read_the_same_both_ways(monkeypatch):
    taken = 0
    for param in _corpus():
        name, table, preset, options = param.values
        taken += assert_same(monkeypatch, CORPUS / name, table, preset, **options)
    assert taken >= 10  # the bulk path really read a good share of them


def test_vendor_files_read_the_same_both_ways(monkeypatch):
    taken = 0
    for path in sorted(VENDORS.rglob("*.csv")):
        try:
            presets = recognise(path).presets
        except CoordkitError:
            continue  # the recognition tests cover files no preset fits
        for preset in presets:
            taken += assert_same(monkeypatch, path, preset.table, preset)
    assert taken >= 1  # most vendor presets have prepare steps the bulk path leaves to the exact one


# --- generated exports ------------------------------------------------------------------

HEADER = ["outcome_id", "kind", "created_at", "contact_id", "account_id", "amount", "stage", "closed_at", "won",
          "owner", "currency", "Deal Name", "Region"]


def _clean_row(rng: random.Random, number: int, european: bool) -> list[str]:
    day = rng.randint(1, 28)
    month = rng.randint(1, 12)
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    cents = rng.randint(0, 99_999_999)
    if european:
        whole = f"{cents // 100:,}".replace(",", ".")
        amount = f"{whole},{cents % 100:02d}"
        created = f"{day:02d}/{month:02d}/2025 {hour:02d}:{minute:02d}"
    else:
        amount = f"{cents / 100:.2f}" if rng.random() < 0.8 else str(cents // 100)
        created = f"2025-{month:02d}-{day:02d} {hour:02d}:{minute:02d}" if rng.random() < 0.7 else f"2025-{month:02d}-{day:02d}"
    won = rng.choice(["true", "false", "", "yes", "no"])
    return [f"D-{number}", "opportunity", created, f"C{rng.randint(1, 500)}", rng.choice(["", f"A{rng.randint(1, 50)}"]),
            amount, rng.choice(["Prospecting", "Closed Won", "Closed Lost"]), "", won,
            rng.choice(["Ann", "Bob", "Zoë Müller"]), "", f"Deal {number}", rng.choice(["EMEA", "", "APAC"])]


def _messy_export(path: Path, rows: int, european: bool, seed: int = 7) -> None:
    rng = random.Random(seed)
    records = [_clean_row(rng, n, european) for n in range(rows)]
    bad = {
        5: {"amount": "12k"}, 9: {"created_at": ""}, 13: {"created_at": "31/02/2025" if european else "2025-02-30"},
        17: {"created_at": "2099-01-01 10:00" if not european else "01/01/2099 10:00"}, 21: {"won": "maybe"},
        25: {"contact_id": "", "account_id": ""}, 29: {"currency": "EUR"}, 33: {"currency": "E!"},
        37: {"owner": "\u00a0Ann"}, 41: {"Deal Name": "tab\tinside"}, 45: {"amount": "(12,00)" if european else "(12.00)"},
        49: {"amount": "1,234" if not european else "1.234"}, 53: {"kind": ""}, 57: {"created_at": "45976"},
        61: {"outcome_id": "D-3"}, 65: {"Deal Name": 'say "hi"'}, 69: {"owner": "  spaced  "},
        73: {"closed_at": "2026-01-05T10:00:00+01:00"}, 77: {"amount": "N/A"}, 81: {"amount": "-"},
        85: {"stage": "Ünïcode stage"}, 89: {"Region": "back\\slash"},
    }
    for index, changes in bad.items():
        for column, value in changes.items():
            records[index][HEADER.index(column)] = value
    records[97] = list(records[96])  # an identical repeat: merged
    records[99] = list(records[98])
    records[99][HEADER.index("amount")] = "1.00" if not european else "1,00"  # the same id, another amount: rejected
    lines = [HEADER, *records[:120], ["Total", "", "", "", "", "999", "", "", "", "", "", "", ""], *records[120:200],
             ["# a comment in the middle"], [""] * len(HEADER), HEADER, *records[200:], ["Generated by coordkit tests"]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(lines)


@pytest.mark.parametrize("european", [False, True], ids=["en-iso", "de-dmy"])
def test_generated_exports_read_the_same_both_ways(tmp_path, monkeypatch, european):
    path = tmp_path / "messy.csv"
    _messy_export(path, 3000, european)
    assert assert_same(monkeypatch, path, "outcomes", None, date_order=None)
    result = read_table(path, "outcomes", None)
    # an independent recount with the csv module: every data record is accepted, rejected or merged
    with path.open(encoding="utf-8", newline="") as handle:
        records = [r for r in csv.reader(handle)][1:]
    # the canonical header repeated is data (its names hold underscores, the header keys spaces): rejected
    data = [r for r in records if sum(1 for c in r if c.strip()) >= 2 and r[0] != "Total"]
    assert result.rows_read == len(data) == 3001
    assert result.rows_read == len(result.accepted) + len(result.rejected) + result.merged_duplicates
    assert result.merged_duplicates == 1
    assert [s.reason for s in result.skipped] == ["totals line", "comment line", "blank line", "report footer line"]


def test_an_all_ascii_export_reads_the_same_both_ways(tmp_path, monkeypatch):
    """An all-ASCII file skips the per-cell character test (a whole-file fact); its odd rows must still be found."""
    from coordkit.ingest import bulk_load

    path = tmp_path / "ascii.csv"
    _messy_export(path, 3000, european=False)
    text = path.read_text(encoding="utf-8").encode("ascii", "replace").decode("ascii")
    odd = [
        ",opportunity,2025-03-01,C1,,10.00,Prospecting,,,Ann,,first cell empty,EMEA",
        "  D-9001,opportunity,2025-03-01,C1,,10.00,Prospecting,,,Ann,,leading spaces,EMEA",
        "D-9002 ,opportunity,2025-03-01,C1,,10.00,Prospecting,,,Ann,,trailing space,EMEA",
        " ,opportunity,,,,,,,,,,,",
        "  Total  ,,,,,12.00,,,,,,,",
        ",Total,,,,12.00,,,,,,,",
        "D-9003,opportunity,2025-03-01,C1,,10.00,Prospecting,,,Ann\x0b,,vertical tab,EMEA",
        " , ,,,,,,,,,,,",
    ]
    lines = text.splitlines()
    path.write_text("\n".join(lines[:50] + odd + lines[50:]) + "\n", encoding="ascii")
    assert bulk_load.scan_bytes(path)["ascii"]
    assert assert_same(monkeypatch, path, "outcomes", None)


def test_a_column_written_both_ways_is_left_to_the_exact_path(tmp_path, monkeypatch):
    """The majority of a column's values decides its locale: counting is the exact path's."""
    from coordkit.ingest import bulk_path

    path = tmp_path / "mixed.csv"
    _messy_export(path, 500, european=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("D-x,opportunity,01/02/2025 10:00,C1,,12.50,Prospecting,,,Ann,,x,EMEA\n")
    assert not assert_same(monkeypatch, path, "outcomes", None)
    _read(monkeypatch, True, path, "outcomes", None)
    assert "both decimal styles" in bulk_path.LAST_FALLBACK


def test_a_time_zone_with_daylight_saving(tmp_path, monkeypatch):
    """Naive times next to the clock changes are read by the exact stages; the others in SQL, the same."""
    rng = random.Random(3)
    path = tmp_path / "berlin.csv"
    rows = [["outcome_id", "kind", "created_at", "contact_id", "amount"]]
    for n in range(2000):
        day = pd.Timestamp("2025-03-25") + pd.Timedelta(hours=rng.randint(0, 24 * 220))
        rows.append([f"B{n}", "lead", day.strftime("%Y-%m-%d %H:%M"), "C1", f"{rng.randint(1, 9999)}.5"])
    rows.append(["B-gap", "lead", "2025-03-30 02:30", "C1", "1"])
    rows.append(["B-fold", "lead", "2025-10-26 02:30", "C1", "1"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    config = WorkspaceConfig(timezone="Europe/Berlin")
    assert assert_same(monkeypatch, path, "outcomes", None, config=config)


def test_stored_tables_are_the_same_both_ways(tmp_path, monkeypatch):
    from coordkit.ingest.workspace import open_workspace

    path = tmp_path / "messy.csv"
    _messy_export(path, 2000, european=False)
    stored = {}
    # "parquet": another connection of this process holds the store, so the bulk path's DuckDB cannot
    # attach it and the rows take the Parquet hand-over; "attached": that DuckDB writes them itself
    for bulk, route in ((True, "attached"), (True, "parquet"), (False, None)):
        monkeypatch.setenv("COORDKIT_BULK_MIN_BYTES", "0" if bulk else str(10**15))
        folder = tmp_path / f"ws-{bulk}-{route}"
        with open_workspace(folder) as ws, open_workspace(folder) if route == "parquet" else nullcontext():
            first = ws.ingest(path, "outcomes")
            again = ws.ingest(path, "outcomes")
            assert (first.result.staged is not None) is bulk
            if bulk:
                assert (first.result.staged.route, again.result.staged.route) == (route, route)
            db = ws.duckdb
            table = db.execute('SELECT * EXCLUDE (_ingest_id, _first_ingested_at, _ingested_at) FROM outcomes '
                               'ORDER BY outcome_id').fetch_arrow_table().to_pandas()
            rejected = db.execute('SELECT "row", "column", value, reason, raw FROM rejected_rows ORDER BY "row"').fetch_arrow_table().to_pandas()
            log = db.execute("SELECT rows_read, accepted, rejected, merged_duplicates, inserted, updated, unchanged "
                             "FROM ingest_log ORDER BY ingest_id").fetchall()
            stored[route] = (table, rejected, log, (again.inserted, again.updated, again.unchanged))
    for route in ("attached", "parquet"):
        pd.testing.assert_frame_equal(stored[route][0], stored[None][0])
        pd.testing.assert_frame_equal(stored[route][1], stored[None][1])
        assert stored[route][2] == stored[None][2]
        assert stored[route][3] == stored[None][3] == (0, 0, len(stored[None][0]))


def test_thousands_grouped_like_the_other_locale_are_read_the_same(tmp_path, monkeypatch):
    """'24.000' in an en column is weighed over the whole column (checks.type_numbers): the exact path reads it."""
    from coordkit.ingest import bulk_path

    header = ("Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline,"
              "Associated Company IDs (Primary),Associated Contact IDs (Primary)\n")
    rows = "".join(f"{900 + i},Deal {i},Closed Won,{'24.000' if i == 7 else f'{1000 + i}'},2026-10-05 10:00,"
                   f"2026-09-01 10:00,Ann,Sales Pipeline,{100 + i},{500 + i}\n" for i in range(1, 60))
    path = tmp_path / "deals.csv"
    path.write_text(header + rows, encoding="utf-8")
    assert not assert_same(monkeypatch, path, "outcomes", "hubspot-deals")
    _read(monkeypatch, True, path, "outcomes", "hubspot-deals")
    assert "grouped like the other locale" in bulk_path.LAST_FALLBACK
    plain = tmp_path / "plain.csv"
    plain.write_text(header + rows.replace("24.000", "24000"), encoding="utf-8")
    assert assert_same(monkeypatch, plain, "outcomes", "hubspot-deals")  # without it the bulk path reads the file


def test_a_header_currency_other_than_the_rows_is_read_the_same(tmp_path, monkeypatch):
    """'Value (EUR)' beside a Currency column saying USD: validate.fill_currency rejects the row, so must the bulk path."""
    preset = tmp_path / "our-crm.yaml"
    preset.write_text("name: our-crm\ntable: outcomes\ntitle: in-house CRM\nsource: its admin guide\ncolumns:\n"
                      "  outcome_id: Deal No\n  created_at: Opened\n  amount: Value (EUR)\n  currency: Currency\n"
                      "constants:\n  kind: opportunity\n", encoding="utf-8")
    rows = "".join(f"D{i},2026-10-0{1 + i % 9},{100 + i}.50,{'USD' if i % 7 == 0 else ('EUR' if i % 2 else '')}\n"
                   for i in range(1, 80))
    path = tmp_path / "deals.csv"
    path.write_text("Deal No,Opened,Value (EUR),Currency\n" + rows, encoding="utf-8")
    assert assert_same(monkeypatch, path, "outcomes", str(preset), max_bad_share=1)  # the bulk path read it
    result = _read(monkeypatch, True, path, "outcomes", str(preset), max_bad_share=1)
    assert len(result.rejected) == len([i for i in range(1, 80) if i % 7 == 0])
