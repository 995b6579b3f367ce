"""Server-rendered dashboards in Chinese and English (Jinja2; no external assets)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from nplhub import __version__
from nplhub.api.deps import PlatformDep
from nplhub.bootstrap import Platform
from nplhub.web import pages
from nplhub.web.i18n import pick_language, translate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
STATIC_DIR = Path(__file__).parent / "static"

NAV: list[tuple[str, str]] = [
    ("overview", "/"),
    ("risk", "/risk"),
    ("valuation", "/valuation"),
    ("strategy", "/strategy"),
    ("abs", "/abs"),
    ("market", "/market"),
    ("ledger", "/ledger"),
]

PAGE_BUILDERS: dict[str, Callable[[Platform, str], list[Any]]] = {
    "/": pages.overview,
    "/risk": pages.risk,
    "/valuation": pages.valuation,
    "/strategy": pages.strategy,
    "/abs": pages.securitization,
    "/market": pages.market,
    "/ledger": pages.ledger,
}

router = APIRouter(include_in_schema=False)


def _render(path: str, key: str) -> Callable[..., HTMLResponse]:
    def page(
        request: Request,
        platform: PlatformDep,
        lang: str | None = None,
        nplhub_lang: Annotated[str | None, Cookie()] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> HTMLResponse:
        language = pick_language(lang, nplhub_lang, accept_language)
        sections = PAGE_BUILDERS[path](platform, language)
        response = TEMPLATES.TemplateResponse(
            request,
            "sections.html",
            {
                "lang": language,
                "t": lambda k: translate(k, language),
                "title": translate("overview.heading" if key == "overview" else f"nav.{key}", language),
                "nav": NAV,
                "active": path,
                "sections": sections,
                "empty_message": translate("overview.empty", language) if key == "overview" else "",
                "version": __version__,
            },
        )
        response.set_cookie("nplhub_lang", language, samesite="lax")
        return response

    page.__name__ = f"page_{key}"
    return page


for _key, _path in NAV:
    router.add_api_route(_path, _render(_path, _key), methods=["GET"], response_class=HTMLResponse)
