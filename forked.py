"""Memory-hungry work (receipt PDFs) done in a short-lived child process of the web worker.

fpdf2 brings fontTools and PIL (~20 MB of code) and a receipt's fonts, subsetting and output
take ~10 MB more; all of it would stay in the worker for good. A child forked for the job
loads and uses it, hands the bytes back through a pipe and exits, so the worker keeps its
size (bench/: below 80 MB with 100,000 accounts). The child must never close the database
connections it inherited — they are the parent's — so it keeps them referenced and leaves
with os._exit().
"""
import logging
import os
import select
import signal
import time

from flask import current_app

from models import db, open_database

log = logging.getLogger(__name__)
_inherited = []  # the parent's database objects, kept alive in the child until it exits


def run(function, *args, database=False, timeout=300):
    """function(*args) -> bytes, computed in a forked child. With `database`, the child opens a
    connection of its own; otherwise any database use in it fails. In-process where there is no
    fork() or when DOMKOM_RENDER_IN_CHILD is off."""
    if not hasattr(os, "fork") or not current_app.config.get("RENDER_IN_CHILD", True):
        return function(*args)
    url = current_app.config["DATABASE"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(read_end, write_end, function, args, url if database else None)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise TimeoutError(f"rendering took longer than {timeout} s")
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        raise RuntimeError(f"rendering in a child process failed (status {status})")
    return b"".join(chunks)


def _child(read_end, write_end, function, args, url):
    status = 1
    try:
        os.close(read_end)
        _inherited.append(db.obj)
        if url is None:
            db.initialize(None)  # "Cannot use uninitialized Proxy": no quiet use of the parent's
        else:
            open_database(url)
        view = memoryview(function(*args))
        while view:
            view = view[os.write(write_end, view):]
        status = 0
    except BaseException:
        log.exception("rendering in a child process failed")
    finally:
        os._exit(status)
