"""Mail through the real worker: 10,000 letters to a local SMTP server, and a stalled one.

    python bench/bench_mail.py [--database PATH_OR_URL] [--letters 10000] [--registrations 30]

Everything runs on 127.0.0.1: gunicorn (2 workers, as bench/run.py starts it), the worker
(`flask --app app worker`, its own queue file) and an aiosmtpd server in this process that
counts every letter it receives by its address, so a letter lost or sent twice shows.

1. Throughput: 10,000 letters are written and queued as fast as this process can; the time
   from the first one queued to the last one received gives letters a second. Meanwhile a
   second process asks for /login every 50 ms: its p50/p99 before and during the sending.
2. A stalled server (accepts, never answers): registration POSTs through gunicorn with no
   worker running (no mail at all, before and after), and with a worker hung on the server;
   the ratio of the two p50s. Then the server recovers, a worker starts again, and every
   registration's letter must arrive, once.
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from servers import free_port, start_gunicorn  # noqa: E402
from visitor import Browser, csrf_token  # noqa: E402

TARGET_RATE = 50  # letters a second
TARGET_RATIO = 1.5  # stalled / no mail, registration p50 (the noise of a shared machine)
PROBE_PAGE = "/login"
WORKERS = 4  # the worker's --workers: jobs at a time
BATCH = 100  # letters written in one transaction
STALL_TIMEOUT = 30  # MAIL_TIMEOUT of the worker that meets the stalled server


class Collector:
    """An aiosmtpd server counting the letters it receives, by address and by subject."""

    def __init__(self, port):
        self.port, self.received, self.lock = port, [], threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((tuple(envelope.rcpt_tos), time.monotonic()))
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def count(self):
        with self.lock:
            return len(self.received)

    def addresses(self):
        with self.lock:
            return [to for tos, _ in self.received for to in tos]


class Stalled:
    """Accepts connections and never says a word, like a hung mail server."""

    def __init__(self, port):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.accepted = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                return

    def stop(self):
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for connection in self.accepted:
            connection.close()


class Worker:
    """`flask --app app worker` in a process of its own."""

    def __init__(self, env, log_path, smtp_port, workers=WORKERS, timeout=5):
        self.log_path = log_path
        env = dict(env, DOMKOM_MAIL_SERVER="127.0.0.1", DOMKOM_MAIL_PORT=str(smtp_port),
                   DOMKOM_MAIL_TIMEOUT=str(timeout))
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", str(workers),
             "--no-periodic"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: b"Huey consumer started" in Path(log_path).read_bytes(), 60,
                 "the worker's start")

    def cpu_seconds(self):
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # running attempts finish (MAIL_TIMEOUT)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Probe:
    """A process asking for a page every 50 ms and printing each answer's time in ms."""

    def __init__(self, port):
        self.process = subprocess.Popen([sys.executable, __file__, "--probe", str(port)],
                                        stdout=subprocess.PIPE, text=True)

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=30)
        lines = out.split()
        return dict(percentiles([float(line) for line in lines if line != "failed"]),
                    failed=lines.count("failed"))


def probe(port):
    """The probe process's loop (--probe PORT), until SIGINT."""
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        started = time.perf_counter()
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", PROBE_PAGE)
            response = conn.getresponse()
            response.read()
            conn.close()
            ok = response.status == 200
        except OSError:
            ok = False
        took = time.perf_counter() - started
        print(f"{took * 1000:.2f}" if ok else "failed", flush=True)
        time.sleep(max(0.05 - took, 0))


def percentiles(times):
    if not times:
        return {"n": 0, "p50": 0.0, "p99": 0.0}
    ordered = sorted(times)
    return {"n": len(ordered), "p50": statistics.median(ordered),
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]}


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not there in {timeout} s")


