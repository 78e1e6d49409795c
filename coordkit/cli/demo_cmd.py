"""``coordkit demo [DIR]``: build the demo workspace and render its latest weekly review."""

from __future__ import annotations

import time
from pathlib import Path

# files in ingest order: outputs first so touches and outcomes can link to them
DEMO_FILES = (
    ("outputs.csv", "outputs"),
    ("touchpoints.csv", "touchpoints"),
    ("outcomes.csv", "outcomes"),
    ("outcomes_update.csv", "outcomes"),
    ("targets.csv", "targets"),
    ("spend.csv", "spend"),
    ("outcome_stages.csv", "outcome_stages"),
    ("lead_stages.csv", "outcome_stages"),
)


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="write the synthetic demo workspace, ingest it and render its weekly review")
    demo.add_argument("directory", nargs="?", default="demo", metavar="DIR", help="folder for the demo workspace (default: demo)")
    demo.add_argument("--seed", type=int, default=None, help="random seed (default: the documented one)")
    demo.add_argument("--no-review", action="store_true", help="only write and ingest the data")
    demo.add_argument("--teams", type=int, default=None, metavar="N",
                      help="split the three demo teams into N teams (for timing reviews of many teams or clients)")
    demo.set_defaults(handler=run_demo)


def build_demo_workspace(directory: Path, seed: int | None = None, echo=print, teams: int | None = None) -> Path:
    """Generate the demo exports into ``DIR/exports`` and ingest them into the workspace ``DIR``."""
    from coordkit.demo import DEFAULT_SEED, generate_demo
    from coordkit.errors import WorkspaceError
    from coordkit.ingest.workspace import STORE_DIR, STORE_FILE, open_workspace

    directory = Path(directory)
    store = directory / STORE_DIR
    notes = None
    if (store / STORE_FILE).exists():
        if not (directory / "exports" / "ground_truth.json").exists():
            # a real workspace named by mistake: rebuilding would erase its data and its check-in notes
            raise WorkspaceError(f"{directory} is a workspace that `coordkit demo` did not build; it is left untouched",
                                 hint="give the demo a folder of its own, e.g. `coordkit demo demo`")
        notes = _keep_checkin_notes(directory, echo)
    if store.exists():
        # a demo is rebuilt from scratch so its counts always match GROUND_TRUTH.md
        for child in sorted(store.iterdir()):
            if child.is_file():
                child.unlink()
    started = time.perf_counter()
    files = generate_demo(directory / "exports", seed=DEFAULT_SEED if seed is None else seed)
    echo(f"wrote demo exports to {directory / 'exports'} ({time.perf_counter() - started:.1f} s); ground truth: {files['ground_truth_md']}")
    if teams:
        from coordkit.demo.many_teams import split_teams

        echo(f"split the demo into {len(split_teams(directory / 'exports', teams))} teams")
    with open_workspace(directory, create=True) as ws:
        for name, table in DEMO_FILES:
            report = ws.ingest(directory / "exports" / name, table)
            echo(report.summary())
    if notes is not None:
        from coordkit.ingest.checkins_transfer import import_checkins

        added, _ = import_checkins(directory, notes)
        echo(f"restored {added} check-in notes (a copy stays in {notes})")
    return directory


def _keep_checkin_notes(directory: Path, echo) -> Path | None:
    """Export the demo's check-in notes before it is rebuilt (they live only in the store)."""
    from coordkit.ingest.checkins import list_checkins
    from coordkit.ingest.checkins_transfer import export_checkins

    if list_checkins(directory).empty:
        return None
    path = directory / f"checkins-backup-{time.strftime('%Y%m%dT%H%M%S')}.json"
    count = export_checkins(directory, path)
    echo(f"saved {count} check-in notes to {path} before rebuilding the demo")
    return path


def run_demo(args) -> int:
    directory = build_demo_workspace(Path(args.directory), args.seed, teams=args.teams)
    if args.no_review:
        return 0
    try:
        from coordkit.report.review import render_reviews
    except ModuleNotFoundError:
        print("weekly review not available yet; workspace ready at", directory.resolve())
        return 0
    results = render_reviews(directory, all_teams=True, out=directory / "reviews")
    for result in results:
        print(f"review: {result.html.resolve()}")
    return 0
