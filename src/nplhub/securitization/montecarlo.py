"""Monte Carlo of the deal: shocked recoveries per loan, the exact waterfall on every path,
loss and WAL distributions per tranche. Vectorised across paths, with an explicit seed.

Shock model, per path p and loan i (lognormal, mean one in level):
    amountᵢₚ = amountᵢ · exp(σₛ Zₚ − σₛ²/2) · Lᵢₚ          (systematic Z, idiosyncratic L;
                                                         the path factor multiplies the sums)
    daysᵢₚ   = daysᵢ · exp(τₛ Wₚ − τₛ²/2) · Mᵢₚ            (systematic W, idiosyncratic M)
with Zₚ, Wₚ standard normal and Lᵢₚ = exp(σᵢ εᵢₚ)/c, Mᵢₚ = exp(τᵢ ηᵢₚ)/c' where εᵢₚ, ηᵢₚ are
standard normals quantised to 2¹⁶ levels (inverse-CDF at the level mid-points, rescaled to unit
variance; c, c' make the factors' means exactly one), indexed by two 16-bit fields of the
generator's raw 64-bit words (one word serves two loans). Times are in float32 (a day is resolved to well under a thousandth).
σᵢ is the model's, or each loan's own when the recoveries carry one (from the valuation's p10
and p90: σ = ln(p90/p10)/2.563, on a 0.01 grid up to 1.5, cᵢ then per loan). Costs move with the
recovery level. Paths are processed in chunks, each with its own child of
`SeedSequence(seed)`, so results do not depend on the number of threads; each thread keeps its
own work buffers, so that the hot loop allocates (and page-faults) nothing per chunk.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtri

from nplhub.domain.errors import DomainError
from nplhub.securitization.cents import to_cents
from nplhub.securitization.deal import Deal
from nplhub.securitization.projection import DAYS_PER_MONTH, LoanRecoveries, period_bounds, period_inputs
from nplhub.securitization.waterfall import PeriodInputs, simulate

LEVELS = 1 << 16


def _quantised_normal() -> np.ndarray:
    z = ndtri((np.arange(LEVELS) + 0.5) / LEVELS)
    return (z - z.mean()) / z.std()


_Q = _quantised_normal()
_Q32 = _Q.astype(np.float32)


SIGMA_STEP = 0.01
SIGMA_MAX = 1.5


def _per_loan_sigma(level_sigma: np.ndarray, default: float) -> tuple[np.ndarray, np.ndarray]:
    """Each loan's level volatility (NaN: `default`) on a 0.01 grid up to 1.5, as float32, and
    the exact mean of exp(σ·q) over the quantised normal for it, computed in float32 as the draw
    does (one pass over the table per distinct σ): dividing by it makes the factor's mean one."""
    sigma = np.where(np.isnan(level_sigma), default, level_sigma)
    sigma = (np.round(np.clip(sigma, 0.0, SIGMA_MAX) / SIGMA_STEP) * SIGMA_STEP).astype(np.float32)
    values, inverse = np.unique(sigma, return_inverse=True)
    means = np.array([np.exp(v * _Q32).mean(dtype=np.float64) for v in values])
    return sigma, means[inverse]


@dataclass(frozen=True)
class ShockModel:
    level_systematic: float = 0.15
    level_idiosyncratic: float = 0.40
    timing_systematic: float = 0.15
    timing_idiosyncratic: float = 0.30

    def __post_init__(self) -> None:
        for name, v in self.__dict__.items():
            if not (0.0 <= v <= 3.0):
                raise DomainError(f"shock volatility {name} must be between 0 and 3, got {v}")


@dataclass
class TrancheDistribution:
    name: str
    loss_ratio: np.ndarray  # principal written off / face, per path
    shortfall: np.ndarray  # interest in arrears at the end (yuan), per path
    wal: np.ndarray  # years from closing, NaN where no principal came back

    def summary(self) -> dict[str, Any]:
        w = self.wal[np.isfinite(self.wal)]
        pct = (lambda q: float(np.percentile(w, q))) if w.size else (lambda q: None)
        return {
            "expected_loss": float(self.loss_ratio.mean()),
            "probability_of_loss": float(np.mean((self.loss_ratio > 0) | (self.shortfall > 0))),
            "loss_p95": float(np.percentile(self.loss_ratio, 95)),
            "wal_mean": float(w.mean()) if w.size else None,
            "wal_p5": pct(5), "wal_p50": pct(50), "wal_p95": pct(95),
        }


@dataclass
class MonteCarloResult:
    scenarios: int
    seed: int
    tranches: dict[str, TrancheDistribution] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"scenarios": self.scenarios, "seed": self.seed,
                "tranches": {n: d.summary() for n, d in self.tranches.items()}}


