"""The demo pipeline's marketplace step: list the demo packages, run auctions with simulated
investors, settle one sale, and ask the design advisor about a package.

Packages come from `ctx.results["strategy"]["packages"]` (mappings with `loan_ids`) when the
strategy step has run; otherwise a few are built from the snapshot's non-performing loans
(corporate loans for bulk transfer, personal credit loans as a retail batch, personal mortgage loans as
a commercial listing). A strategy package's expected price and reserve set the value and the start.
Investors' private values are the package's expected recovery (the valuation's NPV where it
exists, else 20% of the claim) times a lognormal factor; they bid by proxy up to their value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from nplhub.marketplace.auction import AuctionFormat, BidRejected
from nplhub.marketplace.investors import Channel, Investor, InvestorType
from nplhub.marketplace.listing import AssetClass, PoolAsset, asset_class_of
from nplhub.marketplace.simulate import ValueModel, advise
from nplhub.services import market_settlement as settle
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository
from nplhub.services.ports import SnapshotReader

DOCS = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})
NPL = ("substandard", "doubtful", "loss")


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _frames(ctx: Any) -> dict[str, pd.DataFrame]:
    with ctx.uow_factory() as uow:
        reader = uow.get(SnapshotReader)
        sid = ctx.snapshot_id or reader.latest_snapshot_id()
        if sid is None:
            raise LookupError("no snapshot: run the data hub step first")
        ctx.snapshot_id = sid
        return dict(reader.frames(sid, ["loans", "counterparties", "loan_collateral", "collateral"]))


def _assets(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    loans = frames["loans"]
    cps = frames["counterparties"][["counterparty_id", "counterparty_type", "region"]]
    df = loans.merge(cps, on="counterparty_id", how="left")
    lc, col = frames.get("loan_collateral"), frames.get("collateral")
    if lc is not None and col is not None and len(lc):
        first = lc.merge(col[["collateral_id", "collateral_type"]], on="collateral_id").drop_duplicates("loan_id")
        df = df.merge(first[["loan_id", "collateral_type"]], on="loan_id", how="left")
    else:
        df["collateral_type"] = None
    df = df[df["reported_class"].isin(NPL)].copy()
    df["interest"] = sum(df[c].fillna(0.0) for c in ("accrued_interest", "penalty_interest", "fees")
                         if c in df.columns)
    df = df[(df["outstanding_principal"] + df["interest"]) > 0]
    df["asset_class"] = [asset_class_of(p, t).value for p, t in zip(df["product"], df["counterparty_type"])]
    df["province"] = df["region"].astype(str).str[:2] + "0000"
    return df


def _pool_asset(row: Any) -> PoolAsset:
    ctype = row.collateral_type if isinstance(row.collateral_type, str) else None
    return PoolAsset(str(row.loan_id), AssetClass(row.asset_class), Decimal(str(round(row.outstanding_principal, 2))),
                     Decimal(str(round(row.interest, 2))), int(row.days_past_due), str(row.region), ctype,
                     str(row.counterparty_id))


STRATEGY_CHANNELS = {"amc_batch": Channel.BULK_TRANSFER, "pilot_retail_batch": Channel.RETAIL_BATCH,
                     "pilot_single_corporate": Channel.SINGLE_CORPORATE}


def _packages(ctx: Any, df: pd.DataFrame) -> list[tuple[str, Channel, pd.DataFrame, float | None, float | None]]:
    """(title, channel, loans, expected price, reserve) of each package to list."""
    strategy = ctx.results.get("strategy") or {}
    given = strategy.get("packages") if isinstance(strategy, dict) else None
    out: list[tuple[str, Channel, pd.DataFrame, float | None, float | None]] = []
    if given:
        for pkg in given:
            if not isinstance(pkg, dict):
                continue
            part = df[df["loan_id"].isin(set(pkg.get("loan_ids") or []))]
            channel = STRATEGY_CHANNELS.get(str(pkg.get("channel")), Channel.COMMERCIAL)
            if part.empty or (channel is not Channel.SINGLE_CORPORATE and len(part) < 3):
                continue
            expected = pkg.get("expected_price")
            reserve = pkg.get("reserve_price")
            out.append((f"{pkg.get('package_id', 'package')} {channel.value}", channel, part,
                        float(expected) if expected is not None else None,
                        float(reserve) if reserve is not None else None))
            if len(out) == 4:
                break
        if out:
            return out
    corporate = df[df["asset_class"] == "corporate"].sort_values("days_past_due")
    if len(corporate) >= 6:
        half = len(corporate) // 2
        out.append(("对公不良资产包 A (逾期较短)", Channel.BULK_TRANSFER, corporate.iloc[:half], None, None))
        out.append(("对公不良资产包 B (逾期较长)", Channel.BULK_TRANSFER, corporate.iloc[half:], None, None))
    elif len(corporate) >= 3:
        out.append(("对公不良资产包", Channel.BULK_TRANSFER, corporate, None, None))
    retail = df[df["asset_class"] == "personal_unsecured"]
    if len(retail) >= 3:
        out.append(("个人信用类不良贷款批量转让", Channel.RETAIL_BATCH, retail.head(400), None, None))
    mortgage = df[df["asset_class"] == "personal_mortgage"]
    if len(mortgage) >= 3:
        out.append(("个人抵押类不良资产包 (AMC 二次转让)", Channel.COMMERCIAL, mortgage.head(400), None, None))
    return out


def _expected_recovery(ctx: Any, part: pd.DataFrame) -> float:
    valuation = ctx.results.get("valuation") or {}
    frame = valuation.get("route_values") if isinstance(valuation, dict) else None
    claim = float((part["outstanding_principal"] + part["interest"]).sum())
    if isinstance(frame, pd.DataFrame) and len(frame):
        sub = frame[frame["loan_id"].isin(part["loan_id"]) & frame["eligible"].astype(bool)]
        if len(sub):
            return max(float(sub.groupby("loan_id")["npv"].max().clip(lower=0).sum()), 0.01 * claim)
    return 0.2 * claim


def _investors(channel: Channel, province: str) -> list[Investor]:
    people = [Investor("AMC-HUARONG", "中国华融 (demo)", InvestorType.NATIONAL_AMC, documents=DOCS),
              Investor("AMC-CINDA", "中国信达 (demo)", InvestorType.NATIONAL_AMC, documents=DOCS),
              Investor(f"LAMC-{province}", f"地方资产管理公司 {province} (demo)", InvestorType.LOCAL_AMC, province,
                       DOCS)]
    if channel in (Channel.RETAIL_BATCH, Channel.COMMERCIAL):
        people.append(Investor("AIC-DEMO", "金融资产投资公司 (demo)", InvestorType.AIC, documents=DOCS))
    if channel is Channel.COMMERCIAL:
        people.append(Investor("FUND-DEMO", "私募基金 (demo)", InvestorType.PRIVATE_FUND, documents=DOCS))
    return people


def run_demo(ctx: Any) -> dict[str, object]:
    rng = np.random.default_rng(np.random.SeedSequence(int(getattr(ctx, "seed", 0))))
    uow: Callable[..., Any] = ctx.uow_factory
    df = _assets(_frames(ctx))
    # the bank lists only what it still holds: not loans in a live listing or sold on the platform
    # before (a demo run again on the same database meets the first run's sales)
    with uow() as u:
        repo = u.get(MarketRepository)
        taken = repo.live_loan_ids() | {str(i) for i in df["loan_id"] if repo.owner_of(str(i)) is not None}
    df = df[~df["loan_id"].astype(str).isin(taken)]
    clock = _Clock(datetime.now(UTC).replace(microsecond=0))
    listed: list[dict[str, Any]] = []
    formats = [AuctionFormat.ENGLISH, AuctionFormat.SECOND_PRICE, AuctionFormat.ENGLISH, AuctionFormat.FIRST_PRICE]
    for k, (title, channel, part, expected, reserve) in enumerate(_packages(ctx, df)):
        recovery = expected if expected and expected > 0 else _expected_recovery(ctx, part)
        # the strategy's reserve (a low quantile of the package value) when it has one, else 80% of value
        floor = reserve if reserve and 0 < reserve < recovery else 0.8 * recovery
        start = Decimal(str(max(round(floor, -2), 100)))
        fmt = formats[k % len(formats)]
        draft = svc.ListingDraft(
            title=title, seller="nplhub demo bank", seller_code="DEMO", channel=channel,
            assets=[_pool_asset(r) for r in part.itertuples(index=False)], starting_price=start,
            increment=max(Decimal(100), (start / 100).quantize(Decimal(1))), opens_at=clock.now + timedelta(hours=1),
            closes_at=clock.now + timedelta(days=1, hours=1), auction_format=fmt, snapshot_id=ctx.snapshot_id)
        lid = svc.register_listing(uow(), draft, clock=clock)
        province = str(part["province"].mode().iloc[0])
        bidders = _investors(channel, province)
        values = {}
        for inv in bidders:
            svc.onboard_investor(uow(), inv, clock=clock)
            try:
                svc.register_bidder(uow(), lid, inv.investor_id, clock=clock)
            except Exception:  # an investor the eligibility matrix refuses simply does not bid
                continue
            values[inv.investor_id] = recovery * float(rng.lognormal(0.0, 0.15))
        listed.append({"listing_id": lid, "format": fmt.value, "recovery": recovery, "start": float(start),
                       "values": values, "claim": float((part["outstanding_principal"] + part["interest"]).sum())})
    clock.now += timedelta(hours=2)
    for item in listed:
        n = len(item["values"])
        for who, value in sorted(item["values"].items(), key=lambda kv: rng.random()):
            clock.now += timedelta(minutes=int(rng.integers(1, 30)))
            amount = Decimal(str(round(value, 2)))
            if item["format"] == "first_price":   # shade toward the equilibrium bid
                amount = Decimal(str(round(item["start"] + (value - item["start"]) * (n - 1) / max(n, 1), 2)))
            try:
                if item["format"] == "english":
                    svc.place_bid(uow(immediate=True), item["listing_id"], who, max_amount=amount, clock=clock)
                else:
                    svc.place_bid(uow(immediate=True), item["listing_id"], who, amount, clock=clock)
            except BidRejected:
                continue  # a value below the start or the minimum: no bid
    clock.now += timedelta(days=2)
    results = [svc.close_auction(uow(immediate=True), item["listing_id"], clock=clock) for item in listed]
    sold = [(item, r) for item, r in zip(listed, results) if r["status"] == "sold"]
    if sold:
        lid, price = sold[0][0]["listing_id"], Decimal(sold[0][1]["price"])
        s = settle.sign_contract(uow(), lid, clock=clock)
        settle.record_payment(uow(), lid, price - s.deposit, clock=clock)
        settle.deliver(uow(), lid, clock=clock)
    report = settle.deposit_report(uow())
    advice = None
    if listed:
        first = listed[0]
        scale = first["recovery"]
        advice = advise(ValueModel("lognormal", median=1.0, sigma=0.15), [max(len(first["values"]), 1)],
                        [0.0, first["start"] / scale], runs=4000, seed=int(getattr(ctx, "seed", 0)))
    ctx.results["marketplace"] = {"listings": listed, "results": results, "deposits": report,
                                  "advice": None if advice is None else advice.to_dict()}
    total = sum(float(r["price"]) for _, r in sold)
    claim = sum(item["claim"] for item, _ in sold)
    return {
        "packages listed / 挂牌资产包": len(listed),
        "sold / 成交": f"{len(sold)} of {len(listed)}",
        "clearing prices / 成交总价 (yuan)": f"{total:,.0f}",
        "price / claim / 成交价占债权": f"{(total / claim if claim else 0):.2%}",
        "deposit ledger balances / 保证金平衡": report["trial_balance"] == "0.00" and not report["problems"],
        "advisor: best format / 建议方式": "-" if advice is None else
        f"{advice.best.format}, reserve {advice.best.reserve:.2f}×value",
    }
