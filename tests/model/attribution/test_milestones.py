"""Milestone models on the workspace: hand-computed cases, a brute-force reference, conservation."""

from __future__ import annotations

import itertools
import math
import warnings

import ibis
import numpy as np
import pandas as pd
import pytest

from coordkit.errors import ParameterError
from coordkit.model.attribution.milestones import check_custom_weights, milestone_weights_numpy
from coordkit.model.attribution.outcomes import MilestoneWarning, attribute_outcomes

DAY0 = pd.Timestamp("2024-03-01", tz="UTC")


def day(n):
    return DAY0 + pd.Timedelta(days=n)


OUTPUTS = pd.DataFrame(
    {
        "output_id": ["o1", "o2", "o3", "o4"],
        "channel": ["email", "social", "events", "paid_search"],
        "campaign": ["Spring", "Spring", "Expo", "Search"],
    }
)
TOUCHES = pd.DataFrame(
    {
        "touchpoint_id": [f"t{i}" for i in range(1, 10)],
        "contact_id": ["c1", "c1", "c1", "c2", "c2", "c1", "c2", "c1", "c1"],
        "touched_at": [day(d) for d in (0, 2, 4, 6, 8, 9, 12, 15, 20)],
        "output_id": ["o1", "o2", "o3", "o4", "o1", "o2", "o3", "o4", "o1"],
    }
)
OUTCOMES = pd.DataFrame(
    {
        "outcome_id": ["L1", "L2", "D1", "D2"],
        "kind": ["lead", "lead", "deal", "deal"],
        "contact_id": ["c1", "c2", "c1", "c2"],
        "created_at": [day(5), day(7), day(10), day(13)],
        "closed_at": [pd.NaT, pd.NaT, day(16), pd.NaT],
        "won": [None, None, True, None],
        "amount": [0.0, 0.0, 1000.0, 500.0],
    }
)
OUTCOME_CONTACTS = pd.DataFrame({"outcome_id": ["D1"], "contact_id": ["c2"], "role": ["Influencer"], "is_primary": [False]})


def run(model, contacts=True, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MilestoneWarning)
        return attribute_outcomes(
            ibis.memtable(TOUCHES), ibis.memtable(OUTCOMES), ibis.memtable(OUTPUTS), model,
            outcome_contacts=ibis.memtable(OUTCOME_CONTACTS) if contacts else None, **kw,
        )


def by_channel(result, outcome):
    rows = result[result["outcome_id"] == outcome]
    return rows.groupby("channel")["credit"].sum().to_dict()


def test_w_shaped_deal_by_hand():
    # D1: c1 + c2 touches t1..t6 up to its creation (day 10). Lead creation: c1 became a lead on
    # day 5 -> last touch at or before it is t3 (events). Opportunity creation: last touch at or
    # before day 10 -> t6 (social). First: t1 (email). t2, t4, t5 share 10 %.
    credit = by_channel(run("w_shaped"), "D1")
    assert credit == pytest.approx(
        {"email": 0.3 + 0.1 / 3, "social": 0.1 / 3 + 0.3, "events": 0.3, "paid_search": 0.1 / 3}, abs=1e-12
    )


def test_w_shaped_without_deal_contacts_uses_the_primary_contact_only():
    # c1 only: t1 t2 t3 t6 -> first t1, lead t3, opp t6, t2 gets the 10 %
    credit = by_channel(run("w_shaped", contacts=False), "D1")
    assert credit == pytest.approx({"email": 0.3, "social": 0.1 + 0.3, "events": 0.3}, abs=1e-12)


def test_w_shaped_two_roles_on_one_touch_and_a_lead():
    result = run("w_shaped")
    # D2 (c2): t4 is first touch and lead creation (c2 became a lead on day 7), t7 creates the deal
    assert by_channel(result, "D2") == pytest.approx({"paid_search": 0.6, "email": 0.1, "events": 0.3}, abs=1e-12)
    # L1, a lead: no opportunity role, so 30/30/10 is scaled to 3/7, 3/7, 1/7
    assert by_channel(result, "L1") == pytest.approx({"email": 3 / 7, "events": 3 / 7, "social": 1 / 7}, abs=1e-12)


def test_full_path_counts_touches_to_the_close_and_keeps_open_deals_pending():
    result = run("full_path")
    # D1 closed on day 16: touches t1..t8 (acceleration on); closed-won touch t8 (paid_search)
    assert by_channel(result, "D1") == pytest.approx(
        {"email": 0.225 + 0.025, "social": 0.025 + 0.225, "events": 0.225 + 0.025, "paid_search": 0.025 + 0.225},
        abs=1e-12,
    )
    # D2 is open: 22.5 % pending; t4 first + lead (45 %), t7 opportunity (22.5 %), t5 the 10 %
    d2 = by_channel(result, "D2")
    assert d2 == pytest.approx({"paid_search": 0.45, "email": 0.1, "events": 0.225, "(pending)": 0.225}, abs=1e-12)
    pending = result[(result["outcome_id"] == "D2") & (result["channel"] == "(pending)")]
    assert pending["amount"].sum() == pytest.approx(0.225 * 500)


