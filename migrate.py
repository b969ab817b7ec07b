"""Schema versions: an older database is upgraded in place on start or by `flask migrate`.

The version is kept in the Setting table under "schema_version". Version 1 is the schema
of the first release, which had no version row. To change the schema: change the model, then
append a step to MIGRATIONS that brings an existing database to the same shape. A fresh
database made by create_tables() is stamped with the latest version directly.
"""
import logging

import click
from flask import Blueprint
from peewee import SqliteDatabase, fn
from playhouse.migrate import SchemaMigrator, migrate

from documents.models import Document
from importruns import IMPORT_RUN_MODELS
from letter_models import ChargeLetter, ChargeMailing, LetterOptOut
from meetings.models import MEETING_MODELS
from meter_models import Meter, Reading, ReminderSent
from models import (
    Account, Accountant, AccountantHoa, AuditEvent, Charge, Hoa, ImportLog, MonthBalance, Notice,
    OutgoingMail, Payment, Resident, Setting, db,
)
from polls.models import POLL_MODELS
from receipt_files import HOUSE_RECEIPTS_MODELS, HouseReceipts
from storedfiles import StoredFile
from tickets.models import TICKET_MODELS
from uploads import ImportJob, ImportSlot, PendingFile, PendingUpload

bp = Blueprint("migrate", __name__, cli_group=None)
log = logging.getLogger("domkom.migrate")
KEY = "schema_version"

# every table of the schema
MODELS = [Hoa, Account, Resident, Accountant, AccountantHoa, Notice, Charge, MonthBalance,
          Payment, Meter, Reading, ReminderSent, ImportLog, AuditEvent, Setting, OutgoingMail,
          *HOUSE_RECEIPTS_MODELS, PendingUpload, PendingFile, ImportSlot, ImportJob,
          StoredFile, *POLL_MODELS, Document, LetterOptOut, ChargeMailing, ChargeLetter,
          *TICKET_MODELS, *IMPORT_RUN_MODELS, *MEETING_MODELS]
DOCUMENTS_MODELS = [Document, LetterOptOut, ChargeMailing, ChargeLetter]


def to_2(migrator):
    """The mail queue, the reminders already sent, and an index for each HOA's security log."""
    db.create_tables([OutgoingMail, ReminderSent], safe=True)
    if not any(index.name == "auditevent_hoa_id_at" for index in db.get_indexes("auditevent")):
        migrate(migrator.add_index("auditevent", ("hoa_id", "at")))


def to_3_meters(migrator):
    """Each HOA's time zone, in which its pages show times (Moscow until set)."""
    if not any(column.name == "time_zone" for column in db.get_columns("hoa")):
        migrate(migrator.add_column("hoa", "time_zone", Hoa.time_zone))


def to_3_office(migrator):
    """The security log keeps the e-mail used at the time of each event; an accountant's
    failed office logins of earlier versions are tied to that accountant."""
    if "email" not in {column.name for column in db.get_columns("auditevent")}:
        migrate(migrator.add_column("auditevent", "email", AuditEvent.email))
    for accountant in Accountant.select(Accountant.id, Accountant.email):
        (AuditEvent.update(accountant=accountant.id, email=accountant.email)
         .where(AuditEvent.event == "office_login_failed", AuditEvent.accountant.is_null(),
                AuditEvent.email == "", fn.LOWER(AuditEvent.detail) == accountant.email)
         .execute())


def to_3(migrator):
    """Each HOA's time zone; the security log keeps the e-mail used at the time of each event."""
    to_3_meters(migrator)
    to_3_office(migrator)


def to_4(migrator):
    """The house's receipts printed by the worker: each printing, its files and their bytes."""
    db.create_tables(HOUSE_RECEIPTS_MODELS, safe=True)


def to_5(migrator):
    """Uploads waiting for confirmation, the places for checking a load and the imports being
    saved by the worker live in the database (files an older version left in IMPORT_DIR are
    not carried over: they were at most 12 hours old)."""
    db.create_tables([PendingUpload, PendingFile, ImportSlot, ImportJob,
          StoredFile], safe=True)


def to_6(migrator):
    """Files people upload to be kept (photos on requests, the HOA's documents)."""
    db.create_tables([StoredFile], safe=True)


