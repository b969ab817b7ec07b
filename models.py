"""Domkom's data: HOAs, accounts, residents, money, meters and the office's records."""
import re
import secrets
import weakref
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from peewee import (
    BlobField, BooleanField, CharField, DatabaseProxy, DateField, DateTimeField, DecimalField,
    ForeignKeyField, IntegerField, Model, TextField,
)
from playhouse.pool import PooledSqliteDatabase
from werkzeug.security import check_password_hash, generate_password_hash

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -8000,
}


def open_database(url):
    """Bind the proxy to a SQLite path or a database URL (postgresql://…).

    Connections are kept in a pool: closing one at the end of a request hands it back, and the
    worker's next request reuses it instead of connecting (and setting the pragmas) again.
    Measured (bench/): the cabinet took 2.9 instead of 4.3 ms of CPU on SQLite (a fresh
    connection also starts with an empty page cache); on PostgreSQL a connection is a TCP
    handshake and a login.
    """
    if "://" in url:
        # lazily: it loads every backend's driver (~10 ms), and SQLite needs none of them
        from playhouse.db_url import connect
        scheme, rest = url.split("://", 1)
        if scheme in ("postgres", "postgresql"):
            scheme += "+pool"  # peewee picks psycopg 3 when psycopg2 is not installed
        database = connect(f"{scheme}://{rest}")
    else:
        # a pooled connection may serve another thread later, one thread at a time
        database = PooledSqliteDatabase(url, pragmas=SQLITE_PRAGMAS, max_connections=64,
                                        stale_timeout=3600, check_same_thread=False)
    db.initialize(database)
    return database


def close_all_connections():
    """Really close every connection, the pool's idle ones too: gunicorn forks its workers
    from the process that ran create_app(), and a connection must never cross a fork."""
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def now():
    return datetime.now().replace(microsecond=0)


def today():
    """Today, or the TODAY the configuration fixes (DOMKOM_TODAY: tests, demonstrations): the
    one "today" of every page, the readings window and the notices."""
    fixed = current_app.config.get("TODAY") if has_app_context() else None
    if isinstance(fixed, str):
        fixed = date.fromisoformat(fixed)
    return fixed or date.today()


def choices(values):
    """Peewee's choices for a field holding one of `values`; where the data enters checks it."""
    return [(value, value) for value in values]


def money(value=0):
    return DecimalField(max_digits=14, decimal_places=2, default=value, auto_round=True)


class BaseModel(Model):
    class Meta:
        database = db


class Prepared:
    """A select whose SQL is built once per database, then only run again with new values.

    Peewee spends ~10 µs a selected column building SQL: 0.5 ms for a resident with their
    account and HOA, thirty times what the indexed lookup itself takes (bench/). Queries run
    on every page use this. `build(*values)` returns the query; the values (ints, strings,
    dates) must reach the SQL unchanged, as parameters.
    """

    def __init__(self, build):
        self.build, self.compiled = build, weakref.WeakKeyDictionary()
        self.states = weakref.WeakKeyDictionary()

    def __call__(self, *values):
        database = db.obj
        compiled = self.compiled.get(database)
        if compiled is None:
            compiled = self.compiled[database] = self.compile(values)
        query, sql, params, slots = compiled
        if slots is None:  # the values could not be told apart from the SQL: no caching
            return iter(self.build(*values))
        params = list(params)
        for position, index in slots:
            params[position] = values[index]
        wrapper = query._get_cursor_wrapper(database.execute_sql(sql, params))
        # how result columns become objects depends on the SQL only: work it out once
        # (peewee's initialize() resolves every column on every query otherwise)
        state = self.states.get(database)
        if state is None:
            fresh = set(vars(wrapper))
            wrapper.initialize()
            state = self.states[database] = {key: value for key, value in vars(wrapper).items()
                                             if key not in fresh}
        else:
            vars(wrapper).update(state)
        wrapper.initialized = True
        return wrapper.iterator()

    def compile(self, values):
        markers = [marker_like(value, i) for i, value in enumerate(values)]
        query = self.build(*markers)
        sql, params = query.sql()
        slots = [(position, markers.index(param)) for position, param in enumerate(params)
                 if any(param == m and type(param) is type(m) for m in markers)]
        if {index for _, index in slots} != set(range(len(values))):
            slots = None
        return query, sql, params, slots

    def first(self, *values):
        rows = list(self(*values))  # read to the end: no statement is left open
        return rows[0] if rows else None


