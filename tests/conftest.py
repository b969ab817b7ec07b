"""Fixtures: a fresh SQLite file per test, the demo data, clients, the outbox and a live server."""
import atexit
import email
import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jinja2 import BytecodeCache
from peewee import SQL, Select, fn
from werkzeug.routing import Rule
from werkzeug.serving import make_server

import demo as demo_data
import importer
from app import create_app
from importbatch import Batch
from factories import registration_code
from migrate import MODELS, create_tables
from database import close_all_connections
from models import Hoa, db

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"https?://[^\s<>\"]+")


# With DOMKOM_TEST_DATABASE_URL=postgresql://… every test gets a fresh PostgreSQL database
# on that server instead of a SQLite file; `make test-pg` and CI set it.
TEST_DATABASE_URL = os.environ.get("DOMKOM_TEST_DATABASE_URL", "")
_pg_databases = {}  # name -> the test that created it
# for a test that opens the SQLite file itself (sqlite3, file copies)
sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL),
                                 reason="works on the SQLite file directly")

# What a test's database can start from. Each is built once per session into a database of
# its own and copied for every test that asks for it (a file copy on SQLite, CREATE DATABASE
# … TEMPLATE on PostgreSQL): the same rows as loading them again, in a few milliseconds.
DATA = ("schema", "demo", "demo_full")
_templates = {}  # data -> the SQLite path or PostgreSQL database name built for it
_contents = {}  # a test database -> the data it was copied from
_template_folder = []  # made on first use, removed at exit


def _pg_url(name):
    return urlsplit(TEST_DATABASE_URL)._replace(path="/" + name).geturl()


def _pg_admin():
    import psycopg
    return psycopg.connect(TEST_DATABASE_URL, autocommit=True)


def fresh_database(tmp_path, data="schema"):
    """A SQLite file under tmp_path, or a PostgreSQL database of its own for this test, made
    from the `data` template. A database that is already there (a second app of the same
    test, a restored backup) is left as it is."""
    path = str(tmp_path / "domkom.db")
    if not TEST_DATABASE_URL:
        if not os.path.exists(path):
            shutil.copyfile(template(data), path)
            _contents[path] = data
        return path
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    name = f"test_{os.getpid()}_{hashlib.sha1(path.encode()).hexdigest()[:12]}"
    if name not in _pg_databases:
        source = template(data)
        with _pg_admin() as admin:
            for stale in [n for n, owner in _pg_databases.items() if owner != test]:
                admin.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
                del _pg_databases[stale]
                _contents.pop(_pg_url(stale), None)
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        _pg_databases[name] = test
        _contents[_pg_url(name)] = data
    return _pg_url(name)


def template(data):
    """The session's template database holding `data`, built on first use."""
    if data not in _templates:
        if not _template_folder:
            _template_folder.append(Path(tempfile.mkdtemp(prefix="domkom-templates-")))
            atexit.register(drop_templates)  # also when conftest serves a script, not pytest
        folder = _template_folder[0]
        if not TEST_DATABASE_URL:
            location = str(folder / f"{data}.db")
        else:
            location = f"template_{os.getpid()}_{data}"
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{location}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{location}"')
        app = create_app(app_config(folder,
                                     DATABASE=_pg_url(location) if TEST_DATABASE_URL
                                     else location))
        with app.app_context():
            create_tables()
            if data != "schema":
                load_demo(app, full=data == "demo_full")
        close_all_connections()  # a template must have no connection left
        if not TEST_DATABASE_URL:
            with sqlite3.connect(location) as con:  # everything in the .db file, no -wal
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            assert not os.path.exists(location + "-wal") or \
                os.path.getsize(location + "-wal") == 0
        _templates[data] = location
    return _templates[data]


def drop_templates():
    """Remove the templates and the last test databases (PostgreSQL keeps them otherwise)."""
    for folder in _template_folder:
        shutil.rmtree(folder, ignore_errors=True)
    if TEST_DATABASE_URL and (_templates or _pg_databases):
        close_all_connections()
        with _pg_admin() as admin:
            for name in list(_pg_databases) + list(_templates.values()):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _template_folder.clear()
    _templates.clear()
    _pg_databases.clear()


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


def load_demo(app, full=False):
    """What the `demo` fixture holds: the demo HOAs and their accounts; with `full`, also
    what `demo_full` adds."""
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
    if full:
        load_demo_rest(app)


def load_demo_rest(app):
    """The demo's 14 months of charges and payments and its meters, as `flask demo` loads them."""
    with app.app_context(), importer.request_context():
        files = [(name, (demo_data.SAMPLES / name).read_bytes())
                 for name in demo_data.SAMPLE_FILES if name != "accounts.csv"]
        batch = Batch(Hoa.get(Hoa.prefixes == "10"), files)
        assert batch.ok, batch.problems[:5]
        batch.save()


def app_config(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "MAIL_SERVER": "",
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
        "QUEUE_IMMEDIATE": True,  # jobs run inside the request; test_worker.py runs a worker
    }
    config.update(overrides)
    return config


