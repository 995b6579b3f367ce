"""The judicial flow of 《最高人民法院关于人民法院网络司法拍卖若干问题的规定》 法释〔2016〕18号.

Every rule is a named, configurable parameter with its article (`JudicialRules.table()` lists
them). The flow: first auction (start ≥ 70% of the reference price, reserve = start, one valid
bid suffices) → on failure (流拍) a second auction within 30 days at most 20% lower → after a
second failure a 60-day sell-off (变卖) at the second starting price, or the asset taken in payment
(以物抵债) by a creditor at that price. Preemption holders win at an equal price (第21条).
Platform practice that the text does not fix (the 60-day 变卖, the 24-hour countdown) is marked
as such (domain reference §2.4–2.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from nplhub.domain.errors import DomainError, InvalidTransition
from nplhub.marketplace.auction import AuctionFormat, AuctionRules
from nplhub.marketplace.deposits import DepositRule


def _p(value: object, article: str, text: str) -> object:
    return field(default=value, metadata={"article": article, "text": text})


@dataclass(frozen=True)
class JudicialRules:
    start_floor_ratio: Decimal = _p(Decimal("0.70"), "第10条", "起拍价不得低于参考价的百分之七十")  # type: ignore[assignment]
    reserve_equals_start: bool = _p(True, "第10条", "保留价即为起拍价")  # type: ignore[assignment]
    min_bidders: int = _p(1, "第11条", "一人参与竞拍、出价不低于起拍价的，拍卖成交")  # type: ignore[assignment]
    notice_days_movable: int = _p(15, "第12条", "动产拍卖公告期不少于十五日")  # type: ignore[assignment]
    notice_days_real_estate: int = _p(30, "第12条", "不动产、其他财产权拍卖公告期不少于三十日")  # type: ignore[assignment]
    deposit_min_ratio: Decimal = _p(Decimal("0.05"), "第17条", "保证金数额在起拍价的百分之五至百分之二十范围内确定")  # type: ignore[assignment]
    deposit_max_ratio: Decimal = _p(Decimal("0.20"), "第17条", "同上")  # type: ignore[assignment]
    min_duration: timedelta = _p(timedelta(hours=24), "第20条", "竞价时间不得少于二十四小时")  # type: ignore[assignment]
    soft_close_window: timedelta = _p(timedelta(minutes=5), "第20条", "竞价程序结束前五分钟内无人出价的，最后出价即为成交价")  # type: ignore[assignment]
    extension: timedelta = _p(timedelta(minutes=5), "第20条", "有出价的，竞价时间自该出价时点顺延五分钟")  # type: ignore[assignment]
    increments_on_grid: bool = _p(True, "第20条、第27条", "加价幅度由人民法院确定，出价为当前价加整数倍加价幅度（平台惯例）")  # type: ignore[assignment]
    preemptor_wins_at_equal_price: bool = _p(True, "第21条", "优先购买权人以相同价格出价，没有更高出价的，拍归优先购买权人")  # type: ignore[assignment]
    deposit_release_within: timedelta = _p(timedelta(hours=24), "第23条、第25条", "未竞得者保证金在竞价程序结束后二十四小时内退还或解冻")  # type: ignore[assignment]
    relist_within_days: int = _p(30, "第26条", "流拍的，应当在三十日内在同一网络司法拍卖平台再次拍卖")  # type: ignore[assignment]
    relist_max_cut: Decimal = _p(Decimal("0.20"), "第26条", "再次拍卖的起拍价降价幅度不得超过前次起拍价的百分之二十")  # type: ignore[assignment]
    relist_notice_days_movable: int = _p(7, "第26条", "再次拍卖的动产公告期为七日")  # type: ignore[assignment]
    relist_notice_days_real_estate: int = _p(15, "第26条", "再次拍卖的不动产公告期为十五日")  # type: ignore[assignment]
    sell_off_days: int = _p(60, "第26条第2款、第37条（平台惯例，secondary）", "再次流拍的，可以依法在同一平台变卖；变卖期六十日")  # type: ignore[assignment]
    sell_off_countdown: timedelta = _p(timedelta(hours=24), "第37条（平台惯例，secondary）", "变卖首次出价后进入二十四小时竞价期")  # type: ignore[assignment]
    defaulter_barred: bool = _p(True, "第24条", "悔拍的，保证金不予退还，且不得参加该标的物的竞买")  # type: ignore[assignment]

    @staticmethod
    def table() -> list[dict[str, str]]:
        """Every parameter with its default value, article and rule text."""
        rules = JudicialRules()
        return [{"name": f.name, "value": str(getattr(rules, f.name)), "article": f.metadata["article"],
                 "text": f.metadata["text"]} for f in fields(JudicialRules)]

    def article(self, name: str) -> str:
        for f in fields(self):
            if f.name == name:
                return str(f.metadata["article"])
        raise KeyError(name)

    def deposit_rule(self, rate: Decimal = Decimal("0.10")) -> DepositRule:
        return DepositRule(rate=rate, min_rate=self.deposit_min_ratio, max_rate=self.deposit_max_ratio,
                           release_within=self.deposit_release_within,
                           source=f"法释〔2016〕18号 {self.article('deposit_min_ratio')}")


class Violation(DomainError):
    """A judicial rule broken; `article` cites it."""

    def __init__(self, rule: str, article: str, message: str) -> None:
        super().__init__(f"{message} (法释〔2016〕18号 {article})")
        self.rule = rule
        self.article = article


def minimum_start(reference_price: Decimal, rules: JudicialRules = JudicialRules()) -> Decimal:
    return (reference_price * rules.start_floor_ratio).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


@dataclass(frozen=True)
class JudicialTerms:
    """The terms of one judicial auction round, checked against the rules."""

    reference_price: Decimal
    starting_price: Decimal
    increment: Decimal
    deposit: Decimal
    notice_at: datetime
    opens_at: datetime
    closes_at: datetime
    real_estate: bool = True
    round: int = 1
    previous_start: Decimal | None = None
    previous_failed_at: datetime | None = None

    def violations(self, rules: JudicialRules = JudicialRules()) -> list[Violation]:
        out: list[Violation] = []
        if self.round == 1 and self.starting_price < self.reference_price * rules.start_floor_ratio:
            out.append(Violation("start_floor_ratio", rules.article("start_floor_ratio"),
                                 f"starting price {self.starting_price} is below {rules.start_floor_ratio:.0%} of the "
                                 f"reference price {self.reference_price}"))
        lo, hi = self.starting_price * rules.deposit_min_ratio, self.starting_price * rules.deposit_max_ratio
        if not lo <= self.deposit <= hi:
            out.append(Violation("deposit_min_ratio", rules.article("deposit_min_ratio"),
                                 f"deposit {self.deposit} is outside {rules.deposit_min_ratio:.0%}–"
                                 f"{rules.deposit_max_ratio:.0%} of the starting price"))
        if self.closes_at - self.opens_at < rules.min_duration:
            out.append(Violation("min_duration", rules.article("min_duration"),
                                 f"bidding lasts {self.closes_at - self.opens_at}, less than {rules.min_duration}"))
        if self.round == 1:
            days = rules.notice_days_real_estate if self.real_estate else rules.notice_days_movable
            name = "notice_days_real_estate" if self.real_estate else "notice_days_movable"
        else:
            days = rules.relist_notice_days_real_estate if self.real_estate else rules.relist_notice_days_movable
            name = "relist_notice_days_real_estate" if self.real_estate else "relist_notice_days_movable"
        if self.opens_at - self.notice_at < timedelta(days=days):
            out.append(Violation(name, rules.article(name),
                                 f"the notice was published {(self.opens_at - self.notice_at).days} days before "
                                 f"bidding opens; at least {days} days are required"))
        if self.round >= 2:
            if self.previous_start is None or self.previous_failed_at is None:
                raise DomainError("a second auction needs the previous starting price and failure time")
            if self.starting_price < self.previous_start * (1 - rules.relist_max_cut):
                out.append(Violation("relist_max_cut", rules.article("relist_max_cut"),
                                     f"starting price {self.starting_price} is more than {rules.relist_max_cut:.0%} "
                                     f"below the previous start {self.previous_start}"))
            if self.opens_at - self.previous_failed_at > timedelta(days=rules.relist_within_days):
                out.append(Violation("relist_within_days", rules.article("relist_within_days"),
                                     f"the re-auction opens more than {rules.relist_within_days} days after the failure"))
        return out

    def auction_rules(self, rules: JudicialRules = JudicialRules()) -> AuctionRules:
        problems = self.violations(rules)
        if problems:
            raise problems[0]
        return AuctionRules(
            format=AuctionFormat.ENGLISH, starting_price=self.starting_price,
            reserve=self.starting_price if rules.reserve_equals_start else Decimal(0),
            increment=self.increment, opens_at=self.opens_at, closes_at=self.closes_at,
            soft_close_window=rules.soft_close_window, extension=rules.extension,
            on_increment_grid=rules.increments_on_grid)


class JudicialStage(StrEnum):
    FIRST_AUCTION = "auction_1"     # 一拍
    SECOND_AUCTION = "auction_2"    # 二拍
    SELL_OFF = "sell_off"           # 变卖
    SOLD = "sold"
    IN_KIND = "in_kind"             # 以物抵债
    RELEASED = "released"           # 解除查封 / 退回


@dataclass(frozen=True)
class JudicialCase:
    """Where an asset stands in the judicial ladder, with the prices each step allows."""

    case_id: str
    reference_price: Decimal
    stage: JudicialStage = JudicialStage.FIRST_AUCTION
    first_start: Decimal | None = None
    second_start: Decimal | None = None
    failed_at: datetime | None = None
    barred: frozenset[str] = frozenset()

    def default_first_start(self, rules: JudicialRules = JudicialRules()) -> Decimal:
        return minimum_start(self.reference_price, rules)

    def start_first(self, start: Decimal, rules: JudicialRules = JudicialRules()) -> JudicialCase:
        if self.stage is not JudicialStage.FIRST_AUCTION:
            raise InvalidTransition(f"case {self.case_id} is at {self.stage.value}")
        if start < self.reference_price * rules.start_floor_ratio:
            raise Violation("start_floor_ratio", rules.article("start_floor_ratio"),
                            f"starting price {start} is below {rules.start_floor_ratio:.0%} of {self.reference_price}")
        return replace(self, first_start=start)

    def minimum_relist_start(self, rules: JudicialRules = JudicialRules()) -> Decimal:
        if self.first_start is None:
            raise InvalidTransition("no first auction was held")
        return (self.first_start * (1 - rules.relist_max_cut)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)

    def relist_deadline(self, rules: JudicialRules = JudicialRules()) -> datetime:
        if self.failed_at is None:
            raise InvalidTransition("the auction has not failed")
        days = rules.relist_within_days if self.stage is JudicialStage.SECOND_AUCTION else rules.sell_off_days
        return self.failed_at + timedelta(days=days)

    def failed(self, at: datetime) -> JudicialCase:
        """流拍: the first failure leads to the second auction, the second to the sell-off."""
        if self.stage is JudicialStage.FIRST_AUCTION:
            if self.first_start is None:
                raise InvalidTransition("the first auction never started")
            return replace(self, stage=JudicialStage.SECOND_AUCTION, failed_at=at)
        if self.stage is JudicialStage.SECOND_AUCTION:
            if self.second_start is None:
                raise InvalidTransition("the second auction never started")
            return replace(self, stage=JudicialStage.SELL_OFF, failed_at=at)
        if self.stage is JudicialStage.SELL_OFF:
            return replace(self, stage=JudicialStage.RELEASED, failed_at=at)
        raise InvalidTransition(f"case {self.case_id} is {self.stage.value}; nothing can fail")

    def start_second(self, start: Decimal, at: datetime, rules: JudicialRules = JudicialRules()) -> JudicialCase:
        if self.stage is not JudicialStage.SECOND_AUCTION:
            raise InvalidTransition(f"case {self.case_id} is at {self.stage.value}, not awaiting a re-auction")
        if start < self.minimum_relist_start(rules):
            raise Violation("relist_max_cut", rules.article("relist_max_cut"),
                            f"second starting price {start} is below {self.minimum_relist_start(rules)}")
        if at > self.relist_deadline(rules):
            raise Violation("relist_within_days", rules.article("relist_within_days"),
                            f"the re-auction starts after the deadline {self.relist_deadline(rules).isoformat()}")
        return replace(self, second_start=start)

    def sell_off_price(self) -> Decimal:
        """变卖价 = the second auction's starting price (platform practice)."""
        if self.stage is not JudicialStage.SELL_OFF or self.second_start is None:
            raise InvalidTransition(f"case {self.case_id} is not in the sell-off")
        return self.second_start

    def sold(self) -> JudicialCase:
        if self.stage not in (JudicialStage.FIRST_AUCTION, JudicialStage.SECOND_AUCTION, JudicialStage.SELL_OFF):
            raise InvalidTransition(f"case {self.case_id} is {self.stage.value}")
        return replace(self, stage=JudicialStage.SOLD)

    def taken_in_payment(self) -> tuple[JudicialCase, Decimal]:
        """以物抵债 after a failure, at that auction's reserve (the last starting price)."""
        if self.stage not in (JudicialStage.SECOND_AUCTION, JudicialStage.SELL_OFF):
            raise InvalidTransition("an asset is taken in payment only after a failed auction")
        price = self.second_start if self.stage is JudicialStage.SELL_OFF else self.first_start
        assert price is not None
        return replace(self, stage=JudicialStage.IN_KIND), price

    def defaulted(self, bidder_id: str, rules: JudicialRules = JudicialRules()) -> JudicialCase:
        """悔拍 (第24条): the defaulter is barred from the re-auction of this asset."""
        return replace(self, barred=self.barred | {bidder_id}) if rules.defaulter_barred else self
