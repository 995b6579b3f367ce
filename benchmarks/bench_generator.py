"""Time the demo portfolio generator: a big book without history, the demo book with history.

    .venv/bin/python benchmarks/bench_generator.py            # 1,000,000 loans (no history) and 5,000 (full)
    .venv/bin/python benchmarks/bench_generator.py --quick    # 100,000 and 5,000

No outside generator produces this tape, so there is no peer to compare with. The baseline is
a naive per-loan Python loop over the same migration chain (on a sample), scaled to the same
number of loans, which shows what vectorising the chain buys.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import numpy as np

from nplhub.datahub.generate import generate_tape, write_tape
from nplhub.datahub.generator.calibration import INITIAL_CLASS_MIX, MIGRATION_MATRIX


def naive_chain(loans: int, months: int = 36, seed: int = 1) -> float:
    """Per-loan, per-month Python loop over the same chain; returns seconds."""
    rng = np.random.default_rng(seed)
    cum = np.cumsum(MIGRATION_MATRIX, axis=1).tolist()
    start = time.perf_counter()
    for _ in range(loans):
        state = int(np.searchsorted(np.cumsum(INITIAL_CLASS_MIX), rng.random()))
        for _ in range(months):
            u = rng.random()
            row = cum[state]
            state = next(j for j, c in enumerate(row) if u <= c)
    return time.perf_counter() - start


def vectorised_chain(loans: int, seed: int = 1) -> float:
    """nplhub's month-by-month simulation (classes, arrears, concealment, disposal hazards); seconds."""
    from nplhub.datahub.generator.borrowers import draw_borrowers
    from nplhub.datahub.generator.calibration import PRE_WINDOW_DISPOSAL_SHARE
    from nplhub.datahub.generator.history import simulate
    from nplhub.datahub.generator.loans import draw_loans

    rng = np.random.default_rng(seed)
    cutoff = np.datetime64("2025-12-31")
    seg, cp = draw_borrowers(rng, loans)
    book = draw_loans(rng, cp, seg[cp], cutoff, PRE_WINDOW_DISPOSAL_SHARE)
    start = time.perf_counter()
    simulate(rng, book, cutoff)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 loans instead of 1,000,000")
    args = parser.parse_args()
    big = 100_000 if args.quick else 1_000_000

    t0 = time.perf_counter()
    tape = generate_tape(big, seed=1, history=False)
    t_big = time.perf_counter() - t0
    rows = sum(len(f) for f in tape.tables.values())
    print(f"generate {big:,} loans, no history: {t_big:.1f} s ({big / t_big:,.0f} loans/s, {rows:,} rows)")
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        write_tape(tape, out, "csv")
        print(f"write CSV: {time.perf_counter() - t0:.1f} s")
    del tape

    t0 = time.perf_counter()
    demo = generate_tape(5000, seed=20240601)
    t_demo = time.perf_counter() - t0
    rows = sum(len(f) for f in demo.tables.values())
    print(f"generate 5,000 loans with full history: {t_demo:.2f} s ({rows:,} rows)")

    sample = 2000
    t_naive = naive_chain(sample) * big / sample
    print(f"naive per-loan chain alone, scaled to {big:,} loans: {t_naive:.1f} s; "
          f"ratio naive chain / nplhub whole build = {t_naive / t_big:.1f}x")
    chain_n = 100_000
    t_vec = vectorised_chain(chain_n)
    t_naive_same = t_naive * chain_n / big
    print(f"chain alone, {chain_n:,} loans x 36 months: vectorised {t_vec:.2f} s (with dpd, concealment and "
          f"disposal hazards), naive {t_naive_same:.1f} s (classes only); ratio {t_naive_same / t_vec:.0f}x")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
