"""Numbers written the way a country writes them, read in one locale per column.

A value is never read on its own: ``1,234`` is one thousand two hundred and
thirty-four in an American export and one point two three four in a German
one. The locale of a column is decided once over the whole file
(:func:`decide_locale`): values such as ``1.234,50`` or ``12,5`` settle it,
values such as ``1,234`` do not. A column with only unsettling values takes
the decision of the file's other number columns; when nothing in the file
settles it, the file stops with a message asking for ``--locale``.

Then every value is parsed strictly in that locale (:func:`parse_numbers`):
grouping must be in threes, so ``480,00`` in an English column is rejected
rather than read as 48000.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "LOCALES",
    "NULL_SPELLINGS",
    "LocaleDecision",
    "decide_locale",
    "grouped_like_other_locale",
    "locale_from_options",
    "parse_numbers",
    "profile_locales",
]

#: decimal mark and the thousands marks accepted besides spaces, per locale
LOCALES = {
    "en": (".", ","),
    "de": (",", "."),
    "fr": (",", ""),  # thousands by (narrow) no-break space or space only
    "ch": (".", "'"),
}
#: other spellings of a locale, as users and presets write them
_ALIASES = {
    "us": "en", "uk": "en", "gb": "en", "en_us": "en", "en_gb": "en", "en-us": "en", "en-gb": "en",
    "de_de": "de", "de-de": "de", "nl": "de", "it": "de", "es": "de", "pt": "de", "da": "de", "tr": "de", "id": "de",
    "fr_fr": "fr", "fr-fr": "fr", "ru": "fr", "pl": "fr", "sv": "fr", "fi": "fr", "cs": "fr", "nb": "fr", "no": "fr",
    "de_ch": "ch", "de-ch": "ch",
}

#: cell texts that mean "no value" (compared after trimming, case-insensitively)
NULL_SPELLINGS = ("", "null", "n/a", "#n/a", "na", "none", "nan", "-", "--", "—", "(not set)", "not set", "#null!")

# Currency words and symbols around a number, and spaces used for grouping.
# Patterns are plain strings with [0-9] and explicit space characters (no \s, \d, \u escapes or
# compiled objects): pandas then runs them on Arrow's regex engine instead of a Python loop per value.
_SPACE_CHARS = "[ \t\u00a0\u202f\u2009]"
_CURRENCY = "^(?:US\\$|CA\\$|AU\\$|A\\$|C\\$|[A-Z]{3} ?|[$€£¥₹])|(?: ?(?:[A-Z]{3})|[$€£¥₹])$"
_SPACES = _SPACE_CHARS
_PLAIN = "^[0-9]+$"
_SPACED = "^[0-9]{1,3}(?:" + _SPACE_CHARS + "[0-9]{3})+(?:[.,][0-9]+)?$"
# shapes of the number part once signs, currency and % are removed
_SHAPES = {
    "en": r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$|^\.[0-9]+$",
    "de": r"^(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?$|^,[0-9]+$",
    "fr": r"^[0-9]+(?:,[0-9]+)?$|^,[0-9]+$",
    "ch": r"^(?:[0-9]{1,3}(?:'[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$|^\.[0-9]+$",
}


@dataclass(frozen=True)
class LocaleDecision:
    """How one column's numbers are read, and why."""

    locale: str | None  # None: plain digits only, any locale reads them
    #: "preset", "option", "values", "file" or "undecided"
    basis: str
    #: (row index, value) of values that would settle it one way and the other way
    evidence: dict | None = None


def locale_from_options(numbers: dict, override: str | None = None) -> str | None:
    """The locale fixed by ``--locale`` or a preset's ``numbers:`` block; None for auto.

    >>> locale_from_options({"decimal": ",", "thousands": "."}), locale_from_options({"locale": "auto"})
    ('de', None)
    """
    wanted = override or numbers.get("locale")
    if wanted:
        key = str(wanted).strip().lower()
        if key == "auto":
            return None
        key = _ALIASES.get(key, key)
        if key not in LOCALES:
            from coordkit.errors import ParameterError, allowed_values_message

            raise ParameterError(
                allowed_values_message("number locale", wanted, ("auto", *LOCALES)),
                hint="en: 1,234.50  de: 1.234,50  fr: 1 234,50  ch: 1'234.50",
            )
        return key
    decimal = numbers.get("decimal")
    if decimal is None:
        return None
    thousands = numbers.get("thousands", "," if decimal == "." else ".")
    for name, (dec, thou) in LOCALES.items():
        if dec == decimal and (thou == thousands or (not thou and thousands in (" ", "\u00a0", ""))):
            return name
    return "en" if decimal == "." else "de"


