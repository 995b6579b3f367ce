"""Marketplace benchmark: sustained bid acceptance on ONE lot in PostgreSQL from concurrent clients.

    .venv/bin/python benchmarks/bench_marketplace.py            # 64 sequencer clients; 16 direct clients; 20 s
    .venv/bin/python benchmarks/bench_marketplace.py --quick    # 16 sequencer clients; 8 direct clients; 5 s

Three sides, each on a fresh copy of the same lot (same terms, same registered bidders):
- nplhub sequencer: client threads submit bids to `BidSequencer`, which applies every bid
  waiting for the lot in arrival order in one unit of work (row lock with SELECT ... FOR UPDATE,
  registration check, the pure English engine, one stored row and one `market.bid_placed` ledger
  event per accepted bid) and commits them together (group commit: one WAL flush per batch);
- nplhub place_bid: every bid its own unit of work (the same steps, one flush per bid), clients in
  several processes;
- peer: the same one-bid transaction written by hand in raw psycopg 3 (SELECT ... FOR UPDATE,
  INSERT, UPDATE, COMMIT) without the engine, the checks or the ledger: the floor that a bid on one
  row lock costs on this server when each bid is flushed on its own.
Every client bids one increment over the latest bid sent by any client of its side (a shared counter
stands for a perfect live price feed), the fastest valid bidding a lot can see; a bid overtaken on
its way to the lock by a higher one is refused, as on a real lot. "Accepted calls" counts calls that
returned a receipt, "bid rows" the binding bids stored.
Latency is per call, from the client's request to its commit (p50, p99), over accepted bids.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

START, INCREMENT = Decimal(1_000_000), Decimal(100)


def next_amount(counter: Any) -> Decimal:
    """The next increment over the latest bid any client of this side has sent (a live price feed)."""
    with counter.get_lock():
        counter.value += 1
        k = counter.value
    return START + INCREMENT * k
PG_ADMIN = os.environ.get("NPLHUB_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


def setup(url: str, clients: int) -> str:
    from nplhub import storage
    from nplhub.marketplace.investors import Channel, Investor, InvestorType
    from nplhub.marketplace.listing import AssetClass, PoolAsset
    from nplhub.services import marketplace as svc
    from nplhub.storage.db import make_engine, upgrade
    from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

    upgrade(url)
    storage.load_adapters()
    engine = make_engine(url)
    now = datetime.now(UTC)
    assets = [PoolAsset(f"L{i}", AssetClass.CORPORATE, Decimal(1_000_000), Decimal(0), 400, "110105", None, f"C{i}")
              for i in range(5)]
    draft = svc.ListingDraft(title="bench lot", seller="Bench Bank", seller_code="BENCH", channel=Channel.COMMERCIAL,
                             assets=assets, starting_price=Decimal(1_000_000), increment=Decimal(100),
                             opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=3))
    lid = svc.register_listing(SqlAlchemyUnitOfWork(engine), draft)
    docs = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})
    for c in range(clients):
        svc.onboard_investor(SqlAlchemyUnitOfWork(engine), Investor(f"B{c:03d}", f"b{c}", InvestorType.NATIONAL_AMC,
                                                                    documents=docs))
        svc.register_bidder(SqlAlchemyUnitOfWork(engine), lid, f"B{c:03d}")
    engine.dispose()
    return lid


def _client_nplhub(url: str, lid: str, bidders: list[str], seconds: float, out: mp.Queue, counter: Any) -> None:
    from nplhub import storage
    from nplhub.marketplace.auction import BidRejected
    from nplhub.services import marketplace as svc
    from nplhub.storage.db import make_engine
    from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

    storage.load_adapters()
    engine = make_engine(url, pool_size=len(bidders) + 2)
    lat: list[float] = []
    rejected = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(me: str) -> None:
        mine: list[float] = []
        refused = 0
        while time.perf_counter() < deadline:
            amount = next_amount(counter)
            t0 = time.perf_counter()
            try:
                svc.place_bid(SqlAlchemyUnitOfWork(engine), lid, me, amount)
                mine.append(time.perf_counter() - t0)
            except BidRejected:
                refused += 1
        with lock:
            lat.extend(mine)
            rejected[0] += refused

    threads = [threading.Thread(target=run, args=(b,)) for b in bidders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    out.put((lat, rejected[0], len(lat), 0))


def _client_sequencer(url: str, lid: str, bidders: list[str], seconds: float, out: mp.Queue,
                      counter: Any, audit: bool = True, switch_interval: float | None = None) -> None:
    """Client threads in one process submitting to the lot's BidSequencer (group commit)."""
    import sys

    if switch_interval:
        sys.setswitchinterval(switch_interval)
    from nplhub import storage
    from nplhub.marketplace.auction import BidRejected
    from nplhub.services.market_sequencer import BidSequencer
    from nplhub.storage.db import make_engine
    from nplhub.storage.unit_of_work import SqlAlchemyUnitOfWork

    storage.load_adapters()
    engine = make_engine(url, pool_size=4)
    sequencer = BidSequencer(lambda **kw: SqlAlchemyUnitOfWork(engine, audit=audit, **kw))
    lat: list[float] = []
    rejected = [0]
    rows = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(me: str) -> None:
        mine: list[float] = []
        refused = stored = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                r = sequencer.submit(lid, me, next_amount(counter))
                mine.append(time.perf_counter() - t0)
                stored += len(r.accepted)
            except BidRejected:
                refused += 1
        with lock:
            lat.extend(mine)
            rejected[0] += refused
            rows[0] += stored

    threads = [threading.Thread(target=run, args=(b,)) for b in bidders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sequencer.close()
    engine.dispose()
    out.put((lat, rejected[0], rows[0], sequencer.batches))


def _client_raw(dsn: str, lid: str, bidders: list[str], seconds: float, out: mp.Queue, counter: Any) -> None:
    import psycopg

    lat: list[float] = []
    rejected = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run(me: str) -> None:
        mine: list[float] = []
        refused = 0
        with psycopg.connect(dsn) as conn:
            while time.perf_counter() < deadline:
                amount = next_amount(counter)
                t0 = time.perf_counter()
                with conn.transaction():
                    price, count = conn.execute("SELECT price, bid_count FROM market_listings WHERE listing_id = %s "
                                                "FOR UPDATE", (lid,)).fetchone()
                    if price is not None and amount < price + INCREMENT:
                        refused += 1
                        continue
                    now = datetime.now(UTC)
                    conn.execute("INSERT INTO market_bids (listing_id, seq, bidder_id, amount, placed_at, automatic) "
                                 "VALUES (%s, %s, %s, %s, %s, false)", (lid, count + 1, me, amount, now))
                    conn.execute("UPDATE market_listings SET price = %s, leader_id = %s, bid_count = %s "
                                 "WHERE listing_id = %s", (amount, me, count + 1, lid))
                mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)
            rejected[0] += refused

    threads = [threading.Thread(target=run, args=(b,)) for b in bidders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((lat, rejected[0], len(lat), 0))


def run_side(kind: str, url: str, lid: str, processes: int, threads: int, seconds: float,
             offset: int, audit: bool = True, switch_interval: float | None = None) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    target = {"direct": _client_nplhub, "sequencer": _client_sequencer, "raw": _client_raw}[kind]
    arg = url.replace("postgresql+psycopg", "postgresql") if kind == "raw" else url
    counter = ctx.Value("q", -1)
    procs = []
    for p in range(processes):
        bidders = [f"B{offset + p * threads + t:03d}" for t in range(threads)]
        extra = (audit, switch_interval) if kind == "sequencer" else ()
        procs.append(ctx.Process(target=target, args=(arg, lid, bidders, seconds, q, counter, *extra)))
    for pr in procs:
        pr.start()
    results = [q.get() for _ in procs]
    for pr in procs:
        pr.join()
    lat = sorted(x for r in results for x in r[0])
    q99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")
    rows = sum(r[2] for r in results)
    return {"calls": len(lat), "rows": rows, "rejected": sum(r[1] for r in results), "seconds": seconds,
            "accepted_per_s": len(lat) / seconds, "rows_per_s": rows / seconds,
            "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"), "p99_ms": 1000 * q99,
            "batches": sum(r[3] for r in results)}


