"""Early warning: which performing loans become non-performing within 12 months.

The training panel is built from the month-end `loan_states` history: for every performing loan
(normal or special mention) at an observation month t, features known at t (days past due now
and over the last six months, the class, balance run-off, allowance ratio, forbearance events in
the last twelve months, missed instalments, loan age, product, borrower type, industry,
province) and the label "classified substandard or worse at some month-end in (t, t + 12]". Only
months whose twelve-month horizon lies inside the history are labelled.

The model is gradient boosting (LightGBM) under the estimator contract. Validation is out of
time: the model is fitted on the earlier observation months and scored on the later ones (AUC,
KS, a calibration table by decile). Drivers are the per-loan feature contributions (TreeSHAP,
LightGBM `pred_contrib`); the watch list ranks segments where predicted and realised risk
concentrate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nplhub.risk.classify import RANK, month_index

NUMERIC = ["days_past_due", "dpd_max_6m", "dpd_trend_3m", "months_overdue_6m", "class_rank",
           "balance_change_6m", "provision_ratio", "forbearance_12m", "missed_6m", "months_on_book",
           "interest_rate"]
CATEGORICAL = ["product", "counterparty_type", "industry", "province"]
FEATURES = NUMERIC + CATEGORICAL
DPD_FLOOR_DAYS = (7, 90, 270, 360)  # more than 7 / 90 / 270 / 360 days: special mention .. loss


def build_panel(tables: Mapping[str, pd.DataFrame], *, horizon: int = 12, step: int = 1) -> pd.DataFrame:
    """One row per (performing loan, observation month): features, `label` (NaN when the horizon
    runs past the history), `month` (year * 12 + month) and `outstanding_principal`."""
    states = tables["loan_states"]
    s = pd.DataFrame({
        "loan_id": states["loan_id"].to_numpy(),
        "month": month_index(states["as_of_date"]).astype(np.int64),
        "rank": states["class"].map(RANK).to_numpy(dtype=np.float64),
        "dpd": states["days_past_due"].fillna(0).to_numpy(dtype=np.float64),
        "bal": states["outstanding_principal"].fillna(0).to_numpy(dtype=np.float64),
        "prov": states["provision"].fillna(0).to_numpy(dtype=np.float64) if "provision" in states else 0.0,
    })
    if s["rank"].isna().any():
        raise ValueError("loan_states holds an unknown class")
    # the class the days past due require at least (2023 rule): what the bank reports cannot hide it
    s["rank"] = np.maximum(s["rank"], np.searchsorted(np.array(DPD_FLOOR_DAYS), s["dpd"].to_numpy(), side="left"))
    s = s.sort_values(["loan_id", "month"]).reset_index(drop=True)
    lid = s["loan_id"].to_numpy()
    g = s.groupby("loan_id", sort=False)

    def lag(col: str, k: int) -> np.ndarray:
        shifted = g[col].shift(k).to_numpy()
        mshift = g["month"].shift(k).to_numpy()
        return np.where(mshift == s["month"].to_numpy() - k, shifted, np.nan)

    dpd = s["dpd"]
    window = np.column_stack([dpd.to_numpy()] + [lag("dpd", k) for k in range(1, 6)])
    s["dpd_max_6m"] = np.nanmax(window, axis=1)
    s["months_overdue_6m"] = (np.nan_to_num(window, nan=0.0) > 0).sum(axis=1).astype(np.float64)
    s["dpd_trend_3m"] = dpd.to_numpy() - np.nan_to_num(lag("dpd", 3), nan=0.0)
    bal6 = lag("bal", 6)
    with np.errstate(divide="ignore", invalid="ignore"):
        s["balance_change_6m"] = np.where(bal6 > 0, s["bal"].to_numpy() / bal6 - 1.0, 0.0)
        s["provision_ratio"] = np.where(s["bal"] > 0, s["prov"] / s["bal"], 0.0)
    # label: NPL at some month in (t, t + horizon]
    npl_month = s["month"].where(s["rank"] >= 2)
    rev_min = npl_month[::-1].groupby(lid[::-1]).cummin()[::-1]  # first NPL month at or after t
    nxt = rev_min.groupby(lid).shift(-1)  # first NPL month strictly after t (from t+1 on)
    last_month = int(s["month"].max())
    label = ((nxt - s["month"]) <= horizon).astype(float)
    label[s["month"] + horizon > last_month] = np.nan
    s["label"] = label
    s = s[(s["rank"] < 2)]
    if step > 1:
        s = s[(last_month - s["month"]) % step == 0]
    s = s.rename(columns={"dpd": "days_past_due", "rank": "class_rank", "bal": "outstanding_principal"})
    s = _add_events(s, tables)
    s = _add_static(s, tables)
    return s.reset_index(drop=True)


def _add_events(s: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    s["forbearance_12m"] = 0.0
    s["missed_6m"] = 0.0
    forb = tables.get("forbearance")
    if forb is not None and len(forb):
        f = pd.DataFrame({"loan_id": forb["loan_id"].to_numpy(), "m": month_index(forb["event_date"])})
        s["forbearance_12m"] = _window_count(s, f, 12)
    reps = tables.get("repayments")
    if reps is not None and len(reps) and "amount_due" in reps:
        due = reps["amount_due"].fillna(0).to_numpy(dtype=np.float64)
        miss = (due > 0) & (reps["amount_paid"].fillna(0).to_numpy() < due - np.maximum(1.0, 0.005 * due))
        r = pd.DataFrame({"loan_id": reps["loan_id"].to_numpy()[miss], "m": month_index(reps["month"])[miss]})
        s["missed_6m"] = _window_count(s, r, 6)
    return s


def _window_count(s: pd.DataFrame, events: pd.DataFrame, months: int) -> np.ndarray:
    """Events of the loan in the `months` months up to and including each observation month."""
    ev = events.dropna()
    codes, uniques = pd.factorize(pd.concat([s["loan_id"], ev["loan_id"]], ignore_index=True).astype(str))
    obs_code, ev_code = codes[: len(s)].astype(np.int64), codes[len(s):].astype(np.int64)
    ev_key = np.sort(ev_code * 100_000 + ev["m"].to_numpy(dtype=np.int64))
    total = np.zeros(len(s))
    base = obs_code * 100_000 + s["month"].to_numpy(dtype=np.int64)
    for k in range(months):
        key = base - k
        total += np.searchsorted(ev_key, key, side="right") - np.searchsorted(ev_key, key, side="left")
    return total


def _add_static(s: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    loans = tables["loans"].set_index("loan_id")
    ids = s["loan_id"]
    if "origination_date" in loans:
        orig = pd.Series(month_index(loans["origination_date"]), index=loans.index)
        s["months_on_book"] = s["month"].to_numpy() - ids.map(orig).to_numpy()
    else:
        s["months_on_book"] = np.nan
    s["interest_rate"] = ids.map(loans["interest_rate"]).to_numpy(dtype=np.float64) if "interest_rate" in loans else np.nan
    s["product"] = ids.map(loans["product"]).astype(str).to_numpy() if "product" in loans else "unknown"
    s["counterparty_id"] = ids.map(loans["counterparty_id"]).to_numpy()
    cps = tables.get("counterparties")
    cp = cps.set_index("counterparty_id") if cps is not None else pd.DataFrame()
    for col in ("counterparty_type", "industry"):
        s[col] = s["counterparty_id"].map(cp[col]).fillna("unknown").astype(str).to_numpy() if col in cp else "unknown"
    if "region" in cp:
        s["province"] = s["counterparty_id"].map(cp["region"]).astype(str).str[:2].fillna("unknown").to_numpy()
    else:
        s["province"] = "unknown"
    if "branch_id" in loans:
        s["branch_id"] = ids.map(loans["branch_id"]).astype(str).to_numpy()
    return s


class EarlyWarningModel:
    """Gradient-boosted probability of becoming NPL within the horizon (estimator contract)."""

    def __init__(self, *, n_estimators: int = 200, learning_rate: float = 0.03, num_leaves: int = 4,
                 min_child_samples: int = 200, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.seed = seed

    def _matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        x = frame[FEATURES].copy()
        for col in CATEGORICAL:
            x[col] = pd.Categorical(x[col].astype(str), categories=self.categories_[col])
        for col in NUMERIC:
            x[col] = x[col].astype(np.float64)
        return x

    def fit(self, frame: pd.DataFrame, y: np.ndarray | pd.Series) -> EarlyWarningModel:
        import lightgbm as lgb

        y = np.asarray(y, dtype=np.int64)
        if len(np.unique(y)) < 2:
            raise ValueError("the training panel needs both outcomes (loans that became NPL and loans that did not)")
        self.categories_ = {c: sorted(frame[c].astype(str).unique()) for c in CATEGORICAL}
        rng = np.random.default_rng(self.seed)
        self.booster_ = lgb.LGBMClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples, random_state=int(rng.integers(2**31 - 1)),
            n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1,
        ).fit(self._matrix(frame), y)
        self.base_rate_ = float(y.mean())
        self.feature_names_ = list(FEATURES)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster_.predict_proba(self._matrix(frame)))[:, 1]

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per-row feature contributions to the log-odds (TreeSHAP); the last column is the bias."""
        raw = self.booster_.predict(self._matrix(frame), pred_contrib=True)
        return pd.DataFrame(np.asarray(raw), columns=[*FEATURES, "bias"], index=frame.index)

    def drivers(self, frame: pd.DataFrame, top: int = 3) -> list[list[dict[str, Any]]]:
        contrib = self.contributions(frame)[FEATURES].to_numpy()
        order = np.argsort(-contrib, axis=1)[:, :top]
        out = []
        for i, row in enumerate(order):
            out.append([{"feature": FEATURES[j], "value": _jsonable(frame.iloc[i][FEATURES[j]]),
                         "contribution": float(contrib[i, j])} for j in row if contrib[i, j] > 0])
        return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def ks_statistic(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, score)
    return float(np.max(tpr - fpr))


