"""Keep the repository's notebooks unchanged when people open and run them in JupyterLab.

A Jupyter server extension (enabled by ``etc/jupyter/jupyter_server_config.d/
coordkit.json``, which the package installs): before a save, a notebook that
is one of coordkit's committed copies (``notebooks/<name>`` beside
``coordkit/notebooks/<name>`` in a checkout, or the packaged copy itself) is
brought to its committed form: no outputs, no execution counts, no metadata
JupyterLab adds (``language_info`` of the running Python, widget state,
collapse and timing flags). Edits to cells are saved as usual, so a real change
still shows in ``git status``; opening, running and autosaving do not.
Notebooks anywhere else, such as the copies ``coordkit notebooks DIR`` writes,
are saved untouched.
"""

from __future__ import annotations

from pathlib import Path

from coordkit.packaged import NOTEBOOKS, normalise_notebook_content

__all__ = ["is_committed_copy", "keep_committed_notebooks_clean"]


def is_committed_copy(os_path: str | Path) -> bool:
    """True for a notebook coordkit commits: ``.../notebooks/<name>`` with the packaged twin beside it."""
    path = Path(os_path)
    if path.name not in NOTEBOOKS or path.parent.name != "notebooks":
        return False
    checkout_copy = (path.parent.parent / "coordkit" / "notebooks" / path.name).is_file()
    packaged_copy = path.parent.parent.name == "coordkit" and (path.parent.parent / "packaged.py").is_file()
    return checkout_copy or packaged_copy


def keep_committed_notebooks_clean(model: dict, path: str, contents_manager, **_) -> None:
    """Jupyter pre-save hook: save coordkit's committed notebooks in their committed form."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    get_os_path = getattr(contents_manager, "_get_os_path", None)
    if get_os_path is None or not is_committed_copy(get_os_path(path)):
        return
    import nbformat

    notebook = nbformat.from_dict(model["content"])
    normalise_notebook_content(notebook)
    model["content"] = notebook
    contents_manager.log.info("coordkit: saved %s without outputs or run metadata (a committed notebook)", path)


def _jupyter_server_extension_points():
    return [{"module": "coordkit.lab_hook"}]


def _load_jupyter_server_extension(server_app) -> None:
    # registered next to any hook the user configured (the pre_save_hook setting would replace theirs)
    server_app.contents_manager.register_pre_save_hook(keep_committed_notebooks_clean)
