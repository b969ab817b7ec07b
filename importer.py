"""Imported files between the preview and the confirmation, and the places for checking them.

The files themselves are read and checked by importbatch.py (`Batch`).
"""
import re
import secrets
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import gettext as _
from huey import crontab

import jobs
from models import db, now
from uploads import ImportSlot, PendingFile, PendingUpload

REQUEST_LEASE = 120  # seconds: longer than gunicorn's timeout kills a request checking a file


@contextmanager
def slot(holder=None):
    """True while this request or job holds one of IMPORT_CONCURRENT places for checking or
    saving a load, False when all are taken: a big file keeps a process busy for seconds to
    minutes, and the web workers must stay free for the residents. The places are rows in the
    database, so every app server and worker counts against the same limit; a holder killed
    midway lets its place go after IMPORT_LEASE seconds, a request after REQUEST_LEASE; a job
    handed to another worker takes its own place back."""
    seconds = current_app.config["IMPORT_LEASE"] if holder else REQUEST_LEASE
    holder = holder or secrets.token_urlsafe(12)
    number = take_slot(holder, seconds)
    if number is None:
        yield False
        return
    try:
        yield True
    finally:
        ImportSlot.update(holder="").where(ImportSlot.number == number,
                                           ImportSlot.holder == holder).execute()


def take_slot(holder, seconds):
    """The number of the place taken for holder, or None when every place is in use."""
    moment = now()
    for number in range(current_app.config["IMPORT_CONCURRENT"]):
        ImportSlot.insert(number=number, holder="", until=moment).on_conflict_ignore().execute()
        taken = (ImportSlot.update(holder=holder, until=moment + timedelta(seconds=seconds))
                 .where(ImportSlot.number == number,
                        (ImportSlot.holder == "") | (ImportSlot.holder == holder)
                        | (ImportSlot.until < moment)).execute())
        if taken:
            return number
    return None


def slot_free():
    """True when a place for checking a load is free right now (taking none)."""
    in_use = ImportSlot.select().where(
        ImportSlot.number < current_app.config["IMPORT_CONCURRENT"], ImportSlot.holder != "",
        ImportSlot.until >= now()).count()
    return in_use < current_app.config["IMPORT_CONCURRENT"]


def lease():
    return timedelta(seconds=current_app.config["IMPORT_LEASE"])


def busy():
    return _("Other files are being checked right now. Please try again in a minute.")


# --- uploaded files waiting between the preview and the confirmation ------------------------
# They are rows of the database (PendingUpload, PendingFile): a confirmation that reaches
# another app server, and the worker that saves it, find them there.

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
STASH_HOURS = 12


def stash(files, owner, hoa=None):
    """Keep uploaded files until they are confirmed; the random token is all the session holds.
    An accountant keeps IMPORT_PENDING_PER_ACCOUNTANT uploads at most: a new one drops the
    oldest, whose preview then asks to upload again."""
    forget_old()
    token = secrets.token_urlsafe(24)
    with db.atomic():
        for upload in dropped_by_new(owner):
            upload.delete_instance(recursive=True)
        upload = PendingUpload.create(token=token, owner=owner, hoa=hoa,
                                      size=sum(len(data) for _name, data in files))
        for position, (name, data) in enumerate(files):
            PendingFile.create(upload=upload, position=position, name=name, data=data)
    return token


def dropped_by_new(owner):
    """The accountant's uploads that a new one would push out, oldest first."""
    keep = current_app.config["IMPORT_PENDING_PER_ACCOUNTANT"] - 1
    mine = list(pending(owner))
    return mine[:-keep or None] if keep else mine


def no_room(owner, files):
    """Why a new upload cannot wait for its confirmation, or None when it can: all the
    uploads waiting together stay within IMPORT_PENDING_MAX_BYTES."""
    forget_old()
    dropped = {upload.id for upload in dropped_by_new(owner)}
    held = sum(upload.size for upload in pending() if upload.id not in dropped)
    if held + sum(len(data) for _name, data in files) > current_app.config[
            "IMPORT_PENDING_MAX_BYTES"]:
        return _("The server holds too many uploads waiting for confirmation right now. "
                 "Try again in a few hours or ask the service operator.")
    return None


def pending(owner=None):
    """The uploads waiting (without their bytes), all or one accountant's, oldest first."""
    query = PendingUpload.select().order_by(PendingUpload.created_at, PendingUpload.id)
    return query.where(PendingUpload.owner == owner) if owner is not None else query


def waiting(token):
    """The PendingUpload under a token, or None when the token is unknown or expired."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    return PendingUpload.get_or_none(PendingUpload.token == token,
                                     PendingUpload.created_at >= stale_before())


def unstash(token):
    """The files [(name, bytes)] kept under a token, or None when it is unknown or expired."""
    upload = waiting(token)
    if upload is None:
        return None
    return [(f.name, bytes(f.data)) for f in upload.files.order_by(PendingFile.position)]


def discard(token):
    if isinstance(token, str) and TOKEN.fullmatch(token):
        for upload in PendingUpload.select().where(PendingUpload.token == token):
            upload.delete_instance(recursive=True)


def stale_before():
    return now() - timedelta(hours=STASH_HOURS)


def forget_old():
    """Uploads never confirmed are removed after STASH_HOURS."""
    old = PendingUpload.select(PendingUpload.id).where(PendingUpload.created_at < stale_before())
    PendingFile.delete().where(PendingFile.upload.in_(old)).execute()
    PendingUpload.delete().where(PendingUpload.created_at < stale_before()).execute()


@jobs.periodic(crontab(minute="17"))
def forget_stale_uploads():
    """Hourly, so that uploads nobody confirmed go even when nobody uploads again."""
    forget_old()


def request_context():
    """Messages are translated per request; commands run inside a stand-in request."""
    return nullcontext() if has_request_context() else current_app.test_request_context()
