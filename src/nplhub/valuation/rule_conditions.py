"""Conditions of eligibility rules: the loan attributes a rule may test, the grammar of a condition,
its check when a rulebook is loaded and its evaluation on a loan frame.

Grammar: {field: F, in: [...]} | {field: F, not_in: [...]} | {field: F, le: x} | {field: F, ge: x} |
{field: F, is: true|false} | {param: P, is: true|false} | {all: [...]} | {any: [...]} | {not: {...}},
with x a number or {param: P}. `check_condition` refuses anything else, naming the place in the
condition; `evaluate_condition` turns a condition into a mask over every loan of a frame at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.domain.classification import RiskClass
from nplhub.domain.codes import (
    RETAIL_PRODUCTS,
    CollateralType,
    CounterpartyType,
    InsolvencyStatus,
    LegalStatus,
    Product,
)
from nplhub.domain.errors import DomainError

Mask = npt.NDArray[np.bool_]


class RulebookError(DomainError):
    """A rulebook that cannot be used: says which file, rule, place and why."""


@dataclass(frozen=True)
class RuleField:
    """A loan attribute a rule may test: a code from a list, a number, a flag or free text."""

    kind: str  # "code" | "number" | "flag" | "text"
    codes: tuple[str, ...] = ()


def _codes(*enums: Any, extra: tuple[str, ...] = ()) -> RuleField:
    return RuleField("code", tuple(str(m.value) for e in enums for m in e) + extra)


RULE_FIELDS: dict[str, RuleField] = {
    "counterparty_type": _codes(CounterpartyType),
    "product": _codes(Product),
    "insolvency_status": _codes(InsolvencyStatus),
    "legal_status": _codes(LegalStatus),
    "reported_class": _codes(RiskClass),
    "collateral_type": _codes(CollateralType, extra=("none",)),
    "region": RuleField("text"),
    **{name: RuleField("number") for name in (
        "claim", "book_value", "days_past_due", "restructure_count", "collateral_count", "collateral_reference",
        "collateral_net", "collateral_value", "guarantee_amount", "guarantee_expected")},
    "written_off": RuleField("flag"),
    "is_retail_product": RuleField("flag"),  # derived from product (domain RETAIL_PRODUCTS)
    "has_collateral": RuleField("flag"),  # derived from collateral_count (any item linked to the loan)
}
_OPERATORS = {"code": ("in", "not_in"), "text": ("in", "not_in"), "number": ("le", "ge"), "flag": ("is",)}
def check_condition(cond: Any, params: Mapping[str, Any], where: str, path: str) -> None:
    """Refuse anything but the grammar of the YAML's header, naming the place (e.g. requires.any[1])."""
    def fail(why: str) -> RulebookError:
        return RulebookError(f"{where}, condition {path}: {why}")

    if not isinstance(cond, Mapping) or not cond:
        raise fail(f"a condition is a non-empty mapping, got {cond!r}")
    for group in ("all", "any"):
        if group in cond:
            _exact(cond, {group}, fail)
            if not isinstance(cond[group], list) or not cond[group]:
                raise fail(f"'{group}' needs a non-empty list of conditions")
            for j, sub in enumerate(cond[group]):
                check_condition(sub, params, where, f"{path}.{group}[{j}]")
            return
    if "not" in cond:
        _exact(cond, {"not"}, fail)
        check_condition(cond["not"], params, where, f"{path}.not")
        return
    if "param" in cond:
        _exact(cond, {"param", "is"}, fail, required={"param"})
        name = cond["param"]
        if name not in params:
            raise fail(f"unknown parameter {name!r}; parameters: {', '.join(sorted(params)) or 'none'}")
        if not isinstance(params[name], bool) or not isinstance(cond.get("is", True), bool):
            raise fail(f"{{param: {name}, is: ...}} tests a yes/no parameter against true or false")
        return
    if "field" not in cond:
        raise fail(f"unknown condition {dict(cond)!r}: expected field, param, all, any or not")
    name = cond["field"]
    spec = RULE_FIELDS.get(name)
    if spec is None:
        raise fail(f"unknown field {name!r}; fields: {', '.join(RULE_FIELDS)}")
    ops = [k for k in cond if k != "field"]
    allowed = _OPERATORS[spec.kind]
    if len(ops) != 1 or ops[0] not in allowed:
        raise fail(f"field {name!r} ({spec.kind}) takes exactly one of {', '.join(allowed)}, got {', '.join(ops) or 'none'}")
    op, value = ops[0], cond[ops[0]]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise fail(f"'{op}' needs a non-empty list of values")
        unknown = [v for v in value if spec.kind == "code" and v not in spec.codes]
        if unknown:
            raise fail(f"unknown {name} code(s) {unknown!r}; codes: {', '.join(spec.codes)}")
    elif op in ("le", "ge"):
        if isinstance(value, Mapping):
            _exact(value, {"param"}, fail)
            pname = value["param"]
            if pname not in params or isinstance(params[pname], bool):
                raise fail(f"'{op}' refers to {pname!r}, which is not a numeric parameter")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"'{op}' needs a number or {{param: NAME}}, got {value!r}")
    elif not isinstance(value, bool):
        raise fail(f"'is' needs true or false, got {value!r}")


