"""Builders of the dashboard pages: each calls the same service functions as the API and CLI."""

from __future__ import annotations

from typing import Any

from nplhub.bootstrap import Platform
from nplhub.domain.errors import NotFound
from nplhub.web.i18n import translate
from nplhub.web.sections import Section, money, pct


def overview(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.datahub import portfolio_summary

    try:
        summary = portfolio_summary(platform.uow())
    except NotFound:
        return []
    t = lambda k: translate(k, lang)  # noqa: E731
    head = Section(
        id="headline",
        title=f"{summary['portfolio_name']} · {t('overview.snapshot')} {summary['snapshot_id']}",
        metrics=[
            (t("overview.cutoff"), summary["cutoff_date"]),
            (t("overview.loans"), f"{summary['loans']:,}"),
            (t("overview.balance"), money(summary["balance"])),
            (t("overview.npl_ratio"), pct(summary["npl_ratio"])),
        ],
    )
    sections = [head]
    for key, title_key in (("by_class", "overview.by_class"), ("by_region", "overview.by_region"),
                           ("by_industry", "overview.by_industry"), ("by_product", "overview.by_product")):
        groups = summary.get(key) or []

        def label(g: dict[str, Any], key: str = key) -> str:
            if key == "by_class":
                return translate(f"class.{g['key']}", lang)
            if lang == "zh" and g.get("label"):
                return f"{g['label']}"
            return str(g["key"] if g["key"] is not None else "—")

        sections.append(Section(
            id=key,
            title=t(title_key),
            bars=[(label(g), float(g["share"])) for g in groups[:12]],
            columns=[t("table.key"), t("table.count"), t("table.balance"), t("table.share")],
            rows=[[label(g), f"{g['loans']:,}", money(g["balance"]), pct(g["share"])] for g in groups],
        ))
    return sections


def _placeholder(platform: Platform, lang: str) -> list[Any]:
    return []


risk = valuation = strategy = securitization = market = ledger = _placeholder
