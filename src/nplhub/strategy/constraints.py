"""The constraints a bank's disposal plan lives under, and what each route consumes of them.

- a budget for legal costs (诉讼费用预算) over the plan;
- workout officers' capacity by branch (清收人员), in case-load units;
- a deadline by which the NPL ratio must be at or under a target (年末不良率考核);
- a limit on the charge beyond provisions booked this year (当年损失核销额度);
- package size rules: a bulk package has at least the channel's minimum of accounts.

Every field left at None is no constraint at all. The resource coefficients per route are bank
assumptions (documented in docs/strategy.md), configurable through `RouteResources`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nplhub.domain.errors import DomainError

# Share of a route's costs that is legal cost (court fees, lawyers, enforcement): bank assumption.
DEFAULT_LEGAL_SHARE: dict[str, float] = {
    "collection": 0.5,
    "restructuring": 0.2,
    "bulk_transfer": 0.1,
    "single_transfer": 0.1,
    "judicial_auction": 1.0,
    "debt_to_equity": 0.5,
    "write_off": 0.3,
}

# Case-load units a case takes from its branch's workout officers: bank assumption.
DEFAULT_WORKLOAD: dict[str, float] = {
    "collection": 1.0,
    "restructuring": 1.5,
    "bulk_transfer": 0.0,
    "single_transfer": 0.2,
    "judicial_auction": 1.0,
    "debt_to_equity": 3.0,
    "write_off": 0.3,
}


@dataclass(frozen=True)
class RouteResources:
    """What each route consumes: legal-cost share, officers' case load, months until the NPL leaves."""

    legal_share: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LEGAL_SHARE))
    workload: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WORKLOAD))
    # A restructured NPL can be upgraded only after its observation period (2023 rules, Art 15 and 20).
    restructuring_upgrade_months: float = 12.0


@dataclass(frozen=True)
class PlanConstraints:
    """The constraints of one planning run; None means "no such constraint"."""

    legal_budget: float | None = None
    officers: Mapping[str, float] | None = None
    default_officers: float | None = None
    cases_per_officer: float = 40.0
    npl_target: float | None = None
    deadline_months: float = 12.0
    total_loans: float | None = None
    loss_limit: float | None = None
    loss_horizon_months: float = 12.0
    package_min_accounts: bool = False
    package_keys: tuple[str, ...] = ("channel", "province")
    resources: RouteResources = field(default_factory=RouteResources)

    def __post_init__(self) -> None:
        def nonneg(name: str, value: float | None) -> None:
            if value is not None and not value >= 0:
                raise DomainError(f"constraint {name} must be a non-negative number, got {value!r}")

        nonneg("legal_budget", self.legal_budget)
        nonneg("loss_limit", self.loss_limit)
        nonneg("default_officers", self.default_officers)
        nonneg("total_loans", self.total_loans)
        for branch, n in (self.officers or {}).items():
            nonneg(f"officers[{branch}]", n)
        if not self.cases_per_officer > 0:
            raise DomainError(f"cases_per_officer must be positive, got {self.cases_per_officer!r}")
        if self.npl_target is not None and not 0 <= self.npl_target < 1:
            raise DomainError(f"npl_target is a ratio in [0, 1), e.g. 0.015 for 1.5%; got {self.npl_target!r}")
        if not self.deadline_months >= 0 or not self.loss_horizon_months >= 0:
            raise DomainError("deadline and loss horizon must be non-negative numbers of months")
        allowed = {"channel", "province", "region", "collateral_class", "branch_id", "size_band"}
        unknown = set(self.package_keys) - allowed
        if unknown:
            raise DomainError(f"unknown package keys {sorted(unknown)}; allowed: {sorted(allowed)}")

    @property
    def has_capacity(self) -> bool:
        return self.officers is not None or self.default_officers is not None

    @property
    def is_empty(self) -> bool:
        """No constraint at all: the plan is every loan's best eligible route."""
        return (self.legal_budget is None and not self.has_capacity and self.npl_target is None
                and self.loss_limit is None and not self.package_min_accounts)

    def officers_at(self, branch: str) -> float | None:
        if self.officers is not None and branch in self.officers:
            return float(self.officers[branch])
        return None if self.default_officers is None else float(self.default_officers)

    def with_(self, **changes: Any) -> PlanConstraints:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "legal_budget": self.legal_budget,
            "officers": dict(self.officers) if self.officers is not None else None,
            "default_officers": self.default_officers,
            "cases_per_officer": self.cases_per_officer,
            "npl_target": self.npl_target,
            "deadline_months": self.deadline_months,
            "total_loans": self.total_loans,
            "loss_limit": self.loss_limit,
            "loss_horizon_months": self.loss_horizon_months,
            "package_min_accounts": self.package_min_accounts,
            "package_keys": list(self.package_keys),
            "legal_share": dict(self.resources.legal_share),
            "workload": dict(self.resources.workload),
            "restructuring_upgrade_months": self.resources.restructuring_upgrade_months,
        }
