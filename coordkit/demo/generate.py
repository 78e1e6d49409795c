"""``generate_demo``: run the simulation stages, write the exports and the ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from coordkit.demo.audience import generate_contacts, generate_touchpoints
from coordkit.demo.exports import (
    UPDATE_FROM_WEEK,
    canonical_outcomes,
    canonical_outputs,
    canonical_touchpoints,
    plan_exports,
    spend,
    targets,
    weekly_metrics,
)
from coordkit.demo.lead_stages import simulate_lead_lifecycle, truth_lead_lifecycle
from coordkit.demo.messy import messy_outcomes, messy_outputs, messy_touchpoints
from coordkit.demo.outcomes import deal_fields, generate_outcomes, opp_lead_key, outcome_rows
from coordkit.demo.outputs import build_campaigns, generate_outputs
from coordkit.demo.settings import (
    DEFAULT_SEED,
    day_calendar,
    week_of,
)
from coordkit.demo.stages import simulate_stage_history, truth_stages
from coordkit.demo.truth import build_truth, export_facts, render_markdown, row_counts
from coordkit.errors import ParameterError


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _check_arguments(directory, seed) -> Path:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative whole number; got {seed!r}")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ParameterError(
            f"{directory} exists and is not a folder; choose a folder for the demo data"
        )
    return directory


def _simulate(streams) -> SimpleNamespace:
    """The causal simulation: outputs -> touches -> leads -> opportunities -> outcome rows."""
    calendar = day_calendar()
    outputs = generate_outputs(streams[0], calendar, build_campaigns())
    contacts = generate_contacts(streams[1])
    touches = generate_touchpoints(streams[2], outputs, contacts, calendar)
    leads, opps = generate_outcomes(streams[3], touches, outputs, contacts)
    leads = opp_lead_key(leads)
    opps = deal_fields(
        streams[4], opps.assign(lead_key=leads.index[leads["converted"].to_numpy()])
    )
    rows = plan_exports(streams[5], outcome_rows(streams[6], leads, opps, outputs, contacts))
    rows, stages = simulate_stage_history(streams[10], rows)
    lead_stages = simulate_lead_lifecycle(streams[11], rows)
    return SimpleNamespace(
        stages=stages,
        lead_stages=lead_stages,
        calendar=calendar,
        outputs=outputs,
        contacts=contacts,
        touches=touches,
        leads=leads,
        rows=rows,
    )


def _render_exports(streams, sim: SimpleNamespace) -> tuple[dict[str, pd.DataFrame], dict]:
    """The simulated state as the six canonical CSV frames, plus what the ground truth needs of them."""
    rows = sim.rows
    outputs_csv, messy_out = messy_outputs(
        canonical_outputs(streams[7], sim.outputs, sim.touches)
    )
    touch_csv, account_only = canonical_touchpoints(
        streams[8], sim.touches, sim.outputs, sim.contacts
    )
    touch_csv, messy_tp = messy_touchpoints(touch_csv)
    base_rows = rows[~rows["late"].to_numpy()].reset_index(drop=True)
    outcomes_csv, messy_oc = messy_outcomes(
        canonical_outcomes(base_rows, as_first_export=True), base_rows
    )
    # the re-export holds every record created or changed since UPDATE_FROM_WEEK
    changed = (week_of(rows["ts"].to_numpy()) >= UPDATE_FROM_WEEK) | rows[
        "close_logged_late"
    ].to_numpy()
    update_csv = canonical_outcomes(rows[changed].reset_index(drop=True), as_first_export=False)
    weekly = weekly_metrics(rows)
    frames = {
        "outputs": outputs_csv,
        "touchpoints": touch_csv,
        "outcomes": outcomes_csv,
        "outcomes_update": update_csv,
        "targets": targets(weekly, sim.calendar),
        "spend": spend(streams[9], sim.outputs),
        "outcome_stages": sim.stages,
        "lead_stages": sim.lead_stages,
    }
    state = {
        "weekly": weekly,
        "weekly_base": weekly_metrics(base_rows),
        "messy": messy_out + messy_tp + messy_oc,
        "account_only": account_only,
    }
    return frames, state


def generate_demo(directory, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the demo workspace's CSVs and ground truth into ``directory``; return paths by table name.

    Keys: ``outputs``, ``touchpoints``, ``outcomes``, ``outcomes_update``,
    ``targets``, ``spend``, ``outcome_stages``, ``lead_stages`` (the leads' lifecycle,
    also ingested as ``outcome_stages``), ``ground_truth`` (JSON) and
    ``ground_truth_md``.
    The same seed always gives byte-identical files.
    """
    directory = _check_arguments(directory, seed)
    directory.mkdir(parents=True, exist_ok=True)
    # one independent stream per stage, so tuning one stage never reshuffles the others
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(12)]
    sim = _simulate(streams)
    frames, state = _render_exports(streams, sim)
    files = {name: directory / f"{name}.csv" for name in frames}
    for name, frame in frames.items():
        _write_csv(frame, files[name])

    extra = export_facts(sim.rows, sim.touches, sim.contacts, frames, state["account_only"])
    truth = build_truth(
        seed,
        files,
        row_counts(frames, state["messy"]),
        state["weekly"],
        state["weekly_base"],
        sim.rows,
        sim.leads,
        sim.outputs,
        sim.touches,
        state["messy"],
        sim.calendar,
        extra,
    )
    truth["planted"]["pipeline_movement"] = truth_stages(sim.rows, sim.stages)
    truth["planted"]["lead_lifecycle"] = truth_lead_lifecycle(sim.rows, sim.lead_stages)
    files["ground_truth"] = directory / "ground_truth.json"
    files["ground_truth_md"] = directory / "GROUND_TRUTH.md"
    files["ground_truth"].write_text(
        json.dumps(truth, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    files["ground_truth_md"].write_text(render_markdown(truth), encoding="utf-8")
    return files