def prepare(database, registrations):
    """The schema and one HOA with an account for each registration; the app to queue from."""
    from app import create_app
    from migrate import create_tables
    from models import Account, Hoa, OutgoingMail, db
    app = create_app({"DATABASE": database, "SECRET_KEY": "bench-secret",
                      "QUEUE_URL": os.environ["DOMKOM_QUEUE_URL"], "QUEUE_IMMEDIATE": False})
    with app.app_context():
        create_tables()
        OutgoingMail.delete().execute()
        if not Hoa.select().where(Hoa.prefixes == "77").exists():
            with db.atomic():
                hoa = Hoa.create(name="ТСЖ «Почта»", prefixes="77", registration_check="code")
                Account.insert_many([{"number": f"77{i:05d}", "hoa": hoa.id,
                                      "registration_code": f"K{i:05d}"}
                                     for i in range(2 * registrations)]).execute()
    return app


def queue_letters(app, count, batch=BATCH):
    """count letters written and queued as a mailing does it (mail.compose() in a transaction,
    mailqueue.post() after the commit), `batch` letters a transaction; returns the seconds."""
    import mailqueue
    from models import OutgoingMail, db
    started = time.monotonic()
    with app.app_context():
        for first in range(0, count, batch):
            with db.atomic():
                letters = [OutgoingMail.create(to=f"letter{i}@example.ru", subject=f"Letter {i}",
                                               text=f"Letter number {i}.\n", html="")
                           for i in range(first, min(first + batch, count))]
            for letter in letters:
                mailqueue.post(letter)
    return time.monotonic() - started


def register(port, number, email):
    """One registration through gunicorn; the POST's time in ms."""
    browser = Browser(port)
    _, _, html = browser.get("/register")
    form = {"csrf_token": csrf_token(html.decode()), "account": number, "email": email,
            "name": "", "code": f"K{int(number[2:]):05d}", "consent": "y"}
    started = time.perf_counter()
    status, _, body = browser.request("POST", "/register", form)
    took = (time.perf_counter() - started) * 1000
    if status != 200 or b'data-outcome="registered"' not in body:
        raise RuntimeError(f"registration of {number} answered {status}")
    return took


def registrations(port, numbers):
    return [register(port, number, f"reg{number}@example.ru") for number in numbers]


