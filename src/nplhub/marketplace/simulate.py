"""Auction design advisor: Monte Carlo of formats, reserves and bidder counts.

Bidders are risk neutral with independent private values drawn from a value model (uniform on
[0, 1] unless one is given). English and second-price auctions: the price is the larger of the
reserve and the second-highest value (plus the increment when bidding moves in steps); first-price
and Dutch auctions: the highest bidder bids the symmetric equilibrium
b(v) = v − ∫_r^v F(x)^(n−1) dx / F(v)^(n−1) (for U[0,1]: v − (vⁿ − rⁿ)/(n·v^(n−1))). No sale when
every value is below the reserve. Theory for U[0,1] (Vickrey 1961; Riley & Samuelson 1981):
revenue (n−1)/(n+1) + rⁿ − 2n·r^(n+1)/(n+1), no-sale probability rⁿ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

FORMATS = ("english", "second_price", "first_price", "dutch")


@dataclass(frozen=True)
class ValueModel:
    """Independent private values: 'uniform' on [low, high] or 'lognormal' with the given median/sigma."""

    kind: str = "uniform"
    low: float = 0.0
    high: float = 1.0
    median: float = 1.0
    sigma: float = 0.3

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "lognormal"):
            raise ValueError(f"unknown value model {self.kind!r}; use 'uniform' or 'lognormal'")
        if self.kind == "uniform" and not self.high > self.low:
            raise ValueError("a uniform value model needs high > low")
        if self.kind == "lognormal" and not (self.median > 0 and self.sigma > 0):
            raise ValueError("a lognormal value model needs a positive median and sigma")

    def distribution(self) -> stats.rv_continuous:
        if self.kind == "uniform":
            return stats.uniform(loc=self.low, scale=self.high - self.low)
        return stats.lognorm(s=self.sigma, scale=self.median)

    @property
    def is_standard_uniform(self) -> bool:
        return self.kind == "uniform" and self.low == 0.0 and self.high == 1.0


@dataclass(frozen=True)
class SimulationResult:
    format: str
    bidders: int
    reserve: float
    runs: int
    seed: int
    mean_revenue: float
    std_error: float
    no_sale_rate: float
    revenue_std: float
    mean_winner_value: float
    theory_revenue: float | None
    theory_no_sale_rate: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def theory_uniform(n: int, r: float) -> tuple[float, float]:
    """(expected revenue, no-sale probability) for n bidders with U[0,1] values and reserve r."""
    return (n - 1) / (n + 1) + r**n - 2 * n * r ** (n + 1) / (n + 1), r**n


def first_price_bid(values: np.ndarray, n: int, reserve: float, model: ValueModel) -> np.ndarray:
    """Symmetric equilibrium first-price bid for values ≥ reserve (NaN below)."""
    v = np.asarray(values, dtype=float)
    out = np.full_like(v, np.nan)
    ok = v >= reserve
    if n == 1:
        out[ok] = reserve
        return out
    if model.is_standard_uniform:
        vv = v[ok]
        out[ok] = vv - (vv**n - reserve**n) / (n * vv ** (n - 1))
        return out
    dist = model.distribution()
    hi = float(max(v[ok].max(initial=reserve), reserve))
    grid = np.linspace(reserve, hi, 4097)
    fpow = dist.cdf(grid) ** (n - 1)
    integral = np.concatenate([[0.0], np.cumsum((fpow[1:] + fpow[:-1]) / 2 * np.diff(grid))])
    vv = v[ok]
    denom = dist.cdf(vv) ** (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shade = np.where(denom > 0, np.interp(vv, grid, integral) / denom, 0.0)
    out[ok] = vv - shade
    return out


def simulate(format: str, bidders: int, reserve: float = 0.0, runs: int = 10000, seed: int = 0,
             model: ValueModel | None = None, increment: float = 0.0, dutch_step: float = 0.0,
             dutch_start: float | None = None) -> SimulationResult:
    """Simulate `runs` independent auctions and summarise the seller's revenue."""
    if format not in FORMATS:
        raise ValueError(f"unknown auction format {format!r}; expected one of {', '.join(FORMATS)}")
    if bidders < 1:
        raise ValueError(f"an auction needs at least one bidder, got {bidders}")
    if runs < 2:
        raise ValueError(f"at least two runs are needed for a standard error, got {runs}")
    if reserve < 0 or increment < 0 or dutch_step < 0:
        raise ValueError("reserve, increment and Dutch step must not be negative")
    model = model or ValueModel()
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    values = model.distribution().rvs(size=(runs, bidders), random_state=rng)
    ordered = np.sort(values, axis=1)
    top = ordered[:, -1]
    second = ordered[:, -2] if bidders > 1 else np.full(runs, -np.inf)
    sold = top >= reserve
    if format in ("english", "second_price"):
        base = np.maximum(reserve, second + (increment if format == "english" else 0.0))
        price = np.minimum(top, base) if format == "english" else np.maximum(reserve, second)
    else:
        price = first_price_bid(top, bidders, reserve, model)
        if format == "dutch" and dutch_step > 0:
            start = dutch_start if dutch_start is not None else float(model.distribution().ppf(0.999))
            steps = np.ceil((start - price) / dutch_step)
            price = np.maximum(reserve, start - steps * dutch_step)
    revenue = np.where(sold, price, 0.0)
    mean = float(revenue.mean())
    std = float(revenue.std(ddof=1))
    theory = theory_uniform(bidders, reserve) if (model.is_standard_uniform and increment == 0
                                                  and dutch_step == 0) else (None, None)
    return SimulationResult(
        format=format, bidders=bidders, reserve=reserve, runs=runs, seed=seed, mean_revenue=mean,
        std_error=std / np.sqrt(runs), no_sale_rate=float(1.0 - sold.mean()), revenue_std=std,
        mean_winner_value=float(np.where(sold, top, 0.0).mean()),
        theory_revenue=theory[0], theory_no_sale_rate=theory[1])


@dataclass(frozen=True)
class Advice:
    best: SimulationResult
    table: list[SimulationResult]

    def to_dict(self) -> dict[str, object]:
        return {"best": self.best.to_dict(), "table": [r.to_dict() for r in self.table]}


def advise(model: ValueModel, bidder_counts: Sequence[int], reserves: Sequence[float],
           formats: Sequence[str] = FORMATS, runs: int = 4000, seed: int = 0) -> Advice:
    """Simulate every (format, bidders, reserve) and pick the highest mean revenue, breaking near
    ties (within two standard errors) by the lower revenue spread (a seller's risk)."""
    seeds = np.random.SeedSequence(seed).generate_state(len(formats) * len(bidder_counts) * len(reserves))
    table: list[SimulationResult] = []
    k = 0
    for f in formats:
        for n in bidder_counts:
            for r in reserves:
                table.append(simulate(f, n, r, runs, int(seeds[k]), model))
                k += 1
    top = max(table, key=lambda x: x.mean_revenue)
    near = [x for x in table if x.mean_revenue >= top.mean_revenue - 2 * top.std_error
            and x.bidders == top.bidders]
    best = min(near, key=lambda x: (x.revenue_std, -x.mean_revenue))
    return Advice(best=best, table=table)
