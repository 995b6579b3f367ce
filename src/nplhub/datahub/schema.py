"""The tape contract as data: one `FieldSpec` per column, one `TableSpec` per table.

This module is the single declarative source of the tape (docs/../spec/data-tape.md): the
validator, the readers (Chinese headers), the storage mapping, the documentation and the API
schemas all read it. Each field has its canonical English name, its Chinese aliases (the first
is the label shown to users), its type, unit, whether it is required, its EBA NPL template
reference (Commission Implementing Regulation (EU) 2023/2083) where there is one, and whether it
is personal data (PII).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from nplhub.domain import codes as c
from nplhub.domain.classification import RiskClass

Kind = Literal[
    "id", "text", "code", "money", "number", "int", "rate", "date", "month", "bool",
    "region", "industry", "id_number", "currency",
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    aliases: tuple[str, ...]
    kind: Kind
    required: bool = False
    unit: str | None = None
    eba: str | None = None
    pii: bool = False
    codes: type[Enum] | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    not_after_cutoff: bool = False
    default: str | None = None

    @property
    def label_zh(self) -> str:
        return self.aliases[0] if self.aliases else self.name


@dataclass(frozen=True, slots=True)
class Reference:
    """`column` must name an existing `table.target`. History tables (forbearance, repayments,
    loan_states, disposals) may describe loans that have left the book: for them a missing loan is
    a warning (`history=True`), elsewhere an error."""

    column: str
    table: str
    target: str
    history: bool = False


@dataclass(frozen=True, slots=True)
class DateOrder:
    earlier: str
    later: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    label_zh: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    references: tuple[Reference, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    aliases: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()  # groups of columns of which each row must give at least one

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def spec(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no column {name!r}")


def _f(name: str, zh: str, kind: Kind, **kw: object) -> FieldSpec:
    aliases = tuple(a for a in zh.split("|") if a)
    if kind in ("id",) and "max_length" not in kw:
        kw["max_length"] = 64
    if kind in ("money", "number") and "min_value" not in kw:
        kw["min_value"] = 0.0
    if kind == "money" and "unit" not in kw:
        kw["unit"] = "yuan"
    return FieldSpec(name, aliases, kind, **kw)  # type: ignore[arg-type]


def _code(name: str, zh: str, enum: type[Enum], **kw: object) -> FieldSpec:
    return _f(name, zh, "code", codes=enum, max_length=30, **kw)


_LOAN_ID = "贷款编号|借据编号|借据号|贷款账号"
_CP_ID = "借款人编号|客户编号|交易对手编号"
_COLL_ID = "抵押物编号|押品编号|担保物编号"

COUNTERPARTIES = TableSpec(
    "counterparties", "借款人", required=True, key=("counterparty_id",), aliases=("借款人", "客户"),
    fields=(
        _f("counterparty_id", _CP_ID, "id", required=True, eba="1.02"),
        _f("name", "借款人名称|客户名称|借款人姓名|借款人", "text", pii=True, eba="1.03", max_length=200),
        _f("id_number", "证件号码|统一社会信用代码|身份证号码", "id_number", pii=True, eba="1.10"),
        _code("counterparty_type", "客户类型|借款人类型|客户类别", c.CounterpartyType, required=True, eba="1.06"),
        _f("industry", "行业门类|所属行业|行业", "industry", eba="1.04"),
        _f("region", "地区代码|所在地区|行政区划代码|地区|行政区划", "region", required=True),
        _f("annual_revenue", "年营业收入|营业收入", "money", eba="1.24"),
        _f("total_assets", "资产总额|总资产", "money", eba="1.21"),
        _f("total_liabilities", "负债总额|总负债", "money", eba="1.22"),
        _f("employees", "从业人数|员工人数", "int", min_value=0),
        _f("internal_rating", "内部评级|客户评级", "text", max_length=20),
        _code("insolvency_status", "破产状态|破产情况", c.InsolvencyStatus, eba="1.31"),
        _f("phone", "联系电话|电话", "text", pii=True, max_length=40),
        _f("address", "联系地址|地址", "text", pii=True),
    ),
)

LOANS = TableSpec(
    "loans", "贷款", required=True, key=("loan_id",), aliases=("贷款", "贷款明细"),
    references=(Reference("counterparty_id", "counterparties", "counterparty_id"),),
    date_orders=(
        DateOrder("origination_date", "maturity_date"),
        DateOrder("origination_date", "last_extension_date"),
        DateOrder("origination_date", "restructure_date"),
        DateOrder("origination_date", "default_date"),
    ),
    fields=(
        _f("loan_id", _LOAN_ID, "id", required=True, eba="3.01"),
        _f("counterparty_id", _CP_ID, "id", required=True, eba="2.01"),
        _code("product", "贷款品种|产品类型|业务品种|贷款产品|贷款种类", c.Product, required=True, eba="3.06"),
        _f("currency", "币种", "currency", eba="3.08", default="CNY"),
        _f("origination_date", "发放日期|放款日期|起息日|贷款发放日|借款日期", "date", required=True, eba="3.02",
           not_after_cutoff=True),
        _f("maturity_date", "到期日期|到期日|贷款到期日", "date", required=True, eba="3.40"),
        _f("original_principal", "发放金额|合同金额|原始本金|贷款金额|合同本金", "money", required=True),
        _f("outstanding_principal", "贷款余额|本金余额|剩余本金", "money", required=True, eba="3.09"),
        _f("accrued_interest", "应收利息|欠息", "money", eba="3.10"),
        _f("penalty_interest", "罚息|罚息金额", "money"),
        _f("fees", "费用|其他费用", "money", eba="3.11"),
        _f("interest_rate", "执行利率|利率|年利率|贷款利率", "rate", required=True, eba="3.14", unit="per year",
           min_value=0.0, max_value=1.0),
        _code("repayment_method", "还款方式", c.RepaymentMethod),
        _f("days_past_due", "逾期天数", "int", required=True, eba="3.13", unit="days", min_value=0),
        _f("reported_class", "五级分类|风险分类|贷款分类", "code", codes=RiskClass, required=True,
           max_length=20),
        _f("provision", "贷款损失准备|减值准备|拨备", "money"),
        _f("branch_id", "经办机构|机构编号|支行编号", "id"),
        _f("extension_count", "展期次数", "int", min_value=0, eba="3.43"),
        _f("last_extension_date", "最近展期日期|展期日期", "date", not_after_cutoff=True),
        _f("restructured", "是否重组|重组标志", "bool", eba="3.38"),
        _f("restructure_date", "重组日期", "date", not_after_cutoff=True),
        _code("legal_status", "诉讼状态|法律状态", c.LegalStatus, eba="3.24"),
        _f("default_date", "违约日期", "date", eba="3.23", not_after_cutoff=True),
        _f("written_off", "是否核销|核销标志", "bool"),
    ),
)

COLLATERAL = TableSpec(
    "collateral", "抵押物", key=("collateral_id",), aliases=("抵押物", "押品"),
    fields=(
        _f("collateral_id", _COLL_ID, "id", required=True, eba="4.00"),
        _code("collateral_type", "抵押物类型|押品类型|担保物类型|抵押物种类", c.CollateralType, required=True, eba="4.02"),
        _f("region", "抵押物所在地区|押品所在地区|押品地区代码", "region", eba="4.03"),
        _f("address", "抵押物地址|押品地址", "text", pii=True, eba="4.04"),
        _f("area_sqm", "建筑面积|面积", "number", unit="m²", eba="4.13"),
        _f("appraisal_value", "抵押物评估价值|押品评估价值|评估价值", "money", required=True, eba="4.19"),
        _f("appraisal_date", "评估日期|评估基准日|评估时间", "date", required=True, eba="4.20", not_after_cutoff=True),
        _code("appraisal_source", "评估来源|评估类型", c.AppraisalSource, eba="4.18"),
        _f("lien_rank", "抵押顺位|抵押顺序", "int", min_value=1, eba="4.09"),
        _f("prior_claims", "在先债权|优先受偿金额", "money", eba="4.10"),
        _code("occupancy", "占用情况|使用状态", c.Occupancy, eba="4.17"),
        _code("status", "押品状态|抵押物状态", c.CollateralStatus, eba="4.29"),
    ),
)

LOAN_COLLATERAL = TableSpec(
    "loan_collateral", "贷款抵押关系", key=("loan_id", "collateral_id"), aliases=("贷款抵押关系", "担保关系"),
    references=(Reference("loan_id", "loans", "loan_id"),
                Reference("collateral_id", "collateral", "collateral_id")),
    fields=(
        _f("loan_id", _LOAN_ID, "id", required=True, eba="2.02"),
        _f("collateral_id", _COLL_ID, "id", required=True, eba="2.02"),
        _f("allocated_amount", "分配金额|担保金额|抵押金额", "money", eba="4.44"),
    ),
)

GUARANTEES = TableSpec(
    "guarantees", "保证", key=("guarantee_id",), aliases=("保证", "保证担保"),
    one_of=(("guarantor_counterparty_id", "guarantor_name"),),  # the contract: "guarantor_counterparty_id or guarantor_name"
    references=(Reference("loan_id", "loans", "loan_id"),
                Reference("guarantor_counterparty_id", "counterparties", "counterparty_id")),
    fields=(
        _f("guarantee_id", "保证编号|保证合同编号", "id", required=True, eba="4.00"),
        _f("loan_id", _LOAN_ID, "id", required=True, eba="2.03"),
        _f("guarantor_counterparty_id", "保证人编号", "id", eba="2.04"),
        _f("guarantor_name", "保证人名称|保证人", "text", pii=True, max_length=200),
        _code("guarantee_type", "保证方式|保证类型", c.GuaranteeType),
        _f("amount", "保证金额", "money", required=True, eba="4.27"),
        _f("guarantor_rating", "保证人评级", "text", max_length=20),
    ),
)

ENFORCEMENT = TableSpec(
    "enforcement", "诉讼执行", key=("case_id",), aliases=("诉讼执行", "司法执行"),
    references=(Reference("loan_id", "loans", "loan_id"),
                Reference("collateral_id", "collateral", "collateral_id")),
    date_orders=(DateOrder("filed_date", "judgment_date"), DateOrder("filed_date", "sale_date")),
    fields=(
        _f("case_id", "案件编号|案号", "id", required=True),
        _f("loan_id", _LOAN_ID, "id", required=True),
        _f("collateral_id", _COLL_ID, "id"),
        _code("stage", "执行阶段|诉讼阶段", c.EnforcementStage, required=True, eba="4.29"),
        _f("court", "受理法院|法院", "text", max_length=200, eba="4.31"),
        _f("filed_date", "立案日期", "date", not_after_cutoff=True),
        _f("judgment_date", "判决日期", "date", not_after_cutoff=True),
        _f("appraisal_value", "司法评估价值", "money", eba="4.34"),
        _f("reference_price", "参考价|处置参考价", "money"),
        _f("auction_round", "拍卖轮次", "int", min_value=1),
        _f("start_price", "起拍价|保留价", "money", eba="4.40"),
        _f("failed_auctions", "流拍次数", "int", min_value=0, eba="4.42"),
        _f("sale_price", "成交价|成交价格", "money", eba="4.37"),
        _f("sale_date", "成交日期", "date", not_after_cutoff=True),
        _f("costs", "执行费用|诉讼费用", "money"),
    ),
)

FORBEARANCE = TableSpec(
    "forbearance", "让步措施", aliases=("让步措施", "展期重组"),
    references=(Reference("loan_id", "loans", "loan_id", history=True),),
    date_orders=(DateOrder("event_date", "new_maturity_date"),),
    fields=(
        _f("loan_id", _LOAN_ID, "id", required=True),
        _f("event_date", "发生日期|事件日期", "date", required=True, not_after_cutoff=True),
        _code("measure", "措施|让步措施", c.ForbearanceMeasure, required=True, eba="3.39"),
        _f("new_maturity_date", "新到期日|展期后到期日", "date"),
        _f("amount", "金额|涉及金额", "money"),
    ),
)

REPAYMENTS = TableSpec(
    "repayments", "还款记录", key=("loan_id", "month"), aliases=("还款记录", "历史还款"),
    references=(Reference("loan_id", "loans", "loan_id", history=True),),
    fields=(
        _f("loan_id", _LOAN_ID, "id", required=True, eba="5.00"),
        _f("month", "月份|还款月份", "month", required=True, not_after_cutoff=True),
        _f("amount_due", "应还金额", "money"),
        _f("amount_paid", "实还金额|还款金额", "money", required=True, eba="5.03"),
        _code("source", "还款来源", c.RepaymentSource, eba="5.04"),
    ),
)

LOAN_STATES = TableSpec(
    "loan_states", "月末分类历史", key=("loan_id", "as_of_date"), aliases=("月末分类历史", "分类历史"),
    references=(Reference("loan_id", "loans", "loan_id", history=True),),
    fields=(
        _f("loan_id", _LOAN_ID, "id", required=True),
        _f("as_of_date", "统计日期|数据日期", "date", required=True, not_after_cutoff=True),
        _f("class", "五级分类|风险分类|reported_class", "code", codes=RiskClass, required=True, max_length=20),
        _f("days_past_due", "逾期天数", "int", required=True, min_value=0, unit="days"),
        _f("outstanding_principal", "贷款余额|本金余额", "money", required=True),
        _f("provision", "贷款损失准备|减值准备", "money"),
    ),
)

DISPOSALS = TableSpec(
    "disposals", "处置案例", aliases=("处置案例", "处置记录"),
    references=(Reference("loan_id", "loans", "loan_id", history=True),),
    date_orders=(DateOrder("start_date", "end_date"),),
    fields=(
        _f("loan_id", _LOAN_ID, "id", required=True),
        _code("route", "处置方式|处置途径", c.DisposalRoute, required=True),
        _f("start_date", "开始日期|处置开始日期", "date", required=True, not_after_cutoff=True),
        _f("end_date", "结束日期|处置结束日期", "date", not_after_cutoff=True),
        _f("exposure_at_start", "处置时债权金额|起始敞口", "money", required=True),
        _f("gross_recovery", "回收金额|总回收", "money"),
        _f("costs", "处置费用", "money"),
        _f("buyer_type", "受让方类型|买方类型", "text", max_length=40),
    ),
)

PRICE_INDEX = TableSpec(
    "price_index", "价格指数", key=("region", "property_type", "month"), aliases=("价格指数", "房价指数"),
    fields=(
        _f("region", "地区代码|行政区划代码", "region", required=True),
        _code("property_type", "物业类型|押品类型", c.CollateralType, required=True),
        _f("month", "月份", "month", required=True),
        _f("index", "指数|价格指数", "number", required=True, unit="base 100", min_value=0.0),
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (COUNTERPARTIES, LOANS, COLLATERAL, LOAN_COLLATERAL, GUARANTEES, ENFORCEMENT,
              FORBEARANCE, REPAYMENTS, LOAN_STATES, DISPOSALS, PRICE_INDEX)
}

# The order in which tables are validated and written: referenced tables first.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.required)

# Metadata keys (tape.yaml, the `_meta` sheet, command-line flags).
META_KEYS: tuple[str, ...] = (
    "portfolio_id", "portfolio_name", "cutoff_date", "reporting_date", "currency", "seller",
)
META_ALIASES: dict[str, str] = {
    "资产包编号": "portfolio_id", "组合编号": "portfolio_id",
    "资产包名称": "portfolio_name", "组合名称": "portfolio_name",
    "基准日": "cutoff_date", "截止日": "cutoff_date", "数据截止日": "cutoff_date",
    "报送日期": "reporting_date", "报告日期": "reporting_date",
    "币种": "currency", "出让方": "seller", "卖方": "seller",
    "portfolio": "portfolio_id", "cutoff": "cutoff_date", "cut_off_date": "cutoff_date", "cut_off": "cutoff_date",
    "reporting": "reporting_date", "report_date": "reporting_date",
}


def pii_columns(table: str) -> tuple[str, ...]:
    return tuple(f.name for f in TABLES[table].fields if f.pii)


def schema_markdown() -> str:
    """The field reference of docs/datahub.md, generated from this schema (a test keeps them equal)."""
    lines: list[str] = []
    for t in TABLES.values():
        lines += [f"### {t.name} ({t.label_zh})" + (" — required" if t.required else ""), ""]
        key = ", ".join(t.key) if t.key else "none (row order kept)"
        refs = "; ".join(f"{r.column} → {r.table}.{r.target}" for r in t.references)
        needs = " ".join(f"Each row gives {' or '.join(group)}." for group in t.one_of)
        lines += [f"Key: {key}." + (f" References: {refs}." if refs else "") + (f" {needs}" if needs else ""), ""]
        lines += ["| column | 中文 (aliases) | type | unit | required | EBA | PII |", "|---|---|---|---|---|---|---|"]
        for f in t.fields:
            kind = f.kind + (f" ({f.codes.__name__})" if f.codes else "")
            lines.append(f"| {f.name} | {' / '.join(f.aliases)} | {kind} | {f.unit or ''} | "
                         f"{'yes' if f.required else ''} | {f.eba or ''} | {'PII' if f.pii else ''} |")
        lines.append("")
    return "\n".join(lines)
