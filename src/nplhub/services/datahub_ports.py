"""Ports of the data hub: where snapshots, their tape rows and their import findings are kept."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from nplhub.datahub.issues import TapeIssue
from nplhub.domain.portfolio import Portfolio, Snapshot


class SnapshotRepository(abc.ABC):
    """Portfolios, their snapshots (one per cut-off and version) and the tape tables of each."""

    @abc.abstractmethod
    def next_version(self, portfolio_id: str, cutoff: Any) -> int:
        """1 for a new (portfolio, cut-off), else one more than the highest stored version."""

    @abc.abstractmethod
    def find_by_content(self, portfolio_id: str, content_sha256: str) -> str | None:
        """The id of a snapshot of this portfolio imported from exactly the same bytes, if any."""

    @abc.abstractmethod
    def save_portfolio(self, portfolio: Portfolio) -> None: ...

    @abc.abstractmethod
    def add_snapshot(self, snapshot: Snapshot, content_sha256: str) -> None: ...

    @abc.abstractmethod
    def add_tables(self, snapshot_id: str, tables: Mapping[str, Any]) -> dict[str, int]:
        """Bulk-insert the validated tape tables (pyarrow Tables of typed columns); rows written per table."""

    @abc.abstractmethod
    def add_rows(self, snapshot_id: str, table: str, data: Any) -> int:
        """Bulk-insert one validated tape table (a pyarrow Table of typed columns); returns the rows written."""

    @abc.abstractmethod
    def add_issues(self, snapshot_id: str, issues: Sequence[TapeIssue]) -> None: ...

    @abc.abstractmethod
    def get(self, snapshot_id: str) -> Snapshot | None: ...

    @abc.abstractmethod
    def portfolio(self, portfolio_id: str) -> Portfolio | None: ...

    @abc.abstractmethod
    def list_snapshots(self, portfolio_id: str | None = None) -> list[Snapshot]: ...

    @abc.abstractmethod
    def issues(self, snapshot_id: str) -> list[TapeIssue]: ...

    @abc.abstractmethod
    def loan_breakdown(self, snapshot_id: str, by: str) -> list[tuple[str | None, int, Any]]:
        """(key, number of loans, outstanding principal) grouped by `by`: reported_class, product,
        region (province prefix of the borrower's region) or industry (the borrower's)."""
