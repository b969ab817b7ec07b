"""Meters and readings: the kinds of meter, each apartment's meters, the readings sent for
them and "the reading that counts" for a month, and the reminders mailed about them."""
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField,
)

from models import Account, Accountant, BaseModel, Resident, choices, now
from speedups import Prepared

class MeterKind(NamedTuple):
    label: str  # the pages' name, translated
    unit: str  # for a meter without a unit of its own
    receipt_name: str  # on the receipt, a Russian legal form
    file_word: str  # how billing programs write it, and the import's messages
    other_words: str  # further spellings the import understands, "|" between them


# Every kind of meter, described once for the pages, the receipt and the import.
METER_KIND_TABLE = {
    "cold_water": MeterKind(_l("Cold water"), "м³", "Холодная вода", "ХВС",
                            "холодная вода|холодное водоснабжение|хол вода|cold water"),
    "hot_water": MeterKind(_l("Hot water"), "м³", "Горячая вода", "ГВС",
                           "горячая вода|горячее водоснабжение|гор вода|hot water"),
    "electricity": MeterKind(_l("Electricity"), "кВт·ч", "Электроэнергия", "электроэнергия",
                             "электричество|электро|ээ|электрическая энергия|electricity"),
    "gas": MeterKind(_l("Gas"), "м³", "Газ", "газ", "gas"),
    "heat": MeterKind(_l("Heat"), "Гкал", "Тепловая энергия", "тепло",
                      "теплоэнергия|тепловая энергия|отопление|heat"),
}
METER_KINDS = tuple(METER_KIND_TABLE)


class Meter(BaseModel):
    """An apartment meter (ИПУ) with one to three tariff zones."""
    account = ForeignKeyField(Account, backref="meters", on_delete="CASCADE")
    kind = CharField()
    unit = CharField(default="")
    serial = CharField(default="")
    place = CharField(default="")
    zones = IntegerField(default=1)
    verified_until = DateField(null=True)
    commissioned_on = DateField(null=True)
    initial_t1 = DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"), auto_round=True)
    initial_t2 = DecimalField(max_digits=14, decimal_places=3, null=True, auto_round=True)
    initial_t3 = DecimalField(max_digits=14, decimal_places=3, null=True, auto_round=True)
    archived = BooleanField(default=False)

    class Meta:
        indexes = ((("account", "serial"), False),)

    @property
    def zone_numbers(self):
        return range(1, max(1, min(3, self.zones)) + 1)

    def initial_values(self):
        return tuple(getattr(self, f"initial_t{z}") or Decimal("0") for z in self.zone_numbers)

    def verification_expired(self, day):
        return self.verified_until is not None and self.verified_until < day

    @classmethod
    def of_account(cls, account, include_archived=False):
        query = cls.select().where(cls.account == account)
        if not include_archived:
            query = query.where(cls.archived == False)  # noqa: E712 (peewee expression)
        return query.order_by(cls.kind, cls.place, cls.serial, cls.id)

    @classmethod
    def of_hoa(cls, hoa):
        return (cls.select(cls, Account).join(Account)
                .where(Account.hoa == hoa, cls.archived == False)  # noqa: E712
                .order_by(Account.number, cls.kind, cls.serial, cls.id))

    def counting_readings(self, before=None):
        """The reading that counts for each month (the latest submission, declined ones left
        out), oldest month first."""
        return Reading.counting(self, before=before)

    def last_reading(self, before=None):
        """The counting reading of the latest month (before `before`), in one indexed query."""
        reading = LAST_READING.first(self.id, date.max if before is None else before)
        if reading is not None:
            reading.meter = self
        return reading


READING_SOURCES = ("resident", "accountant", "import")
READING_STATUSES = ("accepted", "flagged", "declined")