def to_7(migrator):
    """A house printing remembers when the worker last read whether its month's data changed."""
    columns = {column.name for column in db.get_columns("housereceipts")}
    for name in ("checked_at", "stale"):
        if name not in columns:
            migrate(migrator.add_column("housereceipts", name, getattr(HouseReceipts, name)))


def to_8(migrator):
    """Polls of an HOA's residents: the questions, their options and the accounts' answers."""
    db.create_tables(POLL_MODELS, safe=True)


def to_9(migrator):
    """The HOA's documents, the letters residents turned off and the letters about a month's
    charges; the headers a letter carries (List-Unsubscribe)."""
    db.create_tables(DOCUMENTS_MODELS, safe=True)
    if "headers" not in {column.name for column in db.get_columns("outgoingmail")}:
        migrate(migrator.add_column("outgoingmail", "headers", OutgoingMail.headers))


def to_10(migrator):
    """Requests (заявки): the requests, their threads and attachments, each HOA's settings."""
    db.create_tables(TICKET_MODELS, safe=True)  # with their indexes, each only if missing


def to_11(migrator):
    """Each confirmed load as a whole, the months it replaced and the rows it deleted, so that
    the latest load of a month can be undone; each import log entry names its load."""
    db.create_tables(IMPORT_RUN_MODELS, safe=True)
    if not any(column.name == "run" for column in db.get_columns("importlog")):
        migrate(migrator.add_column("importlog", "run", ImportLog.run))
    if not any(index.name == "importlog_run" for index in db.get_indexes("importlog")):
        migrate(migrator.add_index("importlog", ("run",)))


def to_12(migrator):
    """General meetings: the meetings, their agenda, registers, votes, ballots and materials."""
    db.create_tables(MEETING_MODELS, safe=True)


# (version reached, step); in order, each run once
MIGRATIONS = [(2, to_2), (3, to_3), (4, to_4), (5, to_5), (6, to_6), (7, to_7), (8, to_8), (9, to_9),
              (10, to_10), (11, to_11), (12, to_12)]
LATEST = MIGRATIONS[-1][0] if MIGRATIONS else 1


def current_version():
    """None for an empty database, 1 for one made before versions were kept."""
    if not db.table_exists(Setting._meta.table_name):
        return 1 if db.get_tables() else None
    row = Setting.get_or_none(Setting.key == KEY)
    return int(row.value) if row else 1


def set_version(version):
    (Setting.insert(key=KEY, value=str(version))
     .on_conflict(conflict_target=[Setting.key], update={Setting.value: str(version)})
     .execute())


def stamp_latest():
    """For create_tables(): a database made from today's models has today's schema."""
    if Setting.get_or_none(Setting.key == KEY) is None:
        set_version(LATEST)


def create_tables():
    """Make the tables of a fresh database at the latest version; upgrade an older one."""
    with db.atomic():
        fresh = not db.get_tables()
        db.create_tables(MODELS, safe=True)
        if fresh:
            stamp_latest()
    upgrade()  # an older database given to init-db is upgraded, not half-created


def _lock():
    # several gunicorn workers start at once: one upgrades, the others wait and find it done
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return PostgresLock()


class PostgresLock:
    """A transaction holding PostgreSQL's advisory lock for schema upgrades until it ends."""

    def __enter__(self):
        self.transaction = db.atomic()
        self.transaction.__enter__()
        db.execute_sql("SELECT pg_advisory_xact_lock(4242001)")  # any number, always the same
        return self.transaction

    def __exit__(self, *exc):
        return self.transaction.__exit__(*exc)


def upgrade(echo=log.info):
    """Bring the database to LATEST; returns the list of versions applied."""
    applied = []
    with _lock():
        version = current_version()
        if version is None or version >= LATEST:
            return applied
        migrator = SchemaMigrator.from_database(db.obj)
        if not db.table_exists(Setting._meta.table_name):
            db.create_tables([Setting])
        for target, step in MIGRATIONS:
            if target > version:
                echo(f"Upgrading the database schema to version {target}: {step.__doc__}")
                step(migrator)
                set_version(target)
                applied.append(target)
    return applied


@bp.cli.command("migrate")
def migrate_command():
    """Upgrade the database schema in place (also done on every start)."""
    applied = upgrade(echo=click.echo)
    version = current_version()
    click.echo(f"Schema version {version}" + ("" if applied else " (nothing to do)"))
    if version is not None and version != LATEST:
        raise click.ClickException(f"expected version {LATEST}")
