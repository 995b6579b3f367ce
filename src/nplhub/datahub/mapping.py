"""Chinese and English spellings of tables, headers and codes, mapped to the canonical contract.

Banks' exports name columns in Chinese (贷款编号, 五级分类 ...), sometimes with a unit suffix
(贷款余额(元)), and write codes as Chinese terms (次级, 抵押物类型 住宅 ...). Everything here maps
such spellings to the canonical English names of `schema`; nothing is guessed beyond the listed
aliases, and what does not map is reported by the validator.
"""

from __future__ import annotations

import re
from enum import Enum

from nplhub.datahub.schema import TABLES, FieldSpec, TableSpec
from nplhub.domain.classification import RiskClass
from nplhub.domain.codes import code_aliases

_UNIT_SUFFIX = re.compile(r"[（(][^（()）]*[)）]\s*$")

# GB/T 4754-2017 sections (门类).
INDUSTRY_SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业", "E": "建筑业", "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业", "I": "信息传输、软件和信息技术服务业",
    "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业", "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业", "P": "教育",
    "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

# GB/T 2260 province-level prefixes: the 31 mainland provinces, plus Taiwan, Hong Kong and Macao.
PROVINCE_PREFIXES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "有", "已重组", "已核销"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "无", "未重组", "未核销"})


def normalise_header(raw: str) -> str:
    text = str(raw).replace("\ufeff", "").strip()
    text = _UNIT_SUFFIX.sub("", text).strip()
    return re.sub(r"[\s\-]+", "_", text).lower()


def header_aliases(table: TableSpec) -> dict[str, str]:
    """Every accepted (normalised) header of `table`, mapped to its canonical column name."""
    aliases: dict[str, str] = {}
    for spec in table.fields:
        aliases[spec.name] = spec.name
        for alias in spec.aliases:
            aliases.setdefault(normalise_header(alias), spec.name)
    return aliases


def table_aliases() -> dict[str, str]:
    """File or sheet names (without extension), English or Chinese, mapped to table names."""
    names: dict[str, str] = {}
    for table in TABLES.values():
        names[table.name] = table.name
        names[table.label_zh] = table.name
        for alias in table.aliases:
            names.setdefault(alias, table.name)
    names["collaterals"] = "collateral"
    names["price_indices"] = "price_index"
    return names


def code_lookup(spec: FieldSpec) -> dict[str, str]:
    """Every accepted spelling of the codes of `spec` (English, lower-cased, Chinese), to the code."""
    if spec.kind == "industry":
        table = {letter: letter for letter in INDUSTRY_SECTIONS}
        table.update({letter.lower(): letter for letter in INDUSTRY_SECTIONS})
        table.update({name: letter for letter, name in INDUSTRY_SECTIONS.items()})
        return table
    enum = spec.codes
    if enum is None:
        return {}
    if enum is RiskClass:
        return _risk_class_lookup()
    lookup: dict[str, str] = {}
    for alias, member in code_aliases(enum).items():
        lookup[alias] = str(member.value)
        lookup[alias.lower()] = str(member.value)
    for alias, code in ENGLISH_VARIANTS.items():
        if code in lookup.values():
            lookup.setdefault(alias, code)
    return lookup


# English spellings other exporters use for codes of the contract (mapped only where unambiguous).
ENGLISH_VARIANTS: dict[str, str] = {
    "land": "land_use_right", "smes": "sme", "small_business": "sme", "retail": "individual",
    "person": "individual", "natural_person": "individual", "company": "corporate",
}


def _risk_class_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for cls in RiskClass:
        for alias in (cls.value, cls.chinese, cls.chinese + "类", str(cls.rank + 1)):
            lookup[alias] = cls.value
        lookup[cls.value.upper()] = cls.value
    lookup.update({"pass": "normal", "sm": "special_mention", "special mention": "special_mention"})
    return lookup


def allowed_codes(spec: FieldSpec) -> str:
    if spec.kind == "industry":
        return "a GB/T 4754 section letter A-T"
    enum: type[Enum] | None = spec.codes
    return ", ".join(str(m.value) for m in enum) if enum else ""


# The flat loan list: one row per loan (repeated per collateral), counterparty and collateral
# columns folded in. A column keeps its name unless two tables share it; then it takes the
# table's prefix (collateral_region, collateral_address, collateral_status).
FLAT_TABLES = ("loans", "counterparties", "collateral", "loan_collateral")


def flat_columns() -> dict[str, tuple[str, str]]:
    """Flat column name -> (table, canonical column)."""
    columns: dict[str, tuple[str, str]] = {}
    for table_name in FLAT_TABLES:
        for spec in TABLES[table_name].fields:
            name = spec.name
            if name in columns and columns[name][1] == name and name.endswith("_id"):
                continue  # shared keys (counterparty_id, loan_id, collateral_id) appear once
            if name in columns:
                name = ("collateral_" if table_name == "collateral" else table_name + "_") + name
            columns[name] = (table_name, spec.name)
    return columns


def flat_header_aliases() -> dict[str, str]:
    """Accepted flat headers (normalised) mapped to flat column names."""
    aliases: dict[str, str] = {}
    columns = flat_columns()
    for flat_name, (table_name, column) in columns.items():
        aliases[flat_name] = flat_name
        spec = TABLES[table_name].spec(column)
        for alias in spec.aliases:
            key = normalise_header(alias)
            if flat_name != column and key in header_aliases(TABLES["loans"]):
                continue
            aliases.setdefault(key, flat_name)
        # other exporters prefix every borrower or collateral column: counterparty_name, collateral_lien_rank
        prefixes = {"counterparties": ("counterparty_", "borrower_"), "collateral": ("collateral_",)}
        for prefix in prefixes.get(table_name, ()):
            aliases.setdefault(prefix + column, flat_name)
    return aliases
