"""The house's receipts printed by the worker (house_receipts.py), kept in the database so that
every app server can hand them out: each printing, its files and their bytes."""
from peewee import (
    BigIntegerField, BlobField, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
    IntegerField, TextField,
)

from models import BaseModel, Hoa, choices, now

HOUSE_RECEIPTS_STATES = ("queued", "running", "done", "failed")


class HouseReceipts(BaseModel):
    """The printing of a month's receipts for a whole HOA: its progress and, once done, its
    files, drawn from the month's data as `fingerprint` says it was. Printing again redraws
    the same row when that data has changed, and hands back the same files when it has not."""
    hoa = ForeignKeyField(Hoa, on_delete="CASCADE")
    period = DateField()
    fingerprint = CharField()  # "" until the job has read the month's data
    state = CharField(default="queued", choices=choices(HOUSE_RECEIPTS_STATES))
    receipts = IntegerField(default=0)  # how many the month has
    done = IntegerField(default=0)  # how many are drawn so far
    attempt = IntegerField(default=0)  # each run claims the row anew
    error = TextField(default="")
    created_at = DateTimeField(default=now)
    touched_at = DateTimeField(default=now)  # the running job's heartbeat
    finished_at = DateTimeField(null=True)
    # whether the month's data still is what the files show, as last read (version 7)
    checked_at = DateTimeField(null=True)
    stale = BooleanField(default=False)

    class Meta:
        indexes = ((("hoa", "period", "fingerprint"), True),)


class HouseReceiptsFile(BaseModel):
    """One PDF of a printing, kept in the database so that every app server can hand it out;
    `part` is the slice of the house it was drawn from, `number` its place in that slice."""
    job = ForeignKeyField(HouseReceipts, backref="files", on_delete="CASCADE")
    part = IntegerField()
    number = IntegerField()
    receipts = IntegerField()
    pages = IntegerField()
    size = BigIntegerField()

    class Meta:
        indexes = ((("job", "part", "number"), True),)


class HouseReceiptsChunk(BaseModel):
    """A piece of a file's bytes: rows stay small however big the file."""
    file = ForeignKeyField(HouseReceiptsFile, backref="chunks", on_delete="CASCADE")
    seq = IntegerField()
    data = BlobField()

    class Meta:
        indexes = ((("file", "seq"), True),)


HOUSE_RECEIPTS_MODELS = [HouseReceipts, HouseReceiptsFile, HouseReceiptsChunk]
