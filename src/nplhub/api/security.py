"""Roles and permissions of the platform.

Callers present a bearer token (`Authorization: Bearer <token>`) or an `X-API-Key` header. Tokens
and their roles come from NPLHUB_API_TOKENS, a JSON object {"token": "role", ...}, where a role
may also be given with the subject it acts for: {"token": {"role": "investor", "subject": "INV-7"}}
(an investor bids only in its own name). Without any
token the caller is an anonymous *viewer*: read-only access to aggregate pages, never to
loan-level personal data and never to a write.

Tapes: only a role with write:tapes (admin) imports one; an analyst may also check one
(check:tapes: validation reads the upload only and writes nothing). A partial import's quarantine
file holds the rejected rows as written, personal data included: it is handed only to a role with
read:pii (officer, regulator, admin), never to an analyst (PII masked), investor or viewer.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    VIEWER = "viewer"          # aggregates only (public teaser level)
    ANALYST = "analyst"        # risk, valuation and strategy read access, loan level, PII masked; checks tapes
    OFFICER = "officer"        # workout officer: advances cases within the approval authority; sees PII
    INVESTOR = "investor"      # marketplace: own bids, data rooms it was admitted to
    REGULATOR = "regulator"    # read everything incl. the ledger and PII; no writes
    DATA_STEWARD = "data_steward"  # the bank's data team or loading system: validates and imports tapes,
                                   # fetches the quarantine file of its own rejected rows; no loan views
    ADMIN = "admin"            # everything


class Permission(StrEnum):
    READ_AGGREGATES = "read:aggregates"
    READ_LOANS = "read:loans"
    READ_LEDGER = "read:ledger"
    READ_PII = "read:pii"            # borrowers' names, id numbers, phones and addresses in clear
    CHECK_TAPES = "check:tapes"      # validate a tape without importing it
    IMPORT_TAPES = "write:tapes"
    RUN_ENGINES = "write:engines"
    ADVANCE_CASES = "write:cases"
    BID = "write:bids"
    MANAGE_MARKET = "write:market"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ_AGGREGATES}),
    Role.ANALYST: frozenset({Permission.READ_AGGREGATES, Permission.READ_LOANS, Permission.RUN_ENGINES,
                             Permission.CHECK_TAPES}),
    Role.OFFICER: frozenset({Permission.READ_AGGREGATES, Permission.READ_LOANS, Permission.READ_PII,
                             Permission.ADVANCE_CASES}),
    Role.INVESTOR: frozenset({Permission.READ_AGGREGATES, Permission.BID}),
    Role.REGULATOR: frozenset({Permission.READ_AGGREGATES, Permission.READ_LOANS, Permission.READ_PII,
                               Permission.READ_LEDGER}),
    Role.DATA_STEWARD: frozenset({Permission.READ_AGGREGATES, Permission.CHECK_TAPES, Permission.IMPORT_TAPES}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    subject: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]


ANONYMOUS = Principal("anonymous", Role.VIEWER)


class TokenTable:
    """Maps presented tokens to principals, comparing in constant time."""

    def __init__(self, tokens: dict[str, Any]) -> None:
        self._tokens: dict[str, tuple[Role, str | None]] = {}
        for token, spec in tokens.items():
            if isinstance(spec, dict):
                self._tokens[token] = (Role(spec["role"]), spec.get("subject"))
            else:
                self._tokens[token] = (Role(spec), None)

    @classmethod
    def from_environment(cls) -> TokenTable:
        raw = os.environ.get("NPLHUB_API_TOKENS", "").strip()
        if not raw:
            return cls({})
        try:
            table = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"NPLHUB_API_TOKENS must be a JSON object of token to role: {exc}") from exc
        if not isinstance(table, dict):
            raise ValueError("NPLHUB_API_TOKENS must be a JSON object of token to role")
        return cls({str(k): v for k, v in table.items()})

    def principal(self, token: str | None) -> Principal | None:
        """The principal of `token`; ANONYMOUS when no token is given; None for an unknown token."""
        if not token:
            return ANONYMOUS
        found: Principal | None = None
        for known, (role, subject) in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = Principal(subject or f"token:{known[:4]}…", role, subject)
        return found