def test_u_shaped_deal_by_hand():
    # D1: first t1 40 %, lead t3 40 %, t2 t4 t5 t6 share 20 %
    credit = by_channel(run("u_shaped"), "D1")
    assert credit == pytest.approx({"email": 0.4 + 0.05, "social": 0.1, "events": 0.4, "paid_search": 0.05}, abs=1e-12)


def test_acceleration_option_adds_touches_after_creation():
    with_acc = by_channel(run("w_shaped", acceleration=True), "D1")
    # t7 (events, day 12) and t8 (paid_search, day 15) join the 10 % share: 5 others
    assert with_acc == pytest.approx(
        {"email": 0.3 + 0.02, "social": 0.02 + 0.3, "events": 0.3 + 0.02, "paid_search": 0.02 + 0.02}, abs=1e-12
    )


def test_custom_model_weights_from_the_config():
    weights = {"first_touch": 0.1, "lead_creation": 0.2, "opportunity_creation": 0.3, "closed_won": 0.3, "other": 0.1}
    credit = by_channel(run("custom", custom_weights=weights), "D1")
    # t1 0.1, t3 0.2, t6 0.3, t8 0.3, t2 t4 t5 t7 0.025 each
    assert credit == pytest.approx(
        {"email": 0.1 + 0.025, "social": 0.025 + 0.3, "events": 0.2 + 0.025, "paid_search": 0.025 + 0.3}, abs=1e-12
    )


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"first_touch": 0.5, "lead_creation": 0.4}, "sum to 1"),
        ({"first_touch": 0.5, "deal": 0.5}, "unknown stage 'deal'"),
        ({"first_touch": -0.5, "other": 1.5}, "must be a number >= 0"),
        (None, "needs stage weights"),
    ],
)
def test_custom_weights_are_checked(weights, message):
    with pytest.raises(ParameterError, match=message):
        check_custom_weights(weights)


def test_missing_lead_date_warns_and_reshares():
    outcomes = OUTCOMES[OUTCOMES["kind"] == "deal"]
    with pytest.warns(MilestoneWarning, match="no lead-creation touch"):
        result = attribute_outcomes(
            ibis.memtable(TOUCHES), ibis.memtable(outcomes), ibis.memtable(OUTPUTS), "w_shaped",
            outcome_contacts=ibis.memtable(OUTCOME_CONTACTS),
        )
    assert result.attrs["missing_roles"]["lead_creation"] == 2
    assert result.groupby("outcome_id")["credit"].sum().to_dict() == pytest.approx({"D1": 1.0, "D2": 1.0})


# --- brute force: an independent, loop-by-loop reading of the documented rule ---------------

ROLE_WEIGHTS = {
    "u_shaped": ({"first": 0.4, "lead": 0.4}, 0.2),
    "w_shaped": ({"first": 0.3, "lead": 0.3, "opp": 0.3}, 0.1),
    "full_path": ({"first": 0.225, "lead": 0.225, "opp": 0.225, "closed": 0.225}, 0.1),
}


def brute_force(touches, outcomes, outcome_contacts, model, acceleration, lookback_days=90):
    roles_w, rest = ROLE_WEIGHTS[model]
    lead_dates = {}
    for o in outcomes.itertuples():
        if o.kind == "lead":
            lead_dates[o.contact_id] = min(lead_dates.get(o.contact_id, o.created_at), o.created_at)
    credit = {}
    for o in outcomes.itertuples():
        people = {o.contact_id} | set(outcome_contacts.loc[outcome_contacts["outcome_id"] == o.outcome_id, "contact_id"])
        is_lead = o.kind == "lead"
        is_open = not is_lead and pd.isna(o.closed_at)
        end = o.created_at
        if acceleration:
            end = pd.Timestamp.max.tz_localize("UTC") if pd.isna(o.closed_at) else o.closed_at
        start = o.created_at - pd.Timedelta(days=lookback_days)
        journey = sorted(
            (t for t in touches.itertuples() if t.contact_id in people and start <= t.touched_at <= end),
            key=lambda t: (t.touched_at, t.touchpoint_id),
        )
        if not journey:
            continue
        lead_at = o.created_at if is_lead else min((lead_dates[p] for p in people if p in lead_dates), default=None)

        def last_before(limit):
            found = [i for i, t in enumerate(journey) if limit is not None and t.touched_at <= limit]
            return found[-1] if found else None

        where = {"first": 0, "lead": last_before(lead_at)}
        if not is_lead:
            where["opp"] = last_before(o.created_at)
            if not is_open:
                where["closed"] = last_before(o.closed_at)
        pending = roles_w.get("closed", 0.0) if is_open else 0.0
        raw = [0.0] * len(journey)
        keys = set()
        for role, w in roles_w.items():
            if where.get(role) is not None:
                raw[where[role]] += w
                keys.add(where[role])
        others = [i for i in range(len(journey)) if i not in keys]
        for i in others:
            raw[i] += rest / len(others)
        total = sum(raw)
        for i, t in enumerate(journey):
            channel = OUTPUTS.set_index("output_id").loc[t.output_id, "channel"]
            credit[(o.outcome_id, channel)] = credit.get((o.outcome_id, channel), 0.0) + raw[i] / total * (1 - pending)
        if pending:
            credit[(o.outcome_id, "(pending)")] = pending
    return credit


