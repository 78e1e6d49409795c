"""The campaign map applied where tables are read: hand-written labels, expected values by hand."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordkit.ingest.campaign_map import campaign_map_path, read_campaign_map, write_campaign_map
from coordkit.ingest.workspace import open_workspace


def _workspace(tmp_path):
    folder = tmp_path / "ws"
    outputs = tmp_path / "outputs.csv"
    outputs.write_text(
        "output_id,published_at,channel,kind,campaign,url\n"
        "a,2026-09-01T10:00:00Z,paid_search,ad,TB | Search | Spend Leak Report,\n"
        "b,2026-09-02T10:00:00Z,social,post,SpendLeakReport,https://x.example/?utm_campaign=spend-leak-report-2026&utm_source=li\n"
        "c,2026-09-03T10:00:00Z,social,post,webinar,https://x.example/?utm_campaign=spring_sael\n",
        encoding="utf-8",
    )
    touches = tmp_path / "touches.csv"
    touches.write_text(
        "touchpoint_id,contact_id,touched_at,url\n"
        "t1,c1,2026-09-02T11:00:00Z,https://x.example/?utm_campaign=spend-leak-report-2026\n"
        "t2,c2,2026-09-02T11:00:00Z,https://x.example/?utm_campaign=other\n",
        encoding="utf-8",
    )
    with open_workspace(folder, create=True) as ws:
        ws.ingest(outputs, "outputs")
        ws.ingest(touches, "touchpoints")
    return folder


def _read(folder, table, columns):
    with open_workspace(folder, read_only=True) as ws:
        return ws.table(table).select(*columns).order_by(columns[0]).execute()


def test_without_a_map_tables_read_as_exported(tmp_path):
    folder = _workspace(tmp_path)
    assert not campaign_map_path(folder).exists()
    outputs = _read(folder, "outputs", ["output_id", "campaign", "utm_campaign"])
    assert outputs["campaign"].tolist() == ["TB | Search | Spend Leak Report", "SpendLeakReport", "webinar"]
    assert outputs["utm_campaign"].isna().all()


def test_the_map_names_every_spelling_by_its_campaign_in_every_table(tmp_path):
    folder = _workspace(tmp_path)
    write_campaign_map(folder, pd.DataFrame([
        {"label": "TB | Search | Spend Leak Report", "table": "outputs", "column": "campaign", "campaign": "Spend Leak Report"},
        {"label": "SpendLeakReport", "table": "outputs", "column": "campaign", "campaign": "Spend Leak Report"},
        {"label": "spend-leak-report-2026", "table": "outputs", "column": "url:utm_campaign", "campaign": "Spend Leak Report"},
        {"label": "webinar", "table": "outputs", "column": "campaign", "campaign": ""},
    ]))
    outputs = _read(folder, "outputs", ["output_id", "campaign", "utm_campaign"])
    assert outputs["campaign"].tolist() == ["Spend Leak Report", "Spend Leak Report", "webinar"]
    # the url's utm value is read into utm_campaign, mapped when decided, as exported otherwise
    assert outputs["utm_campaign"].tolist()[1:] == ["Spend Leak Report", "spring_sael"]
    # a label decided in one table names the same campaign in another (touchpoints' url)
    touches = _read(folder, "touchpoints", ["touchpoint_id", "utm_campaign"])
    assert touches["utm_campaign"].tolist() == ["Spend Leak Report", "other"]
    with open_workspace(folder, read_only=True) as ws:
        raw = ws.table("outputs", canonical_campaigns=False).order_by("output_id").execute()
    assert raw["campaign"].tolist()[0] == "TB | Search | Spend Leak Report"


def test_utm_aliases_in_coordkit_yaml_are_decided_labels(tmp_path):
    folder = _workspace(tmp_path)
    (folder / "coordkit.yaml").write_text("utm_aliases:\n  spring_sael: spring_sale\n", encoding="utf-8")
    outputs = _read(folder, "outputs", ["output_id", "utm_campaign"])
    assert outputs["utm_campaign"].tolist()[-1] == "spring_sale"
    assert read_campaign_map(folder).set_index("label").loc["spring_sael", "campaign"] == "spring_sale"


def test_the_map_file_is_sorted_for_version_control(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    write_campaign_map(folder, pd.DataFrame([
        {"label": "b", "table": "outputs", "column": "campaign", "campaign": "B"},
        {"label": "a", "table": "outputs", "column": "campaign", "campaign": "A"},
    ]))
    lines = campaign_map_path(folder).read_text(encoding="utf-8").splitlines()
    assert lines == ["label,table,column,campaign", "a,outputs,campaign,A", "b,outputs,campaign,B"]


# --- hostile labels: the map is formula-safe and round-trips (issue 14) -------------------------

HOSTILE_LABELS = [
    "=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(A1)", "'=already quoted", "''", "'", "-12.5",
    "spring\r=cmd|' /C calc'!A0", "line\nbreak", 'say "hi", then go', "tab\there", "a\r\nb",
]
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _map_frame(labels):
    return pd.DataFrame({"label": labels, "table": "outputs", "column": "campaign",
                         "campaign": [f"C {i}" for i in range(len(labels))]})


@pytest.mark.hostile
def test_hostile_labels_round_trip_and_no_cell_of_the_file_runs_as_a_formula(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    write_campaign_map(folder, _map_frame(HOSTILE_LABELS))
    back = read_campaign_map(folder)
    assert sorted(back["label"]) == sorted(HOSTILE_LABELS)
    assert dict(zip(back["label"], back["campaign"])) == {label: f"C {i}" for i, label in enumerate(HOSTILE_LABELS)}
    # read the file the way a spreadsheet does (RFC 4180, newline=""): one row per label, nothing runs
    with campaign_map_path(folder).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 1 + len(HOSTILE_LABELS)
    cells = [cell for row in rows for cell in row]
    numbers = {"-12.5"}
    assert not [c for c in cells if c.startswith(_TRIGGERS) and c not in numbers]


@pytest.mark.hostile
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(
    st.text(st.sampled_from(["=", "+", "-", "@", "'", '"', "\r", "\n", "\t", ",", " ", "a", "1", "|", "é"]),
            min_size=1, max_size=12).filter(str.strip),  # a blank cell is "no label"; apply skips it
    min_size=1, max_size=6, unique=True))
def test_any_label_round_trips_exactly_through_the_map_file(tmp_path, labels):
    folder = tmp_path / "ws"
    folder.mkdir(exist_ok=True)
    write_campaign_map(folder, _map_frame(labels))
    back = read_campaign_map(folder)
    assert sorted(back["label"]) == sorted(labels)
    assert set(back["table"]) == {"outputs"} and set(back["column"]) == {"campaign"}


@pytest.mark.hostile
def test_a_stored_label_with_a_carriage_return_is_mapped(tmp_path):
    outputs = tmp_path / "outputs.csv"
    outputs.write_bytes(
        b"output_id,published_at,channel,kind,campaign\r\n"
        b'a,2026-09-01T10:00:00Z,paid_search,ad,"spring\rsale"\r\n'
        b"b,2026-09-02T10:00:00Z,social,post,=HYPERLINK(1)\r\n"
    )
    folder = tmp_path / "ws"
    with open_workspace(folder, create=True) as ws:
        ws.ingest(outputs, "outputs")
        stored = ws.table("outputs", canonical_campaigns=False).order_by("output_id").execute()["campaign"].tolist()
    assert stored == ["spring\rsale", "=HYPERLINK(1)"]
    write_campaign_map(folder, _map_frame(stored))
    assert _read(folder, "outputs", ["output_id", "campaign"])["campaign"].tolist() == ["C 0", "C 1"]
