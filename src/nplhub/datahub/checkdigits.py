"""Check digits of Chinese identity numbers, scalar and vectorised.

- Resident identity number (公民身份号码), GB 11643-1999: 17 digits and a check character,
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


def valid_resident_ids(values: list[str]) -> np.ndarray:
    """Element-wise: an 18-character resident identity number with a correct check character."""
    matrix = _matrix(values)
    if matrix is None:
        return np.array([is_valid_resident_id(v) if len(v) == 18 and v.isascii() else False for v in values])
    digits = _DIGIT_VALUE[matrix[:, :17]]
    shaped = (digits >= 0).all(axis=1)
    sums = (np.where(digits >= 0, digits, 0) * RESIDENT_WEIGHTS).sum(axis=1) % 11
    expected = np.frombuffer(RESIDENT_CHECK.encode(), dtype=np.uint8)[sums]
    return shaped & (matrix[:, 17] == expected)


def valid_usccs(values: list[str]) -> np.ndarray:
    """Element-wise: an 18-character unified social credit code with a correct check character."""
    matrix = _matrix(values)
    if matrix is None:
        return np.array([is_valid_uscc(v) if len(v) == 18 and v.isascii() else False for v in values])
    symbols = _USCC_VALUE[matrix]
    shaped = (symbols >= 0).all(axis=1)
    sums = (np.where(symbols[:, :17] >= 0, symbols[:, :17], 0) * USCC_WEIGHTS).sum(axis=1) % 31
    expected = (31 - sums) % 31
    return shaped & (symbols[:, 17] == expected)
