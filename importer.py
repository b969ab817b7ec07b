"""Imported files between the preview and the confirmation, and the places for checking them.

The files themselves are read and checked by importbatch.py (`Batch`).
"""
import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager, nullcontext

from flask import current_app, has_request_context
from flask_babel import gettext as _
from huey import crontab

import jobs


@contextmanager
def slot():
    """True while this worker holds one of IMPORT_CONCURRENT places for checking a load, False
    when all are taken: a big file keeps a worker busy for seconds, and the other workers must
    stay free for the residents. The lock files live in the upload folder; a killed worker's
    lock goes with it."""
    folder = stash_folder()
    for number in range(current_app.config["IMPORT_CONCURRENT"]):
        lock = open(os.path.join(folder, f"slot-{number}.lock"), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        try:
            yield True
        finally:
            lock.close()  # closing releases the lock
        return
    yield False


def busy():
    return _("Other files are being checked right now. Please try again in a minute.")


# --- uploaded files waiting between the preview and the confirmation ------------------------

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
STASH_HOURS = 12


def stash_folder():
    """IMPORT_DIR, or 'imports' next to the SQLite file, or a folder in the system's temp."""
    database = current_app.config["DATABASE"]
    folder = current_app.config.get("IMPORT_DIR") or (
        os.path.join(tempfile.gettempdir(), "domkom-import") if "://" in database
        else os.path.join(os.path.dirname(os.path.abspath(database)), "imports"))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def stash(files, owner):
    """Keep uploaded files on the server; the random token is all the session holds.
    An accountant keeps IMPORT_PENDING_PER_ACCOUNTANT uploads at most: a new one drops the
    oldest, whose preview then asks to upload again."""
    folder = stash_folder()
    forget_old(folder)
    keep = current_app.config["IMPORT_PENDING_PER_ACCOUNTANT"] - 1
    for _time, _size, path in sorted(pending(folder, owner))[:-keep or None]:
        shutil.rmtree(path, ignore_errors=True)
    token = secrets.token_urlsafe(24)
    path = os.path.join(folder, token)
    os.mkdir(path, 0o700)
    for index, (name, data) in enumerate(files):
        with open(os.path.join(path, f"{index}.data"), "wb") as f:
            f.write(data)
    with open(os.path.join(path, "owner"), "w", encoding="utf-8") as f:
        f.write(str(owner))
    with open(os.path.join(path, "names.json"), "w", encoding="utf-8") as f:
        json.dump([name for name, _d in files], f)
    return token


def no_room(owner, files):
    """Why a new upload cannot wait for its confirmation, or None when it can: all the
    uploads waiting on the server together stay within IMPORT_PENDING_MAX_BYTES."""
    folder = stash_folder()
    forget_old(folder)
    keep = current_app.config["IMPORT_PENDING_PER_ACCOUNTANT"] - 1
    mine = sorted(pending(folder, owner))
    dropped = {path for _t, _s, path in mine[:-keep or None]}
    held = sum(size for _t, size, path in pending(folder) if path not in dropped)
    if held + sum(len(data) for _name, data in files) > current_app.config[
            "IMPORT_PENDING_MAX_BYTES"]:
        return _("The server holds too many uploads waiting for confirmation right now. "
                 "Try again in a few hours or ask the service operator.")
    return None


def pending(folder, owner=None):
    """(time, bytes, path) of the uploads waiting, all or one accountant's."""
    found = []
    for entry in os.scandir(folder):
        if not (TOKEN.fullmatch(entry.name) and entry.is_dir()):
            continue
        try:
            if owner is not None:
                with open(os.path.join(entry.path, "owner"), encoding="utf-8") as f:
                    if f.read() != str(owner):
                        continue
            sizes = [part.stat().st_size for part in os.scandir(entry.path)]
            found.append((entry.stat().st_mtime, sum(sizes), entry.path))
        except OSError:  # removed meanwhile, or left by an older version without an owner
            continue
    return found


def unstash(token):
    """The files kept under a token, or None when the token is unknown or expired."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    path = os.path.join(stash_folder(), token)
    try:
        with open(os.path.join(path, "names.json"), encoding="utf-8") as f:
            names = json.load(f)
        files = []
        for index, name in enumerate(names):
            with open(os.path.join(path, f"{index}.data"), "rb") as f:
                files.append((name, f.read()))
        return files
    except (OSError, ValueError):
        return None


def discard(token):
    if isinstance(token, str) and TOKEN.fullmatch(token):
        shutil.rmtree(os.path.join(stash_folder(), token), ignore_errors=True)


def forget_old(folder):
    """Uploads never confirmed are removed after STASH_HOURS."""
    limit = time.time() - STASH_HOURS * 3600
    for entry in os.scandir(folder):
        if TOKEN.fullmatch(entry.name) and entry.stat().st_mtime < limit:
            shutil.rmtree(entry.path, ignore_errors=True)


@jobs.periodic(crontab(minute="17"))
def forget_stale_uploads():
    """Hourly, so that uploads nobody confirmed go even when nobody uploads again."""
    forget_old(stash_folder())


def request_context():
    """Messages are translated per request; commands run inside a stand-in request."""
    return nullcontext() if has_request_context() else current_app.test_request_context()
