"""Cash flows per disposal route, vectorised over loans.

Every route turns the loan frame into *legs*: arrays of shape (loans, k) of expected cash in,
costs and the month (from the cut-off) at which each leg falls. `engine.value_routes` discounts
them. Eligibility comes with a reason in plain words for every loan a route is closed to: first a
zero claim, then the law, which is the eligibility rulebook carried by the assumption set
(`AssumptionSet.rulebook`, `eligibility.py`: the reason is the failed rule's, with its id and
source), then what the route's model cannot value (no collateral to auction, no debtor left to
negotiate with, no repayment capacity to reschedule) and the bank's policy limits of the
assumption set. The first reason that applies to a loan is the one reported.

Notation per loan: C the claim, S the net collateral value (after haircut, taxes, costs and prior
liens, allocated, at most C), G the expected guarantee recovery, u the unsecured recovery rate,
and E = min(C, S + G + u·max(C − S − G, 0)) what enforcement would recover.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.valuation import ROUTES
from nplhub.valuation.assumptions import AssumptionSet
from nplhub.valuation.curves import months_to_first_auction, transfer_price_ratio
from nplhub.valuation.eligibility import RouteVerdict

Array = npt.NDArray[np.float64]
LegalVerdicts = Mapping[str, RouteVerdict]  # `Rulebook.check` of the same loans, computed once for all routes
PackageCount = int | Mapping[str, int]  # eligible accounts per batch channel (an int: the same for every channel)


@dataclass(frozen=True)
class Legs:
    """Expected cash flows of one route for n loans: inflow, cost and month, each (n, k)."""

    inflow: Array
    cost: Array
    month: Array


@dataclass(frozen=True)
class RouteResult:
    route: str
    eligible: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.object_]
    legs: Legs


def _map(series: pd.Series, table: dict[str, float], default: float) -> Array:
    """Numeric table lookup by code (segment, class, type), vectorised."""
    codes, uniques = pd.factorize(series.astype("object"), use_na_sentinel=False)
    values = np.array([float(table.get(str(k), default)) for k in uniques], dtype="float64")
    return values[codes] if len(uniques) else np.zeros(len(series))


def enforcement_value(loans: pd.DataFrame, a: AssumptionSet) -> Array:
    """E = min(C, S + G + u·max(C − S − G, 0)): what the bank's own enforcement would recover."""
    c = loans["claim"].to_numpy("float64")
    s = loans["collateral_net"].to_numpy("float64")
    g = loans["guarantee_expected"].to_numpy("float64")
    u = _map(loans["counterparty_type"], dict(a.value("unsecured.recovery_rate")), 0.05)
    return np.minimum(c, s + g + u * np.maximum(c - s - g, 0.0))


class _Closer:
    """Collects closing reasons: the first reason that applies to a loan is the one reported."""

    def __init__(self, n: int) -> None:
        self.eligible = np.ones(n, dtype=bool)
        self.reason = np.full(n, None, dtype=object)

    def close(self, mask: npt.ArrayLike, reason: str) -> None:
        m = np.asarray(mask, dtype=bool) & self.eligible
        self.reason[m] = reason
        self.eligible &= ~m


def _verdict(loans: pd.DataFrame, a: AssumptionSet, route: str, legal: LegalVerdicts | None) -> RouteVerdict:
    """The rulebook's verdict on the route: from `legal` (all routes at once), or checked here."""
    return legal[route] if legal is not None and route in legal else a.rulebook.check(loans, (route,))[route]


def _base_closer(loans: pd.DataFrame, a: AssumptionSet, route: str, legal: LegalVerdicts | None,
                 verdict: RouteVerdict | None = None) -> _Closer:
    """A zero claim first, then every rule of the route in rulebook order."""
    closer = _Closer(len(loans))
    closer.close(loans["claim"].to_numpy("float64") <= 0.0, "the claim is zero: nothing left to recover")
    for rule, failed in (verdict or _verdict(loans, a, route, legal)).failures:
        closer.close(failed, rule.text)
    return closer


def collection(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
               **_: object) -> RouteResult:
    closer = _base_closer(loans, a, "collection", legal)
    insolvency = loans["insolvency_status"].astype("object").to_numpy()
    closer.close(insolvency == "liquidated", "the borrower is liquidated (已清算): nobody to negotiate with")
    c = loans["claim"].to_numpy("float64")
    p = _map(loans["counterparty_type"], dict(a.value("collection.settlement_probability")), 0.3)
    share = float(a.value("collection.settlement_share"))
    rr = float(a.value("collection.residual_recovery_rate"))
    inflow = np.column_stack([p * share * enforcement_value(loans, a), (1.0 - p) * rr * c])
    months = np.column_stack([np.full(len(c), float(a.value("collection.months_to_settlement"))),
                              np.full(len(c), float(a.value("collection.residual_months")))])
    cost = inflow * float(a.value("collection.cost_rate"))
    return RouteResult("collection", closer.eligible, closer.reason, Legs(inflow, cost, months))


