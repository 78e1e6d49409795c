"""Issue 14: one report file per team, whatever the team is called (collisions, paths, `all`, huge names)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordkit.filenames import MAX_SLUG, report_stem

pytestmark = pytest.mark.hostile

#: pairs the issue found writing to one file, a path escape, bidi and NUL, a 300-byte name
COLLIDING = [("Acme Inc", "Acme Inc."), ("a/b", "a-b"), ("EMEA (UK)", "EMEA UK"), ("emea", "EMEA")]
HOSTILE = ["../../etc/passwd", "..", "a\\b", "evil\u202egnp.exe", "nul\x00byte", "x" * 300, "é" * 200, "", " ", "CON"]


@pytest.mark.parametrize(("one", "other"), COLLIDING)
def test_names_that_share_a_slug_get_different_files(one, other):
    assert report_stem(one) != report_stem(other)


def test_a_team_called_all_never_gets_the_all_teams_file():
    assert report_stem("all") == "all"
    assert report_stem("all", all_teams=False) != "all"
    assert report_stem("ALL") != "all"


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_gives_a_short_plain_file_name(name):
    stem = report_stem(name, all_teams=False)
    # plain ASCII letters, digits, '-' and '_': no separator, no dot, no control or bidi character
    assert re.fullmatch(r"[a-z0-9_-]+", stem), stem
    assert len(stem.encode()) <= MAX_SLUG + 9 < 255 - len(".html")


@given(st.lists(st.text(max_size=80), min_size=2, max_size=8, unique=True))
def test_different_names_never_share_a_file(names):
    stems = [report_stem(n, all_teams=False) for n in names]
    assert len(set(stems)) == len(names)
