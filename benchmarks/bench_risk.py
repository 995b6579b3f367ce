"""Risk benchmark: nplhub's cohort estimator beside transitionMatrix 0.5.1's, same input, same run;
classification and metrics of a million-loan snapshot.

    .venv/bin/python benchmarks/bench_risk.py            # full sizes
    .venv/bin/python benchmarks/bench_risk.py --quick    # LoanStats3a only, 200,000-row history, 100,000 loans

1. LendingClub: the 887,382 loans of transitionMatrix's `LoanStats3{a,b,c,d}_Step2.csv`
   (ID, State_IN, State_OUT), one transition each, as a compact history (Time 0 and 1, grades
   A..J as 0..9), fitted by both cohort estimators; the matrices are compared cell by cell.
2. A generated `loan_states` history of about 10 million month-end rows (nplhub.risk.simulate,
   36 months), the same compact frame given to both estimators; nplhub is also timed from the
   raw loan_states frame (dates and class names) as the product reads it.
3. A 1,000,000-loan snapshot: `classify` (2023 rules, reasons as bit sets), hidden-NPL flags, and
   `supervisory_metrics` between two month-ends of the same million loans.

transitionMatrix is an oracle installed without dependencies under .venv/oracles/transitionmatrix;
its CohortEstimator counts the last input row twice (a boundary case of its loop), so a one-row
sentinel entity is appended to its input (documented in docs/risk.md); with it the matrices agree.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / ".venv" / "oracles" / "transitionmatrix"
DATA = ORACLE / "datasets"
GRADES = list("ABCDEFGHIJ")


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def oracle_cohort(compact: pd.DataFrame, n_states: int) -> np.ndarray:
    sys.path.insert(0, str(ORACLE))
    import transitionMatrix as tm
    from transitionMatrix.estimators.cohort_estimator import CohortEstimator

    states = tm.StateSpace()
    states.generic(n_states)
    bounds = sorted(compact["Time"].unique())
    sentinel = pd.DataFrame({"ID": [int(compact["ID"].max()) + 1], "Time": [bounds[0]], "State": [0]})
    data = pd.concat([compact, sentinel], ignore_index=True)
    est = CohortEstimator(states=states, cohort_bounds=bounds, ci={"method": "goodman", "alpha": 0.05})
    est.fit(data)
    return np.asarray(est.average_matrix)


def ours_cohort(compact: pd.DataFrame, n_states: int) -> np.ndarray:
    """nplhub's pooled cohort matrix in the oracle's convention: an entity observed at t but not at
    t + 1 stays in the denominator (here: a move to an exit column, dropped from the block)."""
    from nplhub.risk.history import state_history
    from nplhub.risk.migration import CohortEstimator

    est = CohortEstimator(absent_state=-1).fit(state_history(compact, states=list(range(n_states))))
    return est.matrix_[:n_states, :n_states]


def side_by_side(name: str, compact: pd.DataFrame, n_states: int, skip_oracle: bool) -> dict[str, object]:
    import nplhub.risk.history
    import nplhub.risk.migration  # noqa: F401  (imports are not part of the timing)

    compact = compact.sort_values(["ID", "Time"], kind="stable").reset_index(drop=True)  # the oracle needs it
    ours, t_ours = timed(ours_cohort, compact, n_states)
    row: dict[str, object] = {"input": name, "rows": len(compact), "nplhub_s": round(t_ours, 3)}
    if not skip_oracle:
        ref, t_ref = timed(oracle_cohort, compact, n_states)
        row.update(transitionMatrix_s=round(t_ref, 2), ratio=round(t_ref / t_ours, 1),
                   max_abs_diff=float(np.abs(ours - ref).max()))
    print(row, flush=True)
    return row


def lending_club(quick: bool) -> pd.DataFrame:
    names = ["a"] if quick else ["a", "b", "c", "d"]
    frames = [pd.read_csv(DATA / f"LoanStats3{n}_Step2.csv") for n in names]
    raw = pd.concat(frames, ignore_index=True)
    code = {g: i for i, g in enumerate(GRADES)}
    ids = np.arange(len(raw))
    compact = pd.DataFrame({
        "ID": np.repeat(ids, 2),
        "Time": np.tile([0, 1], len(raw)),
        "State": np.column_stack([raw["State_IN"].map(code), raw["State_OUT"].map(code)]).ravel(),
    })
    print(f"LendingClub: {len(raw):,} loans, {len(compact):,} compact rows", flush=True)
    return compact


def loan_state_history(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from nplhub.risk.simulate import simulate_loan_states

    n = int(rows / 26.2)  # about 26.2 month-ends per loan over 36 months with the default run-off
    states, t = timed(simulate_loan_states, n, 36, seed=7, text_ids=False)
    months = (states["as_of_date"].dt.year * 12 + states["as_of_date"].dt.month).to_numpy()
    order = {c: i for i, c in enumerate(["normal", "special_mention", "substandard", "doubtful", "loss"])}
    ids = states["loan_id"]
    compact = pd.DataFrame({"ID": pd.factorize(ids)[0], "Time": months - months.min(),
                            "State": states["class"].map(order).to_numpy()})
    print(f"loan_states: {n:,} loans, {len(states):,} rows, generated in {t:.1f} s", flush=True)
    return states, compact


def snapshot(n_loans: int) -> dict[str, float]:
    from nplhub.risk.classify import classify
    from nplhub.risk.hidden import detect_hidden_npl
    from nplhub.risk.metrics import supervisory_metrics
    from nplhub.risk.simulate import simulate_loan_states, simulate_snapshot

    tables, t_gen = timed(simulate_snapshot, n_loans, seed=1)
    result, t_cls = timed(classify, tables, as_of="2024-06-30")
    _, t_hidden = timed(detect_hidden_npl, tables, result)
    states = simulate_loan_states(n_loans, 13, seed=2, text_ids=False)  # loan i = snapshot row i
    loans = tables["loans"]
    cps = tables["counterparties"].set_index("counterparty_id")
    seg = pd.DataFrame({"product": loans["product"].to_numpy(), "branch_id": loans["branch_id"].to_numpy(),
                        "counterparty_id": loans["counterparty_id"].to_numpy(),
                        "region": loans["counterparty_id"].map(cps["region"]).to_numpy(),
                        "industry": loans["counterparty_id"].map(cps["industry"]).to_numpy()})
    ends = sorted(states["as_of_date"].unique())
    first = states[states["as_of_date"] == ends[0]].reset_index(drop=True)
    last = states[states["as_of_date"] == ends[-1]].reset_index(drop=True)
    first = pd.concat([first, seg.iloc[first["loan_id"].to_numpy()].reset_index(drop=True)], axis=1)
    last = pd.concat([last, seg.iloc[last["loan_id"].to_numpy()].reset_index(drop=True)], axis=1)
    metrics, t_met = timed(supervisory_metrics, first, last)
    out = {"loans": n_loans, "generate_s": round(t_gen, 2), "classify_s": round(t_cls, 2),
           "hidden_s": round(t_hidden, 2), "metrics_s": round(t_met, 2),
           "classify_plus_metrics_s": round(t_cls + t_met, 2),
           "npl_ratio": round(float(metrics["npl_ratio"]), 4),
           "normal_loan_migration": round(float(metrics["migration_rates"]["normal_loans"]), 4),
           "downgraded": int(result.frame["downgraded"].sum())}
    print(out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--rows", type=int, default=None, help="rows of the generated loan_states history")
    parser.add_argument("--loans", type=int, default=None, help="loans of the classification snapshot")
    parser.add_argument("--skip-oracle-history", action="store_true",
                        help="time only nplhub on the generated history (the oracle takes minutes there)")
    parser.add_argument("--oracle-rows", type=int, default=None,
                        help="run the side-by-side on the first loans of the history making up about this many "
                             "rows (both estimators, same input), and nplhub alone on the whole history")
    parser.add_argument("--skip-lendingclub", action="store_true", help="leave out the LendingClub comparison")
    parser.add_argument("--only", choices=["matrices", "snapshot"], default=None,
                        help="run only the matrix comparisons or only the million-loan snapshot")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 10_000_000)
    loans = args.loans or (100_000 if args.quick else 1_000_000)
    if not DATA.is_dir():
        raise SystemExit("transitionMatrix is not installed under .venv/oracles (make install-test)")
    print("machine: 2 cores shared with other work; wall-clock seconds of one run", flush=True)
    if args.only == "snapshot":
        snapshot(loans)
        return
    if not args.skip_lendingclub:
        side_by_side("LendingClub LoanStats3" + ("a" if args.quick else "a-d"), lending_club(args.quick), 10, False)
    states, compact = loan_state_history(rows)
    if args.oracle_rows and args.oracle_rows < len(compact):
        first_ids = compact["ID"] < int(compact["ID"].max() * args.oracle_rows / len(compact)) + 1
        side_by_side("generated loan_states, first loans", compact[first_ids], 5, args.skip_oracle_history)
        side_by_side("generated loan_states, whole history", compact, 5, True)
    else:
        side_by_side("generated loan_states", compact, 5, args.skip_oracle_history)
    from nplhub.risk.history import history_from_loan_states
    from nplhub.risk.migration import CohortEstimator

    def product_path(frame: pd.DataFrame) -> np.ndarray:
        return CohortEstimator(absent_state="closed").fit(history_from_loan_states(frame)).matrix_

    _, t = timed(product_path, states)
    print({"input": "loan_states frame (dates, class names, exit state)", "rows": len(states), "nplhub_s": round(t, 2)},
          flush=True)
    del states, compact
    if args.only != "matrices":
        snapshot(loans)


if __name__ == "__main__":
    main()
