"""The receipts of a whole house for a month, drawn by the worker and kept in the database.

The office starts a printing; the job draws the house in slices of at most RECEIPTS_PAGES_PER_FILE
pages, RECEIPTS_PROCESSES at a time in render processes of its own (forked.pool), and keeps
every file in the database, in chunks, so that whichever app server the office's next request
reaches hands them out. A printing is made for one version of the month's data (its
fingerprint) and reused until that data changes. Huey forgets a job whose worker was killed, so
the printing's row says what is left: the worker's start hands unfinished printings back, and a
run draws only the slices not stored yet — a slice is stored whole or not at all, and the
printing is done only when all of them are. `flask --app app receipts` draws the same files.
"""
import hashlib
import logging
import math
import time
from concurrent.futures import as_completed
from datetime import timedelta

from flask import current_app
from huey import crontab
from peewee import Case, IntegrityError, fn

import forked
import jobs
from database import close_all_connections, open_database
from importruns import ImportRun
from ledger import accounts_with_data, house_meter_readings, month_statements
from meter_models import Meter, Reading
from models import Account, Charge, Hoa, ImportLog, MonthBalance, Payment, db, now
from receipt_files import HouseReceipts, HouseReceiptsFile, delete_files, save_file

log = logging.getLogger("domkom.receipts")

MIN_SLICE = 250  # fewer receipts are not worth a process of their own
UNFINISHED = ("queued", "running")
KEEP = timedelta(days=7)  # then a printing's files go: ~10 MB per 1,000 receipts
RECHECK = timedelta(seconds=10)  # a finished printing's data is read again at most this often
ITEMS_READ = 250  # accounts whose data is read at once: a few queries instead of 2–4 each


# --- what a month's receipts show --------------------------------------------------------------

def fingerprint(hoa, period):
    """A digest of everything the month's receipts show: the HOA's requisites, the month's
    charges, payments and balances, the accounts and meters (changed only by imports, which
    leave an ImportLog row, and by undoing one, which is counted) and the readings. Sums and
    highest ids, read by a few aggregate queries: a month loaded again gets new ids, an
    accepted or declined reading moves a count."""
    accounts = Account.select(Account.id).where(Account.hoa == hoa.id)
    meters = Meter.select(Meter.id).where(Meter.account.in_(accounts))
    declined = fn.SUM(Case(None, [(Reading.status == "declined", 1)], 0))
    queries = [
        Hoa.select().where(Hoa.id == hoa.id).tuples(),
        ImportLog.select(fn.MAX(ImportLog.id)).where(ImportLog.hoa == hoa.id).tuples(),
        ImportRun.select(fn.COUNT(ImportRun.undone_at)).where(ImportRun.hoa == hoa.id).tuples(),
        Account.select(fn.COUNT(Account.id), fn.MAX(Account.id))
        .where(Account.hoa == hoa.id).tuples(),
        Meter.select(fn.COUNT(Meter.id), fn.MAX(Meter.id), fn.SUM(Case(None, [(Meter.archived, 1)], 0)))
        .where(Meter.id.in_(meters)).tuples(),
        Reading.select(fn.COUNT(Reading.id), fn.MAX(Reading.id), declined, fn.SUM(Reading.t1))
        .where(Reading.meter.in_(meters), Reading.period <= period).tuples(),
    ]
    for model, fields in ((Charge, ("amount", "recalculation", "benefit", "volume", "tariff")),
                          (Payment, ("amount",)), (MonthBalance, ("opening_balance", "penalty"))):
        queries.append(model.select(fn.COUNT(model.id), fn.MAX(model.id),
                                    *[fn.SUM(getattr(model, name)) for name in fields])
                       .where(model.account.in_(accounts), model.period == period).tuples())
    rows = [tuple(str(value) for value in query.get()) for query in queries]
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:40]


def has_data(hoa, period):
    """True when some account of the HOA has charges, payments or a balance for the month."""
    return any(model.select().join(Account).where(Account.hoa == hoa.id, model.period == period)
               .exists() for model in (Charge, MonthBalance, Payment))


