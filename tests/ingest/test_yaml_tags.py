"""Issue 14: YAML from a shared folder (a user preset, coordkit.yaml) never runs code.

A planted ``!!python/object/apply:os.system`` tag would create a marker file if
it were constructed; the file must not exist afterwards, and the error names
the file and the tag.
"""

from __future__ import annotations

import pytest

from coordkit.cli import main

pytestmark = pytest.mark.hostile


def _tag(marker) -> str:
    return f'!!python/object/apply:os.system ["touch {marker}"]'


def test_a_user_preset_with_a_python_tag_is_refused_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "ran"
    preset = tmp_path / "evil.yaml"
    preset.write_text(f"name: x\ntable: outcomes\ncolumns: {_tag(marker)}\n", encoding="utf-8")
    export = tmp_path / "d.csv"
    export.write_text("A\n1\n", encoding="utf-8")
    assert main(["validate", str(export), "--preset", str(preset)]) != 0
    err = capsys.readouterr().err
    assert "evil.yaml: not valid YAML" in err and "python/object/apply" in err
    assert not marker.exists()


def test_coordkit_yaml_with_a_python_tag_is_refused_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "ran"
    folder = tmp_path / "ws"
    assert main(["init", str(folder)]) == 0
    (folder / "coordkit.yaml").write_text(f"timezone: {_tag(marker)}\n", encoding="utf-8")
    assert main(["status", "--workspace", str(folder)]) != 0
    assert "coordkit.yaml: not valid YAML" in capsys.readouterr().err
    assert not marker.exists()
