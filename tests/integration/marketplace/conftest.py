"""Fixtures of the marketplace integration tests: a migrated database, a clock, a listing with bidders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nplhub import storage
from nplhub.marketplace.investors import Channel, Investor, InvestorType
from nplhub.marketplace.listing import AssetClass, PoolAsset
from nplhub.services import marketplace as svc
from nplhub.storage.db import make_engine
from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DOCS = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})


class FakeClock:
    """A settable server clock (the services read it; the rules never do)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def corporate_assets(n: int, region: str = "110105", prefix: str = "L") -> list[PoolAsset]:
    return [PoolAsset(f"{prefix}{i:04d}", AssetClass.CORPORATE, Decimal(1_000_000 + 1000 * i), Decimal(50_000),
                      400 + i, region, "commercial" if i % 2 else None, f"C{i:04d}") for i in range(n)]


@pytest.fixture
def engine(migrated_url: str) -> Iterator[object]:
    storage.load_adapters()
    eng = make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def uow(engine: object) -> Callable[..., SqlAlchemyUnitOfWork]:
    def factory(**kwargs: object) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, **kwargs)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def draft(**overrides: object) -> svc.ListingDraft:
    values: dict[str, object] = dict(
        title="北京对公不良资产包 2026-1", seller="Bank of Test", seller_code="BOT", channel=Channel.COMMERCIAL,
        assets=corporate_assets(5), starting_price=Decimal("1000000"), increment=Decimal("10000"),
        opens_at=T0 + timedelta(hours=1), closes_at=T0 + timedelta(days=1, hours=1))
    values.update(overrides)
    return svc.ListingDraft(**values)  # type: ignore[arg-type]


def onboard(uow: Callable[..., SqlAlchemyUnitOfWork], clock: FakeClock, ids: list[str],
            investor_type: InvestorType = InvestorType.NATIONAL_AMC, province: str | None = None) -> None:
    for i in ids:
        svc.onboard_investor(uow(), Investor(i, f"Investor {i}", investor_type, province, DOCS), clock=clock)


class MarketKit:
    """Builders for the tests (pytest's importlib mode cannot import conftest as a module)."""

    T0 = T0
    draft = staticmethod(draft)
    onboard = staticmethod(onboard)
    corporate_assets = staticmethod(corporate_assets)


@pytest.fixture
def kit() -> type[MarketKit]:
    return MarketKit
