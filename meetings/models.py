"""A general meeting's data: the meeting, its agenda, the register of owners, the votes, the
paper ballots and the materials."""
from fractions import Fraction

from peewee import (
    BooleanField, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
    IntegerField, TextField,
)

from models import Account, Accountant, BaseModel, Hoa, Resident, choices, now
from storedfiles import StoredFile

KINDS = ("owners", "members")  # ст. 44–48 ЖК / ст. 145–146 ЖК
FORMS = ("mixed", "absentee")  # очно-заочное / заочное
MAJORITIES = ("voted_half", "all_half", "all_two_thirds")
DECISIONS = ("for", "against", "abstain")
SOURCES = ("online", "paper")
NOTICE_DAYS = 10  # ст. 45 ч. 4: the notice comes at least ten days before


class Meeting(BaseModel):
    """A general meeting of owners or of the ТСЖ's members, held by the HOA's board."""
    hoa = ForeignKeyField(Hoa, backref="meetings", on_delete="CASCADE")
    title = CharField()
    kind = CharField(default="owners", choices=choices(KINDS))
    form = CharField(default="mixed", choices=choices(FORMS))
    initiator = CharField(default="")
    starts_on = DateField()  # the voting period, both days included
    ends_on = DateField()
    in_person_at = DateTimeField(null=True)  # the in-person part of an очно-заочное meeting
    in_person_place = CharField(default="")
    online_counts = BooleanField(default=False)  # ст. 47.1: an earlier meeting decided so
    notice_published_on = DateField(null=True)
    number = CharField(default="")  # the protocol's number
    storage_place = CharField(default="")  # where the protocol and the ballots are kept
    letters_sent_at = DateTimeField(null=True)
    # the ballots of a big register, printed by the worker for the register as it was then
    ballots_file = ForeignKeyField(StoredFile, null=True, on_delete="SET NULL")
    ballots_fingerprint = CharField(default="")
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("hoa", "starts_on"), False),)

    @property
    def published(self):
        return self.notice_published_on is not None

    def notice_too_late(self):
        """ст. 45 ч. 4: fewer than ten days between the notice and the start of voting."""
        return self.published and (self.starts_on - self.notice_published_on).days < NOTICE_DAYS

    def voting_open(self, day):
        return self.published and self.starts_on <= day <= self.ends_on

    def ordered_questions(self):
        return self.questions.order_by(Question.position, Question.id)

    def ordered_entries(self):
        return self.entries.order_by(RegisterEntry.sort_key, RegisterEntry.id)

    def delete_with_files(self):
        """The meeting with everything of it, its kept files too (they have no cascade)."""
        files = [m.file_id for m in self.materials] + [self.ballots_file_id]
        self.delete_instance(recursive=False)
        StoredFile.delete().where(StoredFile.id.in_([f for f in files if f])).execute()

    @classmethod
    def published_for(cls, hoa, day):
        """The HOA's published meetings whose voting has not ended, soonest first."""
        return (cls.select().where(cls.hoa == hoa, cls.notice_published_on.is_null(False),
                                   cls.ends_on >= day)
                .order_by(cls.starts_on, cls.id))


class Question(BaseModel):
    """One question of the agenda and the majority its legal basis asks for (ст. 46 ч. 1)."""
    meeting = ForeignKeyField(Meeting, backref="questions", on_delete="CASCADE")
    position = IntegerField(default=0)
    title = TextField()
    proposal = TextField(default="")  # what the ballot proposes to decide
    speaker = CharField(default="")  # who is heard on it, for the protocol
    majority = CharField(default="voted_half", choices=choices(MAJORITIES))


class RegisterEntry(BaseModel):
    """One owner of one premises in the meeting's register. The share is a fraction kept
    whole (numerator, denominator); `votes` is the owner's part of the premises' area,
    worked out for the whole premises at once so that its entries sum to its area."""
    meeting = ForeignKeyField(Meeting, backref="entries", on_delete="CASCADE")
    account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    owner = CharField()
    premises = CharField()  # the address with the flat: entries with the same one share it
    sort_key = CharField(default="", index=True)  # address order
    area = DecimalField(max_digits=10, decimal_places=2, auto_round=True)
    share_numerator = IntegerField(default=1)
    share_denominator = IntegerField(default=1)
    votes = DecimalField(max_digits=12, decimal_places=2, auto_round=True)
    non_residential = BooleanField(default=False)
    member = BooleanField(default=True)  # of the ТСЖ, for a meeting of its members
    ballot_number = IntegerField()
    counted_source = CharField(default="")  # the office's choice when online and paper differ

    class Meta:
        indexes = ((("meeting", "ballot_number"), True), (("meeting", "premises"), False))

    @property
    def share(self):
        return Fraction(self.share_numerator, self.share_denominator)

    @property
    def share_text(self):
        return str(self.share)


class Vote(BaseModel):
    """One entry's decision on one question, as given online or on its paper ballot;
    `decision` "" is a paper answer that counts for no option (none or several marked)."""
    entry = ForeignKeyField(RegisterEntry, backref="decisions", on_delete="CASCADE")
    question = ForeignKeyField(Question, backref="decisions", on_delete="CASCADE")
    source = CharField(choices=choices(SOURCES))
    decision = CharField(default="")
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("entry", "question", "source"), True),)


class PaperBallot(BaseModel):
    """A returned paper ballot, entered by the office under its number."""
    entry = ForeignKeyField(RegisterEntry, backref="ballots", unique=True, on_delete="CASCADE")
    spoilt = BooleanField(default=False)  # not counted at all (no signature, torn, …)
    accountant = ForeignKeyField(Accountant, null=True, on_delete="SET NULL")
    entered_at = DateTimeField(default=now)


class MeetingMaterial(BaseModel):
    """A PDF residents read before they vote: the estimate, the draft contract, a report."""
    meeting = ForeignKeyField(Meeting, backref="materials", on_delete="CASCADE")
    title = CharField()
    file = ForeignKeyField(StoredFile, on_delete="CASCADE")
    created_at = DateTimeField(default=now)

    def delete_with_file(self):
        stored = self.file
        self.delete_instance()
        stored.delete_instance()


MEETING_MODELS = [Meeting, Question, RegisterEntry, Vote, PaperBallot, MeetingMaterial]
