"""Reading a campaign label: its distinctive words, its qualifiers, and whether it is a campaign at all.

``TB | Search | Spend Leak Report``, ``TB_SpendLeakReport_LeadGen_2026``,
``spend-leak-report-2026`` and ``2026 Spend Leak Report`` all read as the core
words ``{spend, leak, report}`` with the year ``2026`` as a qualifier. Words that
say *how* a campaign runs (channel, network, objective, format, e-mail kind)
are dropped, because every campaign has them: two labels that share only such
words share nothing. Years and quarters are kept apart as qualifiers: a label
without one may join a campaign that has one, but ``2025`` and ``2026`` never
join.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = [
    "GENERIC_WORDS",
    "LabelReading",
    "detect_prefixes",
    "is_placeholder",
    "read_label",
    "split_words",
]

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: values that mean "no campaign": analytics placeholders and empty tags
PLACEHOLDERS = frozenset({
    "(not set)", "(none)", "(organic)", "(direct)", "(referral)", "(cross-network)", "(data not available)",
    "(other)", "(not provided)", "(untagged)", "not set", "none", "n/a", "na", "null", "-", "--", "direct",
    "organic", "referral", "untagged", "(unattributed)", "(unlinked)",
})

#: channel, network, objective, format and e-mail words: how a campaign runs, not which one it is
GENERIC_WORDS = _words("""
search display video videos social paid organic email emails mail newsletter newsletters cpc ppc cpm sem seo
leadgen lead leads gen generation conversion conversions traffic engagement retargeting remarketing rmkt
prospecting reach ads ad campaign campaigns camp promo promotion promoted boosted boost sponsored
webinar webinars event events ebook whitepaper post posts blog invite invites invitation reminder reminders
registration registrations register signup signups recap replay followup announcement
linkedin li facebook fb meta instagram ig google gads adwords bing microsoft twitter tiktok youtube yt
mailchimp hubspot hootsuite buffer pmax dsa rsa exact phrase broad evergreen always on
the a an of for and to in with by our your at from
""")

#: phrases dropped before splitting into words (e-mail kinds written as several words)
_GENERIC_PHRASES = (
    "last chance", "save the date", "follow up", "follow-up", "thank you", "thanks for attending",
    "lead gen", "lead generation", "always on", "always-on", "e-mail", "e-book",
)
_STOP = _words("the a an of for and to in with by our your at from on")
_MONTHS = _words(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august "
    "september october november december"
)
#: markets: two labels for different regions are two campaigns, a label without one may join either
#: (two-letter country codes that are also English words, such as "in" or "it", are left out)
REGIONS = _words("na amer americas emea apac latam anz dach nordics benelux us usa uk eu global intl ww")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_SHORT_YEAR = re.compile(r"^fy(\d\d)$")
_QUARTER = re.compile(r"^([qh])([1-4])$")
_BRANDS = re.compile(r"LinkedIn|YouTube|TikTok|HubSpot|MailChimp|eBook|WhatsApp|PayPal|GitHub|WordPress|SalesForce", re.IGNORECASE)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def is_placeholder(label: str | None) -> bool:
    """True for values that name no campaign: ``(not set)``, ``(organic)``, ``(direct)``, empty."""
    if label is None:
        return True
    text = str(label).strip().lower()
    return text == "" or text in PLACEHOLDERS


def split_words(label: str) -> list[str]:
    """Words of a label: separators, camelCase and digits split, lower-cased.

    >>> split_words("TB_SpendLeakReport_LeadGen_2026")
    ['tb', 'spend', 'leak', 'report', 'lead', 'gen', '2026']
    >>> split_words("CFORoundtable #41")
    ['cfo', 'roundtable', '41']
    """
    text = re.sub(r"%20|\+", " ", str(label))
    # brand names written in camelCase are one word, not two
    text = _BRANDS.sub(lambda m: m.group(0).lower(), text)
    words = []
    for chunk in re.split(r"[^0-9A-Za-z\u00C0-\u024F]+", text):
        if not chunk:
            continue
        # camelCase only splits mixed case; an all-lower or all-upper chunk stays whole
        parts = _CAMEL.findall(chunk) if re.search(r"[a-z][A-Z]|[A-Z]{2}[a-z]|[A-Za-z]\d|\d[A-Za-z]", chunk) else [chunk]
        words.extend(p.lower() for p in parts if p)
    return _rejoin_qualifiers(words)


def _rejoin_qualifiers(words: list[str]) -> list[str]:
    # camelCase splitting cuts "Q3" and "FY26" in two; they are one qualifier
    out: list[str] = []
    for word in words:
        if out and word.isdigit() and (
            (out[-1] in ("q", "h") and word in ("1", "2", "3", "4")) or (out[-1] == "fy" and len(word) == 2)
        ):
            out[-1] += word
        else:
            out.append(word)
    return out


def _stem(word: str) -> str:
    # light plural folding: templates -> template, never "ss" (class, access)
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def detect_prefixes(labels_by_source: dict[str, list[str]], min_labels: int = 3, min_share: float = 0.6) -> set[str]:
    """Account prefixes such as ``TB`` in ``TB | Search | ...`` and ``TB_...``.

    A short first word carried by most labels of one source is the account's
    naming convention, not part of any campaign's name.
    """
    prefixes = set()
    for labels in labels_by_source.values():
        firsts = [words[0] for words in (split_words(x) for x in labels if not is_placeholder(x)) if len(words) > 1]
        if len(firsts) < min_labels:
            continue
        word, count = Counter(firsts).most_common(1)[0]
        # a market (NA, EMEA) is a qualifier that tells campaigns apart, never an account prefix
        if count / len(firsts) >= min_share and len(word) <= 4 and not word.isdigit() and word not in REGIONS:
            prefixes.add(word)
    return prefixes


@dataclass(frozen=True)
class LabelReading:
    """What a label says: core words, qualifiers (years, quarters) and what was dropped."""

    label: str
    placeholder: bool
    #: distinctive words, in reading order (duplicates removed)
    core: tuple[str, ...]
    #: years (``2026``) and quarters (``q3``, ``h2``)
    years: frozenset[str]
    quarters: frozenset[str]
    dropped: tuple[str, ...]
    regions: frozenset[str] = frozenset()
    #: every word but prefixes, stop words and numbers: the key of a label made only of generic words
    words: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        if self.core:
            return tuple(sorted(self.core))
        # generic words only: such labels join only labels with exactly the same words
        return ("~generic", *sorted(set(self.words)))

    @property
    def qualifiers(self) -> tuple[frozenset, frozenset, frozenset]:
        return self.years, self.quarters, self.regions

    @property
    def generic_only(self) -> bool:
        return not self.placeholder and not self.core


def read_label(label: str, prefixes: set[str] | frozenset[str] = frozenset(), vocabulary: set[str] | None = None) -> LabelReading:
    """Read one label into core words and qualifiers.

    >>> read_label("TB | Search | Spend Leak Report", {"tb"}).core
    ('spend', 'leak', 'report')
    >>> sorted(read_label("TB_SpendLeakReport_LeadGen_2026", {"tb"}).years)
    ['2026']
    """
    if is_placeholder(label):
        return LabelReading(str(label or ""), True, (), frozenset(), frozenset(), ())
    text = str(label)
    lowered = text.lower()
    for phrase in _GENERIC_PHRASES:
        lowered = lowered.replace(phrase, " ")
    # keep camelCase information: drop the phrases from the original text by position
    text = text if lowered == text.lower() else _drop_phrases(text)
    words = split_words(text)
    if words and words[0] in prefixes:
        words = words[1:]
    core, years, quarters, regions, dropped = [], set(), set(), set(), []
    previous = None
    all_words = [w for w in words if not w.isdigit() and w not in _STOP and len(w) > 1 and w not in _MONTHS]
    for word in words:
        if word in REGIONS:
            regions.add(word)
        elif _YEAR.match(word):
            years.add(word)
        elif _SHORT_YEAR.match(word):
            years.add("20" + _SHORT_YEAR.match(word).group(1))
        elif _QUARTER.match(word):
            quarters.add(word)
        elif word.isdigit() or word in _MONTHS or (word.startswith("#") and word[1:].isdigit()):
            dropped.append(word)  # issue numbers, days and months: one newsletter, many sends
        elif word == "fy" or word in GENERIC_WORDS or len(word) == 1:
            dropped.append(word)
        else:
            stem = _stem(word)
            if vocabulary and len(stem) >= 8 and stem not in vocabulary:
                pieces = _segment(stem, vocabulary)
                if pieces:
                    core.extend(p for p in pieces if p not in GENERIC_WORDS)
                    continue
            if stem != previous:
                core.append(stem)
        previous = word
    seen, ordered = set(), []
    for word in core:
        if word not in seen:
            seen.add(word)
            ordered.append(word)
    return LabelReading(str(label), False, tuple(ordered), frozenset(years), frozenset(quarters), tuple(dropped),
                        frozenset(regions), tuple(all_words))


def _drop_phrases(text: str) -> str:
    for phrase in _GENERIC_PHRASES:
        text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE)
    return text


def _segment(word: str, vocabulary: set[str]) -> list[str] | None:
    """Split a run-together word (``expensepolicytemplate``) into known words, or None.

    Only whole coverage by words of at least three letters that other labels
    use counts; a partial or ambiguous reading leaves the word as it is.
    """
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 24), end - 2):
            piece = word[start:end]
            if best[start] is not None and (piece in vocabulary or _stem(piece) in vocabulary):
                candidate = best[start] + [_stem(piece)]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    found = best[n]
    return found if found and len(found) > 1 else None