def verify(url: str, lid: str) -> dict[str, object]:
    from sqlalchemy import text

    from nplhub.storage.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        price, leader, count = conn.execute(text("SELECT price, leader_id, bid_count FROM market_listings "
                                                 "WHERE listing_id = :l"), {"l": lid}).one()
        top = conn.execute(text("SELECT max(amount), count(*), count(distinct seq) FROM market_bids "
                                "WHERE listing_id = :l"), {"l": lid}).one()
        try:
            ledger = conn.execute(text("SELECT count(*) FROM ledger_entries WHERE event_type = 'market.bid_placed'"))\
                .scalar_one()
        except Exception:
            ledger = None
    engine.dispose()
    return {"price": price, "max_bid": top[0], "bids": top[1], "distinct_seq": top[2], "bid_count": count,
            "ledger_bid_entries": ledger}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 clients for 5 seconds")
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--sequencer-clients", type=int, default=None)
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval for the sequencer's process (Python's default: 0.005 s)")
    parser.add_argument("--without-ledger", action="store_true",
                        help="also run the sequencer with the audit-ledger sink off, to show the ledger's share")
    args = parser.parse_args()
    processes = args.processes or (2 if args.quick else 4)
    threads = args.threads or 4
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    seq_clients = args.sequencer_clients or (16 if args.quick else 64)
    name = f"nplhub_bench_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        clients = processes * threads
        lid = setup(url, 3 * max(clients, seq_clients))
        import nplhub.storage as st

        sink = "nplhub.storage.ledger" in st.ADAPTER_MODULES
        print(f"PostgreSQL on 127.0.0.1, one lot per side, {seconds:.0f} s per side; audit-ledger sink active: {sink}; "
              f"sequencer switch interval: {args.switch_interval or 'default'}")
        lots = {k: setup_peer_lot(url, lid, k) for k in ("SEQ", "DIRECT", "RAW")}
        seq = run_side("sequencer", url, lots["SEQ"], 1, seq_clients, seconds, 0,
                       switch_interval=args.switch_interval)
        if args.without_ledger:  # the same sequencer with the audit-ledger sink switched off, for comparison
            lots["NOLEDG"] = setup_peer_lot(url, lid, "NOLEDG")
            bare = run_side("sequencer", url, lots["NOLEDG"], 1, seq_clients, seconds, 0, audit=False,
                            switch_interval=args.switch_interval)
        direct = run_side("direct", url, lots["DIRECT"], processes, threads, seconds, seq_clients)
        raw = run_side("raw", url, lots["RAW"], processes, threads, seconds, seq_clients + clients)
        rows = (("nplhub sequencer", seq, f"{seq_clients} threads, 1 process; group commit"),
                ("nplhub place_bid", direct, f"{clients} clients ({processes} processes x {threads} threads); "
                                             f"one transaction per bid"),
                ("raw psycopg peer", raw, f"{clients} clients ({processes} x {threads}); one transaction per bid"))
        if args.without_ledger:
            rows += (("sequencer, no ledger", bare, f"{seq_clients} threads; audit sink off (not a product setting)"),)
        for label, res, how in rows:
            extra = f", {res['batches']} commits" if res["batches"] else ""
            print(f"{label:17s} accepted calls {res['calls']:6d} ({res['accepted_per_s']:7.1f}/s), "
                  f"bid rows {res['rows']:6d} ({res['rows_per_s']:7.1f}/s), refused {res['rejected']:6d}, "
                  f"p50 {res['p50_ms']:6.2f} ms, p99 {res['p99_ms']:6.2f} ms{extra}  [{how}]")
        print(f"ratio nplhub sequencer / raw peer (accepted calls per second): "
              f"{seq['accepted_per_s'] / raw['accepted_per_s']:.2f}")
        print(f"ratio nplhub place_bid / raw peer (accepted calls per second): "
              f"{direct['accepted_per_s'] / raw['accepted_per_s']:.2f}")
        for k, v in lots.items():
            print(f"lot check {k:6s}: {verify(url, v)}")
        goal = seq["accepted_per_s"] >= 1000 and seq["p99_ms"] < 50
        print(f"goal (>= 1,000 accepted bids/s on one lot, p99 < 50 ms) with the sequencer: "
              f"{'met' if goal else 'NOT met'}")
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_peer_lot(url: str, template: str, suffix: str) -> str:
    """A fresh copy of the template listing (same terms and registrations) for one side."""
    from sqlalchemy import text

    from nplhub.storage.db import make_engine

    engine = make_engine(url)
    new = f"{template}-{suffix}"
    with engine.begin() as conn:
        def columns(table: str) -> list[str]:
            return [r[0] for r in conn.execute(text("SELECT column_name FROM information_schema.columns "
                                                    "WHERE table_name = :t"), {"t": table})]

        others = [c for c in columns("market_listings") if c not in ("listing_id", "project_code")]
        conn.execute(text(f"INSERT INTO market_listings (listing_id, project_code, {', '.join(others)}) "
                          f"SELECT :n, :n, {', '.join(others)} FROM market_listings WHERE listing_id = :t"),
                     {"n": new, "t": template})
        reg = [c for c in columns("market_registrations") if c != "listing_id"]
        conn.execute(text(f"INSERT INTO market_registrations (listing_id, {', '.join(reg)}) "
                          f"SELECT :n, {', '.join(reg)} FROM market_registrations WHERE listing_id = :t"),
                     {"n": new, "t": template})
    engine.dispose()
    return new


if __name__ == "__main__":
    main()
