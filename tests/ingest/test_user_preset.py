"""A user writes their own preset file and passes its path: it maps, validates and ingests like a shipped one."""

from __future__ import annotations

import pytest

from coordkit.cli import main
from coordkit.errors import ParameterError
from coordkit.ingest.validate import read_table

PRESET = """
name: our-crm
table: outcomes
title: Our in-house CRM export
source: our CRM's admin guide
columns:
  outcome_id: Deal No
  created_at: Opened
  amount: Value (EUR)
  team: Region
  campaign: [Source Campaign, Campaign]
constants:
  kind: opportunity
dates:
  created_at: "%d.%m.%Y"
numbers:
  decimal: ","
  thousands: "."
"""


def test_user_preset_maps_european_numbers_and_dates(tmp_path):
    preset = tmp_path / "our-crm.yaml"
    preset.write_text(PRESET, encoding="utf-8")
    export = tmp_path / "deals.csv"
    export.write_text("Deal No;Opened;Value (EUR);Region;Campaign\nD1;16.11.2026;1.234,50;emea;spring\nD2;31.11.2026;10,00;emea;spring\n", encoding="utf-8")
    result = read_table(export, "outcomes", preset=str(preset), max_bad_share=1)
    row = result.accepted.iloc[0]
    assert (row["outcome_id"], row["amount"], row["team"], row["campaign"], row["kind"]) == ("D1", 1234.5, "emea", "spring", "opportunity")
    assert str(row["created_at"]) == "2026-11-16 00:00:00+00:00"
    assert "deals.csv row 3, column created_at ('Opened'): '31.11.2026' is not a valid date; expected the format '%d.%m.%Y'" in result.rejected["reason"].iloc[0]


def test_user_preset_is_usable_from_the_cli(tmp_path, capsys):
    preset = tmp_path / "our-crm.yaml"
    preset.write_text(PRESET, encoding="utf-8")
    export = tmp_path / "deals.csv"
    export.write_text("Deal No;Opened;Value (EUR);Region\nD1;16.11.2026;1.234,50;emea\n", encoding="utf-8")
    assert main(["ingest", str(export), "--preset", str(preset), "--workspace", str(tmp_path / "ws"), "--create"]) == 0
    assert "deals.csv -> outcomes: 1 read = 1 accepted (1 new" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\ntable: outcomes\ncolumns: {outcome_id: A}\nfancy: 1\n", r"key must be one of .*; got 'fancy'"),
        ("name: x\ntable: leads\ncolumns: {outcome_id: A}\n", r"table must be one of 'outputs', .*; got 'leads'"),
        ("name: x\ntable: outcomes\ncolumns: {deal_value: A}\n", r"column of table 'outcomes' must be one of .*; got 'deal_value'"),
        ("name: x\ntable: outcomes\n", r"missing key 'columns'"),
        ("name: x\ntable: outcomes\nread: {sections: 'false'}\ncolumns: {outcome_id: A}\n",
         r"read.sections must be one of True, False; got 'false'"),
    ],
)
def test_broken_user_presets_get_clear_errors(tmp_path, text, message):
    preset = tmp_path / "broken.yaml"
    preset.write_text(text, encoding="utf-8")
    export = tmp_path / "d.csv"
    export.write_text("A\n1\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=message):
        read_table(export, "outcomes", preset=str(preset))
