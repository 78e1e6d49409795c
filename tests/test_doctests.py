"""Every docstring example in the package runs and shows what it says (the README's test command runs this)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coordkit


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(coordkit.__path__, "coordkit.") if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring examples failed (printed above)"
