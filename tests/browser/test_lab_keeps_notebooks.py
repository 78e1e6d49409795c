"""Opening, running and saving a committed notebook in a real JupyterLab leaves the file unchanged.

A temporary checkout layout (``notebooks/checkin.ipynb`` with its packaged twin
in ``coordkit/notebooks/``, ``demo/`` beside it) is served by JupyterLab with
coordkit's server config (``jupyter-config/coordkit.json``, which enables the
save hook of ``coordkit/lab_hook.py``). Headless Chromium opens the notebook,
runs every cell, waits for the check-in to draw, and saves. The committed file
must keep its bytes, while the save request JupyterLab sent held outputs and
the running Python's metadata (so the test fails without the hook).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def checkout(demo_workspace, tmp_path_factory):
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("notebooks", "coordkit/notebooks"):
        (root / folder).mkdir(parents=True)
        shutil.copy2(REPO / "notebooks" / "checkin.ipynb", root / folder / "checkin.ipynb")
    (root / "demo").symlink_to(demo_workspace, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def lab(checkout, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make browser`)")
    home = tmp_path_factory.mktemp("jupyter")
    (home / "config" / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy2(REPO / "jupyter-config" / "coordkit.json", home / "config" / "jupyter_server_config.d" / "coordkit.json")
    port, token = free_port(), os.urandom(16).hex()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={checkout}",
        f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_PLATFORM_DIRS": "1", "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base, started = f"http://127.0.0.1:{port}", time.monotonic()
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - started > 120:
                pytest.fail("JupyterLab did not answer within 120 s")
            time.sleep(0.25)
        yield base, token, home / "server.log"
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: the server and its kernels only
            server.wait(10)
        log.close()


def run_and_save(browser, base: str, token: str, path: str, file: Path) -> list[dict]:
    """Open, run all, save; return the notebooks JupyterLab sent to the server on save."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).hostname == "127.0.0.1"
                  or urlparse(route.request.url).scheme in ("data", "blob") else route.abort())
    page = context.new_page()
    sent: list[dict] = []

    def remember_save(request) -> None:
        if request.method == "PUT" and f"/api/contents/{path}" in request.url and request.post_data:
            sent.append(json.loads(request.post_data))

    saved: list[str] = []  # PUTs the server has answered: the file is then written completely

    def remember_saved(request) -> None:
        if request.method == "PUT" and f"/api/contents/{path}" in request.url:
            saved.append(request.url)

    page.on("request", remember_save)
    page.on("requestfinished", remember_saved)
    try:
        page.goto(f"{base}/lab/tree/{path}?token={token}", wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
        page.wait_for_function(
            """() => {
                const name = document.querySelector('.jp-Toolbar-kernelName');
                const state = document.querySelector('.jp-Notebook-ExecutionIndicator');
                return name && !name.textContent.includes('No Kernel') && state && state.getAttribute('data-status') === 'idle';
            }""", timeout=120_000, polling=100,
        )
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_selector(".ck-headline .ck-card-value", timeout=180_000)
        before = file.stat().st_mtime_ns
        page.locator(".lm-MenuBar-itemLabel", has_text="File").first.click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Save( Notebook)?$")).first.click()
        clicked = time.monotonic()
        deadline = clicked + 60
        # jupyter_server writes the file in place (truncate, then write; its backup copy is what makes
        # it safe), so a changed mtime alone can mean an empty file: wait for the server's answer too
        while file.stat().st_mtime_ns == before or not saved:
            if time.monotonic() > deadline:
                log = Path(os.environ.get("CK_LAB_LOG", "/dev/null"))
                raise AssertionError(f"{path} was not saved within 60 s\n" + (log.read_text()[-4000:] if log.exists() else ""))
            page.wait_for_timeout(200)  # not time.sleep: Playwright routes requests only inside its own calls
        print(f"{path} saved {time.monotonic() - clicked:.1f} s after the click")
    finally:
        context.close()
    return sent


def test_running_and_saving_a_committed_notebook_keeps_its_bytes(lab, checkout, browser):
    base, token, server_log = lab
    os.environ["CK_LAB_LOG"] = str(server_log)
    committed = checkout / "notebooks" / "checkin.ipynb"
    original = committed.read_bytes()
    sent = run_and_save(browser, base, token, "notebooks/checkin.ipynb", committed)
    # JupyterLab did send the run notebook (outputs, the running Python's language_info): the hook cleaned it
    assert sent, "no save request was seen"
    notebook = sent[-1]["content"]
    assert any(c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
    assert notebook["metadata"]["language_info"] != {"name": "python"}
    assert committed.read_bytes() == original, "JupyterLab changed the committed notebook"
    assert "saved notebooks/checkin.ipynb without outputs" in server_log.read_text(encoding="utf-8")
