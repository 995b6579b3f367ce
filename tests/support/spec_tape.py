"""An independent tape generator written from the contract's text (shared/spec/data-tape.md) only.

Nothing here comes from `nplhub.datahub` (no schema, writers, sample or generator): the tables,
columns, code lists and formats are copied from the contract, the check digits are computed from
the published algorithms of GB 11643-1999 and GB 32100-2015, and the Chinese headers and code terms
are the ones a bank's export would carry. So when the importer and the contract disagree, the tests
built on this book notice it, which tests built with nplhub's own writers cannot.

`build_book()` returns the book as its maker means it: canonical values (ids and codes as text,
money as `Decimal` with at most two decimals, dates as `date`, rates as `Decimal` fractions, counts
as `int`, flags as `bool`, `None` where a cell is empty). The containers are written by
`tests/support/spec_containers.py`.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

CUTOFF = date(2024, 6, 30)
CENT = Decimal("0.01")

# --- the contract, table by table: (column, kind, required) ------------------------------------
# kinds: id text region industry money rate int number bool date month code
SPEC: dict[str, list[tuple[str, str, bool]]] = {
    "counterparties": [
        ("counterparty_id", "id", True), ("name", "text", False), ("id_number", "id", False),
        ("counterparty_type", "code", True), ("industry", "industry", False), ("region", "region", True),
        ("annual_revenue", "money", False), ("total_assets", "money", False),
        ("total_liabilities", "money", False), ("employees", "int", False), ("internal_rating", "text", False),
        ("insolvency_status", "code", False), ("phone", "text", False), ("address", "text", False)],
    "loans": [
        ("loan_id", "id", True), ("counterparty_id", "id", True), ("product", "code", True),
        ("currency", "text", False), ("origination_date", "date", True), ("maturity_date", "date", True),
        ("original_principal", "money", True), ("outstanding_principal", "money", True),
        ("accrued_interest", "money", False), ("penalty_interest", "money", False), ("fees", "money", False),
        ("interest_rate", "rate", True), ("repayment_method", "code", False), ("days_past_due", "int", True),
        ("reported_class", "code", True), ("provision", "money", False), ("branch_id", "id", False),
        ("extension_count", "int", False), ("last_extension_date", "date", False),
        ("restructured", "bool", False), ("restructure_date", "date", False), ("legal_status", "code", False),
        ("default_date", "date", False), ("written_off", "bool", False)],
    "collateral": [
        ("collateral_id", "id", True), ("collateral_type", "code", True), ("region", "region", False),
        ("address", "text", False), ("area_sqm", "number", False), ("appraisal_value", "money", True),
        ("appraisal_date", "date", True), ("appraisal_source", "code", False), ("lien_rank", "int", False),
        ("prior_claims", "money", False), ("occupancy", "code", False), ("status", "code", False)],
    "loan_collateral": [("loan_id", "id", True), ("collateral_id", "id", True), ("allocated_amount", "money", False)],
    "guarantees": [
        ("guarantee_id", "id", True), ("loan_id", "id", True), ("guarantor_counterparty_id", "id", False),
        ("guarantor_name", "text", False), ("guarantee_type", "code", False), ("amount", "money", True),
        ("guarantor_rating", "text", False)],
    "enforcement": [
        ("case_id", "id", True), ("loan_id", "id", True), ("collateral_id", "id", False), ("stage", "code", True),
        ("court", "text", False), ("filed_date", "date", False), ("judgment_date", "date", False),
        ("appraisal_value", "money", False), ("reference_price", "money", False), ("auction_round", "int", False),
        ("start_price", "money", False), ("failed_auctions", "int", False), ("sale_price", "money", False),
        ("sale_date", "date", False), ("costs", "money", False)],
    "forbearance": [
        ("loan_id", "id", True), ("event_date", "date", True), ("measure", "code", True),
        ("new_maturity_date", "date", False), ("amount", "money", False)],
    "repayments": [
        ("loan_id", "id", True), ("month", "month", True), ("amount_due", "money", False),
        ("amount_paid", "money", True), ("source", "code", False)],
    "loan_states": [
        ("loan_id", "id", True), ("as_of_date", "date", True), ("class", "code", True),
        ("days_past_due", "int", True), ("outstanding_principal", "money", True), ("provision", "money", False)],
    "disposals": [
        ("loan_id", "id", True), ("route", "code", True), ("start_date", "date", True), ("end_date", "date", False),
        ("exposure_at_start", "money", True), ("gross_recovery", "money", False), ("costs", "money", False),
        ("buyer_type", "text", False)],
    "price_index": [
        ("region", "region", True), ("property_type", "code", True), ("month", "month", True),
        ("index", "number", True)],
}
TABLES = list(SPEC)

# The code lists of the contract, and the Chinese term a bank's export would use for each code.
# The contract names the Chinese terms of the five categories only (正常/关注/次级/可疑/损失); the
# others are the usual words of Chinese banking practice.
CHINESE_TERMS: dict[str, dict[str, str]] = {
    "class": {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"},
    "counterparty_type": {"corporate": "大中型企业", "sme": "小微企业", "individual": "个人"},
    "product": {"working_capital": "流动资金贷款", "fixed_asset": "固定资产贷款", "trade_finance": "贸易融资",
                "mortgage": "个人住房贷款", "consumer": "个人消费贷款", "credit_card": "信用卡",
                "business_personal": "个人经营性贷款", "other": "其他"},
    "insolvency_status": {"none": "无", "restructuring": "重整", "bankruptcy": "破产", "liquidated": "已清算"},
    "legal_status": {"none": "无", "demand_letter": "催收函", "litigation": "诉讼", "judgment": "判决",
                     "enforcement": "执行", "bankruptcy_claim": "破产债权申报", "closed": "结案"},
    "collateral_type": {"residential": "住宅", "commercial": "商业用房", "industrial": "工业用房",
                        "land_use_right": "土地使用权", "equipment": "机器设备", "vehicle": "车辆",
                        "inventory": "存货", "receivables": "应收账款", "equity": "股权", "deposit": "存单",
                        "other": "其他"},
    "appraisal_source": {"internal": "内部评估", "external": "外部评估", "court": "司法评估"},
    "occupancy": {"vacant": "空置", "owner": "自用", "tenant": "出租", "unknown": "不详"},
    "status": {"held": "持有", "seized": "查封", "in_auction": "拍卖中", "sold": "已处置", "released": "已解押"},
    "guarantee_type": {"personal": "自然人保证", "corporate": "企业保证", "guarantee_company": "担保公司保证",
                       "government_platform": "政府平台保证"},
    "stage": {"filed": "立案", "judgment": "判决", "enforcement": "执行", "appraisal": "评估", "auction_1": "一拍",
              "auction_2": "二拍", "sell_off": "变卖", "in_kind": "以物抵债", "terminated": "终结本次执行",
              "closed": "结案"},
    "measure": {"extension": "展期", "schedule_relief": "调整还款计划", "grace_period": "宽限期",
                "capitalisation": "利息资本化", "rate_cut": "降低利率", "principal_reduction": "本金减免",
                "collateral_release": "解除抵押", "refinance_new_for_old": "借新还旧", "other": "其他"},
    "source": {"borrower": "借款人", "collateral_sale": "处置抵押物", "guarantor": "保证人", "court": "法院执行",
               "other": "其他"},
    "route": {"collection": "清收", "restructuring": "重组", "bulk_transfer": "批量转让", "single_transfer": "单户转让",
              "judicial_auction": "司法拍卖", "securitization": "资产证券化", "debt_to_equity": "债转股",
              "write_off": "核销", "in_kind": "以物抵债"},
}
CODE_LISTS = {"reported_class": "class", "property_type": "collateral_type"}  # columns sharing a list


def code_list(column: str) -> str:
    return CODE_LISTS.get(column, column)


# The Chinese header a bank's export would carry for each column. The six aliases the contract
# prints are used as printed (贷款编号, 借款人编号, 贷款余额, 逾期天数, 五级分类, 抵押物评估价值).
CHINESE_HEADERS: dict[str, dict[str, str]] = {
    "counterparties": {
        "counterparty_id": "借款人编号", "name": "借款人名称", "id_number": "证件号码", "counterparty_type": "客户类型",
        "industry": "所属行业", "region": "行政区划代码", "annual_revenue": "营业收入", "total_assets": "资产总额",
        "total_liabilities": "负债总额", "employees": "从业人数", "internal_rating": "内部评级",
        "insolvency_status": "破产状态", "phone": "联系电话", "address": "联系地址"},
    "loans": {
        "loan_id": "贷款编号", "counterparty_id": "借款人编号", "product": "贷款品种", "currency": "币种",
        "origination_date": "发放日期", "maturity_date": "到期日期", "original_principal": "合同金额",
        "outstanding_principal": "贷款余额", "accrued_interest": "欠息", "penalty_interest": "罚息", "fees": "费用",
        "interest_rate": "执行利率", "repayment_method": "还款方式", "days_past_due": "逾期天数",
        "reported_class": "五级分类", "provision": "贷款损失准备", "branch_id": "经办机构",
        "extension_count": "展期次数", "last_extension_date": "最近展期日期", "restructured": "是否重组",
        "restructure_date": "重组日期", "legal_status": "诉讼状态", "default_date": "违约日期",
        "written_off": "是否核销"},
    "collateral": {
        "collateral_id": "押品编号", "collateral_type": "押品类型", "region": "押品所在地区", "address": "押品地址",
        "area_sqm": "建筑面积", "appraisal_value": "抵押物评估价值", "appraisal_date": "评估日期",
        "appraisal_source": "评估来源", "lien_rank": "抵押顺位", "prior_claims": "在先债权", "occupancy": "占用情况",
        "status": "押品状态"},
    "loan_collateral": {"loan_id": "贷款编号", "collateral_id": "押品编号", "allocated_amount": "担保金额"},
    "guarantees": {
        "guarantee_id": "保证合同编号", "loan_id": "贷款编号", "guarantor_counterparty_id": "保证人编号",
        "guarantor_name": "保证人名称", "guarantee_type": "保证方式", "amount": "保证金额",
        "guarantor_rating": "保证人评级"},
    "enforcement": {
        "case_id": "案号", "loan_id": "贷款编号", "collateral_id": "押品编号", "stage": "执行阶段", "court": "受理法院",
        "filed_date": "立案日期", "judgment_date": "判决日期", "appraisal_value": "司法评估价值",
        "reference_price": "参考价", "auction_round": "拍卖轮次", "start_price": "起拍价", "failed_auctions": "流拍次数",
        "sale_price": "成交价", "sale_date": "成交日期", "costs": "执行费用"},
    "forbearance": {"loan_id": "贷款编号", "event_date": "发生日期", "measure": "让步措施",
                    "new_maturity_date": "新到期日", "amount": "金额"},
    "repayments": {"loan_id": "贷款编号", "month": "还款月份", "amount_due": "应还金额", "amount_paid": "实还金额",
                   "source": "还款来源"},
    "loan_states": {"loan_id": "贷款编号", "as_of_date": "数据日期", "class": "五级分类", "days_past_due": "逾期天数",
                    "outstanding_principal": "贷款余额", "provision": "贷款损失准备"},
    "disposals": {"loan_id": "贷款编号", "route": "处置方式", "start_date": "开始日期", "end_date": "结束日期",
                  "exposure_at_start": "处置时债权金额", "gross_recovery": "回收金额", "costs": "处置费用",
                  "buyer_type": "受让方类型"},
    "price_index": {"region": "行政区划代码", "property_type": "物业类型", "month": "月份", "index": "价格指数"},
}

# Real GB/T 2260 county-level codes (district, city) to place borrowers, collateral and indices.
REGIONS = {
    "110105": ("北京市朝阳区", "京0105"), "310115": ("上海市浦东新区", "沪0115"), "320106": ("南京市鼓楼区", "苏0106"),
    "320505": ("苏州市虎丘区", "苏0505"), "330106": ("杭州市西湖区", "浙0106"), "440305": ("深圳市南山区", "粤0305"),
    "440106": ("广州市天河区", "粤0106"), "370202": ("青岛市市南区", "鲁0202"), "420106": ("武汉市武昌区", "鄂0106"),
    "510107": ("成都市武侯区", "川0107"), "610113": ("西安市雁塔区", "陕0113"), "350203": ("厦门市思明区", "闽0203"),
}
INDEX_REGIONS = ["310115", "440305", "330106", "510107", "420106"]

# --- check digits from the standards ------------------------------------------------------------

_GB11643_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_GB32100_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_GB32100_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
_GB11714_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_GB11714_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 values letters A-Z as 10-35


def gb11643_check(first17: str) -> str:
    """The check character of a resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, _GB11643_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def gb32100_check(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015, MOD 31)."""
    total = sum(_GB32100_CHARS.index(c) * w for c, w in zip(first17, _GB32100_WEIGHTS, strict=True))
    return _GB32100_CHARS[(31 - total % 31) % 31]


def gb11714_check(first8: str) -> str:
    """The check character of the nine-character organisation code inside a credit code (GB 11714-1997)."""
    total = sum(_GB11714_CHARS.index(c) * w for c, w in zip(first8, _GB11714_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def resident_id(region: str, born: date, sequence: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + gb11643_check(first17)


def credit_code(region: str, rng: random.Random, kind: str = "1") -> str:
    """A unified social credit code: registry 9 (market regulation), kind 1 (enterprise) or 2 (sole trader)."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    first17 = f"9{kind}{region}{body}{gb11714_check(body)}"
    return first17 + gb32100_check(first17)


