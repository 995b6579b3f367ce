"""Listings (挂牌): a registry with unique project and asset codes, packages and pool statistics.

A listing is a package of assets with its pool statistics (count, principal plus interest,
weighted days past due, collateral mix, regions), a seller, a starting price, a hidden or public
reserve, an increment, a schedule and a bidder circle (open or invited). Codes follow the
银登中心 practice of one unique project number per package and one asset code per asset
(domain reference §3.2 step 3). Pure: times are passed in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from nplhub.domain.errors import Conflict, DomainError

PROJECT_CODE_PATTERN = re.compile(r"^NPL-[A-Z0-9]{2,12}-\d{8}-\d{4}$")
ASSET_CODE_PATTERN = re.compile(r"^NPL-[A-Z0-9]{2,12}-\d{8}-\d{4}-\d{5}$")


class AssetClass(StrEnum):
    """What the eligibility matrix distinguishes (domain reference §2.1)."""

    CORPORATE = "corporate"                    # 对公不良贷款
    PERSONAL_UNSECURED = "personal_unsecured"  # 个人消费信用、信用卡、个人经营信用 (pilot scope)
    PERSONAL_MORTGAGE = "personal_mortgage"    # 个人住房/其他有担保个人贷款 (outside the pilot)
    PHYSICAL = "physical"                      # 实物资产 / collateral sold in judicial auctions

    @property
    def chinese(self) -> str:
        return {"corporate": "对公不良贷款", "personal_unsecured": "个人信用类不良贷款",
                "personal_mortgage": "个人抵押类不良贷款", "physical": "实物资产"}[self.value]

    @property
    def is_personal(self) -> bool:
        return self in (AssetClass.PERSONAL_UNSECURED, AssetClass.PERSONAL_MORTGAGE)


PERSONAL_UNSECURED_PRODUCTS = frozenset({"consumer", "credit_card", "business_personal"})


def asset_class_of(product: str, counterparty_type: str) -> AssetClass:
    """The asset class of a loan from its tape product and counterparty type."""
    if counterparty_type == "individual" or product in PERSONAL_UNSECURED_PRODUCTS or product == "mortgage":
        if product in PERSONAL_UNSECURED_PRODUCTS:
            return AssetClass.PERSONAL_UNSECURED
        return AssetClass.PERSONAL_MORTGAGE
    return AssetClass.CORPORATE


class BidderCircle(StrEnum):
    OPEN = "open"        # 公开竞价: every eligible, registered investor
    INVITED = "invited"  # 定向邀请: only the listing's whitelist


class ListingStatus(StrEnum):
    DRAFT = "draft"
    LISTED = "listed"
    CLOSED = "closed"
    SOLD = "sold"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class PoolAsset:
    """One asset of a package as the pool statistics need it (no personal data)."""

    loan_id: str
    asset_class: AssetClass
    principal: Decimal
    interest: Decimal
    days_past_due: int
    region: str
    collateral_type: str | None = None  # None = unsecured
    borrower_ref: str = ""              # counterparty id (a reference, not a name)

    @property
    def claim(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True, slots=True)
class PoolStatistics:
    """What a teaser shows: aggregates only (未偿本息总额, 户数, 加权平均逾期天数, mix, regions)."""

    asset_count: int
    borrower_count: int
    principal: Decimal
    interest: Decimal
    claim: Decimal
    weighted_days_past_due: Decimal
    collateral_mix: dict[str, Decimal]   # share of claim by collateral type ("unsecured" for none)
    regions: dict[str, Decimal]          # share of claim by province (first two digits + "0000")
    asset_classes: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {
            "asset_count": self.asset_count, "borrower_count": self.borrower_count,
            "principal": str(self.principal), "interest": str(self.interest), "claim": str(self.claim),
            "weighted_days_past_due": str(self.weighted_days_past_due),
            "collateral_mix": {k: str(v) for k, v in self.collateral_mix.items()},
            "regions": {k: str(v) for k, v in self.regions.items()},
            "asset_classes": dict(self.asset_classes),
        }


def province_of(region: str) -> str:
    """GB/T 2260 six-digit code of the province containing `region` (e.g. 110105 -> 110000)."""
    if len(region) != 6 or not region.isdigit():
        raise DomainError(f"region must be a six-digit GB/T 2260 code, got {region!r}")
    return region[:2] + "0000"


def pool_statistics(assets: Sequence[PoolAsset]) -> PoolStatistics:
    """Aggregate a package; weights are claims (principal plus interest)."""
    if not assets:
        raise DomainError("a package needs at least one asset")
    principal = sum((a.principal for a in assets), Decimal(0))
    interest = sum((a.interest for a in assets), Decimal(0))
    claim = principal + interest
    if claim <= 0:
        raise DomainError("a package's principal plus interest must be positive")
    wdpd = sum((a.claim * a.days_past_due for a in assets), Decimal(0)) / claim
    mix: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for a in assets:
        mix[a.collateral_type or "unsecured"] += a.claim  # type: ignore[assignment]
        regions[province_of(a.region)] += a.claim  # type: ignore[assignment]
    q = Decimal("0.0001")
    return PoolStatistics(
        asset_count=len(assets),
        borrower_count=len({a.borrower_ref or a.loan_id for a in assets}),
        principal=principal, interest=interest, claim=claim,
        weighted_days_past_due=wdpd.quantize(Decimal("0.1")),
        collateral_mix={k: (Decimal(v) / claim).quantize(q) for k, v in sorted(mix.items())},
        regions={k: (Decimal(v) / claim).quantize(q) for k, v in sorted(regions.items())},
        asset_classes=dict(sorted(Counter(a.asset_class.value for a in assets).items())),
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    opens_at: datetime
    closes_at: datetime

    def __post_init__(self) -> None:
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise DomainError("auction times must carry a time zone (server time, UTC)")
        if self.closes_at <= self.opens_at:
            raise DomainError(f"the schedule closes ({self.closes_at}) before it opens ({self.opens_at})")


@dataclass(frozen=True)
class Listing:
    listing_id: str
    project_code: str
    title: str
    seller: str
    channel: str
    assets: tuple[PoolAsset, ...]
    asset_codes: tuple[str, ...]
    starting_price: Decimal
    reserve: Decimal
    reserve_public: bool
    increment: Decimal
    schedule: Schedule
    circle: BidderCircle = BidderCircle.OPEN
    auction_format: str = "english"
    documents: tuple[str, ...] = ()
    whitelist: frozenset[str] = field(default_factory=frozenset)
    status: ListingStatus = ListingStatus.LISTED
    relist_of: str | None = None
    buy_now_price: Decimal | None = None
    deposit: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        validate_terms(self.starting_price, self.reserve, self.increment)
        if len(self.asset_codes) != len(self.assets):
            raise DomainError("every asset of a listing needs exactly one asset code")
        if self.circle is BidderCircle.INVITED and not self.whitelist:
            raise DomainError("an invited-circle listing needs a whitelist of at least one investor")

    @property
    def statistics(self) -> PoolStatistics:
        return pool_statistics(self.assets)

    def public_reserve(self) -> Decimal | None:
        """The reserve as the public sees it: None when the seller keeps it hidden."""
        return self.reserve if self.reserve_public else None


def validate_terms(starting_price: Decimal, reserve: Decimal, increment: Decimal) -> None:
    if starting_price <= 0:
        raise DomainError(f"the starting price must be positive, got {starting_price}")
    if reserve < 0:
        raise DomainError(f"the reserve cannot be negative, got {reserve}")
    if increment <= 0:
        raise DomainError(f"the increment must be positive, got {increment}")


class ListingRegistry:
    """Assigns unique project and asset codes: NPL-<SELLER>-<YYYYMMDD>-<NNNN>[-<NNNNN>].

    The registry is seeded with the codes already issued (the storage layer passes them in), so
    a code is never issued twice, and every loan is in at most one live listing.
    """

    def __init__(self, issued_project_codes: Iterable[str] = (), live_loan_ids: Iterable[str] = ()) -> None:
        self._issued = set(issued_project_codes)
        self._live_loans = set(live_loan_ids)

    def next_project_code(self, seller_code: str, day: date) -> str:
        seller = re.sub(r"[^A-Z0-9]", "", seller_code.upper())[:12]
        if len(seller) < 2:
            raise DomainError(f"seller code {seller_code!r} needs at least two letters or digits")
        prefix = f"NPL-{seller}-{day:%Y%m%d}-"
        used = [int(c[len(prefix):]) for c in self._issued if c.startswith(prefix)]
        seq = max(used, default=0) + 1
        if seq > 9999:
            raise Conflict(f"more than 9,999 projects for seller {seller} on {day}")
        code = f"{prefix}{seq:04d}"
        self._issued.add(code)
        return code

    @staticmethod
    def asset_codes(project_code: str, count: int) -> tuple[str, ...]:
        return tuple(f"{project_code}-{i:05d}" for i in range(1, count + 1))

    def reserve_loans(self, loan_ids: Sequence[str]) -> None:
        """Mark loans as listed; a loan already in a live listing cannot be listed twice."""
        repeated = {x for x, n in Counter(loan_ids).items() if n > 1}
        dup = sorted(repeated | (set(loan_ids) & self._live_loans))
        if dup:
            raise Conflict(f"loans already in a live listing or repeated in this package: {', '.join(dup[:5])}")
        self._live_loans.update(loan_ids)
