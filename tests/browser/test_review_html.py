"""The rendered review opened in real headless Chromium: charts, no code, no network, no script runs."""

from __future__ import annotations

import pytest

from coordkit.report.review import render_review

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INJECTION = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def apac_review(demo_workspace, tmp_path_factory):
    # the demo's script-injection campaign ships in apac in June 2026: a review 3 weeks later lists it
    return render_review(demo_workspace, "2026-W27", "apac", out=tmp_path_factory.mktemp("reviews"))


def open_page(browser, path):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    requests, console, dialogs = [], [], []

    def route(route_request):
        url = route_request.request.url
        if url.startswith("file://") or url.startswith("data:"):
            return route_request.continue_()
        requests.append(url)
        return route_request.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: console.append((message.type, message.text)))
    page.on("pageerror", lambda error: console.append(("pageerror", str(error))))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return context, page, requests, console, dialogs


@pytest.mark.hostile
def test_review_opens_offline_with_charts_and_no_code(browser, apac_review):
    context, page, requests, console, dialogs = open_page(browser, apac_review.html)
    try:
        assert page.locator("svg").count() >= 4
        assert page.locator("figure.ck-chart svg").first.bounding_box()["width"] > 200
        assert page.locator(".ck-card").count() == 4
        assert page.locator("pre, .jp-InputArea:visible, .jp-CodeMirrorEditor").count() == 0
        text = page.inner_text("body")
        assert "import coordkit" not in text and "compute_weekly_review" not in text
        assert requests == [], f"the report made network requests: {requests}"
        errors = [entry for entry in console if entry[0] in ("error", "pageerror")]
        assert errors == [], errors
        assert dialogs == []
    finally:
        context.close()


@pytest.mark.hostile
def test_script_injection_from_a_campaign_name_shows_as_text(browser, apac_review):
    assert INJECTION in apac_review.html.read_text(encoding="utf-8").replace("&lt;", "<").replace("&gt;", ">")
    context, page, requests, console, dialogs = open_page(browser, apac_review.html)
    try:
        assert INJECTION in page.inner_text("body")
        assert dialogs == [], "a script from the data ran"
        assert page.locator("script").count() == 0
    finally:
        context.close()


def test_report_is_readable_on_a_phone(browser, apac_review, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(apac_review.html.as_uri())
        body_width = page.evaluate("document.body.scrollWidth")
        assert body_width <= 390 + 1, "the page must not scroll sideways on a phone (tables scroll inside their box)"
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
    finally:
        context.close()
