"""Check digits of Chinese identity numbers, scalar and vectorised.

- Resident identity number (公民身份号码), GB 11643-1999: a six-digit address code (its province
  prefix must exist), the birth date YYYYMMDD, a three-digit sequence and a check character,
  ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 written X.
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters over the 31-symbol
  alphabet 0-9 A-H J-N P-R T U W-Y (no I O Z S V); the 18th is a MOD 31 check character with
  weights 3^(i-1) mod 31, check = 31 - (sum mod 31), 31 written 0.
"""

from __future__ import annotations

import numpy as np

RESIDENT_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
RESIDENT_CHECK = "10X98765432"  # indexed by sum mod 11

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)

_USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(USCC_ALPHABET):
    _USCC_VALUE[ord(_ch)] = _i
# GB/T 2260 province-level prefixes (the 31 mainland provinces, Taiwan, Hong Kong, Macao)
_PROVINCES = np.array([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                       50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82])
_DIGIT_VALUE = np.full(256, -1, dtype=np.int64)
for _i in range(10):
    _DIGIT_VALUE[ord(str(_i))] = _i


def resident_check_char(first17: str) -> str:
    total = sum(int(d) * int(w) for d, w in zip(first17, RESIDENT_WEIGHTS))
    return RESIDENT_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * int(w) for ch, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_resident_id(number: str) -> bool:
    """Check character and structure (province prefix, birth date)."""
    return bool(valid_resident_ids([number])[0])


def is_valid_uscc(code: str) -> bool:
    return bool(valid_usccs([code])[0])


def _matrix(values: list[str]) -> np.ndarray | None:
    if not values:
        return np.zeros((0, 18), dtype=np.uint8)
    try:
        raw = "".join(values).encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(raw) != 18 * len(values):
        return None
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)


def _as_matrix(values: object) -> tuple[list[str], np.ndarray | None]:
    matrix = id_matrix(values)
    if matrix is not None:
        return [], matrix
    listed = values.to_pylist() if hasattr(values, "to_pylist") else list(values)  # type: ignore[call-overload]
    return listed, _matrix(listed)


def valid_resident_ids(values: object) -> np.ndarray:
    """Element-wise: an 18-character resident identity number with a correct check character.
    `values`: a list of str, or an Arrow string array (read in place when possible)."""
    values, matrix = _as_matrix(values)
    if matrix is None:
        return np.array([is_valid_resident_id(v) if len(v) == 18 and v.isascii() else False for v in values])
    digits = _DIGIT_VALUE[matrix[:, :17]]
    shaped = (digits >= 0).all(axis=1)
    d = np.where(digits >= 0, digits, 0)
    sums = (d * RESIDENT_WEIGHTS).sum(axis=1) % 11
    expected = np.frombuffer(RESIDENT_CHECK.encode(), dtype=np.uint8)[sums]
    return shaped & _plausible_structure(d) & (matrix[:, 17] == expected)


def _plausible_structure(d: np.ndarray) -> np.ndarray:
    """GB 11643 structure: a province-level address prefix and a real birth date (1900-2099)."""
    province = d[:, 0] * 10 + d[:, 1]
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    month_days = month_days + ((month == 2) & leap)
    return (np.isin(province, _PROVINCES) & (year >= 1900) & (year <= 2099) & (month >= 1) & (month <= 12)
            & (day >= 1) & (day <= month_days))


def valid_usccs(values: object) -> np.ndarray:
    """Element-wise: an 18-character unified social credit code with a correct check character."""
    values, matrix = _as_matrix(values)
    if matrix is None:
        return np.array([is_valid_uscc(v) if len(v) == 18 and v.isascii() else False for v in values])
    symbols = _USCC_VALUE[matrix]
    shaped = (symbols >= 0).all(axis=1)
    sums = (np.where(symbols[:, :17] >= 0, symbols[:, :17], 0) * USCC_WEIGHTS).sum(axis=1) % 31
    expected = (31 - sums) % 31
    return shaped & (symbols[:, 17] == expected)


def id_matrix(column: object) -> np.ndarray | None:
    """An (n, 18) byte matrix straight from an Arrow string array whose values are all 18 ASCII
    characters (no nulls); None when it is not so and the list path must be used."""
    import pyarrow as pa

    if not isinstance(column, pa.Array) or column.null_count or not pa.types.is_string(column.type):
        return None
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset: column.offset + len(column) + 1]
    if offsets.size == 0 or not (np.diff(offsets) == 18).all():
        return None
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]]
    if data.size and data.max() >= 128:
        return None
    return data.reshape(-1, 18)