def redefault_hazard(loans: pd.DataFrame, a: AssumptionSet) -> Array:
    """Monthly re-default hazard of a restructured loan: segment base, growing with age past due."""
    q_annual = _map(loans["counterparty_type"], dict(a.value("restructuring.annual_redefault_probability")), 0.3)
    base = -np.log1p(-np.clip(q_annual, 0.0, 0.999999)) / 12.0
    years = loans["days_past_due"].to_numpy("float64") / 365.0
    by_class = _map(loans["reported_class"], dict(a.value("restructuring.redefault_class_multiplier")), 1.0)
    return base * by_class * (1.0 + float(a.value("restructuring.redefault_age_slope")) * np.clip(years, 0.0, None))


def restructuring_schedule(n_months: int, annual_rate: float) -> tuple[Array, Array]:
    """Instalment per yuan of restructured claim and the balance before each month (1..n)."""
    r = annual_rate / 12.0
    m = np.arange(1, n_months + 1, dtype="float64")
    if r == 0.0:
        return np.full(n_months, 1.0 / n_months), 1.0 - (m - 1.0) / n_months
    growth = (1.0 + r) ** n_months
    instalment = r / (1.0 - (1.0 + r) ** -n_months)
    balance_before = (growth - (1.0 + r) ** (m - 1.0)) / (growth - 1.0)
    return np.full(n_months, instalment), balance_before


