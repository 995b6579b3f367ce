"""A deliberately plain waterfall in exact Fraction arithmetic, written from the text of
docs/securitization.md ("Waterfall semantics"), not from the engine: one path, one date at a
time, amounts in yuan as Fractions, every computed amount rounded to the fen by `to_fen`.

It reads the deal spec's fields directly and returns {line name: [amount per date in yuan]}
with the engine's line names, so that the two can be compared line by line.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor as _floor


def to_fen(x: Fraction, mode: str) -> Fraction:
    """Round a non-negative amount to the fen: half-even, or down ("floor")."""
    hundred = x * 100
    whole = _floor(hundred)
    rest = hundred - whole
    if mode == "half_even" and (rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1)):
        whole += 1
    return Fraction(whole, 100)


def F(v) -> Fraction:
    return Fraction(str(v))


def months_later(d, months):
    import calendar
    from datetime import date

    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def oracle_waterfall(deal, collections, costs=None, closed=None, closed_npv=None, business_plan=None):
    """Run `deal` on per-date amounts given in yuan (anything Fraction(str(x)) accepts)."""
    mode = deal.rounding
    n = deal.periods
    dates = [months_later(deal.first_payment_date, i * deal.frequency_months) for i in range(n)]
    prev = [deal.closing_date] + dates[:-1]
    days = [(dates[i] - prev[i]).days for i in range(n)]
    zero = [0] * n
    coll = [F(x) for x in collections]
    cost = [F(x) for x in (costs or zero)]
    closed = [F(x) for x in (closed or zero)]
    closed_npv = [F(x) for x in (closed_npv or zero)]
    if business_plan is None:
        business_plan = deal.business_plan or zero
    plan = [F(x) for x in business_plan]

    balance = {t.name: F(t.balance) for t in deal.tranches}
    original_notes = sum(balance.values())
    interest_owed = {t.name: Fraction(0) for t in deal.tranches}
    fee_owed = {f.name: Fraction(0) for f in deal.fees}
    base_pending = Fraction(0)
    base_unpaid = Fraction(0)
    base_deferred = Fraction(0)
    costs_capped = Fraction(0)
    costs_excess = Fraction(0)
    reserve = F(deal.reserve.initial_balance) if deal.reserve else Fraction(0)
    cash_left = Fraction(0)
    sticky = {t.name: False for t in deal.triggers}
    cum_c = cum_bp = cum_closed = cum_npv = Fraction(0)
    ended = False
    out: dict[str, list[Fraction]] = {}

    def add(name, i, value):
        row = out.setdefault(name, [Fraction(0)] * n)
        row[i] += value

    for i in range(n):
        c = Fraction(0) if ended else coll[i]
        k = Fraction(0) if ended else cost[i]
        cum_c += c
        cum_bp += plan[i]
        cum_closed += Fraction(0) if ended else closed[i]
        cum_npv += Fraction(0) if ended else closed_npv[i]

        triggered = False
        for trig in deal.triggers:
            if trig.kind == "cumulative_collection_ratio":
                hit = cum_bp > 0 and cum_c / cum_bp < F(trig.threshold)
            else:
                hit = cum_npv > 0 and cum_closed / cum_npv < F(trig.threshold)
            if not trig.curable and sticky[trig.name]:
                hit = True
            sticky[trig.name] = hit
            add(f"trigger:{trig.name}:breached", i, Fraction(int(hit)))
            triggered = triggered or hit

        notes = sum(balance.values())
        year = Fraction(days[i], 365)
        for f in deal.fees:
            if ended:
                due = Fraction(0)
            elif f.basis == "notes_balance":
                due = to_fen(notes * F(f.rate) * year, mode)
            elif f.basis == "tranche_balance":
                due = to_fen(balance[f.tranche] * F(f.rate) * year, mode)
            elif f.basis == "collections":
                due = to_fen(c * F(f.rate), mode)
            else:
                due = F(f.amount)
            fee_owed[f.name] += due
            add(f"fee:{f.name}:due", i, due)
        for t in deal.tranches:
            accrued = Fraction(0) if ended else to_fen(balance[t.name] * F(t.coupon) * year, mode)
            interest_owed[t.name] += accrued
            add(f"tranche:{t.name}:interest_due", i, accrued)
        base = to_fen(c * F(deal.servicer.base_rate), mode)
        base_pending += base
        add("servicer_fee:due", i, base)
        cap = to_fen(c * F(deal.servicer.cost_cap_rate), mode)
        costs_capped += min(k, cap)
        costs_excess += k - min(k, cap)

        call = (deal.clean_up_call is not None and not ended and notes > 0
                and notes <= F(deal.clean_up_call.threshold) * original_notes)
        target = Fraction(0)
        if deal.reserve is not None and i < n - 1 and not call and not ended:
            nxt = Fraction(days[i + 1], 365)
            parts = Fraction(0)
            for f in deal.fees:
                if f.name in deal.reserve.covered_fees:
                    if f.basis == "notes_balance":
                        parts += to_fen(notes * F(f.rate) * nxt, mode)
                    elif f.basis == "tranche_balance":
                        parts += to_fen(balance[f.tranche] * F(f.rate) * nxt, mode)
                    elif f.basis == "collections":
                        parts += to_fen(plan[i + 1] * F(f.rate), mode)
                    else:
                        parts += F(f.amount)
            for t in deal.tranches:
                if t.name in deal.reserve.covered_tranches:
                    parts += to_fen(balance[t.name] * F(t.coupon) * nxt, mode)
            target = to_fen(parts * F(deal.reserve.target_multiple), mode)
        add("reserve:target", i, target)

        release, brought = reserve, cash_left
        reserve = Fraction(0)
        cash = c + release + brought
        steps = deal.waterfall_on_trigger if (triggered and deal.waterfall_on_trigger is not None) else deal.waterfall

        def claims_of(steps):
            # what the steps would pay with unlimited cash (no incentive fee, no residual)
            total = sum(fee_owed[name] for name in {s.fee for s in steps if s.type == "pay_fee"})
            deferred = base_deferred  # noqa: B023 (called at once, in this iteration)
            unpaid = base_unpaid  # noqa: B023 (called at once, in this iteration)
            pending = base_pending  # noqa: B023 (called at once, in this iteration)
            for s in steps:
                if s.type == "pay_servicer_fee":
                    d = to_fen(pending * (1 - F(s.share)), mode)
                    deferred += d
                    unpaid += pending - d
                    pending = Fraction(0)
                    total += unpaid
                    unpaid = Fraction(0)
                elif s.type == "pay_deferred_servicer_fee":
                    total += deferred
                    deferred = Fraction(0)
            paid_i, paid_p = set(), set()
            capped_done = excess_done = False
            for s in steps:
                if s.type == "pay_interest" and s.tranche not in paid_i:
                    total += interest_owed[s.tranche]
                    paid_i.add(s.tranche)
                elif s.type == "pay_principal" and s.tranche not in paid_p:
                    total += balance[s.tranche]
                    paid_p.add(s.tranche)
                elif s.type == "reimburse_costs" and s.part == "capped" and not capped_done:
                    total += costs_capped  # noqa: B023 (called at once, in this iteration)
                    capped_done = True
                elif s.type == "reimburse_costs" and s.part == "excess" and not excess_done:
                    total += costs_excess  # noqa: B023 (called at once, in this iteration)
                    excess_done = True
            return total

        proceeds = Fraction(0)
        if call:
            price = to_fen(F(deal.clean_up_call.price_share) * sum(plan[i + 1:], Fraction(0)), mode)
            proceeds = max(Fraction(0), claims_of(steps) - cash, price)
            cash += proceeds
        for name, v in (("collections", c), ("costs_advanced", k), ("reserve_release", release),
                        ("brought_forward", brought), ("call_proceeds", proceeds), ("inflow_total", cash),
                        ("called", Fraction(int(call))), ("waterfall_triggered",
                                                          Fraction(int(steps is not deal.waterfall)))):
            add(name, i, v)

        for s in steps:
            if s.type == "pay_fee":
                pay = min(cash, fee_owed[s.fee])
                fee_owed[s.fee] -= pay
                add(f"fee:{s.fee}:paid", i, pay)
            elif s.type == "pay_servicer_fee":
                d = to_fen(base_pending * (1 - F(s.share)), mode)
                base_deferred += d
                base_unpaid += base_pending - d
                base_pending = Fraction(0)
                pay = min(cash, base_unpaid)
                base_unpaid -= pay
                add("servicer_fee:deferred", i, d)
                add("servicer_fee:paid", i, pay)
            elif s.type == "pay_deferred_servicer_fee":
                pay = min(cash, base_deferred)
                base_deferred -= pay
                add("servicer_fee:deferred_paid", i, pay)
            elif s.type == "reimburse_costs":
                if s.part == "capped":
                    pay = min(cash, costs_capped)
                    costs_capped -= pay
                else:
                    pay = min(cash, costs_excess)
                    costs_excess -= pay
                add(f"costs:{s.part}_paid", i, pay)
            elif s.type == "top_up_reserve":
                pay = min(cash, max(Fraction(0), target - reserve))
                reserve += pay
                add("reserve:top_up", i, pay)
            elif s.type == "pay_interest":
                pay = min(cash, interest_owed[s.tranche])
                interest_owed[s.tranche] -= pay
                add(f"tranche:{s.tranche}:interest_paid", i, pay)
            elif s.type == "pay_principal":
                pay = min(cash, balance[s.tranche])
                balance[s.tranche] -= pay
                add(f"tranche:{s.tranche}:principal_paid", i, pay)
            elif s.type == "pay_incentive_fee":
                pay = to_fen(cash * F(deal.servicer.incentive_rate), mode)
                add("incentive_fee:paid", i, pay)
            elif s.type == "pay_residual":
                pay = cash
                add(f"tranche:{s.tranche}:residual_paid", i, pay)
            else:
                raise AssertionError(s.type)
            cash -= pay
        base_unpaid += base_pending
        base_pending = Fraction(0)
        cash_left = cash
        add("reserve:balance", i, reserve)
        add("carried_forward", i, cash)
        for t in deal.tranches:
            add(f"tranche:{t.name}:balance", i, balance[t.name])
            add(f"tranche:{t.name}:interest_shortfall", i, interest_owed[t.name])
        for f in deal.fees:
            add(f"fee:{f.name}:unpaid", i, fee_owed[f.name])
        add("servicer_fee:unpaid", i, base_unpaid + base_deferred)
        if call:
            ended = True
    return out
