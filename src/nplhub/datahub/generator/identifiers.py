"""Identifiers with valid check digits, names, phones and addresses, generated as whole arrays.

- Resident identity number, GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit sequence
  (odd for men), check character ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11, 10 -> 'X').
- Unified social credit code, GB 32100-2015: registration authority, organisation type,
  6-digit region, 9-character organisation code (GB 11714, its own MOD 11 check), and a check
  character MOD 31 over the alphabet without I, O, Z, S, V (weights 3^i mod 31).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)

_ALPHA = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_VALUE = np.full(256, -1, dtype=np.int64)
_VALUE[_ALPHA] = np.arange(31)


def _to_strings(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.str_]:
    """(n, k) ASCII bytes -> n strings of length k."""
    width = codes.shape[1]
    return np.ascontiguousarray(codes).view(f"S{width}").ravel().astype(f"U{width}")


def _digits(values: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def resident_ids(rng: np.random.Generator, region: npt.NDArray[np.str_], birth: npt.NDArray[np.datetime64],
                 male: npt.NDArray[np.bool_]) -> npt.NDArray[np.str_]:
    """18-character resident identity numbers with a valid MOD 11-2 check character."""
    n = len(region)
    region_digits = _digits(region.astype(np.int64), 6)
    day = birth.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = day.astype("datetime64[Y]")
    birth_int = ((year.astype(np.int64) + 1970) * 10000 + ((month - year).astype(np.int64) + 1) * 100
                 + (day - month).astype(np.int64) + 1)
    birth_digits = _digits(birth_int, 8)
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    seq_digits = _digits(seq.astype(np.int64), 3)
    body = np.concatenate([region_digits, birth_digits, seq_digits], axis=1)
    check = ID_CHECK[(body * ID_WEIGHTS).sum(axis=1) % 11]
    codes = np.concatenate([(body + 48).astype(np.uint8), check[:, None]], axis=1)
    return _to_strings(codes)


def credit_codes(rng: np.random.Generator, region: npt.NDArray[np.str_],
                 org_type: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """18-character unified social credit codes (registration authority 9 = market regulation)."""
    n = len(region)
    org_body = rng.integers(0, 10, (n, 8))
    org_check = (11 - (org_body * ORG_WEIGHTS).sum(axis=1) % 11) % 11  # 10 -> 'X'
    org_check_char = np.where(org_check == 10, ord("X"), org_check + 48)
    head = np.column_stack([np.full(n, 9), org_type]).astype(np.int64)
    digits = np.concatenate([head, _digits(region.astype(np.int64), 6), org_body], axis=1)
    chars = np.concatenate([(digits + 48).astype(np.uint8), org_check_char[:, None].astype(np.uint8)], axis=1)
    values = _VALUE[chars]
    check = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    codes = np.concatenate([chars, _ALPHA[check][:, None]], axis=1)
    return _to_strings(codes)


def is_valid_resident_id(text: str) -> bool:
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(c) * int(w) for c, w in zip(text[:17], ID_WEIGHTS))
    return text[17].upper() == chr(ID_CHECK[total % 11])


def is_valid_credit_code(text: str) -> bool:
    if len(text) != 18 or any(c not in USCC_ALPHABET for c in text):
        return False
    total = sum(USCC_ALPHABET.index(c) * int(w) for c, w in zip(text[:17], USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31] == text[17]


SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志海峰辉鹏宇浩凯鑫婷雪琳晨欣怡子轩梓涵")
FIRM_WORDS = list("华恒信达泰丰盛鑫瑞宏源隆昌荣兴安顺发金通和中远永嘉新天康众联鼎晟")
FIRM_TRADES = {
    "A": "农业", "B": "矿业", "C": "机械制造", "D": "能源", "E": "建设工程", "F": "商贸", "G": "物流",
    "H": "餐饮管理", "I": "信息技术", "K": "置业", "L": "商务服务", "M": "科技", "N": "环保",
    "O": "家政服务", "P": "教育咨询", "Q": "医疗服务", "R": "文化传媒",
}
STREETS = ["人民", "中山", "解放", "建设", "和平", "胜利", "新华", "长江", "黄河", "文化", "光明", "友谊"]


def short_place(city: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    """City name without the 市/区 suffix characters (safe on empty arrays)."""
    if city.size == 0:
        return city.astype("U8")
    return np.char.replace(np.char.replace(np.char.replace(city, "市", ""), "新区", ""), "区", "")


def person_names(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    sur = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.7, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    return np.char.add(np.char.add(sur, g1), g2)


def firm_names(rng: np.random.Generator, city: npt.NDArray[np.str_], industry: npt.NDArray[np.str_],
               sme: npt.NDArray[np.bool_]) -> npt.NDArray[np.str_]:
    n = len(city)
    words = np.array(FIRM_WORDS)
    brand = np.char.add(words[rng.integers(0, len(words), n)], words[rng.integers(0, len(words), n)])
    trade = np.array([FIRM_TRADES.get(code, "实业") for code in FIRM_TRADES] + ["实业"])
    keys = np.array(list(FIRM_TRADES))
    idx = np.searchsorted(keys, industry)
    idx = np.where((idx < len(keys)) & (keys[np.minimum(idx, len(keys) - 1)] == industry), idx, len(keys))
    place = short_place(city)
    suffix = np.where(sme, "有限公司", "股份有限公司")
    return np.char.add(np.char.add(np.char.add(place, brand), trade[idx]), suffix)


def phones(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    prefix = np.array(["138", "139", "135", "136", "137", "150", "151", "186", "187", "188", "177", "199"])
    head = prefix[rng.integers(0, len(prefix), n)]
    tail = rng.integers(0, 100_000_000, n)
    if n == 0:
        return head.astype("U11")
    return np.char.add(head, np.char.zfill(tail.astype(str), 8))


def addresses(rng: np.random.Generator, city: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    n = len(city)
    street = np.array(STREETS)[rng.integers(0, len(STREETS), n)]
    number = rng.integers(1, 999, n).astype(str)
    return np.char.add(np.char.add(np.char.add(city, street), "路"), np.char.add(number, "号"))