def _random_workspace(seed):
    rng = np.random.default_rng(seed)
    contacts = [f"c{i}" for i in range(6)]
    touches = pd.DataFrame(
        {
            "touchpoint_id": [f"t{i:03d}" for i in range(60)],
            "contact_id": rng.choice(contacts, 60),
            "touched_at": [day(int(d)) for d in rng.integers(0, 120, 60)],
            "output_id": rng.choice(OUTPUTS["output_id"], 60),
        }
    )
    rows = []
    for i, c in enumerate(contacts):
        rows.append((f"L{i}", "lead", c, day(int(rng.integers(10, 60))), pd.NaT, 0.0))
    for i in range(5):
        created = int(rng.integers(40, 110))
        closed = day(created + int(rng.integers(1, 15))) if rng.random() < 0.6 else pd.NaT
        rows.append((f"D{i}", "deal", rng.choice(contacts), day(created), closed, float(rng.integers(100, 999))))
    outcomes = pd.DataFrame(rows, columns=["outcome_id", "kind", "contact_id", "created_at", "closed_at", "amount"])
    links = pd.DataFrame({"outcome_id": [f"D{i}" for i in range(5) for _ in range(2)],
                          "contact_id": rng.choice(contacts, 10)})
    return touches, outcomes, links


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("model", "acceleration"), [("u_shaped", False), ("w_shaped", False), ("w_shaped", True),
                                                     ("full_path", True), ("full_path", False)])
def test_equals_brute_force_and_conserves_credit(seed, model, acceleration):
    touches, outcomes, links = _random_workspace(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MilestoneWarning)
        result = attribute_outcomes(
            ibis.memtable(touches), ibis.memtable(outcomes), ibis.memtable(OUTPUTS), model,
            outcome_contacts=ibis.memtable(links), acceleration=acceleration,
        )
    expected = brute_force(touches, outcomes, links, model, acceleration)
    got = result.groupby(["outcome_id", "channel"])["credit"].sum().to_dict()
    assert set(got) == set(expected)
    for k in expected:
        assert math.isclose(got[k], expected[k], abs_tol=1e-12), k
    # conservation: every outcome with a touch sums to 1 (pending included), amounts to the outcome's
    sums = result.groupby("outcome_id")[["credit", "amount"]].sum()
    assert np.allclose(sums["credit"], 1.0, atol=1e-12)
    amounts = outcomes.set_index("outcome_id")["amount"]
    assert np.allclose(sums["amount"], amounts.loc[sums.index], atol=1e-9)


@pytest.mark.parametrize("n", range(1, 7))
def test_numpy_rule_equals_enumeration_of_role_placements(n):
    # every placement of (first, lead, opp) roles in an n-touch journey: shares sum to 1, a role's
    # touch never gets less than a touch that plays none, and two roles on one touch add up
    for lead, opp in itertools.product(range(n), repeat=2):
        pos = np.arange(n)
        w = milestone_weights_numpy(pos, np.array([n]), [np.array([0]), np.array([lead]), np.array([opp])],
                                    [0.3, 0.3, 0.3], 0.1)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        keys = {0, lead, opp}
        if n > len(keys):
            for i in range(n):
                roles = (i == 0) + (i == lead) + (i == opp)
                assert w[i] == pytest.approx(0.3 * roles if roles else 0.1 / (n - len(keys)), abs=1e-12)


def test_custom_weights_read_from_coordkit_yaml(tmp_path):
    from coordkit.config import load_config

    (tmp_path / "coordkit.yaml").write_text(
        "attribution_custom:\n  first_touch: 0.5\n  opportunity_creation: 0.5\n"
    )
    weights = load_config(tmp_path).attribution_custom
    # D1: first t1 50 %, opportunity t6 50 %, nothing for the others (other: 0)
    assert by_channel(run("custom", custom_weights=weights), "D1") == pytest.approx(
        {"email": 0.5, "social": 0.5, "events": 0.0, "paid_search": 0.0}, abs=1e-12
    )