def house_items(hoa, period, accounts):
    """(statement, meters) of each account having data for the month, in the given order;
    read ITEMS_READ accounts at a time, in a few queries each time."""
    accounts = list(accounts)
    for start in range(0, len(accounts), ITEMS_READ):
        part = accounts[start:start + ITEMS_READ]
        for account in part:
            account.hoa = hoa  # one HOA object for the whole batch
        statements = month_statements(part, period)
        meters = house_meter_readings([s.account for s in statements if s is not None], period)
        for statement in statements:
            if statement is not None:
                yield statement, meters.get(statement.account.id, [])


def house_receipts(hoa, period, accounts=None, progress=None):
    """One PDF with the receipt of every account having data for the month, in address order."""
    accounts = accounts_with_data(hoa, period) if accounts is None else accounts
    # imported here: the web worker imports this module, and the PDF code (fpdf2, fontTools:
    # ~30 MB) is loaded only where receipts are drawn, in the render process or the command
    import receipt_pdf
    return receipt_pdf.render_batch(house_items(hoa, period, accounts), progress=progress)


# --- drawing the house on every core -----------------------------------------------------------

def plan(count, page_limit, processes):
    """The house's slices as (start, end) in address order: each fills a file of its own at
    most, and a house big enough has a slice for every process."""
    slices = max(math.ceil(count / page_limit), min(processes, math.ceil(count / MIN_SLICE)), 1)
    size = max(math.ceil(count / slices), 1)
    return [(start, min(start + size, count)) for start in range(0, count, size)]


class Progress:
    """Counts a printing's drawn receipts into its row, every EVERY receipts or second; that is
    also the heartbeat that tells other workers the printing is in hand."""
    EVERY = 25

    def __init__(self, job_id, attempt):
        self.job_id, self.attempt, self.pending, self.last = job_id, attempt, 0, time.monotonic()

    def __call__(self, count):
        self.pending += count
        if self.pending >= self.EVERY or time.monotonic() - self.last >= 1:
            self.flush()

    def flush(self):
        if self.pending:
            (HouseReceipts.update(done=HouseReceipts.done + self.pending, touched_at=now())
             .where(HouseReceipts.id == self.job_id, HouseReceipts.attempt == self.attempt)
             .execute())
        self.pending, self.last = 0, time.monotonic()


def draw_slice(url, hoa_id, period, account_ids, page_limit, job_id=None, attempt=None):
    """In a render process: one slice of the house as [(pdf bytes, receipts, pages)]."""
    open_database(url)
    try:
        hoa = Hoa.get_by_id(hoa_id)
        by_id = {account.id: account for account in
                 Account.select().where(Account.id.in_(account_ids))}
        progress = Progress(job_id, attempt) if job_id else None
        import receipt_pdf  # in the render process only, as in house_receipts()
        files = receipt_pdf.render_files(
            house_items(hoa, period, [by_id[i] for i in account_ids]), page_limit, progress)
        if progress:
            progress.flush()
        return files
    finally:
        close_all_connections()
        db.initialize(None)


def draw(hoa, period, accounts, on_slice, skip=(), job=None):
    """Draw every slice not in `skip` on RECEIPTS_PROCESSES render processes; on_slice(index,
    files) is called here, in this thread, as each one is ready (not necessarily in order)."""
    config = current_app.config
    page_limit, processes = config["RECEIPTS_PAGES_PER_FILE"], config["RECEIPTS_PROCESSES"]
    ids = [account.id for account in accounts]
    todo = [(n, part) for n, part in enumerate(plan(len(ids), page_limit, processes))
            if n not in skip]
    if not todo:
        return
    job_args = (job.id, job.attempt) if job else ()
    per_round = processes * config["RECEIPTS_SLICES_PER_PROCESS"]
    for first in range(0, len(todo), per_round):
        chunk = todo[first:first + per_round]
        executor = forked.pool(min(processes, len(chunk)))
        try:
            futures = {executor.submit(draw_slice, config["DATABASE"], hoa.id, period,
                                       ids[start:end], page_limit, *job_args): n
                       for n, (start, end) in chunk}
            for future in as_completed(futures):
                on_slice(futures[future], future.result())
        finally:
            executor.shutdown(wait=False, cancel_futures=True)


