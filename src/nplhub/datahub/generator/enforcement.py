"""Judicial enforcement cases: filed, judgment, enforcement, appraisal, the auction rounds, 变卖,
以物抵债, 终结本次执行 and closure, with the 70% / 80% price ladder of 法释〔2016〕18号."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator.calibration import AUCTION_START_1, AUCTION_START_2
from nplhub.datahub.generator.disposals import DisposalOutcome
from nplhub.datahub.generator.frames import make_frame, sequence_ids, where_or_none

STAGES = ("filed", "judgment", "enforcement", "appraisal", "auction_1", "auction_2", "sell_off", "in_kind")
# Share of a judicial case's duration at which each stage is reached (assumption: judgment after
# about 6 months, first auction after about 12, of a 23-month median case).
STAGE_AT = np.array([0.0, 0.25, 0.40, 0.50, 0.60, 0.72, 0.82, 0.92])
OUTCOME_STAGE = {"auction_1": 4, "auction_2": 5, "sell_off": 6, "in_kind": 7, "terminated": 2}
COURT_SUFFIX = ("中级人民法院", "人民法院")


def enforcement_frame(rng: np.random.Generator, out: DisposalOutcome, loan_ids: npt.NDArray[np.str_],
                      collateral_ids: npt.NDArray[np.str_], first_collateral: npt.NDArray[np.int64],
                      city_of_loan: npt.NDArray[np.str_], unsecured_litigation: npt.NDArray[np.bool_],
                      cutoff: np.datetime64) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Cases for judicial disposals and for a share of unsecured corporate collections.

    Returns the frame and, per case, the index into `out` it belongs to.
    """
    judicial = out.auction_outcome != ""
    picked = np.flatnonzero(judicial | unsecured_litigation)
    n = len(picked)
    cutoff_d = cutoff.astype("datetime64[D]")
    start, end = out.start[picked], out.end[picked]
    span = np.maximum((end - start).astype(np.int64), 30)
    elapsed = np.clip((cutoff_d - start).astype(np.int64) / span, 0.0, 1.0)
    resolved = out.resolved[picked]
    outcome = out.auction_outcome[picked]
    is_jud = judicial[picked]
    reached = (elapsed[:, None] >= STAGE_AT[None, :]).sum(axis=1) - 1
    limit = np.array([OUTCOME_STAGE.get(o, 2) for o in outcome], dtype=np.int64)
    stage_idx = np.minimum(reached, limit)
    stage = np.array(STAGES)[stage_idx].astype(object)
    sold = np.isin(outcome, ("auction_1", "auction_2", "sell_off"))
    stage[resolved & is_jud & sold] = "closed"
    stage[resolved & (outcome == "in_kind")] = "in_kind"
    stage[resolved & ((outcome == "terminated") | ~is_jud)] = "terminated"

    lag = np.minimum(np.round(span * 0.05 + rng.integers(5, 40, n)), np.floor(span * 0.2))
    filed = start + lag.astype(np.int64).astype("timedelta64[D]")
    filed = np.minimum(filed, cutoff_d)
    judgment = start + np.round(span * STAGE_AT[1]).astype("timedelta64[D]")
    judgment = np.maximum(judgment, filed)  # on short cases the filing lag could pass the judgment date
    has_judgment = (stage_idx >= 1) | resolved
    reference = out.reference_price[picked]
    has_appraisal = is_jud & ((stage_idx >= 3) | resolved)
    rounds = np.clip(stage_idx - 3, 0, 2)
    rounds = np.where(resolved & is_jud, np.select([outcome == "auction_1", outcome == "terminated"], [1, 2], 2), rounds)
    rounds = np.where(is_jud, rounds, 0)
    start_price = np.where(rounds == 1, AUCTION_START_1 * reference,
                           np.where(rounds == 2, AUCTION_START_1 * AUCTION_START_2 * reference, np.nan))
    failed = np.where(resolved & is_jud, np.select([outcome == "auction_1", outcome == "auction_2"], [0, 1], 2),
                      np.maximum(rounds - 1, 0) + (stage_idx >= 6))
    failed = np.where(is_jud, failed, 0)
    taken = resolved & (sold | (outcome == "in_kind"))  # 以物抵债: the asset is taken at the reserve
    sale = np.where(taken, out.sale_price[picked], np.nan)
    coll = first_collateral[out.loans[picked]]
    # large claims go to the city's intermediate court, others to a basic court; the municipal
    # district entries already name a district, whose court is a basic one
    city = city_of_loan[picked]
    basic = (out.exposure[picked] < 5e6) | (np.char.find(city, "区") >= 0 if n else np.zeros(0, bool))
    court = np.char.add(city, np.array(COURT_SUFFIX)[basic.astype(int)]) if n else city
    frame = make_frame({
        "case_id": sequence_ids("EC", n),
        "loan_id": loan_ids[out.loans[picked]],
        "collateral_id": where_or_none(is_jud & (coll >= 0), collateral_ids[np.maximum(coll, 0)]),
        "stage": stage,
        "court": court,
        "filed_date": filed,
        "judgment_date": np.where(has_judgment, np.minimum(judgment, cutoff_d), np.datetime64("NaT")),
        "appraisal_value": np.where(has_appraisal, reference, np.nan),
        "reference_price": np.where(has_appraisal, reference, np.nan),
        "auction_round": pd.Series(rounds, dtype="Int64").where(rounds > 0),
        "start_price": np.round(start_price, 2),
        "failed_auctions": pd.Series(failed, dtype="Int64").where(is_jud & (rounds > 0)),
        "sale_price": sale,
        "sale_date": np.where(taken, end, np.datetime64("NaT")),
        "costs": np.round(out.costs[picked] * np.where(resolved, 0.8, elapsed * 0.8), 2),
    })
    return frame, picked
