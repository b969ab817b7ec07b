"""The database: the connection (SQLite with its pragmas, or PostgreSQL), its pool, and
queries whose SQL is built once (`Prepared`)."""
import weakref
from datetime import date, timedelta

from peewee import DatabaseProxy
from playhouse.pool import PooledSqliteDatabase

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
            scheme += "+pool"  # peewee picks psycopg 3 when psycopg2 is not installed
        database = connect(f"{scheme}://{rest}")
    else:
        # a pooled connection may serve another thread later, one thread at a time
        database = PooledSqliteDatabase(url, pragmas=SQLITE_PRAGMAS, max_connections=64,
                                        stale_timeout=3600, check_same_thread=False)
    db.initialize(database)
    return database


def close_all_connections():
    """Really close every connection, the pool's idle ones too: gunicorn forks its workers
    from the process that ran create_app(), and a connection must never cross a fork."""
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()



class Prepared:
    """A select whose SQL is built once per database, then only run again with new values.

    Peewee spends ~10 µs a selected column building SQL: 0.5 ms for a resident with their
    account and HOA, thirty times what the indexed lookup itself takes (bench/). Queries run
    on every page use this. `build(*values)` returns the query; the values (ints, strings,
    dates) must reach the SQL unchanged, as parameters.
    """

    def __init__(self, build):
        self.build, self.compiled = build, weakref.WeakKeyDictionary()
        self.states = weakref.WeakKeyDictionary()

    def __call__(self, *values):
        database = db.obj
        compiled = self.compiled.get(database)
        if compiled is None:
            compiled = self.compiled[database] = self.compile(values)
        query, sql, params, slots = compiled
        if slots is None:  # the values could not be told apart from the SQL: no caching
            return iter(self.build(*values))
        params = list(params)
        for position, index in slots:
            params[position] = values[index]
        wrapper = query._get_cursor_wrapper(database.execute_sql(sql, params))
        # how result columns become objects depends on the SQL only: work it out once
        # (peewee's initialize() resolves every column on every query otherwise)
        state = self.states.get(database)
        if state is None:
            fresh = set(vars(wrapper))
            wrapper.initialize()
            state = self.states[database] = {key: value for key, value in vars(wrapper).items()
                                             if key not in fresh}
        else:
            vars(wrapper).update(state)
        wrapper.initialized = True
        return wrapper.iterator()

    def compile(self, values):
        markers = [marker_like(value, i) for i, value in enumerate(values)]
        query = self.build(*markers)
        sql, params = query.sql()
        slots = [(position, markers.index(param)) for position, param in enumerate(params)
                 if any(param == m and type(param) is type(m) for m in markers)]
        if {index for _, index in slots} != set(range(len(values))):
            slots = None
        return query, sql, params, slots

    def first(self, *values):
        rows = list(self(*values))  # read to the end: no statement is left open
        return rows[0] if rows else None


def marker_like(value, i):
    """A value of the same type that real data never holds, to find a parameter's place."""
    if isinstance(value, bool) or not isinstance(value, (int, str, date)):
        raise TypeError(f"Prepared queries take ints, strings and dates, not {value!r}")
    if isinstance(value, int):
        return -(2 ** 62) - i
    if isinstance(value, str):
        return f"\x00prepared-{i}\x00"
    return date(1, 1, 1) + timedelta(days=i)