def marker_like(value, i):
    """A value of the same type that real data never holds, to find a parameter's place."""
    if isinstance(value, bool) or not isinstance(value, (int, str, date)):
        raise TypeError(f"Prepared queries take ints, strings and dates, not {value!r}")
    if isinstance(value, int):
        return -(2 ** 62) - i
    if isinstance(value, str):
        return f"\x00prepared-{i}\x00"
    return date(1, 1, 1) + timedelta(days=i)


# --- HOAs and accounts -----------------------------------------------------------------------

REGISTRATION_CHECKS = ("auto", "code", "email", "none")
# Russia's zones, west to east: the HOA's one is where the times pages show are read
TIME_ZONES = ("Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg",
              "Asia/Omsk", "Asia/Novosibirsk", "Asia/Irkutsk", "Asia/Yakutsk",
              "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka")


class Hoa(BaseModel):
    """A housing association (ТСЖ, ЖСК) or a managing company (УК) served by this server."""
    name = CharField()
    inn = CharField(default="")
    kpp = CharField(default="")
    address = TextField(default="")  # may be longer than 255
    phone = CharField(default="")
    email = CharField(default="")
    accountant_contact = CharField(default="")
    prefixes = CharField(default="")  # comma-separated account-number prefixes
    # bank requisites for the receipt and its payment QR code
    recipient = CharField(default="")
    bank_name = CharField(default="")
    bic = CharField(default="")
    settlement_account = CharField(default="")
    corr_account = CharField(default="")
    window_start_day = IntegerField(default=15)
    window_end_day = IntegerField(default=25)
    time_zone = CharField(default="Europe/Moscow", choices=choices(TIME_ZONES))  # version 3
    pay_by_day = IntegerField(default=10)
    # what registering asks for besides the number (registration.py); "auto": the e-mail on
    # file when the accountant loaded one, otherwise the code printed on the receipt
    registration_check = CharField(default="auto", choices=choices(REGISTRATION_CHECKS))
    created_at = DateTimeField(default=now)

    @property
    def prefix_list(self):
        return [p.strip() for p in self.prefixes.split(",") if p.strip()]

    @classmethod
    def for_number(cls, number, hoas=None):
        """The HOA owning an account number by its longest matching prefix, or None;
        `hoas` spares the query when many numbers are looked up."""
        best, best_len = None, 0
        for hoa in cls.select() if hoas is None else hoas:
            for prefix in hoa.prefix_list:
                if number.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = hoa, len(prefix)
        return best

    def has_accounts(self):
        return self.accounts.exists()

    def window_crosses_month(self):
        """A closing day before the opening day: the window ends in the following month."""
        return self.window_end_day < self.window_start_day

    def window_of(self, period):
        """First and last day of the readings window of the month `period`: it opens in that
        month and, when it crosses the month's end, closes in the next one."""
        end_month = add_months(period, 1) if self.window_crosses_month() else period
        return on_day(period, self.window_start_day), on_day(end_month, self.window_end_day)

    def window_at(self, day):
        """(period, first day, last day) of the window open on `day`, else of the next one."""
        for months in (-1, 0, 1):
            period = add_months(month_start(day), months)
            start, end = self.window_of(period)
            if day <= end:
                return period, start, end
        raise AssertionError("a window ends within two months of its opening")

    def readings_period(self, day):
        """The month a reading taken on `day` counts for: the month whose window is open (a
        reading of 1-5 April in a 25th-5th window is March's), else the calendar month."""
        period, start, end = self.window_at(day)
        return period if start <= day else month_start(day)

    def window_bounds(self, day):
        """First and last day of the window open on `day`, else of the next one to open."""
        return self.window_at(day)[1:]

    def window_state(self, day=None):
        """(is_open, days_left_including_today, opening_date) for the readings window."""
        day = day or today()
        start, end = self.window_bounds(day)
        if start <= day:
            return True, (end - day).days + 1, start
        return False, 0, start


