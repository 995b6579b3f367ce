"""Monte Carlo: seeded and reproducible, exact when the shocks vanish, riskier with more systematic risk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nplhub.domain.errors import DomainError
from nplhub.securitization import projection
from nplhub.securitization.deal import Deal
from nplhub.securitization.montecarlo import _Q, DealMonteCarlo, ShockModel
from nplhub.securitization.report import run_waterfall

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def cn() -> tuple[Deal, projection.LoanRecoveries]:
    deal = Deal.load(EXAMPLES / "cn_npl_two_tranche.yaml")
    return deal, projection.from_pool(deal)


def test_the_same_seed_gives_the_same_distribution_whatever_the_number_of_threads(cn) -> None:
    deal, rec = cn
    one = DealMonteCarlo(deal, rec, chunk=300).run(1000, seed=7)
    two = DealMonteCarlo(deal, rec, chunk=300, workers=2).run(1000, seed=7)
    other = DealMonteCarlo(deal, rec, chunk=300).run(1000, seed=8)
    for name in ("senior", "sub"):
        np.testing.assert_array_equal(one.tranches[name].loss_ratio, two.tranches[name].loss_ratio)
        np.testing.assert_array_equal(one.tranches[name].wal, two.tranches[name].wal)
    assert not np.array_equal(one.tranches["sub"].loss_ratio, other.tranches["sub"].loss_ratio)


def test_without_shocks_every_path_is_the_deterministic_waterfall(cn) -> None:
    deal, rec = cn
    stress = projection.stressed(rec, projection.Stress(haircut=0.45, delay_months=3))
    mc = DealMonteCarlo(deal, stress, rec, ShockModel(0, 0, 0, 0), chunk=50)
    drawn = mc.draw_inputs(5, np.random.SeedSequence(1))
    base = projection.period_inputs(deal, stress, rec)
    assert np.abs(drawn.collections - base.collections[:, None]).max() <= 1  # a fen of float summation
    report = run_waterfall(deal, base)
    result = mc.run(20, seed=3)
    senior = report.tranche("senior")
    assert senior.balance_end > 0  # this stress does hurt the senior
    np.testing.assert_allclose(result.tranches["senior"].loss_ratio, senior.balance_end / 75_000_000_000, atol=1e-9)


def test_more_systematic_risk_means_a_larger_expected_loss_on_the_senior(cn) -> None:
    deal, rec = cn
    calm = DealMonteCarlo(deal, rec, shocks=ShockModel(level_systematic=0.05)).run(2000, seed=11).summary()
    wild = DealMonteCarlo(deal, rec, shocks=ShockModel(level_systematic=0.6)).run(2000, seed=11).summary()
    assert wild["tranches"]["senior"]["expected_loss"] > calm["tranches"]["senior"]["expected_loss"]
    assert wild["tranches"]["senior"]["probability_of_loss"] > calm["tranches"]["senior"]["probability_of_loss"]
    s = wild["tranches"]["sub"]
    assert s["wal_p5"] <= s["wal_p50"] <= s["wal_p95"]
    assert 0 <= s["expected_loss"] <= 1


def test_the_quantised_normal_has_mean_zero_and_unit_variance() -> None:
    assert abs(_Q.mean()) < 1e-12 and abs(_Q.std() - 1) < 1e-12
    assert _Q.min() < -4.2 and _Q.max() > 4.2


def test_bad_settings_are_rejected(cn) -> None:
    deal, rec = cn
    with pytest.raises(DomainError):
        ShockModel(level_systematic=-0.1)
    with pytest.raises(DomainError, match="at least 1"):
        DealMonteCarlo(deal, rec).run(0, seed=1)


def test_on_a_dask_cluster_the_monte_carlo_gives_the_in_process_result(cn) -> None:
    distributed = pytest.importorskip("distributed")
    deal, rec = cn
    local = DealMonteCarlo(deal, rec, chunk=250).run(600, seed=9)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0") as client:
        remote = DealMonteCarlo(deal, rec, chunk=250).run(600, seed=9, client=client)
    for name in ("senior", "sub"):
        np.testing.assert_array_equal(local.tranches[name].loss_ratio, remote.tranches[name].loss_ratio)
        np.testing.assert_array_equal(local.tranches[name].wal, remote.tranches[name].wal)


def test_what_a_remote_worker_receives_survives_pickling(cn) -> None:
    import pickle

    from nplhub.securitization.montecarlo import _remote_chunk

    deal, rec = cn
    spec = pickle.loads(pickle.dumps((deal, rec, rec, ShockModel(), 100)))
    seed = np.random.SeedSequence(4).spawn(1)[0]
    remote = _remote_chunk(spec, 100, pickle.loads(pickle.dumps(seed)))
    here = DealMonteCarlo(deal, rec, chunk=100).run_chunk(100, seed)
    np.testing.assert_array_equal(remote["sub"][0], here["sub"][0])


def test_a_loans_own_volatility_replaces_the_models_and_keeps_the_mean_level(cn) -> None:
    from dataclasses import replace

    deal, rec = cn
    flat = replace(rec, level_sigma=np.zeros(len(rec)))  # every loan certain of its level
    mc = DealMonteCarlo(deal, flat, rec, ShockModel(0, 0.9, 0, 0), chunk=50)
    drawn = mc.draw_inputs(4, np.random.SeedSequence(2))
    base = projection.period_inputs(deal, rec)
    assert np.abs(drawn.collections - base.collections[:, None]).max() <= 1
    wide = replace(rec, level_sigma=np.full(len(rec), 0.8))
    mc = DealMonteCarlo(deal, wide, rec, ShockModel(0, 0.0, 0, 0), chunk=1000)
    total = mc.draw_inputs(1000, np.random.SeedSequence(3)).collections.sum(axis=0)
    assert total.std() > 0
    assert total.mean() == pytest.approx(base.collections.sum(), rel=0.01)  # mean one: 800 loans x 1,000 paths
