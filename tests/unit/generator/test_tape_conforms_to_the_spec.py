"""Every generated table follows the data-tape contract: columns, codes, ids, references, dates."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from nplhub.datahub.generate import TABLE_ORDER, Tape, generate_tape
from nplhub.datahub.generator.identifiers import is_valid_credit_code, is_valid_resident_id
from nplhub.datahub.generator.regions import PROVINCE_CODES
from nplhub.datahub.schema import TABLES
from nplhub.domain.classification import ORDERED_CLASSES

CUTOFF = pd.Timestamp(date(2025, 12, 31))


def test_every_table_of_the_spec_is_filled(demo_tape: Tape):
    assert tuple(demo_tape.tables) == TABLE_ORDER
    assert set(TABLE_ORDER) == set(TABLES)
    for name, frame in demo_tape.tables.items():
        assert len(frame) > 0, name


@pytest.mark.parametrize("table", TABLE_ORDER)
def test_columns_are_the_canonical_names_with_every_required_one(demo_tape: Tape, table: str):
    frame = demo_tape.tables[table]
    spec = TABLES[table]
    assert list(frame.columns) == [c for c in spec.columns if c in frame.columns]
    assert set(frame.columns) <= set(spec.columns)
    required = [f.name for f in spec.fields if f.required]
    assert set(required) <= set(frame.columns)
    for col in required:
        assert frame[col].notna().all(), f"{table}.{col} has missing values"


@pytest.mark.parametrize("table", TABLE_ORDER)
def test_code_columns_hold_only_the_spec_codes(demo_tape: Tape, table: str):
    frame = demo_tape.tables[table]
    for f in TABLES[table].fields:
        if f.name not in frame.columns:
            continue
        values = set(frame[f.name].dropna().astype(str))
        if f.codes is not None:
            allowed = {str(m.value) for m in f.codes}
            assert values <= allowed, (table, f.name, values - allowed)
        if f.name in ("class", "reported_class"):
            assert values <= {c.value for c in ORDERED_CLASSES}


@pytest.mark.parametrize("table", TABLE_ORDER)
def test_keys_are_unique(demo_tape: Tape, table: str):
    key = list(TABLES[table].key)
    if key:
        assert not demo_tape.tables[table].duplicated(subset=key).any()


def test_id_numbers_have_valid_check_digits(demo_tape: Tape):
    cps = demo_tape.tables["counterparties"]
    people = cps["counterparty_type"] == "individual"
    assert all(is_valid_resident_id(x) for x in cps.loc[people, "id_number"])
    assert all(is_valid_credit_code(x) for x in cps.loc[~people, "id_number"])


def test_borrowers_spread_over_all_31_provinces_and_real_city_codes(demo_tape: Tape):
    regions = demo_tape.tables["counterparties"]["region"]
    assert regions.str.fullmatch(r"\d{6}").all()
    assert set(regions.str[:2]) == set(PROVINCE_CODES)
    assert len(PROVINCE_CODES) == 31


def test_every_reference_resolves(demo_tape: Tape):
    t = demo_tape.tables
    loans = set(t["loans"]["loan_id"])
    cps = set(t["counterparties"]["counterparty_id"])
    coll = set(t["collateral"]["collateral_id"])
    assert set(t["loans"]["counterparty_id"]) <= cps
    for name in ("loan_collateral", "guarantees", "enforcement", "forbearance", "repayments", "loan_states",
                 "disposals"):
        assert set(t[name]["loan_id"]) <= loans, name
    assert set(t["loan_collateral"]["collateral_id"]) <= coll
    assert set(t["loan_collateral"]["collateral_id"]) == coll  # no orphan collateral
    assert set(t["enforcement"]["collateral_id"].dropna()) <= coll
    assert set(t["guarantees"]["guarantor_counterparty_id"].dropna()) <= cps
    g = t["guarantees"]
    assert (g["guarantor_counterparty_id"].notna() | g["guarantor_name"].notna()).all()


def test_dates_are_in_order_and_never_after_the_cutoff(demo_tape: Tape):
    t = demo_tape.tables
    loans = t["loans"]
    assert (loans["origination_date"] < loans["maturity_date"]).all()
    assert (loans["origination_date"] <= CUTOFF).all()
    d = loans["default_date"].dropna()
    assert (d >= loans.loc[d.index, "origination_date"]).all() and (d <= CUTOFF).all()
    ext = loans["last_extension_date"].dropna()
    assert (ext >= loans.loc[ext.index, "origination_date"]).all()
    disp = t["disposals"]
    assert (disp["start_date"] <= CUTOFF).all()
    closed = disp.dropna(subset=["end_date"])
    assert (closed["start_date"] <= closed["end_date"]).all() and (closed["end_date"] <= CUTOFF).all()
    enf = t["enforcement"]
    both = enf.dropna(subset=["filed_date", "judgment_date"])
    assert (both["filed_date"] <= both["judgment_date"]).all()
    sold = enf.dropna(subset=["sale_date"])
    assert (sold["judgment_date"] <= sold["sale_date"]).all() and (sold["sale_date"] <= CUTOFF).all()
    assert (t["collateral"]["appraisal_date"] <= CUTOFF).all()
    fb = t["forbearance"].merge(loans[["loan_id", "origination_date"]], on="loan_id")
    assert (fb["event_date"] <= CUTOFF).all() and (fb["event_date"] > fb["origination_date"]).all()
    later = fb.dropna(subset=["new_maturity_date"])
    assert (later["new_maturity_date"] > later["event_date"]).all()


def test_money_has_at_most_two_decimals_and_is_never_negative(demo_tape: Tape):
    for name, frame in demo_tape.tables.items():
        for f in TABLES[name].fields:
            if f.kind == "money" and f.name in frame.columns:
                values = frame[f.name].dropna().to_numpy(dtype=float)
                assert (values >= 0).all(), (name, f.name)
                assert np.allclose(values, np.round(values, 2), rtol=0, atol=1e-6), (name, f.name)


def test_loan_states_cover_36_month_ends_and_agree_with_the_loans_at_the_cutoff(demo_tape: Tape):
    states = demo_tape.tables["loan_states"]
    months = sorted(states["as_of_date"].unique())
    assert len(months) == 36
    assert pd.Timestamp(months[-1]) == CUTOFF
    assert all(pd.Timestamp(m).is_month_end for m in months)
    last = states[states["as_of_date"] == CUTOFF].set_index("loan_id")
    loans = demo_tape.tables["loans"].set_index("loan_id").loc[last.index]
    assert (loans["reported_class"] == last["class"]).all()
    assert (loans["days_past_due"] == last["days_past_due"]).all()
    assert np.allclose(loans["outstanding_principal"], last["outstanding_principal"], atol=0.011)


def test_repayments_cover_36_months_before_the_cutoff(demo_tape: Tape):
    rep = demo_tape.tables["repayments"]
    assert rep["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert rep["month"].nunique() == 36 and rep["month"].max() == "2025-12"
    assert not rep.duplicated(subset=["loan_id", "month"]).any()
    assert (rep["amount_paid"] <= rep["amount_due"] + 0.01).sum() > 0.95 * len(rep)


def test_price_indices_run_at_least_36_months_for_every_region_with_collateral(demo_tape: Tape):
    pi = demo_tape.tables["price_index"]
    months = pi.groupby(["region", "property_type"])["month"].nunique()
    assert months.min() >= 36
    assert set(demo_tape.tables["collateral"]["region"]) <= set(pi["region"])
    first = pi[pi["month"] == pi["month"].min()]
    assert (first["index"] == 100.0).all()


def test_the_tape_depends_only_on_the_seed():
    a = generate_tape(loans=400, seed=5)
    b = generate_tape(loans=400, seed=5)
    c = generate_tape(loans=400, seed=6)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert not a.tables["loans"].equals(c.tables["loans"])


def test_without_history_only_the_monthly_tables_are_left_out():
    full = generate_tape(loans=600, seed=9)
    lean = generate_tape(loans=600, seed=9, history=False)
    assert set(full.tables) - set(lean.tables) == {"loan_states", "repayments"}
    for name, frame in lean.tables.items():
        pd.testing.assert_frame_equal(frame, full.tables[name])


def test_a_book_of_one_loan_is_still_a_valid_tape():
    tape = generate_tape(loans=1, seed=1)
    assert len(tape.tables["loans"]) == 1
    assert len(tape.tables["counterparties"]) == 1


def test_zero_loans_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="at least 1"):
        generate_tape(loans=0, seed=1)
