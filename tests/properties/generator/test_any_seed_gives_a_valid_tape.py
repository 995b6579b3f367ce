"""Whatever the seed and size, the generated tape keeps the contract's invariants."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nplhub.datahub.generate import generate_tape
from nplhub.datahub.generator.identifiers import (
    credit_codes,
    is_valid_credit_code,
    is_valid_resident_id,
    resident_ids,
)


@settings(max_examples=int(__import__("os").environ.get("GEN_EXAMPLES", "12")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loans=st.integers(min_value=1, max_value=250), seed=st.integers(min_value=0, max_value=2**32 - 1),
       cutoff=st.dates(min_value=date(2023, 1, 31), max_value=date(2030, 12, 31)))
def test_any_seed_size_and_cutoff_give_a_consistent_tape(loans: int, seed: int, cutoff: date):
    tape = generate_tape(loans=loans, seed=seed, cutoff=cutoff)
    t = tape.tables
    assert len(t["loans"]) == loans
    assert t["loans"]["loan_id"].is_unique and t["counterparties"]["counterparty_id"].is_unique
    assert set(t["loans"]["counterparty_id"]) <= set(t["counterparties"]["counterparty_id"])
    for name in ("loan_collateral", "guarantees", "enforcement", "forbearance", "repayments", "loan_states",
                 "disposals"):
        assert set(t[name]["loan_id"]) <= set(t["loans"]["loan_id"])
    assert (t["loans"]["origination_date"] < t["loans"]["maturity_date"]).all()
    limit = np.datetime64(cutoff)
    for name, column in (("loan_states", "as_of_date"), ("forbearance", "event_date"),
                         ("disposals", "start_date"), ("collateral", "appraisal_date")):
        assert (t[name][column].to_numpy() <= limit).all(), name
    assert (t["loans"]["outstanding_principal"] >= 0).all()
    e = t["enforcement"]
    assert not (e["judgment_date"] < e["filed_date"]).any()
    assert not (e["sale_date"] < e["judgment_date"]).any()
    assert (e["filed_date"].to_numpy() <= limit).all()


@settings(max_examples=30, deadline=None)
@given(region=st.sampled_from(["110105", "320500", "650100", "440300"]), seed=st.integers(0, 2**32 - 1),
       position=st.integers(0, 16), delta=st.integers(1, 9))
def test_changing_any_digit_of_a_generated_id_breaks_its_check(region: str, seed: int, position: int, delta: int):
    rng = np.random.default_rng(seed)
    person = resident_ids(rng, np.array([region]), np.array(["1985-06-15"], dtype="datetime64[D]"),
                          np.array([True]))[0]
    firm = credit_codes(rng, np.array([region]), np.array([1]))[0]
    assert is_valid_resident_id(person) and is_valid_credit_code(firm)
    if person[position].isdigit():
        changed = person[:position] + str((int(person[position]) + delta) % 10) + person[position + 1:]
        assert not is_valid_resident_id(changed)
    if firm[position].isdigit():
        changed = firm[:position] + str((int(firm[position]) + delta) % 10) + firm[position + 1:]
        assert not is_valid_credit_code(changed)
