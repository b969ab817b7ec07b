"""The lock-out attack against Domkom under gunicorn (4 workers, deploy/gunicorn.conf.py).

    python bench/attack_lockout.py [--storage redis|memory]

Serves the demo accounts with an activated resident of 100002, behind DOMKOM_PROXY_COUNT so that
X-Forwarded-For stands for the visitor's address, and with the counters in a throw-away
redis-server (or in each worker's memory). Then, as a stranger: 48 wrong passwords for 100002
from one address, then the owner's right password from another; 20 wrong registration codes for
100003, then the owner's code from their own address; wrong passwords for 100002 from 400
addresses (how many reach the password check in a day); 50 requests to the operator from one
address (how many letters leave). Prints each answer's status counts, the time and the workers'
memory, and whether gunicorn warned about in-process counters.
"""
import argparse
import collections
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import demo  # noqa: E402  (the checkout is put on the path just above)
from app import create_app  # noqa: E402
from migrate import create_tables  # noqa: E402
from models import Account, Resident, db, now  # noqa: E402
from passwords import hash_password  # noqa: E402
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OUTCOME = re.compile(r'data-outcome="([a-z_]+)"')
PASSWORD = "owner-pass-2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Visitor:
    """One browser at one address: its cookies, a fresh CSRF token for each form."""

    def __init__(self, base, address):
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path, data=None):
        """(status, page); a redirect that was followed shows as its target's path."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, body,
                                         headers={"X-Forwarded-For": self.address})
        try:
            with self.opener.open(request, timeout=30) as response:
                landed = urllib.parse.urlsplit(response.geturl()).path
                status = response.status if landed == path else f"→{landed}"
                return status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def submit(self, form_path, post_path=None, **fields):
        _status, page = self.open(form_path)
        token = CSRF.search(page).group(1)
        return self.open(post_path or form_path, {"csrf_token": token, **fields})


def prepare(folder):
    app = create_app({"DATABASE": str(folder / "domkom.db"), "SECRET_KEY": "attack",
                      "MAIL_OUTBOX": str(folder / "outbox")})
    with app.app_context():
        create_tables()
        demo.load(echo=lambda *a: None, files=("accounts.csv",))
        Resident.create(account=Account.by_number("100002"), email="owner@example.ru",
                        password_hash=hash_password(PASSWORD), activated_at=now())
        code = Account.by_number("100003").registration_code
    db.close()
    return code


def start_redis(folder):
    port = free_port()
    process = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server",
                                "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def start_gunicorn(folder, storage):
    port = free_port()
    env = {**os.environ, "DOMKOM_DATABASE": str(folder / "domkom.db"),
           "DOMKOM_SECRET_KEY": "attack", "DOMKOM_MAIL_SERVER": "",
           "DOMKOM_MAIL_OUTBOX": str(folder / "outbox"), "DOMKOM_PROXY_COUNT": "1",
           "DOMKOM_BASE_URL": f"http://127.0.0.1:{port}",
           "DOMKOM_RATELIMIT_STORAGE_URI": storage,
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "4",
           "GUNICORN_ACCESSLOG": ""}
    log = open(folder / "gunicorn.log", "wb")
    process = subprocess.Popen([GUNICORN, "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/login", timeout=2).read()
            return process, base
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start:\n" + (folder / "gunicorn.log").read_text())


def workers_rss_mb(master):
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) // 1024)
    return sizes


def login(base, address, password):
    return Visitor(base, address).submit("/login", account="100002", password=password)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=["redis", "memory"], default="redis")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="domkom-attack-"))
    code = prepare(folder)
    redis_process, storage = start_redis(folder) if args.storage == "redis" else (None,
                                                                                  "memory://")
    gunicorn, base = start_gunicorn(folder, storage)
    started = time.time()
    try:
        print(f"gunicorn, 4 workers, counters in {storage}")
        answers = collections.Counter(login(base, "198.51.100.1", "wrong") for _ in range(48))
        owner = login(base, "203.0.113.2", PASSWORD)
        print(f"48 wrong passwords for 100002 from one address: {dict(answers)}; "
              f"then the owner's password from another address: {owner}")

        stranger = Visitor(base, "198.51.100.3")
        answers = collections.Counter(
            stranger.submit("/register", account="100003", email="x@example.ru", consent="y",
                            code=f"{900000 + i}")[0] for i in range(20))
        _status, page = Visitor(base, "203.0.113.4").submit(
            "/register", account="100003", email="owner@example.ru", consent="y", code=code)
        outcome = OUTCOME.search(page)
        print(f"20 wrong codes for 100003 from one address: {dict(answers)}; then the owner's "
              f"code from their address: {outcome.group(1) if outcome else '?'}")

        answers = collections.Counter(login(base, f"10.{i // 250}.{i % 250}.7", "wrong")
                                      for i in range(400) for _ in range(2))
        print(f"800 wrong passwords for 100002 from 400 addresses: {dict(answers)} "
              f"(401 = reached the password check)")

        before = len(list((folder / "outbox").glob("*.eml")))
        writer = Visitor(base, "198.51.100.5")
        answers = collections.Counter(writer.open("/register/operator", {
            "csrf_token": CSRF.search(writer.open("/register")[1]).group(1),
            "account": "100001", "email": "me@example.ru", "phone": "+7 900 000-00-00",
            "text": "test"})[0] for _ in range(50))
        sent = len(list((folder / "outbox").glob("*.eml"))) - before
        print(f"50 operator requests from one address: {dict(answers)}; letters sent: {sent}")
        print(f"time {time.time() - started:.1f} s; workers' memory (MB): "
              f"{workers_rss_mb(gunicorn.pid)}")
        warned = "Throttling counters are in each worker's memory" in \
            (folder / "gunicorn.log").read_text()
        print(f"gunicorn warned about in-process counters: {warned}")
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        if redis_process:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
