"""Confirm a load of 1,000,000 charge rows as a job: the request answers at once, a worker
killed with SIGKILL midway leaves nothing saved, and the next worker saves every row once.

Run: `python bench/bench_import_job.py [ROWS] [--database postgresql://…]` (an empty database;
SQLite in a temporary folder without it). The office's pages are driven through Flask's
test client; the worker is `flask --app app worker` in a process of its own, as in production.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import SERVICES, rows, write_csv  # noqa: E402
from app import create_app  # noqa: E402
from migrate import create_tables  # noqa: E402
from models import Account, Accountant, AccountantHoa, Charge, Hoa, db  # noqa: E402
from uploads import ImportJob  # noqa: E402



def settings(folder, database=""):
    return {"DATABASE": database or str(folder / "domkom.db"), "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "QUEUE_IMMEDIATE": False,
            "QUEUE_URL": str(folder / "queue.db"), "IMPORT_MAX_CELLS": 20_000_000,
            "IMPORT_MAX_BYTES": 200 * 1024 * 1024, "MAX_CONTENT_LENGTH": 256 * 1024 * 1024,
            "BASE_URL": "http://localhost"}


def worker(folder, log_name, database=""):
    env = dict(os.environ, **{f"DOMKOM_{k}": json.dumps(v) if isinstance(v, bool) else str(v)
                              for k, v in settings(folder, database).items()
                              if k not in ("TESTING", "WTF_CSRF_ENABLED")})
    log = open(folder / log_name, "ab")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise SystemExit(f"{what}: not within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--database", default="", help="an empty PostgreSQL database's URL")
    args = parser.parse_args()
    count, database = args.rows, args.database
    data, accounts = rows(count)
    folder = Path(tempfile.mkdtemp(prefix="domkom-bench-job-"))
    write_csv(folder / "charges.csv", data)
    del data
    app = create_app(settings(folder, database))
    with app.app_context():
        create_tables()
        hoa = Hoa.create(name="ТСЖ «Проба»", prefixes="1")
        with db.atomic():
            for start in range(0, accounts, 500):
                Account.insert_many([{"number": str(1000001 + i), "hoa": hoa.id,
                                      "address": "ул. Пробная, 1", "apartment": str(i + 1)}
                                     for i in range(start, min(start + 500, accounts))]).execute()
        accountant = Accountant(email="buh@proba.example", name="Бухгалтер")
        accountant.set_password("bench-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    db.close()
    client = app.test_client()
    client.post("/office/login", data={"email": "buh@proba.example", "password": "bench-pass-1"})
    size = (folder / "charges.csv").stat().st_size
    started = time.perf_counter()
    with open(folder / "charges.csv", "rb") as f:
        preview = client.post(f"/office/{hoa.id}/import", data={"files": [(f, "charges.csv")]},
                              content_type="multipart/form-data")
    previewed = time.perf_counter() - started
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    started = time.perf_counter()
    confirm = client.post(f"/office/{hoa.id}/import/confirm")
    answered = time.perf_counter() - started
    page = confirm.headers["Location"]
    assert re.search(r"/import/jobs/[0-9]+$", page), confirm.status_code

    def saved():
        with app.app_context():
            return Charge.select().count()

    def logged(name, text):
        return text.encode() in (folder / name).read_bytes()

    first = worker(folder, "worker-1.log", database)
    wait(lambda: logged("worker-1.log", f"saving {count} rows") or first.poll() is not None,
         1800, "the first check")
    assert first.poll() is None, (folder / "worker-1.log").read_text()[-2000:]
    checked = time.perf_counter() - started
    time.sleep(3)  # well inside the saving of a million rows
    first.send_signal(signal.SIGKILL)
    first.wait()
    after_kill = saved()
    killed_at = time.perf_counter()
    second = worker(folder, "worker-2.log", database)
    try:
        wait(lambda: client.get(page).status_code == 302, 3600, "the second worker")
        finished = time.perf_counter() - killed_at
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(timeout=60)
    with app.app_context():
        job = ImportJob.get()
        total, state, attempts = saved(), job.state, job.attempts
    print(f"database: {'PostgreSQL' if database else 'SQLite'}")
    print(f"charge rows: {count:,} ({len(SERVICES)} services × {accounts:,} accounts × 12 "
          f"months), CSV file: {size / 1e6:.1f} MB")
    print(f"preview in the request (upload, read, check, keep): {previewed:6.2f} s")
    print(f"confirm request answered in: {answered * 1000:6.1f} ms")
    print(f"first worker: checked again after {checked:.1f} s, killed 3 s into saving: "
          f"{after_kill:,} rows saved")
    print(f"second worker (takes over the killed one's job at its start): whole job "
          f"{finished:.1f} s; "
          f"{total:,} rows saved, job {state} after {attempts} attempts")
    if after_kill == count:
        print("(the first worker had committed before the kill: try more rows)")
    assert after_kill in (0, count) and total == count and state == "done"
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
