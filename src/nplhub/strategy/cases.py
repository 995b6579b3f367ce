"""The disposal case workflow: a state machine, tiered approval, deadlines, restructuring watch.

identified → plan_approved → executing → recovered | sold | written_off → closed

- Approval by tiered authority (分级授权): a tier may approve cases up to its amount and only for
  the routes it lists; write-offs typically need the head office. Configurable.
- Each case has a planned completion date (start + the route's months to recovery); an open
  case past it is overdue.
- Actual versus planned recovery per case, officer and branch (绩效考核).
- A restructured loan is watched through its observation period (2023 rules Art 20: at least 2
  consecutive instalments and at least 1 year, restarted by a missed payment); the first missed
  payment raises the alert "restructured, then bad again" (重组后再不良).
The clock is always passed in, never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from nplhub.domain.errors import DomainError, InvalidTransition

STATES = ("identified", "plan_approved", "executing", "recovered", "sold", "written_off", "closed")
TERMINAL_OUTCOMES = ("recovered", "sold", "written_off")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "identified": ("plan_approved",),
    "plan_approved": ("executing", "identified"),
    "executing": TERMINAL_OUTCOMES + ("identified",),
    "recovered": ("closed",),
    "sold": ("closed",),
    "written_off": ("closed",),
    "closed": (),
}
STATE_LABELS = {
    "identified": "已识别 / identified", "plan_approved": "方案已批准 / plan approved",
    "executing": "处置中 / executing", "recovered": "已清收 / recovered", "sold": "已转让 / sold",
    "written_off": "已核销 / written off", "closed": "已结案 / closed",
}
OBSERVATION_MIN_INSTALMENTS = 2
OBSERVATION_MIN_DAYS = 365


@dataclass(frozen=True)
class ApprovalTier:
    role: str
    max_amount: Decimal | None  # None: no upper limit
    routes: tuple[str, ...] = ()  # empty: every route

    def may_approve(self, amount: Decimal, route: str) -> bool:
        within = self.max_amount is None or amount <= self.max_amount
        return within and (not self.routes or route in self.routes)


DEFAULT_TIERS: tuple[ApprovalTier, ...] = (
    ApprovalTier("branch_manager", Decimal("5000000"), ("collection", "restructuring", "judicial_auction")),
    ApprovalTier("branch_committee", Decimal("30000000"),
                 ("collection", "restructuring", "judicial_auction", "bulk_transfer", "single_transfer")),
    ApprovalTier("head_office_committee", None, ()),
)


def authority_for(tiers: Sequence[ApprovalTier], role: str) -> ApprovalTier:
    for tier in tiers:
        if tier.role == role:
            return tier
    raise DomainError(f"unknown approval role {role!r}; configured roles: {', '.join(t.role for t in tiers)}")


@dataclass(frozen=True)
class Transition:
    from_state: str
    to_state: str
    at: date
    actor: str
    role: str
    amount: Decimal | None = None
    note: str = ""


@dataclass(frozen=True)
class Payment:
    due_date: date
    amount_due: Decimal
    amount_paid: Decimal

    @property
    def missed(self) -> bool:
        return self.amount_paid < self.amount_due


@dataclass(frozen=True)
class Case:
    case_id: str
    loan_id: str
    route: str
    branch_id: str
    officer: str
    claim: Decimal
    planned_recovery: Decimal
    opened_on: date
    planned_close: date
    plan_id: str = ""
    state: str = "identified"
    actual_recovery: Decimal | None = None
    history: tuple[Transition, ...] = ()
    payments: tuple[Payment, ...] = ()
    observation_start: date | None = None

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_OUTCOMES + ("closed",)

    def overdue(self, today: date) -> bool:
        return self.is_open and today > self.planned_close

    def advance(self, to_state: str, *, at: date, actor: str, role: str, tiers: Sequence[ApprovalTier] = DEFAULT_TIERS,
                amount: Decimal | None = None, note: str = "") -> Case:
        """The case moved to `to_state`; raises InvalidTransition or DomainError, never half-moves."""
        if to_state not in STATES:
            raise InvalidTransition(f"unknown case state {to_state!r}; states: {', '.join(STATES)}")
        if to_state not in TRANSITIONS[self.state]:
            allowed = ", ".join(TRANSITIONS[self.state]) or "none (the case is closed)"
            raise InvalidTransition(f"case {self.case_id} is {self.state}; it can move to: {allowed}, not {to_state}")
        if not actor:
            raise DomainError("every transition names the person who made it")
        if to_state == "plan_approved":
            tier = authority_for(tiers, role)
            if not tier.may_approve(self.claim, self.route):
                limit = "no limit" if tier.max_amount is None else f"¥{tier.max_amount:,}"
                raise DomainError(f"{role} may not approve case {self.case_id}: claim ¥{self.claim:,} on route "
                                  f"{self.route} exceeds its authority ({limit}; routes {', '.join(tier.routes) or 'all'})")
        actual = self.actual_recovery
        if to_state in TERMINAL_OUTCOMES:
            if amount is None or amount < 0:
                raise DomainError(f"closing case {self.case_id} as {to_state} needs the amount actually recovered (≥ 0)")
            actual = amount
        observation = self.observation_start
        if to_state == "executing" and self.route == "restructuring":
            observation = at
        step = Transition(self.state, to_state, at, actor, role, amount, note)
        return replace(self, state=to_state, actual_recovery=actual, history=self.history + (step,),
                       observation_start=observation)

    def record_payment(self, payment: Payment) -> tuple[Case, bool]:
        """Add an instalment of a restructured loan; True when it is the first missed one since the restart."""
        if self.route != "restructuring" or self.observation_start is None:
            raise DomainError(f"case {self.case_id} is not a restructuring under observation")
        first_miss = payment.missed and not any(p.missed for p in self.payments
                                                if p.due_date >= self.observation_start)
        updated = replace(self, payments=self.payments + (payment,))
        if payment.missed:  # Art 20: a missed payment restarts the observation period (from the next day)
            updated = replace(updated, observation_start=payment.due_date + timedelta(days=1))
        return updated, first_miss

    def observation_complete(self, today: date) -> bool:
        if self.observation_start is None:
            return False
        paid = [p for p in self.payments if p.due_date >= self.observation_start and not p.missed]
        return len(paid) >= OBSERVATION_MIN_INSTALMENTS and (today - self.observation_start).days >= OBSERVATION_MIN_DAYS

    def to_dict(self, today: date | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "case_id": self.case_id, "loan_id": self.loan_id, "plan_id": self.plan_id, "route": self.route,
            "branch_id": self.branch_id, "officer": self.officer, "state": self.state,
            "state_label": STATE_LABELS[self.state], "claim": str(self.claim),
            "planned_recovery": str(self.planned_recovery),
            "actual_recovery": None if self.actual_recovery is None else str(self.actual_recovery),
            "opened_on": self.opened_on.isoformat(), "planned_close": self.planned_close.isoformat(),
            "observation_start": None if self.observation_start is None else self.observation_start.isoformat(),
            "history": [{"from": t.from_state, "to": t.to_state, "at": t.at.isoformat(), "actor": t.actor,
                         "role": t.role, "amount": None if t.amount is None else str(t.amount), "note": t.note}
                        for t in self.history],
            "payments": [{"due_date": p.due_date.isoformat(), "amount_due": str(p.amount_due),
                          "amount_paid": str(p.amount_paid), "missed": p.missed} for p in self.payments],
        }
        if today is not None:
            out["overdue"] = self.overdue(today)
        return out


@dataclass(frozen=True)
class Alert:
    case_id: str
    kind: str  # overdue | restructured_missed_payment
    message: str


def alerts(cases: Iterable[Case], today: date) -> list[Alert]:
    out = []
    for c in cases:
        if c.overdue(today):
            out.append(Alert(c.case_id, "overdue", f"逾期未结 / overdue since {c.planned_close.isoformat()} "
                                                   f"({(today - c.planned_close).days} days), state {c.state}"))
        if c.route == "restructuring" and c.observation_start is not None:
            missed = [p for p in c.payments if p.missed]
            if missed:
                out.append(Alert(c.case_id, "restructured_missed_payment",
                                 f"重组后再不良预警 / restructured loan missed the instalment due "
                                 f"{missed[-1].due_date.isoformat()}; observation restarts"))
    return out


@dataclass
class Performance:
    key: str
    cases: int = 0
    closed: int = 0
    planned: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    overdue: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        ratio = (self.actual / self.planned) if self.planned > 0 else None
        return {"key": self.key, "cases": self.cases, "closed": self.closed, "planned_recovery": str(self.planned),
                "actual_recovery": str(self.actual),
                "actual_vs_planned": None if ratio is None else float(round(ratio, 4)), "overdue": self.overdue}


def performance(cases: Iterable[Case], by: str, today: date) -> list[Performance]:
    """Actual versus planned recovery by 'officer', 'branch_id' or 'case_id', over finished cases."""
    if by not in ("officer", "branch_id", "case_id"):
        raise DomainError(f"performance is by officer, branch_id or case_id, not {by!r}")
    table: Mapping[str, Performance] = {}
    acc: dict[str, Performance] = dict(table)
    for c in cases:
        key = str(getattr(c, by))
        p = acc.setdefault(key, Performance(key))
        p.cases += 1
        p.overdue += int(c.overdue(today))
        if c.actual_recovery is not None:
            p.closed += 1
            p.planned += c.planned_recovery
            p.actual += c.actual_recovery
    return [acc[k] for k in sorted(acc)]
