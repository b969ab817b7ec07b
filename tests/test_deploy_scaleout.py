"""README's "When one machine is not enough", run on loopback: two app servers behind one nginx,
sharing one PostgreSQL and one Redis (throttling counters and the job queue), with one worker.
`make test-deploy` runs it; `make test` skips it."""
import os
import re
import signal
import time

import pytest

from conftest import LINK, make_app
from deploystack import (DOMAIN, AppServer, Nginx, Postgres, Redis, Visitor, app_environment,
                         free_port, start_unit, stop)
from factories import make_resident
from database import close_all_connections
from test_deploy_site import letters, load_people, log_in

pytestmark = pytest.mark.skipif(os.environ.get("DOMKOM_TEST_DEPLOY") != "1",
                                reason="the deployment test: make test-deploy")

LOGIN_LIMIT = 3  # failed logins per account and address in 15 minutes, for the test


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaleout")
    postgres, redis = Postgres(), Redis(folder)
    processes = []
    try:
        app = make_app(folder, DATABASE=postgres.url, BASE_URL=f"https://{DOMAIN}")
        app.hoa_id = load_people(app)
        with app.app_context():
            make_resident("100002", "resident-pass-2", email="boris@example.ru")
        close_all_connections()
        shared = {"DOMKOM_RATELIMIT_STORAGE_URI": f"{redis.url}/0",
                  "DOMKOM_QUEUE_URL": f"{redis.url}/1", "GUNICORN_WORKERS": "1",
                  "DOMKOM_RATELIMIT_LOGIN_PER_ACCOUNT_AND_IP": f"{LOGIN_LIMIT} per 15 minutes"}
        # each server with a disk of its own, as on two machines
        envs = [app_environment(folder, postgres.url, free_port(), **shared,
                                DOMKOM_IMPORT_DIR=str(folder / f"imports-{n}")) for n in (1, 2)]
        app.servers = [AppServer(folder, env) for env in envs]
        processes += app.servers
        worker = start_unit("domkom-worker.service", envs[0], folder / "worker.log")
        app.nginx = Nginx([s.port for s in app.servers])
        app.outbox = folder / "outbox"
        yield app
        app.nginx.stop()
        stop(worker, signal.SIGINT)
    finally:
        for server in processes:
            server.stop()
        close_all_connections()
        redis.stop()
        postgres.stop()


def served(server, request, status=r"\d+", at_least=0):
    """How many times the server's access log has `request` ("GET /cabinet") answered; waiting
    a little for `at_least`, since a worker writes the line just after the answer."""
    line = rf'"{re.escape(request)} HTTP/1\.\d" {status} '
    deadline = time.monotonic() + 5
    while True:
        count = len(re.findall(line, server.access_log.read_text()))
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_a_residents_session_works_whichever_server_answers(farm):
    visitor = log_in(farm)
    for _ in range(6):
        page = visitor.get("/cabinet")
        assert page.status == 200 and "100001" in page.text
    assert all(served(s, "GET /cabinet", 200, at_least=2) >= 2 for s in farm.servers)


def test_throttling_counts_the_failures_seen_by_both_servers(farm):
    before = [served(s, "POST /login") for s in farm.servers]
    visitor = Visitor(farm.nginx)
    token = visitor.token("/login")  # then only the posts, which nginx takes turns handing out
    answers = [visitor.post_form("/login", {"account": "100002", "password": "wrong-pass-9"},
                                 token=token).status for _ in range(LOGIN_LIMIT + 1)]
    assert answers == [401] * LOGIN_LIMIT + [429]
    after = [served(s, "POST /login", at_least=b + 1) for s, b in zip(farm.servers, before)]
    assert all(a > b for a, b in zip(after, before))  # each server saw some of them


def test_a_mailed_link_goes_out_through_the_shared_queue(farm):
    before = len(letters(farm.outbox))
    assert Visitor(farm.nginx).post_form("/forgot", {"account": "100001"}).status == 200
    deadline = time.monotonic() + 30
    while len(letters(farm.outbox)) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    text = letters(farm.outbox)[-1].get_body(preferencelist=("plain",)).get_content()
    assert any(u.startswith(f"https://{DOMAIN}/reset/") for u in LINK.findall(text))


def test_one_server_stopped_midway_the_other_keeps_serving(farm):
    visitor = log_in(farm)
    first, second = farm.servers
    before = [served(s, "GET /cabinet", 200) for s in farm.servers]
    answers = []
    for i in range(12):
        if i == 4:
            first.stop()  # its last lines are written once it has stopped
        answers.append(visitor.get("/cabinet", timeout=10).status)
    assert answers == [200] * 12
    by_first = served(first, "GET /cabinet", 200) - before[0]
    assert 0 < by_first <= 4
    by_second = 12 - by_first
    assert served(second, "GET /cabinet", 200, at_least=before[1] + by_second) \
        == before[1] + by_second
