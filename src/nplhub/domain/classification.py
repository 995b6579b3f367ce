"""The regulatory five-category classification (五级分类).

《商业银行金融资产风险分类办法》(2023) Art 6: normal, special mention, substandard, doubtful, loss;
the last three are non-performing (不良).
"""

from __future__ import annotations

from enum import StrEnum


class RiskClass(StrEnum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def rank(self) -> int:
        """0 for normal up to 4 for loss: a higher rank is a worse class."""
        return _ORDER.index(self)

    @property
    def is_non_performing(self) -> bool:
        return self.rank >= 2

    @property
    def chinese(self) -> str:
        return CHINESE_NAMES[self]

    @classmethod
    def parse(cls, text: str) -> RiskClass:
        """Accept the English code, the Chinese term (正常/关注/次级/可疑/损失) or 1..5."""
        key = str(text).strip()
        if key in _BY_ALIAS:
            return _BY_ALIAS[key]
        lowered = key.lower().replace(" ", "_").replace("-", "_")
        if lowered in _BY_ALIAS:
            return _BY_ALIAS[lowered]
        raise ValueError(f"unknown five-category class {text!r}")

    def worst(self, other: RiskClass) -> RiskClass:
        return self if self.rank >= other.rank else other


_ORDER = [
    RiskClass.NORMAL,
    RiskClass.SPECIAL_MENTION,
    RiskClass.SUBSTANDARD,
    RiskClass.DOUBTFUL,
    RiskClass.LOSS,
]

CHINESE_NAMES = {
    RiskClass.NORMAL: "正常",
    RiskClass.SPECIAL_MENTION: "关注",
    RiskClass.SUBSTANDARD: "次级",
    RiskClass.DOUBTFUL: "可疑",
    RiskClass.LOSS: "损失",
}

_BY_ALIAS: dict[str, RiskClass] = {}
for _i, _c in enumerate(_ORDER, start=1):
    _BY_ALIAS[_c.value] = _c
    _BY_ALIAS[CHINESE_NAMES[_c]] = _c
    _BY_ALIAS[CHINESE_NAMES[_c] + "类"] = _c
    _BY_ALIAS[str(_i)] = _c
_BY_ALIAS["pass"] = RiskClass.NORMAL
_BY_ALIAS["sm"] = RiskClass.SPECIAL_MENTION

ORDERED_CLASSES: tuple[RiskClass, ...] = tuple(_ORDER)
NON_PERFORMING: frozenset[RiskClass] = frozenset(c for c in _ORDER if c.is_non_performing)
