"""Loads on their way in, kept in the database so that every app server and the worker reach
them: the uploads waiting for confirmation with their files, the places for checking a load,
and the imports the worker is saving (importer.py, importjob.py)."""
from peewee import BlobField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models import Accountant, BaseModel, Hoa, now


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