def restructuring(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
                  **_: object) -> RouteResult:
    closer = _base_closer(loans, a, "restructuring", legal)
    limit = int(a.value("restructuring.max_prior_restructurings"))
    closer.close(loans["restructure_count"].to_numpy() >= limit,
                 f"already restructured or extended {limit} times or more (policy limit)")
    max_dpd = float(a.value("restructuring.max_days_past_due"))
    closed_legal = loans["legal_status"].astype("object").isin(["bankruptcy_claim", "closed"]).to_numpy()
    closer.close(loans["days_past_due"].to_numpy("float64") > max_dpd,
                 f"more than {max_dpd:.0f} days past due: no repayment capacity left to restructure")
    closer.close(closed_legal, "the case is closed or filed in bankruptcy: nothing left to reschedule")
    closer.close(loans["reported_class"].astype("object").to_numpy() == "loss",
                 "classified loss (损失): no repayment capacity left to restructure")
    n = len(loans)
    c = loans["claim"].to_numpy("float64")
    claim_r = c * (1.0 - float(a.value("restructuring.principal_haircut")))
    n_months = int(a.value("restructuring.term_months"))
    instalment, balance = restructuring_schedule(n_months, float(a.value("restructuring.new_rate")))
    hazard = redefault_hazard(loans, a)
    months = np.arange(1, n_months + 1, dtype="float64")
    survival = np.exp(-np.outer(hazard, months))  # alive after month m
    survival_before = np.exp(-np.outer(hazard, months - 1.0))
    quarters = (n_months + 2) // 3
    q_index = ((months - 1) // 3).astype(int)
    to_quarter = np.zeros((n_months, quarters))
    to_quarter[np.arange(n_months), q_index] = 1.0
    pay_q = survival @ (instalment[:, None] * to_quarter)  # per yuan of restructured claim
    def_q = (survival_before - survival) @ (balance[:, None] * to_quarter)
    q_month = np.array([months[q_index == q].mean() for q in range(quarters)])
    recovery_rate = np.where(c > 0, enforcement_value(loans, a) / np.where(c > 0, c, 1.0), 0.0)
    lag = np.where(loans["collateral_net"].to_numpy("float64") > 0,
                   np.nan_to_num(loans["months_to_sale"].to_numpy("float64"), nan=12.0),
                   float(a.value("collection.residual_months")))
    inflow = np.hstack([pay_q * claim_r[:, None], def_q * (claim_r * recovery_rate)[:, None], np.zeros((n, 1))])
    month = np.hstack([np.broadcast_to(q_month, (n, quarters)), q_month[None, :] + lag[:, None], np.zeros((n, 1))])
    cost = np.zeros_like(inflow)
    cost[:, -1] = claim_r * float(a.value("restructuring.cost_rate"))
    return RouteResult("restructuring", closer.eligible, closer.reason, Legs(inflow, cost, month))


def _transfer(loans: pd.DataFrame, a: AssumptionSet, kind: str) -> Legs:
    c = loans["claim"].to_numpy("float64")
    cover = (loans["collateral_net"].to_numpy("float64") + loans["guarantee_expected"].to_numpy("float64"))
    coverage = np.where(c > 0, cover / np.where(c > 0, c, 1.0), 0.0)
    years = loans["days_past_due"].to_numpy("float64") / 365.0
    price = c * transfer_price_ratio(coverage, years, a, kind)
    month = np.full((len(c), 1), float(dict(a.value("transfer.months_to_close"))[kind]))
    cost = price * float(dict(a.value("transfer.cost_rate"))[kind])
    return Legs(price[:, None], cost[:, None], month)


def batch_accounts(loans: pd.DataFrame, a: AssumptionSet, *,
                   legal: LegalVerdicts | None = None) -> dict[str, int]:
    """Per batch channel of the rulebook, the loans its rules let into a batch transfer (before the
    channel's minimum number of accounts): the count the minimum is judged on."""
    verdict = _verdict(loans, a, "bulk_transfer", legal)
    closer = _base_closer(loans, a, "bulk_transfer", legal, verdict)
    channel = a.rulebook.channel_of(verdict.facts or loans, "bulk_transfer")
    return {c.code: int((closer.eligible & (channel == c.code)).sum())
            for c in a.rulebook.channels_of_route("bulk_transfer")}


def bulk_transfer(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
                  package_count: PackageCount | None = None, **_: object) -> RouteResult:
    """Batch transfer, to an AMC (财金〔2012〕6号) or in a pilot personal batch (银保监办便函〔2021〕26号).

    Who may go into a batch is the rulebook's; a channel whose eligible accounts (`package_count`:
    portfolio-wide, from `batch_accounts`; counted in `loans` when None) are fewer than its
    minimum is closed to all its loans."""
    verdict = _verdict(loans, a, "bulk_transfer", legal)
    closer = _base_closer(loans, a, "bulk_transfer", legal, verdict)
    book = a.rulebook
    channel = book.channel_of(verdict.facts or loans, "bulk_transfer")
    counts: PackageCount = batch_accounts(loans, a, legal=legal) if package_count is None else package_count
    for spec in book.channels_of_route("bulk_transfer"):
        minimum = book.min_accounts(spec.code)
        count = int(counts) if isinstance(counts, int) else int(counts.get(spec.code, 0))
        if count < minimum:
            param = str(spec.min_accounts_param)
            closer.close(channel == spec.code,
                         f"only {count} eligible accounts for a {spec.code} batch: a batch transfer needs at least "
                         f"{minimum} [{param}; {book.parameter_sources.get(param, spec.source)}]")
    return RouteResult("bulk_transfer", closer.eligible, closer.reason, _transfer(loans, a, "bulk"))


def single_transfer(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
                    **_: object) -> RouteResult:
    """Single-account transfer of corporate loans on 银登中心 (who may: the rulebook)."""
    closer = _base_closer(loans, a, "single_transfer", legal)
    return RouteResult("single_transfer", closer.eligible, closer.reason, _transfer(loans, a, "single"))


def auction_rounds(loans: pd.DataFrame, a: AssumptionSet) -> dict[str, Array]:
    """Per-round start prices, sale probabilities and months (法释〔2016〕18号 第10、26条)."""
    ref = loans["collateral_reference"].to_numpy("float64")
    start1 = ref * float(a.value("judicial_auction.first_start_ratio"))
    start2 = start1 * (1.0 - float(a.value("judicial_auction.second_cut")))
    probs = dict(a.value("judicial_auction.sale_probability"))
    default = probs.get("other", [0.25, 0.25, 0.25])
    codes, uniques = pd.factorize(loans["collateral_type"].astype("object"), use_na_sentinel=False)
    per_type = np.array([probs.get(str(t), default) for t in uniques], dtype="float64").reshape(len(uniques), 3)
    table = per_type[codes] if len(uniques) else np.zeros((0, 3))
    t1 = months_to_first_auction(loans["legal_status"], a) + 1.0
    t2 = t1 + float(a.value("judicial_auction.months_between_rounds"))
    t3 = t2 + float(a.value("judicial_auction.sell_off_months"))
    t4 = t3 + float(a.value("judicial_auction.in_kind_months"))
    return {"start1": start1, "start2": start2, "p": table, "t1": t1, "t2": t2, "t3": t3, "t4": t4}


def net_sale_proceeds(price: Array, loans: pd.DataFrame, a: AssumptionSet) -> Array:
    """What reaches this bank from a sale at `price`: less taxes and costs, less prior liens, ≤ C."""
    tax = loans["collateral_tax_rate"].to_numpy("float64")
    cost = float(a.value("collateral.enforcement_cost_rate"))
    prior = loans["collateral_prior"].to_numpy("float64")
    c = loans["claim"].to_numpy("float64")
    if np.ndim(price) == 2:
        tax, prior, c = tax[:, None], prior[:, None], c[:, None]
    return np.minimum(c, np.maximum(0.0, price * (1.0 - tax - cost) - prior))


def judicial_auction(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
                     **_: object) -> RouteResult:
    closer = _base_closer(loans, a, "judicial_auction", legal)
    closer.close(loans["collateral_reference"].to_numpy("float64") <= 0.0,
                 "no collateral to seize and auction")
    r = auction_rounds(loans, a)
    prem = [float(x) for x in a.value("judicial_auction.price_premium")]
    p1, p2, p3 = r["p"][:, 0], r["p"][:, 1], r["p"][:, 2]
    reach2, reach3 = 1.0 - p1, (1.0 - p1) * (1.0 - p2)
    unsold = reach3 * (1.0 - p3)
    p_kind = float(a.value("judicial_auction.in_kind_probability"))
    in_kind_price = r["start2"] * (1.0 - float(a.value("judicial_auction.in_kind_haircut")))
    n1 = net_sale_proceeds(r["start1"] * (1.0 + prem[0]), loans, a)
    n2 = net_sale_proceeds(r["start2"] * (1.0 + prem[1]), loans, a)
    n3 = net_sale_proceeds(r["start2"] * (1.0 + prem[2]), loans, a)
    n4 = net_sale_proceeds(in_kind_price, loans, a)
    collateral_in = np.column_stack([p1 * n1, reach2 * p2 * n2, reach3 * p3 * n3, unsold * p_kind * n4])
    c = loans["claim"].to_numpy("float64")
    expected_collateral = collateral_in.sum(axis=1)
    g = np.minimum(loans["guarantee_expected"].to_numpy("float64"), np.maximum(c - expected_collateral, 0.0))
    u = _map(loans["counterparty_type"], dict(a.value("unsecured.recovery_rate")), 0.05)
    residual = u * np.maximum(c - expected_collateral - g, 0.0)
    not_filed = loans["legal_status"].astype("object").isin(["none", "demand_letter"]).to_numpy()
    litigation = np.where(not_filed, c * float(a.value("court.litigation_cost_rate")), 0.0)
    zeros = np.zeros(len(c))
    inflow = np.column_stack([collateral_in, g, residual, zeros])
    cost = np.column_stack([zeros, zeros, zeros, zeros, zeros, zeros, litigation])
    month = np.column_stack([r["t1"], r["t2"], r["t3"], r["t4"], r["t1"], r["t3"], zeros])
    return RouteResult("judicial_auction", closer.eligible, closer.reason, Legs(inflow, cost, month))


def debt_to_equity(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
                   **_: object) -> RouteResult:
    closer = _base_closer(loans, a, "debt_to_equity", legal)
    minimum = float(a.value("debt_to_equity.minimum_claim"))
    c = loans["claim"].to_numpy("float64")
    closer.close(c < minimum, f"the claim is below the {minimum:,.0f} yuan minimum for a swap")
    value = c * float(a.value("debt_to_equity.conversion_value_ratio"))
    zeros = np.zeros(len(c))
    inflow = np.column_stack([value, zeros])
    cost = np.column_stack([zeros, c * float(a.value("debt_to_equity.cost_rate"))])
    month = np.column_stack([np.full(len(c), float(a.value("debt_to_equity.exit_months"))), zeros])
    return RouteResult("debt_to_equity", closer.eligible, closer.reason, Legs(inflow, cost, month))


def write_off(loans: pd.DataFrame, a: AssumptionSet, *, legal: LegalVerdicts | None = None,
              **_: object) -> RouteResult:
    """Write-off (核销) while the claim is kept alive (账销案存); the grounds are the rulebook's."""
    closer = _base_closer(loans, a, "write_off", legal)
    c = loans["claim"].to_numpy("float64")
    inflow = (c * float(a.value("write_off.recovery_rate")))[:, None]
    cost = inflow * float(a.value("write_off.cost_rate"))
    month = np.full((len(c), 1), float(a.value("write_off.months_to_recovery")))
    return RouteResult("write_off", closer.eligible, closer.reason, Legs(inflow, cost, month))


ROUTE_FUNCTIONS: dict[str, Callable[..., RouteResult]] = {
    "collection": collection,
    "restructuring": restructuring,
    "bulk_transfer": bulk_transfer,
    "single_transfer": single_transfer,
    "judicial_auction": judicial_auction,
    "debt_to_equity": debt_to_equity,
    "write_off": write_off,
}
assert tuple(ROUTE_FUNCTIONS) == ROUTES
