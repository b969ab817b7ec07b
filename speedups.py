"""Speed-ups that rely on a library's private internals, each kept for the figure it saves.

Every one names the internal it uses; tests/test_speedups.py checks that internal and that the
fast path gives exactly what the plain library call gives, so a library upgrade that changes
it fails there, loudly, instead of quietly giving other results. Figures: SQLite, 1,000
accounts (bench/generate.py), the pages run through the WSGI app in one process, the speed-up
on against off in the same run, in turns, each page 100–200 times a turn, the CPU time of the
best turn (bench/bench_speedups.py); three runs each, on a machine loaded by other work, so a
single ratio can be off by 0.1–0.2. A ratio is the time with the speed-up over the time
without it. `make bench` can serve the app without any of them (BENCH_WITHOUT, bench/app_bench.py).
"""
import weakref
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter

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


# --- segno: a house's QR codes with the mask already chosen ------------------------------------

BITS = bytes.maketrans(b"01", b"\x00\x01")


def qr_with_mask(payload, mask):
    """segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8",
    mask=mask), the same code, ~20 times faster for a receipt's byte-mode payload.

    segno builds a code bit by bit in Python: 4.3 ms a receipt, a quarter of a house's CPU.
    With the version and mask known, a code is a fixed template (finder, timing and alignment
    patterns, format and version information, the mask over the data area) with the message's
    bits placed at fixed positions: the template and the positions are worked out once per
    version by segno's own functions; the message (segno's byte-mode bit stream, Reed–Solomon
    blocks, interleaving) is built here on whole integers. Payloads segno would not encode in
    byte mode go to segno itself.

    Relies on segno.encoder's make_matrix, add_finder_patterns, add_alignment_patterns,
    add_codewords, find_and_apply_best_mask, add_format_info, add_version_info, find_mode,
    version_range, Code and _Segment, and segno.consts' SYMBOL_CAPACITY, ECC, GEN_POLY,
    GALIOS_LOG/EXP and CHAR_COUNT_INDICATOR_LENGTH. Measured (bench/bench_house_slice.py,
    1,000 receipts of bench/generate.py's 100,000-account house): 0.2 ms against 4.3 ms a code.
    """
    import segno  # lazily, as receipts.make_qr: only pages with a QR code need it
    from segno import consts, encoder
    data = payload.encode("utf-8")
    if encoder.find_mode(data) != consts.MODE_BYTE:
        return segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8",
                          mask=mask)
    error = consts.ERROR_LEVEL_M
    for version in range(1, 41):
        count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[consts.MODE_BYTE][
            encoder.version_range(version)]
        capacity = consts.SYMBOL_CAPACITY[version][error]
        if capacity >= 4 + count_bits + 8 * len(data):
            break
    else:
        raise encoder.DataOverflowError("Data too large. No QR Code can handle the provided data")
    template, gather, interleave, blocks, remainder = qr_layout(version, mask)
    # the bit stream as segno writes it: mode, count, data, terminator, padding, pad codewords
    length = 4 + count_bits + 8 * len(data)
    value = ((consts.MODE_BYTE << count_bits | len(data)) << 8 * len(data)) | \
        int.from_bytes(data, "big")
    terminator = min(capacity - length, 4)
    padding = 8 - (length + terminator) % 8
    value <<= terminator + padding
    length += terminator + padding
    codewords = value.to_bytes(length // 8, "big")
    codewords += (b"\xec\x11" * capacity)[:max(capacity // 8 - length // 8, 0)]
    errors, start = [], 0
    for size, table, top, keep in blocks:
        remainder_word = 0
        for byte in codewords[start:start + size]:
            remainder_word = ((remainder_word << 8) & keep) ^ table[byte ^ (remainder_word >> top)]
        errors.append(remainder_word.to_bytes(top // 8 + 1, "big"))
        start += size
    message = bytes(interleave(codewords)) + bytes(b for column in zip(*errors) for b in column)
    bits = format(int.from_bytes(message, "big"), f"0{8 * len(message)}b").encode().translate(BITS)
    placed = bytes(gather(bits + b"\0" * (remainder + 1)))
    width = 17 + 4 * version
    flat = (template ^ int.from_bytes(placed, "big")).to_bytes(width * width, "big")
    matrix = tuple(bytearray(flat[row:row + width]) for row in range(0, width * width, width))
    segment = encoder._Segment(bytearray(), len(data), consts.MODE_BYTE, "utf-8")
    return segno.QRCode(encoder.Code(matrix, version, error, mask, [segment]))


@lru_cache(maxsize=64)
def qr_layout(version, mask):
    """What every code of a version and mask shares: the template as one integer, the
    positions of the message's bits, the data codewords' interleaving and each block's
    (data codewords, Reed–Solomon table, shift, mask) and the remainder bits' count."""
    from segno import consts, encoder
    width, error = 17 + 4 * version, consts.ERROR_LEVEL_M
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    numbered = [list(row) for row in matrix]
    free = sum(row.count(0x2) for row in matrix)
    encoder.add_codewords(numbered, [3 + n for n in range(free)], version)
    gather = [free] * (width * width)
    for i, row in enumerate(numbered):
        for j, value in enumerate(row):
            if value >= 3 and matrix[i][j] == 0x2:
                gather[i * width + j] = value - 3
    for row in matrix:
        row[:] = row.replace(b"\x02", b"\x00")
    matrix = encoder.find_and_apply_best_mask(matrix, width, width, mask)[1]
    encoder.add_format_info(matrix, version, error, mask)
    encoder.add_version_info(matrix, version)
    template = int.from_bytes(b"".join(matrix), "big")
    blocks, order, start = [], [], 0
    for info in consts.ECC[version][error]:
        words = info.num_total - info.num_data
        table = rs_table(words)
        for _ in range(info.num_blocks):
            blocks.append((info.num_data, table, 8 * (words - 1), (1 << 8 * words) - 1))
            order.append(range(start, start + info.num_data))
            start += info.num_data
    interleave = [i for column in range(max(len(r) for r in order))
                  for r in order if column < len(r) for i in (r[column],)]
    remainder = free - 8 * sum(info.num_total * info.num_blocks
                               for info in consts.ECC[version][error])
    return template, itemgetter(*gather), itemgetter(*interleave), blocks, remainder


@lru_cache(maxsize=16)
def rs_table(words):
    """For each byte f, f times the generator polynomial of `words` error words, as segno's
    division adds it (one integer of `words` bytes)."""
    from segno import consts
    log, exp, gen = consts.GALIOS_LOG, consts.GALIOS_EXP, consts.GEN_POLY[words]
    return [0] + [int.from_bytes(bytes(exp[log[f] + g] for g in gen), "big") for f in range(1, 256)]


# --- fpdf2: text() of a document that draws the same strings again and again ---------------

class RememberedTextEncoding:
    """A mixin for an FPDF document: text() with each string's encoding remembered.

    fpdf2's text() encodes a string into the font's subset glyph by glyph on every call,
    behind two decorators; a receipt draws ~170 strings, most of them the labels, headings and
    amounts of the last one. The encoded string is kept per font and text: its glyphs were
    picked into the subset when it was first drawn, and a subset keeps its numbering for the
    document's life. Only plain filled text of an embedded font takes this path; the rest goes
    to fpdf2's own text().

    Relies on FPDF's current_font (type, fontkey, encode_text), current_font_is_set_on_page,
    _set_font_for_page, _out, text_mode, underline, strikethrough, _record_text_quad_points,
    fill_color, text_color, k, h and page, and on text() writing exactly what this writes.
    Measured (1,000 receipts of bench/generate.py's 100,000-account house, their
    layout and output, five alternating runs, load average 2): 3.5–5.0 ms a receipt against
    5.2–6.2 ms with fpdf2's own text().
    """

    def text(self, x, y, text=""):
        font = self.current_font
        if (not self.page or font is None or font.type != "TTF" or self.text_mode != 0
                or self.underline or self.strikethrough or self._record_text_quad_points):
            return super().text(x, y, text)
        known = self.__dict__.setdefault("_encoded_texts", {})
        encoded = known.get((font.fontkey, text))
        if encoded is None:
            encoded = known[font.fontkey, text] = font.encode_text(text)
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        line = f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td {encoded} ET"
        if self.fill_color != self.text_color:
            line = f"q {self.text_color.serialize().lower()} {line} Q"
        self._out(line)
        return None


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
