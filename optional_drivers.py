"""The PostgreSQL and Redis drivers loaded only by a process that uses them.

peewee and huey import psycopg (PostgreSQL) and redis at their own import whenever they are
installed, and a server on SQLite with its queue in data/ never uses either: they cost every
web worker and the job worker 15 MB, a fifth of a worker (69 → 54 MB after four pages, measured
in one process: psycopg 9 MB, redis 6 MB more). app.py hides both while it imports the rest of
Domkom; `open_database` and the queue hand them over when a PostgreSQL database or a Redis
queue is used. A process that imported peewee or huey first loads them as before.

Relies on peewee's module globals psycopg, TransactionStatus, Json_pg3 and Jsonb_pg3 and
Psycopg3Adapter's txn_idle, txn_inerror and txn_unknown, and on huey.storage's globals Redis,
ConnectionPool, ConnectionError and TimeoutError and RedisStorage.redis_client: the names they
set from the drivers at import. tests/test_speedups.py checks them, and that a worker on SQLite
loads neither driver while one on PostgreSQL and Redis works.
"""
import sys

DRIVERS = ("psycopg", "psycopg2", "redis")
_hidden = []


def hide():
    """Until shown(), importing a driver not imported yet fails as if it were not installed."""
    for name in DRIVERS:
        if name not in sys.modules:
            sys.modules[name] = None
            _hidden.append(name)


def shown():
    """The drivers can be imported again (peewee and huey have been imported without them)."""
    while _hidden:
        name = _hidden.pop()
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def postgresql_for_peewee():
    """psycopg handed to peewee, which was imported without it; a no-op when it has it."""
    import peewee
    if peewee.psycopg is not None or peewee.psycopg2 is not None:
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.types.json import Json, Jsonb
    peewee.psycopg, peewee.TransactionStatus = psycopg, TransactionStatus
    peewee.Json_pg3, peewee.Jsonb_pg3 = Json, Jsonb
    adapter = peewee.Psycopg3Adapter
    adapter.txn_idle = TransactionStatus.IDLE
    adapter.txn_inerror = TransactionStatus.INERROR
    adapter.txn_unknown = TransactionStatus.UNKNOWN


def redis_for_huey():
    """redis handed to huey's storage, which was imported without it; a no-op when it has it."""
    from huey import storage
    if storage.Redis is not None:
        return
    from redis import ConnectionPool, Redis
    from redis.exceptions import ConnectionError, TimeoutError
    storage.Redis, storage.ConnectionPool = Redis, ConnectionPool
    storage.ConnectionError, storage.TimeoutError = ConnectionError, TimeoutError
    storage.RedisStorage.redis_client = Redis
