"""``coordkit campaigns suggest|apply``: one campaign, many spellings.

    coordkit campaigns suggest --workspace W --out campaigns.csv
    coordkit campaigns apply campaigns.csv --workspace W

``suggest`` writes one row per label and source with at least
``label,source,rows,campaign,confidence`` (``campaign`` empty when unsure) plus
the reason and the suggested campaign; edit ``campaign`` in a spreadsheet
(keep, rename, split) and ``apply`` stores it as the workspace's campaign map.
"""

from __future__ import annotations

from pathlib import Path

from coordkit.cli.common import add_workspace_option
from coordkit.errors import ReadError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "campaigns", help="group each tool's campaign labels into canonical campaigns (suggest, then apply)",
        description="Suggest which labels name the same campaign, then store the grouping a person decided.",
    )
    actions = parser.add_subparsers(dest="campaigns_action", metavar="ACTION")
    suggest = actions.add_parser("suggest", help="write one row per label with a suggested campaign and the reason")
    add_workspace_option(suggest)
    suggest.add_argument("--out", required=True, metavar="CSV", help="file to write (edit its campaign column)")
    suggest.set_defaults(handler=run_suggest)
    apply = actions.add_parser("apply", help="store an edited suggestions file as the workspace's campaign map")
    apply.add_argument("file", metavar="CSV", help="the edited file from `coordkit campaigns suggest`")
    add_workspace_option(apply)
    apply.set_defaults(handler=run_apply)
    coverage = actions.add_parser("coverage", help="share of outputs, spend, touchpoints and pipeline linked to a campaign")
    add_workspace_option(coverage)
    coverage.set_defaults(handler=lambda args: print_campaign_coverage(args.workspace) or 0)
    parser.set_defaults(handler=lambda args: _help(parser))


def _help(parser) -> int:
    parser.print_help()
    return 2


def run_suggest(args) -> int:
    from coordkit.model.campaigns_decide import campaign_suggestions
    from coordkit.present.safe_export import write_safe_csv

    out = Path(args.out)
    if out.parent and not out.parent.is_dir():
        raise ReadError(f"--out {out}: folder {out.parent} does not exist")
    suggestions = campaign_suggestions(args.workspace)
    write_safe_csv(suggestions, out)  # labels come from vendor exports: no spreadsheet formulas
    labels = suggestions.drop_duplicates("label")
    assigned = labels[labels["campaign"] != ""]
    campaigns = assigned["campaign"].nunique()
    undecided = labels[labels["campaign"] == ""]
    print(f"{len(labels)} labels from {suggestions['file'].nunique()} files: {len(assigned)} assigned to "
          f"{campaigns} campaigns, {len(undecided)} left undecided -> {out}")
    for row in undecided.sort_values("rows", ascending=False).head(5).itertuples():
        print(f"  undecided: {row.label!r} ({row.rows} rows): {row.reason}")
    print(f"edit the campaign column, then: coordkit campaigns apply {out} --workspace {args.workspace}")
    return 0


def run_apply(args) -> int:
    from coordkit.model.campaigns_decide import apply_campaign_choices, read_campaign_choices

    choices = read_campaign_choices(args.file)
    path, warnings = apply_campaign_choices(args.workspace, choices, source=Path(args.file).name)
    for warning in warnings:
        print(f"  warning: {warning}")
    decided = choices[choices["campaign"].fillna("") != ""]
    print(f"{decided['label'].nunique()} labels in {decided['campaign'].nunique()} campaigns stored in {path} "
          "(keep it under version control); every table now reads canonical campaigns")
    return 0


def print_campaign_coverage(workspace) -> None:
    """The campaign lines of ``coordkit status`` (also ``coordkit campaigns coverage``)."""
    from coordkit.model.campaigns_coverage import campaign_coverage

    print("campaigns:")
    for line in campaign_coverage(workspace).lines():
        print(f"  {line}")


def print_new_campaign_labels(ws) -> None:
    """After an ingest into a workspace with a campaign map: the labels the map has not seen yet."""
    from coordkit.ingest.campaign_map import campaign_map_path, read_campaign_map

    if not campaign_map_path(ws.path).exists():
        return
    from coordkit.model.campaigns import campaign_registry

    listed = set(read_campaign_map(ws.path)["label"])
    labels = campaign_registry(ws).groupby("label")["rows"].sum()
    new = labels[~labels.index.isin(listed)].sort_values(ascending=False)
    if new.empty:
        print("campaigns: every campaign label is in campaign-map.csv")
        return
    shown = ", ".join(f"'{label}'" for label in new.index[:5])
    print(f"campaigns: {len(new)} new label(s) not in campaign-map.csv ({shown}{', ...' if len(new) > 5 else ''}); "
          "run `coordkit campaigns suggest` to place them")
