"""Packages for sale: homogeneous where the minimum allows, channels never mixed, reserves from the valuation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nplhub.strategy.packaging import PackagingRules, build_packages


def assignments(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    claim = rng.uniform(1e5, 5e7, n)
    price = claim * rng.uniform(0.2, 0.4, n)
    return pd.DataFrame({
        "loan_id": [f"L{i:04d}" for i in range(n)],
        "route": "bulk_transfer",
        "channel": rng.choice(["amc_batch", "pilot_retail_batch"], n, p=[0.7, 0.3]),
        "province": rng.choice(["51", "44", "32"], n),
        "collateral_class": rng.choice(["residential", "industrial", "unsecured"], n),
        "size_band": np.where(claim < 1e6, "small", np.where(claim < 1e7, "medium", "large")),
        "claim": claim, "npv": price * 0.95, "gross_recovery": price,
        "p10": price * 0.7, "p90": price * 1.3,
    })


RULES = PackagingRules(min_accounts={"amc_batch": 3, "pilot_retail_batch": 3}, max_accounts=25)


def test_every_transfer_loan_lands_in_exactly_one_package() -> None:
    a = assignments(300)
    p = build_packages(a, RULES)
    ids = [x for ids in p["loan_ids"] for x in ids]
    assert sorted(ids) == sorted(a["loan_id"])


def test_packages_respect_the_minimum_and_maximum_and_never_mix_channels() -> None:
    a = assignments(300, 1)
    p = build_packages(a, RULES)
    assert (p["accounts"] >= 3).all() and (p["accounts"] <= 25).all()
    channel = a.set_index("loan_id")["channel"]
    for _, row in p.iterrows():
        assert {channel[i] for i in row["loan_ids"]} == {row["channel"]}


def test_packages_are_homogeneous_by_province_and_collateral_when_the_group_is_big_enough() -> None:
    a = assignments(600, 2)
    p = build_packages(a, RULES)
    attrs = a.set_index("loan_id")
    pure = p[(p["province"] != "mixed") & (p["collateral_class"] != "mixed")]
    assert len(pure) >= 0.8 * len(p)
    for _, row in pure.iterrows():
        assert set(attrs.loc[row["loan_ids"], "province"]) == {row["province"]}
        assert set(attrs.loc[row["loan_ids"], "collateral_class"]) == {row["collateral_class"]}


def test_the_reserve_is_the_tenth_percentile_of_package_value_below_its_expected_price() -> None:
    p = build_packages(assignments(200, 3), RULES)
    assert (p["reserve_price"] <= p["expected_price"]).all()
    assert np.allclose(p["reserve_price"], p["p10"].clip(lower=0), rtol=1e-9)
    assert (p["p90"] >= p["expected_price"]).all()


def test_a_higher_correlation_widens_the_spread_and_lowers_the_reserve() -> None:
    a = assignments(200, 4)
    low = build_packages(a, PackagingRules(min_accounts=RULES.min_accounts, max_accounts=25, correlation=0.0))
    high = build_packages(a, PackagingRules(min_accounts=RULES.min_accounts, max_accounts=25, correlation=0.9))
    assert (high["reserve_price"] <= low["reserve_price"] + 1e-6).all()
    assert (high["reserve_price"] < low["reserve_price"]).any()


def test_a_lone_loan_is_flagged_below_the_minimum_rather_than_hidden() -> None:
    p = build_packages(assignments(2, 5).assign(channel="amc_batch"), RULES)
    assert len(p) == 1 and bool(p["below_minimum"].iloc[0])
