import json

import pytest

from nplhub.api.security import ANONYMOUS, PERMISSIONS, Permission, Role, TokenTable


def test_an_anonymous_caller_is_a_viewer_who_may_read_aggregates_only():
    assert ANONYMOUS.role is Role.VIEWER
    assert ANONYMOUS.can(Permission.READ_AGGREGATES)
    assert not ANONYMOUS.can(Permission.READ_LOANS)
    assert not ANONYMOUS.can(Permission.IMPORT_TAPES)


def test_a_regulator_reads_the_ledger_but_cannot_bid_or_import():
    table = TokenTable({"s3cret-reg": "regulator"})
    regulator = table.principal("s3cret-reg")
    assert regulator is not None and regulator.role is Role.REGULATOR
    assert regulator.can(Permission.READ_LEDGER)
    assert not regulator.can(Permission.BID)
    assert not regulator.can(Permission.IMPORT_TAPES)


def test_an_unknown_token_is_refused_rather_than_treated_as_anonymous():
    assert TokenTable({"a": "admin"}).principal("b") is None


def test_tokens_come_from_the_environment_as_json(monkeypatch):
    monkeypatch.setenv("NPLHUB_API_TOKENS", json.dumps({"tok": "investor"}))
    principal = TokenTable.from_environment().principal("tok")
    assert principal is not None and principal.can(Permission.BID)


def test_a_malformed_token_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NPLHUB_API_TOKENS", "tok=admin")
    with pytest.raises(ValueError, match="JSON object"):
        TokenTable.from_environment()


def test_an_unknown_role_in_the_setting_is_rejected():
    with pytest.raises(ValueError):
        TokenTable({"tok": "superuser"})


def test_only_an_admin_and_a_data_steward_import_tapes_and_an_analyst_may_also_check_one():
    importers = {role for role in Role if PERMISSIONS[role] >= {Permission.IMPORT_TAPES}}
    checkers = {role for role in Role if Permission.CHECK_TAPES in PERMISSIONS[role]}
    assert importers == {Role.ADMIN, Role.DATA_STEWARD}
    assert checkers == {Role.ANALYST, Role.ADMIN, Role.DATA_STEWARD}
    # the loading account of a bank sees no loan and runs nothing beyond its tapes
    assert PERMISSIONS[Role.DATA_STEWARD] == {Permission.READ_AGGREGATES, Permission.CHECK_TAPES,
                                              Permission.IMPORT_TAPES}
    assert importers <= checkers          # whoever may import may check first


def test_personal_data_in_clear_is_for_officers_regulators_and_admins_never_analysts_investors_or_viewers():
    readers = {role for role in Role if Permission.READ_PII in PERMISSIONS[role]}
    assert readers == {Role.OFFICER, Role.REGULATOR, Role.ADMIN}
    assert all(Permission.READ_LOANS in PERMISSIONS[role] for role in readers)   # PII only with loan level
    assert not ANONYMOUS.can(Permission.READ_PII)
