"""Books with known dynamics: a month-end class history drawn from a given migration matrix.

Used to check the estimators against a known truth, to stress a book forward, and to build
benchmark inputs of any size. Classes follow a time-homogeneous Markov chain with an extra
absorbing "left the book" outcome (repaid, sold, written off); days past due and balances are
drawn consistently with the class (normal 0, special mention 1-90, substandard 91-270,
doubtful 271-360, loss over 360 days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nplhub.domain.classification import ORDERED_CLASSES

CLASSES = np.array([c.value for c in ORDERED_CLASSES], dtype=object)

# A plausible monthly matrix of a Chinese commercial-bank book (rows: from normal .. loss;
# columns: to normal .. loss, then "left the book"); rows sum to one.
DEFAULT_MONTHLY = np.array([
    [0.9700, 0.0100, 0.0010, 0.0002, 0.0000, 0.0188],
    [0.0800, 0.8500, 0.0500, 0.0050, 0.0010, 0.0140],
    [0.0100, 0.0200, 0.8600, 0.0800, 0.0100, 0.0200],
    [0.0000, 0.0050, 0.0150, 0.8800, 0.0800, 0.0200],
    [0.0000, 0.0000, 0.0000, 0.0100, 0.9500, 0.0400],
])
DPD_RANGES = ((0, 0), (1, 90), (91, 270), (271, 360), (361, 720))
PROVISION_RATES = (0.015, 0.03, 0.25, 0.5, 1.0)


def _check(matrix: np.ndarray) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (5, 6) or np.any(m < 0) or not np.allclose(m.sum(axis=1), 1.0):
        raise ValueError("the monthly matrix needs 5 rows (classes) and 6 columns (classes, left), rows summing to 1")
    return m


def simulate_loan_states(n_loans: int, months: int, *, matrix: np.ndarray | None = None,
                         seed: int = 0, start: str = "2021-01-31",
                         initial: np.ndarray | None = None, text_ids: bool = True) -> pd.DataFrame:
    """A `loan_states` frame (loan_id, as_of_date, class, days_past_due, outstanding_principal,
    provision): every loan starts at the first month-end and is observed until it leaves.
    Loan ids are "L000123" strings, or the integers 0..n-1 with `text_ids=False`."""
    m = _check(DEFAULT_MONTHLY if matrix is None else matrix)
    rng = np.random.default_rng(seed)
    init = np.array([0.9, 0.06, 0.02, 0.01, 0.01]) if initial is None else np.asarray(initial, dtype=np.float64)
    state = rng.choice(5, size=n_loans, p=init / init.sum())
    balance = np.round(np.exp(rng.normal(13.0, 1.0, n_loans)), 2)
    ends = pd.date_range(start=start, periods=months, freq="ME")
    cum = np.cumsum(m, axis=1)
    ids, times, classes, balances = [], [], [], []
    alive = np.arange(n_loans)
    for t in range(months):
        ids.append(alive)
        times.append(np.full(alive.size, t, dtype=np.int32))
        classes.append(state[alive].astype(np.int8))
        balances.append(balance[alive])
        if t == months - 1:
            break
        u = rng.random(alive.size)
        nxt = (u[:, None] > cum[state[alive]]).sum(axis=1)
        balance[alive] = np.round(balance[alive] * np.where(state[alive] == 0, 0.985, 0.997), 2)
        stay = nxt < 5
        state[alive[stay]] = nxt[stay]
        alive = alive[stay]
    loan = np.concatenate(ids)
    cls = np.concatenate(classes)
    lo = np.array([r[0] for r in DPD_RANGES])[cls]
    hi = np.array([r[1] for r in DPD_RANGES])[cls]
    dpd = lo + (rng.random(cls.size) * (hi - lo + 1)).astype(np.int64)
    bal = np.concatenate(balances)
    width = len(str(max(n_loans - 1, 1)))
    return pd.DataFrame({
        "loan_id": pd.Series(loan).map(lambda i: f"L{i:0{width}d}") if text_ids else loan,
        "as_of_date": ends[np.concatenate(times)],
        "class": CLASSES[cls],
        "days_past_due": dpd,
        "outstanding_principal": bal,
        "provision": np.round(bal * np.array(PROVISION_RATES)[cls], 2),
    })


def simulate_snapshot(n_loans: int, *, seed: int = 0, borrowers: int | None = None,
                      as_of: str = "2024-06-30") -> dict[str, pd.DataFrame]:
    """A one-date snapshot (loans, counterparties, forbearance) of `n_loans` loans for scale
    tests: reported classes mostly follow days past due, with a share deliberately reported
    better than the rules allow."""
    rng = np.random.default_rng(seed)
    n_cp = borrowers or max(n_loans // 3, 1)
    cp_ids = np.array([f"C{i:08d}" for i in range(n_cp)], dtype=object)
    kinds = rng.choice(np.array(["corporate", "sme", "individual"], dtype=object), n_cp, p=[0.2, 0.3, 0.5])
    counterparties = pd.DataFrame({
        "counterparty_id": cp_ids, "counterparty_type": kinds,
        "industry": rng.choice(np.array(list("CFGKE"), dtype=object), n_cp),
        "region": rng.choice(np.array(["110101", "310101", "440301", "330106", "510104"], dtype=object), n_cp),
        "insolvency_status": np.where(rng.random(n_cp) < 0.005, "bankruptcy", "none").astype(object),
    })
    cp = rng.integers(0, n_cp, n_loans)
    retail = kinds[cp] == "individual"
    products = np.where(retail, rng.choice(np.array(["mortgage", "consumer"], dtype=object), n_loans),
                        rng.choice(np.array(["working_capital", "fixed_asset"], dtype=object), n_loans))
    dpd = np.where(rng.random(n_loans) < 0.88, 0, rng.integers(1, 600, n_loans))
    rank = np.searchsorted(np.array([0, 90, 270, 360]), dpd, side="left")
    rank = np.where(rng.random(n_loans) < 0.05, np.maximum(rank - 1, 0), rank)  # under-reporting
    balance = np.round(np.exp(rng.normal(12.5, 1.2, n_loans)), 2)
    restructured = rng.random(n_loans) < 0.02
    res_date = pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(30, 900, n_loans), unit="D")
    loan_ids = np.array([f"L{i:09d}" for i in range(n_loans)], dtype=object)
    loans = pd.DataFrame({
        "loan_id": loan_ids, "counterparty_id": cp_ids[cp], "product": products,
        "branch_id": rng.choice(np.array([f"B{i:03d}" for i in range(50)], dtype=object), n_loans),
        "outstanding_principal": balance, "days_past_due": dpd, "reported_class": CLASSES[rank],
        "provision": np.round(balance * np.array(PROVISION_RATES)[rank], 2),
        "extension_count": rng.poisson(0.1, n_loans),
        "restructured": restructured, "restructure_date": pd.Series(res_date).where(restructured),
        "written_off": np.zeros(n_loans, dtype=bool),
        "default_date": pd.Series(pd.NaT, index=range(n_loans), dtype="datetime64[ns]"),
    })
    k = max(n_loans // 50, 1)
    forbearance = pd.DataFrame({
        "loan_id": loan_ids[rng.integers(0, n_loans, k)],
        "event_date": pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(10, 700, k), unit="D"),
        "measure": rng.choice(np.array(["extension", "refinance_new_for_old", "capitalisation", "schedule_relief"],
                                       dtype=object), k),
    })
    return {"loans": loans, "counterparties": counterparties, "forbearance": forbearance}
