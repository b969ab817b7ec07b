"""A confirmed load is saved by the worker: the job, its row, and the worker's start-up step.

The confirmation creates an ImportJob row, enqueues save_import(id) and answers at once; the
office watches the job's page until it is done. The row, not the queue, says what is left to
do: the job checks the files again and saves them in one transaction that also marks the row
done and removes the upload. So a worker killed midway leaves nothing saved, and the next
worker, handed the job back at its start, saves everything exactly once.
"""
import json
import logging
import os
import socket
import time
from types import SimpleNamespace

from flask import current_app

import charge_letters
import importer
import jobs
from importbatch import MAX_PROBLEMS, Batch
from models import Hoa, db, now
from uploads import ImportJob

log = logging.getLogger("domkom.importer")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
GONE, BUSY, BROKEN, PROBLEMS = "gone", "busy", "broken", "problems"  # why a job failed
BUSY_DELAY = 30  # seconds before a job that found every place taken tries again


def start(hoa, upload, accountant, ip):
    """Queue the saving of a PendingUpload; returns its ImportJob."""
    job = ImportJob.create(hoa=hoa, accountant=accountant, token=upload.token, ip=ip or "")
    save_import(job.id)
    return ImportJob.get_by_id(job.id)


@jobs.task()
def save_import(job_id):
    """Check the upload again and save it all, or nothing; a job already done does nothing."""
    job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None or job.state in (DONE, FAILED):
        return
    attempt = claim(job)
    if attempt is None:  # another attempt holds it: come back when its lease ends
        wait = (ImportJob.get_by_id(job_id).lease_until - now()).total_seconds()
        save_import.schedule(args=(job_id,), delay=max(wait, 1))
        return
    with importer.slot(f"job-{job_id}") as free:
        if not free:
            if jobs.huey.immediate:  # nobody would run it later
                return finish(job_id, attempt, FAILED, error=BUSY)
            ImportJob.update(state=QUEUED, lease_until=now()).where(
                ImportJob.id == job_id).execute()
            save_import.schedule(args=(job_id,), delay=BUSY_DELAY)
            return
        try:
            with importer.request_context():  # the messages of a check are translated
                run(job, attempt)
        except Exception:
            log.exception("import job %s failed", job_id)
            finish(job_id, attempt, FAILED, error=BROKEN)


def claim(job):
    """Hold the job for this attempt; its number, or None when another attempt holds it."""
    moment = now()
    taken = (ImportJob.update(state=RUNNING, attempts=ImportJob.attempts + 1,
                              lease_until=moment + importer.lease(), holder=this_worker())
             .where(ImportJob.id == job.id, ImportJob.state.in_([QUEUED, RUNNING]),
                    (ImportJob.state == QUEUED) | (ImportJob.lease_until < moment))
             .execute())
    return ImportJob.get_by_id(job.id).attempts if taken else None


def run(job, attempt):
    files = importer.unstash(job.token)
    if files is None:
        return finish(job.id, attempt, FAILED, error=GONE)
    hoa = Hoa.get_by_id(job.hoa_id)
    batch = Batch(hoa, files)
    rows = sum(len(parsed.rows) for parsed in batch.files)
    ImportJob.update(rows_total=rows).where(ImportJob.id == job.id).execute()
    if not batch.ok:  # the data changed since the preview, e.g. another load
        with db.atomic():
            importer.discard(job.token)
            finish(job.id, attempt, FAILED, error=PROBLEMS, outcome=refusal(batch))
        return
    log.info("import job %s: saving %s rows", job.id, rows)
    with db.atomic():
        if not finish(job.id, attempt, DONE, rows_done=rows):
            return  # a later attempt took the job over; it saves it
        progress = Progress(job.id)
        totals = batch.save(job.accountant_id, job.ip, progress=progress)
        progress.flush()  # all written; the commit is still to come
        mailing = charge_letters.plan(hoa, totals, job=job.id)  # saved with the load, or not
        importer.discard(job.token)
        time.sleep(current_app.config["IMPORT_PAUSE_BEFORE_COMMIT"])  # tests kill it here
        ImportJob.update(outcome=json.dumps(totals, ensure_ascii=False)).where(
            ImportJob.id == job.id).execute()
    charge_letters.post(mailing)  # the residents' letters are a job of their own


class Progress:
    """Counts the rows written into the queue's storage, at most twice a second: the saving's
    transaction is not visible to the office's request until it commits, the queue's storage
    (data/queue.db beside the database, or Redis) is, from every app server."""
    EVERY = 0.5  # seconds

    def __init__(self, job_id):
        self.key, self.rows, self.last = progress_key(job_id), 0, 0.0

    def __call__(self, count):
        self.rows += count
        if time.monotonic() - self.last >= self.EVERY:
            self.flush()

    def flush(self):
        jobs.huey.put(self.key, self.rows)
        self.last = time.monotonic()


def progress_key(job_id):
    return f"import-saved-{job_id}"


def rows_saved(job):
    """How many of the job's rows are written so far (0 before the saving starts)."""
    if job.state != RUNNING:
        return 0
    return min(jobs.huey.get(progress_key(job.id), peek=True) or 0, job.rows_total)


def finish(job_id, attempt, state, error="", outcome=None, **fields):
    """Mark the job finished if this attempt still holds it; False when it does not."""
    return (ImportJob.update(state=state, error=error, finished_at=now(),
                             outcome=json.dumps(outcome or {}, ensure_ascii=False), **fields)
            .where(ImportJob.id == job_id, ImportJob.state == RUNNING,
                   ImportJob.attempts == attempt)
            .execute()) == 1


def refusal(batch):
    """What the problems page shows, as JSON: the files and the first problems."""
    return {"files": [[parsed.name, parsed.kind, len(parsed.rows)] for parsed in batch.files],
            "count": len(batch.problems),
            "problems": [[p.file, p.row, p.column, p.message]
                         for p in batch.problems[:MAX_PROBLEMS]]}


class Counted(list):
    """The first problems, whose len() is the number of all problems found, as a batch's is."""

    def __init__(self, items, count):
        super().__init__(items)
        self.count = count

    def __len__(self):
        return self.count


def refused_batch(job):
    """A stand-in for the checked Batch on the problems page, read back from the job's row."""
    outcome = json.loads(job.outcome or "{}")
    files = [SimpleNamespace(name=name, kind=kind, rows=range(rows))
             for name, kind, rows in outcome.get("files", [])]
    problems = [SimpleNamespace(file=f, row=r, column=c, message=m)
                for f, r, c, m in outcome.get("problems", [])]
    return SimpleNamespace(ok=False, files=files,
                           problems=Counted(problems, outcome.get("count", len(problems))))


def saved_files(job):
    return json.loads(job.outcome or "{}").get("files", [])


def this_worker():
    return f"{socket.gethostname()}:{os.getpid()}"


def gone(holder):
    """True when holder names a process of this machine that is no longer running."""
    host, _colon, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@jobs.at_start
def hand_back_unfinished():
    """Every import not finished gets a job. One a killed worker of this machine was running
    is taken up at once; one running elsewhere waits for its lease to end."""
    moment = now()
    for job in ImportJob.select().where(ImportJob.state == RUNNING):
        if gone(job.holder):
            ImportJob.update(lease_until=moment).where(ImportJob.id == job.id,
                                                       ImportJob.holder == job.holder).execute()
    for job in ImportJob.select().where(ImportJob.state.in_([QUEUED, RUNNING])):
        wait = (job.lease_until - moment).total_seconds() if job.state == RUNNING else 0
        save_import.schedule(args=(job.id,), delay=max(wait, 0))

