"""Files that ship inside the coordkit package: the notebooks and the HTML template.

They are package data (``coordkit/notebooks/*.ipynb``, ``coordkit/templates/*``)
loaded through :mod:`importlib.resources`, so ``coordkit review``, ``coordkit
demo`` and ``coordkit notebooks`` work the same from a wheel, an editable
install or a source checkout, whatever the current folder. The repository's
``notebooks/`` folder holds byte-identical copies for people who open them in
JupyterLab from a clone (``make notebooks`` refreshes them; a test fails when
the two differ).
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

from coordkit.errors import ReportError

__all__ = ["NOTEBOOKS", "notebook_file", "template_dir"]

#: the notebooks coordkit ships, in the order ``coordkit notebooks`` lists them
NOTEBOOKS = ("weekly_review.ipynb", "what_moved.ipynb", "checkin.ipynb", "campaigns.ipynb")

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def _real_path(*parts: str) -> Path:
    """A filesystem path for a packaged resource (extracted once if coordkit runs from a zip)."""
    resource = resources.files("coordkit").joinpath(*parts)
    if isinstance(resource, Path):
        path = resource
    else:  # pragma: no cover - zipped installs only
        path = Path(_extracted.enter_context(resources.as_file(resource)))
    if not path.exists():
        raise ReportError(
            f"{'/'.join(parts)} is missing from the installed coordkit package ({path})",
            hint="reinstall coordkit (pip install --force-reinstall coordkit); the wheel ships it",
        )
    return path


def notebook_file(name: str) -> Path:
    """Path of a packaged notebook, e.g. ``notebook_file("weekly_review.ipynb")``."""
    if name not in NOTEBOOKS:
        from coordkit.errors import allowed_values_message

        raise ReportError(allowed_values_message("notebook", name, NOTEBOOKS))
    return _real_path("notebooks", name)


def template_dir() -> Path:
    """Folder of the packaged HTML template (``review.html.j2`` and ``review.css``)."""
    return _real_path("templates")


#: the notebook metadata JupyterLab writes for coordkit's kernel; committed notebooks carry exactly this
#: (plus a title), so opening one does not rewrite it (``language_info`` beyond the name is the
#: running Python's and is dropped again by ``normalise_notebook``)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
KEPT_NOTEBOOK_METADATA = ("title",)
KEPT_CELL_METADATA = ("tags",)


def normalise_notebook(text: str) -> str:
    """The committed form of a notebook: no outputs, no execution counts, pinned metadata, nbformat's layout.

    Idempotent; ``tests/test_notebooks_committed_clean.py`` checks that every
    committed notebook already is in this form.
    """
    import nbformat

    notebook = nbformat.reads(text, as_version=4)
    normalise_notebook_content(notebook)
    return nbformat.writes(notebook) + "\n"


def normalise_notebook_content(notebook) -> None:
    """Bring a notebook (an nbformat node, as a Jupyter server holds it) to its committed form, in place."""
    import nbformat

    notebook.nbformat_minor = max(notebook.get("nbformat_minor", 5), 5)
    kept = {key: notebook.metadata[key] for key in KEPT_NOTEBOOK_METADATA if key in notebook.metadata}
    notebook.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}, **kept})
    for cell in notebook.cells:
        cell.metadata = nbformat.from_dict({key: cell.metadata[key] for key in KEPT_CELL_METADATA if key in cell.metadata})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
