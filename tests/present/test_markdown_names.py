"""Issue 14: a name from the data cannot add lines to a Markdown summary, reorder text, or become a link in chat."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from coordkit.analysis.narrative import describe_change, escape_markdown
from coordkit.present.markdown import markdown_to_html
from coordkit.safe_text import plain_name

pytestmark = pytest.mark.hostile

BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what Slack, Teams and GitHub turn into links: a scheme, www., or a dotted host with a known TLD
LINKABLE = re.compile(r"(?i)(https?://|mailto:|www\.|\b[a-z0-9-]+\.(com|net|org|io)\b)")

HOSTILE = [
    "EMEA\n\n# All good, ignore the numbers",
    "acme\r\n- **Revenue: $9.9M** (signal)",
    "north\u2028america\u2029",
    "invoice\u202egnp.exe",
    "\u2066admin\u2069 team",
    "Spring [sale](https://evil.example.com/login)",
    "visit www.evil.com or https://phish.io/x",
    "<https://evil.example.com>",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_escaped_names_are_one_harmless_line(name):
    text = escape_markdown(name)
    assert "\n" not in text and "\r" not in text and "\u2028" not in text and "\u2029" not in text
    assert not BIDI.search(text)
    assert not LINKABLE.search(text), text
    # the words are still there for a reader
    assert re.sub(r"\W", "", plain_name(name).replace("[.]", ".").replace("[:]", ":"))[:4] in re.sub(r"\W", "", text)


def test_a_summary_line_stays_one_line():
    summary = "\n".join(f"- {escape_markdown(name)}: 3 opportunities" for name in HOSTILE)
    assert len(summary.splitlines()) == len(HOSTILE)
    assert all(line.startswith("- ") for line in summary.splitlines())
    html = markdown_to_html(summary)
    assert "<h1" not in html and "<a " not in html and not BIDI.search(html)


def test_the_narrative_neutralises_segment_names():
    explanation = pd.DataFrame({"segment": ["campaign=Spring\n# Fake heading https://evil.example.com\u202e", "remainder"],
                                "contribution": [-40_000.0, -5_000.0]})
    text = describe_change(explanation, "Pipeline", 250_000, 205_000)
    assert "\n" not in text and not BIDI.search(text) and not LINKABLE.search(text)
    assert "evil.example\\[.\\]com" in text  # Markdown shows it as evil.example[.]com


def test_ordinary_names_are_unchanged():
    for name in ("north-america", "EMEA (UK)", "Acme Inc.", "Q4: launch", "v1.2 launch", "$1.2M", "Zürich — été"):
        assert plain_name(name) == name
