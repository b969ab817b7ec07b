"""README's "When one machine is not enough", run on loopback: two app servers behind one nginx,
sharing one PostgreSQL and one Redis (throttling counters and the job queue), with one worker.
`make test-deploy` runs it; `make test` skips it."""
import io
import os
import re
import signal
import time
import zipfile

import pytest

from helpers import LINK
from testdb import make_app
from deploystack import (CSRF, DOMAIN, ROOT, AppServer, Nginx, Pinned, Postgres, Redis, Visitor,
                         app_environment, free_port, start_unit, stop)
from factories import make_resident
from database import close_all_connections
from importbatch import Batch
from importer import request_context
from models import Charge, Hoa, ImportLog
from receipt_files import HouseReceipts
from test_deploy_site import letters, load_people, log_in, office

pytestmark = pytest.mark.skipif(os.environ.get("DOMKOM_TEST_DEPLOY") != "1",
                                reason="the deployment test: make test-deploy")

LOGIN_LIMIT = 3  # failed logins per account and address in 15 minutes, for the test
ACCOUNTS = ("100001", "100002", "100003")  # the import's and the receipts' accounts
JOB_SECONDS = 60  # the longest the worker may take over an import or a printing


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
        # what a later request or the worker needs is in PostgreSQL or Redis, not on a disk
        envs = [app_environment(folder, postgres.url, free_port(), **shared) for _ in (1, 2)]
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


def charges_of(accounts, period="10.2025"):
    """The sample charges of a month for some accounts, as the billing program exports them."""
    lines = (ROOT / "data" / "samples" / "charges.csv").read_bytes().split(b"\n")
    rows = [line for line in lines[1:]
            if line.startswith(f"{period};".encode())
            and line.split(b";")[1].decode() in accounts]
    return b"\n".join([lines[0], *rows]) + b"\n", len(rows)


def until(check, what):
    """Poll `check` until it returns something true, for JOB_SECONDS at most."""
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not after {JOB_SECONDS} s")


def database_counts(farm):
    with farm.app_context():
        counts = Charge.select().count(), ImportLog.select().count()
    close_all_connections()
    return counts


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(farm):
    visitor = office(farm)
    first, second = (Pinned(visitor, s) for s in farm.servers)
    page = f"/office/{farm.hoa_id}/import"
    data, rows = charges_of(ACCOUNTS)
    assert rows >= len(ACCOUNTS)
    before = database_counts(farm)
    preview = first.post_files(page, [("charges.csv", data)])
    assert preview.status == 200 and f'action="{page}/confirm"' in preview.text
    assert served(farm.servers[0], f"POST {page}", 200, at_least=1) == 1
    form = CSRF.search(preview.text.split(f'action="{page}/confirm"', 1)[1])
    token, kept = form.group(1) or form.group(2), dict(visitor.cookies)
    confirmed = second.post_form(f"{page}/confirm", {}, token=token)
    assert confirmed.status == 302, confirmed.status
    job_page = re.sub(r"^https?://[^/]+", "", confirmed.header("Location"))
    assert re.fullmatch(rf"{page}/jobs/\d+", job_page), job_page
    assert served(farm.servers[1], f"POST {page}/confirm", 302, at_least=1) == 1
    # the worker saves it; the job's page follows it on either server, then says it is saved
    until(lambda: first.get(job_page).status == 302, "the import job")
    for server in (first, second):
        answer = server.get(job_page)
        assert answer.status == 302 and answer.header("Location").endswith(page)
    assert served(farm.servers[0], f"GET {job_page}", 302, at_least=1) >= 1
    assert served(farm.servers[1], f"GET {job_page}", 302, at_least=1) >= 1
    assert database_counts(farm) == (before[0] + rows, before[1] + 1)
    # the same confirmation sent again with the cookie of the preview, to the first server:
    # the upload is gone, so no second job starts and nothing is saved twice
    replay = Pinned(visitor, farm.servers[0])
    replay.cookies = kept
    again = replay.post_form(f"{page}/confirm", {}, token=token)
    assert again.status == 302 and again.header("Location").endswith(page)
    assert database_counts(farm) == (before[0] + rows, before[1] + 1)


def pdf_pages(data):
    assert data.startswith(b"%PDF-"), data[:20]
    return len(re.findall(rb"/Type\s*/Page\b", data))


def test_house_receipts_printed_on_one_server_are_downloaded_from_the_other(farm):
    visitor = office(farm)
    first, second = (Pinned(visitor, s) for s in farm.servers)
    data, _rows = charges_of(ACCOUNTS, "11.2025")  # a month of its own, loaded here
    with farm.app_context(), request_context():
        batch = Batch(Hoa.get_by_id(farm.hoa_id), [("charges.csv", data)])
        assert batch.ok
        batch.save()
    close_all_connections()
    receipts = f"/office/{farm.hoa_id}/receipts"
    token = first.token(f"{receipts}?period=2025-11")
    started = first.post_form(f"{receipts}/2025-11/print", {}, token=token)
    assert started.status == 302, started.status
    printing = re.sub(r"^https?://[^/]+", "", started.header("Location"))
    assert re.fullmatch(rf"{receipts}/printing/\d+", printing), printing
    page = until(lambda: (p := second.get(printing)).status == 200
                 and 'data-state="done"' in p.text and p, "the printing")
    assert f"{printing}/download" in page.text
    download = second.get(f"{printing}/download", timeout=60)
    assert download.status == 200
    assert served(farm.servers[1], f"GET {printing}/download", 200, at_least=1) == 1
    if download.header("Content-Type") == "application/zip":
        with zipfile.ZipFile(io.BytesIO(download.body)) as archive:
            pages = sum(pdf_pages(archive.read(name)) for name in archive.namelist())
    else:
        assert download.header("Content-Type") == "application/pdf"
        pages = pdf_pages(download.body)
    with farm.app_context():
        printed = HouseReceipts.get_by_id(int(printing.rsplit("/", 1)[1])).receipts
    close_all_connections()
    assert printed == len(ACCOUNTS) and pages >= printed  # each receipt starts a page


def test_one_server_stopped_midway_the_other_keeps_serving(farm):  # the last: it stops one
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
