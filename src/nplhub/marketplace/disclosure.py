"""Staged disclosure: teaser → data room → loan-level data, with personal data masked by role.

《个人信息保护法》 requires the minimum necessary personal data for the purpose: a teaser shows
aggregates only; the data room (after the investor accepts the NDA and is approved) shows
loan-level terms with names, identity numbers, phones and addresses masked; only the seller,
an administrator, or the winning buyer after delivery (交割) sees them in clear. Every data-room
view is logged by the service as a `DataRoomViewed` event (no personal data in the log).

Masking rules: names keep the surname (张**; compound surnames such as 欧阳** kept whole);
identity numbers keep the first 6 and last 4 characters; phones keep the first 3 and last 4
digits (mobile) or the area code and last 4 digits (landline); addresses are cut to the district
(区/县/县级市/旗).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nplhub.domain.errors import DomainError


class Stage(StrEnum):
    TEASER = "teaser"          # 项目推介: aggregates only
    DATA_ROOM = "data_room"    # 数据室: after NDA and approval
    LOAN_LEVEL = "loan_level"  # 逐户数据: loan-level tape, masked unless entitled
    DELIVERED = "delivered"    # 交割后: the buyer owns the loans


class Role(StrEnum):
    SELLER = "seller"
    BUYER = "buyer"
    ADMIN = "admin"
    PARTNER = "partner"   # read-only partner (auditor, rating agency): always masked
    PUBLIC = "public"


STAGE_ORDER = (Stage.TEASER, Stage.DATA_ROOM, Stage.LOAN_LEVEL, Stage.DELIVERED)

COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "端木", "申屠", "澹台", "南宫", "独孤", "呼延", "万俟", "闻人",
})

PII_FIELDS = {"name": "name", "borrower_name": "name", "guarantor_name": "name", "id_number": "id",
              "phone": "phone", "address": "address"}


def mask_name(name: str) -> str:
    """张三 -> 张**, 欧阳修 -> 欧阳**; company names (with 公司/有限/集团) are not personal data."""
    name = name.strip()
    if not name:
        return name
    if any(word in name for word in ("公司", "有限", "集团", "企业", "合作社", "厂")):
        return name
    if not re.search(r"[\u4e00-\u9fff]", name):
        return name[0] + "**"
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]
    return surname + "**"


def mask_id_number(id_number: str) -> str:
    """Keep the first 6 and the last 4 characters: 110105199001011234 -> 110105********1234."""
    s = id_number.strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; 010-62345678 -> 010-****5678; other lengths keep the last 4."""
    s = phone.strip()
    digits = re.sub(r"\D", "", s)
    if re.fullmatch(r"(\+?86)?1\d{10}", digits):
        d = digits[-11:]
        return d[:3] + "****" + d[-4:]
    m = re.fullmatch(r"(0\d{2,3})[- ]?(\d{7,8})", s)
    if m:
        local = m.group(2)
        return f"{m.group(1)}-" + "*" * (len(local) - 4) + local[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


_DISTRICT = re.compile(
    r"^(?P<prov>[^省市]{2,8}?(?:省|自治区|特别行政区)|北京市|上海市|天津市|重庆市)?"
    r"(?P<city>[^市省区县]{1,8}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[^区县市旗]{1,8}?(?:区|县|市|旗))?"
)


def mask_address(address: str) -> str:
    """Cut an address to its district: 北京市朝阳区建国路88号 -> 北京市朝阳区."""
    s = address.strip()
    m = _DISTRICT.match(s)
    if not m or not m.group(0):
        return ""
    if m.group("district") is None:
        # No district found: keep only the province/city, never the street.
        return (m.group("prov") or "") + (m.group("city") or "")
    return m.group(0)


MASKERS = {"name": mask_name, "id": mask_id_number, "phone": mask_phone, "address": mask_address}

# Fields a teaser may show (aggregates only); the data room adds loan-level terms.
TEASER_FIELDS = frozenset({"asset_count", "borrower_count", "principal", "interest", "claim",
                           "weighted_days_past_due", "collateral_mix", "regions", "asset_classes"})


@dataclass(frozen=True, slots=True)
class Access:
    """What a viewer may see of a listing: the stage reached and whether PII shows in clear."""

    stage: Stage
    clear_pii: bool

    @property
    def loan_level(self) -> bool:
        return self.stage in (Stage.LOAN_LEVEL, Stage.DELIVERED)


def access_for(role: Role, *, nda_accepted: bool = False, approved: bool = False,
               loan_level_granted: bool = False, delivered_to_viewer: bool = False) -> Access:
    """The disclosure stage a viewer has reached and whether personal data shows in clear."""
    if role in (Role.SELLER, Role.ADMIN):
        return Access(Stage.LOAN_LEVEL, clear_pii=True)
    if role is Role.BUYER and delivered_to_viewer:
        return Access(Stage.DELIVERED, clear_pii=True)
    if role is Role.BUYER and nda_accepted and approved:
        return Access(Stage.LOAN_LEVEL if loan_level_granted else Stage.DATA_ROOM, clear_pii=False)
    if role is Role.PARTNER and nda_accepted:
        return Access(Stage.DATA_ROOM, clear_pii=False)
    return Access(Stage.TEASER, clear_pii=False)


def mask_record(record: Mapping[str, Any], clear_pii: bool = False) -> dict[str, Any]:
    """A copy of `record` with every personal field masked (unless `clear_pii`)."""
    out = dict(record)
    if clear_pii:
        return out
    for key, kind in PII_FIELDS.items():
        value = out.get(key)
        if isinstance(value, str) and value:
            out[key] = MASKERS[kind](value)
    return out


def teaser(statistics: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in statistics.items() if k in TEASER_FIELDS}


def disclose(access: Access, statistics: Mapping[str, Any],
             loans: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The view of a listing for `access`: teaser always; loan rows only from the loan-level stage."""
    view: dict[str, Any] = {"stage": access.stage.value, "teaser": teaser(statistics)}
    if access.stage is Stage.TEASER:
        return view
    view["data_room"] = True
    if access.loan_level:
        if loans is None:
            raise DomainError("loan-level disclosure needs the loan rows")
        view["loans"] = [mask_record(row, access.clear_pii) for row in loans]
    return view
