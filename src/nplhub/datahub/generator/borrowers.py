"""Counterparties: corporate, SME and individual borrowers, their identities and financials.

Industry and region are drawn after the credit history, tilted towards the sectors and
provinces where NPLs concentrate (`INDUSTRIES` and `regions.CITIES` NPL weights): the joint
law of (history, industry) is then P(history) * P(industry | ever NPL), which keeps the
migration matrix the same for every loan.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator.calibration import COUNTERPARTY_MIX, EXTRA_LOANS_LAMBDA, INDUSTRIES
from nplhub.datahub.generator.frames import make_frame, sequence_ids, where_or_none
from nplhub.datahub.generator.identifiers import (
    addresses,
    credit_codes,
    firm_names,
    person_names,
    phones,
    resident_ids,
)
from nplhub.datahub.generator.loans import SEGMENTS
from nplhub.datahub.generator.regions import CITIES


def draw_borrowers(rng: np.random.Generator, n_loans: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]]:
    """Counterparty types and, per loan, the index of its counterparty (loans grouped by borrower)."""
    mix = np.array([COUNTERPARTY_MIX[s] for s in SEGMENTS])
    lam = np.array([EXTRA_LOANS_LAMBDA[s] for s in SEGMENTS])
    mean_loans = float((mix * (1 + lam)).sum())
    n_cp = int(n_loans / mean_loans * 1.1) + 10
    seg = rng.choice(3, size=n_cp, p=mix).astype(np.int8)
    per = 1 + rng.poisson(lam[seg])
    total = np.cumsum(per)
    keep = int(np.searchsorted(total, n_loans)) + 1
    if keep > n_cp:  # pragma: no cover - the 10% margin makes this practically impossible
        raise RuntimeError("not enough counterparties drawn")
    seg, per = seg[:keep], per[:keep]
    per[-1] -= int(per.sum()) - n_loans
    cp_of_loan = np.repeat(np.arange(keep), per)
    return seg, cp_of_loan


def _weighted(rng: np.random.Generator, weights: npt.NDArray[np.float64], tilt: npt.NDArray[np.float64],
              bad: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    out = np.empty(len(bad), dtype=np.int64)
    for flag, w in ((False, weights), (True, weights * tilt)):
        m = bad == flag
        out[m] = rng.choice(len(w), size=int(m.sum()), p=w / w.sum())
    return out


def counterparties_frame(rng: np.random.Generator, seg: npt.NDArray[np.int8], bad: npt.NDArray[np.bool_],
                         worst_class: npt.NDArray[np.int8], exposure: npt.NDArray[np.float64],
                         cutoff: np.datetime64) -> pd.DataFrame:
    """One row per counterparty. `bad`: ever NPL; `worst_class` at the cut-off; `exposure` its loans."""
    n = len(seg)
    codes = np.array([c[0] for c in CITIES])
    cities = np.array([c[1] for c in CITIES])
    city = _weighted(rng, np.array([c[3] for c in CITIES]), np.array([c[5] for c in CITIES]), bad)
    region = codes[city]
    letters = np.array(list(INDUSTRIES))
    ind = _weighted(rng, np.array([v[0] for v in INDUSTRIES.values()]),
                    np.array([v[1] for v in INDUSTRIES.values()]), bad)
    industry = letters[ind]
    person = seg == 2
    firm = ~person
    # individuals: a retail borrower's industry is left empty; business owners keep it
    name = np.empty(n, dtype=object)
    id_number = np.empty(n, dtype=object)
    np_ = int(person.sum())
    birth = (cutoff.astype("datetime64[D]") - rng.integers(22 * 365, 65 * 365, np_).astype("timedelta64[D]"))
    id_number[person] = resident_ids(rng, region[person], birth, rng.random(np_) < 0.55)
    name[person] = person_names(rng, np_)
    nf = int(firm.sum())
    org_type = np.where(rng.random(nf) < 0.97, 1, 2)
    id_number[firm] = credit_codes(rng, region[firm], org_type)
    name[firm] = firm_names(rng, cities[city[firm]], industry[firm], seg[firm] == 1)

    revenue = np.full(n, np.nan)
    assets = np.full(n, np.nan)
    employees = np.full(n, -1, dtype=np.int64)
    corp = seg == 0
    sme = seg == 1
    revenue[corp] = np.round(np.maximum(exposure[corp], 1e6) * rng.lognormal(1.2, 0.6, corp.sum()), -3)
    revenue[sme] = np.round(np.maximum(exposure[sme], 2e5) * rng.lognormal(0.8, 0.6, sme.sum()), -3)
    leverage = np.clip(rng.normal(0.58, 0.12, n) + 0.15 * (worst_class >= 2), 0.15, 1.3)
    assets[firm] = np.round(revenue[firm] * rng.lognormal(0.2, 0.4, nf), -3)
    liabilities = np.round(assets * leverage, -3)
    employees[corp] = np.round(rng.lognormal(5.8, 0.8, corp.sum())).astype(np.int64)
    employees[sme] = np.round(rng.lognormal(3.0, 0.8, sme.sum())).astype(np.int64)
    grades = np.array(["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"])
    score = np.clip(np.round(rng.normal(2.5, 1.2, n) + np.array([0, 2.0, 4.0, 5.0, 6.0])[worst_class]), 0, 9)
    rating = np.where(firm, grades[score.astype(int)], None)
    insolvency = np.full(n, "none", dtype=object)
    u = rng.random(n)
    npl_firm = firm & (worst_class >= 2)
    insolvency[npl_firm & (u < 0.12)] = "restructuring"
    insolvency[npl_firm & (u >= 0.12) & (u < 0.22)] = "bankruptcy"
    insolvency[npl_firm & (u >= 0.22) & (u < 0.25) & (worst_class == 4)] = "liquidated"

    cp_id = sequence_ids("CP", n)
    return make_frame({
        "counterparty_id": cp_id,
        "name": name,
        "id_number": id_number,
        "counterparty_type": np.array(SEGMENTS)[seg],
        "industry": where_or_none(firm | (rng.random(n) < 0.25), industry),
        "region": region,
        "annual_revenue": revenue,
        "total_assets": assets,
        "total_liabilities": liabilities,
        "employees": pd.Series(employees, dtype="Int64").where(employees >= 0),
        "internal_rating": rating,
        "insolvency_status": insolvency,
        "phone": phones(rng, n),
        "address": addresses(rng, cities[city]),
    })
