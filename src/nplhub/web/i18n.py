"""The user interface in Chinese and English: one catalogue, one lookup."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (中文, English)
    "app.title": ("nplhub 不良资产处置平台", "nplhub NPL disposal platform"),
    "nav.overview": ("总览", "Overview"),
    "nav.risk": ("风险分析", "Risk"),
    "nav.valuation": ("估值与回收", "Valuation"),
    "nav.strategy": ("处置策略", "Strategy"),
    "nav.abs": ("资产证券化", "Securitization"),
    "nav.market": ("交易市场", "Marketplace"),
    "nav.ledger": ("审计账本", "Audit ledger"),
    "lang.switch": ("English", "中文"),
    "overview.heading": ("资产包总览", "Portfolio overview"),
    "overview.snapshot": ("快照", "Snapshot"),
    "overview.cutoff": ("基准日", "Cut-off date"),
    "overview.loans": ("贷款笔数", "Loans"),
    "overview.balance": ("贷款余额（元）", "Outstanding principal (CNY)"),
    "overview.npl_ratio": ("不良贷款率", "NPL ratio"),
    "overview.by_class": ("五级分类", "Five-category classification"),
    "overview.by_region": ("按地区", "By region"),
    "overview.by_industry": ("按行业", "By industry"),
    "overview.by_product": ("按产品", "By product"),
    "overview.empty": ("尚未导入数据。请运行 make demo 或 nplhub tape import。",
                       "No tape imported yet. Run make demo or nplhub tape import."),
    "table.key": ("类别", "Category"),
    "table.count": ("笔数", "Count"),
    "table.balance": ("余额（元）", "Balance (CNY)"),
    "table.share": ("占比", "Share"),
    "page.unavailable": ("该模块尚无结果：请先运行 make demo。", "No results for this module yet: run make demo first."),
    "class.normal": ("正常", "Normal"),
    "class.special_mention": ("关注", "Special mention"),
    "class.substandard": ("次级", "Substandard"),
    "class.doubtful": ("可疑", "Doubtful"),
    "class.loss": ("损失", "Loss"),
}


def translate(key: str, lang: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    if accept and accept.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE
