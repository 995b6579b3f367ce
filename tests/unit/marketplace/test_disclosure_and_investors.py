"""Personal data masked by role and stage; the investor eligibility matrix."""

from __future__ import annotations

import pytest

from nplhub.domain.errors import DomainError, InvalidTransition
from nplhub.marketplace.disclosure import (
    Role,
    Stage,
    access_for,
    disclose,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
)
from nplhub.marketplace.investors import Channel, Investor, InvestorStatus, InvestorType, check_eligibility
from nplhub.marketplace.listing import AssetClass

DOCS = frozenset({"business_licence", "qualification", "board_resolution", "kyc"})


@pytest.mark.parametrize(("raw", "masked"), [("张三", "张**"), ("张三丰", "张**"), ("欧阳修", "欧阳**"),
                                             ("某某贸易有限公司", "某某贸易有限公司"), ("Li Lei", "L**")])
def test_names_keep_only_the_surname(raw, masked):
    assert mask_name(raw) == masked


def test_identity_numbers_keep_the_first_six_and_last_four_characters():
    assert mask_id_number("11010519900101123X") == "110105********123X"
    assert mask_id_number("91110000100000000A") == "911100********000A"


@pytest.mark.parametrize(("raw", "masked"), [("13812345678", "138****5678"), ("+86 138 1234 5678", "138****5678"),
                                             ("010-62345678", "010-****5678"), ("0755 2345678", "0755-***5678")])
def test_phones_are_masked(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(("raw", "masked"), [
    ("北京市朝阳区建国路88号", "北京市朝阳区"),
    ("广东省深圳市南山区科技园南区1栋", "广东省深圳市南山区"),
    ("江苏省苏州市昆山市玉山镇人民路1号", "江苏省苏州市昆山市"),
    ("浙江省杭州市西湖区文三路", "浙江省杭州市西湖区"),
    ("上海市浦东新区陆家嘴环路1000号", "上海市浦东新区"),
    ("广东省深圳市福田路123号", "广东省深圳市"),
])
def test_addresses_are_cut_to_the_district(raw, masked):
    assert mask_address(raw) == masked


def test_the_stage_follows_role_nda_and_approval():
    assert access_for(Role.PUBLIC).stage is Stage.TEASER
    assert access_for(Role.BUYER, nda_accepted=True).stage is Stage.TEASER  # not yet approved
    assert access_for(Role.BUYER, nda_accepted=True, approved=True).stage is Stage.DATA_ROOM
    room = access_for(Role.BUYER, nda_accepted=True, approved=True, loan_level_granted=True)
    assert room.stage is Stage.LOAN_LEVEL and not room.clear_pii
    assert access_for(Role.BUYER, delivered_to_viewer=True).clear_pii
    assert access_for(Role.SELLER).clear_pii and access_for(Role.ADMIN).clear_pii
    assert not access_for(Role.PARTNER, nda_accepted=True).clear_pii


def test_a_teaser_shows_aggregates_only():
    stats = {"asset_count": 3, "claim": "100", "secret": "x"}
    rows = [{"loan_id": "L1", "name": "王五"}]
    assert disclose(access_for(Role.PUBLIC), stats, rows) == {"stage": "teaser", "teaser": {"asset_count": 3,
                                                                                           "claim": "100"}}
    view = disclose(access_for(Role.BUYER, nda_accepted=True, approved=True, loan_level_granted=True), stats, rows)
    assert view["loans"] == [{"loan_id": "L1", "name": "王**"}]


def investor(kind, province=None, **kw):
    return Investor("I1", "inv", kind, province, DOCS, InvestorStatus.APPROVED, **kw)


@pytest.mark.parametrize(("kind", "channel", "cls", "allowed"), [
    (InvestorType.NATIONAL_AMC, Channel.BULK_TRANSFER, AssetClass.CORPORATE, True),
    (InvestorType.AIC, Channel.BULK_TRANSFER, AssetClass.CORPORATE, False),
    (InvestorType.PRIVATE_FUND, Channel.BULK_TRANSFER, AssetClass.CORPORATE, False),
    (InvestorType.NATIONAL_AMC, Channel.BULK_TRANSFER, AssetClass.PERSONAL_UNSECURED, False),
    (InvestorType.AIC, Channel.SINGLE_CORPORATE, AssetClass.CORPORATE, True),
    (InvestorType.AIC, Channel.RETAIL_BATCH, AssetClass.PERSONAL_UNSECURED, True),
    (InvestorType.NATIONAL_AMC, Channel.RETAIL_BATCH, AssetClass.PERSONAL_MORTGAGE, False),
    (InvestorType.INSURER, Channel.RETAIL_BATCH, AssetClass.PERSONAL_UNSECURED, False),
    (InvestorType.PRIVATE_FUND, Channel.COMMERCIAL, AssetClass.CORPORATE, True),
    (InvestorType.OTHER, Channel.JUDICIAL_AUCTION, AssetClass.PHYSICAL, True),
])
def test_the_eligibility_matrix_by_asset_class_buyer_type_and_channel(kind, channel, cls, allowed):
    result = check_eligibility(investor(kind, "110000" if kind is InvestorType.LOCAL_AMC else None), channel,
                               [cls], ["110105"], asset_count=5)
    assert result.allowed is allowed, result.reasons


def test_local_amcs_buy_corporate_assets_of_their_own_province_only_but_retail_batches_anywhere():
    amc = investor(InvestorType.LOCAL_AMC, "310000")
    assert not check_eligibility(amc, Channel.BULK_TRANSFER, [AssetClass.CORPORATE], ["110105"], asset_count=3).allowed
    assert check_eligibility(amc, Channel.BULK_TRANSFER, [AssetClass.CORPORATE], ["310104"], asset_count=3).allowed
    assert check_eligibility(amc, Channel.RETAIL_BATCH, [AssetClass.PERSONAL_UNSECURED], ["110105"]).allowed


def test_retail_batch_buyers_may_not_re_transfer_and_bulk_packages_need_three_assets():
    amc = investor(InvestorType.NATIONAL_AMC)
    assert check_eligibility(amc, Channel.RETAIL_BATCH, [AssetClass.PERSONAL_UNSECURED]).retransfer_barred
    resale = check_eligibility(amc, Channel.COMMERCIAL, [AssetClass.PERSONAL_UNSECURED],
                               retransfer_barred_assets=True)
    assert not resale.allowed and "re-transferred" in resale.reasons[0]
    small = check_eligibility(amc, Channel.BULK_TRANSFER, [AssetClass.CORPORATE], asset_count=2)
    assert not small.allowed and "at least 3" in small.reasons[0]


def test_whitelist_barred_and_unapproved_investors_are_refused():
    amc = investor(InvestorType.NATIONAL_AMC)
    assert not check_eligibility(amc, Channel.COMMERCIAL, [AssetClass.CORPORATE], whitelist=frozenset({"X"})).allowed
    assert not check_eligibility(investor(InvestorType.OTHER, barred=True), Channel.JUDICIAL_AUCTION,
                                 [AssetClass.PHYSICAL]).allowed
    pending = Investor("P", "p", InvestorType.INSURER, documents=frozenset({"kyc"}))
    assert not check_eligibility(pending, Channel.COMMERCIAL, [AssetClass.CORPORATE]).allowed
    with pytest.raises(InvalidTransition, match="missing documents"):
        pending.approve()
    with pytest.raises(DomainError, match="province"):
        Investor("L", "l", InvestorType.LOCAL_AMC)