class Reading(BaseModel):
    """One submission of a meter's reading for a month; the latest one of a month counts."""
    meter = ForeignKeyField(Meter, backref="readings", on_delete="CASCADE")
    period = DateField()
    t1 = DecimalField(max_digits=14, decimal_places=3, auto_round=True)
    t2 = DecimalField(max_digits=14, decimal_places=3, null=True, auto_round=True)
    t3 = DecimalField(max_digits=14, decimal_places=3, null=True, auto_round=True)
    submitted_at = DateTimeField(default=now)
    source = CharField(default="resident", choices=choices(READING_SOURCES))
    status = CharField(default="accepted", choices=choices(READING_STATUSES))
    reason = CharField(default="")
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    ip = CharField(default="")

    class Meta:
        indexes = ((("meter", "period"), False),)

    @property
    def values(self):
        return tuple(getattr(self, f"t{z}") for z in self.meter.zone_numbers)

    @classmethod
    def counting(cls, meter, before=None):
        """The counting reading of each month of one meter, oldest month first: the month's
        latest submission is picked in SQL, so months corrected many times cost nothing more."""
        readings = list(COUNTING(meter.id, date.max if before is None else before))
        for reading in readings:
            reading.meter = meter
        return readings

    @classmethod
    def recent_counting(cls, meter, before, months):
        """The counting readings of the latest `months` months before `before`, oldest first."""
        readings = list(RECENT_COUNTING(meter.id, before, months))[::-1]
        for reading in readings:
            reading.meter = meter
        return readings

    @classmethod
    def counting_for_meter(cls, meter_id, period):
        """The reading that counts for `period` of one meter, or None."""
        return METER_COUNTING.first(meter_id, period)

    @classmethod
    def counting_for_period(cls, meters, period):
        """{meter_id: the reading that counts for `period`} for many meters in one query."""
        query = counting_readings().where(cls.meter << [m.id for m in meters],
                                          cls.period == period)
        return {reading.meter_id: reading for reading in query}

    @classmethod
    def latest_counting(cls, meters, until):
        """{meter_id: the reading that counts for its latest month up to `until`}, one query."""
        query = (counting_readings().where(cls.meter << [m.id for m in meters],
                                           cls.period <= until).order_by(cls.period))
        return {reading.meter_id: reading for reading in query}

    @classmethod
    def latest_counting_of_accounts(cls, account_ids, until):
        """latest_counting() of the accounts' meters, not archived, in one query: for each
        meter the latest submission, declined ones left out, of its latest month up to
        `until` (one index walk per meter, not every month's counting reading)."""
        last = (Rival.select(Rival.id)
                .where(Rival.meter == Meter.id, Rival.status != "declined", Rival.period <= until)
                .order_by(Rival.period.desc(), Rival.submitted_at.desc(), Rival.id.desc()).limit(1))
        meters = Meter.select(last).where(Meter.account.in_(account_ids),
                                          Meter.archived == False)  # noqa: E712
        return {reading.meter_id: reading for reading in cls.select().where(cls.id.in_(meters))}

    @classmethod
    def latest_submissions(cls, meter, limit):
        """A meter's submissions, declined ones too, the latest first."""
        return cls.select().where(cls.meter == meter).order_by(*LATEST_FIRST).limit(limit)


# "The reading that counts" for a meter and month, the one rule every page, the statement, the
# receipt, the export and the reminders go by: the month's latest submission by the time it was
# sent (the id breaks a tie), declined ones left out. Ids need not follow the time: readings
# loaded with the time they were taken, a clock set back.
LATEST_FIRST = (Reading.submitted_at.desc(), Reading.id.desc())
Rival = Reading.alias()


def counting_readings():
    """The counting reading of every meter and month: each month's latest submission."""
    latest = (Rival.select(Rival.id)
              .where(Rival.meter == Reading.meter, Rival.period == Reading.period,
                     Rival.status != "declined")
              .order_by(Rival.submitted_at.desc(), Rival.id.desc()).limit(1))
    return Reading.select().where(Reading.status != "declined", Reading.id == latest)


ACCOUNT_METERS = Prepared(lambda account_id: Meter.of_account(account_id, include_archived=True))
LAST_READING = Prepared(lambda meter_id, before: (
    Reading.select().where(Reading.meter == meter_id, Reading.status != "declined",
                           Reading.period < before)
    .order_by(Reading.period.desc(), *LATEST_FIRST).limit(1)))
COUNTING = Prepared(lambda meter_id, before: (
    counting_readings().where(Reading.meter == meter_id, Reading.period < before)
    .order_by(Reading.period)))
RECENT_COUNTING = Prepared(lambda meter_id, before, months: (
    counting_readings().where(Reading.meter == meter_id, Reading.period < before)
    .order_by(Reading.period.desc()).limit(months)))
METER_COUNTING = Prepared(lambda meter_id, period: (
    Reading.select().where(Reading.meter == meter_id, Reading.period == period,
                           Reading.status != "declined")
    .order_by(*LATEST_FIRST).limit(1)))
LATEST_SUBMISSION = Prepared(lambda meter_id, period: (
    Reading.select().where(Reading.meter == meter_id, Reading.period == period)
    .order_by(*LATEST_FIRST).limit(1)))


REMINDER_KINDS = ("window_open", "window_closing", "verification")


class ReminderSent(BaseModel):
    """A reminder mailed to a resident; the unique index keeps it from going out twice."""
    resident = ForeignKeyField(Resident, backref="reminders", on_delete="CASCADE")
    kind = CharField(choices=choices(REMINDER_KINDS))
    period = DateField()  # the readings month, or the verification due date
    sent_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("resident", "kind", "period"), True),)
