"""Eligibility of disposal routes as data: the rulebook, loaded from YAML, each rule citing its source.

A rule says which route it governs (or "*" for all), the condition a loan must meet, the reason
shown when it does not, and the regulation it rests on. The rulebook is the one place where the
law of disposal routes is written: the valuation closes a route to every loan that fails one of
its rules (`routes.py`, through `AssumptionSet.rulebook`), and strategy takes the valuation's
verdict as it is, reading only the sale channels and their package minimums from here.

Rules are evaluated on a loan frame at once (numpy masks over the whole frame, never per loan):
the valuation's loan frame (`portfolio.LOAN_FRAME_COLUMNS`) or any frame with the fields the rules
name (`RULE_FIELDS`); `is_retail_product` and `has_collateral` are derived when the frame lacks them.
A rulebook is checked when it is loaded: an unknown key, field, code, parameter or operator is
refused with the rule and the place in its condition (the grammar: `rule_conditions.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from nplhub.valuation import ROUTES
from nplhub.valuation.rule_conditions import (
    RULE_FIELDS,
    LoanFacts,
    Mask,
    RulebookError,
    check_condition,
    evaluate_condition,
)

__all__ = ["RULE_FIELDS", "Channel", "LoanFacts", "Rule", "RouteVerdict", "Rulebook", "RulebookError",
           "default_rulebook"]

DEFAULT_RULES = "eligibility.yaml"
STATUSES = ("verified", "unverified")
_RULE_KEYS = ("id", "route", "requires", "reason", "source", "status")
_CHANNEL_KEYS = ("route", "title", "min_accounts_param", "buyers", "re_transfer_allowed", "buyer_note", "source")


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

    @property
    def text(self) -> str:
        """The reason shown for a loan that fails the rule, with the rule's id and source."""
        return f"{self.reason} [{self.id}; {self.source}]"


@dataclass(frozen=True)
class RouteVerdict:
    """The rules of one route on a loan frame: per rule (rulebook order), the loans that fail it."""

    route: str
    failures: tuple[tuple[Rule, Mask], ...]
    n: int
    facts: LoanFacts | None = field(default=None, compare=False, repr=False)  # what the rules read

    @property
    def eligible(self) -> Mask:
        ok = np.ones(self.n, dtype=bool)
        for _, failed in self.failures:
            ok &= ~failed
        return ok

    def reasons(self) -> npt.NDArray[np.object_]:
        """Every failed rule's text per loan, joined with "; " (None where every rule holds)."""
        out = np.full(self.n, None, dtype=object)
        for rule, failed in self.failures:
            first = failed & pd.isna(out)
            out[first] = rule.text
            more = failed & ~first
            if more.any():
                out[more] = out[more] + "; " + rule.text
        return out


