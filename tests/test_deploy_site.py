"""README's VPS guide run for real on loopback: nginx with the site deploy/site.sh writes, TLS,
gunicorn and the job worker started from the systemd units, one app server. `make test-deploy`
runs it (slow: about a minute); `make test` skips it."""
import email
import os
import re
import shutil
import signal
import socket
import ssl
import threading
import time
from email import policy
from pathlib import Path

import pytest

import demo as demo_data
from helpers import CHROMIUM, LINK, path_of
from testdb import make_app
from deploystack import (DOMAIN, VISITOR_ADDRESS, AppServer, Nginx, Visitor, app_environment,
                         free_port, plain_http, start_unit, stop)
from factories import browser_log_in, make_resident
from database import close_all_connections
from models import Accountant, AccountantHoa, AuditEvent, Hoa

pytestmark = pytest.mark.skipif(os.environ.get("DOMKOM_TEST_DEPLOY") != "1",
                                reason="the deployment test: make test-deploy")

MB = 1024 * 1024
IDLE_CONNECTIONS = 50
HOLD_SECONDS = 20


def load_people(app):
    """The demo accounts, a resident of 100001 and an accountant of «Рассвет»."""
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        make_resident("100001", "resident-pass-1", email="anna@example.ru")
        hoa = Hoa.get(Hoa.prefixes == "10")
        accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
        hoa_id = hoa.id
    close_all_connections()
    return hoa_id


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deploy")
    app = make_app(folder, BASE_URL=f"https://{DOMAIN}")
    app.hoa_id = load_people(app)
    env = app_environment(folder, app.config["DATABASE"], free_port())
    server = AppServer(folder, env)
    worker = start_unit("domkom-worker.service", env, folder / "worker.log")
    nginx = Nginx([server.port])
    app.nginx, app.outbox = nginx, folder / "outbox"
    yield app
    nginx.stop()
    stop(worker, signal.SIGINT)
    server.stop()


def log_in(site):
    visitor = Visitor(site.nginx)
    r = visitor.post_form("/login", {"account": "100001", "password": "resident-pass-1"})
    assert r.status == 302 and r.header("Location").endswith("/cabinet"), r.status
    return visitor


def test_the_landing_page_and_a_residents_page_over_https(site):
    landing = Visitor(site.nginx).get("/")
    assert landing.status == 200 and "Личный кабинет" in landing.text
    cabinet = log_in(site).get("/cabinet")
    assert cabinet.status == 200 and "100001" in cabinet.text


def test_every_answer_carries_one_hsts_header(site):
    visitor = Visitor(site.nginx)
    for path in ["/", "/static/domkom.css", "/no-such-page"]:
        assert visitor.get(path).headers.get_all("Strict-Transport-Security") == [
            "max-age=31536000; includeSubDomains"], path


def test_a_resident_logs_in_with_a_real_browser(site):
    """Chromium on https://domkom.test/ (port 443 mapped to nginx's), as a resident's."""
    from playwright.sync_api import sync_playwright
    if not shutil.which(CHROMIUM) and os.environ.get("CI") != "true":
        pytest.skip("Chromium is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic",
            f"--host-rules=MAP {DOMAIN}:443 127.0.0.1:{site.nginx.https_port}"])
        try:
            page = browser.new_context(ignore_https_errors=True, locale="ru-RU").new_page()
            page.set_default_timeout(15000)
            browser_log_in(page, f"https://{DOMAIN}", "100001", "resident-pass-1")
            assert "100001" in page.content()
        finally:
            browser.close()


def test_plain_http_moves_to_https(site):
    r = plain_http(site.nginx, "/login?next=/cabinet")
    assert r.status == 301
    assert r.header("Location") == f"https://{DOMAIN}/login?next=/cabinet"


def assets(page):
    return re.findall(r'(?:href|src)="(/(?:static|bootstrap/static)/[^"]+)', page)


