"""The built wheel, installed alone into a fresh venv, renders the demo reviews from an empty folder.

What a new user does after ``pip install coordkit``: no editable install, no
source tree on the path, no packages borrowed from the test environment
(``--system-site-packages`` off). Steps:

1. copy only what the wheel is built from (``pyproject.toml``, ``README.md``,
   ``coordkit/``, ``jupyter-config/``) into a temporary folder and build the wheel there, so a file
   the package needs but does not ship cannot be found by accident;
2. create a fresh venv from the base interpreter and install the wheel with
   its runtime dependencies resolved from the registry. uv does this in seconds
   from its cache (warm after ``make test`` installed the same packages); without
   uv, pip resolves and downloads them (1-3 minutes);
3. in an empty temporary folder, with ``PYTHONPATH`` unset and the venv first
   on ``PATH``: ``coordkit demo ws`` and ``coordkit review --all-teams``; every
   HTML file must pass the checks the render tests apply
   (``review_html_checks``);
4. ``coordkit.checkin(...)`` without the lab extra says which extra to
   install; with ipywidgets added it builds the explorer from that folder.

Timings are printed (``-s``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from review_html_checks import assert_static_review_html

from coordkit.packaged import NOTEBOOKS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TEAMS = ("all", "apac", "emea", "north-america")


def find_uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def base_python() -> str:
    # the interpreter the test venv was made from: the fresh venv must not inherit the test venv's packages
    return getattr(sys, "_base_executable", None) or sys.executable


def run(command, cwd, env=None, timeout=900) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{command} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, env for running it, timings): the wheel installed into a fresh venv outside the repository."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for folder in ("coordkit", "jupyter-config"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    venv, dist = root / "venv", root / "dist"
    uv = find_uv()
    timings = {}
    started = time.perf_counter()
    if uv:
        run([uv, "venv", "--quiet", "--python", base_python(), venv], root)
        run([uv, "build", "--quiet", "--wheel", "--out-dir", dist, source], root)
    else:
        run([base_python(), "-m", "venv", venv], root)
        run([venv / "bin" / "python", "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, source], root)
    timings["venv + wheel build"] = time.perf_counter() - started
    wheels = list(dist.glob("coordkit-*.whl"))
    assert len(wheels) == 1, wheels
    started = time.perf_counter()
    if uv:
        # pip compiles bytecode at install by default, uv only when asked: do what `pip install coordkit` does
        run([uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", venv / "bin" / "python", wheels[0]], root)
    else:
        run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheels[0]], root)
    timings["install wheel + runtime"] = time.perf_counter() - started
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "CONDA_PREFIX")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1",
               # only the fresh venv's kernel spec (ipykernel's, running `python` from PATH) may be found
               JUPYTER_DATA_DIR=str(root / "jupyter-data"), JUPYTER_CONFIG_DIR=str(root / "jupyter-config"),
               JUPYTER_PATH="", COLUMNS="200")
    return {"venv": venv, "wheel": wheels[0], "env": env, "timings": timings, "root": root, "uv": uv}


def test_the_wheel_ships_the_notebooks_and_the_template(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for notebook in NOTEBOOKS:
        assert f"coordkit/notebooks/{notebook}" in names
    assert {"coordkit/templates/review.html.j2", "coordkit/templates/review.css"} <= names
    assert not any(name.startswith(("tests/", "notebooks/", "benchmarks/")) for name in names)
    # JupyterLab loads coordkit's save hook from the environment's config (coordkit/lab_hook.py)
    config = [n for n in names if n.endswith("data/etc/jupyter/jupyter_server_config.d/coordkit.json")]
    assert len(config) == 1
    assert json.loads(zipfile.ZipFile(installed["wheel"]).read(config[0]))["ServerApp"]["jpserver_extensions"] == {
        "coordkit.lab_hook": True}


def test_installed_coordkit_renders_the_demo_from_an_empty_folder(installed):
    env, venv = installed["env"], installed["venv"]
    folder = installed["root"] / "empty"
    folder.mkdir()
    probe = run([venv / "bin" / "python", "-c",
                 "import coordkit, json, sys; print(json.dumps([coordkit.__file__, sys.path, sys.prefix]))"], folder, env)
    where, path, prefix = json.loads(probe.stdout)
    assert Path(where).is_relative_to(venv), f"coordkit imported from {where}, not the fresh venv"
    assert not any(p and Path(p).resolve().is_relative_to(REPO) for p in path), f"the repository is on sys.path: {path}"
    assert Path(prefix).resolve() == venv.resolve()

    started = time.perf_counter()
    run([venv / "bin" / "coordkit", "demo", "ws"], folder, env)
    installed["timings"]["coordkit demo ws"] = time.perf_counter() - started
    started = time.perf_counter()
    review = run([venv / "bin" / "coordkit", "review", "--workspace", "ws", "--all-teams", "--out", "out"], folder, env)
    installed["timings"]["coordkit review --all-teams"] = time.perf_counter() - started

    for reviews in (folder / "ws" / "reviews", folder / "out"):
        weeks = [p for p in reviews.iterdir() if p.is_dir()]
        assert len(weeks) == 1, weeks
        for team in TEAMS:
            assert_static_review_html(weeks[0] / f"{team}.html", folder / "ws" / "exports")
            assert (weeks[0] / f"{team}.md").stat().st_size > 0
        assert not list(reviews.rglob(".rendering-*"))
    assert "Traceback" not in review.stderr
    print("\n" + "\n".join(f"  {step}: {seconds:.1f} s" for step, seconds in installed["timings"].items())
          + f"\n  (installer: {'uv' if installed['uv'] else 'pip'}; load {os.getloadavg()[0]:.1f})")


def test_checkin_names_the_lab_extra_then_works_with_widgets(installed):
    env, venv = installed["env"], installed["venv"]
    folder = installed["root"] / "empty"
    if not (folder / "ws" / ".coordkit").exists():
        pytest.skip("needs the demo workspace of the previous test")
    call = "import coordkit; explorer = coordkit.checkin('ws', team='emea'); print(type(explorer).__name__)"
    missing = subprocess.run([venv / "bin" / "python", "-c", call], cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert missing.returncode != 0 and "coordkit[lab]" in missing.stderr, missing.stderr[-2000:]
    if installed["uv"]:
        run([installed["uv"], "pip", "install", "--quiet", "--python", venv / "bin" / "python", "ipywidgets>=8.1"], folder)
    else:
        run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "ipywidgets>=8.1"], folder)
    done = run([venv / "bin" / "python", "-c", call], folder, env)
    assert done.stdout.strip(), done.stdout
