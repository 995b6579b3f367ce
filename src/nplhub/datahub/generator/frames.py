"""Building the tape's frames: text columns are held as Arrow-backed strings.

Converting millions of numpy unicode values to Python objects is the slowest part of building a
big tape; Arrow strings skip it, and they compare, merge and write like ordinary text columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def as_text(values: Any) -> Any:
    """Numpy unicode or object arrays of text (None = missing) become Arrow-backed string arrays."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "UO":
        sample = values[:50]
        if values.dtype.kind == "O" and not all(v is None or isinstance(v, str) for v in sample):
            return values
        return pd.array(pa.array(values, type=pa.string(), from_pandas=True), dtype=TEXT)
    return values


def make_frame(columns: dict[str, Any]) -> pd.DataFrame:
    """A DataFrame whose text columns are Arrow strings; scalar text is broadcast first."""
    n = next((len(v) for v in columns.values() if not np.isscalar(v) and v is not None), 0)
    out = {}
    for name, values in columns.items():
        if isinstance(values, str):
            values = np.full(n, values)
        out[name] = as_text(values)
    return pd.DataFrame(out)


def lookup(mapping: dict[str, Any], keys: np.ndarray, default: Any = None) -> np.ndarray:
    """mapping[key] for every key of an array (vectorised through the distinct keys)."""
    if keys.size == 0:
        return np.array([], dtype=np.asarray(list(mapping.values()) or [default]).dtype)
    codes, uniq = pd.factorize(keys.ravel())  # hashing, not sorting: fast on millions of strings
    values = np.array([mapping.get(str(k), default) for k in uniq])
    return values[codes.reshape(keys.shape)]


def sequence_ids(prefix: str, n: int, width: int = 6) -> np.ndarray:
    """prefix + zero-padded 1..n, e.g. LN000001 (at least `width` digits)."""
    if n == 0:
        return np.array([], dtype=f"U{len(prefix) + width}")
    digits = np.char.zfill(np.arange(1, n + 1).astype(str), max(width, len(str(n))))
    return np.char.add(prefix, digits)


def where_or_none(condition: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values where condition holds, None elsewhere (an object array for optional text)."""
    out = np.full(len(condition), None, dtype=object)
    out[condition] = np.asarray(values)[condition]
    return out
