"""Header names: normalised before matching, close matches suggested, duplicates refused.

Exports carry invisible differences: a byte-order mark on the first name, a
no-break space, a zero-width space pasted from a web page, different case.
They are removed before matching (:func:`normalise_header`). A name that is
still not found is compared with the file's headers for a "did you mean"
(:func:`closest_header`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata

__all__ = ["closest_header", "column_letter", "duplicate_headers", "find_header", "normalise_header"]

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f]")
_SPACING = re.compile(r"[\s_\u00a0\u202f\u2009]+")


def normalise_header(name: object) -> str:
    """Lower-case, no invisible characters, one space between words.

    >>> normalise_header("\\ufeffClose\\u00a0Date\\u200b "), normalise_header("close_date")
    ('close date', 'close date')
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = _INVISIBLE.sub("", text)
    return _SPACING.sub(" ", text).strip().casefold()


def find_header(header: list[str], wanted: str) -> str | None:
    """The header cell that names ``wanted`` (exactly, else after normalising), or None."""
    if wanted in header:
        return wanted
    target = normalise_header(wanted)
    for name in header:
        if normalise_header(name) == target:
            return name
    return None


def closest_header(header: list[str], wanted: str, taken: set[str] = frozenset()) -> str | None:
    """The header most like ``wanted`` (typos, swapped letters), or None when nothing is close."""
    by_normal = {normalise_header(h): h for h in header if h not in taken}
    match = difflib.get_close_matches(normalise_header(wanted), list(by_normal), n=1, cutoff=0.75)
    return by_normal[match[0]] if match else None


def column_letter(position: int) -> str:
    """Spreadsheet letter of a 0-based column position: 0 -> A, 27 -> AB."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def duplicate_headers(names: list[str]) -> list[tuple[int, int, str]]:
    """Pairs of positions whose names are the same once normalised: (first, later, name)."""
    seen: dict[str, int] = {}
    pairs = []
    for position, name in enumerate(names):
        key = normalise_header(name)
        if not key:
            continue
        if key in seen:
            pairs.append((seen[key], position, name))
        else:
            seen[key] = position
    return pairs