def on_day(period, number):
    """Day `number` of the month `period`; days past the month's end mean its last day."""
    return period.replace(day=min(number, last_day_of_month(period).day))


class Account(BaseModel):
    """A personal account (лицевой счёт): one apartment's bill."""
    number = CharField(unique=True)
    hoa = ForeignKeyField(Hoa, backref="accounts", on_delete="CASCADE")
    address = TextField(default="")  # may be longer than 255
    apartment = CharField(default="")
    owner = CharField(default="")
    area = DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"), auto_round=True)
    residents = IntegerField(default=0)
    email_on_file = CharField(default="")
    registration_code = CharField(default="")

    @classmethod
    def by_number(cls, number):
        return cls.get_or_none(cls.number == number)


# --- people who log in ---------------------------------------------------------------------

# scrypt with N=2^14, r=8, p=2 instead of werkzeug's default N=2^15, r=8, p=1: the same work per
# guess (N*r*p) and still memory-hard, but a check needs 16 MB of working memory instead of 32 MB,
# which keeps a gunicorn worker below 80 MB resident. The parameters are stored in each hash, so
# hashes made with other parameters keep verifying.
PASSWORD_METHOD = "scrypt:16384:8:2"
# An app under TESTING hashes with 1/128 of the work: the suite sets and checks passwords about a
# thousand times, and 120 ms each would be half its running time. A test makes sure that an
# app without TESTING hashes with PASSWORD_METHOD.
TESTING_PASSWORD_METHOD = "scrypt:256:8:1"


def hash_password(password):
    testing = has_app_context() and current_app.testing
    return generate_password_hash(password,
                                  method=TESTING_PASSWORD_METHOD if testing else PASSWORD_METHOD)


class LoginMixin:
    """Password and session helpers shared by residents and accountants."""

    def set_password(self, password):
        self.password_hash = hash_password(password)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_other_sessions(self):
        """Rotate the session salt: every cookie carrying the old one stops working."""
        self.session_salt = secrets.token_hex(8)

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return f"{self.login_kind}:{self.id}:{self.session_salt}"


def new_salt():
    return secrets.token_hex(8)


class Resident(LoginMixin, BaseModel):
    """A resident's login, tied to one account."""
    login_kind = "r"

    account = ForeignKeyField(Account, backref="logins", unique=True, on_delete="CASCADE")
    email = CharField()
    name = CharField(default="")
    phone = CharField(default="")
    password_hash = CharField()
    pending_password_hash = CharField(null=True)  # set by "forgot password" until confirmed
    pending_email = CharField(null=True)
    activated_at = DateTimeField(null=True)
    activation_sent_at = DateTimeField(default=now)
    created_at = DateTimeField(default=now)
    consent_at = DateTimeField(null=True)
    consent_ip = CharField(default="")
    consent_version = CharField(default="")
    session_salt = CharField(default=new_salt)
    last_login_at = DateTimeField(null=True)

    @property
    def is_active(self):
        return self.activated_at is not None

    @property
    def hoa(self):
        return self.account.hoa

    @classmethod
    def by_number(cls, number):
        return (cls.select(cls, Account).join(Account)
                .where(Account.number == number).first())

    def release(self, accountant=None, ip=""):
        """Delete this login at the resident's request: its sessions end, the account is free."""
        with db.atomic():
            AuditEvent.record("release", ip, hoa=self.account.hoa, accountant=accountant,
                              account_number=self.account.number, detail=self.email)
            self.delete_instance()

    @classmethod
    def with_account(cls):
        """Residents with their account and its HOA, in one query (every cabinet page needs them)."""
        return cls.select(cls, Account, Hoa).join(Account).join(Hoa)

    @classmethod
    def for_session(cls, resident_id):
        """The logged-in resident, with account and HOA, looked up on every request."""
        return RESIDENT_FOR_SESSION.first(resident_id)


RESIDENT_FOR_SESSION = Prepared(lambda rid: Resident.with_account().where(Resident.id == rid))


