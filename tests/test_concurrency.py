"""Under gunicorn with three workers, concurrent registrations and logins lose nothing."""
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import ROOT, free_port
from testdb import make_app
from factories import registration_code
from models import Account, AuditEvent, Hoa, OutgoingMail, Resident, db, now
from passwords import hash_password

GUNICORN = Path(sys.executable).with_name("gunicorn")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEW_ACCOUNTS = [str(100001 + i) for i in range(40)]
RACERS = 8
LOGINS_EACH = 2
# eight people register it at the same moment, in an HOA that asks for the number only (with
# a code each of them would take over the registration of the one before)
RACED_ACCOUNT = "300100"
LOGIN_ACCOUNTS = [str(100101 + i) for i in range(20)]


class Visitor:
    """One browser: its own cookies, a CSRF token taken from each form page."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode()

    def submit(self, path, **fields):
        status, _url, page = self.open(path)
        assert status == 200, (path, status)
        token = CSRF.search(page).group(1)
        return self.open(path, {"csrf_token": token, **fields})


def prepare(tmp_path):
    app = make_app(tmp_path, "demo_full")
    with app.app_context():
        password_hash = hash_password("resident-pass-1")  # the app under TESTING: a cheap one
        hoa = Hoa.get(Hoa.prefixes == "10")
        for number in range(100041, 100121):
            Account.create(number=str(number), hoa=hoa, address="ул. Солнечная, 12",
                           apartment=str(number - 100000), registration_code=f"R{number}")
        open_hoa = Hoa.create(name="ТСЖ «Открытый»", prefixes="30", registration_check="none")
        Account.create(number=RACED_ACCOUNT, hoa=open_hoa, address="ул. Лесная, 1")
        for number in LOGIN_ACCOUNTS:
            Resident.create(account=Account.by_number(number), email=f"{number}@example.ru",
                            password_hash=password_hash, activated_at=now())
    db.close()
    return app


@pytest.fixture
def gunicorn(tmp_path):
    app = prepare(tmp_path)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ,
           "DOMKOM_DATABASE": app.config["DATABASE"],
           "DOMKOM_SECRET_KEY": "concurrency-test-secret",
           "DOMKOM_MAIL_SERVER": "",
           "DOMKOM_MAIL_OUTBOX": app.config["MAIL_OUTBOX"],
           "DOMKOM_BASE_URL": f"http://127.0.0.1:{port}",
           # the letters are written by the workers themselves (test_worker.py runs the queue)
           "DOMKOM_QUEUE_IMMEDIATE": "true",
           # throttling stays on, with room for this many requests from one address
           "DOMKOM_RATELIMIT_REGISTER_PER_IP": "1000 per hour",
           "DOMKOM_RATELIMIT_REGISTER_PER_ACCOUNT": "100 per hour",
           "DOMKOM_RATELIMIT_LOGIN_PER_IP": "1000 per hour"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", "3", "--worker-class", "sync", "--bind",
             f"127.0.0.1:{port}", "--chdir", str(ROOT), "--timeout", "60", "app:create_app()"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).read()
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("gunicorn did not start:\n" + log.read_text())
            time.sleep(0.2)
    yield app, base, log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def register(base, number, code):
    status, _url, page = Visitor(base).submit(
        "/register", account=number, email=f"new{number}@example.ru", name="Жилец",
        consent="y", code=code)
    outcome = re.search(r'data-outcome="([a-z_]+)"', page)
    return status, outcome.group(1) if outcome else None


def login(base, number):
    visitor = Visitor(base)
    status, url, _page = visitor.submit("/login", account=number, password="resident-pass-1")
    if status != 200 or not url.endswith("/cabinet"):
        return status, False
    status, _url, page = visitor.open("/cabinet")
    return status, status == 200 and number in page


def test_concurrent_registrations_and_logins(gunicorn):
    app, base, log = gunicorn
    codes = {n: registration_code(app, n) for n in NEW_ACCOUNTS + [RACED_ACCOUNT]}
    started = time.time()
    with ThreadPoolExecutor(max_workers=12) as pool:
        jobs = [pool.submit(register, base, n, codes[n]) for n in NEW_ACCOUNTS]
        jobs += [pool.submit(register, base, RACED_ACCOUNT, codes[RACED_ACCOUNT])
                 for _ in range(RACERS)]
        jobs += [pool.submit(login, base, n) for n in LOGIN_ACCOUNTS * LOGINS_EACH]
        results = [job.result(timeout=60) for job in jobs]
    elapsed = time.time() - started
    registrations = results[:len(NEW_ACCOUNTS)]
    raced = results[len(NEW_ACCOUNTS):len(NEW_ACCOUNTS) + RACERS]
    logins = results[len(NEW_ACCOUNTS) + RACERS:]
    statuses = [status for status, _ in results]
    assert 500 not in statuses and all(s in (200, 302) for s in statuses), statuses
    output = log.read_text()
    assert "database is locked" not in output and "Traceback" not in output, output[-3000:]

    assert [r for r in registrations if r != (200, "registered")] == []
    raced_outcomes = sorted(outcome for _status, outcome in raced)
    assert raced_outcomes.count("registered") == 1
    assert set(raced_outcomes) <= {"registered", "pending"}
    assert all(ok for _status, ok in logins)

    with app.app_context():
        new = Resident.select().join(Account).where(Account.number << NEW_ACCOUNTS).count()
        assert new == len(NEW_ACCOUNTS)
        raced_rows = Resident.select().join(Account).where(Account.number == RACED_ACCOUNT)
        assert raced_rows.count() == 1
        registered = len(NEW_ACCOUNTS) + 1
        assert AuditEvent.select().where(AuditEvent.event == "register").count() == registered
        assert AuditEvent.select().where(AuditEvent.event == "login").count() == len(logins)
        assert OutgoingMail.select().count() == 0
    mails = list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(mails) == registered
    requests = 2 * len(results) + len(logins)
    print(f"concurrency: {requests} requests in {elapsed:.1f} s, {registered} registrations "
          f"({RACERS} racing for one number), {len(logins)} logins, 0 errors")
