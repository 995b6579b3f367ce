"""Errors the domain raises. Each carries a plain sentence a user can act on."""

from __future__ import annotations


class DomainError(ValueError):
    """A rule of the business was broken (an invalid amount, an illegal transition, ...)."""


class InvalidTransition(DomainError):
    """A state machine was asked to move along an edge it does not have."""


class NotFound(DomainError):
    """An entity that the operation names does not exist."""


class Conflict(DomainError):
    """The operation clashes with the current state (a duplicate, a concurrent change)."""
