"""Calibration of the demo portfolio: every number the generator draws from, with its source.

docs/demo-portfolio.md explains each block and says which numbers are sourced and which are
assumptions. The numbers here are the ground truth that estimators elsewhere in nplhub should
recover from a generated tape (see `nplhub.datahub.generator.truth`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES: tuple[str, ...] = ("normal", "special_mention", "substandard", "doubtful", "loss")

# --- Monthly migration matrix of the TRUE five-category class (assumption, shaped so that the
# book's NPL ratio stays near 3% and new NPL formation is about 1.5-2% of the book a year).
MIGRATION_MATRIX = np.array(
    [
        [0.9950, 0.0042, 0.0006, 0.0001, 0.0001],
        [0.0700, 0.8880, 0.0380, 0.0030, 0.0010],
        [0.0080, 0.0200, 0.9020, 0.0600, 0.0100],
        [0.0010, 0.0030, 0.0100, 0.9360, 0.0500],
        [0.0000, 0.0000, 0.0000, 0.0020, 0.9980],
    ]
)

# Class distribution at the start of the 36-month window of loans already on the book then.
INITIAL_CLASS_MIX = np.array([0.948, 0.026, 0.010, 0.008, 0.008])

# Days-past-due ceiling each class allows under the 2023 rule (a class may never be better than
# its DPD floor: > 90 at least substandard, > 270 doubtful, > 360 loss; <= 7 days technical delay).
DPD_CEILING = np.array([7, 90, 270, 360, 100_000], dtype=np.int32)
# Probability that an instalment is missed in a month spent in the class (assumption).
MISS_PROBABILITY = np.array([0.0, 0.45, 0.85, 0.92, 0.97])

# Monthly hazard that the bank opens a disposal case for a loan it reports in the class.
DISPOSAL_HAZARD = np.array([0.0, 0.0, 0.05, 0.09, 0.14])
# Share of the 5-year disposal history that started before the 36-month window (2 of 5 years).
PRE_WINDOW_DISPOSAL_SHARE = 0.035
PRE_WINDOW_CLASS_MIX = np.array([0.0, 0.0, 0.30, 0.35, 0.35])

# --- Hidden NPLs (evergreening): propensity to conceal when the true class turns NPL, by segment.
CONCEAL_PROPENSITY = {"corporate": 0.5, "sme": 0.4, "individual": 0.04}
CONCEAL_REVEAL_HAZARD = 0.04  # monthly chance that a concealed NPL is recognised
CONCEAL_MEASURES = ("extension", "refinance_new_for_old")
CONCEAL_MEASURE_P = (0.55, 0.45)

# --- Loan-loss provision rate by reported class (assumption between the 2002 legacy table
# 1/2/25/50/100% and IFRS 9 practice; gives coverage near the 120-150% regulatory band).
PROVISION_RATE = np.array([0.018, 0.08, 0.35, 0.65, 1.0])


@dataclass(frozen=True)
class ProductSpec:
    product: str
    share: float  # within the counterparty type
    median_principal: float  # yuan
    sigma: float  # lognormal sigma of the principal
    term_months: tuple[int, ...]
    rate_range: tuple[float, float]
    methods: tuple[tuple[str, float], ...]
    secured_p: float
    collateral_types: tuple[tuple[str, float], ...]


PRODUCTS: dict[str, tuple[ProductSpec, ...]] = {
    "corporate": (
        ProductSpec("working_capital", 0.55, 10e6, 0.9, (12, 24, 36), (0.034, 0.052),
                    (("interest_only", 0.7), ("bullet", 0.3)), 0.55,
                    (("industrial", 0.35), ("commercial", 0.2), ("land_use_right", 0.2), ("equipment", 0.1),
                     ("receivables", 0.08), ("inventory", 0.04), ("equity", 0.03))),
        ProductSpec("fixed_asset", 0.25, 30e6, 0.9, (60, 84, 120), (0.036, 0.050),
                    (("equal_principal", 0.6), ("interest_only", 0.4)), 0.9,
                    (("land_use_right", 0.45), ("industrial", 0.35), ("commercial", 0.15), ("equipment", 0.05))),
        ProductSpec("trade_finance", 0.20, 5e6, 0.8, (6, 12), (0.030, 0.045),
                    (("bullet", 1.0),), 0.5,
                    (("receivables", 0.4), ("inventory", 0.3), ("deposit", 0.3))),
    ),
    "sme": (
        ProductSpec("working_capital", 0.75, 2e6, 0.9, (12, 24, 36), (0.038, 0.062),
                    (("interest_only", 0.6), ("bullet", 0.2), ("equal_instalment", 0.2)), 0.7,
                    (("residential", 0.35), ("commercial", 0.3), ("industrial", 0.25), ("equipment", 0.1))),
        ProductSpec("fixed_asset", 0.12, 5e6, 0.8, (36, 60, 84), (0.040, 0.060),
                    (("equal_principal", 1.0),), 0.9,
                    (("industrial", 0.5), ("land_use_right", 0.3), ("commercial", 0.2))),
        ProductSpec("trade_finance", 0.08, 1.5e6, 0.8, (6, 12), (0.035, 0.055),
                    (("bullet", 1.0),), 0.5, (("receivables", 0.6), ("deposit", 0.4))),
        ProductSpec("other", 0.05, 1e6, 0.8, (12, 36), (0.040, 0.070),
                    (("other", 1.0),), 0.3, (("equipment", 0.5), ("vehicle", 0.5))),
    ),
    "individual": (
        ProductSpec("mortgage", 0.32, 7e5, 0.6, (240, 300, 360), (0.031, 0.045),
                    (("equal_instalment", 0.7), ("equal_principal", 0.3)), 1.0, (("residential", 1.0),)),
        ProductSpec("consumer", 0.28, 6e4, 0.9, (12, 36, 60), (0.045, 0.120),
                    (("equal_instalment", 1.0),), 0.12, (("vehicle", 1.0),)),
        ProductSpec("credit_card", 0.25, 2.5e4, 0.9, (36, 60), (0.1825, 0.1825),
                    (("other", 1.0),), 0.0, ()),
        ProductSpec("business_personal", 0.15, 5e5, 0.9, (12, 36, 60), (0.040, 0.070),
                    (("interest_only", 0.5), ("equal_instalment", 0.5)), 0.75,
                    (("residential", 0.65), ("commercial", 0.35))),
    ),
}

# Counterparties by type (count shares) and loans per counterparty (1 + Poisson(lambda)).
COUNTERPARTY_MIX = {"corporate": 0.03, "sme": 0.17, "individual": 0.80}
EXTRA_LOANS_LAMBDA = {"corporate": 1.5, "sme": 0.4, "individual": 0.2}

# Loan-to-value at origination by collateral type (assumption; mortgage LTV <= 70% by policy).
LTV = {"residential": 0.6, "commercial": 0.5, "industrial": 0.5, "land_use_right": 0.6, "equipment": 0.4,
       "vehicle": 0.7, "inventory": 0.5, "receivables": 0.7, "equity": 0.5, "deposit": 0.9, "other": 0.5}
AREA_SQM = {"residential": (60, 160), "commercial": (40, 600), "industrial": (800, 20_000),
            "land_use_right": (2_000, 60_000)}

# --- Industries, GB/T 4754-2017 sections: share in the book and relative NPL weight.
# Relative NPL weights follow the post-2020 NPL mix reported by listed banks (manufacturing,
# wholesale and retail, real estate, construction and transport heavier); values are assumptions.
INDUSTRIES: dict[str, tuple[float, float]] = {
    "A": (0.03, 1.2), "B": (0.02, 1.3), "C": (0.28, 1.6), "D": (0.04, 0.4), "E": (0.08, 1.7),
    "F": (0.20, 2.0), "G": (0.06, 1.5), "H": (0.03, 1.4), "I": (0.03, 0.6), "K": (0.08, 2.3),
    "L": (0.06, 0.8), "M": (0.02, 0.6), "N": (0.03, 0.7), "O": (0.02, 0.8), "P": (0.01, 0.3),
    "Q": (0.01, 0.4), "R": (0.01, 1.0),
}

# --- Disposal routes: ground truth of recoveries, costs and durations.


@dataclass(frozen=True)
class RouteParams:
    recovery_secured: float  # mean gross recovery / exposure at start, secured loans
    recovery_unsecured: float  # same, unsecured loans
    concentration: float  # Beta concentration (a + b) of the recovery rate
    cost_rate: float  # mean costs / exposure at start
    median_days: float  # lognormal median of the duration
    duration_sigma: float  # lognormal sigma of the duration


ROUTES: dict[str, RouteParams] = {
    "collection": RouteParams(0.62, 0.14, 6.0, 0.030, 240, 0.5),
    "restructuring": RouteParams(0.78, 0.58, 8.0, 0.012, 270, 0.4),
    "bulk_transfer": RouteParams(0.30, 0.07, 12.0, 0.010, 150, 0.35),
    "single_transfer": RouteParams(0.42, 0.18, 10.0, 0.015, 180, 0.4),
    "judicial_auction": RouteParams(0.56, 0.20, 8.0, 0.070, 690, 0.4),
    "securitization": RouteParams(0.50, 0.10, 10.0, 0.020, 240, 0.3),
    "debt_to_equity": RouteParams(0.45, 0.35, 8.0, 0.030, 480, 0.35),
    "write_off": RouteParams(0.06, 0.03, 4.0, 0.005, 365, 0.5),
    "in_kind": RouteParams(0.54, 0.54, 10.0, 0.040, 600, 0.4),
}

# Route choice by (segment, secured); probabilities in ROUTE_ORDER.
ROUTE_ORDER: tuple[str, ...] = tuple(ROUTES)
ROUTE_CHOICE: dict[tuple[str, bool], tuple[float, ...]] = {
    #                    coll  restr bulk  single judic  secur d2e   w/o   in_kind
    ("corporate", True): (0.12, 0.15, 0.20, 0.08, 0.33, 0.00, 0.03, 0.03, 0.06),
    ("corporate", False): (0.25, 0.15, 0.35, 0.08, 0.00, 0.00, 0.02, 0.15, 0.00),
    ("sme", True): (0.18, 0.12, 0.22, 0.06, 0.35, 0.00, 0.00, 0.02, 0.05),
    ("sme", False): (0.30, 0.10, 0.35, 0.05, 0.00, 0.00, 0.00, 0.20, 0.00),
    ("individual", True): (0.35, 0.05, 0.00, 0.00, 0.40, 0.15, 0.00, 0.02, 0.03),
    ("individual", False): (0.45, 0.02, 0.18, 0.00, 0.00, 0.15, 0.00, 0.20, 0.00),
}

# Judicial auction ladder (法释〔2016〕18号 第10条, 第26条): start >= 70% of the reference price,
# second start >= 80% of the first (56% of reference); 变卖 at the second start; 以物抵债 at the
# failed auction's reserve. Outcome probabilities and the bidding premium are assumptions.
AUCTION_START_1 = 0.70
AUCTION_START_2 = 0.80
AUCTION_OUTCOMES: tuple[tuple[str, float], ...] = (
    ("auction_1", 0.42), ("auction_2", 0.25), ("sell_off", 0.15), ("in_kind", 0.10), ("terminated", 0.08),
)
AUCTION_PREMIUM_P = 0.5  # share of lots with competing bids
AUCTION_PREMIUM_MEAN = 0.12  # exponential mean of the premium over the start when contested

BUYER_TYPES: dict[str, tuple[tuple[str, float], ...]] = {
    "bulk_transfer": (("national_amc", 0.55), ("local_amc", 0.40), ("aic", 0.05)),
    "single_transfer": (("national_amc", 0.3), ("local_amc", 0.3), ("private_investor", 0.4)),
    "securitization": (("trust", 1.0),),
    "judicial_auction": (("private_investor", 0.8), ("enterprise", 0.2)),
}

# --- Regional property price index (base 100 in the first month). Shape after the NBS 70-city
# index: rising to mid-2021, falling since; steeper in lower tiers and for commercial property.
PRICE_PEAK = "2021-08"
PRICE_GROWTH_BEFORE = {"residential": 0.05, "commercial": 0.03, "industrial": 0.02}  # a year
PRICE_FALL_AFTER = {  # a year, by city tier 1..3
    "residential": (-0.03, -0.05, -0.07), "commercial": (-0.06, -0.08, -0.10),
    "industrial": (-0.02, -0.03, -0.04),
}
PRICE_INDEX_MONTHS = 60
