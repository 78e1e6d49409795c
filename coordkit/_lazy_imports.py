"""Defer a slow import that coordkit never needs.

jsonschema (reached through altair, nbformat and jupyter-events) imports
``rfc3987_syntax`` when it is installed, and that module builds an Earley
parser from a grammar at import time: measured at 1.3-7 s per process on this
kind of machine, in every kernel and CLI run. coordkit never validates IRIs,
so it installs a stand-in whose ``is_valid_syntax`` loads the real module on
first use. Behaviour is unchanged (IRI format checks still work, they just
pay the cost when first used); set ``COORDKIT_EAGER_IMPORTS=1`` to opt out.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

__all__ = ["install"]

_NAME = "rfc3987_syntax"


def _load_real():
    module = sys.modules.get(_NAME)
    if module is not None and not getattr(module, "__coordkit_lazy__", False):
        return module
    sys.modules.pop(_NAME, None)
    real = importlib.import_module(_NAME)
    sys.modules[_NAME] = real
    return real


def install() -> bool:
    """Install the stand-in unless the real module is already imported or absent; return True if installed."""
    if os.environ.get("COORDKIT_EAGER_IMPORTS") or _NAME in sys.modules:
        return False
    if importlib.util.find_spec(_NAME) is None:
        return False
    proxy = types.ModuleType(_NAME)
    proxy.__coordkit_lazy__ = True

    def is_valid_syntax(term, value):
        return _load_real().is_valid_syntax(term, value)

    def forward(name):
        # the import system probes dunders such as __spec__ and __path__: those must not load the real module
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_load_real(), name)

    proxy.is_valid_syntax = is_valid_syntax
    proxy.__spec__ = None
    proxy.__getattr__ = forward
    sys.modules[_NAME] = proxy
    return True
