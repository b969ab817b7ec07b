"""The job queue through a real worker process: `flask --app app worker` with its own queue file
and the test's database, a mail server that hangs, and a worker killed in the middle of a job."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import demo as demo_data
import mailqueue
from helpers import ROOT, Outbox, ResidentActions, SmtpCollector, follow, free_port
from testdb import make_app
from models import OutgoingMail


class StalledSmtp:
    """Accepts connections on 127.0.0.1 and never says a word, like a hung mail server."""

    def __init__(self, port):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.accepted = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def stop(self):
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        self.listener.close()
        for connection in self.accepted:
            connection.close()


class Worker:
    """`flask --app app worker` in a process of its own, configured like the test's app."""

    def __init__(self, app, log_path, **settings):
        config = app.config
        env = dict(os.environ, DOMKOM_DATABASE=config["DATABASE"],
                   DOMKOM_QUEUE_URL=config["QUEUE_URL"], DOMKOM_SECRET_KEY=config["SECRET_KEY"],
                   DOMKOM_BASE_URL=config["BASE_URL"], DOMKOM_MAIL_OUTBOX=config["MAIL_OUTBOX"],
                   DOMKOM_MAIL_SERVER=config["MAIL_SERVER"],
                   DOMKOM_MAIL_PORT=str(config["MAIL_PORT"]))
        env.update({f"DOMKOM_{key}": str(value) for key, value in settings.items()})
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "2"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.stop()


def queue_app(tmp_path, **config):
    """The web side: enqueues into tmp_path/queue.db instead of running the jobs itself."""
    config.setdefault("QUEUE_URL", str(tmp_path / "queue.db"))
    app = make_app(tmp_path, QUEUE_IMMEDIATE=False, **config)
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
    return app


def wait_for(condition, timeout=30, what="the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} did not get there in {timeout} s")


def letters(app):
    with app.app_context():
        return list(OutgoingMail.select().order_by(OutgoingMail.id))


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of this test's own, as several app servers would share."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: listening(port), timeout=10, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_registration_letter_arrives_through_the_worker(tmp_path, workers, request, queue):
    config = {"QUEUE_URL": request.getfixturevalue("redis_url")} if queue == "redis" else {}
    app = queue_app(tmp_path, **config)
    outbox = Outbox(app.config["MAIL_OUTBOX"])
    client = app.test_client()
    r = ResidentActions(client, outbox).register(email="anna@example.ru")
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert outbox.messages() == [] and len(letters(app)) == 1  # waiting for the worker
    workers.append(Worker(app, tmp_path / "worker.log"))
    message = wait_for(lambda: outbox.messages() and outbox.last(), what="the letter")
    assert message["To"] == "anna@example.ru"
    password = outbox.password(message)
    assert follow(client, outbox.links(message)[0]).status_code == 200
    assert client.post("/login", data={"account": "100001", "password": password}) \
        .status_code == 302
    assert letters(app) == []  # went out at the first attempt: the row is gone
    assert len(outbox.messages()) == 1
    assert (tmp_path / "queue.db").exists() == (queue == "sqlite")


def test_hung_mail_server_does_not_hold_the_request_and_the_letter_comes_once(tmp_path,
                                                                              workers):
    port = free_port()
    stalled = StalledSmtp(port)
    app = queue_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=3)
    # the worker gives up on the hung server sooner and retries after a second, not five
    workers.append(Worker(app, tmp_path / "worker.log", MAIL_TIMEOUT=1, MAIL_RETRY_FLOOR=1))
    actions = ResidentActions(app.test_client(), None)
    started = time.monotonic()
    r = actions.register(email="anna@example.ru")
    elapsed = time.monotonic() - started
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert elapsed < 3, f"the registration waited {elapsed:.1f} s: as long as MAIL_TIMEOUT"
    # the worker's first attempt hangs until its MAIL_TIMEOUT, then the letter waits for a retry
    [letter] = wait_for(lambda: [m for m in letters(app) if m.attempts == 1], what="attempt 1")
    assert stalled.accepted and letter.sent_at is None and "timed out" in letter.last_error
    # now the mail server is known to fail: the next resident is told the letter may be late
    r = actions.register(account="100002", email="boris@example.ru")
    assert 'data-mail="delayed"' in r.get_data(as_text=True)
    stalled.stop()
    smtp = SmtpCollector(port)
    smtp.start()
    try:
        wait_for(lambda: len(smtp.messages) == 2, what="both letters")
        time.sleep(2)  # time for a duplicate to show up, if there were one: twice the floor
        assert sorted(m["To"] for m in smtp.messages) == ["anna@example.ru", "boris@example.ru"]
    finally:
        smtp.stop()
    anna = [m for m in letters(app) if m.to == "anna@example.ru"]
    assert [(m.attempts, m.sent_at is not None, m.text) for m in anna] == [(2, True, "")]


def test_worker_killed_mid_letter_the_letter_is_sent_once_by_the_next(tmp_path, workers):
    port = free_port()
    stalled = StalledSmtp(port)
    app = queue_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    # the first worker hangs on the mail server for a long time, and is killed meanwhile
    first = Worker(app, tmp_path / "worker-1.log", MAIL_TIMEOUT=60, MAIL_LEASE=3)
    workers.append(first)
    ResidentActions(app.test_client(), None).register(email="anna@example.ru")
    wait_for(lambda: stalled.accepted, what="the first worker's SMTP connection")
    first.kill()
    [letter] = letters(app)
    assert letter.attempts == 0 and letter.sent_at is None  # claimed, never sent
    stalled.stop()
    smtp = SmtpCollector(port)
    smtp.start()
    try:
        workers.append(Worker(app, tmp_path / "worker-2.log", MAIL_TIMEOUT=5, MAIL_LEASE=3))
        wait_for(lambda: smtp.messages, what="the letter")
        # a duplicate job for the same letter (e.g. from another worker's start) does nothing
        with app.app_context():
            mailqueue.deliver_letter(letter.id)
        time.sleep(2)  # the worker looks at its queue at least every second
        assert [m["To"] for m in smtp.messages] == ["anna@example.ru"]
    finally:
        smtp.stop()
    assert letters(app) == []


@pytest.mark.skipif(bool(os.environ.get("DOMKOM_TEST_DATABASE_URL")), reason="a SQLite file")
def test_worker_started_before_init_db_creates_the_tables(tmp_path, workers):
    app = make_app(tmp_path, QUEUE_IMMEDIATE=False, QUEUE_URL=str(tmp_path / "queue.db"))
    app.config["DATABASE"] = str(tmp_path / "new" / "domkom.db")  # nothing there yet
    (tmp_path / "new").mkdir()
    worker = Worker(app, tmp_path / "worker.log")
    workers.append(worker)
    wait_for(lambda: b"Huey consumer started" in (tmp_path / "worker.log").read_bytes(),
             what="the worker's start")
    assert worker.process.poll() is None
    assert (tmp_path / "new" / "domkom.db").exists()
