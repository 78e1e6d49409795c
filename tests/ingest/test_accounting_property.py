"""Property: for any messy CSV, every data row is accepted, rejected or merged — exactly once."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordkit.errors import ValidationError
from coordkit.ingest.validate import read_table

ids = st.sampled_from(["1", "2", "3", "4", "5", "6", ""])
dates = st.sampled_from(["2026-11-16", "2026-11-17T10:00:00Z", "16/11/2026", "2026-02-30", "soon", "", "2026-11-16 09:30"])
amounts = st.sampled_from(["100", "$1,200.50", "-5", "12k", "", "--", "(3)", "0"])
kinds = st.sampled_from(["lead", "opportunity", ""])
# NUL bytes make the whole file unreadable on purpose (tested in test_readers); keep them out here
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
row = st.tuples(ids, kinds, dates, amounts, texts)
extra_cell = st.sampled_from([None, "surplus"])


def render(rows, extras) -> str:
    buffer = io.StringIO()
    # quote every cell: an unquoted bare CR is a real line break to any CSV reader
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["outcome_id", "kind", "created_at", "amount", "stage"])
    for values, extra in zip(rows, extras):
        writer.writerow(list(values) + ([extra] if extra else []))
    return buffer.getvalue()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=25), extras=st.lists(extra_cell, min_size=25, max_size=25))
def test_every_row_is_accounted_for_exactly_once(tmp_path, rows, extras):
    path = tmp_path / "messy.csv"
    path.write_text(render(rows, extras), encoding="utf-8")
    try:
        result = read_table(path, "outcomes", max_bad_share=1.0)
    except ValidationError:  # pragma: no cover - max_bad_share=1 never fails a file
        raise
    lines = set(range(2, 2 + len(rows)))
    # a last line with one filled cell is a report footer, a blank-name last line equal to the column
    # sums a summary: skipped as non-data lines, with a reason, and never read as well
    skipped = {s.row: s.reason for s in result.skipped if s.row in lines}
    assert all(skipped.values())
    for line in skipped:
        assert sum(bool(cell.strip()) for cell in rows[line - 2]) <= 2, (line, skipped[line])
    data_rows = lines - set(skipped)
    accepted_rows = set(result.accepted["_source_row"])
    rejected_rows = set(result.rejected["row"])
    assert result.rows_read == len(data_rows)
    assert not (accepted_rows | rejected_rows) & set(skipped)
    assert result.rows_read == len(result.accepted) + len(result.rejected) + result.merged_duplicates
    assert accepted_rows.isdisjoint(rejected_rows)
    assert len(rejected_rows) == len(result.rejected)  # one line per rejected row
    merged_rows = data_rows - accepted_rows - rejected_rows
    assert len(merged_rows) == result.merged_duplicates
    # accepted rows satisfy the contract
    assert result.accepted["outcome_id"].notna().all()
    assert result.accepted["created_at"].notna().all()
    assert (result.accepted["amount"].dropna() >= 0).all()
    assert result.accepted["outcome_id"].is_unique


# --- physical lines under hostile quoting (issue 14, item 1) ---------------------------------

clean_cells = st.text(alphabet="abc 12,;.-", max_size=6)
damage = st.lists(
    st.tuples(st.sampled_from(['"', '"', "\n", "\r", "\r\n", '""', ","]), st.floats(min_value=0, max_value=1)),
    max_size=4,
)


def _damaged(rows, hits) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["outcome_id", "kind", "created_at", "amount", "stage"])
    writer.writerows(rows)
    text = buffer.getvalue()
    for piece, where in hits:
        position = int(where * len(text))
        text = text[:position] + piece + text[position:]
    return text


@pytest.mark.hostile
@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(clean_cells, min_size=5, max_size=5), min_size=1, max_size=12), hits=damage)
def test_every_physical_line_is_accounted_for_under_stray_quotes_and_line_breaks(tmp_path, rows, hits):
    """Each line is the header, part of one data/bad record, or a skipped line; else the file is refused at a line."""
    import re

    from coordkit.errors import ReadError
    from coordkit.ingest.readers import read_raw

    text = _damaged(rows, hits)
    path = tmp_path / "damaged.csv"
    path.write_bytes(text.encode("utf-8"))
    lines = len(re.findall(r"\r\n|\r|\n", text)) + (0 if text.endswith(("\n", "\r")) else 1)
    try:
        raw = read_raw(path, delimiter=",")
    except ReadError as exc:
        located = re.search(r"line (\d+)", exc.message)
        if located:  # refused at a line that exists
            assert 1 <= int(located.group(1)) <= lines
        else:  # or for a reason about the whole file
            assert any(w in exc.message for w in ("no header", "no data rows", "no content")), exc.message
        return
    assert raw.lines_total == lines
    owners = [raw.header_row, *raw.rows, *(b[0] for b in raw.bad_records), *(s.row for s in raw.skipped)]
    covered = []
    for row in owners:
        first, last = raw.spans[row]
        covered.extend(range(first, last + 1))
    assert sorted(covered) == list(range(1, lines + 1)), (text, owners)
    assert raw.rows_read == len(raw.rows) + len(raw.bad_records)
