"""Securitization benchmark: 1,000 loans x 60 monthly periods, full path from draws to tranche
metrics, nplhub's vectorised Monte Carlo beside the test suite's plain Fraction oracle.

    .venv/bin/python benchmarks/bench_securitization.py [--quick] [--scenarios N] [--workers W]

Both run in this process on the same deal. nplhub: shocked draws for every (path, loan), the
exact integer-cent waterfall on all paths, loss and WAL per tranche. The oracle, per scenario:
the same draws for one path, the waterfall in Fraction arithmetic, the same metrics in Python.
The first oracle scenarios are also checked against the engine, line by line, to the fen.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nplhub.securitization import projection  # noqa: E402
from nplhub.securitization.deal import Deal  # noqa: E402
from nplhub.securitization.montecarlo import DealMonteCarlo, ShockModel  # noqa: E402
from nplhub.securitization.waterfall import simulate  # noqa: E402

spec = importlib.util.spec_from_file_location("fraction_oracle", ROOT / "tests/golden/securitization/fraction_oracle.py")
oracle = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
spec.loader.exec_module(oracle)  # type: ignore[union-attr]

LOANS, PERIODS = 1000, 60


def bench_deal(triggers: bool) -> Deal:
    base = Deal.load(ROOT / "examples" / ("gacs_three_tranche.yaml" if triggers else "cn_npl_two_tranche.yaml"))
    return base.model_copy(update={"frequency_months": 1, "periods": PERIODS, "clean_up_call": None,
                                   "first_payment_date": date(2026, 4, 26)})


def bench_pool(deal: Deal, seed: int = 1) -> projection.LoanRecoveries:
    rng = np.random.default_rng(seed)
    expected = float(sum(t.balance for t in deal.tranches)) * 1.35
    amount = rng.lognormal(0.0, 0.9, LOANS)
    amount *= expected / amount.sum()
    months = rng.gamma(2.0, 9.0, LOANS) + 1.0
    return projection.from_arrays([f"L{i:04d}" for i in range(LOANS)], amount, amount * 0.06, months)


def oracle_scenario(deal: Deal, mc: DealMonteCarlo, seed: np.random.SeedSequence) -> dict[str, tuple[Fraction, float]]:
    inputs = mc.draw_inputs(1, seed)
    yuan = lambda a: [str(Decimal(int(v)) / 100) for v in a[:, 0]]  # noqa: E731
    npv = yuan(inputs.closed_bp_npv) if inputs.closed_bp_npv is not None else None
    lines = oracle.oracle_waterfall(deal, yuan(inputs.collections), yuan(inputs.costs), yuan(inputs.collections),
                                    npv, [str(Decimal(int(v)) / 100) for v in inputs.business_plan])
    dates = deal.payment_dates()
    out = {}
    for t in deal.tranches:
        principal = lines[f"tranche:{t.name}:principal_paid"]
        total = sum(principal)
        wal = (sum(p * Fraction((d - deal.closing_date).days, 365) for p, d in zip(principal, dates)) / total
               if total else None)
        loss = lines[f"tranche:{t.name}:balance"][-1] / Fraction(str(t.balance)) if t.balance else Fraction(0)
        out[t.name] = (loss, float(wal) if wal is not None else float("nan"))
    return out


def check_agreement(deal: Deal, mc: DealMonteCarlo, seeds: list[np.random.SeedSequence]) -> int:
    checked = 0
    for s in seeds:
        inputs = mc.draw_inputs(1, s)
        got, _ = simulate(deal, inputs)
        yuan = lambda a: [str(Decimal(int(v)) / 100) for v in a[:, 0]]  # noqa: E731
        npv = yuan(inputs.closed_bp_npv) if inputs.closed_bp_npv is not None else None
        want = oracle.oracle_waterfall(deal, yuan(inputs.collections), yuan(inputs.costs), yuan(inputs.collections),
                                       npv, [str(Decimal(int(v)) / 100) for v in inputs.business_plan])
        for name, values in want.items():
            flag = name.endswith((":breached", "called", "triggered"))
            w = [int(v if flag else v * 100) for v in values]
            g = got.get(name, np.zeros((deal.periods, 1), np.int64))[:, 0].tolist()
            if g != w:
                raise SystemExit(f"engine and oracle disagree on {name}")
            checked += 1
    return checked


def run_case(label: str, deal: Deal, scenarios: int, oracle_scenarios: int, workers: list[int],
             client: object | None = None) -> None:
    rec = bench_pool(deal)
    print(f"\n== {label}: {LOANS} loans x {PERIODS} monthly periods, {len(deal.tranches)} tranches, "
          f"{len(deal.triggers)} triggers ==")
    results: dict[object, float] = {}
    for w in workers:
        mc = DealMonteCarlo(deal, rec, shocks=ShockModel(), chunk=10000, workers=w)
        mc.run(min(scenarios, 2000), seed=1)  # warm-up: buffers, tables
        t0, c0 = time.perf_counter(), time.process_time()
        res = mc.run(scenarios, seed=20240601)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        results[w] = scenarios / wall
        senior = res.summary()["tranches"][deal.tranches[0].name]
        print(f"nplhub  workers={w}: {scenarios:,} scenarios in {wall:.2f} s wall ({scenarios / wall:,.0f}/s), "
              f"{cpu:.2f} s CPU ({scenarios / cpu:,.0f}/s per CPU-second); senior EL {senior['expected_loss']:.4%}, "
              f"WAL mean {senior['wal_mean']:.3f} y")
    if client is not None:
        mc = DealMonteCarlo(deal, rec, shocks=ShockModel(), chunk=10000)
        mc.run(min(scenarios, 4000), seed=1, client=client)  # warm-up: the spec reaches every worker
        t0 = time.perf_counter()
        res = mc.run(scenarios, seed=20240601, client=client)
        wall = time.perf_counter() - t0
        results["dask"] = scenarios / wall
        print(f"nplhub  dask (2 worker processes): {scenarios:,} scenarios in {wall:.2f} s wall "
              f"({scenarios / wall:,.0f}/s)")
    mc = DealMonteCarlo(deal, rec, shocks=ShockModel())
    seeds = np.random.SeedSequence(99).spawn(oracle_scenarios)
    t0, c0 = time.perf_counter(), time.process_time()
    for s in seeds:
        oracle_scenario(deal, mc, s)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    oracle_rate = oracle_scenarios / wall
    print(f"oracle (Fraction): {oracle_scenarios} scenarios in {wall:.2f} s wall ({oracle_rate:,.1f}/s), "
          f"{cpu:.2f} s CPU ({oracle_scenarios / cpu:,.1f}/s per CPU-second)")
    agreed = check_agreement(deal, mc, seeds[: min(3, oracle_scenarios)])
    print(f"engine = oracle to the fen on {min(3, oracle_scenarios)} drawn scenarios ({agreed} lines each run)")
    for w, rate in results.items():
        print(f"ratio nplhub({'dask' if w == 'dask' else f'workers={w}'}) / oracle: {rate / oracle_rate:,.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 scenarios, 5 oracle scenarios")
    parser.add_argument("--scenarios", type=int, default=None)
    parser.add_argument("--oracle-scenarios", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--dask", action="store_true", help="also run on a local Dask cluster of 2 processes")
    args = parser.parse_args()
    scenarios = args.scenarios or (2000 if args.quick else 20000)
    n_oracle = args.oracle_scenarios or (5 if args.quick else 30)
    print(f"machine: {os.cpu_count()} cores (shared with other work); load average {os.getloadavg()[0]:.2f}")
    client = None
    if args.dask:
        from distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"))
    try:
        run_case("two-tranche Chinese NPL deal", bench_deal(False), scenarios, n_oracle, args.workers, client)
        run_case("three-tranche GACS deal with triggers", bench_deal(True), scenarios, n_oracle, args.workers, client)
    finally:
        if client is not None:
            client.close()


if __name__ == "__main__":
    main()
