"""The five-category classification engine (五级分类) over a tape snapshot.

The rules are floors: the derived class of a loan is the worst of the bank's reported class and
every floor a rule sets (days past due, write-off, credit impairment and allowance, new-for-old
refinancing, restructuring and its observation period, the blocked upgrade of an NPL, the
non-retail debtor rules). Each fired rule is recorded as a reason bit (see `reasons.py`).

Inputs are tape frames (`loans` required; `counterparties`, `forbearance`, `repayments` and
`loan_states` used when given) and the as-of date, the snapshot's cut-off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.classification import RiskClass
from nplhub.domain.codes import RETAIL_PRODUCTS
from nplhub.risk.reasons import BIT, explain
from nplhub.risk.restructuring import (
    CLASS_VALUES,
    NPL_RANK,
    RANK,
    flag_column,
    month_index,
    restructuring,
    upgrade_check,
)
from nplhub.risk.rules import RuleSet, load_ruleset

__all__ = ["CLASS_VALUES", "NPL_RANK", "RANK", "ClassificationResult", "classify", "month_index"]
RETAIL_PRODUCT_CODES = {p.value for p in RETAIL_PRODUCTS}
CONCESSIONS = {"extension", "schedule_relief", "grace_period", "capitalisation", "rate_cut",
               "principal_reduction", "collateral_release", "refinance_new_for_old"}


class ClassificationInputError(ValueError):
    """The tape frames lack what the engine needs (a column, a known class code)."""


def class_ranks(values: pd.Series, what: str = "reported_class") -> np.ndarray:
    """Ranks 0..4 of a column of class codes (English codes or Chinese terms)."""
    mapped = values.map(RANK)
    if mapped.isna().any():
        unknown = values[mapped.isna()]
        fixed = unknown.map(lambda v: RANK.get(RiskClass.parse(str(v)).value) if _parsable(v) else np.nan)
        mapped = mapped.fillna(fixed)
        if mapped.isna().any():
            bad = values[mapped.isna()].iloc[0]
            raise ClassificationInputError(f"{what}: unknown five-category class {bad!r}")
    return mapped.to_numpy(dtype=np.int64)


def _parsable(v: Any) -> bool:
    try:
        RiskClass.parse(str(v))
        return True
    except ValueError:
        return False


def _as_date(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


@dataclass
class ClassificationResult:
    """One row per loan: ids, reported and derived class, floors, reason bits and evidence."""

    frame: pd.DataFrame
    rules: RuleSet
    as_of: pd.Timestamp

    def reasons(self, loan_id: Any) -> list[dict[str, Any]]:
        row = self.frame.loc[self.frame["loan_id"] == loan_id]
        if row.empty:
            raise KeyError(f"loan {loan_id!r} is not in the classification")
        return explain(row.iloc[0].to_dict(), self.rules)

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The output contract of `nplhub risk classify --json`."""
        view = self.frame if limit is None else self.frame.head(limit)
        cols = ["loan_id", "counterparty_id", "reported_class", "derived_class", "downgraded",
                "outstanding_principal", "reason_bits", "days_past_due", "retail", "impaired_evidence",
                "provision_ratio", "observation_end", "pre_restructuring_rank", "previous_rank",
                "upgrade_blockers", "debtor_npl_share"]
        out = []
        for row in view[cols].to_dict("records"):
            out.append({
                "loan_id": row["loan_id"],
                "counterparty_id": row["counterparty_id"],
                "reported_class": row["reported_class"],
                "derived_class": row["derived_class"],
                "downgraded": bool(row["downgraded"]),
                "outstanding_principal": float(row["outstanding_principal"]),
                "reasons": explain(row, self.rules),
            })
        return out

    def summary(self) -> dict[str, Any]:
        f = self.frame
        counts = pd.crosstab(f["reported_class"], f["derived_class"]).reindex(
            index=CLASS_VALUES, columns=CLASS_VALUES, fill_value=0)
        amount = f.groupby("derived_class")["outstanding_principal"].sum().reindex(CLASS_VALUES, fill_value=0.0)
        return {
            "ruleset": {"name": self.rules.name, "version": self.rules.version},
            "as_of": self.as_of.date().isoformat(),
            "loans": int(len(f)),
            "downgraded": int(f["downgraded"].sum()),
            "derived_amount": {k: float(v) for k, v in amount.items()},
            "reported_vs_derived": {r: {c: int(counts.loc[r, c]) for c in CLASS_VALUES} for r in CLASS_VALUES},
        }


