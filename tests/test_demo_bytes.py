"""`coordkit demo --no-review` writes the same bytes as the generator version the hashes below were taken from.

How the hashes were obtained (so the test stays honest): at commit 4cf9e8a,
before ``coordkit/demo.py`` was split into the ``coordkit/demo/`` package, the
old single-module generator was run twice through the real command,
``coordkit demo a --no-review`` and ``coordkit demo b --no-review``, and every
file under each folder was hashed with ``sha256sum``. Both runs agreed on every
file in ``exports/``; those hashes are pinned here. The split package then had
to reproduce them before it was committed.

The workspace store (``.coordkit/workspace.duckdb``, ``data-state``) is written
by the ingest layer, not by the demo: it holds ingest timestamps and a change
token, so it differs between two runs of the *same* code and cannot be pinned by
file hash. It is tied to the pinned bytes instead: the ingest log must record,
for each demo file, exactly the pinned content hash, and the row counts the
ground truth states. (At the split, the workspace tables were also compared
row by row, timestamps and absolute paths dropped: identical before and after.)

When the demo is changed on purpose, re-run the generator, check the change is
the intended one, and update the hashes in a commit that says why.

History of the pinned hashes:
1. commit 4cf9e8a (single-module generator), reproduced by the split package.
2. generator version 2 (stage history): outcome_stages.csv is new; outcomes.csv
   and outcomes_update.csv change (the planted Proposal slump flips 14 wins to
   losses; an open deal is never shown past the stage it will be lost at, and
   open stalled deals stay in Discovery), so do the ground-truth files;
   outputs, touchpoints, targets and spend keep the hashes of version 1. Taken
   from two runs (``coordkit demo`` and ``generate_demo`` in another process)
   that agreed on every file.
3. generator version 3 (lead lifecycle): lead_stages.csv is new (drawn from
   its own random stream), ground_truth.json and GROUND_TRUTH.md gain the
   lead-lifecycle section (version 3, planted.lead_lifecycle, the new file's
   row counts); every other CSV keeps the hash of version 2. Taken the same
   way (``coordkit demo`` and ``generate_demo`` in another process agreed on
   every file).
"""

from __future__ import annotations

import hashlib

import pytest

# sha256 of every file generate_demo writes, seed 20261116, generator version 3
EXPORT_SHA256 = {
    "ground_truth.json": "9658abbed12b80a054eb242a87a5c63c224f3e800a16162f1614d35c722e253a",
    "GROUND_TRUTH.md": "6ac8f94d7be9567dfb285c3a3ecb4556de0e569656bb5826d8b1dae0c2171d7e",
    "lead_stages.csv": "d1a2620cdf6feca497f4e1d15600b0fb0d0841dfda5db09191103dc91746dd7b",
    "outcome_stages.csv": "e9558aab4b765c60c5aa3cecf11060cae17c51bdb81059756d519dfa26408b2b",
    "outcomes.csv": "376c2b067e86918907c425a98a660f7784a82f323521b743b31896427a27253c",
    "outcomes_update.csv": "10419108f4c0774417c53c258e73d47bd4522055c700a66d8c63b3fb15b12509",
    "outputs.csv": "1668ac3eca67ae879f2f02c5b948359dd41ee88cb5f68e74a381c8a27da2dd9e",
    "spend.csv": "7365b2b38de4dd2b72167cfd8bcf3b4f1c6631e51b73c63167f86d898bfa888a",
    "targets.csv": "b8a128a10e39df1f6c6d5c77363cbccf3f82e0009804ed841de484647a25939c",
    "touchpoints.csv": "b8b5d20055e128ad9b4723d40b433cc2b3dfa746a6c9a0d2db79feeb3655c85a",
}


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_writes_exactly_the_pinned_files(demo_workspace):
    written = sorted(p.name for p in (demo_workspace / "exports").iterdir() if p.is_file())
    assert written == sorted(EXPORT_SHA256)


@pytest.mark.parametrize("name", sorted(EXPORT_SHA256))
def test_every_export_has_the_pinned_bytes(demo_workspace, name):
    assert _sha256(demo_workspace / "exports" / name) == EXPORT_SHA256[name], name


def test_workspace_ingested_exactly_the_pinned_bytes(demo_workspace, ground_truth):
    from coordkit.ingest.workspace import open_workspace

    with open_workspace(demo_workspace, read_only=True, create=False) as ws:
        log = ws.ingest_log()
    csvs = {name for name in EXPORT_SHA256 if name.endswith(".csv")}
    assert sorted(log["file"].map(lambda f: f.replace("\\", "/").rsplit("/", 1)[-1])) == sorted(csvs)
    for row in log.itertuples():
        name = row.file.replace("\\", "/").rsplit("/", 1)[-1]
        assert row.content_hash == EXPORT_SHA256[name], name
        expected = ground_truth["rows"][name]
        assert (row.rows_read, row.accepted, row.rejected) == (
            expected["rows"],
            expected["accepted"],
            expected["rejected"],
        ), name
