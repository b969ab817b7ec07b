"""What the letters about changes keep: the topics a resident turned off, and the letters
about a month's charges (letters.py, charge_letters.py)."""
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField

from models import BaseModel, Hoa, Resident, money, now


class LetterOptOut(BaseModel):
    """A topic of letters a resident does not want (letters.TOPICS); no row: the letters come."""
    resident = ForeignKeyField(Resident, backref="opt_outs", on_delete="CASCADE")
    topic = CharField()
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("resident", "topic"), True),)


class ChargeMailing(BaseModel):
    """The letters about one load of a month's charges: written in the load's transaction, so
    a load saved always has its letters coming; `finished_at` once every one is written."""
    hoa = ForeignKeyField(Hoa, on_delete="CASCADE")
    period = DateField()
    job = CharField(default="")  # the import job that loaded it, for the log
    created_at = DateTimeField(default=now)
    finished_at = DateTimeField(null=True, index=True)


class ChargeLetter(BaseModel):
    """One resident's letter of a mailing: at most one per resident and mailing, however
    often the mailing's job runs; the sum tells a later load whether anything changed."""
    resident = ForeignKeyField(Resident, on_delete="CASCADE")
    mailing = ForeignKeyField(ChargeMailing, on_delete="CASCADE")
    period = DateField()
    to_pay = money()
    corrected = BooleanField(default=False)
    created_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("resident", "mailing"), True), (("resident", "period"), False))