class DealMonteCarlo:
    """Simulate `deal` on shocked versions of `recoveries` (already stressed, if wanted), with
    `plan` (the unstressed recoveries) as the business plan and NPV basis."""

    def __init__(self, deal: Deal, recoveries: LoanRecoveries, plan: LoanRecoveries | None = None,
                 shocks: ShockModel | None = None, chunk: int = 2000, workers: int = 1) -> None:
        self.deal = deal
        self.recoveries = recoveries
        self.plan = plan if plan is not None else recoveries
        self.shocks = shocks or ShockModel()
        self.chunk = chunk
        self.workers = workers
        T = deal.periods
        bounds = period_bounds(deal)
        self._lut = np.searchsorted(bounds, np.arange(int(bounds[-1]) + 2), side="left").astype(np.intp)
        self._log_days = np.log(np.maximum(recoveries.months * DAYS_PER_MONTH, 1e-9)).astype(np.float32)
        self._local = threading.local()
        amount = recoveries.amount
        self._amount = amount
        ratio = np.divide(recoveries.costs, amount, out=np.zeros_like(amount), where=amount > 0)
        self._cost_ratio = float(ratio[0]) if ratio.size and np.allclose(ratio, ratio[0], rtol=0, atol=1e-12) else None
        self._cost_ratio_i = ratio
        self._needs_npv = any(t.kind == "npv_profitability_ratio" for t in deal.triggers)
        base = period_inputs(deal, recoveries, self.plan)
        self._business_plan = base.business_plan
        s = self.shocks
        self._level_tab = np.exp(s.level_idiosyncratic * _Q)
        self._level_tab /= self._level_tab.mean()
        self._sigma: np.ndarray | None = None
        if recoveries.level_sigma is not None:  # each loan its own volatility, mean one exactly
            self._sigma, mean = _per_loan_sigma(recoveries.level_sigma, s.level_idiosyncratic)
            self._amount = amount / mean
        self._timing_tab = (s.timing_idiosyncratic * _Q
                            - np.log(np.exp(s.timing_idiosyncratic * _Q).mean())).astype(np.float32)
        self._dates = deal.payment_dates()
        self._times = np.array([(d - deal.closing_date).days / 365.0 for d in self._dates])
        self._faces = {t.name: to_cents(t.balance) for t in deal.tranches}
        self._wanted = {"called"}
        for t in deal.tranches:
            self._wanted |= {f"tranche:{t.name}:principal_paid", f"tranche:{t.name}:balance",
                             f"tranche:{t.name}:interest_shortfall"}
        self.T = T

    # -- one chunk -------------------------------------------------------------------------------
    def _buffers(self, paths: int) -> dict[str, np.ndarray]:
        buf = getattr(self._local, "buf", None)
        if buf is None or buf["t"].shape[0] < paths:
            n = len(self._amount)
            buf = {"t": np.empty((paths, n), np.float32),
                   "i": np.empty((paths, n), np.intp), "j": np.empty((paths, n), np.intp),
                   "lvl": np.empty((paths, n), np.float64)}
            if self._needs_npv:  # the plan's NPV per loan, the same on every path: tiled once
                buf["npv"] = np.tile(self.recoveries.bp_npv, (paths, 1))
            self._local.buf = buf
        return {k: v[:paths] for k, v in buf.items()}

    def _scaled_lut(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        cache = self.__dict__.setdefault("_lut_cache", {})
        if block not in cache:
            cache[block] = (self._lut * block, np.arange(block, dtype=np.intp)[:, None])
        return cache[block]

    def draw_inputs(self, paths: int, seed: np.random.SeedSequence, block: int = 1000) -> PeriodInputs:
        """Shocked per-period collections, costs and closed-position NPV for `paths` paths, laid
        out (periods, paths) in cents; drawn in blocks of `block` paths to keep buffers small."""
        rng = np.random.Generator(np.random.PCG64(seed))
        T, s = self.T, self.shocks
        sys_level = np.exp(s.level_systematic * rng.standard_normal(paths) - s.level_systematic**2 / 2)
        sys_timing = (s.timing_systematic * rng.standard_normal(paths) - s.timing_systematic**2 / 2).astype(np.float32)
        collections = np.empty((T, paths), np.int64)
        costs = np.empty((T, paths), np.int64)
        npv = np.empty((T, paths), np.int64) if self._needs_npv else None
        for lo in range(0, paths, block):
            hi = min(paths, lo + block)
            self._draw_block(rng, sys_level[lo:hi], sys_timing[lo:hi], collections[:, lo:hi], costs[:, lo:hi],
                             None if npv is None else npv[:, lo:hi])
        return PeriodInputs(collections=collections, costs=costs, closed_collections=collections,
                            closed_bp_npv=npv, business_plan=self._business_plan, periods_first=True)

    def _draw_block(self, rng: np.random.Generator, sys_level: np.ndarray, sys_timing: np.ndarray,
                    collections: np.ndarray, costs: np.ndarray, npv: np.ndarray | None) -> None:
        T, B = self.T, sys_level.shape[0]
        b = self._buffers(B)
        t, ii, jj, level = b["t"], b["i"], b["j"], b["lvl"]
        n = len(self._amount)
        words = rng.bit_generator.random_raw((B * n + 1) // 2)  # 64 random bits = four 16-bit indices
        idx = words.view(np.uint16)[: 2 * B * n].reshape(B, n, 2)
        if self._sigma is None:
            np.take(self._level_tab, idx[:, :, 0], out=level, mode="clip")
            np.multiply(level, self._amount, out=level)  # the systematic factor is applied to the sums
        else:
            np.take(_Q32, idx[:, :, 0], out=t, mode="clip")
            np.multiply(t, self._sigma, out=t)
            np.exp(t, out=t)
            np.multiply(t, self._amount, out=level)
        np.take(self._timing_tab, idx[:, :, 1], out=t, mode="clip")
        np.add(t, self._log_days, out=t)
        np.add(t, sys_timing[:, None], out=t)
        np.exp(t, out=t)
        np.ceil(t, out=t)
        np.minimum(t, self._lut.size - 1, out=t)
        np.copyto(ii, t, casting="unsafe")
        lut, offsets = self._scaled_lut(B)
        np.take(lut, ii, out=jj, mode="clip")  # bin = period * B + path: the sums come out (periods, paths)
        np.add(jj, offsets, out=jj)
        flat = jj.reshape(-1)
        size = (T + 1) * B
        scale_yuan = sys_level * 100.0
        sums: np.ndarray = np.bincount(flat, weights=level.reshape(-1), minlength=size).reshape(T + 1, B)[:T]
        np.multiply(sums, scale_yuan, out=sums)
        np.rint(sums, out=sums)
        collections[...] = sums
        if self._cost_ratio is not None:
            costs[...] = np.rint(sums * self._cost_ratio)
        else:
            np.multiply(level, self._cost_ratio_i, out=level)
            costs[...] = np.rint(np.bincount(flat, weights=level.reshape(-1), minlength=size).reshape(T + 1, B)[:T]
                                 * scale_yuan)
        if npv is not None:
            w = b["npv"].reshape(-1)
            npv[...] = np.rint(np.bincount(flat, weights=w, minlength=size).reshape(T + 1, B)[:T] * 100.0)

    def run_chunk(self, paths: int, seed: np.random.SeedSequence) -> dict[str, tuple[np.ndarray, ...]]:
        inputs = self.draw_inputs(paths, seed)
        lines, _ = simulate(self.deal, inputs, self._wanted)
        called = lines["called"].astype(bool)
        ended = called.any(axis=0)
        end = np.where(ended, called.argmax(axis=0), self.T - 1)
        cols = np.arange(paths)
        out: dict[str, tuple[np.ndarray, ...]] = {}
        for name, face in self._faces.items():
            principal = lines[f"tranche:{name}:principal_paid"]
            total = principal.sum(axis=0)
            weighted = (principal * self._times[:, None]).sum(axis=0)
            wal = np.divide(weighted, total, out=np.full(paths, np.nan), where=total > 0)
            bal = lines[f"tranche:{name}:balance"][end, cols]
            short = lines[f"tranche:{name}:interest_shortfall"][end, cols]
            loss = bal / face if face > 0 else np.zeros(paths)
            out[name] = (loss, short / 100.0, wal)
        return out

    # -- the whole run ---------------------------------------------------------------------------
    def run(self, scenarios: int, seed: int, client: Any | None = None) -> MonteCarloResult:
        """`scenarios` paths from `seed`; with a Dask `client`, the chunks run on its workers
        (same chunks, same seeds: the same result as in-process)."""
        if scenarios < 1:
            raise DomainError(f"the number of scenarios must be at least 1, got {scenarios}")
        sizes = [self.chunk] * (scenarios // self.chunk)
        if scenarios % self.chunk:
            sizes.append(scenarios % self.chunk)
        seeds = np.random.SeedSequence(seed).spawn(len(sizes))
        if client is not None:
            [spec] = client.scatter([(self.deal, self.recoveries, self.plan, self.shocks, self.chunk)],
                                    broadcast=True, hash=False)
            futures = [client.submit(_remote_chunk, spec, n, s, pure=False) for n, s in zip(sizes, seeds)]
            parts = client.gather(futures)
        elif self.workers > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                parts = list(pool.map(self.run_chunk, sizes, seeds))
        else:
            parts = [self.run_chunk(n, s) for n, s in zip(sizes, seeds)]
        result = MonteCarloResult(scenarios=scenarios, seed=seed)
        for name in self._faces:
            loss, short, wal = (np.concatenate([p[name][j] for p in parts]) for j in range(3))
            result.tranches[name] = TrancheDistribution(name, loss, short, wal)
        return result


def _remote_chunk(spec: tuple[Deal, LoanRecoveries, LoanRecoveries, ShockModel, int], paths: int,
                  seed: np.random.SeedSequence) -> dict[str, tuple[np.ndarray, ...]]:
    deal, recoveries, plan, shocks, chunk = spec
    return DealMonteCarlo(deal, recoveries, plan, shocks, chunk=chunk).run_chunk(paths, seed)
