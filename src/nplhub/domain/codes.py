"""Enumerations of the tape contract, each with its Chinese terms.

The tape accepts the English code or the Chinese term; `parse_code` does that mapping for any of
these enums. The Chinese terms are the ones banks' exports use.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar


class CounterpartyType(StrEnum):
    CORPORATE = "corporate"
    SME = "sme"
    INDIVIDUAL = "individual"


class Product(StrEnum):
    WORKING_CAPITAL = "working_capital"
    FIXED_ASSET = "fixed_asset"
    TRADE_FINANCE = "trade_finance"
    MORTGAGE = "mortgage"
    CONSUMER = "consumer"
    CREDIT_CARD = "credit_card"
    BUSINESS_PERSONAL = "business_personal"
    OTHER = "other"

    @property
    def is_retail(self) -> bool:
        return self in RETAIL_PRODUCTS


RETAIL_PRODUCTS = frozenset({Product.MORTGAGE, Product.CONSUMER, Product.CREDIT_CARD, Product.BUSINESS_PERSONAL})


class InsolvencyStatus(StrEnum):
    NONE = "none"
    RESTRUCTURING = "restructuring"
    BANKRUPTCY = "bankruptcy"
    LIQUIDATED = "liquidated"


class LegalStatus(StrEnum):
    NONE = "none"
    DEMAND_LETTER = "demand_letter"
    LITIGATION = "litigation"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"
    BANKRUPTCY_CLAIM = "bankruptcy_claim"
    CLOSED = "closed"


class CollateralType(StrEnum):
    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"
    INDUSTRIAL = "industrial"
    LAND_USE_RIGHT = "land_use_right"
    EQUIPMENT = "equipment"
    VEHICLE = "vehicle"
    INVENTORY = "inventory"
    RECEIVABLES = "receivables"
    EQUITY = "equity"
    DEPOSIT = "deposit"
    OTHER = "other"


class AppraisalSource(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"
    COURT = "court"


class Occupancy(StrEnum):
    VACANT = "vacant"
    OWNER = "owner"
    TENANT = "tenant"
    UNKNOWN = "unknown"


class CollateralStatus(StrEnum):
    HELD = "held"
    SEIZED = "seized"
    IN_AUCTION = "in_auction"
    SOLD = "sold"
    RELEASED = "released"


class GuaranteeType(StrEnum):
    PERSONAL = "personal"
    CORPORATE = "corporate"
    GUARANTEE_COMPANY = "guarantee_company"
    GOVERNMENT_PLATFORM = "government_platform"


class EnforcementStage(StrEnum):
    FILED = "filed"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"
    APPRAISAL = "appraisal"
    AUCTION_1 = "auction_1"
    AUCTION_2 = "auction_2"
    SELL_OFF = "sell_off"
    IN_KIND = "in_kind"
    TERMINATED = "terminated"
    CLOSED = "closed"


class ForbearanceMeasure(StrEnum):
    EXTENSION = "extension"
    SCHEDULE_RELIEF = "schedule_relief"
    GRACE_PERIOD = "grace_period"
    CAPITALISATION = "capitalisation"
    RATE_CUT = "rate_cut"
    PRINCIPAL_REDUCTION = "principal_reduction"
    COLLATERAL_RELEASE = "collateral_release"
    REFINANCE_NEW_FOR_OLD = "refinance_new_for_old"
    OTHER = "other"


class RepaymentSource(StrEnum):
    BORROWER = "borrower"
    COLLATERAL_SALE = "collateral_sale"
    GUARANTOR = "guarantor"
    COURT = "court"
    OTHER = "other"


class DisposalRoute(StrEnum):
    COLLECTION = "collection"
    RESTRUCTURING = "restructuring"
    BULK_TRANSFER = "bulk_transfer"
    SINGLE_TRANSFER = "single_transfer"
    JUDICIAL_AUCTION = "judicial_auction"
    SECURITIZATION = "securitization"
    DEBT_TO_EQUITY = "debt_to_equity"
    WRITE_OFF = "write_off"
    IN_KIND = "in_kind"


class RepaymentMethod(StrEnum):
    BULLET = "bullet"
    EQUAL_INSTALMENT = "equal_instalment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"
    OTHER = "other"


# Pairs, not a dict keyed by member: the members are StrEnums, so members of different enums that
# share a value (CounterpartyType.CORPORATE and GuaranteeType.CORPORATE, AppraisalSource.COURT and
# RepaymentSource.COURT, ...) are equal and hash alike, and a dict would keep only the last one's terms.
CHINESE_TERMS: tuple[tuple[Enum, tuple[str, ...]], ...] = (
    (CounterpartyType.CORPORATE, ("对公", "公司", "大中型企业", "企业")),
    (CounterpartyType.SME, ("小微企业", "中小企业", "小微")),
    (CounterpartyType.INDIVIDUAL, ("个人", "自然人")),
    (Product.WORKING_CAPITAL, ("流动资金贷款", "流贷")),
    (Product.FIXED_ASSET, ("固定资产贷款", "项目贷款")),
    (Product.TRADE_FINANCE, ("贸易融资",)),
    (Product.MORTGAGE, ("个人住房贷款", "住房按揭", "按揭贷款")),
    (Product.CONSUMER, ("个人消费贷款", "消费贷")),
    (Product.CREDIT_CARD, ("信用卡", "信用卡透支")),
    (Product.BUSINESS_PERSONAL, ("个人经营贷款", "个人经营性贷款")),
    (Product.OTHER, ("其他",)),
    (InsolvencyStatus.NONE, ("无", "正常经营")),
    (InsolvencyStatus.RESTRUCTURING, ("破产重整", "重整")),
    (InsolvencyStatus.BANKRUPTCY, ("破产", "破产清算中")),
    (InsolvencyStatus.LIQUIDATED, ("已清算", "注销")),
    (LegalStatus.NONE, ("无",)),
    (LegalStatus.DEMAND_LETTER, ("催收函", "已催收")),
    (LegalStatus.LITIGATION, ("诉讼", "诉讼中")),
    (LegalStatus.JUDGMENT, ("已判决", "判决")),
    (LegalStatus.ENFORCEMENT, ("执行", "执行中")),
    (LegalStatus.BANKRUPTCY_CLAIM, ("破产债权申报", "破产申报")),
    (LegalStatus.CLOSED, ("已结案", "结案")),
    (CollateralType.RESIDENTIAL, ("住宅", "住房")),
    (CollateralType.COMMERCIAL, ("商业用房", "商铺", "商业")),
    (CollateralType.INDUSTRIAL, ("工业厂房", "厂房", "工业用房", "工业")),
    (CollateralType.LAND_USE_RIGHT, ("土地使用权", "土地")),
    (CollateralType.EQUIPMENT, ("机器设备", "设备")),
    (CollateralType.VEHICLE, ("车辆", "机动车")),
    (CollateralType.INVENTORY, ("存货",)),
    (CollateralType.RECEIVABLES, ("应收账款",)),
    (CollateralType.EQUITY, ("股权",)),
    (CollateralType.DEPOSIT, ("存单", "保证金")),
    (CollateralType.OTHER, ("其他",)),
    (AppraisalSource.INTERNAL, ("内部评估", "内部")),
    (AppraisalSource.EXTERNAL, ("外部评估", "外部")),
    (AppraisalSource.COURT, ("法院评估", "司法评估")),
    (Occupancy.VACANT, ("空置",)),
    (Occupancy.OWNER, ("自用", "自住")),
    (Occupancy.TENANT, ("出租", "租户")),
    (Occupancy.UNKNOWN, ("未知", "不详")),
    (CollateralStatus.HELD, ("持有", "正常")),
    (CollateralStatus.SEIZED, ("查封", "已查封")),
    (CollateralStatus.IN_AUCTION, ("拍卖中",)),
    (CollateralStatus.SOLD, ("已处置", "已拍卖")),
    (CollateralStatus.RELEASED, ("已解押", "解押")),
    (GuaranteeType.PERSONAL, ("个人保证", "自然人保证")),
    (GuaranteeType.CORPORATE, ("企业保证", "法人保证")),
    (GuaranteeType.GUARANTEE_COMPANY, ("担保公司", "担保公司保证", "专业担保")),
    (GuaranteeType.GOVERNMENT_PLATFORM, ("政府平台", "政府平台保证", "融资平台")),
    (EnforcementStage.FILED, ("立案", "已立案")),
    (EnforcementStage.JUDGMENT, ("判决", "已判决")),
    (EnforcementStage.ENFORCEMENT, ("执行", "强制执行")),
    (EnforcementStage.APPRAISAL, ("评估", "司法评估")),
    (EnforcementStage.AUCTION_1, ("一拍", "第一次拍卖")),
    (EnforcementStage.AUCTION_2, ("二拍", "第二次拍卖")),
    (EnforcementStage.SELL_OFF, ("变卖",)),
    (EnforcementStage.IN_KIND, ("以物抵债", "抵债")),
    (EnforcementStage.TERMINATED, ("终结本次执行", "终本")),
    (EnforcementStage.CLOSED, ("结案", "已结案")),
    (ForbearanceMeasure.EXTENSION, ("展期",)),
    (ForbearanceMeasure.SCHEDULE_RELIEF, ("调整还款计划", "放宽还款安排")),
    (ForbearanceMeasure.GRACE_PERIOD, ("宽限期",)),
    (ForbearanceMeasure.CAPITALISATION, ("利息资本化", "欠息转本")),
    (ForbearanceMeasure.RATE_CUT, ("降低利率", "降息")),
    (ForbearanceMeasure.PRINCIPAL_REDUCTION, ("减免本金", "减免本息")),
    (ForbearanceMeasure.COLLATERAL_RELEASE, ("释放抵押", "解除担保")),
    (ForbearanceMeasure.REFINANCE_NEW_FOR_OLD, ("借新还旧", "借新还旧贷款")),
    (ForbearanceMeasure.OTHER, ("其他",)),
    (RepaymentSource.BORROWER, ("借款人", "借款人还款")),
    (RepaymentSource.COLLATERAL_SALE, ("处置抵押物", "抵押物处置")),
    (RepaymentSource.GUARANTOR, ("保证人", "担保人代偿")),
    (RepaymentSource.COURT, ("法院", "法院执行", "法院执行款")),
    (RepaymentSource.OTHER, ("其他",)),
    (DisposalRoute.COLLECTION, ("清收", "现金清收")),
    (DisposalRoute.RESTRUCTURING, ("重组", "债务重组")),
    (DisposalRoute.BULK_TRANSFER, ("批量转让",)),
    (DisposalRoute.SINGLE_TRANSFER, ("单户转让",)),
    (DisposalRoute.JUDICIAL_AUCTION, ("司法拍卖",)),
    (DisposalRoute.SECURITIZATION, ("资产证券化", "不良资产证券化")),
    (DisposalRoute.DEBT_TO_EQUITY, ("债转股",)),
    (DisposalRoute.WRITE_OFF, ("核销",)),
    (DisposalRoute.IN_KIND, ("以物抵债",)),
    (RepaymentMethod.BULLET, ("到期一次还本付息", "一次性还本")),
    (RepaymentMethod.EQUAL_INSTALMENT, ("等额本息",)),
    (RepaymentMethod.EQUAL_PRINCIPAL, ("等额本金",)),
    (RepaymentMethod.INTEREST_ONLY, ("按期付息到期还本", "先息后本")),
    (RepaymentMethod.OTHER, ("其他",)),
)

E = TypeVar("E", bound=Enum)


def code_aliases(enum_type: type[E]) -> dict[str, E]:
    """Every accepted spelling of every member of `enum_type`, mapped to the member."""
    table: dict[str, E] = {}
    for member in enum_type:
        table[str(member.value)] = member
    for listed, terms in CHINESE_TERMS:
        if isinstance(listed, enum_type):  # an enum with members cannot be subclassed: this is its own
            for term in terms:
                table[term] = listed
    return table


def parse_code(enum_type: type[E], text: str) -> E:
    """Parse an English code or a Chinese term; raise ValueError naming what is accepted."""
    table = code_aliases(enum_type)
    key = str(text).strip()
    if key in table:
        return table[key]
    if key.lower() in table:
        return table[key.lower()]
    allowed = ", ".join(str(m.value) for m in enum_type)
    raise ValueError(f"unknown {enum_type.__name__} code {text!r}; expected one of: {allowed}")
