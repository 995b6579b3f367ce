"""State histories: the long-format input of every migration estimator.

A history is a set of observations (entity, time, state). Two layouts are accepted, the ones of
open-risk/transitionMatrix so that its data sets run unchanged:

- compact: columns `ID, Time, State`, one row per observed state;
- canonical: columns `ID, Time, From, To`, one row per event (the entity was in `From` just
  before `Time` and is in `To` from `Time` on); the first `From` of an entity is its state at the
  start of the observation window.

Times are numbers (integer periods, or fractions of a period) or dates; dates become years since
the first date. States keep their order: risk classes in the order of severity, numbers in
numeric order, anything else in sorted order, unless the caller passes the order explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nplhub.domain.classification import ORDERED_CLASSES

CLASS_ORDER = tuple(c.value for c in ORDERED_CLASSES)


class HistoryError(ValueError):
    """The history cannot be read: a missing column, an unparseable time, an unknown state."""


@dataclass(frozen=True)
class StateHistory:
    """Observations sorted by entity then time, states as codes into `states`."""

    entity: np.ndarray  # int64 codes, non-decreasing
    time: np.ndarray  # float64, increasing within an entity
    state: np.ndarray  # int64 codes into `states`
    states: tuple[Any, ...]
    time_unit: str = "period"  # "period" for numeric times, "year" for dates

    @property
    def size(self) -> int:
        return int(self.entity.size)

    @property
    def integer_times(self) -> bool:
        return bool(self.size) and bool(np.all(self.time == np.round(self.time)))


def _order_states(values: Sequence[Any]) -> list[Any]:
    unique = list(dict.fromkeys(values))
    if all(str(v) in CLASS_ORDER for v in unique):
        return sorted(unique, key=lambda v: CLASS_ORDER.index(str(v)))
    try:
        return sorted(unique, key=lambda v: float(v))
    except (TypeError, ValueError):
        return sorted(unique, key=str)


def _normalise_state(value: Any) -> Any:
    """Integral numbers become int (7.0 -> 7), numeric strings stay as they are."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _times(column: pd.Series) -> tuple[np.ndarray, str]:
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64), "period"
    if pd.api.types.is_datetime64_any_dtype(column):
        stamps = column
    else:
        numeric = pd.to_numeric(column, errors="coerce")
        if numeric.notna().all():
            return numeric.to_numpy(dtype=np.float64), "period"
        stamps = pd.to_datetime(column, errors="coerce")
        bad = stamps.isna() & column.notna()
        if bad.any():
            first = column[bad].iloc[0]
            raise HistoryError(f"column Time: {first!r} is neither a number nor a date")
    days = (stamps - stamps.min()).dt.total_seconds().to_numpy() / 86400.0
    return days / 365.25, "year"


def state_history(
    frame: pd.DataFrame,
    *,
    id_column: str = "ID",
    time_column: str = "Time",
    state_column: str = "State",
    states: Sequence[Any] | None = None,
) -> StateHistory:
    """Build a sorted `StateHistory` from a compact or canonical frame.

    Rows with a missing id, time or state are dropped (transitionMatrix skips them too).
    """
    columns = set(frame.columns)
    if {id_column, time_column, "From", "To"} <= columns and state_column not in columns:
        frame = _canonical_to_compact(frame, id_column, time_column)
    missing = [c for c in (id_column, time_column, state_column) if c not in columns | set(frame.columns)]
    if missing:
        raise HistoryError(
            f"missing column(s) {', '.join(missing)}: expected {id_column},{time_column},{state_column} "
            f"(compact) or {id_column},{time_column},From,To (canonical); found {', '.join(map(str, frame.columns))}"
        )
    data = frame[[id_column, time_column, state_column]].dropna()
    if data.empty:
        raise HistoryError("the history holds no complete (id, time, state) observation")
    time, unit = _times(data[time_column])
    entity_codes, _ = pd.factorize(data[id_column], sort=False)
    raw_states = data[state_column]
    if pd.api.types.is_float_dtype(raw_states) and np.all(raw_states == np.round(raw_states)):
        raw_states = raw_states.astype(np.int64)
    state_codes, uniques = pd.factorize(raw_states, sort=False)
    labels = [_normalise_state(v) for v in uniques]
    order = list(states) if states is not None else _order_states(labels)
    unknown = [s for s in labels if s not in order]
    if unknown:
        raise HistoryError(f"state(s) {unknown!r} are not in the given state list {order!r}")
    remap = np.array([order.index(s) for s in labels], dtype=np.int64)
    state = remap[state_codes]
    entity = entity_codes.astype(np.int64)
    if entity.size > 1 and not (
        np.all(entity[1:] >= entity[:-1])
        and np.all((entity[1:] != entity[:-1]) | (time[1:] >= time[:-1]))
    ):
        idx = np.lexsort((time, entity))
        entity, time, state = entity[idx], time[idx], state[idx]
    return StateHistory(entity=entity, time=time, state=state, states=tuple(order), time_unit=unit)


def _canonical_to_compact(frame: pd.DataFrame, id_column: str, time_column: str) -> pd.DataFrame:
    data = frame[[id_column, time_column, "From", "To"]].dropna()
    start = pd.to_numeric(data[time_column], errors="coerce")
    if start.notna().all():
        t0: Any = start.min()
    else:
        t0 = data[time_column].min()
    first = data.drop_duplicates(id_column, keep="first")
    initial = pd.DataFrame({id_column: first[id_column], time_column: t0, "State": first["From"]})
    events = data[[id_column, time_column, "To"]].rename(columns={"To": "State"})
    events = events[~((events[time_column] == t0) & (events.index.isin(first.index)))]
    out = pd.concat([initial, events], ignore_index=True)
    out["_order"] = np.arange(len(out))
    out = out.sort_values([id_column, time_column, "_order"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def history_from_loan_states(loan_states: pd.DataFrame) -> StateHistory:
    """The month-end classification history as a history in months (integer periods)."""
    required = {"loan_id", "as_of_date", "class"}
    missing = required - set(loan_states.columns)
    if missing:
        raise HistoryError(f"loan_states lacks column(s) {', '.join(sorted(missing))}")
    dates = pd.to_datetime(loan_states["as_of_date"])
    months = (dates.dt.year * 12 + dates.dt.month).astype(np.int64)
    frame = pd.DataFrame({"ID": loan_states["loan_id"].to_numpy(), "Time": months.to_numpy(),
                          "State": loan_states["class"].astype(str).to_numpy()})
    return state_history(frame, states=CLASS_ORDER)
