"""`coordkit campaigns` and `coordkit attribute --workspace`: located one-line errors, no tracebacks."""

from __future__ import annotations

from coordkit.cli import main


def _workspace(tmp_path):
    from coordkit.ingest.workspace import open_workspace

    outputs = tmp_path / "outputs.csv"
    outputs.write_text(
        "output_id,published_at,channel,kind,campaign\n"
        "a,2026-09-01T10:00:00Z,paid_search,ad,TB | Search | Spend Leak Report\n"
        "b,2026-09-02T10:00:00Z,paid_social,ad,TB_SpendLeakReport_LeadGen_2026\n",
        encoding="utf-8",
    )
    folder = tmp_path / "ws"
    with open_workspace(folder, create=True) as ws:
        ws.ingest(outputs, "outputs")
    return folder


def test_apply_names_a_missing_file_and_a_missing_column(tmp_path, capsys):
    folder = _workspace(tmp_path)
    assert main(["campaigns", "apply", str(tmp_path / "nope.csv"), "--workspace", str(folder)]) == 3
    assert "nope.csv: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("label,group\nx,y\n", encoding="utf-8")
    assert main(["campaigns", "apply", str(bad), "--workspace", str(folder)]) == 3
    err = capsys.readouterr().err
    assert "bad.csv: missing column 'campaign'" in err and "Traceback" not in err


def test_apply_refuses_to_give_a_placeholder_a_campaign(tmp_path, capsys):
    folder = _workspace(tmp_path)
    edited = tmp_path / "campaigns.csv"
    edited.write_text(
        "label,source,rows,campaign,confidence,table,column\n"
        "(not set),ga4,3,Spend Leak,0,sessions,campaign\n"
        "TB | Search | Spend Leak Report,gads,1,Spend Leak,0.9,outputs,campaign\n",
        encoding="utf-8",
    )
    assert main(["campaigns", "apply", str(edited), "--workspace", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "row 2: '(not set)' is not a campaign" in out
    text = (folder / "campaign-map.csv").read_text(encoding="utf-8")
    assert "(not set),sessions,campaign,," in text


def test_suggest_then_apply_round_trip_groups_the_two_spellings(tmp_path, capsys):
    folder = _workspace(tmp_path)
    out = tmp_path / "campaigns.csv"
    assert main(["campaigns", "suggest", "--workspace", str(folder), "--out", str(out)]) == 0
    assert "2 labels from 1 files: 2 assigned to 1 campaigns" in capsys.readouterr().out
    assert main(["campaigns", "apply", str(out), "--workspace", str(folder)]) == 0
    from coordkit.ingest.workspace import open_workspace

    with open_workspace(folder, read_only=True) as ws:
        assert ws.table("outputs").campaign.nunique().execute() == 1


def test_attribute_workspace_checks_its_options(tmp_path, capsys):
    folder = _workspace(tmp_path)
    out = str(tmp_path / "credit.csv")
    assert main(["attribute", "--workspace", str(folder), "--model", "sourced", "--by", "team", "--out", out]) == 2
    assert "--by" in capsys.readouterr().err
    assert main(["attribute", "--workspace", str(folder), "--model", "nonsense", "--out", out]) == 2
    assert "sourced" in capsys.readouterr().err
    assert main(["attribute", "--model", "linear", "--out", out]) == 2
    assert "--workspace" in capsys.readouterr().err


def test_an_ingest_after_the_map_names_only_the_new_labels(tmp_path, capsys):
    folder = _workspace(tmp_path)
    out = tmp_path / "campaigns.csv"
    assert main(["campaigns", "suggest", "--workspace", str(folder), "--out", str(out)]) == 0
    assert main(["campaigns", "apply", str(out), "--workspace", str(folder)]) == 0
    more = tmp_path / "more.csv"
    more.write_text("output_id,published_at,channel,kind,campaign\n"
                    "c,2026-09-05T10:00:00Z,social,post,Partner Summit 2026\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["ingest", str(more), "--as", "outputs", "--workspace", str(folder)]) == 0
    assert "1 new label(s) not in campaign-map.csv ('Partner Summit 2026')" in capsys.readouterr().out
