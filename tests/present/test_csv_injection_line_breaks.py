"""Issue 14: a carriage return inside a value must not start a spreadsheet row (formula injection past the guard).

Before: ``explain``, ``attribute`` and ``validate --rejected-out`` wrote
``spring\\r=cmd|' /C calc'!A0`` unquoted, so a spreadsheet read a new row that
starts with the formula. Each command's output is checked here the way a
spreadsheet reads a file: no carriage return outside quotes, the row count
the csv module finds equals the data's, and no cell or header starts with a
formula trigger.
"""

from __future__ import annotations

import csv
import io

import pytest

from coordkit.cli import main
from coordkit.present.safe_export import safe_cell, write_safe_csv, write_safe_rows

pytestmark = pytest.mark.hostile

PAYLOAD = "=cmd|' /C calc'!A0"
HOSTILE = f"spring\r{PAYLOAD}"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_rows(text: str) -> list[list[str]]:
    """Rows as a spreadsheet splits them: quoted line breaks stay in the cell, bare ones end a row."""
    rows, cell, row, quoted, i = [], [], [], False, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == '"' and text[i + 1 : i + 2] == '"':
                cell.append('"')
                i += 1
            elif char == '"':
                quoted = False
            else:
                cell.append(char)
        elif char == '"':
            quoted = True
        elif char == ",":
            row.append("".join(cell))
            cell = []
        elif char in "\r\n":
            row.append("".join(cell))
            rows.append(row)
            row, cell = [], []
            if char == "\r" and text[i + 1 : i + 2] == "\n":
                i += 1
        else:
            cell.append(char)
        i += 1
    if cell or row:
        row.append("".join(cell))
        rows.append(row)
    return rows


def assert_safe(path, data_rows: int) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    rows = spreadsheet_rows(text)
    assert len(rows) == data_rows + 1, f"{path.name}: a spreadsheet sees {len(rows)} rows, expected {data_rows + 1}: {rows}"
    with path.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == rows
    for row in rows:
        for cell in row:
            try:
                float(cell)
                continue
            except ValueError:
                assert not cell.startswith(TRIGGERS), f"{path.name}: cell {cell!r} would run as a formula"
    return rows


def test_safe_cell_keeps_the_text_in_one_quoted_cell(tmp_path):
    assert safe_cell(HOSTILE) == f"spring\n{PAYLOAD}"
    path = write_safe_rows(["campaign", "=HEADER()"], [[HOSTILE, 1.5], ["+A1", -2]], tmp_path / "rows.csv")
    rows = assert_safe(path, 2)
    assert rows[0] == ["campaign", "'=HEADER()"] and rows[1] == [f"spring\n{PAYLOAD}", "1.5"] and rows[2] == ["'+A1", "-2"]


def test_frames_and_headers_go_through_the_same_writer(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"=SUM(A1)": [HOSTILE, "x\r\ny"], "amount": [-1.5, 3.0]})
    rows = assert_safe(write_safe_csv(frame, tmp_path / "frame.csv"), 2)
    assert rows[0][0] == "'=SUM(A1)" and rows[2][0] == "x\ny"
    assert frame.columns[0] == "=SUM(A1)" and frame.iloc[0, 0] == HOSTILE  # input untouched


def test_explain_output(tmp_path):
    data = tmp_path / "deals.csv"
    out = tmp_path / "why.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quotes a value holding a carriage return
    writer.writerow(["week", "channel", "pipeline"])
    for week, channel, value in [("2026-11-09", HOSTILE, 10), ("2026-11-16", HOSTILE, 50), ("2026-11-09", "email", 10),
                                 ("2026-11-16", "email", 20)]:
        writer.writerow([week, channel, value])
    data.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    assert main(["explain", str(data), "--metric", "pipeline", "--by", "channel", "--period-column", "week",
                 "--before", "2026-11-09", "--after", "2026-11-16", "--out", str(out)]) == 0
    rows = assert_safe(out, len(list(csv.reader(out.open(newline="", encoding="utf-8")))) - 1)
    assert any(PAYLOAD in cell for row in rows for cell in row)


def test_attribute_output(tmp_path):
    events = tmp_path / "events.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quotes a value holding a carriage return
    writer.writerow(["customer_id", "time", "interaction", "conversion", "conversion_value", "channel"])
    writer.writerow(["c1", "2026-11-16T10:00:00Z", "impression", 0, 0, HOSTILE])
    writer.writerow(["c1", "2026-11-16T11:00:00Z", "conversion", 1, 5, HOSTILE])
    events.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    out = tmp_path / "credit.csv"
    assert main(["attribute", str(events), "--preset", "journey-events", "--model", "last", "--out", str(out)]) == 0
    rows = assert_safe(out, 1)
    assert rows[1][0] == f"spring\n{PAYLOAD}"


def test_validate_rejected_out(tmp_path):
    export = tmp_path / "deals.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # quotes a value holding a carriage return
    writer.writerow(["outcome_id", "kind", "created_at", "contact_id", "amount"])
    writer.writerow(["1", "lead", "2026-11-16", "c", f"12k\r{PAYLOAD}"])
    for number in range(2, 9):
        writer.writerow([str(number), "lead", "2026-11-16", "c", "100"])
    export.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    out = tmp_path / "rejected.csv"
    assert main(["validate", str(export), "--as", "outcomes", "--rejected-out", str(out)]) == 0
    rows = assert_safe(out, 1)
    assert any(PAYLOAD in cell for cell in rows[1])
