"""Classification rule sets as data: thresholds, floors, articles and a version.

Two rule sets ship with nplhub (`cn-2023`, the rule in force since 2023-07-01, and `cn-2007`, the
superseded guideline); a bank may load its own YAML file with the same keys. Every threshold
names the article it implements, so each reason the engine gives can cite it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from nplhub.domain.classification import RiskClass

SHIPPED_RULESETS = ("cn-2023", "cn-2007")
DEFAULT_RULESET = "cn-2023"


class RuleSetError(ValueError):
    """A rule set file is malformed: a missing key, an unknown class, a negative threshold."""


@dataclass(frozen=True)
class DpdFloor:
    days: int
    risk_class: RiskClass
    article: str = ""


@dataclass(frozen=True)
class EclFloor:
    ratio: float
    risk_class: RiskClass
    article: str = ""


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    title_zh: str = ""
    title_en: str = ""
    effective: date | None = None
    technical_delay_days: int = 7
    dpd_floors: tuple[DpdFloor, ...] = ()
    retail_dpd_floors: tuple[DpdFloor, ...] | None = None
    non_retail_npl_share: float | None = 0.10
    non_retail_npl_share_article: str = ""
    other_npl_floor: RiskClass | None = RiskClass.SPECIAL_MENTION
    other_npl_article: str = ""
    new_for_old_floor: RiskClass | None = RiskClass.SPECIAL_MENTION
    new_for_old_article: str = ""
    impaired_floor: RiskClass | None = RiskClass.SUBSTANDARD
    impaired_article: str = ""
    ecl_floors: tuple[EclFloor, ...] = ()
    restructured_floor: RiskClass | None = RiskClass.SPECIAL_MENTION
    restructured_article: str = ""
    observation_months: int = 12
    observation_instalments: int = 2
    restructured_missed_payment_floor: RiskClass | None = RiskClass.SUBSTANDARD
    restructured_missed_payment_article: str = ""
    upgrade_instalments: int = 2
    upgrade_months: int = 6
    upgrade_article: str = ""
    written_off_class: RiskClass = RiskClass.LOSS
    extra: dict[str, Any] = field(default_factory=dict)

    def floors_for(self, retail: bool) -> tuple[DpdFloor, ...]:
        if retail and self.retail_dpd_floors is not None:
            return self.retail_dpd_floors
        return self.dpd_floors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = [{"days" if isinstance(v, DpdFloor) else "ratio":
                          v.days if isinstance(v, DpdFloor) else v.ratio,
                          "class": v.risk_class.value, "article": v.article} for v in value]
            elif isinstance(value, RiskClass):
                value = value.value
            elif isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        return out


def _class(value: Any, key: str) -> RiskClass | None:
    if value is None:
        return None
    try:
        return RiskClass.parse(str(value))
    except ValueError as exc:
        raise RuleSetError(f"{key}: {exc}") from None


def _dpd_floors(items: Any, key: str) -> tuple[DpdFloor, ...]:
    floors = []
    for i, item in enumerate(items or []):
        try:
            days = int(item["days"])
            cls = _class(item["class"], f"{key}[{i}].class")
        except (KeyError, TypeError, ValueError) as exc:
            raise RuleSetError(f"{key}[{i}]: needs integer 'days' and a 'class' ({exc})") from None
        if days < 0 or cls is None:
            raise RuleSetError(f"{key}[{i}]: days must be >= 0 and class given")
        floors.append(DpdFloor(days, cls, str(item.get("article", ""))))
    return tuple(sorted(floors, key=lambda f: f.days))


def _ecl_floors(items: Any) -> tuple[EclFloor, ...]:
    floors = []
    for i, item in enumerate(items or []):
        try:
            ratio = float(item["ratio"])
            cls = _class(item["class"], f"ecl_floors[{i}].class")
        except (KeyError, TypeError, ValueError) as exc:
            raise RuleSetError(f"ecl_floors[{i}]: needs 'ratio' and 'class' ({exc})") from None
        if not 0 < ratio <= 1 or cls is None:
            raise RuleSetError(f"ecl_floors[{i}]: ratio must lie in (0, 1]")
        floors.append(EclFloor(ratio, cls, str(item.get("article", ""))))
    return tuple(sorted(floors, key=lambda f: f.ratio))


def ruleset_from_mapping(data: dict[str, Any]) -> RuleSet:
    if not isinstance(data, dict):
        raise RuleSetError("a rule set is a mapping of keys to values")
    for key in ("name", "version", "dpd_floors"):
        if key not in data:
            raise RuleSetError(f"rule set lacks the required key {key!r}")
    known = {f.name for f in fields(RuleSet)}
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            extra[key] = value
        elif key == "dpd_floors":
            kwargs[key] = _dpd_floors(value, key)
        elif key == "retail_dpd_floors":
            kwargs[key] = None if value is None else _dpd_floors(value, key)
        elif key == "ecl_floors":
            kwargs[key] = _ecl_floors(value)
        elif key.endswith("_floor") or key == "written_off_class":
            kwargs[key] = _class(value, key)
        elif key == "effective":
            kwargs[key] = value if isinstance(value, date) or value is None else date.fromisoformat(str(value))
        elif key == "non_retail_npl_share":
            kwargs[key] = None if value is None else float(value)
        elif key in ("technical_delay_days", "observation_months", "observation_instalments",
                     "upgrade_instalments", "upgrade_months"):
            kwargs[key] = int(value)
            if kwargs[key] < 0:
                raise RuleSetError(f"{key} must be >= 0, not {value}")
        else:
            kwargs[key] = "" if value is None else str(value)
    if kwargs.get("written_off_class") is None:
        kwargs["written_off_class"] = RiskClass.LOSS
    return RuleSet(**kwargs, extra=extra)


def load_ruleset(name_or_path: str | Path = DEFAULT_RULESET) -> RuleSet:
    """A shipped rule set by name (`cn-2023`, `cn-2007`) or a YAML file by path."""
    text: str
    if str(name_or_path) in SHIPPED_RULESETS:
        text = resources.files("nplhub.risk").joinpath("rulesets", f"{name_or_path}.yaml").read_text("utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise RuleSetError(
                f"unknown rule set {str(name_or_path)!r}: give one of {', '.join(SHIPPED_RULESETS)} or a YAML file"
            )
        text = path.read_text("utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetError(f"rule set {name_or_path}: not valid YAML ({exc})") from None
    return ruleset_from_mapping(data)
