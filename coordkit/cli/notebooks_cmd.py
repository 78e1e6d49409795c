"""``coordkit notebooks DIR`` and ``coordkit init DIR``: start working on your own data.

``notebooks`` copies the notebooks shipped in the package into a folder of the
user's, with each one's ``workspace`` parameter pointing at the chosen
workspace, so someone who installed coordkit from a wheel can open them in
JupyterLab. ``init`` creates a new, empty workspace (the only commands that
create one are ``init``, ``demo`` and ``ingest --create``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from coordkit.errors import ParameterError, WorkspaceError
from coordkit.packaged import normalise_notebook

_WORKSPACE_LINE = re.compile(r"^workspace = .*$", re.MULTILINE)


def register(subparsers) -> None:
    notebooks = subparsers.add_parser("notebooks", help="copy the review, what-moved and check-in notebooks into a folder")
    notebooks.add_argument("directory", metavar="DIR", help="folder to copy them into (created if missing)")
    notebooks.add_argument("--workspace", "-w", default=".", metavar="W",
                           help="workspace the notebooks open (default: the current folder); "
                                "a relative path is written relative to DIR, since JupyterLab runs a notebook in its own folder")
    notebooks.add_argument("--force", action="store_true", help="overwrite notebooks already in DIR")
    notebooks.set_defaults(handler=run_notebooks)

    init = subparsers.add_parser("init", help="create a new, empty workspace in a folder")
    init.add_argument("directory", nargs="?", default=".", metavar="DIR", help="workspace folder (default: current folder)")
    init.set_defaults(handler=run_init)


def workspace_literal(workspace: str, directory: Path) -> str:
    """The ``workspace`` value a notebook in ``directory`` needs to reach ``workspace``."""
    target = Path(workspace).expanduser()
    if target.is_absolute():
        return str(target)
    # the user typed a path relative to where they are; the kernel starts in DIR
    return Path(os.path.relpath(Path.cwd() / target, Path.cwd() / directory)).as_posix()


def with_workspace(text: str, workspace: str) -> str:
    """A notebook's JSON with its parameters cell's ``workspace = ...`` line set to ``workspace``."""
    notebook = json.loads(text)
    cells = [c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    source = "".join(cells[0]["source"]) if cells else ""
    if not _WORKSPACE_LINE.search(source):
        raise ParameterError("a packaged notebook has no `workspace = ...` parameter line", hint="reinstall coordkit")
    # json.dumps gives a valid Python string literal for any path (quotes, backslashes, non-ASCII)
    line = f"workspace = {json.dumps(workspace, ensure_ascii=False)}  # the workspace folder, relative to this notebook's folder"
    cells[0]["source"] = _WORKSPACE_LINE.sub(lambda _: line, source, count=1).splitlines(keepends=True)
    return normalise_notebook(json.dumps(notebook))


def run_notebooks(args) -> int:
    from coordkit.ingest.workspace import STORE_DIR, STORE_FILE
    from coordkit.packaged import NOTEBOOKS, notebook_file

    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise ParameterError(f"{directory} is a file, not a folder", hint="name a folder to copy the notebooks into")
    clashes = [name for name in NOTEBOOKS if (directory / name).exists()]
    if clashes and not args.force:
        raise ParameterError(
            f"{directory / clashes[0]} already exists; coordkit notebooks does not overwrite notebooks",
            hint="choose another folder, or pass --force to replace them",
        )
    directory.mkdir(parents=True, exist_ok=True)
    literal = workspace_literal(args.workspace, directory)
    for name in NOTEBOOKS:
        text = with_workspace(notebook_file(name).read_text(encoding="utf-8"), literal)
        (directory / name).write_text(text, encoding="utf-8")
        print(f"wrote {directory / name}")
    print(f"their workspace parameter is {literal!r} (from the notebooks' folder)")
    if not (Path(args.workspace).expanduser() / STORE_DIR / STORE_FILE).exists():
        print(f"note: {args.workspace} is not a coordkit workspace yet; create it with "
              f"`coordkit init {args.workspace}` or `coordkit demo {args.workspace}`")
    print(f"open them with: jupyter lab {directory}   (needs the lab extra: pip install 'coordkit[lab]')")
    return 0


def run_init(args) -> int:
    from coordkit.config import CONFIG_FILE
    from coordkit.ingest.workspace import STORE_DIR, STORE_FILE, open_workspace

    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise WorkspaceError(f"{directory} is a file, not a folder", hint="choose a folder for the workspace")
    if (directory / STORE_DIR / STORE_FILE).exists():
        print(f"{directory} is already a coordkit workspace; nothing to do")
        return 0
    with open_workspace(directory, create=True):
        pass
    print(f"created an empty workspace in {directory} ({STORE_DIR}/{STORE_FILE}; settings go in {CONFIG_FILE})")
    print(f"next: coordkit ingest FILE --preset NAME --workspace {directory}   (coordkit presets lists them)")
    return 0