# --- the printing: a row per version of the month's data, and its job --------------------------

def lease():
    """How long a running printing's heartbeat may be silent before another worker takes it."""
    return timedelta(seconds=current_app.config["RECEIPTS_LEASE"])


def latest(hoa, period):
    """The month's printing, in whatever state, or None."""
    return (HouseReceipts.select().where(HouseReceipts.hoa == hoa.id, HouseReceipts.period == period)
            .order_by(HouseReceipts.id.desc()).first())


def start(hoa, period):
    """The month's printing, handed to the worker unless it is under way already.

    The request does not read the month's data: in a house of 100,000 accounts that takes
    seconds (bench/results.md). The job does, and hands back the files it has when the data
    is what they show, or draws them again in the same row when it is not.
    """
    job = latest(hoa, period)
    if job is None:
        try:
            with db.atomic():
                job = HouseReceipts.create(hoa=hoa.id, period=period, fingerprint="")
        except IntegrityError:  # a second click at the same moment made it
            return latest(hoa, period)
    elif job.state in UNFINISHED or not (
            HouseReceipts.update(state="queued", error="", stale=False)
            .where(HouseReceipts.id == job.id, HouseReceipts.state == job.state,
                   HouseReceipts.attempt == job.attempt).execute()):
        return job
    print_house(job.id)
    return HouseReceipts.get_by_id(job.id)


def looked_at(job):
    """A finished printing the office is looking at, with `stale` saying whether the month's
    data has changed since it was drawn. A house of up to RECEIPTS_RECHECK_INLINE accounts
    is read at once (a few hundred ms at 5,000); a bigger one by the worker, at most every
    RECHECK, and the page shows what it found last."""
    if job.state != "done":
        return job
    if job.receipts <= current_app.config["RECEIPTS_RECHECK_INLINE"]:
        job.stale = changed_since(job)
        return job
    if (job.checked_at is None or job.checked_at <= now() - RECHECK) and (
            HouseReceipts.update(checked_at=now())
            .where(HouseReceipts.id == job.id, HouseReceipts.checked_at == job.checked_at)
            .execute()):
        recheck(job.id)
        job = HouseReceipts.get_by_id(job.id)
    return job


@jobs.task()
def recheck(job_id):
    job = HouseReceipts.get_or_none(HouseReceipts.id == job_id)
    if job is not None and job.state == "done":
        HouseReceipts.update(stale=changed_since(job)).where(
            HouseReceipts.id == job.id, HouseReceipts.state == "done").execute()


def changed_since(job):
    """Whether the month's data is no longer what the printing's files were drawn from."""
    return fingerprint(job.hoa, job.period) != job.fingerprint


def claim(job_id):
    """The printing for this run, or None when it is finished or another run has it."""
    job = HouseReceipts.get_or_none(HouseReceipts.id == job_id)
    if job is None or job.state not in UNFINISHED or \
            (job.state == "running" and job.touched_at > now() - lease()):
        return None
    won = (HouseReceipts.update(state="running", attempt=job.attempt + 1, touched_at=now())
           .where(HouseReceipts.id == job.id, HouseReceipts.attempt == job.attempt,
                  HouseReceipts.state == job.state).execute())
    return HouseReceipts.get_by_id(job_id) if won else None


def mine(job):
    return HouseReceipts.select().where(HouseReceipts.id == job.id,
                                        HouseReceipts.attempt == job.attempt,
                                        HouseReceipts.state == "running")


class Lost(Exception):
    """Another run has taken the printing over."""


