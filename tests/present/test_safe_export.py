"""CSV exports neutralise spreadsheet formula injection (OWASP CSV injection)."""

from __future__ import annotations

import pandas as pd
import pytest

from coordkit.cli import main
from coordkit.present.safe_export import neutralise_cell, neutralise_formulas, write_safe_csv

pytestmark = pytest.mark.hostile


def test_formula_triggers_get_an_apostrophe_and_numbers_do_not():
    assert neutralise_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert neutralise_cell("+1+1") == "'+1+1"
    assert neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_cell("-12.5") == "-12.5"
    assert neutralise_cell("spring-sale") == "spring-sale"
    assert neutralise_cell(-3) == -3


def test_input_frame_is_not_mutated(tmp_path):
    frame = pd.DataFrame({"campaign": ["=cmd|' /C calc'!A0"], "amount": [-5.0]})
    out = neutralise_formulas(frame)
    assert frame["campaign"].iloc[0].startswith("=")
    assert out["campaign"].iloc[0].startswith("'=") and out["amount"].iloc[0] == -5.0
    path = write_safe_csv(frame, tmp_path / "x.csv")
    assert path.read_text().splitlines()[1].startswith("'=cmd")


def test_attribute_cli_output_is_safe(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text(
        "customer_id,time,interaction,conversion,conversion_value,channel\n"
        "c1,2026-11-16T10:00:00Z,impression,0,0,=EVIL()\n"
        "c1,2026-11-16T11:00:00Z,conversion,1,5,=EVIL()\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert main(["attribute", str(events), "--preset", "journey-events", "--model", "last", "--out", str(out)]) == 0
    assert "'=EVIL()" in out.read_text()
