"""The job queue: work that does not belong in a web request, done by `flask --app app worker`.

A view enqueues a job and returns; the worker, a second process, runs it. The queue is Huey's:
a SQLite file beside the database by default (`queue.db` in data/), Redis when QUEUE_URL is a
`redis://` address (several app servers share one queue). With QUEUE_IMMEDIATE a job runs at
once inside the caller, as the tests do. A job is written so that running it again does no
harm: Huey forgets a job its worker was killed in the middle of, so the work's own rows say
what is left to do (see mailqueue.py), and the worker's start-up steps hand that back to it.

    @jobs.task()                                # runs in the app's context, with the database
    def deliver_letter(letter_id): ...
    deliver_letter(letter.id)                   # enqueue and return

    @jobs.periodic(crontab(hour="10", minute="0"))
    def daily_reminders(): ...
"""
import functools
import logging
import os
import re

import click
from flask import Blueprint, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

import optional_drivers
from migrate import create_tables
from models import db

bp = Blueprint("jobs", __name__, cli_group=None)
log = logging.getLogger("domkom.jobs")

# Storage is chosen by init_app() from the app's config; until then jobs run in place.
# utc=False: periodic jobs follow the server's clock, as cron did.
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
huey = Huey("domkom", results=False, utc=False, immediate=True)
START_STEPS = []  # run by the worker before it takes jobs
_app = None  # the application the worker's jobs run in


def init_app(app):
    """Point the queue at the storage the config names and remember the app for the jobs."""
    global _app
    url = app.config["QUEUE_URL"] or default_queue_file(app.config["DATABASE"])
    if re.match(r"[a-z][a-z0-9+.-]+:", url) and not url.startswith(REDIS_SCHEMES):
        # «sqlite:/tmp/q.db» would otherwise become a folder «sqlite:» in the working directory
        raise ValueError(f"QUEUE_URL {url!r}: give a file path for a SQLite queue or a "
                         f"redis:// address")
    if url.startswith(REDIS_SCHEMES):
        optional_drivers.redis_for_huey()
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        os.makedirs(os.path.dirname(os.path.abspath(url)), exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": url}
    huey.immediate = bool(app.config["QUEUE_IMMEDIATE"])  # in-memory storage when immediate
    huey.storage = huey.create_storage()
    _app = app


def default_queue_file(database):
    """queue.db beside the SQLite database (data/ for PostgreSQL)."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data") \
        if "://" in database else os.path.dirname(os.path.abspath(database))
    return os.path.join(folder, "queue.db")


def in_app_context(fn):
    """Run fn inside the application's context: the caller's, or the worker's own app."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app.app_context():
            return fn(*args, **kwargs)
    return wrapper


def task(**options):
    """huey.task() for a function that needs the app (config, database, templates)."""
    return lambda fn: huey.task(**options)(in_app_context(fn))


def periodic(schedule, **options):
    """huey.periodic_task(): the worker enqueues it whenever `schedule` (a crontab) matches."""
    return lambda fn: huey.periodic_task(schedule, **options)(in_app_context(fn))


def at_start(fn):
    """Run fn (in the app's context) each time a worker starts, before it takes jobs."""
    START_STEPS.append(fn)
    return fn


@bp.cli.command("worker")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=4, show_default=True,
              help="Jobs run at the same time (threads: jobs mostly wait for the network).")
@click.option("--no-periodic", is_flag=True,
              help="Do not start the daily and nightly jobs (another worker does).")
def worker_command(workers, no_periodic):
    """Run the job queue's worker: mail, reminders, backups. Stop with Ctrl-C or SIGINT
    (running jobs finish first) or SIGTERM (at once; their work is handed back on restart)."""
    if huey.immediate:
        raise click.ClickException("QUEUE_IMMEDIATE is set: jobs run inside the requests")
    create_tables()  # safe to repeat: a worker started before `init-db` finds its tables
    for step in START_STEPS:
        step()
    db.close()  # from here on this thread only schedules; the jobs' threads connect themselves
    log.info("worker: %s jobs at a time, queue in %s", workers,
             huey.storage_kwargs.get("filename") or "Redis")
    consumer = huey.create_consumer(workers=workers, worker_type="thread",
                                    periodic=not no_periodic, initial_delay=0.1,
                                    backoff=1.15, max_delay=1.0, check_worker_health=True)
    consumer.run()