class Accountant(LoginMixin, BaseModel):
    """An HOA accountant's office login."""
    login_kind = "a"

    email = CharField(unique=True)
    name = CharField(default="")
    password_hash = CharField()
    session_salt = CharField(default=new_salt)
    created_at = DateTimeField(default=now)
    last_login_at = DateTimeField(null=True)

    is_active = True

    @property
    def hoas(self):
        return (Hoa.select().join(AccountantHoa)
                .where(AccountantHoa.accountant == self).order_by(Hoa.name))


class AccountantHoa(BaseModel):
    accountant = ForeignKeyField(Accountant, backref="links", on_delete="CASCADE")
    hoa = ForeignKeyField(Hoa, backref="accountant_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("accountant", "hoa"), True),)


# --- notices ---------------------------------------------------------------------------------

class Notice(BaseModel):
    """A short notice an accountant posts for the residents of one HOA."""
    hoa = ForeignKeyField(Hoa, backref="notices", on_delete="CASCADE")
    title = CharField()
    body = TextField(default="")
    starts_on = DateField(default=today)
    ends_on = DateField(null=True)
    created_at = DateTimeField(default=now)

    @classmethod
    def current(cls, hoa=None, day=None):
        day = day or today()
        # of the HOA only what a notice shows: building its twenty columns was most of the cost
        query = (cls.select(cls, Hoa.id, Hoa.name).join(Hoa)
                 .where(cls.starts_on <= day, (cls.ends_on.is_null()) | (cls.ends_on >= day)))
        if hoa is not None:
            query = query.where(cls.hoa == hoa)
        return query.order_by(cls.starts_on.desc(), cls.id.desc())

    @classmethod
    def showing(cls, hoa=None, day=None):
        """The current notices as a list: one HOA's, or the latest 20 of all (landing page)."""
        day = day or today()
        if hoa is None:
            return list(LATEST_NOTICES(day))
        return list(HOA_NOTICES(hoa.id if isinstance(hoa, Hoa) else hoa, day))


LATEST_NOTICES = Prepared(lambda day: Notice.current(day=day).limit(20))
HOA_NOTICES = Prepared(lambda hoa_id, day: Notice.current(hoa_id, day))


# --- money: charges, balances, payments ------------------------------------------------------

class Charge(BaseModel):
    """One service's line on one month's bill."""
    account = ForeignKeyField(Account, backref="charges", on_delete="CASCADE")
    period = DateField(index=True)  # first day of the month
    service = CharField()
    unit = CharField(default="")
    volume = DecimalField(max_digits=14, decimal_places=3, default=Decimal("0"), auto_round=True)
    tariff = DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"), auto_round=True)
    amount = money()
    recalculation = money()
    benefit = money()

    class Meta:
        indexes = ((("account", "period"), False),)

    @property
    def to_pay(self):
        return self.amount + self.recalculation - self.benefit


class MonthBalance(BaseModel):
    """The per-month figures of an account that are not per service: opening balance, penalty."""
    account = ForeignKeyField(Account, backref="balances", on_delete="CASCADE")
    period = DateField()
    opening_balance = money()  # positive is debt, negative is advance
    penalty = money()

    class Meta:
        indexes = ((("account", "period"), True),)


class Payment(BaseModel):
    account = ForeignKeyField(Account, backref="payments", on_delete="CASCADE")
    period = DateField()  # the month the payment is counted in
    paid_on = DateField()
    amount = money()
    reference = CharField(default="")

    class Meta:
        indexes = ((("account", "period"), False),)


# --- meters and readings ---------------------------------------------------------------------

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


# --- the office's records --------------------------------------------------------------------

class ImportLog(BaseModel):
    """One load of the billing program's files: who, when, which file, what it held."""
    hoa = ForeignKeyField(Hoa, backref="imports", on_delete="CASCADE")
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)
    filename = CharField()
    sha256 = CharField()
    kind = CharField(default="")
    counts = TextField(default="{}")


class PendingUpload(BaseModel):
    """Uploaded files waiting between the preview and the confirmation, in the database so
    that any app server and the worker find them; the session holds only the token."""
    token = CharField(unique=True)
    owner = IntegerField(index=True)  # the accountant who uploaded them
    hoa = IntegerField(null=True)
    created_at = DateTimeField(default=now, index=True)
    size = IntegerField(default=0)


