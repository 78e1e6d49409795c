"""Render the weekly outcome review with papermill: HTML, executed notebook, Markdown summary.

``render_review`` runs the packaged ``weekly_review.ipynb`` for one (week, team)
and writes, atomically, ``OUT/<ISO week>/<team>.html`` (self-contained: no
code, charts as inline SVG, no network), ``<team>.ipynb`` (the executed
notebook), ``<team>.md`` (a summary for chat or e-mail) and ``<team>.json``
(key figures). Parameters are checked *before* a kernel starts: an unknown
parameter, a malformed week or an unknown team is an error that lists what is
accepted. A failed run leaves no partial HTML, keeps the failed notebook for
debugging and raises :class:`~coordkit.errors.ReportError` naming the cell.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from coordkit.analysis.review import ALL_TEAMS, ReviewContext, review_context
from coordkit.analysis.what_moved import check_compare
from coordkit.errors import ParameterError, ReportError, allowed_values_message
from coordkit.filenames import report_stem
from coordkit.model.calendar import iso_week_label
from coordkit.packaged import notebook_file
from coordkit.report.kernels import KERNEL_ARGUMENTS, clear_namespace, prestart, shutdown, start_kernel

__all__ = ["BatchReportError", "RenderResult", "check_parameters", "declared_parameters", "notebook_path", "render_review", "render_reviews"]

#: parameters the CLI sets itself; users set the others with -p key=value
MANAGED = ("workspace", "week", "team", "model", "sidecar", "snapshot")


@dataclass
class RenderResult:
    """Where one rendered review went."""

    week: dt.date
    team: str
    html: Path
    notebook: Path
    summary: Path
    sidecar: Path
    seconds: float


def notebook_path() -> Path:
    """The review notebook shipped inside the coordkit package."""
    return notebook_file("weekly_review.ipynb")


def declared_parameters(path: Path | None = None) -> dict[str, object]:
    """Parameters declared in the notebook's ``parameters`` cell, with their defaults."""
    path = Path(path or notebook_path())
    stat = path.stat()
    return dict(_declared(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _declared(path: str, mtime_ns: int, size: int) -> dict[str, object]:
    # papermill parses the notebook to find them: once per notebook version, not once per team of a batch
    import papermill

    inferred = papermill.inspect_notebook(path)
    return {name: info["default"] for name, info in inferred.items()}


#: scratch folders of renders in progress; one older than STALE_SCRATCH_SECONDS was left by a killed render
SCRATCH_PREFIX = ".rendering-"
STALE_SCRATCH_SECONDS = 3600


def remove_stale_scratch(out_dir: Path, older_than: float = STALE_SCRATCH_SECONDS) -> list[Path]:
    """Delete ``.rendering-*`` folders a killed render left behind (a running render's is younger)."""
    removed = []
    now = time.time()
    for folder in out_dir.glob(f"{SCRATCH_PREFIX}*"):
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > older_than:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except OSError:  # another process removed it first
            continue
    return removed


class BatchReportError(ReportError):
    """Some reviews of a batch failed; the others were written (``results``)."""

    def __init__(self, failures: list[tuple[str, str]], results: list, total: int):
        lines = [f"{len(failures)} of {total} reviews failed; the others were written:"]
        lines += [f"  {team}: {message}" for team, message in failures]
        super().__init__("\n".join(lines), hint="fix the failures above and render those teams again with --team")
        self.failures = failures
        self.results = results


def _one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, ReportError) else f"{type(exc).__name__}: {exc}"
    return " ".join(str(text).split())


def check_parameters(parameters: dict, context: ReviewContext, declared: dict) -> dict:
    """Validate every parameter before a kernel starts; return them normalised."""
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ParameterError(
            allowed_values_message("parameter", unknown[0], sorted(declared)),
            hint="papermill would only warn and render the wrong report; fix the name and run again",
        )
    out = dict(parameters)
    # a week outside the data is refused here, with the range, before any kernel starts
    out["week"] = context.check_week(out.get("week") or None).isoformat()
    team = out.get("team") or ALL_TEAMS
    if team != ALL_TEAMS and team not in context.teams:
        raise ParameterError(allowed_values_message("team", team, [ALL_TEAMS, *context.teams]))
    out["team"] = team
    model = out.get("model") or context.config.default_model
    # checks the name (the error lists the models) and computes the credit once, here, for every
    # kernel to load from the cache; with a warm cache the engine is not even imported
    context.credit(model)
    out["model"] = model
    if "compare" in out:
        out["compare"] = check_compare(out.get("compare") or "auto")
    for name, value in out.items():
        if not isinstance(value, (str, int, float, bool)):
            raise ParameterError(f"parameter {name!r} must be text or a number; got {type(value).__name__}")
    return out


def _export_html(notebook_file: Path, html_file: Path, title: str | None = None) -> None:
    """Export an executed review notebook to self-contained HTML without code (see html_export)."""
    from coordkit.report.html_export import notebook_to_html

    notebook_to_html(notebook_file, html_file, title)


def _failure_line(exc) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    cell = getattr(exc, "exec_count", None)
    where = f"cell {cell}" if cell else "a cell"
    return f"{where} raised {ename}: {evalue[0] if evalue else ''}"


def render_review(
    workspace: str | Path = ".",
    week=None,
    team: str = ALL_TEAMS,
    model: str | None = None,
    out: str | Path | None = None,
    parameters: dict | None = None,
    context: ReviewContext | None = None,
    kernel_name: str | None = None,
    kernel_manager=None,
) -> RenderResult:
    """Render one weekly review; return where its files went.

    >>> result = render_review("demo", week="2026-W47", team="emea")   # doctest: +SKIP
    >>> result.html                                                    # doctest: +SKIP
    PosixPath('demo/reviews/2026-W47/emea.html')

    ``kernel_manager``: a started Jupyter kernel to run in (``render_reviews``
    reuses one per worker), or a future of one (:func:`~coordkit.report.kernels.prestart`,
    which ``coordkit review`` calls before its own imports); its namespace is
    cleared first, so no variable leaks from one team's review into the next.
    Without one, a kernel is started here, in the background while the
    parameters are checked, and stopped at the end.
    """
    started = time.perf_counter()
    workspace = Path(workspace).resolve()
    own_kernel = None
    if kernel_manager is None:
        kernel_manager = own_kernel = prestart(workspace, kernel_name)
    try:
        return _render(workspace, week, team, model, out, parameters, context, kernel_name, kernel_manager, started)
    finally:
        if own_kernel is not None:
            _shutdown_when_started([own_kernel])


def _shutdown_when_started(kernels) -> None:
    for future in kernels:
        future.add_done_callback(lambda done: shutdown(done.result()) if done.exception() is None else None)


def _kernel(kernel_manager):
    """The kernel to execute in: a manager, a prestarted one once ready, or None (papermill starts one)."""
    if hasattr(kernel_manager, "result"):
        try:
            return kernel_manager.result()
        except Exception:  # noqa: BLE001 - papermill then starts one itself and reports its failure
            return None
    return kernel_manager


def _render(workspace, week, team, model, out, parameters, context, kernel_name, kernel_manager, started) -> RenderResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    context = context or review_context(workspace)
    declared = declared_parameters()
    given = dict(parameters or {})
    clash = sorted(set(given) & set(MANAGED))
    if clash:
        raise ParameterError(
            f"parameter {clash[0]!r} is set by its own option; use --{clash[0]} instead of -p {clash[0]}=...",
        )
    params = check_parameters({**given, "week": week or "", "team": team, "model": model or ""}, context, declared)
    week_start = dt.date.fromisoformat(params["week"])
    # absolute: the kernel runs in the workspace folder, so relative paths would point elsewhere
    out_dir = Path(out or workspace / "reviews").resolve() / iso_week_label(week_start)
    out_dir.mkdir(parents=True, exist_ok=True)
    label = report_stem(params["team"])
    final = {suffix: out_dir / f"{label}{suffix}" for suffix in (".html", ".ipynb", ".md", ".json")}
    failed_copy = out_dir / f"{label}.failed.ipynb"
    remove_stale_scratch(out_dir)

    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=out_dir) as scratch:
        scratch = Path(scratch)
        executed = scratch / "review.ipynb"
        params.update(workspace=str(workspace), sidecar=str(scratch / "review.json"))
        if "snapshot" in declared and context.snapshot:
            # every kernel of a batch reads the store state the batch started from, even if an ingest lands meanwhile
            params["snapshot"] = context.snapshot
        try:
            # papermill's cwd= changes the whole process's directory while it runs; a reused kernel
            # already runs in the workspace, and batch renders run in threads, so it is not passed then
            engine = {"extra_arguments": KERNEL_ARGUMENTS, "cwd": str(workspace)}
            manager = _kernel(kernel_manager)
            if manager is not None:
                clear_namespace(manager)
                engine = {"km": manager}
            # the executed notebook is written once, at the end or at the failing cell, instead of
            # after every cell's start and end (about 50 writes of the growing notebook per review)
            papermill.execute_notebook(
                str(notebook_path()), str(executed), parameters=params, progress_bar=False,
                kernel_name=kernel_name, log_output=False, request_save_on_cell_execute=False, **engine,
            )
        except PapermillExecutionError as exc:
            if executed.exists():
                shutil.copyfile(executed, failed_copy)
            raise ReportError(
                f"review for team {params['team']!r}, week {iso_week_label(week_start)} failed: {_failure_line(exc)}",
                hint=f"the failed notebook is kept at {failed_copy}; no HTML was written",
            ) from None
        except Exception as exc:  # kernel died, timeout, missing kernel
            if executed.exists():
                shutil.copyfile(executed, failed_copy)
            raise ReportError(
                f"review for team {params['team']!r}, week {iso_week_label(week_start)} failed: {type(exc).__name__}: {exc}",
                hint=f"the failed notebook (if any) is kept at {failed_copy}; no HTML was written",
            ) from None
        scope = "all teams" if params["team"] == ALL_TEAMS else params["team"]
        _export_html(executed, scratch / "review.html", f"Weekly outcome review: {scope}, {iso_week_label(week_start)}")
        for written in ("review.json", "review.md"):
            if not (scratch / written).exists():
                raise ReportError(f"the review notebook did not write {written}", hint="its last cell must call coordkit.save_review_files")
        summary = scratch / "review.md"
        summary.write_text(summary.read_text(encoding="utf-8").rstrip("\n") + f"\n\nFull review: {final['.html'].name}\n",
                           encoding="utf-8")
        # publish: every file is complete before it takes its final name
        for suffix, source in ((".ipynb", executed), (".json", scratch / "review.json"), (".md", scratch / "review.md"), (".html", scratch / "review.html")):
            os.replace(source, final[suffix])
    if failed_copy.exists():
        failed_copy.unlink()
    return RenderResult(week_start, params["team"], final[".html"], final[".ipynb"], final[".md"], final[".json"],
                        time.perf_counter() - started)