@dataclass(frozen=True)
class Rulebook:
    version: str
    parameters: dict[str, Any]
    parameter_sources: dict[str, str]
    rules: tuple[Rule, ...]
    channels: dict[str, Channel] = field(default_factory=dict)
    origin: str = field(default="<mapping>", compare=False)

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Rulebook:
        """Load the rulebook (the packaged default, or `path`), with parameter `overrides`."""
        if path is None:
            book = default_rulebook()
            return book.with_parameters(overrides) if overrides else book
        p = Path(path)
        if not p.is_file():
            raise RulebookError(f"eligibility rulebook {p} not found")
        return cls.from_mapping(_parse(p.read_text("utf-8"), str(p)), origin=str(p), overrides=overrides)

    @classmethod
    def from_mapping(cls, data: Any, *, origin: str = "<mapping>",
                     overrides: Mapping[str, Any] | None = None) -> Rulebook:
        if not isinstance(data, Mapping) or "rules" not in data:
            raise RulebookError(f"{origin}: an eligibility rulebook is a mapping with a 'rules' list")
        _no_unknown(data, ("version", "parameters", "channels", "rules"), f"{origin}: the rulebook")
        params, sources = _parameters(data.get("parameters") or {}, origin)
        channels = _channels(data.get("channels") or {}, params, origin)
        if not isinstance(data["rules"], list):
            raise RulebookError(f"{origin}: 'rules' must be a list of rules")
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, raw in enumerate(data["rules"]):
            rules.append(_rule(raw, i, params, seen, origin))
        book = cls(version=str(data.get("version", "")), parameters=params, parameter_sources=sources,
                   rules=tuple(rules), channels=channels, origin=origin)
        return book.with_parameters(overrides) if overrides else book

    def with_parameters(self, overrides: Mapping[str, Any], *,
                        source: str = "overridden by the bank") -> Rulebook:
        """A copy with some parameter values replaced, each of the type of the value it replaces."""
        params, sources = dict(self.parameters), dict(self.parameter_sources)
        for name, value in overrides.items():
            if name not in params:
                raise RulebookError(f"unknown eligibility parameter {name!r}; known: {', '.join(sorted(params))}")
            _check_type(name, value, params[name], "eligibility parameter")
            params[name] = value
            sources[name] = f"{self.parameter_sources[name]} ({source}: {value!r})"
        for code, channel in self.channels.items():
            if channel.min_accounts_param is not None:
                _check_min_accounts(params[channel.min_accounts_param], channel.min_accounts_param, code, "override")
        return Rulebook(self.version, params, sources, self.rules, self.channels, self.origin)

    # -- identity ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The rulebook as its YAML document (parameters with their current values)."""
        return {
            "version": self.version,
            "parameters": {k: {"value": v, "source": self.parameter_sources[k]} for k, v in self.parameters.items()},
            "channels": {c.code: {"route": c.route, "title": c.title, "min_accounts_param": c.min_accounts_param,
                                  "buyers": list(c.buyers), "re_transfer_allowed": c.re_transfer_allowed,
                                  "buyer_note": c.buyer_note, "source": c.source} for c in self.channels.values()},
            "rules": [{"id": r.id, "route": r.route, "requires": _plain(r.requires), "reason": r.reason,
                       "source": r.source, "status": r.status} for r in self.rules],
        }

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- evaluation ----------------------------------------------------------------------------
    def check(self, loans: pd.DataFrame | LoanFacts, routes: Sequence[str] = ROUTES) -> dict[str, RouteVerdict]:
        """Per route, which loans fail which of its rules; each field is read once for all routes."""
        fields = loans if isinstance(loans, LoanFacts) else LoanFacts(loans)
        cache: dict[str, Mask] = {}
        out = {}
        for route in routes:
            failures = []
            for rule in self.rules:
                if rule.applies_to(route):
                    if rule.id not in cache:
                        cache[rule.id] = ~evaluate_condition(rule.requires, fields, self.parameters)
                    failures.append((rule, cache[rule.id]))
            out[route] = RouteVerdict(route, tuple(failures), fields.n, fields)
        return out

    def evaluate(self, loans: pd.DataFrame, routes: tuple[str, ...] = ROUTES) -> pd.DataFrame:
        """One row per (loan_id, route): `eligible` and `reason` (every failed rule's text, joined)."""
        verdicts = self.check(loans, routes)
        frames = [pd.DataFrame({"loan_id": loans["loan_id"].to_numpy(), "route": route,
                                "eligible": verdicts[route].eligible, "reason": verdicts[route].reasons()})
                  for route in routes]
        return pd.concat(frames, ignore_index=True)

    def channel_of(self, loans: pd.DataFrame | LoanFacts, route: str) -> npt.NDArray[np.object_]:
        """The sale channel each loan would use on `route` (bulk: AMC batch or pilot personal batch)."""
        fields = loans if isinstance(loans, LoanFacts) else LoanFacts(loans)
        retail = fields.flag("is_retail_product") | fields.isin("counterparty_type", ["individual"])
        if route == "bulk_transfer":
            out = np.full(fields.n, "amc_batch", dtype=object)
            out[retail] = "pilot_retail_batch"
            return out
        if route == "single_transfer":
            return np.full(fields.n, "pilot_single_corporate", dtype=object)
        return np.full(fields.n, "", dtype=object)

    def channels_of_route(self, route: str) -> tuple[Channel, ...]:
        return tuple(c for c in self.channels.values() if c.route == route)

    def min_accounts(self, channel: str) -> int:
        spec = self.channels.get(channel)
        if spec is None or spec.min_accounts_param is None:
            return 1
        return int(self.parameters[spec.min_accounts_param])

    def describe(self) -> list[dict[str, str]]:
        """The rules as a table for reports: id, route, reason, source, status."""
        return [{"id": r.id, "route": r.route, "reason": r.reason, "source": r.source, "status": r.status}
                for r in self.rules]


@lru_cache(maxsize=1)
def default_rulebook() -> Rulebook:
    """The packaged rulebook (`nplhub/valuation/rules/eligibility.yaml`), loaded once."""
    origin = f"nplhub/valuation/rules/{DEFAULT_RULES}"
    text = resources.files("nplhub.valuation").joinpath("rules", DEFAULT_RULES).read_text("utf-8")
    return Rulebook.from_mapping(_parse(text, origin), origin=origin)


