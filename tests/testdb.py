"""Test databases: one template per kind of data for the session, copied for every test, and
the apps made on them."""
import atexit
import hashlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jinja2 import BytecodeCache
from peewee import SQL, Select, fn
from werkzeug.routing import Rule

import demo as demo_data
import importer
from app import create_app
from importbatch import Batch
from migrate import MODELS, create_tables
from database import close_all_connections
from models import Hoa, db

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
            atexit.register(drop_templates)  # also in a script's process, not pytest's
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


def row_counts(app, models=None):
    """{model name: its rows} for `models` (every table when None), read by one statement: a
    test that checks each of many requests against every table asks this hundreds of times."""
    models = MODELS if models is None else models
    with app.app_context():
        row = Select(columns=[m.select(fn.COUNT(SQL("*"))).alias(m.__name__)
                              for m in models]).bind(db).tuples().get()
    return dict(zip((m.__name__ for m in models), row))
