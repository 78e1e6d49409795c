"""The review cache is data (Parquet and JSON), checked against the store state, and never runs code."""

from __future__ import annotations

import pickle
import shutil
import warnings

import pytest

from coordkit.analysis.review import compute_weekly_review
from coordkit.analysis.review_cache import CacheWarning, cache_key
from coordkit.analysis.review_context import review_context

pytestmark = [pytest.mark.slow, pytest.mark.hostile]  # planted and damaged caches in a shared folder


class _Planted:
    """Unpickling this writes a file: proof that a pickle was loaded."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture()
def workspace(demo_workspace, tmp_path):
    copy = tmp_path / "ws"
    shutil.copytree(demo_workspace, copy, ignore=shutil.ignore_patterns("cache"))
    return copy


def test_cache_holds_only_parquet_and_json_and_ignores_planted_pickles(workspace, tmp_path):
    key = cache_key(workspace)
    folder = workspace / ".coordkit" / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "pwned"
    for name in (f"review-{key}.pkl", f"credit-position-{key}.pkl", f"review-{key}"):
        if name.endswith(".pkl"):
            (folder / name).write_bytes(pickle.dumps(_Planted(marker)))
    context = review_context(workspace)
    context.credit("position")
    again = review_context(workspace)  # from the cache
    assert not marker.exists(), "a pickle from the workspace folder was loaded"
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and {p.suffix for p in files} <= {".parquet", ".json"}
    assert again.snapshot == context.snapshot == key
    pd_facts, cached_facts = context.facts.reset_index(drop=True), again.facts.reset_index(drop=True)
    assert list(cached_facts.columns) == list(pd_facts.columns)
    assert cached_facts["week"].tolist() == pd_facts["week"].tolist()
    assert cached_facts["won"].tolist() == pd_facts["won"].tolist()
    assert again.first_week == context.first_week and again.config == context.config


def test_damaged_cache_is_rebuilt_with_a_warning(workspace):
    fresh = compute_weekly_review(workspace, week="2026-W47", team="emea")
    entry = next((workspace / ".coordkit" / "cache").glob("review-*"))
    (entry / "facts.parquet").write_bytes(b"not parquet at all")
    credit = next((workspace / ".coordkit" / "cache").glob("credit-position-*.parquet"))
    credit.write_bytes(b"garbage")
    with pytest.warns(CacheWarning, match="damaged"):
        context = review_context(workspace)
    with pytest.warns(CacheWarning, match="damaged"):
        context.credit("position")
    rebuilt = compute_weekly_review(context, week="2026-W47", team="emea")
    assert rebuilt.headline["value"].tolist() == fresh.headline["value"].tolist()
    assert rebuilt.attributed_by_campaign["pipeline"].round(6).tolist() == fresh.attributed_by_campaign["pipeline"].round(6).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        review_context(workspace)  # the rebuilt entry is sound


def test_a_cache_entry_from_another_state_is_not_trusted(workspace):
    context = review_context(workspace)
    entry = next((workspace / ".coordkit" / "cache").glob("review-*"))
    manifest = entry / "manifest.json"
    manifest.write_text(manifest.read_text().replace(context.snapshot, "0.0.0-2-0000000000000000"), encoding="utf-8")
    with pytest.warns(CacheWarning, match="another store state"):
        review_context(workspace)


def test_a_pinned_snapshot_is_read_once_per_process_and_prefetch_reads_only_an_existing_entry(workspace):
    from coordkit.analysis import review_context as context_module

    context_module._LOADED.clear()
    assert context_module.prefetch(workspace) is None  # no cache entry yet: the command builds it, not the kernel
    assert not (workspace / ".coordkit" / "cache").exists() or not list((workspace / ".coordkit" / "cache").glob("review-*"))
    key = review_context(workspace).snapshot
    assert review_context(workspace) is not review_context(workspace)  # unpinned: store state and cache checked each time
    assert context_module.prefetch(workspace) == key
    pinned = review_context(workspace, snapshot=key)
    assert review_context(workspace, snapshot=key) is pinned  # a batch's kernel reads its snapshot once
    assert pinned._pipeline is not None  # prefetch loaded the stage history (or noted there is none)
    # the shared frames are the same as a fresh read of that state
    fresh = review_context(workspace)
    assert pinned.facts.reset_index(drop=True).equals(fresh.facts.reset_index(drop=True))
    context_module._LOADED.clear()
