"""All tables, on one MetaData. Each area of the platform keeps its tables in its own module."""

from nplhub.storage.tables import (
    datahub,  # noqa: F401  (registers the tables on `metadata`)
    ledger,  # noqa: F401
    marketplace,  # noqa: F401
    risk,  # noqa: F401
    strategy,  # noqa: F401
    valuation,  # noqa: F401
)
from nplhub.storage.tables.base import metadata

__all__ = ["metadata"]