class PendingFile(BaseModel):
    """One file of a PendingUpload, its bytes in one blob (within IMPORT_MAX_BYTES)."""
    upload = ForeignKeyField(PendingUpload, backref="files", on_delete="CASCADE")
    position = IntegerField()
    name = CharField()
    data = BlobField()


class ImportSlot(BaseModel):
    """One of IMPORT_CONCURRENT places for checking or saving a load, held by one request or
    job until `until` (a holder killed midway lets it go then)."""
    number = IntegerField(primary_key=True)
    holder = CharField(default="")
    until = DateTimeField(default=now)


class ImportJob(BaseModel):
    """A confirmed load saved by the worker (importjob.py): its state, progress and outcome."""
    hoa = ForeignKeyField(Hoa, on_delete="CASCADE")
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    token = CharField()  # the PendingUpload's
    ip = CharField(default="")
    state = CharField(default="queued", index=True)  # queued, running, done, failed
    rows_total = IntegerField(default=0)
    rows_done = IntegerField(default=0)
    attempts = IntegerField(default=0)  # claims so far; only the latest may finish it
    holder = CharField(default="")  # "host:pid" of the worker running it
    outcome = TextField(default="")  # JSON: the saved totals, or the problems found
    error = TextField(default="")
    created_at = DateTimeField(default=now)
    lease_until = DateTimeField(default=now)  # a worker killed midway lets the job go then
    finished_at = DateTimeField(null=True)


class AuditEvent(BaseModel):
    """A security-relevant event: registration, login, password change, release, import…"""
    at = DateTimeField(default=now, index=True)
    event = CharField()
    hoa = ForeignKeyField(Hoa, null=True, on_delete="SET NULL")
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    account_number = CharField(default="")
    email = CharField(default="")  # the login's e-mail at the time (schema version 3)
    ip = CharField(default="")
    detail = TextField(default="")

    class Meta:
        indexes = ((("hoa", "at"), False),)  # each HOA's log, newest first (schema version 2)

    @classmethod
    def record(cls, event, ip="", **fields):
        """The e-mail of the resident or accountant is kept as it is now: the log must show
        the address used then, not the one the login has later."""
        if "email" not in fields:
            fields["email"] = cls.email_of(fields.get("resident"), fields.get("accountant"))
        return cls.create(event=event, ip=ip or "", **fields)

    @staticmethod
    def email_of(resident, accountant):
        if isinstance(resident, Resident):
            return resident.email
        if isinstance(accountant, Accountant):
            return accountant.email
        if accountant is not None:
            return (Accountant.select(Accountant.email).where(Accountant.id == accountant)
                    .scalar() or "")
        return ""


class Setting(BaseModel):
    """Server-wide key/value settings, among them the schema version."""
    key = CharField(primary_key=True)
    value = TextField(default="")


# --- trust: mail that could not be sent yet ---------------------------------------------------

class OutgoingMail(BaseModel):
    """A letter on its way: the worker sends it (mailqueue.py); deleted when it goes out at
    the first attempt, kept without its text when it needed retries."""
    to = CharField()
    subject = CharField()
    text = TextField()
    html = TextField(default="")
    created_at = DateTimeField(default=now)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField(default=now, index=True)
    sent_at = DateTimeField(null=True)


MODELS = [Hoa, Account, Resident, Accountant, AccountantHoa, Notice, Charge, MonthBalance,
          Payment, Meter, Reading, ReminderSent, ImportLog, AuditEvent, Setting, OutgoingMail,
          PendingUpload, PendingFile, ImportSlot, ImportJob]


# --- small date helpers shared by every area -------------------------------------------------

def month_start(day):
    return day.replace(day=1)


def last_day_of_month(day):
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def add_months(period, months):
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


PERIOD_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_period(text):
    """'2026-03' -> date(2026, 3, 1); None when it is not a month written so."""
    found = PERIOD_TEXT.fullmatch(text) if isinstance(text, str) else None
    try:
        return date(int(found[1]), int(found[2]), 1) if found else None
    except ValueError:
        return None