@jobs.task()
def print_house(job_id):
    """Draw the printing's slices not stored yet and mark it done; a run for a printing that
    is finished or in another run's hands does nothing."""
    job = claim(job_id)
    if job is None:
        return
    try:
        mark = fingerprint(job.hoa, job.period)
        if mark != job.fingerprint:  # new, or the month's data changed: drawn anew
            delete_files(job)
            HouseReceipts.update(fingerprint=mark, receipts=0, done=0) \
                .where(HouseReceipts.id == job.id).execute()
        elif job.done == job.receipts and job.receipts and stored_receipts(job) == job.receipts:
            finish(job, job.receipts)  # the same data: the files it has are the month's
            return
        accounts = accounts_with_data(job.hoa, job.period)
        if len(accounts) != job.receipts and job.receipts:  # the data changed in between
            delete_files(job)
        stored = {row.part for row in HouseReceiptsFile.select(HouseReceiptsFile.part)
                  .where(HouseReceiptsFile.job == job.id)}
        done = stored_receipts(job)
        HouseReceipts.update(receipts=len(accounts), done=done) \
            .where(HouseReceipts.id == job.id).execute()
        draw(job.hoa, job.period, accounts, lambda n, files: store(job, n, files), stored, job)
        finish(job, len(accounts))
    except Lost:
        log.info("receipts %s: taken over by another run", job_id)
    except Exception as error:  # drawing failed: the office sees it and may start again
        log.exception("receipts %s failed", job_id)
        HouseReceipts.update(state="failed", error=repr(error)[:1000]) \
            .where(HouseReceipts.id == job.id, HouseReceipts.attempt == job.attempt).execute()


def store(job, part, files):
    """One slice's files, whole or not at all."""
    with db.atomic():
        if not mine(job).exists():
            raise Lost()
        for number, (data, count, pages) in enumerate(files):
            save_file(job, part, number, data, count, pages)
        HouseReceipts.update(touched_at=now()).where(HouseReceipts.id == job.id).execute()


def stored_receipts(job):
    return HouseReceiptsFile.select(fn.SUM(HouseReceiptsFile.receipts)) \
        .where(HouseReceiptsFile.job == job.id).scalar() or 0


def finish(job, count):
    with db.atomic():
        drawn = stored_receipts(job)
        if drawn != count:
            raise RuntimeError(f"{drawn} receipts drawn of {count}")
        if not mine(job).exists():
            raise Lost()
        HouseReceipts.update(state="done", done=count, finished_at=now(), checked_at=now(),
                             stale=False) \
            .where(HouseReceipts.id == job.id).execute()
        for older in HouseReceipts.select().where(
                HouseReceipts.hoa == job.hoa_id, HouseReceipts.period == job.period,
                HouseReceipts.id != job.id, HouseReceipts.state.not_in(UNFINISHED)):
            delete_files(older)
            older.delete_instance()


@jobs.at_start
def hand_back_unfinished():
    """Printings a killed worker left get a run again: at once when nobody has them, after the
    lease when a heartbeat was heard lately (it may be another server's worker, still alive)."""
    moment, seconds = now(), lease().total_seconds()
    for job in HouseReceipts.select().where(HouseReceipts.state.in_(UNFINISHED)):
        silent = (moment - job.touched_at).total_seconds() if job.state == "running" else seconds
        print_house.schedule(args=(job.id,), delay=max(seconds - silent, 0) + 1)


@jobs.periodic(crontab(minute="*/10"))
def pick_up_stalled():
    """A printing whose worker went silent for a whole lease (and was not restarted)."""
    for job in HouseReceipts.select().where(HouseReceipts.state.in_(UNFINISHED),
                                            HouseReceipts.touched_at <= now() - lease()):
        print_house(job.id)


@jobs.periodic(crontab(hour="4", minute="15"))
def forget_old_printings():
    """Printings finished over KEEP ago, and failed ones as old: printing again is a click."""
    for job in HouseReceipts.select().where(HouseReceipts.state.not_in(UNFINISHED),
                                            HouseReceipts.touched_at <= now() - KEEP):
        delete_files(job)
        job.delete_instance()