# -- loading helpers ---------------------------------------------------------------------------
def _parse(text: str, origin: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{origin}: not valid YAML: {exc}") from None


def _no_unknown(mapping: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    unknown = [str(k) for k in mapping if k not in allowed]
    if unknown:
        raise RulebookError(f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; "
                            f"allowed: {', '.join(allowed)}")


def _check_type(name: str, value: Any, like: Any, what: str) -> None:
    if isinstance(like, bool) and not isinstance(value, bool):
        raise RulebookError(f"{what} {name!r} is a yes/no value (true or false), got {value!r}")
    if not isinstance(like, bool) and isinstance(like, int | float) and (
            isinstance(value, bool) or not isinstance(value, int | float)):
        raise RulebookError(f"{what} {name!r} is a number, got {value!r}")


def _check_min_accounts(value: Any, param: str, channel: str, origin: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RulebookError(f"{origin}: parameter {param!r} (minimum accounts of channel {channel!r}) must be a "
                            f"whole number of at least 1, got {value!r}")


def _parameters(raw: Any, origin: str) -> tuple[dict[str, Any], dict[str, str]]:
    if not isinstance(raw, Mapping):
        raise RulebookError(f"{origin}: 'parameters' must be a mapping of name: {{value, source}}")
    params: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, spec in raw.items():
        if not isinstance(spec, Mapping) or "value" not in spec or not str(spec.get("source") or "").strip():
            raise RulebookError(f"{origin}: parameter {name!r} needs a 'value' and a 'source'")
        _no_unknown(spec, ("value", "source"), f"{origin}: parameter {name!r}")
        if not isinstance(spec["value"], bool | int | float):
            raise RulebookError(f"{origin}: parameter {name!r} must be a number or true/false, got {spec['value']!r}")
        params[str(name)] = spec["value"]
        sources[str(name)] = str(spec["source"])
    return params, sources


def _channels(raw: Any, params: Mapping[str, Any], origin: str) -> dict[str, Channel]:
    if not isinstance(raw, Mapping):
        raise RulebookError(f"{origin}: 'channels' must be a mapping of code: channel")
    out = {}
    for code, c in raw.items():
        where = f"{origin}: channel {code!r}"
        if not isinstance(c, Mapping):
            raise RulebookError(f"{where} must be a mapping")
        _no_unknown(c, _CHANNEL_KEYS, where)
        missing = [k for k in ("route", "title", "source") if k not in c]
        if missing:
            raise RulebookError(f"{where} lacks {', '.join(missing)}")
        if c["route"] not in ROUTES:
            raise RulebookError(f"{where} names unknown route {c['route']!r}; routes: {', '.join(ROUTES)}")
        param = c.get("min_accounts_param")
        if param is not None:
            if param not in params:
                raise RulebookError(f"{where}: min_accounts_param {param!r} is not a parameter of the rulebook")
            _check_min_accounts(params[param], param, str(code), origin)
        out[str(code)] = Channel(code=str(code), route=str(c["route"]), title=str(c["title"]),
                                 min_accounts_param=param, buyers=tuple(c.get("buyers") or ()),
                                 re_transfer_allowed=bool(c.get("re_transfer_allowed", True)),
                                 buyer_note=str(c.get("buyer_note", "")), source=str(c["source"]))
    return out


def _rule(raw: Any, i: int, params: Mapping[str, Any], seen: set[str], origin: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise RulebookError(f"{origin}: rule #{i + 1} must be a mapping with {', '.join(_RULE_KEYS)}")
    name = f"rule #{i + 1}" + (f" {raw['id']!r}" if "id" in raw else "")
    _no_unknown(raw, _RULE_KEYS, f"{origin}: {name}")
    missing = [k for k in _RULE_KEYS[:5] if not str(raw.get(k) or "").strip()]
    if missing:
        raise RulebookError(f"{origin}: {name} lacks {', '.join(missing)} (every rule cites its source)")
    if raw["route"] != "*" and raw["route"] not in ROUTES:
        raise RulebookError(f"{origin}: {name} names unknown route {raw['route']!r}; routes: *, {', '.join(ROUTES)}")
    status = str(raw.get("status", "verified"))
    if status not in STATUSES:
        raise RulebookError(f"{origin}: {name} has status {status!r}; expected {' or '.join(STATUSES)}")
    if raw["id"] in seen:
        raise RulebookError(f"{origin}: duplicate rule id {raw['id']!r}")
    seen.add(str(raw["id"]))
    check_condition(raw["requires"], params, f"{origin}: {name}", "requires")
    return Rule(id=str(raw["id"]), route=str(raw["route"]), requires=raw["requires"], reason=str(raw["reason"]),
                source=str(raw["source"]), status=status)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- evaluation helpers ------------------------------------------------------------------------