# --- the book -----------------------------------------------------------------------------------


@dataclass
class Book:
    """The tables as meant, the metadata, and the rows deliberately placed to draw a warning."""

    tables: dict[str, list[dict[str, Any]]]
    meta: dict[str, str]
    class_contradictions: list[int] = field(default_factory=list)  # loan row indexes (0-based)
    stale_appraisals: list[int] = field(default_factory=list)  # collateral row indexes
    prior_claims_above_value: list[int] = field(default_factory=list)  # collateral row indexes

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


def money(rng: random.Random, low: float, high: float, *, whole: bool = False) -> Decimal:
    amount = Decimal(str(round(rng.uniform(low, high), 2)))
    return amount.quantize(Decimal(1)) if whole else amount.quantize(CENT)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def class_for(days_past_due: int) -> str:
    """A class at least as severe as overdue days make it under the 2023 risk-classification rules."""
    if days_past_due > 360:
        return "loss"
    if days_past_due > 270:
        return "doubtful"
    if days_past_due > 90:
        return "substandard"
    return "special_mention" if days_past_due > 0 else "normal"


PROVISION_RATE = {"normal": Decimal("0.015"), "special_mention": Decimal("0.03"), "substandard": Decimal("0.25"),
                  "doubtful": Decimal("0.5"), "loss": Decimal("1")}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "建国"]
