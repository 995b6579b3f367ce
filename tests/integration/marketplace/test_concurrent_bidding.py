"""50 concurrent bidders place 2,000 bids on one lot, on PostgreSQL (row lock, SELECT ... FOR UPDATE)
and on SQLite (BEGIN IMMEDIATE): no bid lost or accepted twice, the price is the highest valid bid,
and the soft close follows the last bid."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nplhub import storage
from nplhub.marketplace.auction import BidRejected, rank_key
from nplhub.services import market_settlement as settle
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository
from nplhub.services.market_sequencer import BidSequencer
from nplhub.storage.db import make_engine
from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

BIDDERS = 50
BIDS_PER_BIDDER = 40


@pytest.mark.slow
@pytest.mark.parametrize("path", ["one_transaction_per_bid", "sequencer_group_commit"])
def test_fifty_concurrent_bidders_lose_no_bid_and_the_highest_valid_bid_wins(migrated_url, kit, path):
    storage.load_adapters()
    # 50 writers queue on SQLite's single write lock; on a loaded machine one may wait long
    engine = make_engine(migrated_url, pool_size=BIDDERS + 5, max_overflow=10, sqlite_busy_timeout=600)

    def uow(**_: object) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(engine, immediate=True)

    try:
        now = datetime.now(UTC)
        lid = svc.register_listing(uow(), kit.draft(opens_at=now - timedelta(hours=1),
                                                    closes_at=now + timedelta(seconds=60)))
        ids = [f"I{i:02d}" for i in range(BIDDERS)]
        kit.onboard(uow, lambda: now, ids)
        for i in ids:
            svc.register_bidder(uow(), lid, i)
        sequencer = BidSequencer(uow) if path == "sequencer_group_commit" else None

        def place(me: str, amount: Decimal | None = None, max_amount: Decimal | None = None) -> svc.BidReceipt:
            if sequencer is not None:
                return sequencer.submit(lid, me, amount, max_amount=max_amount)
            return svc.place_bid(uow(), lid, me, amount, max_amount=max_amount)

        receipts: list[tuple[str, svc.BidReceipt]] = []
        rejected: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(BIDDERS)

        def bidder(me: str, seed: int) -> None:
            rng = random.Random(seed)
            known = Decimal("1000000")
            start.wait()
            for _ in range(BIDS_PER_BIDDER):
                amount = known + Decimal(10000) * rng.randint(1, 3)
                proxy = rng.random() < 0.1
                try:
                    r = place(me, max_amount=amount + 50000) if proxy else place(me, amount)
                    with lock:
                        receipts.append((me, r))
                    known = r.price or known
                except BidRejected as exc:
                    with lock:
                        rejected.append(exc.code)
                    with uow() as u:
                        lot = u.get(MarketRepository).get_lot(lid)
                        assert lot is not None
                        known = lot.state.price or known
                except BaseException as exc:  # pragma: no cover - reported below
                    with lock:
                        errors.append(exc)
                    return

        threads = [threading.Thread(target=bidder, args=(b, k)) for k, b in enumerate(ids)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if sequencer is not None:
            sequencer.close()
        assert not errors, errors[:3]
        if sequencer is not None:
            assert 0 < sequencer.batches < sequencer.bids  # bids were committed in groups
            assert 0 < sequencer.flushes <= sequencer.batches  # acknowledged only after a durable flush
        assert len(receipts) + len(rejected) == BIDDERS * BIDS_PER_BIDDER
        assert set(rejected) <= {"below_minimum", "proxy"}

        with uow() as u:
            repo = u.get(MarketRepository)
            stored = repo.bids(lid)
            lot = repo.get_lot(lid)
        assert lot is not None
        # every accepted bid is stored exactly once, with consecutive sequence numbers
        accepted = [b for _, r in receipts for b in r.accepted]
        assert sorted(b.seq for b in accepted) == [b.seq for b in stored] == list(range(1, len(stored) + 1))
        assert {(b.seq, b.bidder_id, b.amount) for b in accepted} == {(b.seq, b.bidder_id, b.amount) for b in stored}
        # bid times are server times in acceptance order
        assert all(a.placed_at <= b.placed_at for a, b in zip(stored, stored[1:]))
        # the price is the highest valid bid, held by the leader
        best = max(stored, key=lambda b: rank_key(b.amount, b.preemption_order, b.seq))
        assert lot.state.price == best.amount and lot.state.leader_id == best.bidder_id
        # soft close: every bid arrived before the end in force, and the end is the last bid + 5 minutes
        closes_at = lot.rules.closes_at
        assert lot.state.ends_at == max(closes_at, stored[-1].placed_at + timedelta(minutes=5))
        end = closes_at
        for b in stored:
            assert b.placed_at < end
            end = max(end, b.placed_at + timedelta(minutes=5)) if end - b.placed_at <= timedelta(minutes=5) else end
        assert end == lot.state.ends_at
        result = svc.close_auction(uow(), lid, clock=lambda: lot.state.ends_at)
        assert result["winner_id"] == best.bidder_id and Decimal(result["price"]) == best.amount
        report = settle.deposit_report(uow(), lid)
        assert report["problems"] == [] and report["trial_balance"] == "0.00"
    finally:
        engine.dispose()
