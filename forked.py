"""Memory-hungry work (receipt PDFs) done outside the web worker, by a render process of its own.

fpdf2 brings fontTools and PIL (~20 MB of code) and a receipt's fonts, subsetting and output
take ~10 MB more; all of it would stay in the web worker for good. So each worker hands its
jobs to one long-lived render process (a ProcessPoolExecutor of one, from the standard
library) that has the PDF code imported, and the worker keeps its size.

The render process is forked from Python's multiprocessing fork server, which imports
PRELOAD once: a new render process (the first, or one replacing a process after
JOBS_PER_PROCESS jobs, a crash or a timeout) costs a fork, not seconds of imports.

Measured by `make bench` (SQLite, 2 sync workers, wrk with 4 connections; the same receipts
against a second server with DOMKOM_RENDER_IN_CHILD=false in the same run), receipt p50:
- a child forked from the worker per receipt (before): ~6× the worker's own render; it
  imported fpdf2 and fontTools every time;
- a child of the fork server per receipt: 1.6× (1,000 accounts) — a fresh process pays for
  its first touch of every inherited page (~3,800 page faults, ~15 ms of CPU) and re-runs
  gunicorn's script as its main module;
- this render process, reused: 1.03× at 1,000 accounts, 0.98× at 100,000. Worker peak
  76–77 MB at both sizes (74 MB with a child per receipt, the pool's threads and modules
  are the difference; 85–91 MB for a worker drawing receipts itself). Per worker, on the
  machine, once it has drawn a receipt: fork server 76 MB, render process 85 MB (resident,
  sharing pages with the fork server), resource tracker 12 MB.

gunicorn's preload_app sharing fpdf2 with the workers was not taken: every worker that draws
a receipt touches those pages and its own resident size (what the bench and the kernel's OOM
killer count) grows by the ~30 MB anyway.

The pool is made per worker, lazily, on the first job: multiprocessing keeps the fork server
as a child of the process that started it, so one started in gunicorn's master could not be
used from the forked workers. Both go when their worker exits, even by SIGKILL (the render
process watches its parent), so restarts and tests leave nothing behind.
"""
import importlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import wait

from flask import current_app

from database import close_all_connections, db, open_database

# Imported once in the fork server, so that a render process imports nothing: the PDF code with what a
# receipt imports on first use (fontTools' tables, segno), the modules the jobs' functions and
# arguments are pickled from, and gunicorn's, whose script is the web worker's main module,
# which multiprocessing runs again in each new process (~100 ms of imports). Missing ones are skipped.
PRELOAD = ["receipt_pdf", "office_receipts", "house_receipts", "meetings.pdf", "segno", "gzip", "xml.sax.saxutils",
           "encodings.mac_roman", "encodings.utf_16_be", "gunicorn.app.wsgiapp"] + [
    f"fontTools.ttLib.tables.{table}"
    for table in ("O_S_2f_2", "_c_v_t", "_f_p_g_m", "_g_a_s_p", "_h_h_e_a", "_l_o_c_a", "_p_r_e_p")]
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)
JOBS_PER_PROCESS = 200  # then a fresh process: whatever a job left behind goes with the old one
_pool = None
_pool_pid = None  # the process that made _pool: a forked copy of it is no use
_pool_lock = threading.Lock()


def run(function, *args, database=False, timeout=300):
    """function(*args) -> bytes, computed in the render process. `function` and `args` must
    pickle (module-level functions, model objects); `function` may be given by its dotted name
    ("receipt_pdf.render_receipt"), and its module is then imported only where it runs, so
    the worker never loads the PDF code. With `database`, the job opens a connection of its
    own; otherwise any database use in it fails. In-process when DOMKOM_RENDER_IN_CHILD is
    off."""
    if not current_app.config.get("RENDER_IN_CHILD", True):
        return resolve(function)(*args)
    url = current_app.config["DATABASE"] if database else None
    start = time.monotonic()
    future = _renderer().submit(_job, function, args, url, timeout)
    try:
        return future.result(timeout + 10)  # the job's own timer ends it sooner
    except (BrokenProcessPool, TimeoutError):
        _discard()
        if time.monotonic() - start >= timeout:
            raise TimeoutError(f"rendering took longer than {timeout} s") from None
        raise RuntimeError("rendering in a child process failed: the process ended") from None
    except Exception as error:  # the job's own, raised in the render process
        raise RuntimeError(f"rendering in a child process failed: {error!r}") from error


def resolve(function):
    """A function, or the function a dotted name ("module.name") names."""
    if not isinstance(function, str):
        return function
    module, name = function.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _renderer():
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ProcessPoolExecutor(1, mp_context=_context, initializer=_watch_parent,
                                        max_tasks_per_child=JOBS_PER_PROCESS)
            _pool_pid = os.getpid()
        return _pool


def pool(processes):
    """A pool of `processes` render processes of the caller's own, from the same fork server,
    for work that uses several cores (a house's receipts); they go when the caller does.

    No max_tasks_per_child: on Python 3.11–3.13 a pool with a backlog stops for good once its
    processes have reached that limit (CPython gh-115634); a caller that wants fresh processes
    now and then uses a new pool for each round of work (house_receipts.draw)."""
    return ProcessPoolExecutor(processes, mp_context=_context, initializer=_watch_parent)


def _discard():
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _watch_parent():
    """In the render process: leave when the worker is gone (a SIGKILLed worker never says)."""
    def watch(sentinel):
        wait([sentinel])
        os._exit(1)
    threading.Thread(target=watch, args=(multiprocessing.parent_process().sentinel,),
                     daemon=True).start()


def _job(function, args, url, timeout):
    """In the render process: one job, ended by SIGALRM's default action (the process goes,
    not only the job) when it runs over `timeout`; a connection of its own if asked."""
    signal.setitimer(signal.ITIMER_REAL, timeout)
    function = resolve(function)
    try:
        if url is None:
            return function(*args)
        open_database(url)
        try:
            return function(*args)
        finally:
            close_all_connections()
            db.initialize(None)  # "Cannot use uninitialized Proxy": no quiet use by a later job
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
