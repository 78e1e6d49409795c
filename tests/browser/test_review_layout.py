"""The review at 1280 and 390 px in Chromium: nothing clipped without a scroll cue, no chart text under 9 px,
and the all-teams page opens with its team table linking each team's page."""

from __future__ import annotations

import pytest

from coordkit.report.review import render_reviews

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEEK = "2026-W47"

#: every chart text's size as drawn: its font size times the scale of its SVG (viewBox to box)
CHART_TEXT_SIZES = """() => [...document.querySelectorAll('figure.ck-chart svg')].flatMap(svg => {
    const box = svg.getBoundingClientRect();
    const view = svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width ? svg.viewBox.baseVal.width : box.width;
    const scale = box.width / view;
    return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t =>
        ({text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize) * scale}));
})"""

#: elements wider than their box whose overflow is hidden away with no way (or cue) to scroll to it
CLIPPED = """() => {
    const clipped = [];
    for (const el of document.querySelectorAll('main *')) {
        if (el.closest('svg')) continue;
        if (el.scrollWidth <= el.clientWidth + 1) continue;
        const style = getComputedStyle(el);
        const scrolls = ['auto', 'scroll'].includes(style.overflowX);
        if (!scrolls && style.overflowX !== 'visible') clipped.push(el.tagName + '.' + el.className);
        if (scrolls && !el.classList.contains('ck-scroll') && !el.classList.contains('ck-chart')) clipped.push('no cue: ' + el.className);
    }
    // content that sticks out of the page itself is cut off at the window edge
    if (document.documentElement.scrollWidth > window.innerWidth + 1) clipped.push('page scrolls sideways');
    return clipped;
}"""


@pytest.fixture(scope="module")
def reviews(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("layout")
    results = render_reviews(demo_workspace, WEEK, teams=["all", "north-america"], out=out, progress=False, workers=1)
    return {r.team: r for r in results}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("team", ["all", "north-america"])
def test_nothing_clipped_and_chart_text_legible(browser, reviews, width, team):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(reviews[team].html.as_uri())
        assert page.evaluate(CLIPPED) == []
        sizes = page.evaluate(CHART_TEXT_SIZES)
        assert len(sizes) > 20, "the charts carry their labels as SVG text"
        small = [s for s in sizes if s["px"] < 9]
        assert small == [], f"chart text under 9 px at {width} px: {small[:5]}"
        # the trend charts span the width they are given
        first = page.locator("#trends figure.ck-chart svg").first.bounding_box()
        assert first["width"] >= min(width - 60, 340) * 0.95
    finally:
        context.close()


def test_all_teams_page_leads_with_the_team_table(browser, reviews):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(reviews["all"].html.as_uri())
        first_section = page.locator("section.ck-section").first
        assert first_section.get_attribute("id") == "teams"
        rows = first_section.locator("table.ck-teams tbody tr")
        assert rows.count() == 3
        links = [rows.nth(i).locator("a").get_attribute("href") for i in range(3)]
        folder = reviews["all"].html.parent
        assert (folder / "north-america.html").exists() and "north-america.html" in links
        # furthest behind target first: north-america at 21 %
        assert rows.first.get_attribute("data-team") == "north-america"
        assert "21 %" in rows.first.inner_text()
        card = page.locator('#headline .ck-card[data-metric="pipeline_created"]')
        assert card.get_attribute("data-status") == "behind_target"
    finally:
        context.close()


def test_north_america_card_shows_21_percent_and_paid_social(browser, reviews):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(reviews["north-america"].html.as_uri())
        card = page.locator('.ck-card[data-metric="pipeline_created"]')
        assert "21 % of target" in card.inner_text()
        assert "paid_social" in page.locator("#what-moved .ck-narrative").inner_text()
    finally:
        context.close()
