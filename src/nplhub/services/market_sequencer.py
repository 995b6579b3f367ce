"""The bid sequencer: group commit for one hot lot.

A bid on one lot holds the lot's row lock until its transaction is durable (the WAL flush), so
one lot cannot accept bids faster than the disk flushes when each bid is its own transaction
(about 9 ms per flush on the development machine: ~100 bids/s). The sequencer keeps one worker
per lot that takes every bid waiting in the lot's queue, applies them in arrival order through
`apply_bids` (one row lock, one engine pass per bid, one stored row and one ledger event per
accepted bid) and commits them together: one flush for the whole batch. A client's call returns
only after its batch is committed, so an acknowledged bid is durable, binding and immutable.

Bid times are the server's arrival times (网拍规定 第20条), stamped when the bid enters the queue,
in queue order. The row lock is still taken per batch, so direct `place_bid` writers in other
processes stay correct beside a sequencer.

A lot's worker retires once its queue has been empty for `idle_timeout` seconds (the next bid starts
a new one), so a lot whose bidding ended, or a listing id that names no lot, keeps no thread alive.

Pipelined flush (`pipelined=True`, the default): on PostgreSQL a batch commits with
`synchronous_commit = off`, so the row lock is released without waiting for the disk, and the next
batch starts at once; a flusher thread then commits a transaction that waits for the log flush (which
covers every earlier commit, the log being sequential) and only then acknowledges the bids of the
batches committed before it. No caller is told "accepted" before its bid is on disk; a crash loses
only bids nobody was told about (and everything after them in the log, consistently). On SQLite both
steps are no-ops (WAL mode with synchronous=NORMAL).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nplhub.marketplace.auction import BidRejected
from nplhub.services.market_ports import MarketRepository
from nplhub.services.marketplace import BidReceipt, BidRequest, Clock, apply_bids, utc_now


@dataclass
class _Pending:
    request: BidRequest
    done: threading.Event = field(default_factory=threading.Event)
    outcome: BidReceipt | BaseException | None = None


class BidSequencer:
    """Serialises and batches the bids of each lot; `submit` blocks until the bid is committed."""

    def __init__(self, uow_factory: Callable[..., Any], *, clock: Clock = utc_now, max_batch: int = 500,
                 pipelined: bool = True, idle_timeout: float = 5.0) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.max_batch = max_batch
        self.pipelined = pipelined
        self.idle_timeout = idle_timeout
        self._awaiting: list[_Pending] = []
        self._flush_cv = threading.Condition()
        self._flusher: threading.Thread | None = None
        self.flushes = 0
        self._queues: dict[str, queue.SimpleQueue[_Pending | None]] = {}
        self._workers: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.batches = 0
        self.bids = 0

    def submit(self, listing_id: str, bidder_id: str, amount: Decimal | None = None, *,
               max_amount: Decimal | None = None, timeout: float | None = 30.0) -> BidReceipt:
        """Place a bid through the lot's sequencer; raises `BidRejected` when refused."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the bid sequencer is closed")
            q = self._queues.get(listing_id)
            if q is None:
                q = self._queues[listing_id] = queue.SimpleQueue()
                worker = threading.Thread(target=self._run, args=(listing_id, q), daemon=True,
                                          name=f"bids-{listing_id}")
                self._workers[listing_id] = worker
                worker.start()
            pending = _Pending(BidRequest(bidder_id, amount, max_amount, self.clock()))
            q.put(pending)   # stamped and queued under one lock: arrival order = queue order
        if not pending.done.wait(timeout):
            raise TimeoutError(f"bid on {listing_id} not committed within {timeout} s")
        if isinstance(pending.outcome, BaseException):
            raise pending.outcome
        assert pending.outcome is not None
        return pending.outcome

    def _run(self, listing_id: str, q: queue.SimpleQueue[_Pending | None]) -> None:
        while True:
            try:
                first = q.get(timeout=self.idle_timeout)
            except queue.Empty:
                if self._retire(listing_id, q):
                    return
                continue
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._process(listing_id, batch)
            if stop:
                return

    def _retire(self, listing_id: str, q: queue.SimpleQueue[_Pending | None]) -> bool:
        """Drop an idle lot's queue and worker; False when a bid came in meanwhile. `submit` queues
        under the same lock, so a bid either is in the queue now or will find no queue and start a
        new worker: none is left behind in a retired queue."""
        with self._lock:
            if not q.empty():
                return False
            if self._queues.get(listing_id) is q:
                del self._queues[listing_id]
                del self._workers[listing_id]
            return True

    def _process(self, listing_id: str, batch: list[_Pending]) -> None:
        deferred = False
        try:
            outcomes: list[BidReceipt | BidRejected] = apply_bids(
                self.uow_factory(immediate=True), listing_id, [p.request for p in batch], clock=self.clock,
                durable=not self.pipelined)
            self.batches += 1
            self.bids += len(batch)
            for p, o in zip(batch, outcomes):
                p.outcome = o
            if self.pipelined and any(isinstance(o, BidReceipt) for o in outcomes):
                deferred = True
                self._await_flush(batch)
        except BaseException as exc:  # the whole batch failed together: nothing was committed
            for p in batch:
                p.outcome = exc
        finally:
            if not deferred:
                for p in batch:
                    p.done.set()

    def _await_flush(self, batch: list[_Pending]) -> None:
        with self._flush_cv:
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, daemon=True, name="bids-flush")
                self._flusher.start()
            self._awaiting.extend(batch)
            self._flush_cv.notify()

    def _flush_loop(self) -> None:
        while True:
            with self._flush_cv:
                while not self._awaiting and not self._closed:
                    self._flush_cv.wait()
                if not self._awaiting and self._closed:
                    return
                batch, self._awaiting = self._awaiting, []
            error: BaseException | None = None
            for _attempt in range(3):
                try:
                    with self.uow_factory() as uow:
                        uow.get(MarketRepository).make_durable()  # type: ignore[type-abstract]
                        uow.commit()
                    error = None
                    break
                except BaseException as exc:  # retried: the bids are committed, only their flush is awaited
                    error = exc
            self.flushes += 1
            for p in batch:
                if error is not None:
                    p.outcome = RuntimeError(f"bid committed but its durability is unconfirmed: {error}")
                p.done.set()

    def close(self) -> None:
        """Finish the queued bids and stop the workers."""
        with self._lock:
            self._closed = True
            for q in self._queues.values():
                q.put(None)
            workers = list(self._workers.values())   # idle workers may retire meanwhile
        for w in workers:
            w.join()
        with self._flush_cv:
            self._flush_cv.notify_all()
        if self._flusher is not None:
            self._flusher.join()