def _core(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Split cells into (number text, negative, percent, blank) with signs, currency, % and spaces removed."""
    raw = text.astype("str").str.strip()
    blank = raw.isna() | raw.str.lower().isin(NULL_SPELLINGS)
    core = raw.fillna("")
    negative = core.str.startswith("(") & core.str.endswith(")")
    core = core.mask(negative, core.str.slice(1, -1).str.strip())
    minus = core.str.startswith(("-", "\u2212"))
    core = core.mask(minus, core.str.slice(1).str.strip())
    core = core.str.replace(_CURRENCY, "", regex=True).str.strip()
    # a sign after the currency symbol: $-12.00, -$12.00 handled above
    minus2 = core.str.startswith("-")
    core = core.mask(minus2, core.str.slice(1))
    trailing_minus = core.str.endswith("-") & (core.str.len() > 1)
    core = core.mask(trailing_minus, core.str.slice(0, -1))
    plus = core.str.startswith("+")
    core = core.mask(plus, core.str.slice(1))
    percent = core.str.endswith("%")
    core = core.mask(percent, core.str.slice(0, -1)).str.strip()
    # spaces group thousands only in threes: "20 7946 0958" is a phone number, not money
    spaced = core.str.contains(_SPACES).fillna(False)
    badly_spaced = spaced & ~core.str.fullmatch(_SPACED).fillna(False)
    core = core.str.replace(_SPACES, "", regex=True).mask(badly_spaced, "?")
    negative = negative | minus | minus2 | trailing_minus
    return core, negative.fillna(False), percent.fillna(False), blank.fillna(False)


def profile_locales(text: pd.Series) -> pd.DataFrame:
    """Which locales can read each present, non-plain value: one boolean column per locale."""
    core, _neg, _pct, blank = _core(text)
    present = ~blank & ~core.str.fullmatch(_PLAIN).fillna(False) & core.ne("")
    # space-grouped values (1 234,50) read as French even if the locale allows no space
    spaced = text.astype("str").str.contains("[0-9]" + _SPACE_CHARS + "[0-9]{3}(?:[^0-9]|$)", regex=True).fillna(False)
    fits = {}
    for name, shape in _SHAPES.items():
        fits[name] = (present & core.str.fullmatch(shape).fillna(False)).to_numpy(dtype=bool)
    frame = pd.DataFrame(fits, index=text.index)
    frame["fr"] = frame["fr"] | (spaced.to_numpy(dtype=bool) & frame["de"].to_numpy(dtype=bool) & ~core.str.contains(r"\.").fillna(False).to_numpy(dtype=bool))
    frame["_present"] = present.to_numpy(dtype=bool)
    return frame


def decide_locale(text: pd.Series) -> LocaleDecision:
    """Decide the locale of one column from all its values.

    A value settles the question when it fits only locales that agree on the
    decimal mark. ``1,234`` fits en (thousands) and de (decimals): it does not.
    """
    fits = profile_locales(text)
    present = fits["_present"]
    if not present.any():
        return LocaleDecision(None, "values")
    dot_decimal = fits["en"] | fits["ch"]
    comma_decimal = fits["de"] | fits["fr"]
    only_dot = present & dot_decimal & ~comma_decimal
    only_comma = present & comma_decimal & ~dot_decimal
    dots, commas = int(only_dot.sum()), int(only_comma.sum())
    if dots and commas and dots == commas:
        first_dot, first_comma = int(np.flatnonzero(only_dot)[0]), int(np.flatnonzero(only_comma)[0])
        return LocaleDecision(None, "conflict", {"dot": (first_dot, text.iloc[first_dot]), "comma": (first_comma, text.iloc[first_comma])})
    # the column's own majority decides; the values written the other way are then rejected one by one
    if dots and commas:
        only_dot, only_comma = (only_dot, only_comma & False) if dots > commas else (only_dot & False, only_comma)
    if only_dot.any():
        # Swiss apostrophes are the only sign of ch
        return LocaleDecision("ch" if (fits["ch"] & ~fits["en"] & present).any() else "en", "values")
    if only_comma.any():
        return LocaleDecision("fr" if (fits["fr"] & ~fits["de"] & present).any() else "de", "values")
    ambiguous = present & dot_decimal & comma_decimal
    if ambiguous.any():
        first = int(np.flatnonzero(ambiguous)[0])
        return LocaleDecision(None, "undecided", {"ambiguous": (first, text.iloc[first])})
    return LocaleDecision(None, "values")  # nothing readable: parse_numbers rejects the values


#: a whole number grouped in threes by the mark that is the decimal mark of the locale:
#: ``24.000`` is 24 in en and 24000 in de; ``1,234`` is 1234 in en and 1.234 in de
_GROUPED_BY_DECIMAL_MARK = {
    "en": r"^[0-9]{1,3}(?:\.[0-9]{3})+$",
    "ch": r"^[0-9]{1,3}(?:\.[0-9]{3})+$",
    "de": r"^[0-9]{1,3}(?:,[0-9]{3})+$",
    "fr": r"^[0-9]{1,3}(?:,[0-9]{3})+$",
}


def grouped_like_other_locale(text: pd.Series, locale: str | None) -> pd.Series:
    """Values that ``locale`` reads as a fraction with three decimals but look like thousands written the other way.

    >>> grouped_like_other_locale(pd.Series(["24.000", "24.00", "1,234", "EUR 1.500"]), "en").tolist()
    [True, False, False, True]
    """
    core, _negative, _percent, blank = _core(text)
    shaped = core.str.fullmatch(_GROUPED_BY_DECIMAL_MARK[locale or "en"]).fillna(False)
    return pd.Series((shaped & ~blank).to_numpy(dtype=bool), index=text.index)


def parse_numbers(text: pd.Series, locale: str | None) -> tuple[pd.Series, pd.Series]:
    """Return (float values, blank mask); a value that does not fit ``locale`` is NaN and not blank.

    >>> parse_numbers(pd.Series(["1.234,50", "(12,00)", "N/A", "7%"]), "de")[0].tolist()
    [1234.5, -12.0, nan, 7.0]
    """
    core, negative, _percent, blank = _core(text)
    locale = locale or "en"
    decimal, thousands = LOCALES[locale]
    fits = core.str.fullmatch(_SHAPES[locale]).fillna(False)
    if locale == "fr":
        # fr has only spaces for thousands and they are gone by now; 1.234 is not French
        fits = fits & ~core.str.contains(r"\.").fillna(False)
    cleaned = core
    if thousands:
        cleaned = cleaned.str.replace(thousands, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    cleaned = cleaned.where(fits & ~blank)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    values = values.where(~negative.to_numpy(dtype=bool), -values)
    return pd.Series(values.to_numpy(), index=text.index), pd.Series(blank.to_numpy(dtype=bool), index=text.index)
