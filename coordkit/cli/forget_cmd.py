"""``coordkit forget --workspace W --contact ID [--email ADDRESS]``: erase a person from a workspace."""

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


def run_forget(args) -> int:
    from coordkit.ingest.forget import forget

    report = forget(args.workspace, contact_ids=args.contact, emails=args.email)
    print(report.summary())
    print("recorded in the workspace's erasures table (when and how many rows; not who)")
    print("not touched: the export files the data came from (erase the person there too, or the next ingest "
          "brings them back) and check-in notes (free text: read them with coordkit checkins export)")
    return 0
