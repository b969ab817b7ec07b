"""The house's receipts printed by the worker (house_receipts.py), kept in the database so that
every app server can hand them out: each printing, its files and their bytes, and the download
(one PDF, or a ZIP of them, streamed)."""
import io
import zipfile

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


# --- the files: each kept in rows of CHUNK_BYTES, handed out a piece at a time -----------------

CHUNK_BYTES = 1024 * 1024  # one row of a file's bytes


def save_file(job, part, number, data, receipts, pages):
    row = HouseReceiptsFile.create(job=job.id, part=part, number=number, receipts=receipts,
                                   pages=pages, size=len(data))
    for seq, offset in enumerate(range(0, len(data), CHUNK_BYTES)):
        HouseReceiptsChunk.create(file=row, seq=seq, data=data[offset:offset + CHUNK_BYTES])


def delete_files(job):
    files = HouseReceiptsFile.select(HouseReceiptsFile.id).where(HouseReceiptsFile.job == job.id)
    HouseReceiptsChunk.delete().where(HouseReceiptsChunk.file.in_(files)).execute()
    HouseReceiptsFile.delete().where(HouseReceiptsFile.job == job.id).execute()


def files_of(job):
    return list(HouseReceiptsFile.select().where(HouseReceiptsFile.job == job.id)
                .order_by(HouseReceiptsFile.part, HouseReceiptsFile.number))


def chunks(file):
    """A stored file's bytes, a chunk at a time."""
    query = (HouseReceiptsChunk.select(HouseReceiptsChunk.data)
             .where(HouseReceiptsChunk.file == file.id).order_by(HouseReceiptsChunk.seq))
    for row in query.iterator():
        yield bytes(row.data)


def stream(job):
    """(the download's bytes a piece at a time, its file name): one PDF, or a ZIP of them."""
    files = files_of(job)
    base = f"receipts-{job.hoa_id}-{job.period:%Y-%m}"
    if len(files) == 1:
        return chunks(files[0]), f"{base}.pdf"

    def zipped():
        sink = Sink()
        for _ in write_zip(sink, job.period, [chunks(file) for file in files]):
            data = sink.take()
            if data:
                yield data
    return zipped(), f"{base}.zip"


def file_name(period, number, count):
    return f"receipts-{period:%Y-%m}-{number:03d}-of-{count:03d}.pdf"


def write_zip(sink, period, files):
    """A ZIP of (chunks…) PDFs into `sink`, stored as they are: a PDF is compressed already.
    Yields after each chunk, so that a download streams instead of being built in memory."""
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for number, chunks in enumerate(files, 1):
            with archive.open(file_name(period, number, len(files)), "w",
                              force_zip64=True) as entry:
                for chunk in chunks:
                    entry.write(chunk)
                    yield
    yield


class Sink(io.RawIOBase):
    """A write-only stream whose bytes are taken away as they come (zipfile writes to it)."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def writable(self):
        return True

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def take(self):
        data, self.parts = b"".join(self.parts), []
        return data
