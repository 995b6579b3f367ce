"""Adapters to the database: the only package where SQLAlchemy lives."""

from importlib import import_module

# Modules that register repository implementations or the audit sink with the unit of work.
ADAPTER_MODULES: list[str] = [
    "nplhub.storage.datahub",
    "nplhub.storage.ledger",
    "nplhub.storage.marketplace",
    "nplhub.storage.risk",
    "nplhub.storage.strategy",
    "nplhub.storage.valuation",
]


def load_adapters() -> None:
    for name in ADAPTER_MODULES:
        import_module(name)