def render_reviews(
    workspace: str | Path = ".",
    week=None,
    teams: list[str] | None = None,
    all_teams: bool = False,
    model: str | None = None,
    out: str | Path | None = None,
    parameters: dict | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> list[RenderResult]:
    """Render several teams' reviews (``all_teams``: every team plus ``all``), sharing the workspace read.

    The workspace is read and attributed once, here; each team's kernel loads
    the cached frames. Kernels run ``workers`` at a time (default: one per
    core, at most 4), since most of a render is kernel start-up and imports.
    Every review is attempted, whatever fails (a kernel that will not start,
    a folder that cannot be written, a bug); if any failed,
    :class:`BatchReportError` lists every failure on a line of its own and
    carries the reviews that were written.
    """
    from tqdm import tqdm

    # absolute paths before any thread starts: nothing below may depend on the process's directory
    workspace = Path(workspace).resolve()
    out = Path(out).resolve() if out is not None else None
    workers = workers or max(1, min(4, os.cpu_count() or 1, len(teams) if teams and not all_teams else 4))
    # the workers' kernels start (and import what a review needs) while the workspace is read here
    kernels = [prestart(workspace, start=start_kernel) for _ in range(workers)]
    try:
        context = review_context(workspace)
        # attribute once here; every team's kernel then loads the cached credit
        context.credit(model or context.config.default_model)
        if all_teams:
            teams = [ALL_TEAMS, *context.teams]
        teams = teams or [ALL_TEAMS]
        declared = declared_parameters()
        for team in teams:  # fail on a bad team before any review runs
            check_parameters({"team": team, "week": week or "", "model": model or ""}, context, declared)
    except BaseException:
        _shutdown_when_started(kernels)
        raise
    _shutdown_when_started(kernels[len(teams):])
    kernels = kernels[:len(teams)]
    results: dict[str, RenderResult] = {}
    failures: dict[str, str] = {}
    queue = list(teams)
    lock = threading.Lock()
    bar = tqdm(total=len(teams), desc="rendering reviews", unit="team", disable=not progress)

    def worker(prestarted) -> None:
        # one kernel per worker, reused for its teams: imports are paid once per worker, not per team
        manager = None
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    team = queue.pop(0)
                try:
                    if manager is None and prestarted is not None:
                        manager, prestarted = _kernel(prestarted), None
                    if manager is None or not manager.is_alive():
                        manager = start_kernel(workspace)
                    result = render_review(workspace, week, team, model, out, parameters, context, kernel_manager=manager)
                    with lock:
                        results[team] = result
                except Exception as exc:  # noqa: BLE001 - one team's failure must not end the batch or print a traceback
                    with lock:
                        failures[team] = _one_line(exc)
                bar.update(1)
        finally:
            shutdown(manager)
            if prestarted is not None:
                _shutdown_when_started([prestarted])

    threads = [threading.Thread(target=worker, args=(kernel,), name=f"review-{n}") for n, kernel in enumerate(kernels)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bar.close()
    if failures:
        raise BatchReportError([(team, failures[team]) for team in teams if team in failures],
                               [results[team] for team in teams if team in results], len(teams))
    return [results[team] for team in teams]
