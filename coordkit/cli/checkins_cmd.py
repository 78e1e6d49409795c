"""``coordkit checkins export|import``: save check-in notes to a file and restore them.

Check-in notes live only in the workspace store; export them before moving,
rebuilding or sharing a store, and import them into the new one.
"""

from __future__ import annotations

from coordkit.cli.common import add_workspace_option


def register(subparsers) -> None:
    checkins = subparsers.add_parser("checkins", help="export check-in notes to a file, or import them into a workspace")
    actions = checkins.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write every check-in note to a JSON file")
    export.add_argument("path", metavar="FILE.json")
    add_workspace_option(export)
    export.set_defaults(handler=run_export)
    restore = actions.add_parser("import", help="add the notes of an export file (notes already there are skipped)")
    restore.add_argument("path", metavar="FILE.json")
    add_workspace_option(restore)
    restore.set_defaults(handler=run_import)


def run_export(args) -> int:
    from coordkit.ingest.checkins_transfer import export_checkins

    count = export_checkins(args.workspace, args.path)
    print(f"exported {count} check-in notes from {args.workspace} to {args.path}")
    return 0


def run_import(args) -> int:
    from coordkit.ingest.checkins_transfer import import_checkins

    added, skipped = import_checkins(args.workspace, args.path)
    print(f"imported {added} check-in notes into {args.workspace} ({skipped} already there)")
    return 0
