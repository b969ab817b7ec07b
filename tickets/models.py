"""The tables of requests: a request (Ticket), its thread (TicketEvent), its attachments (kept
files, storedfiles.py) and each HOA's settings for them (categories, deadlines, address)."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField,
    fn,
)

from models import Account, Accountant, BaseModel, Hoa, Resident, choices, now
from periods import today
from storedfiles import StoredFile

STATUSES = ("new", "in_progress", "deferred", "done", "declined")
OPEN_STATUSES = ("new", "in_progress", "deferred")
STATUS_LABELS = {
    "new": _l("New"),
    "in_progress": _l("In progress"),
    "deferred": _l("Deferred"),
    "done": _l("Done"),
    "declined": _l("Declined"),
}
DEFAULT_CATEGORIES = ("сантехника", "электрика", "лифт", "уборка и территория", "отопление",
                      "домофон", "другое")
REOPEN_DAYS = 14  # after a request is done the resident may reopen it for this long
MAX_ATTACHMENTS = 5
PER_DAY = 10  # requests one resident may file in a day: bounds what a stolen login can store
# what a thread holds; notes and changes of the responsible person or the deadline are the
# office's own and never shown to the resident
EVENT_KINDS = ("message", "reply", "note", "status", "assigned", "rating")
INTERNAL_KINDS = ("note", "assigned")


class TicketSettings(BaseModel):
    """An HOA's settings for requests; an HOA without a row has the defaults."""
    hoa = ForeignKeyField(Hoa, unique=True, on_delete="CASCADE")
    categories = TextField(default="\n".join(DEFAULT_CATEGORIES))  # one a line
    urgent_days = IntegerField(default=1)
    normal_days = IntegerField(default=7)
    email = CharField(default="")  # where new and reopened requests are mailed; "" = the HOA's

    @classmethod
    def of(cls, hoa):
        """The HOA's settings (unsaved defaults when it has none)."""
        return cls.get_or_none(cls.hoa == hoa) or cls(hoa=hoa)

    @property
    def category_list(self):
        return [line.strip() for line in self.categories.splitlines() if line.strip()]

    def deadline_for(self, urgent, day=None):
        return (day or today()) + timedelta(days=self.urgent_days if urgent else self.normal_days)

    def office_address(self):
        return self.email or self.hoa.email


class Ticket(BaseModel):
    """A resident's request to the HOA: what is wrong, where, and what the office does."""
    hoa = ForeignKeyField(Hoa, backref="tickets", on_delete="CASCADE")
    account = ForeignKeyField(Account, backref="tickets", on_delete="CASCADE")
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")  # who filed it
    category = CharField()
    text = TextField()
    urgent = BooleanField(default=False)
    status = CharField(default="new", choices=choices(STATUSES))
    # the contacts as they were when the request was filed: the plumber calls this number
    contact_name = CharField(default="")
    contact_phone = CharField(default="")
    contact_email = CharField(default="")
    responsible = CharField(default="")  # free text: «сантехник Петров, +7…»
    deadline = DateField()  # a deferred request's is the day it is deferred to
    decline_reason = TextField(default="")
    search = TextField(default="")  # lower-case text, category, contacts, account: the search
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)
    done_at = DateTimeField(null=True)
    rating = IntegerField(null=True)
    rating_comment = TextField(default="")

    class Meta:
        indexes = (
            (("hoa", "created_at"), False),  # the office's list, newest first
            (("hoa", "status", "deadline"), False),  # its status and overdue filters, counts
            (("hoa", "category", "created_at"), False),
            (("hoa", "urgent", "created_at"), False),
            (("account", "created_at"), False),  # the resident's list
        )

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    def is_overdue(self, day=None):
        return self.is_open and self.deadline < (day or today())

    def can_reopen(self, moment=None):
        return self.status == "done" and self.done_at is not None \
            and (moment or now()) <= self.done_at + timedelta(days=REOPEN_DAYS)

    def can_rate(self):
        return self.status == "done" and self.rating is None

    def search_text(self):
        return " ".join([self.category, self.text, self.contact_name, self.contact_phone,
                         self.contact_email, self.account.number, self.account.apartment,
                         self.responsible]).lower()

    def thread(self, internal=False):
        """The events in order; the resident's view (`internal` false) leaves out the office's
        own notes and assignments."""
        query = TicketEvent.select().where(TicketEvent.ticket == self)
        if not internal:
            query = query.where(TicketEvent.kind.not_in(INTERNAL_KINDS))
        return query.order_by(TicketEvent.at, TicketEvent.id)

    def attachments(self):
        return (TicketAttachment.select(TicketAttachment, StoredFile.id, StoredFile.token,
                                        StoredFile.name, StoredFile.content_type,
                                        StoredFile.size)
                .join(StoredFile).where(TicketAttachment.ticket == self)
                .order_by(TicketAttachment.id))

    def attachment_by_token(self, token):
        return (TicketAttachment.select(TicketAttachment, StoredFile).join(StoredFile)
                .where(TicketAttachment.ticket == self, StoredFile.token == token).first())

    @classmethod
    def of_account(cls, account):
        return cls.select().where(cls.account == account).order_by(cls.created_at.desc(),
                                                                    cls.id.desc())

    @classmethod
    def filed_today(cls, resident, moment=None):
        start = (moment or now()).replace(hour=0, minute=0, second=0)
        return cls.select().where(cls.resident == resident.id, cls.created_at >= start).count()

    @classmethod
    def of_hoa(cls, hoa):
        return cls.select(cls, Account.number, Account.apartment, Account.address).join(Account) \
            .where(cls.hoa == hoa)

    @classmethod
    def is_open_condition(cls):
        return cls.status.in_(OPEN_STATUSES)

    @classmethod
    def overdue_condition(cls, day=None):
        return cls.status.in_(OPEN_STATUSES) & (cls.deadline < (day or today()))

    @classmethod
    def counts(cls, hoa, day=None):
        """{status: count, "open": …, "overdue": …, "all": …} of the HOA's requests."""
        by_status = dict(cls.select(cls.status, fn.COUNT(cls.id)).where(cls.hoa == hoa)
                         .group_by(cls.status).tuples())
        counts = {status: by_status.get(status, 0) for status in STATUSES}
        counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
        counts["all"] = sum(by_status.values())
        counts["overdue"] = cls.select().where(cls.hoa == hoa,
                                               cls.overdue_condition(day)).count()
        return counts


class TicketEvent(BaseModel):
    """One entry of a request's thread: a message, a reply, a note, a change of status."""
    ticket = ForeignKeyField(Ticket, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=now)
    kind = CharField(choices=choices(EVENT_KINDS))
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    text = TextField(default="")
    status = CharField(default="")  # the status a "status" event set
    until = DateField(null=True)  # the day a request is deferred to, or the new deadline

    class Meta:
        indexes = ((("ticket", "at"), False),)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def internal(self):
        return self.kind in INTERNAL_KINDS


class TicketAttachment(BaseModel):
    """A photo or PDF sent with a request; its bytes are a kept file, deleted with it."""
    ticket = ForeignKeyField(Ticket, backref="attachment_rows", on_delete="CASCADE")
    stored = ForeignKeyField(StoredFile, on_delete="CASCADE")


TICKET_MODELS = [TicketSettings, Ticket, TicketEvent, TicketAttachment]
