"""Regional monthly property price indices (base 100 in the first month of the series)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nplhub.datahub.generator.calibration import (
    PRICE_FALL_AFTER,
    PRICE_GROWTH_BEFORE,
    PRICE_INDEX_MONTHS,
    PRICE_PEAK,
)
from nplhub.datahub.generator.frames import make_frame
from nplhub.datahub.generator.regions import CITIES

PROPERTY_TYPES: tuple[str, ...] = ("residential", "commercial", "industrial")


class PriceIndex:
    """index[city, type, month]; months are the PRICE_INDEX_MONTHS months ending at the cut-off."""

    def __init__(self, rng: np.random.Generator, cutoff: np.datetime64, months: int = PRICE_INDEX_MONTHS) -> None:
        last = cutoff.astype("datetime64[M]")
        self.months = last - np.arange(months - 1, -1, -1).astype("timedelta64[M]")
        order = np.argsort([c[0] for c in CITIES])
        self.codes = np.array([c[0] for c in CITIES])[order]
        tiers = np.array([c[4] for c in CITIES])[order]
        peak = np.datetime64(PRICE_PEAK, "M")
        before = (self.months <= peak)[None, :]
        n_city, n_month = len(CITIES), len(self.months)
        index = np.empty((n_city, len(PROPERTY_TYPES), n_month))
        for j, ptype in enumerate(PROPERTY_TYPES):
            city_scale = rng.normal(1.0, 0.25, n_city)[:, None]
            up = PRICE_GROWTH_BEFORE[ptype] / 12 * city_scale
            down = np.array(PRICE_FALL_AFTER[ptype])[tiers - 1][:, None] / 12 * city_scale
            drift = np.where(before, up, down)
            noise = rng.normal(0.0, 0.003, (n_city, n_month))
            log_path = np.cumsum(drift + noise, axis=1)
            log_path -= log_path[:, :1]
            index[:, j, :] = 100.0 * np.exp(log_path)
        self.index = np.round(index, 2)

    def lookup(self, region: npt.NDArray[np.str_], ptype: npt.NDArray[np.str_],
               dates: npt.NDArray[np.datetime64]) -> npt.NDArray[np.float64]:
        """Index level for each (region, property type, date); dates before the series use its first month,
        types without an index (equipment, ...) get 100."""
        city = np.searchsorted(self.codes, region)
        city = np.clip(city, 0, len(self.codes) - 1)
        known = self.codes[city] == region
        types = np.array(PROPERTY_TYPES)
        mapped = np.where(ptype == "land_use_right", "industrial", ptype)
        tidx = np.searchsorted(types, mapped)
        tidx = np.clip(tidx, 0, len(types) - 1)
        has_type = types[tidx] == mapped
        m = (dates.astype("datetime64[M]") - self.months[0]).astype(np.int64)
        m = np.clip(m, 0, len(self.months) - 1)
        out = self.index[city, tidx, m]
        return np.where(known & has_type, out, 100.0)

    def frame(self) -> pd.DataFrame:
        n_city, n_type, n_month = self.index.shape
        c, t, m = np.meshgrid(np.arange(n_city), np.arange(n_type), np.arange(n_month), indexing="ij")
        return make_frame({
            "region": self.codes[c.ravel()],
            "property_type": np.array(PROPERTY_TYPES)[t.ravel()],
            "month": self.months[m.ravel()].astype(str),
            "index": self.index.ravel(),
        })
