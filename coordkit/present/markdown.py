"""Render coordkit's narrative Markdown (a small subset) to safe HTML.

Narratives are written with :func:`coordkit.analysis.narrative.escape_markdown`
around every data value, so the subset is: backslash escapes, ``&lt;`` /
``&gt;`` / ``&amp;`` entities, ``**bold**``, ``*italic*`` and paragraphs.
Everything is re-escaped on the way out: no tag from the data survives.

Names from the data reach Markdown (the chat summary, narratives) only through
``escape_markdown``, which first makes them one line of plain text with
:func:`coordkit.safe_text.plain_name`: line breaks become spaces, bidirectional
control characters are removed and links are defanged, so a team or campaign
name cannot add lines to a summary, reorder the text around it, or become a
clickable link in chat. ``markdown_to_html`` removes bidi controls again on
the way to HTML, whatever the source.
"""

from __future__ import annotations

import html
import re

__all__ = ["markdown_to_html"]

_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TOKEN = re.compile(r"\\(.)|(&lt;|&gt;|&amp;|&quot;|&#x27;)|(\*\*)|(\*)", re.DOTALL)


def _inline(text: str) -> str:
    out: list[str] = []
    strong = emphasis = False
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(html.escape(text[position : match.start()]))
        escaped, entity, bold, italic = match.groups()
        if escaped is not None:
            out.append(html.escape(escaped))
        elif entity is not None:
            out.append(html.escape(html.unescape(entity)))
        elif bold is not None:
            out.append("</strong>" if strong else "<strong>")
            strong = not strong
        elif italic is not None:
            out.append("</em>" if emphasis else "<em>")
            emphasis = not emphasis
        position = match.end()
    out.append(html.escape(text[position:]))
    if emphasis:
        out.append("</em>")
    if strong:
        out.append("</strong>")
    return "".join(out)


def markdown_to_html(text: str) -> str:
    """Convert the narrative subset of Markdown to HTML paragraphs.

    >>> markdown_to_html("Pipeline **fell** for \\\\<script\\\\>: &lt;b&gt;")
    '<p>Pipeline <strong>fell</strong> for &lt;script&gt;: &lt;b&gt;</p>'
    """
    text = _BIDI.sub("", text or "")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{_inline(p)}</p>" for p in paragraphs)
