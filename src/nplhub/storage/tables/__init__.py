"""All tables, on one MetaData. Each area of the platform keeps its tables in its own module."""

from nplhub.storage.tables import datahub  # noqa: F401  (registers the tables on `metadata`)
from nplhub.storage.tables import ledger  # noqa: F401
from nplhub.storage.tables import marketplace  # noqa: F401
from nplhub.storage.tables import risk  # noqa: F401
from nplhub.storage.tables import valuation  # noqa: F401
from nplhub.storage.tables.base import metadata

__all__ = ["metadata"]
