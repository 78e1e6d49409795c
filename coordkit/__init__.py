"""coordkit: did this week's marketing work move the numbers that matter?

The public verbs come in families (``read_*`` ingest, ``link_*`` /
``attribute_*`` model, ``compute_*`` / ``explain_*`` analysis, ``chart_*`` /
``table_*`` present, ``render_*`` report). They are imported lazily so that
``import coordkit`` stays fast in notebooks and the CLI.
"""

from __future__ import annotations

import importlib

from coordkit import _lazy_imports
from coordkit.errors import CoordkitError

_lazy_imports.install()

__version__ = "0.1.0"

# public name -> module that defines it
_PUBLIC = {
    "open_workspace": "coordkit.ingest.workspace",
    "Workspace": "coordkit.ingest.workspace",
    "read_table": "coordkit.ingest.validate",
    "ingest_files": "coordkit.ingest.workspace",
}

__all__ = ["CoordkitError", "__version__", *_PUBLIC]


def __getattr__(name: str):
    module_name = _PUBLIC.get(name)
    if module_name is None:
        raise AttributeError(f"module 'coordkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
