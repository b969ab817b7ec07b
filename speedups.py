"""Speed-ups that rely on a library's private internals, each kept for the figure it saves.

Every one names the internal it uses; tests/test_speedups.py checks that internal and that the
fast path gives exactly what the plain library call gives, so a library upgrade that changes
it fails there, loudly, instead of quietly giving other results. Figures: SQLite, 1,000
accounts (bench/generate.py), the pages run through the WSGI app in one process, the speed-up
on against off in the same run, in turns, each page 100–200 times a turn, the CPU time of the
best turn (bench/bench_speedups.py); three runs each, on a machine loaded by other work, so a
single ratio can be off by 0.1–0.2. A ratio is the time with the speed-up over the time
without it. `make bench` can serve the app without any of them (BENCH_WITHOUT, bench/app_bench.py).
Those of the receipts' drawing, which runs in the render processes, are in speedups_pdf.py.
"""
import weakref
from datetime import date, timedelta
from decimal import Decimal

from flask import g, request, url_for
from flask_babel import get_locale, get_translations
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DOT, TOKEN_LBRACKET, TOKEN_NAME, TOKEN_RBRACKET, Token
from markupsafe import Markup
from peewee import DatabaseProxy, DecimalField

INSERT_BATCH = 2000


# --- peewee: a select's SQL built once ---------------------------------------------------------

class Prepared:
    """A select whose SQL is built once per database, then only run again with new values.

    Peewee spends ~10 µs a selected column building SQL: 0.5 ms for a resident with their
    account and HOA, thirty times what the indexed lookup itself takes. Queries run on every
    page use this. `build(*values)` returns the query; the values (ints, strings, dates) must
    reach the SQL unchanged, as parameters.

    Relies on peewee's `query._database`, `query._get_cursor_wrapper(cursor)` and the cursor
    wrapper's `initialize()` / `initialized` / `iterator()`.
    Measured: landing page 0.64× / 0.54× / 0.48×, cabinet 0.62× / 0.53× / 0.48×, statements
    0.64× / 0.62× / 0.64×, meters 0.45× / 0.48× / 0.47× of the time without it.
    """

    def __init__(self, build):
        self.build = build
        self.proxy = None  # the database the queries are bound to: the models' proxy
        self.compiled = weakref.WeakKeyDictionary()
        self.states = weakref.WeakKeyDictionary()

    def __call__(self, *values):
        if self.proxy is None:
            self.proxy = self.build(*values)._database
        database = self.proxy.obj if isinstance(self.proxy, DatabaseProxy) else self.proxy
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


# --- peewee: many rows in one prepared INSERT --------------------------------------------------

def insert_rows(model, fields, rows, progress=None):
    """One prepared INSERT run over every row (tuples in the order of `fields`); `progress`
    is called with the number of rows written after each batch.

    Model.insert_many builds its SQL value by value in Python; this hands the rows to the
    driver's executemany. Decimal columns are rounded as their field rounds them
    (`db_value`: auto_round to the field's places), so money and volumes are stored exactly
    as a save through peewee stores them.

    Relies on peewee's `database.param` and `cursor()` (the driver's cursor: peewee registers
    sqlite3's adapters for Decimal and date), and on `field.column_name` and `model._meta`.
    Measured (bench/bench_import.py's 100,000 charge rows): 0.73 s against insert_many's
    3.73 s, 0.20×, the rounding included (it costs 0.25 s of the 0.73).
    """
    if not rows:
        return
    database = model._meta.database
    names = ", ".join(f.column_name for f in fields)
    marks = ", ".join([database.param] * len(fields))
    sql = f"INSERT INTO {model._meta.table_name} ({names}) VALUES ({marks})"
    rounded = [i for i, f in enumerate(fields) if isinstance(f, DecimalField)]
    cursor = database.cursor()
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start:start + INSERT_BATCH]
        if rounded:
            batch = [round_row(row, fields, rounded) for row in batch]
        cursor.executemany(sql, batch)
        if progress:
            progress(len(batch))


def round_row(row, fields, rounded):
    row = list(row)
    for i in rounded:
        value = row[i]
        if isinstance(value, (Decimal, int, float)):
            row[i] = fields[i].db_value(value)
    return row


# --- Flask-Babel: the request's translations looked up once --------------------------------

