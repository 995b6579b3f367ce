"""An investor's suspension and reinstatement (the transitions; bidding is tested through the API)."""

from __future__ import annotations

import pytest

from nplhub.domain.errors import InvalidTransition
from nplhub.marketplace.investors import REQUIRED_DOCUMENTS, Investor, InvestorStatus, InvestorType


def approved() -> Investor:
    return Investor("I1", "Fund", InvestorType.PRIVATE_FUND, documents=frozenset(REQUIRED_DOCUMENTS)).approve()


def test_an_approved_investor_can_be_suspended_once_and_reinstated() -> None:
    suspended = approved().suspend()
    assert suspended.status is InvestorStatus.SUSPENDED
    with pytest.raises(InvalidTransition, match="already suspended"):
        suspended.suspend()
    assert suspended.reinstate().status is InvestorStatus.APPROVED
    with pytest.raises(InvalidTransition, match="not suspended"):
        approved().reinstate()


def test_reinstatement_needs_complete_documents() -> None:
    lacking = Investor("I2", "Fund", InvestorType.PRIVATE_FUND, documents=frozenset({"kyc"}),
                       status=InvestorStatus.SUSPENDED)
    with pytest.raises(InvalidTransition, match="missing documents"):
        lacking.reinstate()