def _exact(cond: Mapping[str, Any], allowed: set[str], fail: Any, required: set[str] | None = None) -> None:
    extra = set(cond) - allowed
    if extra or not (required or allowed) <= set(cond):
        raise fail(f"expected exactly the key(s) {', '.join(sorted(allowed))}, got {', '.join(map(str, cond))}")


class LoanFacts:
    """The columns of a loan frame as rules read them, each read once: text columns are factorised
    on first use and every `in` test is then a lookup on the codes; derived flags are kept."""

    def __init__(self, loans: pd.DataFrame) -> None:
        self.loans = loans
        self.n = len(loans)
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._flags: dict[str, Mask] = {}

    def _column(self, name: str) -> pd.Series:
        if name not in self.loans.columns:
            raise RulebookError(f"eligibility rules need loan attribute {name!r}, which the loan frame lacks")
        return self.loans[name]

    def isin(self, name: str, values: Sequence[Any]) -> Mask:
        if name not in self._codes:  # a missing value gets code -1, which the table's last entry answers
            codes, uniques = pd.factorize(self._column(name).astype("object"))
            self._codes[name] = (codes, np.asarray(uniques, dtype=object))
        codes, uniques = self._codes[name]
        wanted = set(values)
        table = np.fromiter((u in wanted for u in uniques), dtype=bool, count=len(uniques))
        return np.append(table, False)[codes]

    def number(self, name: str) -> npt.NDArray[np.float64]:
        return pd.to_numeric(self._column(name), errors="coerce").to_numpy("float64")

    def flag(self, name: str) -> Mask:
        if name not in self._flags:
            if name == "is_retail_product" and name not in self.loans.columns:
                value = self.isin("product", sorted(str(p) for p in RETAIL_PRODUCTS))
            elif name == "has_collateral" and name not in self.loans.columns:
                value = self.number("collateral_count") > 0
            else:
                value = self._column(name).fillna(False).astype(bool).to_numpy()
            self._flags[name] = np.asarray(value, dtype=bool)
        return self._flags[name]


def _threshold(raw: Any, params: Mapping[str, Any]) -> float:
    if isinstance(raw, Mapping):
        return float(params[raw["param"]])
    return float(raw)


def evaluate_condition(cond: Mapping[str, Any], fields: LoanFacts, params: Mapping[str, Any]) -> Mask:
    n = fields.n
    if "all" in cond:
        out = np.ones(n, dtype=bool)
        for sub in cond["all"]:
            out &= evaluate_condition(sub, fields, params)
        return out
    if "any" in cond:
        out = np.zeros(n, dtype=bool)
        for sub in cond["any"]:
            out |= evaluate_condition(sub, fields, params)
        return out
    if "not" in cond:
        return ~evaluate_condition(cond["not"], fields, params)
    if "param" in cond:
        return np.full(n, bool(params[cond["param"]]) == bool(cond.get("is", True)))
    name = cond["field"]
    if "in" in cond:
        return fields.isin(name, cond["in"])
    if "not_in" in cond:
        return ~fields.isin(name, cond["not_in"])
    if "le" in cond:
        return fields.number(name) <= _threshold(cond["le"], params)
    if "ge" in cond:
        return fields.number(name) >= _threshold(cond["ge"], params)
    return fields.flag(name) == bool(cond["is"])
