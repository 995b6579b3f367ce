import re

import pytest

from nplhub.api.app import create_app
from nplhub.api.security import TokenTable

from .conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(loaded_platform):
    with LiveServer(create_app(loaded_platform, TokenTable({}))) as live:
        yield live


def test_the_overview_shows_the_imported_book_with_its_npl_ratio(page, server):
    page.goto(server.url + "/")
    loans = page.locator("[data-metric=贷款笔数]").inner_text()
    assert loans == "400"
    ratio = page.locator("[data-metric=不良贷款率]").inner_text()
    assert re.fullmatch(r"\d+\.\d\d%", ratio)
    assert page.locator("#by_class table tbody tr").count() >= 3
    assert page.locator("#by_region svg rect").count() >= 3


def test_every_module_page_renders_in_both_languages_without_an_error(page, server):
    for path in ("/risk", "/valuation", "/strategy", "/abs", "/market", "/ledger"):
        for lang in ("zh", "en"):
            response = page.goto(f"{server.url}{path}?lang={lang}")
            assert response is not None and response.status == 200, path
            assert page.locator("section").count() >= 1, f"{path} shows no section in {lang}"


def test_switching_to_english_keeps_the_numbers_and_changes_the_labels(page, server):
    page.goto(server.url + "/valuation?lang=zh")
    zh_claim = page.locator(".metric .value").first.inner_text()
    page.click("#lang-switch")
    assert page.locator(".metric .label").first.inner_text() == "Total claim (CNY)"
    assert page.locator(".metric .value").first.inner_text() == zh_claim


def test_the_securitization_page_shows_a_waterfall_that_conserves_cash(page, server):
    page.goto(server.url + "/abs?lang=en")
    rows = page.locator("#waterfall tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        assert cells.nth(1).inner_text() == cells.nth(2).inner_text()


def test_the_strategy_page_states_each_binding_constraint_in_the_chosen_language(page, server):
    page.goto(server.url + "/strategy?lang=en")
    assert page.locator("#plan .metric").count() == 4
    english = page.locator("#binding tbody tr td:nth-child(2)").all_inner_texts()
    page.goto(server.url + "/strategy?lang=zh")
    chinese = page.locator("#binding tbody tr td:nth-child(2)").all_inner_texts()
    assert english and len(english) == len(chinese)
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in english)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in chinese)
