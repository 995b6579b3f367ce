import pytest

from nplhub.api.app import create_app
from nplhub.api.security import TokenTable
from nplhub.bootstrap import bootstrap
from nplhub.config import Settings

from .conftest import LiveServer

pytestmark = pytest.mark.browser


def test_language_switch_in_a_real_browser_turns_the_page_english_and_back(page, tmp_path):
    app = create_app(bootstrap(Settings(data_dir=tmp_path)), TokenTable({}))
    with LiveServer(app) as server:
        page.goto(server.url + "/")
        assert page.locator("h1").inner_text() == "资产包总览"
        page.click("#lang-switch")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Portfolio overview"
        page.click("[data-nav=risk]")
        assert page.locator("nav a.active").inner_text() == "Risk"
        page.click("#lang-switch")
        assert page.locator("nav a.active").inner_text() == "风险分析"
