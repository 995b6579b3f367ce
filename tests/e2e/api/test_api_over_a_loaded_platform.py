from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from nplhub.api.app import create_app
from nplhub.api.security import TokenTable
from nplhub.ledger.verifier import check_bundle

TOKENS = {
    "t-analyst": "analyst",
    "t-regulator": "regulator",
    "t-investor": {"role": "investor", "subject": "INV-A"},
}


@pytest.fixture(scope="module")
def client(loaded_platform):
    return TestClient(create_app(loaded_platform, TokenTable(TOKENS)))


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_summary_counts_every_imported_loan_and_shares_add_up(client):
    body = client.get("/api/portfolio/summary").json()
    assert body["loans"] == 400
    assert sum(row["loans"] for row in body["by_class"]) == 400
    assert sum(row["share"] for row in body["by_region"]) == pytest.approx(1.0)
    npl = sum(Decimal(r["balance"]) for r in body["by_class"] if r["key"] in ("substandard", "doubtful", "loss"))
    assert float(npl / Decimal(body["balance"])) == pytest.approx(body["npl_ratio"])


def test_loan_level_valuation_needs_a_loan_level_role(client):
    assert client.get("/api/valuation/loans").status_code == 403
    rows = client.get("/api/valuation/loans", headers=auth("t-analyst")).json()
    run = client.get("/api/valuation/run").json()
    assert len(rows) == run["loans"] > 0
    assert sum(r["routes"][r["best_route"]]["npv"] for r in rows if r["best_route"]) == pytest.approx(
        run["total_best_npv"], rel=1e-6)


def test_the_best_route_is_always_an_eligible_one(client):
    rows = client.get("/api/valuation/loans", headers=auth("t-analyst")).json()
    for row in rows:
        if row["best_route"]:
            assert row["routes"][row["best_route"]]["eligible"] is True


def test_metrics_between_two_month_ends_follow_the_output_contract(client):
    body = client.get("/api/risk/metrics", params={"date_from": "2024-12-31", "date_to": "2025-12-31"}).json()
    for key in ("npl_ratio", "provision_coverage_ratio", "loan_provision_ratio"):
        assert 0 <= body[key] < 10
    assert set(body["migration_rates"]) >= {"normal", "special_mention", "substandard", "doubtful", "normal_loans"}


def test_an_investor_may_not_bid_in_another_investors_name_and_a_viewer_may_not_bid(client):
    listing = client.get("/api/market/listings").json()[0]["listing_id"]
    body = {"bidder_id": "INV-B", "amount": "1000000"}
    assert client.post(f"/api/market/listings/{listing}/bids", json=body).status_code == 403
    response = client.post(f"/api/market/listings/{listing}/bids", json=body, headers=auth("t-investor"))
    assert response.status_code == 403
    assert "own name" in response.json()["detail"]


def test_a_bid_on_a_closed_lot_is_refused_with_the_rule_and_changes_nothing(client):
    listings = client.get("/api/market/listings").json()
    closed = next(item for item in listings if item["status"] != "listed")
    response = client.post(f"/api/market/listings/{closed['listing_id']}/bids",
                           json={"bidder_id": "INV-A", "amount": "99999999"}, headers=auth("t-investor"))
    assert response.status_code == 422
    after = {item["listing_id"]: item for item in client.get("/api/market/listings").json()}
    assert after[closed["listing_id"]]["bids"] == closed["bids"]


def test_a_ledger_proof_from_the_api_verifies_offline_and_only_a_regulator_may_fetch_it(client):
    assert client.get("/api/ledger/root").status_code == 403
    root = client.get("/api/ledger/root", headers=auth("t-regulator")).json()
    assert root["tree_size"] > 0
    bundle = client.get("/api/ledger/proof/0", headers=auth("t-regulator")).json()
    verdict = check_bundle(bundle)
    assert verdict["ok"], verdict["reason"]
    assert verdict["leaf_index"] == 0
    bundle["inclusion_proof"][0] = bundle["inclusion_proof"][1]
    assert check_bundle(bundle)["ok"] is False
