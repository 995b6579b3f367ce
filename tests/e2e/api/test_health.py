from fastapi.testclient import TestClient

from nplhub.api.app import create_app
from nplhub.api.security import TokenTable
from nplhub.bootstrap import bootstrap
from nplhub.config import Settings


def make_client(tmp_path, tokens=None):
    platform = bootstrap(Settings(data_dir=tmp_path))
    return TestClient(create_app(platform, TokenTable(tokens or {})))


def test_health_reports_the_database_it_answers_from(tmp_path):
    response = make_client(tmp_path).get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "sqlite"


def test_dashboard_speaks_chinese_by_default_and_english_on_request(tmp_path):
    client = make_client(tmp_path)
    zh = client.get("/")
    assert zh.status_code == 200 and "资产包总览" in zh.text
    en = client.get("/?lang=en")
    assert "Portfolio overview" in en.text
    assert en.cookies.get("nplhub_lang") == "en"


def test_portfolio_summary_before_any_import_is_a_404_with_a_sentence(tmp_path):
    response = make_client(tmp_path).get("/api/portfolio/summary")
    assert response.status_code == 404
    assert "no snapshot has been imported" in response.json()["detail"]


def test_an_unknown_token_gets_401_not_anonymous_access(tmp_path):
    client = make_client(tmp_path, {"good": "admin"})
    assert client.get("/api/portfolio/summary", headers={"X-API-Key": "bad"}).status_code == 401
