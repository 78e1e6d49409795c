"""Turn an executed review notebook into one self-contained HTML page.

The review's cells display finished HTML (escaped, charts as inline SVG), so
the page is those outputs, in order, inside the packaged ``templates/review.html.j2``, with
no code, no prompts and no JavaScript. Doing this directly takes a few
milliseconds; nbconvert's HTMLExporter costs 1-2 s per report (imports and
template compilation) and its lab template loads require.js and MathJax from a
CDN unless overridden.

Outputs other than HTML are handled as a notebook user would expect:
SVG inline, PNG/JPEG as data URLs, Markdown through coordkit's safe subset,
plain text escaped in ``<pre>``. Streams (warnings, prints) and errors stay in
the executed notebook and never reach the report.
"""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path

import jinja2

from coordkit.packaged import template_dir
from coordkit.present.markdown import markdown_to_html

__all__ = ["notebook_to_html"]

TEMPLATE_NAME = "review.html.j2"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def render_output(output: dict) -> str:
    """HTML for one notebook output (empty for streams and errors)."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return ""
    data = output.get("data", {})
    if "text/html" in data:
        return _text(data["text/html"])
    if "image/svg+xml" in data:
        return f'<figure class="ck-chart">{_text(data["image/svg+xml"])}</figure>'
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return f'<figure class="ck-chart"><img alt="chart" src="data:{mime};base64,{_text(data[mime]).strip()}"></figure>'
    if "text/markdown" in data:
        return f'<div class="ck-markdown">{markdown_to_html(_text(data["text/markdown"]))}</div>'
    if "text/plain" in data:
        return f'<pre class="ck-text">{html.escape(_text(data["text/plain"]))}</pre>'
    return ""


@functools.lru_cache(maxsize=2)
def _template(folder: str):
    """The compiled page template and its CSS, once per process (a batch exports a page per team)."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True, keep_trailing_newline=True)
    return environment.get_template(TEMPLATE_NAME), (Path(folder) / "review.css").read_text(encoding="utf-8")


def notebook_to_html(notebook_file: str | Path, html_file: str | Path, title: str | None = None) -> Path:
    """Write the outputs of an executed notebook as a self-contained HTML page."""
    notebook = json.loads(Path(notebook_file).read_text(encoding="utf-8"))
    parts = [
        render_output(output)
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "code"
        for output in cell.get("outputs", [])
    ]
    template, css = _template(str(template_dir()))
    page = template.render(
        title=title or notebook.get("metadata", {}).get("title", "coordkit report"),
        css=css,
        body=jinja2.utils.markupsafe.Markup("\n".join(p for p in parts if p)),
    )
    target = Path(html_file)
    target.write_text(page, encoding="utf-8")
    return target
