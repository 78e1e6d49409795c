"""One file name per team or client: readable, unique, bounded, and never the all-teams review's.

``Acme Inc`` and ``Acme Inc.``, ``a/b`` and ``a-b``, ``EMEA (UK)`` and
``EMEA UK`` would all map to the same readable slug; when a name is not
already its own slug, a short stable hash of the exact name is added, so two
teams never overwrite each other's report. A team literally called ``all``
gets a hash too: ``all`` is the all-teams review.

>>> report_stem("north-america"), report_stem("all"), report_stem("Acme Inc") != report_stem("Acme Inc.")
('north-america', 'all', True)
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["ALL_TEAMS", "MAX_SLUG", "report_stem"]

ALL_TEAMS = "all"
#: long names are cut (the hash keeps them apart): file systems allow 255 bytes per name
MAX_SLUG = 60


def report_stem(team: str, all_teams: bool | None = None) -> str:
    """The file name (without suffix) of ``team``'s review; ``all`` for the all-teams review.

    ``all_teams`` says whether ``team == "all"`` means the all-teams review
    (the default) or a team that happens to be named so.
    """
    if team == ALL_TEAMS and all_teams is not False:
        return ALL_TEAMS
    slug = re.sub(r"[^a-z0-9_]+", "-", team.lower()).strip("-_")[:MAX_SLUG].strip("-_") or "team"
    if slug != team or slug == ALL_TEAMS:
        slug = f"{slug}-{hashlib.sha1(team.encode('utf-8')).hexdigest()[:8]}"
    return slug
