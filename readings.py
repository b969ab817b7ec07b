"""The rules a meter reading must pass, consumption history and the demo readings."""
import random
from datetime import datetime, time
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from formats import format_day, format_number, format_period
from meter_models import METER_KIND_TABLE, READING_SOURCES, READING_STATUSES, Meter, Reading
from models import db, now
from periods import add_months, month_start, today

SOURCE_LABELS = {
    "resident": _l("by the resident"),
    "accountant": _l("by the accountant"),
    "import": _l("from the billing program"),
}
STATUS_LABELS = {
    "accepted": _l("reading accepted"),
    "flagged": _l("reading flagged for the accountant"),
    "declined": _l("reading declined"),
}
# A month's consumption above LARGE_FACTOR × the recent monthly average asks for a confirmation;
# the floor keeps a small average (a flat that stood empty) from flagging an ordinary month.
LARGE_FACTOR = 3
LARGE_FLOOR = {"cold_water": Decimal(20), "hot_water": Decimal(15), "electricity": Decimal(600),
               "gas": Decimal(80), "heat": Decimal(3)}
AVERAGE_MONTHS = 6
# Consumption above FAR_FACTOR × that confirmation threshold is no slip of a finger a tick can
# vouch for (99 999 999 m³ of gas): even confirmed, it waits for the accountant's review.
FAR_FACTOR = 10
REPLACED_REASON = "meter replaced or past its maximum"
LARGE_REASON = "large consumption confirmed by the resident"
FAR_REASON = "consumption far beyond the usual, confirmed by the resident"
REASON_LABELS = {
    REPLACED_REASON: _l("the meter was replaced or went past its maximum"),
    LARGE_REASON: _l("a large consumption confirmed by the resident"),
    FAR_REASON: _l("a consumption far beyond the usual, confirmed by the resident"),
}


def reason_text(reason):
    """The reason of a reading as people read it; the export keeps the stored text."""
    return REASON_LABELS.get(reason, reason)


def kind_label(meter):
    kind = METER_KIND_TABLE.get(meter.kind)
    return kind.label if kind else meter.kind


def unit_of(meter):
    kind = METER_KIND_TABLE.get(meter.kind)
    return meter.unit or (kind.unit if kind else "")


def months_between(earlier, later):
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def history(meter, readings=None, complete=True):
    """[(reading, consumption per zone or None)] of the months of one meter, oldest first.
    Consumption is unknown after a replacement or a roll-over (the new value is lower).
    `readings` (counting ones, oldest first) defaults to all of them; when they are not
    `complete`, the first one is only the starting point of the next month's consumption."""
    rows, previous = [], None
    previous_values = meter.initial_values()
    readings = meter.counting_readings() if readings is None else readings
    if not complete and readings:
        previous, previous_values = readings[0], readings[0].values
        readings = readings[1:]
    for reading in readings:
        values = reading.values
        used = tuple(v - p for v, p in zip(values, previous_values))
        if previous is not None:
            gap = months_between(previous.period, reading.period)
        elif meter.commissioned_on is not None:
            gap = max(1, months_between(month_start(meter.commissioned_on), reading.period))
        else:
            used, gap = None, 1  # the initial reading's date is unknown
        if reading.status == "flagged" or (used and any(u < 0 for u in used)):
            used = None
        rows.append((reading, used, gap))
        previous, previous_values = reading, values
    return rows


def monthly_average(meter, before):
    """Per zone, the average consumption per month over the latest AVERAGE_MONTHS months
    with a known consumption before `before`; None without data. Reads the latest months
    only, going further back when some of them tell no consumption (a replacement)."""
    months = AVERAGE_MONTHS + 1
    while True:
        readings = Reading.recent_counting(meter, before, months)
        complete = len(readings) < months  # the meter's whole history is in hand
        steps = [(used, gap) for reading, used, gap in history(meter, readings, complete)
                 if used is not None and gap > 0][-AVERAGE_MONTHS:]
        if complete or len(steps) == AVERAGE_MONTHS:
            break
        months *= 2
    if not steps:
        return None
    months = sum(gap for used, gap in steps)
    return tuple(sum(used[i] for used, gap in steps) / months for i in range(len(steps[0][0])))


class Check:
    """What the rules say about one meter's new values for one month."""

    def __init__(self, meter, values):
        self.meter, self.values = meter, values
        self.errors = {}  # zone (0 for the meter as a whole) -> message
        self.confirm = {}  # zone -> why the value needs a confirmation
        self.status, self.reason = "accepted", ""
        self.unchanged = False

    @property
    def far_out(self):
        """Saved for the accountant's review because its consumption is far beyond the usual."""
        return self.reason == FAR_REASON

    @property
    def ok(self):
        return not self.errors and not self.confirm


def contact_of(hoa):
    parts = [hoa.accountant_contact, hoa.phone, hoa.email]
    return ", ".join(p for p in parts if p) or _("your HOA's accountant")


