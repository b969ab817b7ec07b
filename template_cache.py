"""Every template compiled once when gunicorn starts, for all its workers (deploy/gunicorn.conf.py).

Compiling a template (Jinja's lexer, parser and code generator, then Python's compile()) leaves
its garbage in the worker that did it: in make bench (2026-12-02, runs in turns) a worker that
compiled the pages it serves peaked 1-2 MB higher, and 3-4 MB higher before its first login,
than one that loaded them compiled. So before the workers
start, a child of gunicorn's master compiles every template into a folder of Jinja's
FileSystemBytecodeCache and exits; the master itself compiles nothing and stays as small as
before. The workers, and those started again after max_requests, load the compiled code from
there. The folder is new at each start and removed at the end, so compiled code never outlives
the templates and the extensions it was made with; a template changed on disk meanwhile is
compiled anew (Jinja compares its source with the one compiled)."""
import os
import tempfile
import traceback

from jinja2 import FileSystemBytecodeCache


def precompile(app):
    """Give `app`'s templates a new compiled folder and fill it in a child process; returns
    (the folder, how many templates were compiled)."""
    folder = tempfile.mkdtemp(prefix="domkom-compiled-")
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(folder)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compile, say how many, and leave without the parent's exit hooks
        os.close(read)
        os._exit(compile_all(app, write))
    os.close(write)
    with os.fdopen(read) as answer:
        compiled = int(answer.read() or 0)
    os.waitpid(pid, 0)
    return folder, compiled


def compile_all(app, answer_fd):
    """Compile every template the app can load into its bytecode cache; a template that does
    not compile is left to the worker, which reports it where it is used."""
    compiled = 0
    try:
        for name in app.jinja_env.list_templates():
            try:
                app.jinja_env.get_template(name)
                compiled += 1
            except Exception:  # noqa: BLE001 (one broken template must not stop the others)
                traceback.print_exc()
        os.write(answer_fd, str(compiled).encode())
        return 0
    except BaseException:
        traceback.print_exc()
        return 1
