"""``coordkit forget --workspace W --contact ID [--email ADDRESS]``: erase a person from a workspace.

``coordkit prune --workspace W``: apply the ``rejected_rows`` retention setting now (ingests apply it too).
"""

from __future__ import annotations

from coordkit.cli.common import add_workspace_option


def register(subparsers) -> None:
    forget = subparsers.add_parser(
        "forget", help="erase a person's rows from every table (GDPR/CCPA erasure); records that it did, not who")
    add_workspace_option(forget)
    forget.add_argument("--contact", action="append", default=[], metavar="ID", help="contact id to erase (repeatable)")
    forget.add_argument("--email", action="append", default=[], metavar="ADDRESS",
                        help="e-mail address to erase, with the contact ids found next to it (repeatable)")
    forget.set_defaults(handler=run_forget)

    prune = subparsers.add_parser(
        "prune", help="apply the rejected_rows retention of coordkit.yaml now (every ingest does it too)")
    add_workspace_option(prune)
    prune.set_defaults(handler=run_prune)


def run_forget(args) -> int:
    from coordkit.ingest.forget import forget

    report = forget(args.workspace, contact_ids=args.contact, emails=args.email)
    print(report.summary())
    print("recorded in the workspace's erasures table (when and how many rows; not who)")
    print("not touched: the export files the data came from (erase the person there too, or the next ingest "
          "brings them back); check-in notes can still name the person in words (read them with "
          "coordkit checkins export)")
    return 0


def run_prune(args) -> int:
    from coordkit.ingest.retention import prune_rejected_rows, retention_summary
    from coordkit.ingest.workspace import open_workspace

    result = prune_rejected_rows(args.workspace)
    with open_workspace(args.workspace, read_only=True) as ws:
        policy = ws.config.rejected_rows
        print(result.summary(policy))
        print(retention_summary(ws.duckdb, policy))
    return 0
