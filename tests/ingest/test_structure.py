"""Structure stage: non-data lines are skipped with their rows, never rejected or summed."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.errors import ReadError
from coordkit.ingest.readers import read_raw
from coordkit.ingest.structure import classify_frame, find_header


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_classify_frame_labels_each_kind_of_non_data_line():
    frame = pd.DataFrame(
        {"a": ["Total: Account", "x", "", "#note", "Confidential Information - Do Not Distribute", "id", "y"],
         "b": ["10", "1", "", "", "", "Amount", "2"],
         "c": ["", "z", "", "", "", "Stage", "3"]},
        dtype="str",
    )
    labels = classify_frame(frame, ["id", "Amount", "Stage"]).tolist()
    assert labels == ["totals line", None, "blank line", "comment line", "report footer line", "the header repeated", None]


def test_single_cells_after_the_last_data_row_are_a_footer():
    frame = pd.DataFrame({"a": ["1", "2", "Generated 2026-11-30 by Ann"], "b": ["x", "y", ""], "c": ["p", "q", ""]}, dtype="str")
    assert classify_frame(frame, ["a", "b", "c"]).tolist() == [None, None, "report footer line"]


def test_header_is_the_record_naming_most_expected_columns():
    records = [["Opportunities Report"], ["Nov 1, 2026 - Nov 30, 2026"], [""], ["Opportunity ID", "Amount", "Stage"], ["1", "2", "3"]]
    assert find_header(records, ["Opportunity ID", "Amount"]) == 3
    assert find_header(records, []) == 3  # no names to look for: the first record as wide as the table


def test_a_salesforce_style_export_accounts_for_every_line(tmp_path):
    text = (
        '"Opportunities Report"\n'
        '"As of 11/30/2026"\n'
        "\n"
        '"Opportunity ID","Amount","Stage"\n'
        '"006A","100","Prospecting"\n'
        "\n"
        '"006B","200","Closed Won"\n'
        '"Opportunity ID","Amount","Stage"\n'
        '"Total","300",""\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    )
    raw = read_raw(_write(tmp_path, "sf.csv", text), expected=["Opportunity ID", "Amount", "Stage"])
    assert raw.header_row == 4
    assert raw.rows == [5, 7]
    skipped = {s.row: s.reason for s in raw.skipped}
    assert skipped == {
        1: "report title or note above the header", 2: "report title or note above the header", 3: "blank line",
        6: "blank line", 8: "the header repeated", 9: "totals line", 10: "report footer line", 11: "report footer line",
    }
    # every line is the header, a data row or a skipped line
    assert sorted([raw.header_row, *raw.rows, *skipped]) == list(range(1, 12))


def test_blank_label_summary_row_equal_to_the_sums_is_skipped(tmp_path):
    text = "Campaign name,Reach,Amount spent (USD)\n,600,30.50\nSpring,100,10.00\nSummer,200,8.50\nAutumn,300,12.00\n"
    raw = read_raw(_write(tmp_path, "meta.csv", text))
    assert raw.rows == [3, 4, 5]
    assert [(s.row, s.reason) for s in raw.skipped] == [(2, "summary row (its numbers are the sums of the other rows)")]


def test_a_blank_label_row_that_is_not_the_sum_is_data(tmp_path):
    text = "Campaign name,Reach\n,601\nSpring,100\nSummer,200\nAutumn,300\n"
    raw = read_raw(_write(tmp_path, "meta.csv", text))
    assert raw.rows == [2, 3, 4, 5] and not raw.skipped


def test_sep_line_sets_the_delimiter_and_is_skipped(tmp_path):
    raw = read_raw(_write(tmp_path, "f.csv", "sep=;\nid;amount\n1;1,5\n"))
    assert raw.delimiter == ";" and raw.frame.columns.tolist() == ["id", "amount"]
    assert [s.row for s in raw.skipped] == [1]


def test_utf16_with_bom_and_tabs(tmp_path):
    data = "Campaign\tClicks\nSpring\t3\n".encode("utf-16")
    raw = read_raw(_write(tmp_path, "li.csv", data))
    assert raw.encoding == "utf-16" and raw.delimiter == "\t"
    assert raw.frame.iloc[0].tolist() == ["Spring", "3"]


@pytest.mark.hostile
def test_nul_byte_marks_its_cell_not_the_file(tmp_path):
    raw = read_raw(_write(tmp_path, "f.csv", b"id,name\n1,a\x00b\n2,c\n"))
    assert raw.rows == [2, 3]


@pytest.mark.hostile
def test_unclosed_quote_rejects_the_file_at_the_line_where_it_opens(tmp_path):
    text = "id,name,amount\n1,a,10\n2,\"b,20\n3,c,30\n4,d,40\n"
    with pytest.raises(ReadError, match=r"line 3: a double quote opens a value that runs to line 5"):
        read_raw(_write(tmp_path, "f.csv", text))


@pytest.mark.hostile
@pytest.mark.parametrize(
    "data, what",
    [
        (b"PK\x03\x04" + b"\x00" * 40, "ZIP archive"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG image"),
        (b'{"results": [{"id": 1}]}', "JSON"),
        (b"<!DOCTYPE html><html><body><form>Sign in with your password</form></body></html>", "sign-in page"),
    ],
)
def test_files_that_are_not_csv_are_named(tmp_path, data, what):
    with pytest.raises(ReadError, match=what):
        read_raw(_write(tmp_path, "export.csv", data))


@pytest.mark.hostile
def test_workbook_renamed_csv_is_named(tmp_path):
    path = tmp_path / "deals.xlsx"
    pd.DataFrame({"id": [1]}).to_excel(path, index=False)
    renamed = path.rename(tmp_path / "deals.csv")
    with pytest.raises(ReadError, match=r"Excel workbook \(.xlsx\) saved with a .csv name"):
        read_raw(renamed)


def test_xlsx_header_below_titles_and_data_on_the_second_sheet(tmp_path):
    path = tmp_path / "deals.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Notes": ["read me"]}).to_excel(writer, sheet_name="Notes", index=False)
        frame = pd.DataFrame([["Deals report", None], [None, None], ["Record ID", "Amount"], ["1", "10"], ["2", "20"]])
        frame.to_excel(writer, sheet_name="Deals", index=False, header=False)
    raw = read_raw(path, expected=["Record ID", "Amount"])
    assert raw.sheet == "Deals" and raw.header_row == 3 and raw.rows == [4, 5]
    with pytest.raises(ReadError, match="the sheets are 'Notes', 'Deals'"):
        read_raw(path, expected=["Opportunity ID", "Stage"])


@pytest.mark.hostile
def test_xlsx_unpacking_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "big.xlsx"
    pd.DataFrame({"id": range(20_000), "text": ["x" * 50] * 20_000}).to_excel(path, index=False)
    with pytest.raises(ReadError, match="over the limit of 1 MB"):
        read_raw(path, max_unpacked_mb=1)


def test_other_tables_of_a_report_in_sections():
    from coordkit.ingest.structure import other_tables

    records = [
        ["a", "1"],
        ["", ""],
        ["# All Users"], ["# Start date: 20260302"],
        ["Nth day", "Sessions", "Views"],  # another table: wider, another header
        ["0000", "12", "40"],
        [""],
        ["0001", "13", "41"],  # a blank line does not end a table; a comment line does
        ["# All Users"],
        [" ID ", "v", ""],  # the header again (spacing, case and a trailing empty cell aside): rows are data again
        ["b", "3"],
        ["# note"],
        ["c", "4"],  # after a comment, a row that is not a header line starts "another table": only with sections
    ]
    assert other_tables(records, ["id", "v"]) == {4: 4, 5: 4, 7: 4, 12: 12}
    assert other_tables([["a", "1"], ["b", "2"]], ["id", "v"]) == {}
