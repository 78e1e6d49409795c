"""The slow rfc3987_syntax import is deferred, and IRI validation still works when asked for."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import coordkit, altair, nbformat
nbformat.validator.get_validator()
print("loaded-before-use", "rfc3987_syntax.syntax_helpers" in sys.modules)
import jsonschema
checker = jsonschema.FormatChecker()
print("valid", checker.conforms("http://\\u00e4.example/x", "iri"), checker.conforms("http://a b", "iri"))
print("loaded-after-use", "rfc3987_syntax.syntax_helpers" in sys.modules)
"""


def test_rfc3987_is_loaded_only_when_an_iri_is_checked():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert "loaded-before-use False" in lines
    assert "valid True False" in lines
    assert "loaded-after-use True" in lines


def test_opt_out_keeps_the_eager_import():
    import os

    env = dict(os.environ, COORDKIT_EAGER_IMPORTS="1")
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert "loaded-before-use True" in done.stdout.split("\n")
