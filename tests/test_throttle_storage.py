"""The attempt counters of the documented deployment: Redis, shared by every gunicorn worker and
kept over a restart; a start with several workers on in-process counters says so in the log."""
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from helpers import ROOT, free_port
from testdb import make_app
from factories import make_resident
from test_concurrency import Visitor
import demo as demo_data
from models import db

GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WARNING = "Throttling counters are in each worker's memory"


@pytest.fixture
def redis_url(tmp_path):
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.time() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.time() > deadline:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def site(tmp_path):
    """The demo with an activated resident of 100001, and a way to start gunicorn on it with
    deploy/gunicorn.conf.py (3 workers); yields start(storage_uri) -> (base url, stop)."""
    app = make_app(tmp_path)
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        make_resident("100001", "right-pass-1")
    db.close()
    started = []

    def start(storage_uri=None):
        port = free_port()
        log = tmp_path / f"gunicorn-{len(started)}.log"
        env = {**os.environ, "DOMKOM_DATABASE": app.config["DATABASE"],
               "DOMKOM_SECRET_KEY": "storage-test-secret", "DOMKOM_MAIL_SERVER": "",
               "DOMKOM_MAIL_OUTBOX": app.config["MAIL_OUTBOX"],
               "DOMKOM_BASE_URL": f"http://127.0.0.1:{port}",
               "DOMKOM_RATELIMIT_LOGIN_PER_ACCOUNT_AND_IP": "3 per 15 minutes",
               "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "3"}
        env.pop("DOMKOM_RATELIMIT_STORAGE_URI", None)
        if storage_uri:
            env["DOMKOM_RATELIMIT_STORAGE_URI"] = storage_uri
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")], cwd=ROOT,
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    stop(process)
                    pytest.fail("gunicorn did not start:\n" + log.read_text())
                time.sleep(0.2)

        def read_log():
            return log.read_text()
        return base, (lambda: stop(process)), read_log

    def stop(process):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)

    yield start
    for process in started:
        stop(process)


def log_in(base, password):
    status, _url, _page = Visitor(base).submit("/login", account="100001", password=password)
    return status


def test_redis_counts_are_shared_by_the_workers_and_kept_over_a_restart(site, redis_url):
    base, stop, read_log = site(redis_url)
    assert WARNING not in read_log()
    # each attempt comes on a new connection, to whichever of the three workers takes it
    assert [log_in(base, "wrong-pass") for _ in range(3)] == [401, 401, 401]
    assert log_in(base, "right-pass-1") == 429
    assert redis.Redis.from_url(redis_url).keys("LIMITS:*")
    stop()
    base, stop, _read_log = site(redis_url)
    assert log_in(base, "right-pass-1") == 429  # the restart forgot nothing


def test_several_workers_on_in_process_counters_warn_in_the_log(site):
    _base, stop, read_log = site()
    stop()
    log = read_log()
    assert WARNING in log and "3 workers" in log and "DOMKOM_RATELIMIT_STORAGE_URI=redis://" in log