def test_static_files_and_bootstrap_come_cached_and_compressed(site):
    visitor = Visitor(site.nginx)
    found = assets(visitor.get("/").text)
    assert any(p.startswith("/static/") for p in found), found
    assert any(p.startswith("/bootstrap/static/") for p in found), found
    for path in found:
        assert re.search(r"\?v=[0-9a-f]{12}$", path), path  # the file's version in its address
        r = visitor.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status == 200, path
        assert r.header("Cache-Control") == f"max-age={365 * 24 * 3600}", path
        if path.split("?")[0].endswith((".css", ".js")):
            assert r.header("Content-Encoding") == "gzip", path
    page = visitor.get("/login", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200 and page.header("Content-Encoding") is None  # BREACH
    bootstrap = visitor.get("/bootstrap/static/css/bootstrap.min.css")
    assert bootstrap.header("Cache-Control") == f"max-age={30 * 24 * 3600}"


def test_the_security_log_has_the_visitors_address_not_a_forged_one(site):
    visitor = Visitor(site.nginx)
    r = visitor.post_form("/login", {"account": "100001", "password": "wrong-pass-1"},
                          headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.status == 401
    with site.app_context():
        event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    close_all_connections()
    assert (event.event, event.ip) == ("login_failed", VISITOR_ADDRESS)


def office(site):
    visitor = Visitor(site.nginx)
    r = visitor.post_form("/office/login", {"email": "buh@rassvet.example",
                                            "password": "office-pass-1"})
    assert r.status == 302, r.status
    return visitor


def test_imports_up_to_the_limit_reach_the_app_and_bigger_ones_get_its_russian_page(site):
    visitor = office(site)
    page = f"/office/{site.hoa_id}/import"
    allowed = visitor.upload(page, page, "charges.csv", 19 * MB)
    assert allowed.status == 422  # read and checked by the app: not a table it knows
    assert "charges.csv" in allowed.text
    # just under the request limit: the app reads it all and names the file's own limit
    whole = visitor.upload(page, page, "charges.csv", 63 * MB)
    assert whole.status == 422 and "Файл больше 20 МБ." in whole.text
    refused = visitor.upload(page, page, "charges.csv", 65 * MB)
    assert refused.status == 413
    assert "64 МБ за одну загрузку, 20 МБ на файл" in refused.text
    # outside the office nothing is uploaded: nginx refuses at once and no worker waits
    started = time.monotonic()
    login = visitor.upload("/login", "/login", "big.csv", 21 * MB)
    assert login.status == 413 and time.monotonic() - started < 5
    assert Visitor(site.nginx).get("/login", timeout=5).status == 200


def test_a_foreign_host_is_refused(site):
    r = Visitor(site.nginx, host="evil.example").get("/")
    assert r.status == 400
    assert plain_http(site.nginx, "/", host="evil.example").status in (301, 400)


def idle(nginx, kind):
    """A connection that never finishes its request: silent, or TLS with half a request, or a
    body promised and dribbled."""
    sock = socket.create_connection(("127.0.0.1", nginx.https_port), timeout=5)
    if kind == "silent":
        return sock
    context = ssl.create_default_context(cafile=str(nginx.cert))
    sock = context.wrap_socket(sock, server_hostname=DOMAIN)
    if kind == "half":
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {DOMAIN}\r\n".encode())
    else:
        sock.sendall(f"POST /login HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Length: 100000\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n\r\naccount=1".encode())
    return sock


def test_50_never_finished_connections_leave_the_site_answering(site):
    kinds = ["silent", "half", "slow"]
    held = [idle(site.nginx, kinds[i % 3]) for i in range(IDLE_CONNECTIONS)]
    stop_dribbling = threading.Event()

    def dribble():
        while not stop_dribbling.wait(2):
            for sock in held[2::3]:
                try:
                    sock.sendall(b"0")
                except OSError:
                    pass

    threading.Thread(target=dribble, daemon=True).start()
    slowest, deadline = 0.0, time.monotonic() + HOLD_SECONDS
    try:
        while time.monotonic() < deadline:
            started = time.monotonic()
            r = Visitor(site.nginx).get("/login", timeout=5)
            slowest = max(slowest, time.monotonic() - started)
            assert r.status == 200
            time.sleep(1)
    finally:
        stop_dribbling.set()
        for sock in held:
            sock.close()
    assert slowest < 1.0, slowest


def letters(folder):
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(Path(folder).glob("*.eml"))]


def test_a_mailed_link_carries_the_sites_https_address(site):
    before = len(letters(site.outbox))
    r = Visitor(site.nginx).post_form("/forgot", {"account": "100001"})
    assert r.status == 200
    deadline = time.monotonic() + 30
    while len(letters(site.outbox)) == before and time.monotonic() < deadline:
        time.sleep(0.2)  # the worker sends it
    letter = letters(site.outbox)[-1]
    [link] = [u for u in LINK.findall(letter.get_body(preferencelist=("plain",)).get_content())
              if "/reset/" in u]
    assert link.startswith(f"https://{DOMAIN}/reset/")
    opened = Visitor(site.nginx).get(path_of(link))
    assert opened.status == 200 and "data-link-confirm" in opened.text
