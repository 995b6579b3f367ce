"""The reasons the classification engine gives: a code, the floor it sets, the article, a sentence.

Each loan carries a bit set of the rules that fired (`reason_bits`), so that a million loans are
classified with array operations; `explain` turns one loan's bits into sentences in Chinese and
English on demand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from nplhub.domain.classification import ORDERED_CLASSES, RiskClass
from nplhub.risk.rules import RuleSet

# code -> bit
REASON_CODES: tuple[str, ...] = (
    "DPD_FLOOR",
    "TECHNICAL_DELAY",
    "WRITTEN_OFF",
    "CREDIT_IMPAIRED",
    "ECL_FLOOR",
    "NEW_FOR_OLD",
    "RESTRUCTURED_OBSERVATION",
    "RESTRUCTURED_MISSED_PAYMENT",
    "RESTRUCTURED_FROM_NPL",
    "UPGRADE_BLOCKED",
    "NON_RETAIL_NPL_SHARE",
    "SAME_DEBTOR_NPL",
)
BIT = {code: 1 << i for i, code in enumerate(REASON_CODES)}


def _cls(rank: Any) -> RiskClass:
    return ORDERED_CLASSES[int(rank)]


def _fmt_date(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "?"
    return pd.Timestamp(value).date().isoformat()


def explain(row: Mapping[str, Any], rules: RuleSet) -> list[dict[str, Any]]:
    """The reasons of one classified loan (a row of `ClassificationResult.frame`)."""
    bits = int(row["reason_bits"])
    out: list[dict[str, Any]] = []

    def add(code: str, floor: RiskClass | None, article: str, zh: str, en: str) -> None:
        out.append({"code": code, "floor": floor.value if floor else None, "article": article, "zh": zh, "en": en})

    dpd = int(row.get("days_past_due", 0) or 0)
    if bits & BIT["DPD_FLOOR"]:
        floor = next(f for f in reversed(rules.floors_for(bool(row.get("retail")))) if dpd > f.days)
        c = floor.risk_class
        add("DPD_FLOOR", c, floor.article,
            f"逾期{dpd}天，超过{floor.days}天，至少归为{c.chinese}类",
            f"{dpd} days past due, more than {floor.days}: at least {c.value.replace('_', ' ')}")
    if bits & BIT["TECHNICAL_DELAY"]:
        add("TECHNICAL_DELAY", None, rules.dpd_floors[0].article if rules.dpd_floors else "",
            f"逾期{dpd}天，在{rules.technical_delay_days}天操作性或技术性延迟之内，不设下限",
            f"{dpd} days past due, within the {rules.technical_delay_days}-day operational or technical delay: no floor")
    if bits & BIT["WRITTEN_OFF"]:
        c = rules.written_off_class
        add("WRITTEN_OFF", c, "", f"已核销，归为{c.chinese}类", f"written off: {c.value}")
    if bits & BIT["CREDIT_IMPAIRED"] and rules.impaired_floor:
        c = rules.impaired_floor
        why = str(row.get("impaired_evidence", ""))
        add("CREDIT_IMPAIRED", c, rules.impaired_article, f"已发生信用减值（{why}），至少归为{c.chinese}类",
            f"credit-impaired ({why}): at least {c.value.replace('_', ' ')}")
    if bits & BIT["ECL_FLOOR"]:
        ratio = float(row.get("provision_ratio", 0.0))
        ecl = next(f for f in reversed(rules.ecl_floors) if ratio >= f.ratio)
        c = ecl.risk_class
        add("ECL_FLOOR", c, ecl.article,
            f"信用减值资产的损失准备占余额{ratio:.0%}，不低于{ecl.ratio:.0%}，至少归为{c.chinese}类",
            f"credit-impaired with allowance {ratio:.0%} of the balance (>= {ecl.ratio:.0%}): at least {c.value}")
    if bits & BIT["NEW_FOR_OLD"] and rules.new_for_old_floor:
        c = rules.new_for_old_floor
        add("NEW_FOR_OLD", c, rules.new_for_old_article, f"借新还旧，至少归为{c.chinese}类",
            f"repaid by a new loan (new-for-old refinancing): at least {c.value.replace('_', ' ')}")
    if bits & BIT["RESTRUCTURED_OBSERVATION"] and rules.restructured_floor:
        c = rules.restructured_floor
        end = _fmt_date(row.get("observation_end"))
        add("RESTRUCTURED_OBSERVATION", c, rules.restructured_article,
            f"重组资产处于观察期（至{end}），至少归为{c.chinese}类",
            f"restructured asset in its observation period (until {end}): at least {c.value.replace('_', ' ')}")
    if bits & BIT["RESTRUCTURED_MISSED_PAYMENT"] and rules.restructured_missed_payment_floor:
        c = rules.restructured_missed_payment_floor
        add("RESTRUCTURED_MISSED_PAYMENT", c, rules.restructured_missed_payment_article,
            f"重组后观察期内未按约还款，观察期重新起算，至少归为{c.chinese}类",
            f"missed payment during the observation period after restructuring (period restarts): "
            f"at least {c.value}")
    if bits & BIT["RESTRUCTURED_FROM_NPL"]:
        c = _cls(row["pre_restructuring_rank"])
        add("RESTRUCTURED_FROM_NPL", c, rules.restructured_article,
            f"重组前为{c.chinese}类，观察期内不得上调", f"{c.value} before restructuring: no upgrade during observation")
    if bits & BIT["UPGRADE_BLOCKED"]:
        c = _cls(row["previous_rank"])
        why = str(row.get("upgrade_blockers", ""))
        add("UPGRADE_BLOCKED", c, rules.upgrade_article,
            f"上期为{c.chinese}类，上调条件未满足（{why}），维持{c.chinese}类",
            f"{c.value} at the previous month end and the upgrade conditions are not met ({why}): stays {c.value}")
    if bits & BIT["NON_RETAIL_NPL_SHARE"]:
        share = float(row.get("debtor_npl_share", 0.0))
        c = RiskClass.SUBSTANDARD
        add("NON_RETAIL_NPL_SHARE", c, rules.non_retail_npl_share_article,
            f"非零售债务人在本行债权的{share:.1%}为不良，超过{rules.non_retail_npl_share:.0%}，全部债权归为不良",
            f"{share:.1%} of this non-retail debtor's claims at the bank are non-performing "
            f"(more than {rules.non_retail_npl_share:.0%}): all its claims are non-performing")
    if bits & BIT["SAME_DEBTOR_NPL"] and rules.other_npl_floor:
        c = rules.other_npl_floor
        add("SAME_DEBTOR_NPL", c, rules.other_npl_article, f"同一非零售债务人在本行另有不良债权，至少归为{c.chinese}类",
            f"the same non-retail debtor has a non-performing claim at the bank: at least {c.value.replace('_', ' ')}")
    if not out:
        add("REPORTED", None, "", "未触发规则下限，采用银行自评分类",
            "no rule sets a floor: the bank's own class stands")
    return out
