"""Builders of the dashboard pages: each calls the same service functions as the API and CLI."""

from __future__ import annotations

from typing import Any

from nplhub.bootstrap import Platform
from nplhub.web.i18n import translate
from nplhub.web.sections import Section, money, pct


def overview(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.datahub import portfolio_summary

    try:
        summary = portfolio_summary(platform.uow())
    except LookupError:
        return []
    if not summary:
        return []
    t = lambda k: translate(k, lang)  # noqa: E731
    head = Section(
        id="headline",
        title=f"{t('overview.snapshot')} {summary.get('snapshot_id', '')}",
        metrics=[
            (t("overview.cutoff"), summary.get("cutoff_date", "—")),
            (t("overview.loans"), f"{summary.get('loans', 0):,}"),
            (t("overview.balance"), money(summary.get("outstanding_principal"))),
            (t("overview.npl_ratio"), pct(summary.get("npl_ratio"))),
        ],
    )
    sections = [head]
    for key, title_key in (("by_class", "overview.by_class"), ("by_region", "overview.by_region"),
                           ("by_industry", "overview.by_industry"), ("by_product", "overview.by_product")):
        groups = summary.get(key) or []
        total = sum(float(g.get("outstanding_principal", 0) or 0) for g in groups) or 1.0
        label = (lambda g: translate(f"class.{g['key']}", lang)) if key == "by_class" else (lambda g: g["key"])
        sections.append(Section(
            id=key,
            title=t(title_key),
            bars=[(str(label(g)), float(g.get("outstanding_principal", 0) or 0) / total) for g in groups[:12]],
            columns=[t("table.key"), t("table.count"), t("table.balance"), t("table.share")],
            rows=[[label(g), f"{g.get('loans', 0):,}", money(g.get("outstanding_principal")),
                   pct(float(g.get("outstanding_principal", 0) or 0) / total)] for g in groups],
        ))
    return sections


def _placeholder(platform: Platform, lang: str) -> list[Any]:
    return []


risk = valuation = strategy = securitization = market = ledger = _placeholder
