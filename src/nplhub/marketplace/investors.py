"""Investors: onboarding (type, documents, approval) and the eligibility matrix.

The matrix is asset class × buyer type × channel, with the regional limit of local AMCs, the
minimum package size of bulk transfers and the re-transfer ban on retail batches
(domain reference §2.1):

- 批量转让 (财金〔2012〕6号 第三条; 银监办便函〔2017〕702号): corporate NPLs only, ≥ 3 户 per package,
  buyers national AMCs and local AMCs (the latter only for assets of their own province);
- 单户对公 pilot (银保监办便函〔2021〕26号): national AMCs, local AMCs (own province), financial asset
  investment companies (AICs);
- 批量个人 pilot (same letter): only personal unsecured credit (consumer, card, personal business);
  national AMCs, local AMCs (no regional limit) and AICs; buyers may not re-transfer;
- judicial auctions (法释〔2016〕18号): anyone not barred by 第34条;
- commercial secondary listings (an AMC selling on): any approved investor, except assets that
  carry a re-transfer ban.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from nplhub.domain.errors import DomainError, InvalidTransition
from nplhub.marketplace.listing import AssetClass, province_of


class InvestorType(StrEnum):
    NATIONAL_AMC = "national_amc"      # 全国性资产管理公司
    LOCAL_AMC = "local_amc"            # 地方资产管理公司
    AIC = "aic"                        # 金融资产投资公司
    PRIVATE_FUND = "private_fund"      # 私募基金
    INSURER = "insurer"                # 保险机构
    OTHER = "other"                    # 其他投资者

    @property
    def chinese(self) -> str:
        return {"national_amc": "全国性资产管理公司", "local_amc": "地方资产管理公司",
                "aic": "金融资产投资公司", "private_fund": "私募基金", "insurer": "保险机构",
                "other": "其他投资者"}[self.value]


class Channel(StrEnum):
    BULK_TRANSFER = "bulk_transfer"            # 批量转让
    SINGLE_CORPORATE = "single_corporate"      # 单户对公不良贷款转让 (pilot)
    RETAIL_BATCH = "retail_batch"              # 批量个人不良贷款转让 (pilot)
    JUDICIAL_AUCTION = "judicial_auction"      # 网络司法拍卖
    COMMERCIAL = "commercial"                  # 商业挂牌 (AMC onward sale, exchanges)


REQUIRED_DOCUMENTS = ("business_licence", "qualification", "board_resolution", "kyc")


class InvestorStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class Investor:
    investor_id: str
    name: str
    investor_type: InvestorType
    province: str | None = None           # GB/T 2260 province code; required for local AMCs
    documents: frozenset[str] = field(default_factory=frozenset)
    status: InvestorStatus = InvestorStatus.PENDING
    barred: bool = False                  # 法释〔2016〕18号 第34条: court, platform staff and relatives

    def __post_init__(self) -> None:
        if not self.investor_id.strip():
            raise DomainError("an investor needs an identifier")
        if self.investor_type is InvestorType.LOCAL_AMC and not self.province:
            raise DomainError("a local AMC must state its province (GB/T 2260 code)")
        if self.province is not None:
            province_of(self.province)

    @property
    def missing_documents(self) -> tuple[str, ...]:
        return tuple(d for d in REQUIRED_DOCUMENTS if d not in self.documents)

    def approve(self) -> Investor:
        if self.missing_documents:
            raise InvalidTransition(
                f"investor {self.investor_id} cannot be approved: missing documents "
                f"{', '.join(self.missing_documents)}")
        return replace(self, status=InvestorStatus.APPROVED)

    def suspend(self) -> Investor:
        """Stop the investor from bidding (e.g. a defaulted payment, a sanction, expired documents)."""
        if self.status is InvestorStatus.SUSPENDED:
            raise InvalidTransition(f"investor {self.investor_id} is already suspended")
        return replace(self, status=InvestorStatus.SUSPENDED)

    def reinstate(self) -> Investor:
        """Lift a suspension; the documents must still be complete, as for an approval."""
        if self.status is not InvestorStatus.SUSPENDED:
            raise InvalidTransition(f"investor {self.investor_id} is not suspended")
        return replace(self, status=InvestorStatus.PENDING).approve()


MATRIX: dict[Channel, dict[AssetClass, frozenset[InvestorType]]] = {
    Channel.BULK_TRANSFER: {
        AssetClass.CORPORATE: frozenset({InvestorType.NATIONAL_AMC, InvestorType.LOCAL_AMC}),
    },
    Channel.SINGLE_CORPORATE: {
        AssetClass.CORPORATE: frozenset({InvestorType.NATIONAL_AMC, InvestorType.LOCAL_AMC, InvestorType.AIC}),
    },
    Channel.RETAIL_BATCH: {
        AssetClass.PERSONAL_UNSECURED: frozenset({InvestorType.NATIONAL_AMC, InvestorType.LOCAL_AMC,
                                                  InvestorType.AIC}),
    },
    Channel.JUDICIAL_AUCTION: {cls: frozenset(InvestorType) for cls in AssetClass},
    Channel.COMMERCIAL: {cls: frozenset(InvestorType) for cls in AssetClass},
}

# Channels where a local AMC may only buy assets of its own province (corporate assets).
REGIONAL_LIMIT = frozenset({Channel.BULK_TRANSFER, Channel.SINGLE_CORPORATE})
MIN_PACKAGE_SIZE = {Channel.BULK_TRANSFER: 3}  # 银监办便函〔2017〕702号 (10 in 财金〔2012〕6号)


@dataclass(frozen=True, slots=True)
class Eligibility:
    allowed: bool
    reasons: tuple[str, ...] = ()
    retransfer_barred: bool = False


def check_eligibility(investor: Investor, channel: Channel, asset_classes: Iterable[AssetClass],
                      asset_regions: Iterable[str] = (), *, retransfer_barred_assets: bool = False,
                      whitelist: frozenset[str] | None = None,
                      min_package_size: dict[Channel, int] | None = None,
                      asset_count: int | None = None) -> Eligibility:
    """May `investor` bid for a package of these asset classes and regions on this channel?"""
    reasons: list[str] = []
    classes = set(asset_classes)
    if investor.status is not InvestorStatus.APPROVED:
        reasons.append(f"investor {investor.investor_id} is {investor.status.value}, not approved")
    if investor.barred:
        reasons.append("barred from bidding (法释〔2016〕18号 第34条)")
    if whitelist is not None and investor.investor_id not in whitelist:
        reasons.append("not on the listing's whitelist (invited bidder circle)")
    table = MATRIX[channel]
    for cls in sorted(classes):
        allowed_types = table.get(cls)
        if allowed_types is None:
            reasons.append(f"asset class {cls.value} cannot be sold on channel {channel.value}")
        elif investor.investor_type not in allowed_types:
            reasons.append(f"a {investor.investor_type.value} may not buy {cls.value} on channel {channel.value}")
    if (channel in REGIONAL_LIMIT and investor.investor_type is InvestorType.LOCAL_AMC
            and investor.province is not None):
        foreign = sorted({province_of(r) for r in asset_regions} - {province_of(investor.province)})
        if foreign:
            reasons.append(f"a local AMC of province {investor.province} may not buy assets of "
                           f"{', '.join(foreign)} on channel {channel.value}")
    if retransfer_barred_assets and channel is not Channel.JUDICIAL_AUCTION:
        reasons.append("the assets were bought in a retail-batch transfer and may not be re-transferred")
    minimum = (min_package_size or MIN_PACKAGE_SIZE).get(channel)
    if minimum is not None and asset_count is not None and asset_count < minimum:
        reasons.append(f"channel {channel.value} needs at least {minimum} assets per package, got {asset_count}")
    return Eligibility(allowed=not reasons, reasons=tuple(reasons),
                       retransfer_barred=channel is Channel.RETAIL_BATCH)
