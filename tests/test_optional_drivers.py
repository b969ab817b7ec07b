"""A process of Domkom on SQLite with its queue in a file loads neither the PostgreSQL nor the
Redis driver; one configured for them gets both and works (optional_drivers.py)."""
import json
import os
import subprocess
import sys

import huey.storage
import peewee
import pytest
from helpers import ROOT
from testdb import TEST_DATABASE_URL, fresh_database
from test_worker import redis_url  # noqa: F401 (a fixture)

# a web worker's life in short: the app, the login page, a queued letter
CHILD = """
import json, sys
from app import create_app
from migrate import create_tables
import letters, models
config = json.loads(sys.argv[1])
app = create_app(config)
with app.app_context():
    create_tables()
client = app.test_client()
assert client.get("/login").status_code == 200
with app.test_request_context():
    import jobs
    jobs.huey.enqueue(jobs.huey.task()(lambda: None).s())
    pending = len(jobs.huey)
print(json.dumps({"psycopg": "psycopg" in sys.modules, "redis": "redis" in sys.modules,
                  "database": type(models.db.obj).__name__, "pending": pending}))
"""


def run_child(tmp_path, **config):
    config = {"SECRET_KEY": "x", "MAIL_OUTBOX": str(tmp_path / "outbox"),
              "QUEUE_URL": str(tmp_path / "queue.db"), **config}
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(config)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_worker_on_sqlite_and_a_queue_file_loads_neither_driver(tmp_path):
    seen = run_child(tmp_path, DATABASE=str(tmp_path / "domkom.db"))
    assert seen == {"psycopg": False, "redis": False, "database": "PooledSqliteDatabase",
                    "pending": 1}


def test_a_redis_queue_gets_its_driver(tmp_path, redis_url):  # noqa: F811
    seen = run_child(tmp_path, DATABASE=str(tmp_path / "domkom.db"), QUEUE_URL=redis_url)
    assert seen["redis"] and seen["pending"] == 1


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs DOMKOM_TEST_DATABASE_URL (make test-pg)")
def test_postgresql_gets_its_driver(tmp_path):
    seen = run_child(tmp_path, DATABASE=fresh_database(tmp_path))
    assert seen["psycopg"] and seen["database"] == "PooledPostgresqlDatabase"


def test_the_names_the_drivers_are_handed_over_by_are_the_libraries_own():
    """peewee and huey set these from the drivers at import; a release that renames them
    breaks optional_drivers.py, and this says where."""
    for name in ("psycopg", "psycopg2", "TransactionStatus", "Json_pg3", "Jsonb_pg3"):
        assert hasattr(peewee, name), name
    for name in ("txn_idle", "txn_inerror", "txn_unknown"):
        assert hasattr(peewee.Psycopg3Adapter, name), name
    for name in ("Redis", "ConnectionPool", "ConnectionError", "TimeoutError"):
        assert hasattr(huey.storage, name), name
    assert huey.storage.RedisStorage.redis_client is huey.storage.Redis