def classify(
    tables: Mapping[str, pd.DataFrame],
    as_of: Any = None,
    rules: RuleSet | None = None,
) -> ClassificationResult:
    """Classify every loan of the snapshot under `rules` (default: the 2023 rule)."""
    rules = rules or load_ruleset()
    if "loans" not in tables:
        raise ClassificationInputError("the snapshot has no loans table")
    loans = tables["loans"]
    needed = {"loan_id", "counterparty_id", "reported_class", "days_past_due", "outstanding_principal"}
    missing = needed - set(loans.columns)
    if missing:
        raise ClassificationInputError(f"loans lacks column(s) {', '.join(sorted(missing))}")
    as_of_ts = _resolve_as_of(tables, as_of)
    n = len(loans)
    reported = class_ranks(loans["reported_class"])
    out = pd.DataFrame({
        "loan_id": loans["loan_id"].to_numpy(),
        "counterparty_id": loans["counterparty_id"].to_numpy(),
        "reported_class": CLASS_VALUES[reported],
        "outstanding_principal": loans["outstanding_principal"].to_numpy(dtype=np.float64),
        "days_past_due": loans["days_past_due"].fillna(0).to_numpy(dtype=np.int64),
    })
    floor = np.zeros(n, dtype=np.int64)
    bits = np.zeros(n, dtype=np.int64)
    debtors = Debtors(loans, tables.get("counterparties"))
    retail = _retail(loans, debtors)
    out["retail"] = retail
    dpd = out["days_past_due"].to_numpy()

    def apply(mask: np.ndarray, rank: Any, code: str) -> None:
        nonlocal floor
        floor = np.where(mask, np.maximum(floor, rank), floor)
        bits[mask] |= BIT[code]

    # days past due (retail loans may have their own table)
    for is_retail in (False, True):
        sel = retail == is_retail
        fired = np.zeros(n, dtype=bool)
        for f in rules.floors_for(is_retail):
            m = sel & (dpd > f.days)
            floor = np.where(m, np.maximum(floor, f.risk_class.rank), floor)
            fired |= m
        bits[fired] |= BIT["DPD_FLOOR"]
    first = rules.floors_for(False)[0].days if rules.dpd_floors else 0
    bits[(dpd > 0) & (dpd <= rules.technical_delay_days) & (dpd <= first)] |= BIT["TECHNICAL_DELAY"]
    written_off = flag_column(loans, "written_off")
    apply(written_off, rules.written_off_class.rank, "WRITTEN_OFF")

    impaired, evidence = _impairment(loans, debtors)
    out["impaired_evidence"] = evidence
    if rules.impaired_floor is not None:
        apply(impaired, rules.impaired_floor.rank, "CREDIT_IMPAIRED")
    provision = loans["provision"].fillna(0).to_numpy(dtype=np.float64) if "provision" in loans else np.zeros(n)
    balance = out["outstanding_principal"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(balance > 0, provision / balance, 0.0)
    out["provision_ratio"] = ratio
    ecl_eligible = impaired | (floor >= NPL_RANK) | (reported >= NPL_RANK)
    fired = np.zeros(n, dtype=bool)
    for e in rules.ecl_floors:
        m = ecl_eligible & (ratio >= e.ratio)
        floor = np.where(m, np.maximum(floor, e.risk_class.rank), floor)
        fired |= m
    bits[fired] |= BIT["ECL_FLOOR"]

    forb = tables.get("forbearance")
    if rules.new_for_old_floor is not None and forb is not None and len(forb):
        nfo_loans = forb.loc[forb["measure"] == "refinance_new_for_old", "loan_id"]
        apply(_loans_among(loans["loan_id"], nfo_loans), rules.new_for_old_floor.rank, "NEW_FOR_OLD")

    restr = restructuring(loans, tables, as_of_ts, rules)
    out["observation_end"] = restr["observation_end"]
    out["pre_restructuring_rank"] = restr["pre_rank"]
    if rules.restructured_floor is not None:
        apply(restr["in_observation"], rules.restructured_floor.rank, "RESTRUCTURED_OBSERVATION")
    if rules.restructured_missed_payment_floor is not None:
        apply(restr["missed"], rules.restructured_missed_payment_floor.rank, "RESTRUCTURED_MISSED_PAYMENT")
    from_npl = restr["in_observation"] & (restr["pre_rank"] >= NPL_RANK)
    apply(from_npl, restr["pre_rank"], "RESTRUCTURED_FROM_NPL")

    prev_rank, blockers = upgrade_check(out, reported, np.maximum(reported, floor), tables, as_of_ts, rules)
    out["previous_rank"] = prev_rank
    out["upgrade_blockers"] = blockers
    apply(blockers != "", prev_rank, "UPGRADE_BLOCKED")

    interim = np.maximum(reported, floor)
    share = np.zeros(n)
    if rules.non_retail_npl_share is not None or rules.other_npl_floor is not None:
        non_retail = ~retail
        code = debtors.code
        is_npl = (interim >= NPL_RANK) & non_retail
        npl_by = np.bincount(code, weights=np.where(is_npl, balance, 0.0), minlength=debtors.size)
        bal_by = np.bincount(code, weights=np.where(non_retail, balance, 0.0), minlength=debtors.size)
        k_by = np.bincount(code, weights=(is_npl & (balance > 0)).astype(np.float64), minlength=debtors.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            share_by = np.where(bal_by > 0, npl_by / np.where(bal_by > 0, bal_by, 1.0), 0.0)
        share = share_by[code] * non_retail
        k_npl = k_by[code] * non_retail
        if rules.non_retail_npl_share is not None:
            m = non_retail & (share > rules.non_retail_npl_share) & (interim < NPL_RANK)
            apply(m, NPL_RANK, "NON_RETAIL_NPL_SHARE")
        if rules.other_npl_floor is not None:
            m = non_retail & (k_npl > 0) & (interim < NPL_RANK) & ~(bits & BIT["NON_RETAIL_NPL_SHARE"]).astype(bool)
            apply(m, rules.other_npl_floor.rank, "SAME_DEBTOR_NPL")
    out["debtor_npl_share"] = share

    derived = np.maximum(reported, floor)
    out["floor_class"] = CLASS_VALUES[floor]
    out["derived_class"] = CLASS_VALUES[derived]
    out["downgraded"] = derived > reported
    out["reason_bits"] = bits
    return ClassificationResult(frame=out, rules=rules, as_of=as_of_ts)


def _loans_among(loan_ids: pd.Series, subset: pd.Series) -> np.ndarray:
    """Whether each loan id is in `subset` (a small set): looked up from the small side."""
    wanted = pd.unique(subset.to_numpy())
    if len(wanted) == 0:
        return np.zeros(len(loan_ids), dtype=bool)
    if len(wanted) * 20 < len(loan_ids):
        codes, uniques = pd.factorize(pd.concat([pd.Series(wanted), loan_ids], ignore_index=True))
        hit = np.zeros(len(uniques) + 1, dtype=bool)
        hit[codes[: len(wanted)]] = True
        return hit[codes[len(wanted):]]
    return loan_ids.isin(wanted).to_numpy()


def _resolve_as_of(tables: Mapping[str, pd.DataFrame], as_of: Any) -> pd.Timestamp:
    if as_of is not None:
        return _as_date(as_of)
    states = tables.get("loan_states")
    if states is not None and len(states):
        return _as_date(pd.to_datetime(states["as_of_date"]).max())
    return pd.Timestamp.today().normalize()


class Debtors:
    """Each loan's debtor as an integer code, and the counterparty attributes per code."""

    def __init__(self, loans: pd.DataFrame, counterparties: pd.DataFrame | None) -> None:
        codes, uniques = pd.factorize(loans["counterparty_id"])
        self.code = np.where(codes < 0, 0, codes).astype(np.int64)
        self.size = max(len(uniques), 1)
        self._cps = counterparties
        self._pos = (pd.Index(counterparties["counterparty_id"]).get_indexer(uniques)
                     if counterparties is not None and "counterparty_id" in counterparties else None)

    def attribute(self, column: str) -> np.ndarray | None:
        """The counterparty column for every loan (None where unknown), or None if absent."""
        if self._cps is None or self._pos is None or column not in self._cps:
            return None
        values = np.append(self._cps[column].to_numpy(dtype=object), np.array([None], dtype=object))
        per_debtor = values[np.where(self._pos < 0, len(values) - 1, self._pos)]
        return per_debtor[self.code] if len(per_debtor) else np.full(len(self.code), None, dtype=object)


    def flag(self, column: str, values: list[str]) -> np.ndarray | None:
        """Whether each loan's debtor has `column` in `values` (tested once per debtor)."""
        if self._cps is None or self._pos is None or column not in self._cps:
            return None
        per = np.isin(self._cps[column].to_numpy(dtype=object), values)
        per = np.append(per, False)[np.where(self._pos < 0, len(per), self._pos)]
        return per[self.code]

    @property
    def complete(self) -> bool:
        return self._pos is not None and bool(np.all(self._pos >= 0))


def _retail(loans: pd.DataFrame, debtors: Debtors) -> np.ndarray:
    individual = debtors.flag("counterparty_type", ["individual"])
    if individual is not None and debtors.complete:
        return individual
    if "product" in loans:
        return loans["product"].isin(RETAIL_PRODUCT_CODES).to_numpy()
    return np.zeros(len(loans), dtype=bool)


def _impairment(loans: pd.DataFrame, debtors: Debtors) -> tuple[np.ndarray, np.ndarray]:
    n = len(loans)
    evidence = np.full(n, "", dtype=object)
    impaired = np.zeros(n, dtype=bool)
    insolvent = debtors.flag("insolvency_status", ["restructuring", "bankruptcy", "liquidated"])
    if insolvent is not None and insolvent.any():
        status = debtors.attribute("insolvency_status")
        assert status is not None
        evidence[insolvent] = "debtor insolvency: " + status[insolvent].astype(str)
        impaired |= insolvent
    if "legal_status" in loans:
        m = (loans["legal_status"] == "bankruptcy_claim").to_numpy(dtype=bool) & ~impaired
        evidence[m] = "bankruptcy claim filed"
        impaired |= m
    if "default_date" in loans:
        m = loans["default_date"].notna().to_numpy() & ~impaired
        evidence[m] = "default recorded"
        impaired |= m
    return impaired, evidence


def classify_records(result: ClassificationResult) -> list[dict[str, Any]]:
    return result.records()
