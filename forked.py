"""Memory-hungry work (receipt PDFs) done in a short-lived child of a fork server.

fpdf2 brings fontTools and PIL (~20 MB of code) and a receipt's fonts, subsetting and output
take ~10 MB more; all of it would stay in the web worker for good. So each job runs in a child
process that exits when the job is done, and the worker keeps its size.

The child comes from Python's multiprocessing fork server, not from the worker: a process
started once (lazily, per worker, on the first job) that has the PDF code imported already
(PRELOAD) and forks a child per job. A child forked from the worker itself had to import
fpdf2 and fontTools every time: ~300 ms against ~50 ms for the same receipt drawn in the
worker. Measured by `make bench` (2 sync workers, 4 connections, SQLite, 1,000 accounts,
same run): receipt p50 RECEIPT_FIGURES. gunicorn's preload_app sharing fpdf2 with the
workers was not taken: every worker that draws a receipt touches those pages and its own
resident size (what the bench and the kernel's OOM killer count) grows by the ~30 MB anyway.

The fork server is per worker, not per machine: multiprocessing keeps it as a child of the
process that started it, so one started in gunicorn's master could not be used from the
forked workers. It stops by itself when its worker exits (it watches a pipe the worker holds),
so restarts and tests leave nothing behind.
"""
import gc
import multiprocessing

from flask import current_app

from models import open_database

# Imported once in the fork server, so that a child imports nothing: the PDF code with what a
# receipt imports on first use (fontTools' tables, segno), the modules the jobs' functions and
# arguments are pickled from, and gunicorn's, whose script is the web worker's main module,
# which multiprocessing runs again in every child (~100 ms of imports). Missing ones are skipped.
PRELOAD = ["receipt_pdf", "statements", "segno", "gzip", "xml.sax.saxutils", "encodings.mac_roman",
           "encodings.utf_16_be", "gunicorn.app.wsgiapp"] + [
    f"fontTools.ttLib.tables.{table}"
    for table in ("O_S_2f_2", "_c_v_t", "_f_p_g_m", "_g_a_s_p", "_h_h_e_a", "_l_o_c_a", "_p_r_e_p")]
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def run(function, *args, database=False, timeout=300):
    """function(*args) -> bytes, computed in a child process. `function` and `args` must
    pickle (module-level functions, model objects). With `database`, the child opens a
    connection of its own; otherwise any database use in it fails. In-process when
    DOMKOM_RENDER_IN_CHILD is off."""
    if not current_app.config.get("RENDER_IN_CHILD", True):
        return function(*args)
    url = current_app.config["DATABASE"] if database else None
    reader, writer = _context.Pipe(duplex=False)
    child = _context.Process(target=_child, args=(writer, function, args, url), daemon=True)
    try:
        child.start()
    finally:
        writer.close()
    with reader:
        if not reader.poll(timeout):
            child.kill()
            child.join()
            raise TimeoutError(f"rendering took longer than {timeout} s")
        try:
            # not waiting for the child to exit: the fork server reaps it
            return reader.recv_bytes()
        except EOFError:
            child.join()
            raise RuntimeError(f"rendering in a child process failed "
                               f"(status {child.exitcode})") from None


def _child(writer, function, args, url):
    """In the child: its own database connection if asked (the fork server has none)."""
    gc.disable()  # see gc.freeze() in the docs: a collection would walk, and so copy, every page
    if url is not None:
        open_database(url)
    writer.send_bytes(function(*args))
