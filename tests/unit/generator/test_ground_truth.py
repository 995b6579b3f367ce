"""The ground truth behind a generated tape can be recovered from the tape within sampling error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nplhub.datahub.generate import Tape, generate_tape
from nplhub.datahub.generator.calibration import CLASSES, MIGRATION_MATRIX, ROUTES

NPL = {"substandard", "doubtful", "loss"}
FLOOR = [(360, 4), (270, 3), (90, 2), (7, 1)]  # days past due above -> minimum class rank


def _rank(classes: pd.Series) -> np.ndarray:
    return classes.map({c: i for i, c in enumerate(CLASSES)}).to_numpy()


def _floor(dpd: np.ndarray) -> np.ndarray:
    out = np.zeros(len(dpd), dtype=int)
    for days, rank in reversed(FLOOR):
        out[dpd > days] = rank
    return out


def _transition_counts(states: pd.DataFrame) -> np.ndarray:
    s = states.sort_values(["loan_id", "as_of_date"])
    rank = _rank(s["class"])
    same = (s["loan_id"].to_numpy()[1:] == s["loan_id"].to_numpy()[:-1])
    months = s["as_of_date"].dt.to_period("M").astype("int64").to_numpy()
    next_month = (months[1:] - months[:-1]) == 1
    ok = same & next_month
    counts = np.zeros((5, 5))
    np.add.at(counts, (rank[:-1][ok], rank[1:][ok]), 1)
    return counts


def test_the_true_migration_matrix_is_recovered_from_loan_states(large_tape: Tape):
    states = large_tape.tables["loan_states"][["loan_id", "as_of_date", "class"]].copy()
    true = large_tape.truth.true_states.set_index(["loan_id", "as_of_date"])["class"]
    keyed = states.set_index(["loan_id", "as_of_date"])
    keyed.loc[true.index, "class"] = true
    counts = _transition_counts(keyed.reset_index())
    n = counts.sum(axis=1, keepdims=True)
    estimate = counts / n
    p = large_tape.truth.migration_matrix
    assert np.array_equal(p, MIGRATION_MATRIX)
    tolerance = 4 * np.sqrt(p * (1 - p) / n) + 2e-3
    assert (np.abs(estimate - p) <= tolerance).all(), np.round(estimate - p, 4)
    assert n.min() > 1000


def test_reported_migrations_understate_downgrades_where_npls_are_hidden(large_tape: Tape):
    reported = _transition_counts(large_tape.tables["loan_states"])
    states = large_tape.tables["loan_states"][["loan_id", "as_of_date", "class"]].copy()
    true = large_tape.truth.true_states.set_index(["loan_id", "as_of_date"])["class"]
    keyed = states.set_index(["loan_id", "as_of_date"])
    keyed.loc[true.index, "class"] = true
    actual = _transition_counts(keyed.reset_index())
    # special mention -> NPL is what concealment suppresses
    assert reported[1, 2:].sum() < actual[1, 2:].sum() or reported[0, 2:].sum() < actual[0, 2:].sum()


def test_only_hidden_npls_are_reported_better_than_the_dpd_floors(large_tape: Tape):
    loans = large_tape.tables["loans"]
    below = _rank(loans["reported_class"]) < _floor(loans["days_past_due"].to_numpy())
    hidden = large_tape.truth.hidden_npl
    still = set(hidden.loc[hidden["concealed_at_cutoff"], "loan_id"])
    flagged = set(loans.loc[below, "loan_id"])
    assert flagged and flagged <= still


def test_every_hidden_npl_has_the_concession_that_hid_it(large_tape: Tape):
    hidden = large_tape.truth.hidden_npl
    fb = large_tape.tables["forbearance"]
    events = fb.merge(hidden, on="loan_id")
    events = events[events["measure_x"] == events["measure_y"]]
    gap = (events["concealment_date"] - events["event_date"]).dt.days
    matched = set(events.loc[(gap >= 0) & (gap < 31), "loan_id"])
    assert matched == set(hidden["loan_id"])
    at_cutoff = hidden[hidden["concealed_at_cutoff"]]
    assert len(at_cutoff) > 20
    assert set(at_cutoff["true_class_at_cutoff"]) <= NPL
    assert set(at_cutoff["reported_class_at_cutoff"]) == {"special_mention"}
    assert set(hidden["measure"]) == {"extension", "refinance_new_for_old"}


def test_npl_ratio_and_class_mix_sit_in_the_stated_bands(demo_tape: Tape, large_tape: Tape):
    assert 0.015 <= demo_tape.truth.npl_ratio_reported <= 0.045
    assert 0.022 <= large_tape.truth.npl_ratio_reported <= 0.038
    loans = large_tape.tables["loans"]
    live = loans[loans["outstanding_principal"] > 0]
    mix = live["reported_class"].value_counts(normalize=True)
    assert mix["normal"] > 0.90
    assert 0.015 <= mix["special_mention"] <= 0.05
    assert 0.02 <= mix[list(NPL)].sum() <= 0.045
    # the ratio a user computes from the tables is the one the truth states
    on_bs = live[~live["written_off"]]
    ratio = on_bs.loc[on_bs["reported_class"].isin(NPL), "outstanding_principal"].sum() / \
        on_bs["outstanding_principal"].sum()
    assert abs(ratio - large_tape.truth.npl_ratio_reported) < 1e-9


def test_npls_concentrate_in_the_post_pandemic_sectors(large_tape: Tape):
    t = large_tape.tables
    firms = t["loans"].merge(t["counterparties"], on="counterparty_id")
    firms = firms[firms["counterparty_type"] != "individual"]
    heavy = {"C", "F", "K", "E", "G"}
    npl = firms[firms["reported_class"].isin(NPL)]
    assert npl["industry"].isin(heavy).mean() > firms["industry"].isin(heavy).mean() + 0.05


def _resolved_with_security(tape: Tape) -> pd.DataFrame:
    d = tape.tables["disposals"].dropna(subset=["end_date"]).copy()
    d["secured"] = d["loan_id"].isin(set(tape.tables["loan_collateral"]["loan_id"]))
    d["rate"] = d["gross_recovery"] / d["exposure_at_start"]
    d["days"] = (d["end_date"] - d["start_date"]).dt.days
    return d


def test_route_recoveries_match_their_parameters_within_sampling_error(large_tape: Tape):
    d = _resolved_with_security(large_tape)
    checked = 0
    for (route, secured), group in d.groupby(["route", "secured"]):
        if route in ("judicial_auction", "in_kind") or len(group) < 30:
            continue
        params = ROUTES[route]
        mean = params.recovery_secured if secured else params.recovery_unsecured
        sd = np.sqrt(mean * (1 - mean) / (params.concentration + 1))
        assert abs(group["rate"].mean() - mean) <= 4 * sd / np.sqrt(len(group)), (route, secured)
        checked += 1
    assert checked >= 6


def test_routes_recover_and_last_in_the_directions_the_literature_reports(large_tape: Tape):
    d = _resolved_with_security(large_tape)
    rate = d.groupby(["route", "secured"])["rate"].mean()
    assert rate[("restructuring", True)] > rate[("judicial_auction", True)] > rate[("bulk_transfer", True)]
    assert rate[("bulk_transfer", False)] < 0.15  # bulk transfers at deep discounts of the claim
    assert rate[("collection", False)] < 0.25  # unsecured (mostly retail) recovering little
    assert rate[("write_off", False)] < 0.1
    median = d.groupby("route")["days"].median()
    assert median["collection"] < median["judicial_auction"]
    assert median["restructuring"] < median["judicial_auction"]
    assert median["bulk_transfer"] < median["collection"]
    costs = (d["costs"] / d["exposure_at_start"]).groupby(d["route"]).mean()
    assert costs["judicial_auction"] == costs.max()


def test_durations_of_old_cases_match_the_route_medians(large_tape: Tape):
    d = large_tape.tables["disposals"]
    cutoff = pd.Timestamp(large_tape.cutoff)
    old = d[d["start_date"] <= cutoff - pd.DateOffset(years=3)]
    assert old["end_date"].notna().mean() > 0.97
    old = old.dropna(subset=["end_date"])
    days = (old["end_date"] - old["start_date"]).dt.days
    for route, group in days.groupby(old["route"]):
        if len(group) < 40:
            continue
        p = ROUTES[route]
        se = 1.2533 * p.duration_sigma / np.sqrt(len(group))
        assert abs(np.log(group.median()) - np.log(p.median_days)) <= 4 * se + 0.02, route


def test_enforcement_reaches_every_stage_and_follows_the_auction_ladder(large_tape: Tape):
    e = large_tape.tables["enforcement"]
    stages = {"filed", "judgment", "enforcement", "appraisal", "auction_1", "auction_2", "sell_off", "in_kind",
              "terminated", "closed"}
    assert set(e["stage"]) == stages
    r1 = e[e["auction_round"] == 1]
    r2 = e[e["auction_round"] == 2]
    assert np.allclose(r1["start_price"], 0.70 * r1["reference_price"], atol=0.01)
    assert np.allclose(r2["start_price"], 0.56 * r2["reference_price"], atol=0.01)
    sold = e.dropna(subset=["sale_price"])
    assert (sold["sale_price"] >= sold["start_price"] - 0.01).all()
    assert (e.loc[e["stage"] == "auction_2", "failed_auctions"] >= 1).all()
    assert (e.loc[e["stage"] == "sell_off", "failed_auctions"] >= 2).all()
    assert not (e["judgment_date"] < e["filed_date"]).any()
    assert not (e["sale_date"] < e["judgment_date"]).any()


@pytest.mark.slow
def test_no_judgment_precedes_its_filing_even_on_short_cases_of_a_large_book():
    # a 100,000-loan book once produced a few short cases whose filing lag passed the judgment date
    e = generate_tape(100_000, 20240601, history=False).tables["enforcement"]
    filed, judged = pd.to_datetime(e["filed_date"]), pd.to_datetime(e["judgment_date"])
    assert not (judged < filed).any()
    assert not (pd.to_datetime(e["sale_date"]) < judged).any()
