"""The Jupyter kernels that execute the review notebook: started early, warmed, reused, cleared.

A review's kernel spends seconds before the notebook's first cell does any
work: the kernel process starts, then imports pandas, Altair and coordkit and
starts vl-convert's JavaScript engine. :func:`prestart` begins all of that in
a background thread as soon as ``coordkit review`` knows the workspace, so it
overlaps with the command's own imports and parameter checks; papermill then
executes the whole notebook, every cell, on the warm kernel. A batch reuses
one kernel per worker, its user namespace cleared between two teams
(:func:`clear_namespace`); only imported modules and the caches of the
batch's pinned snapshot stay (see ``coordkit.analysis.review_context``).

This module imports nothing heavy itself: the CLI imports it before pandas.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from coordkit.errors import ReportError

__all__ = ["KERNEL_ARGUMENTS", "clear_namespace", "prestart", "shutdown", "start_kernel", "warm"]

#: the kernel's own log (e.g. ipykernel 7's "running over TCP without encryption" for a local
#: kernel) is noise in a report run; cell errors still arrive as messages. IPython's input history
#: is an SQLite file written after every cell: a review kernel never reads it back.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"]

#: what every review imports, run before the notebook (it binds no name the notebook relies on:
#: the namespace is cleared before the notebook runs); vl-convert's engine warms in a thread, and
#: the current store state's cached frames and stage history are loaded (see review_context.prefetch)
WARM_UP_CODE = (
    "import coordkit.analysis.review, coordkit.present.review_view, coordkit.present.pipeline_view\n"
    "coordkit.present.charts.warm_up()\n"
    "coordkit.analysis.review_context.prefetch({workspace!r})\n"
)

#: clears the user namespace like ``%reset -f`` but without its full garbage collection (0.1-0.3 s
#: per team with pandas and Altair loaded); the review's objects are freed by reference counting,
#: and Python's own collector still runs as usual
CLEAR_CODE = """
def _ck_clear(ip=get_ipython()):
    hook = ip.displayhook
    full, hook.do_full_cache = hook.do_full_cache, False
    try:
        ip.reset(new_session=False)
    finally:
        hook.do_full_cache = full
    # what the skipped flush does besides collecting: forget the last outputs (_, __, ___)
    hook._, hook.__, hook.___ = "", "", ""
    ip.user_ns.update({"_": "", "__": "", "___": ""})
_ck_clear()
"""


def start_kernel(workspace: Path, kernel_name: str | None = None):
    """Start a Jupyter kernel in the workspace folder, for one or several renders in a row."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name=kernel_name or "python3")
    manager.start_kernel(cwd=str(workspace), extra_arguments=KERNEL_ARGUMENTS)
    return manager


def _run(manager, code: str, what: str) -> None:
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        # the notebook shows its own output; what this code prints (a cache warning) is not for the reader
        reply = client.execute_interactive(code, timeout=120, store_history=False, output_hook=lambda message: None)
        if reply["content"]["status"] != "ok":
            raise ReportError(f"could not {what} the review kernel: {reply['content'].get('ename', 'error')}",
                              hint="run the teams one by one with --team")
    finally:
        client.stop_channels()


def warm(manager, workspace: str | Path) -> None:
    """Import what a review needs, start the chart converter and load the workspace's cached data in the kernel."""
    _run(manager, WARM_UP_CODE.format(workspace=str(Path(workspace).resolve())), "warm up")


def clear_namespace(manager) -> None:
    """Clear the kernel's variables before the next review (imported modules stay loaded: that is the time saved)."""
    _run(manager, CLEAR_CODE, "reset")


def prestart(workspace: str | Path, kernel_name: str | None = None, start=None) -> Future:
    """Start and warm a review kernel in a background thread; the future gives the manager.

    ``start`` (default :func:`start_kernel`) starts the kernel. A kernel that
    fails to start or warm is shut down and its error is raised by
    ``future.result()``; the caller then starts one the ordinary way.
    """
    future: Future = Future()
    folder = Path(workspace).resolve()

    def run() -> None:
        manager = None
        try:
            manager = (start or start_kernel)(folder, kernel_name)
            warm(manager, folder)
            future.set_result(manager)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the kernel
            shutdown(manager)
            future.set_exception(exc)

    threading.Thread(target=run, name="coordkit-review-kernel", daemon=True).start()
    return future


def shutdown(manager) -> None:
    """Stop a kernel (nothing when there is none or it is already gone)."""
    if manager is None:
        return
    try:
        manager.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - the kernel is already gone
        pass
