"""The base CSV cell rule: protect_cell is exactly reversed by restore_cell, and nothing it writes runs as a formula."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordkit.csv_cells import FORMULA_TRIGGERS, protect_cell, restore_cell, safe_cell

pytestmark = pytest.mark.hostile

_ALPHABET = st.sampled_from(["=", "+", "-", "@", "'", '"', "\r", "\n", "\t", " ", "a", "1", ".", "|"])


@given(st.text(_ALPHABET, max_size=10))
def test_restore_undoes_protect_for_every_text(text):
    assert restore_cell(protect_cell(text)) == text


@given(st.text(_ALPHABET, max_size=10))
def test_a_protected_cell_never_starts_a_formula_unless_it_is_a_number(text):
    cell = protect_cell(text)
    if cell.startswith(FORMULA_TRIGGERS):
        float(cell)  # only a plain number such as -12.5 may start with a sign


def test_hand_worked_cells():
    # expected values written by hand from the OWASP rule (apostrophe before a formula prefix)
    assert protect_cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert protect_cell("'=x") == "''=x"           # else reading it back would drop the label's own apostrophe
    assert protect_cell("'tis") == "'tis"
    assert protect_cell("-5") == "-5"
    assert safe_cell("a\r\nb\rc") == "a\nb\nc"
    assert restore_cell("''") == "'" and restore_cell("'") == "'"
