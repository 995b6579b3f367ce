"""Exact integer-cent arithmetic for the waterfall, vectorised over scenario paths.

Every amount is an int64 number of cents (fen, 分); every rate an integer in millionths (ppm).
`scale(a, num, den)` is a·num/den rounded to the cent, half-even or floor, computed exactly with
integer division (no binary float on the way), for a whole array of paths at once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from nplhub.domain.errors import DomainError

PPM = 1_000_000
DAYS_PER_YEAR = 365  # Act/365F
INT64_MAX = 2**63 - 1
MAX_CENTS = 10**15  # ten trillion yuan: far above any pool, far below int64 overflow in scale()

IntArray = np.ndarray


def to_cents(value: Decimal | int | float | str) -> int:
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    cents = (d * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    if abs(cents) > MAX_CENTS:
        raise DomainError(f"amount {value} is out of range for the waterfall engine")
    return int(cents)


def to_ppm(rate: Decimal | int | float | str) -> int:
    d = Decimal(str(rate)) if not isinstance(rate, Decimal) else rate
    ppm = d * PPM
    if ppm != ppm.to_integral_value():
        raise DomainError(f"rate {rate} has more than six decimals")
    return int(ppm)


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def _scale_exact(a: IntArray, num: int, den: int, floor: bool) -> IntArray:
    q, r = np.divmod(a, den)
    q2, r2 = np.divmod(r * num, den)
    out = q * num + q2
    if not floor:
        twice = 2 * r2
        out = out + ((twice > den) | ((twice == den) & (out % 2 == 1)))
    return out


def scale(a: IntArray, num: int, den: int, floor: bool) -> IntArray:
    """a·num/den rounded to an integer (cents): half-even, or toward zero when `floor` (a ≥ 0).

    Fast path: the product in float64 has an absolute error below x·5e-16 (x < 2⁵³), so wherever
    it is farther than that from a rounding boundary (a half for half-even, a whole number for
    floor) its rounding is the exact one; the few elements near a boundary are recomputed in exact
    integer arithmetic. The result is therefore always the exact rounding of the rational value.
    """
    if num == 0:
        return np.zeros_like(a)
    if den <= 0 or num < 0:
        raise DomainError(f"scale needs num >= 0 and den > 0, got {num}/{den}")
    if num * den > INT64_MAX // 2:
        raise DomainError(f"rate factor {num}/{den} is too large for exact integer arithmetic")
    a = np.asarray(a, dtype=np.int64)
    x = a * (num / den)
    top = float(x.max(initial=0.0))
    if top > 1e13:
        return _scale_exact(a, num, den, floor)
    eps = 1e-9 + top * 1e-15
    if floor:
        r = np.floor(x)
        x -= r
        near = (x < eps) | (x > 1.0 - eps)
        near &= a != 0
    else:
        r = np.rint(x)
        x -= r
        np.abs(x, out=x)
        near = x > 0.5 - eps  # |x - rint(x)| <= 1/2, so this is "close to a tie"
    out = r.astype(np.int64)
    if near.any():
        out[near] = _scale_exact(a[near], num, den, floor)
    return out
