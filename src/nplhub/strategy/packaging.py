"""Packaging for sale: bulk-transfer loans grouped into packages buyers can price, with reserve prices.

Loans a plan sends to bulk transfer are grouped by channel (an AMC batch or a pilot personal
batch never mix), then as homogeneously as the channel's minimum allows: by province, collateral
class and size band; a group below the minimum is merged up the hierarchy (size band, then
collateral, then province) rather than left unsold. Large groups are split into packages of at
most `max_accounts`, each still above the minimum. Single-account transfers are one-loan
packages on the pilot channel.

Reserve price: the package's expected price is the sum of the loans' route values; its spread
comes from their P10–P90 (σ ≈ (P90 − P10) / 2.563) with a correlation ρ inside the package, and
the reserve is the package value's `reserve_quantile` (P10 by default): a price the bank can
defend from its own valuation, below which it would rather hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

HIERARCHY = ("province", "collateral_class", "size_band")
Z_SPAN = 2 * norm.ppf(0.9)  # P10 to P90 of a normal is 2.563 σ


@dataclass(frozen=True)
class PackagingRules:
    min_accounts: dict[str, int]
    max_accounts: int = 200
    correlation: float = 0.3
    reserve_quantile: float = 0.10


def build_packages(assignments: pd.DataFrame, rules: PackagingRules) -> pd.DataFrame:
    """One row per package: id, channel, keys, accounts, claim, expected price, P10/P90, reserve, loan ids."""
    cols = ["loan_id", "route", "channel", "province", "collateral_class", "size_band", "claim", "npv",
            "gross_recovery", "p10", "p90"]
    missing = [c for c in cols if c not in assignments.columns]
    if missing:
        raise ValueError(f"packaging needs assignment columns {missing}")
    sale = assignments[assignments["route"].isin(["bulk_transfer", "single_transfer"])][cols].copy()
    packages: list[dict[str, Any]] = []
    for channel, chunk in sale.groupby("channel", sort=True):
        if chunk["route"].iloc[0] == "single_transfer":
            for _, row in chunk.sort_values("loan_id").iterrows():
                packages.append(_package(str(channel), {"province": row["province"],
                                         "collateral_class": row["collateral_class"], "size_band": row["size_band"]},
                                         row.to_frame().T, rules))
            continue
        need = rules.min_accounts.get(str(channel), 1)
        for keys, members in _homogeneous_groups(chunk, need):
            for part in _split(members.sort_values(["claim", "loan_id"]), need, rules.max_accounts):
                packages.append(_package(str(channel), keys, part, rules))
    out = pd.DataFrame(packages)
    if out.empty:
        return pd.DataFrame(columns=["package_id", "channel", "province", "collateral_class", "size_band", "accounts",
                                     "claim", "expected_price", "p10", "p90", "reserve_price", "below_minimum",
                                     "loan_ids"])
    out.insert(0, "package_id", [f"PKG-{i + 1:04d}" for i in range(len(out))])
    return out


def _homogeneous_groups(chunk: pd.DataFrame, need: int) -> list[tuple[dict[str, str], pd.DataFrame]]:
    """Groups by the full key; those below `need` are pooled one level up, recursively."""
    result: list[tuple[dict[str, str], pd.DataFrame]] = []
    leftovers = chunk
    for depth in range(len(HIERARCHY), -1, -1):
        keys = list(HIERARCHY[:depth])
        if leftovers.empty:
            break
        grouped = [(dict(zip(keys, k if isinstance(k, tuple) else (k,))), g)
                   for k, g in leftovers.groupby(keys, sort=True)] if keys else [({}, leftovers)]
        small = []
        for key, g in grouped:
            if len(g) >= need or (depth == 0 and not result):
                full = {k: key.get(k, "mixed") for k in HIERARCHY}
                result.append((full, g))
            elif depth == 0:  # too few left even pooled: they join the smallest package, which turns mixed
                i = min(range(len(result)), key=lambda j: len(result[j][1]))
                keys_i, members = result[i]
                merged = pd.concat([members, g])
                result[i] = ({k: (v if merged[k].nunique() == 1 else "mixed") for k, v in keys_i.items()}, merged)
            else:
                small.append(g)
        leftovers = pd.concat(small) if small else leftovers.iloc[0:0]
    return result


def _split(members: pd.DataFrame, need: int, max_accounts: int) -> list[pd.DataFrame]:
    n = len(members)
    parts = max(1, int(np.ceil(n / max_accounts)))
    while parts > 1 and n // parts < need:
        parts -= 1
    return [members.iloc[idx] for idx in np.array_split(np.arange(n), parts)]


def _package(channel: str, keys: dict[str, Any], members: pd.DataFrame, rules: PackagingRules) -> dict[str, Any]:
    value = members["gross_recovery"].astype(float).fillna(members["npv"].astype(float))
    expected = float(value.sum())
    sd = ((members["p90"].astype(float) - members["p10"].astype(float)).fillna(0.0).clip(lower=0.0) / Z_SPAN).to_numpy()
    rho = rules.correlation
    variance = (1 - rho) * float((sd ** 2).sum()) + rho * float(sd.sum()) ** 2
    sigma = float(np.sqrt(max(variance, 0.0)))
    z = norm.ppf(rules.reserve_quantile)
    need = rules.min_accounts.get(channel, 1)
    return {
        "channel": channel,
        "province": keys.get("province", "mixed"),
        "collateral_class": keys.get("collateral_class", "mixed"),
        "size_band": keys.get("size_band", "mixed"),
        "accounts": int(len(members)),
        "claim": round(float(members["claim"].astype(float).sum()), 2),
        "expected_price": round(expected, 2),
        "p10": round(expected + norm.ppf(0.1) * sigma, 2),
        "p90": round(expected + norm.ppf(0.9) * sigma, 2),
        "reserve_price": round(max(expected + z * sigma, 0.0), 2),
        "below_minimum": bool(len(members) < need),
        "loan_ids": [str(x) for x in members["loan_id"]],
    }
