"""The processes the bench starts and measures: gunicorn, its workers' memory, PostgreSQL."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from visitor import Browser

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
PY = sys.executable
GUNICORN = str(Path(PY).parent / "gunicorn")


# --- gunicorn ----------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database, port, workdir, **settings):
    env = dict(os.environ, **settings, DOMKOM_DATABASE=database, DOMKOM_SECRET_KEY="bench-secret",
               DOMKOM_RATELIMIT_ENABLED="false", DOMKOM_MAIL_OUTBOX=str(workdir / "outbox"),
               DOMKOM_BASE_URL=f"http://127.0.0.1:{port}", GUNICORN_ACCESSLOG="", GUNICORN_MAX_REQUESTS="0",
               GUNICORN_LOGLEVEL="warning")
    process = subprocess.Popen(
        [GUNICORN, "-c", "deploy/gunicorn.conf.py", "--workers", "2", "--bind",
         f"127.0.0.1:{port}", "bench.app_bench:app"], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            if Browser(port).get("/hello")[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def children(pid):
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def process_memory(pid):
    """(peak, current) resident memory in MB (VmHWM, VmRSS) of one process."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024)


def worker_memory(master):
    """(peak, current) resident memory in MB of each gunicorn worker."""
    return [process_memory(pid) for pid in children(master)]


def descendants(pid):
    return [p for child in children(pid) for p in [child, *descendants(child)]]


def helper_memory(master):
    """(peak, current) MB of the workers' long-lived helpers (the receipts' fork server and
    render process, multiprocessing's resource tracker): not the workers', but the machine's."""
    return [process_memory(pid) for worker in children(master) for pid in descendants(worker)]


# --- PostgreSQL ---------------------------------------------------------------------------

class Postgres:
    """BENCH_PG_URL's server, or a throw-away cluster started with .ci/pg (needs root)."""

    def __init__(self):
        self.url, self.folder = os.environ.get("BENCH_PG_URL", ""), None

    def __enter__(self):
        if not self.url:
            self.folder = tempfile.mkdtemp(prefix="domkom-bench-pg-")
            self.url = subprocess.run(
                [str(ROOT / ".ci" / "pg"), "start", self.folder, str(free_port())],
                env=dict(os.environ, PG_DURABLE="1"),
                capture_output=True, text=True, check=True).stdout.strip()
        return self

    def database(self, size):
        import psycopg
        name = f"domkom_bench_{size}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                   (name,)).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{name}"')
        return urlsplit(self.url)._replace(path="/" + name).geturl()

    def fresh_database(self, name):
        """An empty database of that name (dropped first when an earlier run left it)."""
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        return urlsplit(self.url)._replace(path="/" + name).geturl()

    def __exit__(self, *exc):
        if self.folder:
            subprocess.run([str(ROOT / ".ci" / "pg"), "stop", self.folder], check=False)
