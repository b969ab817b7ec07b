"""Domkom's data: HOAs, accounts, the people who log in, money and the office's records (the
meters and their readings are in meter_models.py)."""
import re
import secrets
from datetime import datetime
from decimal import Decimal

from peewee import (
    CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, Model,
    TextField,
)

from database import db
from periods import ReadingsWindow, today
from passwords import LoginMixin
from speedups import Prepared


def now():
    return datetime.now().replace(microsecond=0)


def choices(values):
    """Peewee's choices for a field holding one of `values`; where the data enters checks it."""
    return [(value, value) for value in values]


def money(value=0):
    return DecimalField(max_digits=14, decimal_places=2, default=value, auto_round=True)


class BaseModel(Model):
    class Meta:
        database = db


# --- HOAs and accounts -----------------------------------------------------------------------

REGISTRATION_CHECKS = ("auto", "code", "email", "none")
# Russia's zones, west to east: the HOA's one is where the times pages show are read
TIME_ZONES = ("Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg",
              "Asia/Omsk", "Asia/Novosibirsk", "Asia/Irkutsk", "Asia/Yakutsk",
              "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka")


class Hoa(ReadingsWindow, BaseModel):
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


ACCOUNT_DECORATION = re.compile(r"(л\s*/\s*с|лс|№|n|no)|[\s.\-]", re.IGNORECASE)


def normalize_account(text):
    """'л/с № 100 001' -> '100001'; anything else but digits is left in to be refused."""
    return ACCOUNT_DECORATION.sub("", text or "")


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
    run = IntegerField(null=True, index=True)  # its load's ImportRun (importruns.py), version 7


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
    headers = TextField(default="")  # JSON: List-Unsubscribe and the like (letters.py)
    created_at = DateTimeField(default=now)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField(default=now, index=True)
    sent_at = DateTimeField(null=True)
