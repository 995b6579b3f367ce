"""The ground truth behind a generated tape: what a good estimator should recover from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator import calibration as cal


@dataclass
class Truth:
    """Parameters used to simulate the tape, and the hidden facts only the generator knows.

    - `migration_matrix[i, j]`: monthly probability that the TRUE class moves from CLASSES[i] to
      CLASSES[j]. `loan_states` shows the REPORTED class; the two differ only on the rows listed
      in `true_states` (concealed NPLs). Rebuild the true paths by overriding those rows.
    - `hidden_npl`: one row per loan whose NPL was concealed (extension or 借新还旧 while the true
      class was NPL); `concealed_at_cutoff` says whether it is still hidden at the cut-off.
    - `routes`: recovery / cost / duration parameters per disposal route (calibration.RouteParams);
      judicial routes follow the auction ladder (`auction`) instead of the Beta means.
    - `disposal_outcomes`: every case's eventual end, recovery and costs, open cases included.
    """

    classes: tuple[str, ...] = cal.CLASSES
    migration_matrix: npt.NDArray[np.float64] = field(default_factory=lambda: cal.MIGRATION_MATRIX.copy())
    initial_class_mix: npt.NDArray[np.float64] = field(default_factory=lambda: cal.INITIAL_CLASS_MIX.copy())
    disposal_hazard: npt.NDArray[np.float64] = field(default_factory=lambda: cal.DISPOSAL_HAZARD.copy())
    dpd_ceiling: npt.NDArray[np.int32] = field(default_factory=lambda: cal.DPD_CEILING.copy())
    routes: dict[str, cal.RouteParams] = field(default_factory=lambda: dict(cal.ROUTES))
    route_choice: dict[tuple[str, bool], tuple[float, ...]] = field(default_factory=lambda: dict(cal.ROUTE_CHOICE))
    auction: dict[str, Any] = field(default_factory=lambda: {
        "start_1_of_reference": cal.AUCTION_START_1,
        "start_2_of_start_1": cal.AUCTION_START_2,
        "outcomes": dict(cal.AUCTION_OUTCOMES),
        "premium_probability": cal.AUCTION_PREMIUM_P,
        "premium_mean": cal.AUCTION_PREMIUM_MEAN,
    })
    hidden_npl: pd.DataFrame = field(default_factory=pd.DataFrame)
    true_states: pd.DataFrame = field(default_factory=pd.DataFrame)
    disposal_outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    npl_ratio_reported: float = float("nan")
    npl_ratio_true: float = float("nan")


@dataclass
class Tape:
    """A generated data tape: metadata, one frame per table of the spec, and its ground truth."""

    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    truth: Truth = field(default_factory=Truth)

    @property
    def cutoff(self) -> date:
        value = self.meta["cutoff_date"]
        return value if isinstance(value, date) else date.fromisoformat(str(value))
