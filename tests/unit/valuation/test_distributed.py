"""The Dask run gives exactly the in-process frame for the same seed (LocalCluster, two workers)."""

from __future__ import annotations

import pandas as pd
import pytest

from nplhub.valuation.assumptions import load_assumptions
from nplhub.valuation.pipeline import value_portfolio
from nplhub.valuation.portfolio import build_loan_frame
from nplhub.valuation.synthetic import synthetic_tape


def test_dask_with_two_workers_gives_identical_results_for_the_same_seed() -> None:
    distributed = pytest.importorskip("distributed")
    from nplhub.valuation.distributed import value_portfolio_dask

    a = load_assumptions()
    loans = build_loan_frame(synthetic_tape(3000, 21), "2025-06-30", a)
    local = value_portfolio(loans, a, seed=42, paths=100, top_share=0.2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = value_portfolio_dask(loans, a, client, seed=42, paths=100, top_share=0.2, partitions=5)
    pd.testing.assert_frame_equal(local, remote)
    assert remote["p50"].notna().sum() > 0
