"""Checks every rendered review HTML must pass, shared by the render tests and the installed-wheel test."""

from __future__ import annotations

from pathlib import Path


def contact_emails(exports: Path, rows: int = 200) -> set[str]:
    """E-mail addresses from the demo's outcomes export (column 5), read with plain string splitting."""
    lines = (exports / "outcomes.csv").read_text(encoding="utf-8").splitlines()[1:rows]
    return {line.split(",")[4] for line in lines if len(line.split(",")) > 4}


def assert_static_review_html(path: Path, exports: Path | None = None) -> str:
    """No code, charts as inline SVG, no network address, no contact e-mail; returns the page."""
    html = Path(path).read_text(encoding="utf-8")
    assert "compute_weekly_review" not in html and "import coordkit" not in html, f"{path}: code in the report"
    assert "<svg" in html and html.count("<svg") >= 4, f"{path}: fewer than 4 inline SVG charts"
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, f"{path}: a network address"
    if exports is not None:
        emails = contact_emails(exports)
        assert not any(email and email in html for email in emails), f"{path}: a contact e-mail address"
    assert "@" not in html.replace("@media", ""), f"{path}: an @ outside CSS"
    return html
