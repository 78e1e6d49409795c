"""Readers: encodings, delimiters, quoted newlines, Excel, Parquet, and files that cannot be read."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.errors import ReadError
from coordkit.ingest.readers import read_raw


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = delimiter.join(["id", "name", "amount"]) + "\n" + delimiter.join(["1", "Ann", "10"]) + "\n"
    raw = read_raw(write(tmp_path, "f.csv", text.encode()))
    assert raw.delimiter == delimiter
    assert raw.frame.columns.tolist() == ["id", "name", "amount"]
    assert raw.frame.iloc[0].tolist() == ["1", "Ann", "10"]


def test_utf8_bom_is_stripped_from_the_header(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", "\ufeffid,name\n1,Zoë\n".encode("utf-8")))
    assert raw.encoding == "utf-8-sig"
    assert raw.frame.columns.tolist() == ["id", "name"]
    assert raw.frame.iloc[0, 1] == "Zoë"


def test_latin1_file_is_read_with_a_warning_naming_the_line(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", "id,name\n1,Ann\n2,Zoë\n".encode("latin-1")))
    assert raw.frame.iloc[1, 1] == "Zoë"
    assert raw.encoding == "cp1252"
    assert any("line 3" in w and "not UTF-8" in w for w in raw.warnings)


def test_explicit_encoding_that_does_not_fit_names_the_line(tmp_path):
    path = write(tmp_path, "f.csv", "id,name\n1,Ann\n2,Zoë\n".encode("latin-1"))
    with pytest.raises(ReadError, match=r"f.csv line 3: bytes .* are not valid utf-8"):
        read_raw(path, encoding="utf-8")


@pytest.mark.hostile
def test_quoted_field_with_newlines_keeps_spreadsheet_row_numbers(tmp_path):
    text = 'id,title\n1,"first\nline two"\n2,plain\n'
    raw = read_raw(write(tmp_path, "f.csv", text.encode()))
    assert raw.frame["title"].tolist() == ["first\nline two", "plain"]
    # a spreadsheet shows the multi-line cell in one row: header row 1, then rows 2 and 3
    assert raw.rows == [2, 3]


def test_blank_lines_are_skipped_and_rows_keep_their_numbers(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b"id,name\n1,a\n\n3,c\n"))
    assert raw.rows == [2, 4]
    assert any("blank" in w for w in raw.warnings)


@pytest.mark.hostile
def test_row_with_too_many_values_is_kept_as_a_bad_record(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b"id,name,amount\n1,a,10\n2,Smith, John,20\n3,c,30\n"))
    assert raw.rows == [2, 4]
    assert len(raw.bad_records) == 1
    row, reason, text = raw.bad_records[0]
    assert row == 3 and "4 values but the header has 3 columns" in reason and "Smith" in text
    assert raw.rows_read == 3


def test_short_rows_are_padded(tmp_path):
    raw = read_raw(write(tmp_path, "f.csv", b"id,name,amount\n1,a\n"))
    assert raw.frame.iloc[0].tolist() == ["1", "a", ""]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"empty \(0 bytes\)"),
        (b"\n\n  \n", r"no content"),
        (b"id,name\n", r"header but no data rows"),
    ],
)
def test_empty_files_get_clear_errors(tmp_path, content, message):
    with pytest.raises(ReadError, match=message):
        read_raw(write(tmp_path, "f.csv", content))


def test_missing_file_and_unsupported_type(tmp_path):
    with pytest.raises(ReadError, match="file not found"):
        read_raw(tmp_path / "nope.csv")
    with pytest.raises(ReadError, match=r"file type must be one of .*'.csv'.*got '.json'"):
        read_raw(write(tmp_path, "f.json", b"{}"))


def test_excel_rows_are_numbered_as_the_sheet_shows_them(tmp_path):
    path = tmp_path / "f.xlsx"
    pd.DataFrame({"id": ["a", "b"], "amount": [10.5, 3], "day": pd.to_datetime(["2026-11-16", "2026-11-17"])}).to_excel(path, index=False)
    raw = read_raw(path)
    assert raw.frame.columns.tolist() == ["id", "amount", "day"]
    assert raw.rows == [2, 3]
    assert raw.frame["amount"].tolist() == ["10.5", "3"]
    assert raw.frame["day"].iloc[0].startswith("2026-11-16")


def test_parquet_is_read_with_typed_values_as_text(tmp_path):
    path = tmp_path / "f.parquet"
    pd.DataFrame({"id": ["a"], "when": pd.to_datetime(["2026-11-16T10:00:00Z"])}).to_parquet(path)
    raw = read_raw(path)
    assert raw.frame["when"].iloc[0] == "2026-11-16T10:00:00+00:00"
    assert raw.rows == [2]


def test_excel_numbers_with_three_decimals_are_not_read_as_thousands(tmp_path):
    from coordkit.errors import CoordkitError
    from coordkit.ingest.validate import read_table

    header = ["published_at", "channel", "kind", "output_id", "cost", "clicks"]
    numeric = tmp_path / "numeric.xlsx"
    pd.DataFrame([["2026-10-01", "email", "email", "a", 12.345, 3], ["2026-10-02", "email", "email", "b", 1.5, 4]],
                 columns=header).to_excel(numeric, index=False)
    assert read_raw(numeric).frame["cost"].tolist() == ["12.3450", "1.5"]
    assert read_table(numeric, "outputs").accepted["cost"].tolist() == [12.345, 1.5]
    # a real number beside a German-style text cell: the column cannot be read one way, so the
    # file stops naming both rows (before, 12.345 was stored as 12345 with exit 0)
    mixed = tmp_path / "mixed.xlsx"
    pd.DataFrame([["2026-10-01", "email", "email", "a", 12.345, 3], ["2026-10-02", "email", "email", "b", "1.234,50", 4]],
                 columns=header).to_excel(mixed, index=False)
    with pytest.raises(CoordkitError, match="written two ways"):
        read_table(mixed, "outputs")


@pytest.mark.parametrize("locale", ["de", "fr", "ch", "en"])
def test_excel_number_cells_read_as_themselves_under_any_locale(tmp_path, locale):
    """A number cell is a number, whatever ``--locale`` says about the text cells beside it."""
    from coordkit.ingest.validate import read_table

    header = ["published_at", "channel", "kind", "output_id", "cost", "clicks"]
    path = tmp_path / "numeric.xlsx"
    costs = [1234.5, 12.345, 0.25, 3.5, 1e-7, 12000.0]
    rows = [["2026-10-01", "email", "email", f"o{i}", cost, 3] for i, cost in enumerate(costs)]
    pd.DataFrame(rows, columns=header).to_excel(path, index=False)
    result = read_table(path, "outputs", locale=locale)
    # before: under --locale de every cell with a decimal point was rejected ("'1234.5' is not a number as
    # written in de"), and 1e-07 was rejected under every locale
    assert result.rejected.empty
    assert result.accepted.sort_values("output_id")["cost"].tolist() == costs


def test_excel_text_cells_beside_number_cells_follow_the_locale(tmp_path):
    from coordkit.ingest.validate import read_table

    header = ["published_at", "channel", "kind", "output_id", "cost", "clicks"]
    path = tmp_path / "mixed.xlsx"
    pd.DataFrame([["2026-10-01", "email", "email", "a", 12.345, 3], ["2026-10-02", "email", "email", "b", "1.234,50", 4]],
                 columns=header).to_excel(path, index=False)
    assert read_raw(path, number_locale="de").frame["cost"].tolist() == ["12,3450", "1.234,50"]
    result = read_table(path, "outputs", locale="de")
    assert result.accepted.sort_values("output_id")["cost"].tolist() == [12.345, 1234.5]
