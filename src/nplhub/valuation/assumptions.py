"""The versioned assumption set: every number the engine uses, each with its source.

An assumption set is a YAML document of sections; every leaf assumption is a mapping
`{value: ..., source: "..."}`. Loading checks that each assumption has a source and that the
rules of law hold (法释〔2016〕18号: first start ≥ 70% of the reference price, second cut ≤ 20%).

The set carries the eligibility rulebook (`eligibility.Rulebook`, the packaged one unless another
is given): the law of disposal routes and its parameters (batch minimums, the transfer pilot, the
write-off thresholds) live there and nowhere else, so an assumption file may not set them. Keys
`eligibility.<parameter>` in `with_values` override a rulebook parameter.
The set's identity is its `name`, `version` and the SHA-256 of its canonical content and of the
rulebook, which every valuation run stores beside its results.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from nplhub.valuation.eligibility import Rulebook, RulebookError, default_rulebook

META_KEYS = frozenset({"name", "version", "currency"})
RULEBOOK_SECTION = "eligibility"
# numbers an assumption set once held that the rulebook now holds: one source for each number
MOVED_TO_RULEBOOK = {
    "transfer.minimum_package": "parameter bulk_min_accounts (and pilot_retail_batch_min_accounts)",
    "transfer.pilot_retail_products": "rule bulk-transfer-no-personal-loans",
    "write_off.minimum_days_past_due": "parameter write_off_min_days_past_due",
}


class AssumptionError(ValueError):
    """An assumption set that cannot be used: says which key and why."""


@dataclass(frozen=True)
class AssumptionSet:
    name: str
    version: str
    currency: str
    sections: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(repr=False)
    rulebook: Rulebook = field(default_factory=default_rulebook, repr=False)

    # -- access -------------------------------------------------------------------------------
    def value(self, key: str) -> Any:
        """The value of `section.name`, e.g. `value("discount.spread")`."""
        return self._entry(key)["value"]

    def source(self, key: str) -> str:
        return str(self._entry(key)["source"])

    def keys(self) -> Iterator[str]:
        for section, entries in self.sections.items():
            for name in entries:
                yield f"{section}.{name}"

    def _entry(self, key: str) -> Mapping[str, Any]:
        section, _, name = key.partition(".")
        try:
            return self.sections[section][name]
        except KeyError:
            raise AssumptionError(f"unknown assumption {key!r}") from None

    @property
    def discount_rate(self) -> float:
        """Annual discount rate: the interbank rate plus the spread (EBA/GL/2017/16 para 143)."""
        return float(self.value("discount.interbank_rate")) + float(self.value("discount.spread"))

    @property
    def digest(self) -> str:
        canonical = json.dumps(
            {"name": self.name, "version": self.version, "currency": self.currency, "sections": self.sections,
             "rulebook": self.rulebook.digest},
            sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- change -------------------------------------------------------------------------------
    def with_values(self, overrides: Mapping[str, Any], *, source: str = "override") -> AssumptionSet:
        """A copy with some values replaced (sensitivities, scenarios, user overrides); validated.

        `eligibility.<parameter>` replaces a parameter of the rulebook."""
        sections = copy.deepcopy({k: dict(v) for k, v in self.sections.items()})
        rule_params: dict[str, Any] = {}
        for key, value in overrides.items():
            section, _, name = key.partition(".")
            if section == RULEBOOK_SECTION:
                rule_params[name] = value
                continue
            if key in MOVED_TO_RULEBOOK:
                raise AssumptionError(_moved(key))
            if section not in sections or name not in sections[section]:
                raise AssumptionError(f"unknown assumption {key!r}")
            sections[section][name] = {"value": value, "source": source}
        try:
            rulebook = self.rulebook.with_parameters(rule_params, source=source) if rule_params else self.rulebook
        except RulebookError as exc:
            raise AssumptionError(str(exc)) from None
        result = AssumptionSet(self.name, f"{self.version}+override", self.currency, sections, rulebook)
        validate(result)
        return result

    def with_rulebook(self, rulebook: Rulebook) -> AssumptionSet:
        """The same assumptions judged by another eligibility rulebook."""
        return AssumptionSet(self.name, self.version, self.currency, self.sections, rulebook)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version, "currency": self.currency}
        out.update(copy.deepcopy({k: dict(v) for k, v in self.sections.items()}))
        return out


def _moved(key: str) -> str:
    return (f"assumption {key!r} is no longer an assumption: the eligibility rulebook holds it "
            f"({MOVED_TO_RULEBOOK[key]} in nplhub/valuation/rules/eligibility.yaml); set it there or "
            f"override it as eligibility.<parameter>, and remove it from the assumption file")


def parse_assumptions(document: Mapping[str, Any], *, where: str = "<assumptions>",
                      rulebook: Rulebook | None = None) -> AssumptionSet:
    """Build and validate a set from a parsed YAML mapping (judged by `rulebook`, default the packaged one)."""
    if not isinstance(document, Mapping):
        raise AssumptionError(f"{where}: the assumption set must be a mapping of sections")
    missing = [k for k in ("name", "version") if k not in document]
    if missing:
        raise AssumptionError(f"{where}: missing {', '.join(missing)}")
    sections: dict[str, dict[str, Mapping[str, Any]]] = {}
    for section, entries in document.items():
        if section in META_KEYS:
            continue
        if not isinstance(entries, Mapping):
            raise AssumptionError(f"{where}: section {section!r} must be a mapping of assumptions")
        if section == RULEBOOK_SECTION:
            raise AssumptionError(f"{where}: section {section!r} belongs to the eligibility rulebook "
                                  "(nplhub/valuation/rules/eligibility.yaml), not to an assumption set")
        sections[section] = {}
        for name, entry in entries.items():
            key = f"{section}.{name}"
            if key in MOVED_TO_RULEBOOK:
                raise AssumptionError(f"{where}: {_moved(key)}")
            if not isinstance(entry, Mapping) or "value" not in entry:
                raise AssumptionError(f"{where}: assumption {key!r} must be a mapping with `value` and `source`")
            if not str(entry.get("source") or "").strip():
                raise AssumptionError(f"{where}: assumption {key!r} has no source: write where the number comes from")
            sections[section][name] = dict(entry)
    result = AssumptionSet(str(document["name"]), str(document["version"]),
                           str(document.get("currency", "CNY")), sections, rulebook or default_rulebook())
    validate(result, where=where)
    return result


def load_assumptions(path: str | Path | None = None, *, rules: str | Path | None = None) -> AssumptionSet:
    """The named YAML file, or the packaged default set when `path` is None, judged by the rulebook
    at `rules` (default: the packaged rulebook)."""
    if path is None:
        text = resources.files("nplhub.valuation").joinpath("assumptions/default.yaml").read_text("utf-8")
        where = "assumptions/default.yaml"
    else:
        p = Path(path)
        if not p.is_file():
            raise AssumptionError(f"assumption file {p} not found")
        text, where = p.read_text("utf-8"), str(p)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AssumptionError(f"{where}: not valid YAML: {exc}") from None
    try:
        rulebook = Rulebook.load(rules)
    except RulebookError as exc:
        raise AssumptionError(str(exc)) from None
    return parse_assumptions(document, where=where, rulebook=rulebook)


def validate(a: AssumptionSet, *, where: str = "<assumptions>") -> None:
    """Rules of law and of arithmetic that any assumption set must respect."""
    required = [
        "discount.interbank_rate", "discount.spread", "collateral.haircut", "judicial_auction.first_start_ratio",
        "judicial_auction.second_cut", "judicial_auction.sale_probability", "transfer.bulk_price_curve",
        "transfer.single_price_curve", "montecarlo.paths",
    ]
    for key in required:
        a.value(key)
    start = float(a.value("judicial_auction.first_start_ratio"))
    if start < 0.70:
        raise AssumptionError(
            f"{where}: judicial_auction.first_start_ratio = {start} is below 0.70: 法释〔2016〕18号 第10条 "
            "sets the first start price at no less than 70% of the reference price")
    cut = float(a.value("judicial_auction.second_cut"))
    if not 0.0 <= cut <= 0.20:
        raise AssumptionError(
            f"{where}: judicial_auction.second_cut = {cut} is outside [0, 0.20]: 法释〔2016〕18号 第26条 allows "
            "a re-auction at most 20% below the previous start price")
    for ctype, probs in dict(a.value("judicial_auction.sale_probability")).items():
        if len(probs) != 3 or not all(0.0 <= float(p) <= 1.0 for p in probs):
            raise AssumptionError(
                f"{where}: judicial_auction.sale_probability.{ctype} must be three probabilities (round 1, "
                "round 2, sell-off) in [0, 1]")
    for curve in ("transfer.bulk_price_curve", "transfer.single_price_curve"):
        points = a.value(curve)
        xs, ys = list(points["coverage"]), list(points["price"])
        if len(xs) != len(ys) or len(xs) < 2 or any(x1 <= x0 for x0, x1 in zip(xs, xs[1:])):
            raise AssumptionError(f"{where}: {curve} needs increasing coverage points, one price each")
    for ctype, h in dict(a.value("collateral.haircut")).items():
        if not 0.0 <= float(h) < 1.0:
            raise AssumptionError(f"{where}: collateral.haircut.{ctype} = {h} must be in [0, 1)")
    if int(a.value("montecarlo.paths")) < 1:
        raise AssumptionError(f"{where}: montecarlo.paths must be at least 1")