def request_translations():
    """The request's translations, looked up once per locale and request.

    Flask-Babel's own template gettext walks flask.g four times for every string. The cache
    sits on Babel's per-request namespace and is keyed by the locale object, so
    force_locale() and a language switch still take effect.

    Relies on Flask-Babel keeping its per-request state as `g._flask_babel` with the locale
    in `babel_locale`. Measured against Flask-Babel's own template gettext: statements
    0.83× / 0.82× / 0.84×, landing page 0.93× / 0.91× / 0.55×, cabinet 0.97× / 0.93× / 0.94×,
    meters 1.03× / 1.00× / 1.00×.
    """
    ctx = vars(g._get_current_object()).get("_flask_babel") if g else None
    if ctx is None:
        return get_translations()
    cached = vars(ctx).get("domkom_translations")
    if cached is None or cached[0] is not vars(ctx).get("babel_locale"):
        translations = get_translations()
        cached = ctx.domkom_translations = (get_locale(), translations)
    return cached[1]


TEMPLATE_GETTEXT = dict(
    gettext=lambda s: request_translations().ugettext(s),
    ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
    pgettext=lambda c, s: request_translations().upgettext(c, s),
    npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n))


# --- Jinja: constant calls compiled into lookups ---------------------------------------------

class TemplateMessages:
    """`_messages["text"]`: the request's translation of a constant message, as the i18n
    extension's `_("text")` gives it in an autoescaped template (safe, `%%` read as `%`)."""

    def __getitem__(self, message):
        text = request_translations().ugettext(message)
        return Markup(text % {} if "%" in text else text)


class TemplateLinks:
    """`_links["endpoint"]`: url_for("endpoint") remembered per script root (the endpoints
    without arguments: the menus' and footers' links, the same on every page)."""

    def __init__(self):
        self.cache = {}

    def __getitem__(self, endpoint):
        key = (request.script_root, endpoint)
        url = self.cache.get(key)
        if url is None:
            if len(self.cache) > 1000:
                self.cache.clear()
            url = self.cache[key] = url_for(endpoint)
        return url


class ConstantCalls(Extension):
    """Compiles `_("text")` and `url_for("endpoint")` with a single constant argument into
    lookups (`_messages["text"]`, `_links["endpoint"]`) in autoescaped templates.

    Each call in a template goes through Jinja's Context.call, twice for a message; a page
    has 20–60 such calls. Message extraction reads the template source, so the catalogue is
    unaffected.

    Relies on Jinja's token stream (`Extension.filter_stream`, the lexer's token types and
    `Token(lineno, type, value)`). Measured: meters 0.87× / 0.75× / 0.97×, statements
    0.70× / 0.93× / 1.00×, landing page 0.91× / 0.93× / 0.56×, cabinet 0.98× / 1.12× / 0.91×
    of the time without it: the smallest gain here, kept while it stays below 1.
    """

    targets = {"_": "_messages", "url_for": "_links"}

    def filter_stream(self, stream):
        autoescape = self.environment.autoescape
        if callable(autoescape):
            autoescape = autoescape(stream.filename or stream.name)
        if not autoescape:
            yield from stream
            return
        window, previous = [], None
        for token in stream:
            window.append(token)
            while window and not self.could_match(window, previous):
                previous = window.pop(0)
                yield previous
            if len(window) == 4:
                name, _lparen, argument, rparen = window
                yield Token(name.lineno, TOKEN_NAME, self.targets[name.value])
                yield Token(name.lineno, TOKEN_LBRACKET, "[")
                yield argument
                previous = Token(rparen.lineno, TOKEN_RBRACKET, "]")
                yield previous
                window = []
        yield from window

    def could_match(self, window, previous):
        """Whether the tokens so far begin `name("constant")`, the name not an attribute."""
        pattern = (("name", self.targets), ("lparen", None), ("string", None), ("rparen", None))
        if previous is not None and previous.type == TOKEN_DOT:
            return False
        for token, (kind, values) in zip(window, pattern):
            if token.type != kind or (values is not None and token.value not in values):
                return False
        return True


def install_template_speedups(environment):
    """The template gettext of request_translations() and the ConstantCalls compilation."""
    environment.install_gettext_callables(**TEMPLATE_GETTEXT, newstyle=True)
    environment.globals.update(_messages=TemplateMessages(), _links=TemplateLinks())
    environment.add_extension(ConstantCalls)