def check_values(meter, values, period, day, replaced=False, confirmed=False,
                 by_accountant=False):
    """Apply the rules to one meter's values (a tuple per zone, None where left empty)."""
    check = Check(meter, values)
    if meter.archived:
        check.errors[0] = _("This meter is archived and takes no readings.")
        return check
    if meter.verification_expired(day) and not by_accountant:
        check.errors[0] = _(
            "The verification of this meter expired on %(day)s, so its readings cannot be "
            "accepted. Have it verified or replaced and tell the accountant: %(contact)s.",
            day=format_day(meter.verified_until), contact=contact_of(meter.account.hoa))
        return check
    missing = [z for z, v in zip(meter.zone_numbers, values) if v is None]
    if missing:
        for zone in missing:
            check.errors[zone] = _("Enter every tariff zone of this meter.")
        return check
    current = Reading.counting_for_meter(meter.id, period)
    if current is not None:
        current.meter = meter
    if current is not None and current.values == tuple(values) and not by_accountant:
        check.unchanged = True  # the same reading sent again: nothing to do
        return check
    previous = meter.last_reading(before=period)
    previous_values = previous.values if previous else meter.initial_values()
    if replaced:
        check.status, check.reason = "flagged", REPLACED_REASON
        if by_accountant:
            check.status = "accepted"
        return check
    for zone, value, before in zip(meter.zone_numbers, values, previous_values):
        if value < before:
            when = format_period(previous.period) if previous else _("commissioning")
            check.errors[zone] = _(
                "The reading is below the previous one (%(previous)s, %(when)s). If the meter "
                "was replaced or went past its maximum, tick the box below.",
                previous=format_number(before), when=when)
    if check.errors or by_accountant:
        return check
    large = large_zones(meter, values, previous_values, previous, period)
    if confirmed:
        if any(large.values()):
            check.status, check.reason = "flagged", FAR_REASON
        elif large:
            check.reason = LARGE_REASON
        return check
    for zone, far in large.items():
        volume = format_number(values[zone - 1] - previous_values[zone - 1])
        if far:
            check.confirm[zone] = _(
                "That is %(volume)s %(unit)s since the previous reading, far beyond what a "
                "flat uses. Check the number; if it is right, tick the box and save again: "
                "the accountant will check the reading before it goes into the bill.",
                volume=volume, unit=unit_of(meter))
        else:
            check.confirm[zone] = _(
                "That is %(volume)s %(unit)s since the previous reading, much more than usual. "
                "Check the number; if it is right, tick the box and save again.",
                volume=volume, unit=unit_of(meter))
    return check


def large_zones(meter, values, previous_values, previous, period):
    """{zone: whether far out} for the zones whose consumption is well above the recent
    monthly average; far out is FAR_FACTOR times beyond that."""
    if previous is not None:
        gap = max(1, months_between(previous.period, period))
    elif meter.commissioned_on is not None:
        gap = max(1, months_between(month_start(meter.commissioned_on), period))
    else:
        return {}  # a first reading of a meter whose start is unknown: nothing to compare
    floor = LARGE_FLOOR.get(meter.kind, Decimal(20))
    if all(value - before <= floor * gap for value, before in zip(values, previous_values)):
        return {}  # nowhere above the floor: not large whatever the average, not read
    average = monthly_average(meter, period)
    found = {}
    for i, zone in enumerate(meter.zone_numbers):
        usual = max(LARGE_FACTOR * average[i], floor) if average else floor
        used = values[i] - previous_values[i]
        if used > usual * gap:
            found[zone] = used > FAR_FACTOR * usual * gap
    return found


def save_checks(checks, period, source="resident", resident=None, accountant=None, ip=""):
    """Write the readings of checks that passed, all or none; returns how many were written."""
    if source not in READING_SOURCES or any(c.status not in READING_STATUSES for c in checks):
        raise ValueError(f"a reading's source or status outside {READING_SOURCES}, "
                         f"{READING_STATUSES}")
    submitted_at = now()
    rows = [{"meter": check.meter, "period": period, "source": source, "status": check.status,
             "reason": check.reason, "resident": resident, "accountant": accountant, "ip": ip,
             "submitted_at": submitted_at,
             **dict(zip(("t1", "t2", "t3"), tuple(check.values) + (None, None)))}
            for check in checks if not check.unchanged]
    if rows:
        with db.atomic():
            Reading.insert_many(rows).execute()  # one statement for every meter
    return len(rows)


# --- demo ------------------------------------------------------------------------------------

MONTHLY_USE = {"cold_water": (4, 9), "hot_water": (2, 6), "electricity": (120, 260),
               "gas": (6, 20), "heat": (Decimal("0.3"), Decimal("1.6"))}


def seed_demo_readings(day=None, months=13, seed=7):
    """Give every meter without readings a year of plausible monthly readings, up to last month."""
    rng = random.Random(seed)
    day = day or today()
    last = add_months(month_start(day), -1)
    meters = list(Meter.select().where(Meter.archived == False))  # noqa: E712
    count = 0
    with db.atomic():
        for meter in meters:
            if meter.readings.exists():
                continue
            low, high = MONTHLY_USE.get(meter.kind, (1, 10))
            values = list(meter.initial_values())
            for back in range(months - 1, -1, -1):
                period = add_months(last, -back)
                if meter.commissioned_on and period < month_start(meter.commissioned_on):
                    continue
                stamp = datetime.combine(period.replace(day=20), time(19, 30))
                if meter.verification_expired(stamp.date()):
                    break
                for i in range(len(values)):
                    share = Decimal(1) if i == 0 else Decimal("0.45")
                    use = Decimal(str(rng.uniform(float(low), float(high)))) * share
                    values[i] = (values[i] + use).quantize(Decimal("0.001"))
                Reading.create(meter=meter, period=period, source="import", status="accepted",
                               submitted_at=stamp, **dict(zip(("t1", "t2", "t3"), values)))
                count += 1
    return count
