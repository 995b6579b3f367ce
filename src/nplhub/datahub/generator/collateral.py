"""Collateral with appraisals, lien ranks and prior claims; the loan-collateral links; guarantees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator.calibration import AREA_SQM, LTV, PRODUCTS
from nplhub.datahub.generator.frames import lookup, make_frame, sequence_ids, where_or_none
from nplhub.datahub.generator.identifiers import addresses, firm_names, person_names, short_place
from nplhub.datahub.generator.loans import SEGMENTS, LoanBook
from nplhub.datahub.generator.prices import PriceIndex
from nplhub.datahub.generator.regions import CITIES

PROPERTY = ("residential", "commercial", "industrial", "land_use_right")


@dataclass
class CollateralSet:
    frame: pd.DataFrame  # the collateral table (status filled in later)
    links: pd.DataFrame  # loan_collateral with integer loan/collateral indices
    first_of_loan: npt.NDArray[np.int64]  # collateral index of each loan's first collateral, -1 if none
    market_value: npt.NDArray[np.float64]  # value at the cut-off (appraisal moved with the index)


def build_collateral(rng: np.random.Generator, book: LoanBook, cp_region: npt.NDArray[np.str_],
                     prices: PriceIndex, cutoff: np.datetime64) -> CollateralSet:
    loans = np.flatnonzero(book.secured)
    cp = book.cp_index[loans]
    # 最高额抵押: later secured loans of a borrower often share the first loan's collateral
    order = np.lexsort((loans, cp))
    loans, cp = loans[order], cp[order]
    first_pos = np.r_[True, cp[1:] != cp[:-1]]
    group_first = np.maximum.accumulate(np.where(first_pos, np.arange(len(loans)), 0))
    share = ~first_pos & (rng.random(len(loans)) < 0.3)
    own = ~share
    n_own = int(own.sum())
    coll_of = np.cumsum(own) - 1  # collateral index for owners
    coll_of = np.where(share, coll_of[group_first], coll_of)
    owner_loan = loans[own]

    ctype = book.collateral_type[owner_loan].copy()
    # a second collateral for one secured loan in ten
    second = rng.random(n_own) < 0.10
    sec_loans = owner_loan[second]
    sec_type = np.empty(len(sec_loans), dtype="U16")
    for seg_name, specs in PRODUCTS.items():
        for sp in specs:
            m = (np.array(SEGMENTS)[book.segment[sec_loans]] == seg_name) & (book.product[sec_loans] == sp.product)
            if sp.collateral_types and m.any():
                names = np.array([c for c, _ in sp.collateral_types])
                w = np.array([p for _, p in sp.collateral_types])
                sec_type[m] = names[rng.choice(len(names), size=int(m.sum()), p=w / w.sum())]
    all_loan = np.concatenate([owner_loan, sec_loans])
    all_type = np.concatenate([ctype, sec_type])
    n = len(all_loan)
    ltv = lookup(LTV, all_type, 0.5).astype(float)
    weight = np.where(np.arange(n) < n_own, 1.0, 0.5)
    value0 = np.round(book.principal[all_loan] * weight / ltv * rng.uniform(0.9, 1.35, n), -2)
    region = cp_region[book.cp_index[all_loan]].copy()
    moved = rng.random(n) < 0.08
    codes = np.array([c[0] for c in CITIES])
    region[moved] = codes[rng.integers(0, len(codes), int(moved.sum()))]
    orig = book.origination[all_loan]
    cutoff_d = cutoff.astype("datetime64[D]")
    is_property = np.isin(all_type, PROPERTY)
    reappraise = is_property & (rng.random(n) < 0.6)
    re_date = cutoff_d - rng.integers(15, 540, n).astype("timedelta64[D]")
    re_date = np.maximum(re_date, orig)
    appraisal_date = np.where(reappraise, re_date, orig)
    idx0 = prices.lookup(region, all_type, orig)
    idx_a = prices.lookup(region, all_type, appraisal_date)
    idx_c = prices.lookup(region, all_type, np.full(n, cutoff_d))
    depreciation = np.where(is_property, 1.0, 0.85)
    appraisal = np.round(value0 * idx_a / idx0 * np.where(reappraise, depreciation, 1.0), 2)
    market = value0 * idx_c / idx0 * np.where(is_property, 1.0, 0.7)
    source = np.where(reappraise, np.where(rng.random(n) < 0.5, "internal", "external"), "external")
    source = np.where(np.isin(all_type, ("deposit", "receivables")), "internal", source)
    lien = np.where(is_property & (rng.random(n) < 0.12), 2, 1)
    prior = np.where(lien > 1, np.round(appraisal * rng.uniform(0.2, 0.55, n), 2), 0.0)
    area = np.full(n, np.nan)
    for t, (lo, hi) in AREA_SQM.items():
        m = all_type == t
        area[m] = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), int(m.sum()))), 1)
    occ = np.full(n, None, dtype=object)
    u = rng.random(n)
    res = all_type == "residential"
    occ[res] = np.where(u[res] < 0.7, "owner", np.where(u[res] < 0.85, "tenant", np.where(u[res] < 0.95, "vacant", "unknown")))
    other_prop = is_property & ~res
    occ[other_prop] = np.where(u[other_prop] < 0.45, "owner", np.where(u[other_prop] < 0.8, "tenant", "vacant"))
    city_names = dict((c[0], c[1]) for c in CITIES)
    addr = where_or_none(is_property, addresses(rng, lookup(city_names, region).astype(str)))
    frame = make_frame({
        "collateral_id": sequence_ids("CL", n),
        "collateral_type": all_type,
        "region": region,
        "address": addr,
        "area_sqm": area,
        "appraisal_value": appraisal,
        "appraisal_date": appraisal_date,
        "appraisal_source": source,
        "lien_rank": lien,
        "prior_claims": prior,
        "occupancy": occ,
        "status": np.full(n, "held", dtype=object),
    })
    # links: every secured loan to its (own or shared) first collateral, owners of a second one to it
    link_loan = np.concatenate([loans, sec_loans])
    link_coll = np.concatenate([coll_of, n_own + np.arange(len(sec_loans))])
    sharing = np.bincount(link_coll, weights=book.principal[link_loan], minlength=n)
    alloc = np.minimum(book.principal[link_loan],
                       appraisal[link_coll] * book.principal[link_loan] / sharing[link_coll])
    links = make_frame({"loan": link_loan, "collateral": link_coll, "allocated_amount": np.round(alloc, 2)})
    links = links.sort_values(["loan", "collateral"], kind="stable").reset_index(drop=True)
    first_of_loan = np.full(len(book), -1, dtype=np.int64)
    first_of_loan[loans] = coll_of
    return CollateralSet(frame=frame, links=links, first_of_loan=first_of_loan, market_value=market)


GUARANTEE_MIX = {
    "corporate": (0.55, (("corporate", 0.5), ("guarantee_company", 0.25), ("government_platform", 0.1),
                         ("personal", 0.15))),
    "sme": (0.60, (("personal", 0.5), ("guarantee_company", 0.3), ("corporate", 0.2))),
    "individual": (0.10, (("personal", 1.0),)),
}


def guarantees_frame(rng: np.random.Generator, book: LoanBook, loan_ids: npt.NDArray[np.str_],
                     counterparties: pd.DataFrame) -> pd.DataFrame:
    seg_names = np.array(SEGMENTS)[book.segment]
    parts = []
    firm_cps = np.flatnonzero(counterparties["counterparty_type"].to_numpy() != "individual")
    cp_ids = counterparties["counterparty_id"].to_numpy()
    ratings = counterparties["internal_rating"].to_numpy()
    cities = np.array([c[1] for c in CITIES])
    for seg_name, (p, mix) in GUARANTEE_MIX.items():
        rows = np.flatnonzero((seg_names == seg_name) & (rng.random(len(book)) < p))
        if seg_name == "individual":
            rows = rows[book.product[rows] == "business_personal"]
        m = len(rows)
        kinds = np.array([k for k, _ in mix])[rng.choice(len(mix), size=m, p=[w for _, w in mix])]
        guarantor_cp = np.full(m, None, dtype=object)
        name = np.full(m, None, dtype=object)
        rating = np.full(m, None, dtype=object)
        corp = kinds == "corporate"
        if len(firm_cps):
            pick = firm_cps[rng.integers(0, len(firm_cps), int(corp.sum()))]
            own = book.cp_index[rows[corp]]
            pick = np.where(pick == own, firm_cps[(np.searchsorted(firm_cps, pick) + 1) % len(firm_cps)], pick)
            guarantor_cp[corp] = cp_ids[pick]
            rating[corp] = ratings[pick]
        pers = kinds == "personal"
        name[pers] = person_names(rng, int(pers.sum()))
        gc = kinds == "guarantee_company"
        city = cities[rng.integers(0, len(cities), int(gc.sum()))]
        name[gc] = np.char.add(short_place(city), "融资担保有限公司")
        rating[gc] = np.array(["AA+", "AA", "AA-", "A+"])[rng.integers(0, 4, int(gc.sum()))]
        gp = kinds == "government_platform"
        city = cities[rng.integers(0, len(cities), int(gp.sum()))]
        name[gp] = np.char.add(short_place(city), "城市建设投资集团有限公司")
        rating[gp] = np.array(["AA+", "AA", "AAA"])[rng.integers(0, 3, int(gp.sum()))]
        if corp.any() and not len(firm_cps):  # pragma: no cover - tiny books
            name[corp] = firm_names(rng, city[: int(corp.sum())], np.full(int(corp.sum()), "C"),
                                    np.ones(int(corp.sum()), bool))
        share = np.where(rng.random(m) < 0.6, 1.0, rng.uniform(0.3, 1.0, m))
        parts.append(make_frame({
            "loan": rows, "guarantor_counterparty_id": guarantor_cp, "guarantor_name": name,
            "guarantee_type": kinds, "amount": np.round(book.principal[rows] * share, 2),
            "guarantor_rating": rating,
        }))
    g = pd.concat(parts, ignore_index=True).sort_values("loan", kind="stable").reset_index(drop=True)
    g.insert(0, "guarantee_id", sequence_ids("GU", len(g)))
    g.insert(1, "loan_id", loan_ids[g.pop("loan").to_numpy()])
    return g