FIRM_WORDS = ["华信", "金桥", "恒远", "宏达", "瑞丰", "东方", "联创", "新元", "中兴", "永盛", "鑫源", "博远"]
FIRM_KINDS = ["机械制造", "纺织", "建材", "物流", "贸易", "电子科技", "食品", "化工", "房地产开发", "餐饮管理"]


def build_book(loans: int = 200, seed: int = 20240630) -> Book:
    rng = random.Random(seed)
    regions = list(REGIONS)
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    # the metadata the contract lists: portfolio name, cut-off date, reporting date, currency, seller
    book = Book(tables=tables, meta={
        "portfolio_name": "华东不良贷款包 2024-1", "cutoff_date": "2024-06-30", "reporting_date": "2024-07-15",
        "currency": "CNY", "seller": "示例农商银行"})

    # counterparties: a third each of corporates, SMEs and individuals
    borrowers = max(3, loans * 3 // 5)
    for i in range(borrowers):
        kind = ("corporate", "sme", "individual")[i % 3]
        region = regions[i % len(regions)]
        place = REGIONS[region][0]
        row: dict[str, Any] = {c: None for c, _, _ in SPEC["counterparties"]}
        row.update(counterparty_id=f"KH{2024000 + i:09d}", counterparty_type=kind, region=region,
                   address=f"{place}{rng.choice(['中山路', '人民路', '解放路', '建设路'])}{rng.randint(1, 999)}号"
                   + (", 2号楼" if i % 10 == 0 else "")  # a separator inside a cell: quoted in CSV
                   + ("\n（送达地址同上）" if i % 30 == 15 else ""),  # a cell over two lines
                   phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
                   insolvency_status="none")
        if kind == "individual":
            born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 16000))
            row.update(name=rng.choice(SURNAMES) + rng.choice(GIVEN), id_number=resident_id(region, born, rng.randint(1, 999)))
            if i % 15 == 5:  # a person known by the credit code of their sole-trader business (个体工商户)
                row["id_number"] = credit_code(region, rng, kind="2")
            if i % 21 == 2:
                row["name"] = rng.choice(["王𠮷", "李䶮", "张𪚥"])  # rare characters: four bytes in UTF-8 and GB18030
        else:
            row.update(name=f"{place[:2]}{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_KINDS)}有限公司",
                       id_number=credit_code(region, rng, kind="1"), industry=rng.choice("ABCDEFGHIJKLMNOPQRST"),
                       internal_rating=rng.choice(["AA", "A", "BBB", "BB", "B", "CCC"]))
            scale = 1 if kind == "sme" else 20
            assets = money(rng, 5e6 * scale, 5e7 * scale, whole=i % 4 == 0)
            row.update(annual_revenue=money(rng, 2e6 * scale, 4e7 * scale), total_assets=assets,
                       total_liabilities=(assets * Decimal(str(round(rng.uniform(0.4, 1.3), 2)))).quantize(CENT),
                       employees=rng.randint(5, 90) * scale)
            if i % 17 == 1:
                row["insolvency_status"] = rng.choice(["restructuring", "bankruptcy"])
            if i == 0:  # a large group: amounts of ten billion yuan and more, still to the fen
                row.update(annual_revenue=Decimal("23456789012.34"), total_assets=Decimal("98765432109.87"),
                           total_liabilities=Decimal("65432109876.5"))
            if i == 3:
                row["name"] = 'Harbour "East" Trading (Suzhou) Co., Ltd.'  # quotes and a comma: quoted in CSV
        tables["counterparties"].append(row)

    people = [r for r in tables["counterparties"] if r["counterparty_type"] == "individual"]
    firms = [r for r in tables["counterparties"] if r["counterparty_type"] != "individual"]
    for i in range(loans):
        owner = tables["counterparties"][i] if i < borrowers else rng.choice(tables["counterparties"])
        tables["loans"].append(_loan(rng, i, owner, book))
    by_id = {r["counterparty_id"]: r for r in tables["counterparties"]}
    _collateral(rng, book, by_id)
    _guarantees(rng, book, firms, people)
    _histories(rng, book)
    _enforcement(rng, book)
    _price_index(rng, book)
    return book


