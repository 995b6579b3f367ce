"""Eligibility of disposal routes as data: a rulebook loaded from YAML, each rule citing its source.

A rule says which route it governs (or "*" for all), the condition a loan must meet, the reason
shown when it does not, and the regulation it rests on. `Rulebook.evaluate(loans)` applies every
rule to a loan-attribute frame at once (vectorised) and returns one row per (loan, route) with the
verdict and the reasons of every failed rule, joined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from nplhub.domain.errors import DomainError
from nplhub.valuation import ROUTES

DEFAULT_RULES = "eligibility.yaml"


@dataclass(frozen=True)
class Channel:
    """A legal channel of sale: who may buy, the minimum number of accounts, onward transfer."""

    code: str
    route: str
    title: str
    min_accounts_param: str | None
    buyers: tuple[str, ...]
    re_transfer_allowed: bool
    buyer_note: str
    source: str


@dataclass(frozen=True)
class Rule:
    id: str
    route: str
    requires: Mapping[str, Any]
    reason: str
    source: str
    status: str = "verified"

    def applies_to(self, route: str) -> bool:
        return self.route in ("*", route)


@dataclass(frozen=True)
class Rulebook:
    version: str
    parameters: dict[str, Any]
    parameter_sources: dict[str, str]
    rules: tuple[Rule, ...]
    channels: dict[str, Channel] = field(default_factory=dict)

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Rulebook:
        """Load the rulebook (the packaged default, or `path`), with parameter `overrides`."""
        if path is None:
            text = resources.files("nplhub.strategy").joinpath("rules", DEFAULT_RULES).read_text("utf-8")
            origin = f"nplhub/strategy/rules/{DEFAULT_RULES}"
        else:
            text = Path(path).read_text("utf-8")
            origin = str(path)
        return cls.from_mapping(yaml.safe_load(text), origin=origin, overrides=overrides)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "<mapping>",
                     overrides: Mapping[str, Any] | None = None) -> Rulebook:
        if not isinstance(data, Mapping) or "rules" not in data:
            raise DomainError(f"{origin}: an eligibility rulebook needs a 'rules' list")
        params: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, spec in (data.get("parameters") or {}).items():
            if not isinstance(spec, Mapping) or "value" not in spec or "source" not in spec:
                raise DomainError(f"{origin}: parameter {name!r} needs a 'value' and a 'source'")
            params[name] = spec["value"]
            sources[name] = str(spec["source"])
        for name, value in (overrides or {}).items():
            if name not in params:
                raise DomainError(f"unknown eligibility parameter {name!r}; known: {', '.join(sorted(params))}")
            params[name] = value
            sources[name] = f"{sources[name]} (overridden by the bank: {value!r})"
        rules = []
        seen: set[str] = set()
        for i, raw in enumerate(data["rules"]):
            missing = [k for k in ("id", "route", "requires", "reason", "source") if k not in raw]
            if missing:
                raise DomainError(f"{origin}: rule #{i + 1} lacks {', '.join(missing)} (every rule cites its source)")
            if raw["route"] != "*" and raw["route"] not in ROUTES:
                raise DomainError(f"{origin}: rule {raw['id']!r} names unknown route {raw['route']!r}")
            if raw["id"] in seen:
                raise DomainError(f"{origin}: duplicate rule id {raw['id']!r}")
            seen.add(raw["id"])
            _check_condition(raw["requires"], params, f"{origin}: rule {raw['id']!r}")
            rules.append(Rule(id=str(raw["id"]), route=str(raw["route"]), requires=raw["requires"],
                              reason=str(raw["reason"]), source=str(raw["source"]),
                              status=str(raw.get("status", "verified"))))
        channels = {
            code: Channel(code=code, route=str(c["route"]), title=str(c["title"]),
                          min_accounts_param=c.get("min_accounts_param"), buyers=tuple(c.get("buyers", ())),
                          re_transfer_allowed=bool(c.get("re_transfer_allowed", True)),
                          buyer_note=str(c.get("buyer_note", "")), source=str(c["source"]))
            for code, c in (data.get("channels") or {}).items()
        }
        return cls(version=str(data.get("version", "")), parameters=params, parameter_sources=sources,
                   rules=tuple(rules), channels=channels)

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self, loans: pd.DataFrame, routes: tuple[str, ...] = ROUTES) -> pd.DataFrame:
        """One row per (loan_id, route): `eligible` and `reason` (failed rules' reasons, with sources)."""
        n = len(loans)
        frames = []
        for route in routes:
            ok = np.ones(n, dtype=bool)
            reasons = np.full(n, "", dtype=object)
            for rule in self.rules:
                if not rule.applies_to(route):
                    continue
                passed = _evaluate(rule.requires, loans, self.parameters)
                failed = ~passed
                if failed.any():
                    text = f"{rule.reason} [{rule.id}; {rule.source}]"
                    reasons[failed] = np.where(reasons[failed] == "", text, reasons[failed] + "; " + text)
                ok &= passed
            frames.append(pd.DataFrame({
                "loan_id": loans["loan_id"].to_numpy(), "route": route, "eligible": ok,
                "reason": pd.Series(reasons).where(~ok, None).to_numpy(),
            }))
        return pd.concat(frames, ignore_index=True)

    def channel_of(self, loans: pd.DataFrame, route: str) -> np.ndarray:
        """The sale channel each loan would use on `route` (bulk: AMC batch or pilot personal batch)."""
        retail = loans["is_retail_product"].to_numpy(dtype=bool) | (
            loans["counterparty_type"].to_numpy() == "individual")
        if route == "bulk_transfer":
            return np.where(retail, "pilot_retail_batch", "amc_batch")
        if route == "single_transfer":
            return np.full(len(loans), "pilot_single_corporate", dtype=object)
        return np.full(len(loans), "", dtype=object)

    def min_accounts(self, channel: str) -> int:
        spec = self.channels.get(channel)
        if spec is None or spec.min_accounts_param is None:
            return 1
        return int(self.parameters[spec.min_accounts_param])

    def describe(self) -> list[dict[str, str]]:
        """The rules as a table for reports: id, route, reason, source, status."""
        return [{"id": r.id, "route": r.route, "reason": r.reason, "source": r.source, "status": r.status}
                for r in self.rules]


_OPERATORS = ("in", "not_in", "le", "ge", "is")


def _check_condition(cond: Any, params: Mapping[str, Any], where: str) -> None:
    if not isinstance(cond, Mapping) or len(cond) == 0:
        raise DomainError(f"{where}: a condition must be a non-empty mapping, got {cond!r}")
    if "all" in cond or "any" in cond:
        for sub in cond.get("all", cond.get("any")):
            _check_condition(sub, params, where)
        return
    if "not" in cond:
        _check_condition(cond["not"], params, where)
        return
    if "param" in cond:
        if cond["param"] not in params:
            raise DomainError(f"{where}: unknown parameter {cond['param']!r}")
        return
    if "field" not in cond or not any(op in cond for op in _OPERATORS):
        raise DomainError(f"{where}: condition {cond!r} needs 'field' and one of {', '.join(_OPERATORS)}")


def _value(raw: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(raw, Mapping) and "param" in raw:
        return params[raw["param"]]
    return raw


def _evaluate(cond: Mapping[str, Any], loans: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    n = len(loans)
    if "all" in cond:
        out = np.ones(n, dtype=bool)
        for sub in cond["all"]:
            out &= _evaluate(sub, loans, params)
        return out
    if "any" in cond:
        out = np.zeros(n, dtype=bool)
        for sub in cond["any"]:
            out |= _evaluate(sub, loans, params)
        return out
    if "not" in cond:
        return ~_evaluate(cond["not"], loans, params)
    if "param" in cond:
        return np.full(n, bool(params[cond["param"]]) == bool(cond.get("is", True)))
    name = cond["field"]
    if name not in loans.columns:
        raise DomainError(f"eligibility rule needs loan attribute {name!r}, which the loan frame lacks")
    column = loans[name]
    if "in" in cond:
        return column.isin(list(cond["in"])).to_numpy(dtype=bool)
    if "not_in" in cond:
        return (~column.isin(list(cond["not_in"]))).to_numpy(dtype=bool)
    if "le" in cond:
        return (column.astype(float) <= float(_value(cond["le"], params))).to_numpy(dtype=bool)
    if "ge" in cond:
        return (column.astype(float) >= float(_value(cond["ge"], params))).to_numpy(dtype=bool)
    return (column.fillna(False).astype(bool) == bool(cond["is"])).to_numpy(dtype=bool)
