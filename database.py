"""The database: the connection (SQLite with its pragmas, or PostgreSQL) and its pool (the
queries whose SQL is built once, `Prepared`, are in speedups.py)."""
from peewee import DatabaseProxy
from playhouse.pool import PooledSqliteDatabase

import optional_drivers

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -8000,
}


def open_database(url):
    """Bind the proxy to a SQLite path or a database URL (postgresql://…).

    Connections are kept in a pool: closing one at the end of a request hands it back, and the
    worker's next request reuses it instead of connecting (and setting the pragmas) again.
    Measured (bench/): the cabinet took 2.9 instead of 4.3 ms of CPU on SQLite (a fresh
    connection also starts with an empty page cache); on PostgreSQL a connection is a TCP
    handshake and a login.
    """
    if "://" in url:
        # lazily: it loads every backend's driver (~10 ms), and SQLite needs none of them
        from playhouse.db_url import connect
        scheme, rest = url.split("://", 1)
        if scheme in ("postgres", "postgresql"):
            optional_drivers.postgresql_for_peewee()
            scheme += "+pool"  # peewee picks psycopg 3 when psycopg2 is not installed
        database = connect(f"{scheme}://{rest}")
    else:
        # a pooled connection may serve another thread later, one thread at a time.
        # Transactions begin IMMEDIATE, taking the write lock at BEGIN: every one of Domkom's
        # reads before it writes, and a deferred one that read before another connection
        # committed cannot write at all (SQLite answers «database is locked» at once, without
        # waiting out busy_timeout). Seen: a house's printing failed when the worker's other
        # thread updated the printing between its check and its insert.
        database = PooledSqliteDatabase(url, pragmas=SQLITE_PRAGMAS, max_connections=64,
                                        stale_timeout=3600, check_same_thread=False,
                                        lock_type="IMMEDIATE")
    db.initialize(database)
    return database


def close_all_connections():
    """Really close every connection, the pool's idle ones too: gunicorn forks its workers
    from the process that ran create_app(), and a connection must never cross a fork."""
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
