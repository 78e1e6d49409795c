"""docs/data-contract.md documents exactly the tables and columns defined in coordkit.contract."""

from __future__ import annotations

import re

from coordkit.contract import TABLES


def documented_tables(text: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Parse '## table' sections and their '| column | type | required | ... |' rows."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## `(\w+)`", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
            continue
        row = re.match(r"^\| `(\w+)` \| (\w+) \| (yes|no) \|", line)
        if row and current is not None:
            current[row.group(1)] = (row.group(2), row.group(3))
    return tables


def test_doc_lists_every_table_and_column_with_type_and_requiredness(repo_root):
    documented = documented_tables((repo_root / "docs" / "data-contract.md").read_text(encoding="utf-8"))
    assert set(documented) == set(TABLES)
    for name, spec in TABLES.items():
        expected = {c.name: (c.dtype, "yes" if c.required else "no") for c in spec.columns}
        assert documented[name] == expected, f"docs/data-contract.md is out of step for table {name!r}"


def test_doc_states_each_key(repo_root):
    text = (repo_root / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for name, spec in TABLES.items():
        key = ", ".join(f"`{k}`" for k in spec.key)
        assert f"Key: {key}" in text, f"key of {name} not documented"