def calibration_table(y: np.ndarray, score: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    order = np.argsort(score, kind="stable")
    groups = np.array_split(order, bins)
    return [{"decile": i + 1, "n": int(g.size), "mean_predicted": float(score[g].mean()),
             "observed_rate": float(y[g].mean())} for i, g in enumerate(groups) if g.size]


def validate_out_of_time(panel: pd.DataFrame, model: EarlyWarningModel, train_share: float = 2 / 3) -> dict[str, Any]:
    """Fit on the earlier labelled observation months, score the later ones."""
    from sklearn.metrics import roc_auc_score

    labelled = panel[panel["label"].notna()]
    months = np.sort(labelled["month"].unique())
    if months.size < 2:
        raise ValueError("out-of-time validation needs at least two labelled observation months")
    split = months[max(int(len(months) * train_share) - 1, 0)]
    train, test = labelled[labelled["month"] <= split], labelled[labelled["month"] > split]
    model.fit(train, train["label"].to_numpy())
    y = test["label"].to_numpy(dtype=np.int64)
    p = model.predict_proba(test)
    both = len(np.unique(y)) == 2
    return {
        "train_rows": int(len(train)), "test_rows": int(len(test)),
        "train_months": [_month_str(months[0]), _month_str(split)],
        "test_months": [_month_str(months[months > split][0]) if (months > split).any() else None,
                        _month_str(months[-1])],
        "test_event_rate": float(y.mean()) if y.size else None,
        "auc": float(roc_auc_score(y, p)) if both else None,
        "ks": ks_statistic(y, p) if both else None,
        "calibration": calibration_table(y, p) if y.size else [],
    }


def _month_str(m: Any) -> str:
    m = int(m)
    return f"{(m - 1) // 12:04d}-{(m - 1) % 12 + 1:02d}"


def watch_list(current: pd.DataFrame, pd_hat: np.ndarray, history: pd.DataFrame,
               by: tuple[str, ...] = ("product", "province"), top: int = 10) -> list[dict[str, Any]]:
    """Segments where predicted and realised risk concentrate.

    `current`: the performing loans at the latest month with their features; `history`: the
    labelled panel (realised 12-month NPL rates per segment). Segments are ranked by expected
    NPL amount (sum of PD x balance); each carries its mean PD, realised rate and lift over the
    book.
    """
    cur = current.assign(pd_hat=pd_hat, expected=pd_hat * current["outstanding_principal"].to_numpy())
    g = cur.groupby(list(by)).agg(loans=("loan_id", "size"), balance=("outstanding_principal", "sum"),
                                  mean_pd=("pd_hat", "mean"), expected_npl=("expected", "sum"))
    lab = history[history["label"].notna()]
    realised = lab.groupby(list(by))["label"].mean().rename("realised_rate")
    g = g.join(realised, how="left")
    book_pd = float(np.mean(pd_hat)) if len(pd_hat) else 0.0
    book_realised = float(lab["label"].mean()) if len(lab) else 0.0
    g = g.sort_values("expected_npl", ascending=False).head(top)
    return [{**{k: str(v) for k, v in zip(by, key if isinstance(key, tuple) else (key,))},
             "loans": int(r.loans), "balance": float(r.balance), "mean_pd": float(r.mean_pd),
             "expected_npl": float(r.expected_npl),
             "realised_rate": None if pd.isna(r.realised_rate) else float(r.realised_rate),
             "pd_lift": float(r.mean_pd / book_pd) if book_pd > 0 else None,
             "realised_lift": (float(r.realised_rate / book_realised)
                               if book_realised > 0 and not pd.isna(r.realised_rate) else None)}
            for key, r in g.iterrows()]
