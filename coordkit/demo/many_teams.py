"""Split the demo's three teams into many, for timing a batch of reviews over many teams or clients.

``coordkit demo DIR --teams 100`` writes the usual exports, then relabels
rows so that each of the three teams becomes about a third of ``count``
sub-teams (``emea-01``, ``emea-02``, ...): outputs and planned spend by
campaign, outcomes by account, targets divided evenly. Row counts and the
weekly totals of all teams together are unchanged, so the workload is the
demo's, spread over more reviews. The ground truth files describe the
three-team demo only; this module rewrites them to say so.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

__all__ = ["split_teams"]


def _bucket(key: str, count: int) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % count


def _sub_team(team: str, key: str, counts: dict[str, int]) -> str:
    count = counts.get(team)
    if not count:
        return team
    return f"{team}-{_bucket(key, count) + 1:02d}"


def _rewrite(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [out for row in reader for out in change(row)]
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(path)


def split_teams(exports: str | Path, count: int, teams=("emea", "north-america", "apac")) -> list[str]:
    """Relabel the demo exports in ``exports`` into ``count`` teams; return their names."""
    if count < len(teams):
        raise ValueError(f"--teams must be at least {len(teams)}; got {count}")
    exports = Path(exports)
    counts = {team: count // len(teams) + (1 if i < count % len(teams) else 0) for i, team in enumerate(teams)}

    def by_campaign(row):
        row["team"] = _sub_team(row["team"], row.get("campaign") or row.get("output_id", ""), counts)
        yield row

    def by_account(row):
        row["team"] = _sub_team(row["team"], row.get("account_id") or row.get("contact_id") or row["outcome_id"], counts)
        yield row

    def targets(row):
        n = counts.get(row["team"])
        if not n:
            yield row
            return
        for i in range(n):
            yield {**row, "team": f"{row['team']}-{i + 1:02d}", "value": f"{float(row['value']) / n:.2f}"}

    _rewrite(exports / "outputs.csv", by_campaign)
    _rewrite(exports / "spend.csv", by_campaign)
    for name in ("outcomes.csv", "outcomes_update.csv"):
        _rewrite(exports / name, by_account)
    _rewrite(exports / "targets.csv", targets)
    note = (f"\n\n> This workspace was split into {count} teams with `--teams {count}` (for timing batches): the "
            "per-team facts above describe the three-team demo; totals over all teams are unchanged.\n")
    ground_truth = exports / "GROUND_TRUTH.md"
    if ground_truth.exists():
        ground_truth.write_text(ground_truth.read_text(encoding="utf-8") + note, encoding="utf-8")
    return sorted(f"{team}-{i + 1:02d}" for team, n in counts.items() for i in range(n))
