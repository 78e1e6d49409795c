"""The campaign map applied where tables are read: hand-written labels, expected values by hand."""

from __future__ import annotations

import pandas as pd

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
