"""Keep personal data out of what coordkit renders: e-mail addresses and phone numbers in free text.

Rejection reasons, notes and names quote what a client's export held; a
reason like ``'+44 20 7946 0958' is not a number`` would carry a phone number
into every report, summary and JSON sidecar. :func:`redact_text` replaces
anything that looks like an e-mail address or a phone number with a marker,
and :func:`find_personal_data` is the check the tests and the report writer
use on finished files.
"""

from __future__ import annotations

import re

__all__ = ["EMAIL_PATTERN", "PHONE_PATTERN", "find_personal_data", "redact_text"]

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# a phone number: an optional +country code, then groups of digits separated by spaces, dots,
# dashes or brackets, 8 to 15 digits in all. ISO dates (2026-11-16), times and plain amounts
# (1,234,567.89 or 1234567) do not match: they either have too few digits per group pattern or
# no separators of this kind.
PHONE_PATTERN = re.compile(
    r"(?<![\w.,/:-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w.,/:-]*\d)"
)
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{2}[./-]\d{2}[./-]\d{4}$|^\d{4}[./]\d{2}[./]\d{2}$")
EMAIL_MARK = "[e-mail removed]"
PHONE_MARK = "[phone removed]"


def _phone_like(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return 8 <= digits <= 15 and not _DATE_LIKE.match(text.strip())


def redact_text(text: object) -> object:
    """``text`` with e-mail addresses and phone numbers replaced by a marker (non-text passes through).

    >>> redact_text("'+44 20 7946 0958' is not a number; contact ana@example.com")
    "'[phone removed]' is not a number; contact [e-mail removed]"
    >>> redact_text("row 12, 2026-11-16: '1,250.00' is negative")
    "row 12, 2026-11-16: '1,250.00' is negative"
    """
    if not isinstance(text, str):
        return text
    text = EMAIL_PATTERN.sub(EMAIL_MARK, text)
    return PHONE_PATTERN.sub(lambda m: PHONE_MARK if _phone_like(m.group(0)) else m.group(0), text)


def find_personal_data(text: str) -> list[str]:
    """Every e-mail address or phone number found in ``text`` (for checks on finished reports)."""
    found = EMAIL_PATTERN.findall(text)
    found += [m.group(0) for m in PHONE_PATTERN.finditer(text) if _phone_like(m.group(0))]
    return found
