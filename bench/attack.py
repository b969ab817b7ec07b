"""Attacks from outside against gunicorn with 4 workers on loopback, reporting what it sees.

    /work/main/.venv/bin/python bench/attack.py

The server runs with deploy/gunicorn.conf.py on a free port, on a temporary data folder with
the demo loaded. (a) Four clients upload XLSX bombs at once while a fifth times the landing
page; each worker's peak memory (VmHWM) is printed with the answers. (b) 48 wrong passwords
for account 100002 from 127.0.0.2, then the right one from 127.0.0.3.
"""
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import bombs  # noqa: E402
from demo import DEMO_ACCOUNTANT, DEMO_ACCOUNTANT_PASSWORD  # noqa: E402

VENV = Path(sys.executable).parent
OWNER_PASSWORD = "owner-pass-2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROBLEM = re.compile(r'<table[^>]*id="problems".*?<td[^>]*>(.*?)</td><td[^>]*>.*?</td>'
                     r'<td[^>]*>.*?</td><td[^>]*>(.*?)</td>', re.S)
ALERT = re.compile(r'<div class="alert[^"]*" role="alert">(.*?)</div>', re.S)


class Client:
    """A browser's worth of HTTP: cookies, the CSRF token, a chosen source address."""

    def __init__(self, port, source="127.0.0.1"):
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=180,
                                                source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{exc.__class__.__name__}: {exc}", time.monotonic() - started
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text, time.monotonic() - started

    def token(self, path):
        _status, text, _t = self.request("GET", path)
        found = CSRF.search(text or "")
        return found.group(1) if found else ""

    def post_form(self, path, fields, token_from=None):
        fields = dict(fields, csrf_token=self.token(token_from or path))
        return self.request("POST", path, urlencode(fields),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path, name, data):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"{self.token(path)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/"
                f"octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, body,
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid):
    """(VmRSS, VmHWM) in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+)", status, re.M))
    return int(values.get("VmRSS", 0)) // 1024, int(values.get("VmHWM", 0)) // 1024


def workers(master):
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def prepare(folder):
    env = dict(os.environ, DOMKOM_DATABASE=str(folder / "domkom.db"),
               DOMKOM_MAIL_OUTBOX=str(folder / "outbox"), DOMKOM_SECRET_KEY="attack-" + "x" * 32)
    flask = [str(VENV / "flask"), "--app", "app"]
    subprocess.run(flask + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", (
        "from app import create_app\nfrom models import Account, Resident, now\n"
        "with create_app().app_context():\n"
        "    r = Resident(account=Account.get(Account.number == '100002'), "
        "email='owner@example.ru', activated_at=now())\n"
        f"    r.set_password({OWNER_PASSWORD!r}); r.save()\n")], cwd=ROOT, env=env, check=True)
    return env


def start(env, port):
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="4",
               GUNICORN_ACCESSLOG="")
    server = subprocess.Popen([str(VENV / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(env["DOMKOM_DATABASE"] + ".log", "w"))
    for _ in range(200):
        time.sleep(0.1)
        try:
            if Client(port).request("GET", "/")[0] == 200 and len(workers(server.pid)) == 4:
                return server
        except OSError:
            pass
    server.terminate()
    raise SystemExit("gunicorn did not start; see " + env["DOMKOM_DATABASE"] + ".log")


def build_bombs():
    started = time.monotonic()
    files = {
        "inflated-2100MB.xlsx": bombs.inflated(2100),
        "xfd-column.xlsx": bombs.far_column(3000),
        "many-cells.xlsx": bombs.many_cells(),
        "far-row.xlsx": bombs.far_row(),
        "long-text.xlsx": bombs.long_text(60),
        "legit-40000-accounts.xlsx": bombs.legit(40000),
    }
    print(f"bombs built in {time.monotonic() - started:.0f} s: " + ", ".join(
        f"{name} {len(data) // 1024} KB" for name, data in files.items()))
    return files


def attack_uploads(port, server, files):
    print("\n(a) four accountants upload the bombs at once; a fifth client times the landing page")
    pids = workers(server.pid)
    print("workers idle: " + ", ".join(f"{pid}: RSS {memory(pid)[0]} MB, peak {memory(pid)[1]} MB"
                                      for pid in pids))
    idle = {pid: memory(pid)[1] for pid in pids}
    clients = []
    for _ in range(4):
        client = Client(port)
        status, _text, _t = client.post_form("/office/login", {
            "email": DEMO_ACCOUNTANT, "password": DEMO_ACCOUNTANT_PASSWORD})
        assert status == 302, status
        clients.append(client)
    answers, done, landing = [], threading.Event(), []

    def uploads(number, client):
        for name, data in files.items():
            status, text, seconds = client.upload("/office/1/import", name, data)
            found = PROBLEM.search(text or "")
            if status == 302:  # refused before reading: the message is on the next page
                found = ALERT.search(client.request("GET", "/office/1/import")[1] or "")
            said = (re.sub(r"\s+", " ", found.group(found.lastindex)).strip()[:110] if found
                    else "preview without errors" if status == 200 else (text or "")[:80])
            answers.append((number, name, status, seconds, said))

    def watch():
        while not done.is_set():
            status, _text, seconds = Client(port).request("GET", "/")
            landing.append((status, seconds))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=uploads, args=(n, c)) for n, c in enumerate(clients, 1)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    peaks = dict(idle)
    while any(thread.is_alive() for thread in threads):
        for pid in workers(server.pid):
            peaks[pid] = max(peaks.get(pid, 0), memory(pid)[1])
        time.sleep(0.2)
    done.set()
    watcher.join()
    print(f"all uploads answered in {time.monotonic() - started:.1f} s")
    for number, name, status, seconds, said in sorted(answers):
        print(f"  client {number}: {name:27} {status} in {seconds:5.1f} s: {said}")
    times = [seconds for status, seconds in landing]
    ok = sum(status == 200 for status, _s in landing)
    print(f"landing page meanwhile: {ok}/{len(landing)} answered 200, median "
          f"{statistics.median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms")
    now = workers(server.pid)
    print("worker peaks (VmHWM): " + ", ".join(
        f"{pid}: {peaks[pid]} MB (+{peaks[pid] - idle.get(pid, 0)})" for pid in sorted(peaks))
        + (f"; restarted workers: {sorted(set(now) - set(pids))}" if set(now) != set(pids)
           else "; no worker was restarted"))


def attack_lockout(port):
    print("\n(b) 48 wrong passwords for 100002 from 127.0.0.2, then the owner from 127.0.0.3")
    stranger, codes = Client(port, "127.0.0.2"), []
    for n in range(48):
        status, _text, _t = stranger.post_form("/login", {"account": "100002",
                                                          "password": f"guess-{n}"})
        codes.append(status)
    print("stranger's answers: " + ", ".join(f"{code}×{codes.count(code)}"
                                             for code in sorted(set(codes), key=str)))
    owner = Client(port, "127.0.0.3")
    status, _text, _t = owner.post_form("/login", {"account": "100002",
                                                   "password": OWNER_PASSWORD})
    cabinet = owner.request("GET", "/cabinet")[0] if status == 302 else None
    print(f"owner's login from another address: {status}"
          + (f", then /cabinet {cabinet}" if cabinet else "")
          + (" — the owner is in" if cabinet == 200 else " — the owner is locked out"))


def main():
    files = build_bombs()
    with tempfile.TemporaryDirectory(prefix="domkom-attack-") as folder:
        env = prepare(Path(folder))
        port = free_port()
        server = start(env, port)
        print(f"gunicorn {server.pid} on 127.0.0.1:{port}, workers {workers(server.pid)}")
        try:
            attack_uploads(port, server, files)
            attack_lockout(port)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
