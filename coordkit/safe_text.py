"""Names from the data, made safe to print inside one line of Markdown sent to chat or e-mail.

Team, client, campaign and channel names come from exports that clients and
colleagues send. Printed into a Markdown summary (Slack, Teams, e-mail) or a
report they must stay one harmless piece of text:

- **line breaks** (CR, LF, vertical tab, form feed, NEL, U+2028/U+2029) become
  a space, so a name cannot add lines, headings or list items;
- **bidirectional controls** (U+202A-U+202E, U+2066-U+2069, LRM/RLM/ALM) and
  other control characters are removed, so a name cannot reorder the text
  around it ("Trojan Source");
- **links** are defanged: a scheme becomes ``https[:]//``, ``www.`` becomes
  ``www[.]`` and a domain's last dot ``[.]`` (``evil.example[.]com``), the
  convention security teams use, so chat apps do not turn a name into a
  clickable link. Markdown link syntax itself (``[text](url)``, ``<url>``) is
  escaped by :func:`coordkit.analysis.narrative.escape_markdown`, which calls
  :func:`plain_name` first.
"""

from __future__ import annotations

import re

__all__ = ["plain_name"]

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_BIDI_AND_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SCHEME = re.compile(
    r"(?i)\b(https?|ftps?|sftp|file|mailto|javascript|vbscript|data|tel|sms|ssh|git|irc|slack|msteams|zoommtg|ms-[a-z-]+):"
)
_WWW = re.compile(r"(?i)\bwww\.")
# a dotted name ending in a common or two-letter top-level domain (what chat apps autolink)
_DOMAIN = re.compile(
    r"(?i)\b((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+)"
    r"(com|net|org|io|co|ai|app|dev|info|biz|xyz|me|ly|gl|gg|tv|cc|site|online|shop|link|click|top|live|page|cloud|tech|"
    r"store|email|zip|mov|[a-z]{2})\b"
)


def plain_name(value: object) -> str:
    """One line of plain text: no line breaks, no bidi or control characters, no clickable link.

    >>> plain_name("EMEA\\n# Injected [click](https://evil.example.com)\\u202egnp.exe")
    'EMEA # Injected [click](https[:]//evil.example[.]com)gnp.exe'
    """
    text = _LINE_BREAKS.sub(" ", str(value)).replace("\t", " ")
    text = _BIDI_AND_CONTROL.sub("", text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}[:]", text)
    text = _WWW.sub(lambda m: m.group(0)[:-1] + "[.]", text)
    return _DOMAIN.sub(lambda m: f"{m.group(1)[:-1]}[.]{m.group(2)}", text)