def _loan(rng: random.Random, i: int, owner: dict[str, Any], book: Book) -> dict[str, Any]:
    person = owner["counterparty_type"] == "individual"
    product = rng.choice(["mortgage", "consumer", "credit_card", "business_personal"] if person
                         else ["working_capital", "working_capital", "fixed_asset", "trade_finance", "other"])
    years = {"mortgage": (10, 30), "fixed_asset": (3, 10)}.get(product, (1, 3))
    origination = date(2015, 1, 1) + timedelta(days=rng.randint(0, (date(2024, 3, 31) - date(2015, 1, 1)).days))
    maturity = add_months(origination, 12 * rng.randint(*years))
    scale = {"mortgage": (3e5, 3e6), "consumer": (2e4, 3e5), "credit_card": (5e3, 1e5),
             "business_personal": (1e5, 2e6)}.get(product, (1e6, 5e7))
    original = money(rng, *scale, whole=i % 5 == 0)
    outstanding = (original * Decimal(str(round(rng.uniform(0.3, 1.0), 3)))).quantize(CENT)
    band = rng.random()
    dpd = 0 if band < 0.35 else rng.randint(1, 90) if band < 0.55 else rng.randint(91, 270) if band < 0.75 \
        else rng.randint(271, 360) if band < 0.85 else rng.randint(361, 1200)
    dpd = min(dpd, (CUTOFF - origination).days - 30)
    restructured = dpd > 90 and i % 7 == 3
    klass = class_for(dpd)
    if restructured and klass in ("normal", "special_mention"):
        klass = "substandard"
    if i % 50 == 11:  # deliberately contradicting the classification rules: a warning, never a rejection
        dpd, klass, restructured = min(200, (CUTOFF - origination).days - 30), "normal", False
        book.class_contradictions.append(i)
    row: dict[str, Any] = {c: None for c, _, _ in SPEC["loans"]}
    row.update(
        loan_id=f"JJ{owner['region'][:4]}{origination:%Y}{i:05d}", counterparty_id=owner["counterparty_id"],
        product=product, currency="USD" if product == "trade_finance" and i % 2 else "CNY",
        origination_date=origination, maturity_date=maturity, original_principal=original,
        outstanding_principal=outstanding, interest_rate=Decimal(rng.randint(310, 780)) / Decimal(10000),
        days_past_due=dpd, reported_class=klass,
        provision=(outstanding * PROVISION_RATE[klass]).quantize(CENT), branch_id=f"BR{owner['region'][:4]}{i % 6:02d}",
        extension_count=0, restructured=restructured, legal_status="none", written_off=False)
    if i % 9 == 4:
        row["currency"] = None  # the contract's default is CNY
    if dpd > 0:
        row["accrued_interest"] = (outstanding * row["interest_rate"] * dpd / 365).quantize(CENT)
        row["penalty_interest"] = (row["accrued_interest"] * Decimal("0.5")).quantize(CENT)
        row["fees"] = money(rng, 0, 5000) if i % 3 else None
    if dpd > 90:
        row["default_date"] = CUTOFF - timedelta(days=dpd)
        row["legal_status"] = rng.choice(["demand_letter", "litigation", "judgment", "enforcement"])
        if klass == "loss" and i % 4 == 0:
            row.update(written_off=True, legal_status="closed")
        if owner["insolvency_status"] in ("restructuring", "bankruptcy"):
            row["legal_status"] = "bankruptcy_claim"
    if restructured:
        row["restructure_date"] = origination + timedelta(days=((CUTOFF - origination).days * 2) // 3)
    if i % 8 == 2 and (CUTOFF - origination).days > 400:
        row["extension_count"] = 1 + i % 2
        row["last_extension_date"] = origination + timedelta(days=((CUTOFF - origination).days) // 2)
    return row


def _collateral(rng: random.Random, book: Book, borrowers: dict[str, dict[str, Any]]) -> None:
    types = {"mortgage": ["residential"], "business_personal": ["residential", "commercial"],
             "fixed_asset": ["industrial", "land_use_right", "equipment"],
             "working_capital": ["commercial", "industrial", "inventory", "receivables", "equity", "deposit"],
             "trade_finance": ["receivables", "inventory", "vehicle", "other"]}
    last_of_owner: dict[str, str] = {}
    for i, loan in enumerate(book.tables["loans"]):
        kinds = types.get(loan["product"])
        if kinds is None or i % 6 == 5:
            continue  # unsecured
        owner = loan["counterparty_id"]
        if owner in last_of_owner and i % 2 == 0:  # a collateral shared with the borrower's earlier loan
            book.tables["loan_collateral"].append(
                {"loan_id": loan["loan_id"], "collateral_id": last_of_owner[owner], "allocated_amount": None})
            continue
        for extra in range(2 if i % 10 == 3 else 1):
            cid = f"YP{len(book.tables['collateral']) + 1:06d}"
            kind = rng.choice(kinds)
            value = (loan["original_principal"] * Decimal(str(round(rng.uniform(0.8, 2.2), 2)))).quantize(CENT)
            row_index = len(book.tables["collateral"])
            age = rng.randint(20, 300)
            if row_index % 11 == 4:
                age = rng.randint(400, 1500)  # an appraisal older than a year: a warning
                book.stale_appraisals.append(row_index)
            region = borrowers[owner]["region"]
            real_estate = kind in ("residential", "commercial", "industrial", "land_use_right")
            rank = 2 if row_index % 9 == 7 else 1
            prior = None if rank == 1 else (value * Decimal("0.4")).quantize(CENT)
            if row_index % 23 == 16:
                rank, prior = 2, value + Decimal("150000.50")  # claims ahead exceed the value: a warning
                book.prior_claims_above_value.append(row_index)
            book.tables["collateral"].append({
                "collateral_id": cid, "collateral_type": kind, "region": region if real_estate else None,
                "address": f"{REGIONS[region][0]}幸福里{rng.randint(1, 80)}幢{rng.randint(101, 2802)}室"
                if real_estate else None,
                "area_sqm": Decimal(str(round(rng.uniform(45, 3000), 2))) if real_estate else None,
                "appraisal_value": value, "appraisal_date": CUTOFF - timedelta(days=age),
                "appraisal_source": rng.choice(["internal", "external", "external", "court"]),
                "lien_rank": rank if real_estate else None, "prior_claims": prior,
                "occupancy": rng.choice(["vacant", "owner", "tenant", "unknown"]) if real_estate else None,
                "status": "seized" if loan["legal_status"] in ("judgment", "enforcement") else "held"})
            allocated = None if extra else min(value, loan["outstanding_principal"])
            book.tables["loan_collateral"].append(
                {"loan_id": loan["loan_id"], "collateral_id": cid, "allocated_amount": allocated})
            last_of_owner[owner] = cid


def _guarantees(rng: random.Random, book: Book, firms: list[dict[str, Any]], people: list[dict[str, Any]]) -> None:
    for i, loan in enumerate(book.tables["loans"]):
        if loan["product"] not in ("working_capital", "trade_finance", "business_personal") or i % 3 == 0:
            continue
        n = len(book.tables["guarantees"]) + 1
        row: dict[str, Any] = {"guarantee_id": f"BZ{n:05d}", "loan_id": loan["loan_id"],
                               "guarantor_counterparty_id": None, "guarantor_name": None,
                               "amount": loan["original_principal"], "guarantor_rating": None}
        if n % 3 == 0:
            guarantor = rng.choice([f for f in firms if f["counterparty_id"] != loan["counterparty_id"]])
            row.update(guarantor_counterparty_id=guarantor["counterparty_id"], guarantee_type="corporate",
                       guarantor_rating=guarantor["internal_rating"])
        elif n % 3 == 1:
            row.update(guarantor_name=rng.choice(SURNAMES) + rng.choice(GIVEN + ["𠮷", "䶮"]), guarantee_type="personal")
        else:
            row.update(guarantor_name=f"{rng.choice(FIRM_WORDS)}融资担保有限公司", guarantee_type="guarantee_company",
                       guarantor_rating="AA-")
        book.tables["guarantees"].append(row)


def _histories(rng: random.Random, book: Book) -> None:
    first_month = add_months(CUTOFF.replace(day=1), -35)
    for i, loan in enumerate(book.tables["loans"]):
        start = max(first_month, add_months(loan["origination_date"].replace(day=1), 1))
        instalment = (loan["original_principal"] / Decimal(36)).quantize(CENT)
        stop_paying = add_months(CUTOFF, -(loan["days_past_due"] // 30)) if loan["days_past_due"] > 30 else None
        month = start
        while month <= CUTOFF:
            paid = Decimal(0) if stop_paying and month > stop_paying else instalment
            source = "borrower"
            if paid == 0 and loan["legal_status"] == "enforcement" and month.month == 3:
                paid, source = (instalment * 3).quantize(CENT), "court"
            book.tables["repayments"].append({"loan_id": loan["loan_id"], "month": f"{month:%Y-%m}",
                                              "amount_due": instalment, "amount_paid": paid,
                                              "source": source if i % 4 else None})
            month = add_months(month, 1)
        for back in range(5, -1, -1):
            earlier = add_months(CUTOFF, -back)
            as_of = month_end(earlier.year, earlier.month)
            if as_of <= loan["origination_date"]:
                continue
            dpd = max(0, loan["days_past_due"] - 30 * back)
            klass = class_for(dpd) if not loan["restructured"] else loan["reported_class"]
            balance = loan["outstanding_principal"] + instalment * back
            book.tables["loan_states"].append({
                "loan_id": loan["loan_id"], "as_of_date": as_of, "class": klass, "days_past_due": dpd,
                "outstanding_principal": balance, "provision": (balance * PROVISION_RATE[klass]).quantize(CENT)
                if back % 2 == 0 else None})
        if loan["extension_count"]:
            book.tables["forbearance"].append({
                "loan_id": loan["loan_id"], "event_date": loan["last_extension_date"], "measure": "extension",
                "new_maturity_date": add_months(max(loan["maturity_date"], loan["last_extension_date"]), 12),
                "amount": loan["outstanding_principal"]})
        if loan["restructured"]:
            for measure in ("schedule_relief", "rate_cut", "refinance_new_for_old")[: 1 + i % 3]:
                book.tables["forbearance"].append({
                    "loan_id": loan["loan_id"], "event_date": loan["restructure_date"], "measure": measure,
                    "new_maturity_date": None, "amount": None if measure == "rate_cut" else loan["outstanding_principal"]})
        if loan["days_past_due"] > 180 and i % 3 != 1:
            start_date = loan["default_date"] + timedelta(days=60)
            closed = i % 2 == 0 and start_date < CUTOFF - timedelta(days=120)
            route = rng.choice(["collection", "judicial_auction", "bulk_transfer", "write_off", "in_kind"])
            exposure = loan["outstanding_principal"] + (loan["accrued_interest"] or 0)
            book.tables["disposals"].append({
                "loan_id": loan["loan_id"], "route": route, "start_date": start_date,
                "end_date": start_date + timedelta(days=90) if closed else None, "exposure_at_start": exposure,
                "gross_recovery": (exposure * Decimal("0.35")).quantize(CENT) if closed else None,
                "costs": money(rng, 1000, 50000) if closed else None,
                "buyer_type": "AMC" if route == "bulk_transfer" else None})
    for n in range(3):  # cases of loans that left the book long ago: training data of recovery models
        start_date = date(2019, 3 + n, 10)
        book.tables["disposals"].append({
            "loan_id": f"JJHIST2018{n:05d}", "route": ("single_transfer", "debt_to_equity", "securitization")[n],
            "start_date": start_date, "end_date": start_date + timedelta(days=300), "exposure_at_start":
            Decimal("1250000.00") * (n + 1), "gross_recovery": Decimal("480000.5") * (n + 1),
            "costs": Decimal("23000"), "buyer_type": "investor"})


def _enforcement(rng: random.Random, book: Book) -> None:
    collateral_of: dict[str, str] = {}
    for link in book.tables["loan_collateral"]:
        collateral_of.setdefault(link["loan_id"], link["collateral_id"])
    value_of = {c["collateral_id"]: c["appraisal_value"] for c in book.tables["collateral"]}
    region_of = {c["counterparty_id"]: c["region"] for c in book.tables["counterparties"]}
    for loan in book.tables["loans"]:
        if loan["legal_status"] not in ("judgment", "enforcement"):
            continue
        filed = loan["default_date"] + timedelta(days=45)
        if filed > CUTOFF - timedelta(days=30):
            filed = CUTOFF - timedelta(days=30)
        place, court_code = REGIONS[region_of[loan["counterparty_id"]]]
        cid = collateral_of.get(loan["loan_id"])
        row: dict[str, Any] = {c: None for c, _, _ in SPEC["enforcement"]}
        row.update(case_id=f"({filed.year}){court_code}执{len(book.tables['enforcement']) + 101}号",
                   loan_id=loan["loan_id"], collateral_id=cid, court=f"{place}人民法院", filed_date=filed,
                   stage="filed", costs=money(rng, 2000, 80000))
        if loan["legal_status"] == "enforcement":
            judged = filed + timedelta(days=min(120, (CUTOFF - filed).days))
            row.update(judgment_date=judged, stage="enforcement")
            if cid is not None:
                value = value_of[cid]
                round_ = 1 + len(book.tables["enforcement"]) % 2
                row.update(stage=f"auction_{round_}", appraisal_value=value,
                           reference_price=(value * Decimal("0.9")).quantize(CENT), auction_round=round_,
                           start_price=(value * Decimal("0.7") * (Decimal("0.8") if round_ == 2 else 1)).quantize(CENT),
                           failed_auctions=round_ - 1)
                if round_ == 2 and judged < CUTOFF - timedelta(days=10):
                    row.update(stage="closed", sale_price=row["start_price"] + Decimal("10000"),
                               sale_date=judged + timedelta(days=min(60, (CUTOFF - judged).days)))
        elif loan["legal_status"] == "judgment":
            row.update(judgment_date=filed + timedelta(days=min(90, (CUTOFF - filed).days)), stage="judgment")
        book.tables["enforcement"].append(row)


def _price_index(rng: random.Random, book: Book) -> None:
    for region in INDEX_REGIONS:
        for kind in ("residential", "commercial", "industrial"):
            level = Decimal(str(round(rng.uniform(95, 130), 2)))
            for back in range(23, -1, -1):
                month = add_months(CUTOFF.replace(day=1), -back)
                level = (level * Decimal(str(round(rng.uniform(0.985, 1.01), 4)))).quantize(CENT)
                book.tables["price_index"].append(
                    {"region": region, "property_type": kind, "month": f"{month:%Y-%m}", "index": level})
