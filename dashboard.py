"""The office's home page of an HOA: this month at a glance — registrations, readings received,
charged against paid over the last months, and what needs the accountant."""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import format_date
from peewee import fn

import receipts
from meter_models import Meter, Reading
from models import Account, Charge, Payment, Resident
from periods import add_months, month_start, today

MONEY_MONTHS = 6
# the money chart's geometry, in SVG units (the figure scales to its column)
WIDTH, HEIGHT, TOP, BOTTOM = 360, 180, 16, 30


@dataclass
class Dashboard:
    period: object  # the readings month: this calendar month
    accounts: int = 0
    active: int = 0
    pending: int = 0
    meters: int = 0
    received: int = 0
    flagged: int = 0
    expired: int = 0
    missing_requisites: list = field(default_factory=list)
    money: list = field(default_factory=list)  # {period, charged, paid} oldest first

    @property
    def unregistered(self):
        return self.accounts - self.active - self.pending

    @property
    def problems(self):
        return self.flagged + self.expired + (1 if self.missing_requisites else 0)


def month_figures(hoa):
    day = today()
    board = Dashboard(period=month_start(day))
    board.accounts = hoa.accounts.count()
    residents = Resident.select().join(Account).where(Account.hoa == hoa)
    board.active = residents.where(Resident.activated_at.is_null(False)).count()
    board.pending = residents.count() - board.active
    meters = list(Meter.of_hoa(hoa))
    board.meters = len(meters)
    if meters:
        counting = Reading.counting_for_period(meters, board.period)
        board.received = len(counting)
        board.flagged = sum(1 for r in counting.values() if r.status == "flagged")
        board.expired = sum(1 for m in meters if m.verification_expired(day))
    board.missing_requisites = receipts.missing_requisites(hoa)
    board.money = money_by_month(hoa)
    return board


def money_by_month(hoa):
    """Charged (after recalculations and benefits) and paid in each of the last months that
    have charges, up to the latest charged one."""
    latest = (Charge.select(fn.MAX(Charge.period)).join(Account)
              .where(Account.hoa == hoa).scalar())
    if latest is None:
        return []
    first = add_months(latest, 1 - MONEY_MONTHS)
    charged = dict(Charge.select(Charge.period, fn.SUM(Charge.amount + Charge.recalculation
                                                       - Charge.benefit))
                   .join(Account).where(Account.hoa == hoa, Charge.period >= first)
                   .group_by(Charge.period).tuples())
    paid = dict(Payment.select(Payment.period, fn.SUM(Payment.amount))
                .join(Account).where(Account.hoa == hoa, Payment.period >= first,
                                     Payment.period <= latest)
                .group_by(Payment.period).tuples())
    months = [add_months(first, i) for i in range(MONEY_MONTHS)]
    return [{"period": p, "charged": Decimal(charged.get(p) or 0),
             "paid": Decimal(paid.get(p) or 0)} for p in months if p in charged or p in paid]


def money_chart(money):
    """Pairs of bars, charged and paid, for each month; None without months."""
    if not money:
        return None
    largest = max(max(m["charged"], m["paid"]) for m in money) or Decimal(1)
    slot = Decimal(WIDTH) / len(money)
    plot = Decimal(HEIGHT - TOP - BOTTOM)
    baseline = HEIGHT - BOTTOM
    groups = []
    for i, month in enumerate(money):
        x = slot * i
        bars = []
        for j, key in enumerate(("charged", "paid")):
            h = plot * month[key] / largest
            bars.append({"kind": key, "x": round(x + slot * Decimal("0.15") + slot
                                                 * Decimal("0.35") * j, 1),
                         "w": round(slot * Decimal("0.33"), 1), "h": round(h, 1),
                         "y": round(baseline - h, 1)})
        groups.append({"bars": bars, "cx": round(x + slot / 2, 1), "month": month,
                       "label": format_date(month["period"], "LLL").rstrip(".")[:4],
                       "title": format_date(month["period"], "LLLL yyyy")})
    return {"width": WIDTH, "height": HEIGHT, "baseline": baseline, "groups": groups}
