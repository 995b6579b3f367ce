"""The per-lot bid sequencer on SQLite and PostgreSQL: arrival order decides, one bad bid does not
cost its batch mates their bids, and a lot's worker does not outlive the lot's bidding."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from nplhub.domain.errors import NotFound
from nplhub.marketplace.auction import BidRejected
from nplhub.services import marketplace as svc
from nplhub.services.market_ports import MarketRepository
from nplhub.services.market_sequencer import BidSequencer

START, INCREMENT = Decimal("1000000"), Decimal("10000")


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def open_lot(uow, clock, kit, bidders: list[str]) -> str:
    lid = svc.register_listing(uow(), kit.draft(starting_price=START, increment=INCREMENT), clock=clock)
    kit.onboard(uow, clock, bidders)
    for who in bidders:
        svc.register_bidder(uow(), lid, who, clock=clock)
    clock.advance(hours=2)   # bidding is open
    return lid


def stored(uow, lid: str) -> list[tuple[int, str, Decimal]]:
    with uow() as u:
        return [(b.seq, b.bidder_id, b.amount) for b in u.get(MarketRepository).bids(lid)]


def test_two_bids_at_the_same_price_at_once_go_to_the_one_that_arrived_first(uow, clock, kit):
    lid = open_lot(uow, clock, kit, ["A", "B"])
    arrivals: list[str] = []

    def stamping_clock():   # the sequencer stamps each bid on arrival, under its queue lock
        arrivals.append(threading.current_thread().name)
        return clock()

    sequencer = BidSequencer(uow, clock=stamping_clock)
    winners: list[str] = []
    try:
        for k in range(8):
            amount = START + INCREMENT * k
            arrivals.clear()
            outcomes: dict[str, svc.BidReceipt | BaseException] = {}
            gate = threading.Barrier(2)

            def place(who: str, amount: Decimal = amount, gate: threading.Barrier = gate,
                      outcomes: dict[str, svc.BidReceipt | BaseException] = outcomes) -> None:
                gate.wait()
                try:
                    outcomes[who] = sequencer.submit(lid, who, amount)
                except BaseException as exc:
                    outcomes[who] = exc

            threads = [threading.Thread(target=place, args=(who,), name=who) for who in ("A", "B")]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            first, second = arrivals
            receipt, refusal = outcomes[first], outcomes[second]
            assert isinstance(receipt, svc.BidReceipt), receipt
            assert (receipt.leader_id, receipt.price) == (first, amount)
            assert isinstance(refusal, BidRejected) and refusal.code == "below_minimum", refusal
            winners.append(first)
    finally:
        sequencer.close()
    assert stored(uow, lid) == [(k + 1, winners[k], START + INCREMENT * k) for k in range(8)]
    with uow() as u:
        lot = u.get(MarketRepository).get_lot(lid)
    assert lot is not None and (lot.state.bid_count, lot.state.leader_id, lot.state.price) == (
        8, winners[-1], START + INCREMENT * 7)


def test_a_bid_the_platform_cannot_keep_exactly_is_refused_alone_and_its_batch_mates_keep_their_bids(
        uow, clock, kit):
    lid = open_lot(uow, clock, kit, ["A", "B", "C", "D"])
    sequencer = BidSequencer(uow, clock=clock)
    outcomes: dict[int, svc.BidReceipt | BaseException] = {}

    def place(k: int, who: str, amount: Decimal | None, max_amount: Decimal | None = None) -> None:
        try:
            outcomes[k] = sequencer.submit(lid, who, amount, max_amount=max_amount)
        except BaseException as exc:
            outcomes[k] = exc

    batch = [("B", Decimal("1e20"), None), ("C", Decimal("1010000"), None),
             ("D", None, Decimal("1010000.005")), ("B", Decimal("1020000"), None)]
    threads: list[threading.Thread] = []
    try:
        with uow(immediate=True) as holder:        # hold the lot's lock: the worker waits on its first batch
            holder.get(MarketRepository).get_lot(lid, lock=True)
            threads.append(threading.Thread(target=place, args=(0, "A", START)))
            threads[0].start()
            # the worker has taken A's bid off the queue and waits for the lock
            wait_until(lambda: lid in sequencer._queues and sequencer._queues[lid].qsize() == 0)
            time.sleep(0.2)
            for k, (who, amount, max_amount) in enumerate(batch, start=1):
                threads.append(threading.Thread(target=place, args=(k, who, amount, max_amount)))
                threads[-1].start()
                # one at a time, so the queue holds them in this order
                wait_until(lambda k=k: sequencer._queues[lid].qsize() == k)
        # leaving the block rolls the holder back and frees the lock
        for t in threads:
            t.join()
        batches = sequencer.batches
    finally:
        sequencer.close()
    assert isinstance(outcomes[0], svc.BidReceipt)
    for k in (1, 3):
        refusal = outcomes[k]
        assert isinstance(refusal, BidRejected) and refusal.code == "amount", refusal
    assert "largest amount the platform keeps" in str(outcomes[1])
    assert "at most two decimals" in str(outcomes[3])
    for k, price in ((2, Decimal("1010000")), (4, Decimal("1020000"))):
        receipt = outcomes[k]
        assert isinstance(receipt, svc.BidReceipt), receipt
        assert receipt.price == price
    assert stored(uow, lid) == [(1, "A", START), (2, "C", Decimal("1010000")), (3, "B", Decimal("1020000"))]
    assert batches == 2                            # A's bid alone, then the four together


def test_the_worker_of_a_lot_retires_when_idle_and_a_later_bid_is_still_taken(uow, clock, kit):
    lid = open_lot(uow, clock, kit, ["A", "B"])
    sequencer = BidSequencer(uow, clock=clock, idle_timeout=0.05)

    def workers(prefix: str) -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith(f"bids-{prefix}")]

    try:
        # ids that name no lot are answered "not found" and leave no thread behind
        for k in range(30):
            with pytest.raises(NotFound, match="not found"):
                sequencer.submit(f"NO-SUCH-LOT-{k}", "A", START)
        wait_until(lambda: not workers("NO-SUCH-LOT-"))
        assert sequencer.submit(lid, "A", START).leader_id == "A"
        wait_until(lambda: not workers(lid))
        receipt = sequencer.submit(lid, "B", START + INCREMENT)   # a new worker takes the lot up again
        assert (receipt.leader_id, receipt.price) == ("B", START + INCREMENT)
    finally:
        sequencer.close()
    assert not workers(lid)
    assert stored(uow, lid) == [(1, "A", START), (2, "B", START + INCREMENT)]
