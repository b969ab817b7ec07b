"""Meters and readings made directly with the models, for the tests of the readings area."""
from datetime import date, datetime
from decimal import Decimal

from meter_models import Meter, Reading
from models import Account
from periods import add_months

TODAY = date(2026, 3, 20)  # inside the demo HOA's window (days 1-31)


def clear_meters():
    """Start from an HOA without meters (the demo brings its own), readings going with them."""
    Reading.delete().execute()
    Meter.delete().execute()


def make_meter(number="100001", kind="cold_water", zones=1, serial=None, place="кухня",
               verified_until=date(2030, 1, 1), **fields):
    account = Account.get(Account.number == number)
    serial = serial or f"{kind[:2].upper()}-{number}-{Meter.select().count() + 1}"
    return Meter.create(account=account, kind=kind, zones=zones, serial=serial, place=place,
                        verified_until=verified_until, **fields)


def add_reading(meter, period, *values, status="accepted", source="import", **fields):
    names = dict(zip(("t1", "t2", "t3"), (Decimal(str(v)) for v in values)))
    stamp = fields.pop("submitted_at", datetime.combine(period.replace(day=20),
                                                        datetime.min.time()))
    return Reading.create(meter=meter, period=period, status=status, source=source,
                          submitted_at=stamp, **names, **fields)


def monthly(meter, first, values_by_month):
    """One reading per month from `first`: values_by_month is a list of tuples or numbers."""
    for i, values in enumerate(values_by_month):
        values = values if isinstance(values, tuple) else (values,)
        add_reading(meter, add_months(first, i), *values)


def standard_meters():
    """Account 100001: cold water (100 → 106 → 112), two-zone electricity, an expired gas meter
    and an archived one; account 100002 gets a meter of its own."""
    clear_meters()
    cold = make_meter(kind="cold_water", serial="CW-1", place="кухня")
    monthly(cold, date(2026, 1, 1), [100, 106, 112][:2])
    power = make_meter(kind="electricity", zones=2, serial="EL-1", place="коридор")
    monthly(power, date(2026, 1, 1), [(1000, 500), (1150, 560)])
    gas = make_meter(kind="gas", serial="GAS-1", verified_until=date(2026, 2, 1))
    old = make_meter(kind="hot_water", serial="HW-OLD", archived=True)
    foreign = make_meter(number="100002", kind="cold_water", serial="CW-2")
    return {"cold": cold.id, "power": power.id, "gas": gas.id, "old": old.id,
            "foreign": foreign.id}