def waiting_letters(app):
    from models import OutgoingMail
    with app.app_context():
        return list(OutgoingMail.select().where(OutgoingMail.sent_at.is_null()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a SQLite file or a PostgreSQL URL (default: a "
                        "fresh file in a temporary folder)")
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--registrations", type=int, default=30)
    parser.add_argument("--batch", type=int, default=BATCH, help="letters a transaction")
    parser.add_argument("--only-throughput", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        return probe(args.probe)
    workdir = Path(tempfile.mkdtemp(prefix="domkom-bench-mail-"))
    database = args.database or str(workdir / "domkom.db")
    env = dict(os.environ, DOMKOM_DATABASE=database, DOMKOM_SECRET_KEY="bench-secret",
               DOMKOM_QUEUE_URL=str(workdir / "queue.db"), DOMKOM_QUEUE_IMMEDIATE="false",
               DOMKOM_MAIL_OUTBOX=str(workdir / "outbox"), DOMKOM_BASE_URL="http://127.0.0.1")
    os.environ.update(env)  # gunicorn and the worker share the queue file
    app = prepare(database, args.registrations)
    port = free_port()
    server = start_gunicorn(database, port, workdir, DOMKOM_QUEUE_URL=env["DOMKOM_QUEUE_URL"])
    started = []
    try:
        throughput(app, env, workdir, port, args.letters, args.batch, started)
        if not args.only_throughput:
            stalled(app, env, workdir, port, args.registrations, started)
    finally:
        for thing in reversed(started):
            thing.stop()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def throughput(app, env, workdir, port, letters, batch, started):
    smtp = Collector(free_port())
    smtp.start()
    started.append(smtp)
    worker = Worker(env, workdir / "worker-1.log", smtp.port)
    started.append(worker)
    for _ in range(10):  # both gunicorn workers have drawn the page once
        Browser(port).get(PROBE_PAGE)
    calm = Probe(port)
    time.sleep(10)
    before = calm.stop()
    busy = Probe(port)
    first = time.monotonic()
    queued_s = queue_letters(app, letters, batch)
    wait_for(lambda: smtp.count() >= letters, 1800, f"{letters:,} letters")
    done = smtp.received[letters - 1][1]
    took = done - first
    during = busy.stop()
    cpu = worker.cpu_seconds()
    early = sum(1 for _, moment in smtp.received if moment <= first + queued_s)
    time.sleep(2)  # room for a duplicate to show up
    addresses = smtp.addresses()
    rate = letters / took
    print(f"{letters:,} letters, worker with {WORKERS} threads, one SMTP connection a letter: "
          f"queued in {queued_s:.1f} s, all received {took:.1f} s after the first was queued: "
          f"{rate:.0f} letters/s" + (" ✓" if rate >= TARGET_RATE else " ✗")
          + f" (≥ {TARGET_RATE}/s)")
    print(f"  {early / queued_s:.0f} letters/s while this process was queueing them, "
          f"{(letters - early) / max(done - first - queued_s, 1e-9):.0f}/s after; the worker used "
          f"{cpu:.0f} CPU s, {cpu / letters * 1000:.1f} ms a letter")
    print(f"  received {len(addresses):,}, different {len(set(addresses)):,}, lost "
          f"{letters - len(set(addresses)):,}, twice {len(addresses) - len(set(addresses)):,}")
    print(f"  {PROBE_PAGE} every 50 ms from another process: p50 {before['p50']:.1f} ms, p99 {before['p99']:.1f} ms "
          f"before ({before['n']} requests); p50 {during['p50']:.1f} ms, p99 "
          f"{during['p99']:.1f} ms while sending ({during['n']} requests, "
          f"{during['failed']} failed)")
    worker.stop()
    started.remove(worker)
    smtp.stop()
    started.remove(smtp)


def stalled(app, env, workdir, port, count, started):
    """No worker, then a worker hung on a stalled server, then none again (the mean of the two
    quiet blocks is the baseline, as the machine's speed drifts); then the server recovers."""
    numbers = [f"77{i:05d}" for i in range(2 * count)]
    half = count // 2
    quiet = registrations(port, numbers[:half])  # no worker: no mail goes anywhere
    smtp_port = free_port()
    hung = Stalled(smtp_port)
    # its attempts hang longer than the registrations take: each letter fails at most once
    # before the server recovers, so none waits for the 5-minute step of the retries
    worker = Worker(env, workdir / "worker-2.log", smtp_port, timeout=STALL_TIMEOUT)
    started.append(worker)
    wait_for(lambda: len(hung.accepted) >= WORKERS, 30, "the worker's connections")
    busy = registrations(port, numbers[count:])
    held = len(hung.accepted)
    worker.stop()  # its running attempts time out and count as failed
    started.remove(worker)
    quiet += registrations(port, numbers[half:count])
    quiet_p50, busy_p50 = statistics.median(quiet), statistics.median(busy)
    share = busy_p50 / quiet_p50
    print(f"registration POST p50: {quiet_p50:.1f} ms with no mail at all (no worker), "
          f"{busy_p50:.1f} ms with the worker hung on a stalled SMTP server "
          f"({held} connections held): {share:.2f} ×"
          + (" ✓" if share <= TARGET_RATIO else " ✗") + f" (≤ {TARGET_RATIO} ×); "
          f"{count} registrations each")
    recovered = time.monotonic()
    hung.stop()
    smtp = Collector(smtp_port)
    smtp.start()
    started.append(smtp)
    started.append(Worker(env, workdir / "worker-3.log", smtp_port))
    expected = {f"reg{number}@example.ru" for number in numbers}
    wait_for(lambda: set(smtp.addresses()) >= expected, 120, "every registration's letter")
    took = time.monotonic() - recovered
    time.sleep(8)  # past the retry floor: room for a duplicate to show up
    addresses = smtp.addresses()
    twice = len(addresses) - len(set(addresses))
    left = len(waiting_letters(app))
    print(f"  after the server recovered (and a new worker started): "
          f"{len(set(addresses) & expected)} of {len(expected)} letters arrived within "
          f"{took:.1f} s, lost {len(expected - set(addresses))}, twice {twice}, still waiting "
          f"{left}" + (" ✓" if not twice and not left else " ✗"))


if __name__ == "__main__":
    main()
