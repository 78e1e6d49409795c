"""The installs match the jobs: make demo and environment.yml install runtime + lab, make test everything.

Read from the files themselves (tomllib, plain text), so a change to one that
forgets the others fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")


def names(requirements) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements}


def recipe(target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:.*?(?=^\S|\Z)", MAKEFILE, re.M | re.S)
    assert match, f"no {target} target"
    return match.group(0)


def test_runtime_has_no_lab_test_or_spark_packages():
    runtime = names(PYPROJECT["project"]["dependencies"])
    assert {"ibis-framework", "duckdb", "papermill", "ipykernel", "jinja2"} <= runtime
    assert not runtime & {"jupyterlab", "ipywidgets", "pyspark", "pytest", "playwright", "polars", "streamlit", "nbconvert"}


def test_extras_match_the_jobs():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert names(extras["lab"]) == {"jupyterlab", "ipywidgets"}
    assert names(extras["spark"]) == {"pyspark"}
    assert {"pytest", "hypothesis", "playwright"} <= names(extras["test"])
    assert any(r.replace(" ", "").startswith("coordkit[") and {"test", "lab", "spark"} <= set(
        r.split("[")[1].split("]")[0].split(",")) for r in extras["dev"])


def test_make_demo_installs_runtime_and_lab_only_into_the_venv():
    assert "demo: install\n" in MAKEFILE
    assert "$(call venv_install,lab)" in recipe("$(RUNTIME_STAMP)")
    # nothing is pip-installed into the interpreter the venv is made from
    assert not re.search(r"\$\(PYTHON\) -m (pip|uv)", MAKEFILE)
    assert "$(BIN)/python -m pip install --quiet uv" in MAKEFILE


def test_make_test_installs_everything_the_tests_need():
    assert re.search(r"^test: install-dev peers browser$", MAKEFILE, re.M)
    # the contributor's venv precompiles bytecode (the suite starts many CLI children and kernels);
    # make demo's does not (its size goal): see the Makefile's comment
    assert "$(call venv_install,dev,--compile-bytecode)" in recipe("$(DEV_STAMP)")
    assert "--compile-bytecode" not in recipe("$(RUNTIME_STAMP)")
    assert "peers-slow" in recipe("$(PEERS_STAMP)")
    assert (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().endswith("make test")


def test_environment_yml_installs_the_same_set_as_make_demo():
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    pip_lines = [line.strip()[2:].strip() for line in text.splitlines() if line.strip().startswith("- -e")]
    assert pip_lines == ["-e .[lab]"] or pip_lines == [".[lab]"], pip_lines


def test_make_test_runs_spark_in_its_own_process_and_every_test_once():
    runs = re.findall(r"\$\(BIN\)/python -m pytest (.*?)\$\(PYTEST_ARGS\)", recipe("test"))
    assert runs == ['-m "not spark" ', "-m spark "]
    # the recipe fails when either run fails, and the second runs even when the first failed
    assert "|| status=$$?" in recipe("test") and "exit $$status" in recipe("test")
    # a hung test fails on its own instead of eating CI's time
    options = PYPROJECT["tool"]["pytest"]["ini_options"]
    assert "pytest-timeout" in names(PYPROJECT["project"]["optional-dependencies"]["test"])
    assert 0 < options["timeout"] <= 1800
