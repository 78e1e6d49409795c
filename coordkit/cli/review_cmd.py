"""``coordkit review``: render the weekly outcome review (HTML, notebook, summary)."""

from __future__ import annotations

from pathlib import Path

from coordkit.errors import ParameterError


def register(subparsers) -> None:
    review = subparsers.add_parser("review", help="render the weekly outcome review for a team or all teams")
    review.add_argument("--workspace", "-w", default=".", metavar="DIR", help="workspace folder (default: current folder)")
    review.add_argument("--week", default=None, help="any date in the week or ISO 2026-W47 (default: latest complete week)")
    group = review.add_mutually_exclusive_group()
    group.add_argument("--team", default=None, help="team or client (default: all)")
    group.add_argument("--all-teams", action="store_true", help="render every team and 'all'")
    review.add_argument("--model", default=None, help="attribution model (default: the workspace's, position)")
    review.add_argument("--out", default=None, metavar="DIR", help="output folder (default: WORKSPACE/reviews)")
    review.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="another notebook parameter, e.g. -p compare=trailing4 -p title='Q4 review'")
    review.set_defaults(handler=run_review)


def parse_parameters(pairs: list[str]) -> dict:
    parameters = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(f"-p needs KEY=VALUE; got {pair!r}")
        key, value = pair.split("=", 1)
        parameters[key.strip()] = value
    return parameters


def run_review(args) -> int:
    from coordkit.report.kernels import prestart, shutdown

    # one review: its kernel starts and imports what the review needs while this process imports
    # pandas and papermill and checks the parameters (a batch starts its workers' kernels itself)
    kernel = None if args.all_teams else prestart(args.workspace)
    try:
        return _run(args, kernel)
    finally:
        if kernel is not None:
            kernel.add_done_callback(lambda done: shutdown(done.result()) if done.exception() is None else None)


def _run(args, kernel) -> int:
    from coordkit.report.review import BatchReportError, render_review, render_reviews

    parameters = parse_parameters(args.parameter)
    if args.all_teams:
        try:
            results = render_reviews(args.workspace, args.week, all_teams=True, model=args.model, out=args.out,
                                     parameters=parameters)
        except BatchReportError as exc:
            # what was written is listed first; the failures follow as one error, a line per team
            _print_results(exc.results)
            raise
    else:
        results = [render_review(args.workspace, args.week, args.team or "all", args.model, args.out, parameters,
                                 kernel_manager=kernel)]
    _print_results(results)
    if len(results) == 1:
        print()
        print(Path(results[0].summary).read_text(encoding="utf-8"))
    return 0


def _print_results(results) -> None:
    for result in results:
        print(f"{result.team}: {result.html} ({result.seconds:.1f} s)")
        print(f"  notebook {result.notebook}; summary {result.summary}")
