"""The Chinese terms of the tape's enumerations: each enum keeps its own, even where codes coincide."""

from __future__ import annotations

from nplhub.domain.codes import (
    CHINESE_TERMS,
    AppraisalSource,
    CounterpartyType,
    EnforcementStage,
    GuaranteeType,
    InsolvencyStatus,
    LegalStatus,
    RepaymentSource,
    code_aliases,
    parse_code,
)


def test_every_listed_chinese_term_is_accepted_by_its_own_enumeration() -> None:
    for member, terms in CHINESE_TERMS:
        table = code_aliases(type(member))
        for term in terms:
            assert table[term] is member, (type(member).__name__, term)


def test_enumerations_that_share_a_code_keep_their_own_chinese_terms() -> None:
    # "corporate", "court", "restructuring", "enforcement", "none" are codes of two enumerations each
    assert parse_code(CounterpartyType, "对公") is CounterpartyType.CORPORATE
    assert parse_code(CounterpartyType, "大中型企业") is CounterpartyType.CORPORATE
    assert parse_code(GuaranteeType, "企业保证") is GuaranteeType.CORPORATE
    assert parse_code(AppraisalSource, "司法评估") is AppraisalSource.COURT
    assert parse_code(RepaymentSource, "法院执行款") is RepaymentSource.COURT
    assert parse_code(InsolvencyStatus, "破产重整") is InsolvencyStatus.RESTRUCTURING
    assert parse_code(InsolvencyStatus, "正常经营") is InsolvencyStatus.NONE
    assert parse_code(LegalStatus, "执行中") is LegalStatus.ENFORCEMENT
    assert parse_code(EnforcementStage, "抵债") is EnforcementStage.IN_KIND


def test_a_term_of_one_enumeration_is_not_accepted_by_another_that_shares_the_code() -> None:
    assert "企业保证" not in code_aliases(CounterpartyType)  # a guarantee type, not a kind of borrower
    assert "债务重组" not in code_aliases(InsolvencyStatus)  # a disposal route, not an insolvency status
    assert "法院执行款" not in code_aliases(AppraisalSource)
