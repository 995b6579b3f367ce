"""Builders of the dashboard pages: each calls the same service functions as the API and CLI."""

from __future__ import annotations

import dataclasses
from pathlib import Path
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


# A snapshot never changes once imported (a re-issued tape is a new version), so the risk page of
# a snapshot is computed once per language and kept: the classification, hidden-NPL and migration
# analytics take seconds on a demo book, the cache lookup one indexed query.
_RISK_PAGES: dict[tuple[str, str, str], list[Section]] = {}
_RISK_PAGES_KEPT = 8


def risk(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.risk import latest_snapshot_id

    sid = latest_snapshot_id(platform.uow())
    if sid is None:
        return []
    key = (str(platform.settings.database_url), sid, lang)
    if key not in _RISK_PAGES:
        if len(_RISK_PAGES) >= _RISK_PAGES_KEPT:
            _RISK_PAGES.pop(next(iter(_RISK_PAGES)))
        _RISK_PAGES[key] = _risk_sections(platform, sid, lang)
    return [dataclasses.replace(section) for section in _RISK_PAGES[key]]


def _risk_sections(platform: Platform, sid: str, lang: str) -> list[Section]:
    import pandas as pd

    from nplhub.services.risk import classify_tables, hidden_npl_report, load_snapshot, metrics_between

    zh = lang == "zh"
    try:
        sid, tables = load_snapshot(platform.uow(), sid)
    except NotFound:
        return []
    result = classify_tables(tables)
    summary = result.summary()
    hidden = hidden_npl_report(tables, result)
    sections = [Section(
        id="classification",
        title="五级分类（按2023年办法）" if zh else "Five-category classification (2023 rule)",
        metrics=[("贷款笔数" if zh else "Loans", f"{summary['loans']:,}"),
                 ("规则下调笔数" if zh else "Downgraded by the rules", f"{summary['downgraded']:,}"),
                 ("隐性不良金额（元）" if zh else "Hidden NPL amount (CNY)", money(hidden["hidden_npl_amount"])),
                 ("隐性不良笔数" if zh else "Hidden NPL loans", f"{hidden['hidden_npl_loans']:,}")],
    )]
    states = tables.get("loan_states")
    if states is not None and len(states):
        ends = sorted(pd.to_datetime(states["as_of_date"]).dt.normalize().unique())
        if len(ends) > 1:
            m = metrics_between(tables, ends[-13] if len(ends) > 12 else ends[0], ends[-1])
            rates = m["migration_rates"]
            sections.append(Section(
                id="metrics",
                title=(f"监管指标 {m['from']} → {m['to']}" if zh else f"Supervisory metrics {m['from']} → {m['to']}"),
                metrics=[("不良贷款率" if zh else "NPL ratio", pct(m["npl_ratio"])),
                         ("拨备覆盖率" if zh else "Provision coverage", pct(m["provision_coverage_ratio"])),
                         ("贷款拨备率" if zh else "Loan provision ratio", pct(m["loan_provision_ratio"]))],
                columns=["迁徙率" if zh else "Migration rate", "值" if zh else "Value"],
                rows=[[translate(f"class.{k}", lang) if k != "normal_loans" else ("正常贷款" if zh else "Normal loans"),
                       pct(v)] for k, v in rates.items()],
            ))
    by_region = hidden.get("by_region") or []
    if by_region:
        top = sorted(by_region, key=lambda r: -float(r.get("hidden_npl_amount", 0) or 0))[:10]
        sections.append(Section(
            id="hidden",
            title="隐性不良：按地区" if zh else "Hidden NPLs by region",
            columns=["地区" if zh else "Region", "笔数" if zh else "Loans", "金额（元）" if zh else "Amount (CNY)"],
            rows=[[r.get("region") or r.get("key"), r.get("hidden_npl_loans", r.get("loans", "")),
                   money(r.get("hidden_npl_amount"))] for r in top],
        ))
    sections[0].title += f" · {sid}"
    return sections


def valuation(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.valuation import latest_route_values, latest_run

    zh = lang == "zh"
    try:
        run = latest_run(platform.uow())
        frame = latest_route_values(platform.uow(), run["snapshot_id"])
    except NotFound:
        return []
    head = Section(
        id="run",
        title=("估值批次 " if zh else "Valuation run ") + str(run["run_id"]),
        metrics=[("债权总额（元）" if zh else "Total claim (CNY)", money(run["total_claim"])),
                 ("最优路径净现值（元）" if zh else "Best-route NPV (CNY)", money(run["total_best_npv"])),
                 ("回收率" if zh else "Recovery ratio", pct(run["recovery_ratio"])),
                 ("折现率" if zh else "Discount rate", pct(run["discount_rate"]))],
    )
    best = run.get("best_routes") or {}
    total = sum(best.values()) or 1
    routes = Section(
        id="best-routes",
        title="最优处置路径分布" if zh else "Best disposal route per loan",
        bars=[(k, v / total) for k, v in sorted(best.items(), key=lambda kv: -kv[1])],
    )
    eligible = frame[frame["eligible"]]
    by_route = eligible.groupby("route").agg(loans=("loan_id", "nunique"), npv=("npv", "sum")).reset_index()
    table = Section(
        id="routes",
        title="各路径（符合条件的贷款）" if zh else "Routes over eligible loans",
        columns=["路径" if zh else "Route", "笔数" if zh else "Loans", "净现值合计（元）" if zh else "Total NPV (CNY)"],
        rows=[[r.route, f"{r.loans:,}", money(r.npv)] for r in by_route.itertuples()],
    )
    return [head, routes, table]


def market(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.marketplace import list_listings

    zh = lang == "zh"
    rows = list_listings(platform.uow())
    if not rows:
        return []
    return [Section(
        id="listings",
        title="挂牌项目" if zh else "Listings",
        columns=["项目编号" if zh else "Project code", "名称" if zh else "Title", "方式" if zh else "Format",
                 "状态" if zh else "Status", "当前价（元）" if zh else "Price (CNY)", "出价次数" if zh else "Bids"],
        rows=[[r["project_code"], r["title"], r["format"], r["status"], money(r["price"]), r["bids"]] for r in rows],
    )]


def ledger(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.ledger import ledger_root

    zh = lang == "zh"
    root = ledger_root(platform.uow())
    checkpoint = root.get("latest_checkpoint") or {}
    note = checkpoint.get("note") if isinstance(checkpoint, dict) else None
    return [Section(
        id="ledger-head",
        title="默克尔审计日志（RFC 9162）" if zh else "Merkle audit log (RFC 9162)",
        metrics=[("条目数" if zh else "Entries", f"{root['tree_size']:,}"),
                 ("根哈希" if zh else "Root hash", str(root["root"])[:16] + "…")],
        text=(("最新签名检查点：\n" if zh else "Latest signed checkpoint:\n") + note) if note else "",
    )]


def securitization(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.securitization import RunOptions, load_deal, run_deal

    zh = lang == "zh"
    path = Path(platform.settings.data_dir) / "demo" / "demo_deal.yaml"
    if not path.exists():
        return []
    deal = load_deal(path)
    result = run_deal(deal, RunOptions())
    tranches = result["tranches"]
    sections = [Section(
        id="tranches",
        title=("证券分档：" if zh else "Tranches: ") + str(result["deal"]),
        columns=["档次" if zh else "Tranche", "面额（元）" if zh else "Balance (CNY)", "收益率" if zh else "Yield",
                 "加权平均期限（年）" if zh else "WAL (years)", "已付本金（元）" if zh else "Principal paid (CNY)",
                 "损失（元）" if zh else "Loss (CNY)"],
        rows=[[name, money(t["balance"]), pct(t.get("yield")), "—" if t.get("wal") is None else f"{t['wal']:.2f}",
               money(t["principal_paid"]), money(t["loss"])] for name, t in tranches.items()],
    )]
    periods = result["periods"]
    names = list(tranches)
    sections.append(Section(
        id="waterfall",
        title="现金流瀑布（每期流入 = 流出）" if zh else "Waterfall (inflow = outflow every period)",
        columns=["日期" if zh else "Date", "流入（元）" if zh else "Inflow (CNY)", "流出（元）" if zh else "Outflow (CNY)",
                 *[(f"{n} 本金" if zh else f"{n} principal") for n in names], "触发" if zh else "Waterfall"],
        rows=[[p["date"], money(p["inflow_total"]), money(p["outflow_total"]),
               *[money(p["tranches"][n]["principal"]) for n in names], p["waterfall"]] for p in periods[:24]],
    ))
    return sections


def strategy(platform: Platform, lang: str) -> list[Section]:
    from nplhub.services.cases import list_cases
    from nplhub.services.strategy import get_plan

    zh = lang == "zh"
    try:
        plan, _assignments = get_plan(platform.uow())
    except NotFound:
        return []
    summary = plan.summary
    head = Section(
        id="plan",
        title=("处置方案 " if zh else "Disposal plan ") + plan.plan_id,
        metrics=[("方案净现值（元）" if zh else "Plan NPV (CNY)", money(plan.objective_npv)),
                 ("无约束净现值（元）" if zh else "Unconstrained NPV (CNY)", money(plan.unconstrained_npv)),
                 ("最优性差距" if zh else "Optimality gap", f"{plan.gap:.2e}"),
                 ("方案后不良率" if zh else "NPL ratio after", pct(summary.get("npl_ratio_after")))],
    )
    counts = summary.get("route_counts") or {}
    total = sum(counts.values()) or 1
    routes = Section(id="routes", title="各路径笔数" if zh else "Loans per route",
                     bars=[(k, v / total) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])])
    binding = Section(
        id="binding",
        title="紧约束与影子价格" if zh else "Binding constraints and shadow prices",
        columns=["约束" if zh else "Constraint", "说明" if zh else "Meaning"],
        rows=[[b["name"], b["text"].split(" / ")[0 if zh else -1]] for b in summary.get("binding_constraints", [])],
    )
    cases = list_cases(platform.uow(), today=plan.created_at.date(), limit=20)
    case_table = Section(
        id="cases",
        title="处置案件（前20）" if zh else "Disposal cases (first 20)",
        columns=["案件" if zh else "Case", "路径" if zh else "Route", "状态" if zh else "State",
                 "债权（元）" if zh else "Claim (CNY)", "计划回收（元）" if zh else "Planned recovery (CNY)",
                 "计划结案" if zh else "Planned close"],
        rows=[[c["case_id"], c["route"], c["state_label"].split(" / ")[0 if zh else -1], money(c["claim"]),
               money(c["planned_recovery"]), c["planned_close"]] for c in cases],
    )
    return [head, routes, binding, case_table]