class CompiledTemplates(BytecodeCache):
    """Templates compiled once for every app of the session. Each test has an app of its own,
    and compiling its templates again was a third of the suite's time; Jinja checks each
    template's source against the one compiled, as with a cache on disk."""

    def __init__(self):
        self.codes = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.codes:
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket):
        self.codes[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def share_url_builders():
    """Werkzeug compiles two Python functions for each route of an app (~440 routes: 25 ms,
    the most of create_app, for every test). A builder is made from its rule's parts alone
    and takes the rule as its first argument, so the session compiles each one once. Without
    the internal (another Werkzeug), every app compiles its own, as before."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return
    builders = {}

    def compile_builder(rule, append_unknown=True):
        key = (rule.rule, tuple(rule._trace), append_unknown,
               repr(sorted((rule.defaults or {}).items())))
        if key not in builders:
            builders[key] = original(rule, append_unknown)
        return builders[key]
    compile_builder.shared = True
    Rule._compile_builder = compile_builder


share_url_builders()


def step_back(tmp_path, version, *statements):
    """The test's SQLite file as an older version left it: `statements` take away what later
    versions added, and the schema's stamp says `version`; the next make_app() upgrades it."""
    path = tmp_path / "domkom.db"
    db.close()
    con = sqlite3.connect(path)
    with con:
        for sql in statements:
            con.execute(sql)
        con.execute("UPDATE setting SET value = ? WHERE key = 'schema_version'", (str(version),))
    con.close()
    return path


def make_app(tmp_path, data="schema", **overrides):
    """An app on a database of its own under tmp_path, starting from `data` (see DATA), or on
    the DATABASE given (a server of the test's own)."""
    database = overrides.pop("DATABASE", None) or fresh_database(tmp_path, data)
    app = create_app(app_config(tmp_path, DATABASE=database, **overrides))
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    if holds(app) is None:  # a database that was there before: as `flask init-db` would
        with app.app_context():
            create_tables()
    return app


def holds(app):
    """The data the app's database was copied from; None when it was there before."""
    return _contents.get(app.config["DATABASE"])


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


class Outbox:
    """The .eml files written when no SMTP server is configured."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def messages(self):
        if not self.folder.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in sorted(self.folder.glob("*.eml"))]

    def last(self):
        messages = self.messages()
        assert messages, "no mail was written"
        return messages[-1]

    @staticmethod
    def text(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    def links(self, message=None):
        return LINK.findall(self.text(message or self.last()))

    def password(self, message=None):
        found = re.search(r":\s*([A-Za-z0-9]{10})\s*$", self.text(message or self.last()),
                          re.MULTILINE)
        assert found, "no password in the mail"
        return found.group(1)


@pytest.fixture
def outbox(app):
    return Outbox(app.config["MAIL_OUTBOX"])


def path_of(link):
    """The path and query of an absolute link, for the test client."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


CONFIRM_FORM = re.compile(r"<form[^>]*data-link-confirm")


def follow(client, link):
    """Open a mailed link and press the one button its page offers, as a resident does; a page
    without the button (a used, expired or broken link) is the answer itself."""
    response = client.get(path_of(link))
    if not CONFIRM_FORM.search(response.get_data(as_text=True)):
        return response
    return client.post(path_of(link))


class ResidentActions:
    def __init__(self, client, outbox):
        self.client, self.outbox = client, outbox

    def register(self, account="100001", email="resident@example.ru", name="Анна", consent="y",
                 **extra):
        # the code on the receipt, as the owner would type it, unless the test gives its own
        extra.setdefault("code", registration_code(self.client.application, account))
        data = {"account": account, "email": email, "name": name, **extra}
        if consent:
            data["consent"] = consent
        return self.client.post("/register", data=data)

    def activate(self):
        return follow(self.client, self.outbox.links()[0])

    def register_and_activate(self, account="100001", email="resident@example.ru"):
        self.register(account, email)
        password = self.outbox.password()
        self.activate()
        return password

    def login(self, account="100001", password="", remember=False):
        data = {"account": account, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def resident(client, outbox):
    return ResidentActions(client, outbox)


@pytest.fixture
def logged_in(demo, resident):
    """A resident of account 100001, registered, activated and logged in; returns the password."""
    password = resident.register_and_activate()
    resident.login(password=password)
    return password


def serve(folder):
    """Domkom on a database of its own in `folder`, served by a real HTTP server in a thread,
    with CSRF on, as in production; stop it with shutdown()."""
    app = make_app(folder, WTF_CSRF_ENABLED=True, TESTING=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # polled every 50 ms, not 0.5 s: shutdown() waits for the next poll
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = app
    app.config["BASE_URL"] = server.url
    return server


@pytest.fixture
def live_server(tmp_path):
    server = serve(tmp_path)
    yield server
    server.shutdown()


# the browser the tests launch: DOMKOM_CHROMIUM (a path or a command name), or Debian's chromium
CHROMIUM = shutil.which(os.environ.get("DOMKOM_CHROMIUM") or "chromium")


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
    from models import Accountant, AccountantHoa, Hoa
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


def row_counts(app, models=None):
    """{model name: its rows} for `models` (every table when None), read by one statement: a
    test that checks each of many requests against every table asks this hundreds of times."""
    models = MODELS if models is None else models
    with app.app_context():
        row = Select(columns=[m.select(fn.COUNT(SQL("*"))).alias(m.__name__)
                              for m in models]).bind(db).tuples().get()
    return dict(zip((m.__name__ for m in models), row))


@pytest.fixture
def snapshot(app):
    """A callable returning every table's rows, to show that a refused request changed nothing."""

    def take():
        with app.app_context():
            return {model.__name__: sorted(tuple(row.values()) for row in model.select().dicts())
                    for model in MODELS if model.__name__ != "AuditEvent"}
    return take
class SmtpCollector:
    """An aiosmtpd handler on 127.0.0.1 keeping what it receives; set `reply` (e.g.
    "451 4.3.0 Try later") to make it refuse, `delay` (seconds) to make it slow, stop() to make
    it unreachable."""

    def __init__(self, port):
        self.port, self.reply, self.delay, self.controller = port, None, 0, None
        self.envelopes, self.messages = [], []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SmtpCollector(free_port())
    server.start()
    yield server
    server.stop()
