"""Imports go one way: base -> ingest -> model -> analysis -> present -> report/demo -> cli.

An AST scan (no imports executed) so a violation is caught even in code no
test runs. A module may import its own layer or any layer below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coordkit"

LAYERS = {
    "coordkit.errors": 0,
    "coordkit.contract": 0,
    "coordkit.config": 0,
    "coordkit.weeks": 0,
    "coordkit.money": 0,
    "coordkit.privacy": 0,
    "coordkit.numbers": 0,
    "coordkit.filenames": 0,
    "coordkit._lazy_imports": 0,
    "coordkit._version": 0,
    "coordkit.packaged": 0,
    "coordkit.safe_text": 0,
    "coordkit.csv_cells": 0,
    "coordkit.ingest": 1,
    "coordkit.model": 2,
    "coordkit.analysis": 3,
    "coordkit.present": 4,
    "coordkit.report": 5,
    "coordkit.demo": 5,
    "coordkit.cli": 6,
    "coordkit.lab_hook": 6,
    "coordkit.__main__": 6,
    "coordkit": 7,  # the package's __init__ re-exports the public verbs
}


def layer_of(module: str) -> int:
    best = None
    for prefix, rank in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, rank)
    assert best is not None, f"{module} is not assigned to a layer in tests/test_layering.py"
    return best[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, module: str):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target


def test_every_module_has_a_layer():
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))


def test_imports_only_go_down_the_layers():
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        own = layer_of(module)
        for line, target in imported_modules(path, module):
            if not (target == "coordkit" or target.startswith("coordkit.")):
                continue
            if target == "coordkit" and module != "coordkit":
                violations.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports the top-level package")
                continue
            if layer_of(target) > own:
                violations.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target} (a higher layer)")
    assert not violations, "imports must go base -> ingest -> model -> analysis -> present -> report -> cli:\n" + "\n".join(violations)


def test_the_scan_catches_an_upward_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from coordkit.report import something\nfrom ..present import charts\n", encoding="utf-8")
    targets = [target for _, target in imported_modules(probe, "coordkit.ingest.probe")]
    assert targets == ["coordkit.report", "coordkit.present"]
    assert all(layer_of(t) > layer_of("coordkit.ingest.probe") for t in targets)
