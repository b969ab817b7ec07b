"""A poll, its options and the accounts' answers; which polls are open on a day."""
from peewee import (
    JOIN, BooleanField, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
    IntegerField, TextField, fn,
)

from models import Account, Accountant, BaseModel, Hoa, Resident, choices, now

WEIGHTINGS = ("account", "area")  # one vote per account, or the account's m²
UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"
MIN_OPTIONS, MAX_OPTIONS = 2, 10


class Poll(BaseModel):
    """A question to the residents of one HOA, open from `opens_on` to `closes_on` (both
    days included) unless the office closes it earlier by hand."""
    hoa = ForeignKeyField(Hoa, backref="polls", on_delete="CASCADE")
    question = TextField()
    weighting = CharField(default="account", choices=choices(WEIGHTINGS))
    opens_on = DateField()
    closes_on = DateField(null=True)  # none: open until closed by hand
    closed_at = DateTimeField(null=True)  # closed by hand
    results_while_open = BooleanField(default=False)  # else residents see them once closed
    created_by = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("hoa", "opens_on"), False),)

    def state(self, day):
        if self.closed_at is not None or (self.closes_on is not None and day > self.closes_on):
            return CLOSED
        return UPCOMING if day < self.opens_on else OPEN

    def results_shown_to_residents(self, day):
        state = self.state(day)
        return state == CLOSED or (state == OPEN and self.results_while_open)

    def ordered_options(self):
        return list(self.options.order_by(PollOption.position, PollOption.id))

    def has_answers(self):
        return self.answers.exists()

    def answer_of(self, account):
        return PollAnswer.get_or_none(PollAnswer.poll == self, PollAnswer.account == account)

    @classmethod
    def open_on(cls, hoa, day):
        """The HOA's polls open on the day, the latest opened first."""
        return (cls.select().where(cls.hoa == hoa, cls.opens_on <= day, cls.closed_at.is_null(),
                                   cls.closes_on.is_null() | (cls.closes_on >= day))
                .order_by(cls.opens_on.desc(), cls.id.desc()))

    @classmethod
    def closed_by(cls, hoa, day):
        """The HOA's polls closed by the day, the latest first."""
        return (cls.select().where(cls.hoa == hoa, cls.closed_at.is_null(False)
                                   | (cls.closes_on < day))
                .order_by(cls.opens_on.desc(), cls.id.desc()))

    @classmethod
    def reached_by_residents(cls, hoa, day):
        """What residents of the HOA may open: its polls that have opened."""
        return cls.select().where(cls.hoa == hoa, cls.opens_on <= day)

    @classmethod
    def with_answer_counts(cls, hoa):
        """The HOA's polls, the latest first, each with `answer_count`."""
        return (cls.select(cls, fn.COUNT(PollAnswer.id).alias("answer_count"))
                .join(PollAnswer, JOIN.LEFT_OUTER).where(cls.hoa == hoa).group_by(cls.id)
                .order_by(cls.opens_on.desc(), cls.id.desc()))


class PollOption(BaseModel):
    poll = ForeignKeyField(Poll, backref="options", on_delete="CASCADE")
    position = IntegerField()
    text = CharField(max_length=200)


class PollAnswer(BaseModel):
    """An account's answer; the resident may change it while the poll is open. The account's
    area is kept as it was when answering, so that a closed poll's results never move when
    the accounts are loaded again."""
    poll = ForeignKeyField(Poll, backref="answers", on_delete="CASCADE")
    account = ForeignKeyField(Account, on_delete="CASCADE")
    option = ForeignKeyField(PollOption, backref="answers", on_delete="CASCADE")
    area = DecimalField(max_digits=10, decimal_places=2, auto_round=True)
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    answered_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("poll", "account"), True),)  # one answer per account

    @classmethod
    def save_for(cls, poll, option, resident):
        """Insert or replace the account's answer in one statement (two tabs pressing at once
        leave one answer); returns the option answered before, or None."""
        account = resident.account
        before = poll.answer_of(account)
        (cls.insert(poll=poll, account=account, option=option, area=account.area,
                    resident=resident, answered_at=now())
         .on_conflict(conflict_target=[cls.poll, cls.account],
                      update={cls.option: option.id, cls.area: account.area,
                              cls.resident: resident.id, cls.answered_at: now()})
         .execute())
        return before.option if before else None


POLL_MODELS = [Poll, PollOption, PollAnswer]
