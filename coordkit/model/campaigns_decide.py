"""Suggest, then let a person decide: the workspace-level campaign verbs.

:func:`campaign_suggestions` reads the registry, the co-occurrence evidence and
the stored map, and proposes a campaign for every label.
:func:`apply_campaign_choices` stores what a person kept, renamed or split (the
edited suggestions file, or the notebook's table) as the workspace's campaign
map; every table read from the workspace uses it from then on, and a later
ingest's new labels are the only ones left undecided.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from coordkit.csv_cells import restore_cell
from coordkit.errors import ReadError
from coordkit.ingest.campaign_map import MAP_COLUMNS, read_campaign_map, write_campaign_map
from coordkit.model.campaigns import campaign_cooccurrence, campaign_registry
from coordkit.model.campaigns_suggest import suggest_campaigns
from coordkit.model.campaigns_tokens import is_placeholder

__all__ = ["apply_campaign_choices", "campaign_suggestions", "read_campaign_choices"]


def _open(workspace, read_only=True):
    from coordkit.ingest.workspace import Workspace, open_workspace

    if isinstance(workspace, Workspace):
        return workspace, False
    return open_workspace(workspace, read_only=read_only, create=False), True


def campaign_suggestions(workspace) -> pd.DataFrame:
    """One row per label and source: ``label, source, rows, campaign, confidence, reason, suggested, ...``.

    ``campaign`` is filled only when the evidence is strong enough; labels a
    person already decided keep their campaign (confidence 1).

    >>> campaign_suggestions("acme").head()   # doctest: +SKIP
    """
    ws, owned = _open(workspace)
    try:
        registry = campaign_registry(ws)
        cooccurrence = campaign_cooccurrence(ws)
        mapping = read_campaign_map(ws.path)
    finally:
        if owned:
            ws.close()
    decided = mapping[mapping["campaign"] != ""]
    agreed = decided.groupby("label")["campaign"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "")
    return suggest_campaigns(registry, cooccurrence, agreed.to_dict(), seen=set(mapping["label"]))


def read_campaign_choices(path: str | Path) -> pd.DataFrame:
    """Read an edited suggestions file (CSV): at least ``label`` and ``campaign``."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file", hint="write one with `coordkit campaigns suggest --out FILE.csv`")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ReadError(f"{path}: cannot read it as CSV ({str(exc).splitlines()[0]})",
                        hint="save it from the spreadsheet as CSV (UTF-8)") from None
    missing = [c for c in ("label", "campaign") if c not in frame.columns]
    if missing:
        raise ReadError(
            f"{path}: missing column {missing[0]!r}; a campaigns file needs label and campaign "
            "(and table, column as `coordkit campaigns suggest` writes them)",
            hint="start from `coordkit campaigns suggest --out FILE.csv` and edit only the campaign column",
        )
    return frame


def apply_campaign_choices(workspace, choices: pd.DataFrame, source: str = "") -> tuple[Path, list[str]]:
    """Store the chosen campaigns as the workspace's map; return its path and warnings.

    Labels not in ``choices`` keep what the map said. A row with an empty
    campaign records the label as seen and undecided. Placeholders
    (``(not set)``, ``(organic)``) given a campaign are refused with a warning:
    they name no campaign.
    """
    frame = choices.copy()
    for column in MAP_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[list(MAP_COLUMNS) + [c for c in ("source", "rows", "confidence", "reason") if c in frame.columns]]
    frame = frame.fillna("").astype(str)
    for column in ("label", "campaign"):
        frame[column] = frame[column].map(restore_cell).str.strip()
    warnings = []
    where = f"{source}: " if source else ""
    empty_labels = frame.index[frame["label"] == ""]
    for index in empty_labels:
        warnings.append(f"{where}row {index + 2}: no label; skipped")
    frame = frame[frame["label"] != ""]
    placeholder = frame["label"].map(is_placeholder).astype(bool)
    bad = frame[placeholder & (frame["campaign"] != "")]
    for index, row in bad.iterrows():
        warnings.append(
            f"{where}row {index + 2}: '{row['label']}' is not a campaign (a placeholder); its campaign "
            f"'{row['campaign']}' was not stored"
        )
        frame.loc[index, "campaign"] = ""
    ws, owned = _open(workspace)
    try:
        stored = read_campaign_map(ws.path)
        if not stored.empty:
            kept_keys = set(zip(frame["label"], frame["table"], frame["column"]))
            stored = stored[[k not in kept_keys for k in zip(stored["label"], stored["table"], stored["column"])]]
            frame = pd.concat([stored, frame], ignore_index=True).fillna("")
        frame = frame.drop_duplicates(subset=["label", "table", "column"], keep="last")
        path = write_campaign_map(ws.path, frame)
        ws.mark_data_changed("campaign map")
    finally:
        if owned:
            ws.close()
    return path, warnings
