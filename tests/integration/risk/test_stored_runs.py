"""Classification runs are stored per snapshot with each loan's class, reasons and hidden-NPL flags,
and recorded in the audit ledger; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from nplhub.domain.errors import NotFound
from nplhub.services import risk as svc


def test_a_stored_run_reads_back_with_every_loan_and_its_reason_codes(risk_db):
    platform, sid, _ = risk_db
    run, result = svc.classify_and_store(platform.uow, sid, "cn-2023")
    stored_run, rows = svc.latest_stored_run(platform.uow(), sid)
    assert stored_run.run_id == run.run_id and stored_run.ruleset_version == "2023.1"
    assert stored_run.loans == len(rows) == len(result.frame)
    derived = dict(zip(result.frame["loan_id"], result.frame["derived_class"]))
    assert all(r.derived_class == derived[r.loan_id] for r in rows)
    downgraded = [r for r in rows if r.derived_class != r.reported_class]
    assert len(downgraded) == stored_run.downgraded
    assert all(r.reason_codes for r in downgraded)
    assert sum(r.outstanding_principal for r in rows if r.hidden_npl) == pytest.approx(stored_run.hidden_npl_amount,
                                                                                        abs=0.01 * len(rows))


def test_a_later_run_under_the_2007_rules_becomes_the_latest(risk_db):
    platform, sid, _ = risk_db
    svc.classify_and_store(platform.uow, sid, "cn-2007")
    run, _ = svc.latest_stored_run(platform.uow(), sid)
    assert run.ruleset_name == "cn-2007"


def test_asking_for_a_run_that_was_never_stored_is_a_clear_error(risk_db):
    platform, _, _ = risk_db
    with pytest.raises(NotFound, match="risk classify --save"):
        svc.latest_stored_run(platform.uow(), "no-such-snapshot")
