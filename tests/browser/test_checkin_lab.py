"""End to end: the check-in notebook in a real JupyterLab, driven by headless Chromium.

Starts JupyterLab (``--allow-root`` when run as root) on a free local port
with a token, in a temporary root holding a copy of ``notebooks/checkin.ipynb``
and a demo workspace; opens the notebook through Playwright with Debian's
``/usr/bin/chromium`` (no browser download) and every non-local request
aborted; runs all cells, changes the week and the team and waits for the
headline to show the values ``compute_weekly_review`` gives; saves a check-in
and reads it back from the workspace store; stops the server by its PID.
Timings are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from coordkit.analysis.review import compute_weekly_review, format_metric
from coordkit.ingest.checkins import list_checkins
from coordkit.model.calendar import iso_week_label, parse_week

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def week_label(week: str) -> str:
    start = parse_week(week)
    return f"{iso_week_label(start)} · {start.isoformat()}"


def expected_headline(workspace: Path, week: str, team: str) -> dict[str, str]:
    review = compute_weekly_review(workspace, week=week, team=team)
    return {row.metric: format_metric(row.value, row.money, review.currency) for row in review.headline.itertuples()}


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory, repo_root):
    """A folder with a copy of the notebook (workspace parameter pointing next to it) and a demo workspace."""
    from coordkit.cli import main

    root = tmp_path_factory.mktemp("lab")
    assert main(["demo", str(root / "demo"), "--no-review"]) == 0
    notebook = json.loads((repo_root / "notebooks" / "checkin.ipynb").read_text(encoding="utf-8"))
    parameters = [c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1
    source = "".join(parameters[0]["source"])
    assert 'workspace = "../demo"' in source
    parameters[0]["source"] = source.replace('workspace = "../demo"', 'workspace = "demo"')
    (root / "checkin.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def lab(lab_root, tmp_path_factory):
    """A running JupyterLab serving ``lab_root``; yields (base url, token, seconds to start)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make browser` or apt-get install chromium)")
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # attach every cell to the DOM, so the test sees the whole output however tall it is
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")
    port, token = free_port(), os.urandom(16).hex()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={lab_root}",
        f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    log = (home / "server.log").open("w")
    started = time.monotonic()
    server = subprocess.Popen(command, cwd=lab_root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() - started > 120:
                pytest.fail("JupyterLab did not answer within 120 s")
            time.sleep(0.25)
        yield base, token, time.monotonic() - started
    finally:
        os.kill(server.pid, signal.SIGTERM)  # the server shuts its kernels down
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: the server and its kernels, nothing else
            server.wait(10)
        log.close()
        assert server.returncode is not None


def card_value(page, metric: str) -> str:
    return page.locator(f".ck-headline [data-metric='{metric}'] .ck-card-value").inner_text()


def wait_for_headline(page, expected: dict[str, str], timeout_ms: int = 30_000) -> None:
    page.wait_for_function(
        """(expected) => Object.entries(expected).every(([metric, text]) => {
               const el = document.querySelector(`.ck-headline [data-metric='${metric}'] .ck-card-value`);
               return el !== null && el.textContent.trim() === text;
           })""",
        arg=expected, timeout=timeout_ms, polling=25,
    )


def answered(page) -> int:
    """How many interactions the explorer has finished (it bumps this last, after every section is redrawn)."""
    return int(page.locator(".ck-timing [data-seq]").get_attribute("data-seq"))


def wait_until_answered(page, count: int, timeout_ms: int = 30_000) -> None:
    page.wait_for_function(
        "(count) => Number(document.querySelector('.ck-timing [data-seq]')?.getAttribute('data-seq')) >= count",
        arg=count, timeout=timeout_ms, polling=25,
    )


def test_checkin_notebook_in_jupyterlab(lab, lab_root):
    from playwright.sync_api import sync_playwright

    base, token, startup = lab
    workspace = lab_root / "demo"
    latest = expected_headline(workspace, "2026-W47", "all")  # also fills the workspace's review cache, as a second open would
    week46_all = expected_headline(workspace, "2026-W46", "all")
    week46_na = expected_headline(workspace, "2026-W46", "north-america")
    assert week46_na != week46_all and latest != week46_all  # each change must show in the headline

    timings = {"jupyterlab start": startup}
    blocked, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})

            def only_local(route):
                url = route.request.url
                if urlparse(url).scheme in ("data", "blob") or urlparse(url).hostname in LOCAL_HOSTS:
                    route.continue_()
                else:
                    blocked.append(url)
                    route.abort()

            context.route("**/*", only_local)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            started = time.monotonic()
            page.goto(f"{base}/lab/tree/checkin.ipynb?token={token}", wait_until="domcontentloaded", timeout=120_000)
            page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
            page.wait_for_function(
                """() => {
                    const name = document.querySelector('.jp-Toolbar-kernelName');
                    const state = document.querySelector('.jp-Notebook-ExecutionIndicator');
                    return name && !name.textContent.includes('No Kernel') && state && state.getAttribute('data-status') === 'idle';
                }""", timeout=120_000, polling=100,
            )
            timings["open notebook"] = time.monotonic() - started

            started = time.monotonic()
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_selector(".ck-headline .ck-card-value", timeout=180_000)
            wait_for_headline(page, latest, timeout_ms=60_000)
            timings["run all cells"] = time.monotonic() - started
            assert not page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
            # JupyterLab's file browser is open beside the notebook: the explorer fits what is left, nothing is cut
            # off on the right without a way to scroll to it, and the manager sees no timing text
            if not page.locator(".jp-FileBrowser:visible").count():
                page.keyboard.press("Control+Shift+F")
                page.wait_for_selector(".jp-FileBrowser", state="visible", timeout=10_000)
            clipped = page.evaluate("""() => {
                const out = [];
                const root = document.querySelector('.ck-explorer');
                const panel = root.closest('.jp-OutputArea-output') || root.parentElement;
                const right = panel.getBoundingClientRect().right;
                for (const el of root.querySelectorAll('*')) {
                    if (el.closest('svg') || el.closest('.ck-scroll')) continue;
                    const box = el.getBoundingClientRect();
                    if (box.width && box.right > right + 2) out.push(`${el.tagName}.${el.className} sticks out by ${Math.round(box.right - right)} px`);
                }
                for (const el of root.querySelectorAll('.ck-scroll')) {
                    const style = getComputedStyle(el);
                    if (el.scrollWidth > el.clientWidth + 1 && !['auto', 'scroll'].includes(style.overflowX)) out.push('a table is cut off');
                }
                return out.slice(0, 10);
            }""")
            assert clipped == [], clipped
            assert " ms" not in page.locator(".ck-explorer").inner_text().replace("\xa0", " ")

            done = answered(page)
            started = time.monotonic()
            page.select_option(".ck-week select", label=week_label("2026-W46"))
            wait_for_headline(page, week46_all)
            timings["change week"] = time.monotonic() - started
            wait_until_answered(page, done + 1)

            done = answered(page)
            started = time.monotonic()
            page.select_option(".ck-team select", label="north-america")
            wait_for_headline(page, week46_na)
            timings["change team"] = time.monotonic() - started
            wait_until_answered(page, done + 1)
            # the planted collapse shows as a signal on the card
            assert page.locator(".ck-headline [data-metric='pipeline_created'] .ck-badge.ck-signal").count() == 1
            kernel_ms = page.locator(".ck-timing [data-ms]").get_attribute("data-ms")

            done = answered(page)
            started = time.monotonic()
            page.select_option(".ck-channel select", label="paid_social")
            wait_until_answered(page, done + 1)
            timings["change channel"] = time.monotonic() - started
            assert "paid_social" in page.locator(".ck-title").inner_text()

            options = page.locator(".ck-campaign select option").all_inner_texts()
            assert len(options) >= 2, options
            done = answered(page)
            started = time.monotonic()
            page.select_option(".ck-campaign select", index=1)
            wait_until_answered(page, done + 1)
            timings["drill into a campaign"] = time.monotonic() - started
            assert page.locator(".ck-drilldown strong").inner_text() == options[1].replace("\xa0", " ")
            assert page.locator(".ck-drilldown tbody tr").count() >= 1, page.locator(".ck-drilldown").inner_html()[:1500]

            decision = f"Find out why paid social stopped converting (browser test {os.getpid()})"
            page.locator(".ck-decisions textarea").fill(decision)
            page.locator(".ck-next-actions textarea").fill("Audit lead routing <b>today</b>")
            page.locator(".ck-owner input").fill("Jordan")
            page.locator(".ck-due-date input").fill("2026-11-27")
            page.locator(".ck-author input").fill("Playwright")
            page.wait_for_timeout(300)  # let the last keystrokes sync to the kernel
            started = time.monotonic()
            page.locator("button.ck-save").click()
            page.wait_for_selector(".ck-save-status .ck-ok", timeout=30_000)
            timings["save check-in"] = time.monotonic() - started
            history = page.locator(".ck-history").inner_text()
            assert decision in history and "Audit lead routing <b>today</b>" in history  # shown as text, not markup
            page.screenshot(path=str(lab_root / "checkin.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(lab_root / "failed.png"), full_page=True)
            print(f"\nscreenshot: {lab_root / 'failed.png'}\noutputs:\n" + "\n".join(page.locator(".jp-OutputArea").all_inner_texts())[:3000])
            raise
        finally:
            browser.close()

    notes = list_checkins(workspace, team="north-america")
    assert len(notes) == 1
    note = notes.iloc[0]
    assert note["decisions"] == decision and note["next_actions"] == "Audit lead routing <b>today</b>"
    assert (note["owner"], note["author"], str(note["due_date"]), str(note["week"])) == ("Jordan", "Playwright", "2026-11-27", "2026-11-09")
    assert note["channel"] == "paid_social" and note["model"] == "position"
    assert all(urlparse(url).hostname not in LOCAL_HOSTS for url in blocked)
    picks = sorted(timings[k] for k in ("change week", "change team", "change channel", "drill into a campaign"))
    p95 = picks[min(len(picks) - 1, round(0.95 * (len(picks) - 1)))]
    p50 = (picks[1] + picks[2]) / 2
    print(f"\npicker changes p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (goal 300 ms) at load "
          f"{os.getloadavg()[0]:.1f}")
    print("\ncheck-in in JupyterLab (ms): " + ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in timings.items())
          + f"; kernel time of the team change {kernel_ms} ms; blocked non-local requests: {len(blocked)}"
          + (f" ({sorted({urlparse(u).hostname for u in blocked})})" if blocked else "")
          + (f"; page errors: {errors}" if errors else ""))
    # speed is printed, not asserted (project rule: no timing asserts in tests; the machine is shared):
    # benchmarks/checkin.py measures the kernel's share, this test the round trip through JupyterLab
