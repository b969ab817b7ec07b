"""Fixtures: a fresh database per test (tests/testdb.py), the demo data, clients, the outbox,
a live server, the browser and an SMTP server on loopback (tests/helpers.py)."""
import os

import pytest

from helpers import CHROMIUM, ROOT, Outbox, ResidentActions, SmtpCollector, free_port, serve
from testdb import drop_templates, holds, load_demo, load_demo_rest, make_app
from migrate import MODELS
from models import Accountant, AccountantHoa, Hoa, db

# Modules whose tests wait on real processes (workers, servers, Chromium) or run long, longest
# first: they start the run, and the quick tests fill both cores around them. Left in file order
# they came last, and one core stood idle for the run's last 15 s.
RUN_FIRST = ("test_layout_browser", "test_worker_receipts", "test_worker", "test_concurrency",
             "test_import_bombs", "test_browser_flow", "test_forked", "test_meetings_browser",
             "test_tickets_browser", "test_import_worker", "test_throttle_storage",
             "test_logout_browser", "test_office_browser", "test_mail_queue", "test_meetings_pdf",
             "test_optional_drivers", "test_house_items")
assert all((ROOT / "tests" / f"{name}.py").exists() for name in RUN_FIRST), \
    "RUN_FIRST names a test module that is gone"


def pytest_collection_modifyitems(items):
    """The modules of RUN_FIRST first, in its order; the rest as collected."""
    def rank(item):
        name = item.module.__name__ if getattr(item, "module", None) else ""
        return RUN_FIRST.index(name) if name in RUN_FIRST else len(RUN_FIRST)
    items.sort(key=rank)


def pytest_runtest_setup(item):
    """Under --dist loadgroup pytest-xdist sends a group to one worker by writing the group
    into each of its tests' node ids; a pytest that ignores the change spreads the group over
    the workers without a word, and the walk through every page is made once per worker."""
    if getattr(item.config.option, "loadgroup", False) and \
            item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
        pytest.fail("--dist loadgroup does not group this test's xdist_group: "
                    "see requirements-dev.txt", pytrace=False)


def pytest_sessionfinish(session):
    drop_templates()


def requested_data(request):
    """The template a test's fixtures need, so that `demo` and `demo_full` are a copy."""
    names = request.fixturenames
    return "demo_full" if "demo_full" in names else "demo" if "demo" in names else "schema"


@pytest.fixture
def app(request, tmp_path):
    app = make_app(tmp_path, requested_data(request))
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def demo(app):
    """The demo HOAs and their accounts only, so that a test's own charges and meters are
    all there is."""
    if holds(app) not in ("demo", "demo_full"):
        load_demo(app)
    return app


@pytest.fixture
def demo_full(demo):
    """Everything `flask demo` loads: accounts, 14 months of charges and payments, meters."""
    if holds(demo) != "demo_full":
        load_demo_rest(demo)
    return demo


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    return Outbox(app.config["MAIL_OUTBOX"])


@pytest.fixture
def resident(client, outbox):
    return ResidentActions(client, outbox)


@pytest.fixture
def logged_in(demo, resident):
    """A resident of account 100001, registered, activated and logged in; returns the password."""
    password = resident.register_and_activate()
    resident.login(password=password)
    return password


@pytest.fixture
def live_server(tmp_path):
    server = serve(tmp_path)
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; missing is a skip on a laptop, a failure in CI."""
    if CHROMIUM is None:
        wanted = os.environ.get("DOMKOM_CHROMIUM") or "chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI but {wanted} is not found")
        pytest.skip(f"Chromium is not installed ({wanted} is not found)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def office(demo, client):
    """An accountant of the demo HOA «Рассвет», logged in to the office; returns that HOA."""
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    response = client.post("/office/login", data={"email": "buh@rassvet.example",
                                                   "password": "office-pass-1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return hoa


@pytest.fixture
def snapshot(app):
    """A callable returning every table's rows, to show that a refused request changed nothing."""

    def take():
        with app.app_context():
            return {model.__name__: sorted(tuple(row.values()) for row in model.select().dicts())
                    for model in MODELS if model.__name__ != "AuditEvent"}
    return take


@pytest.fixture
def smtp_server():
    server = SmtpCollector(free_port())
    server.start()
    yield server
    server.stop()
