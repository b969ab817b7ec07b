"""How pages write money, volumes, months and days, and their translations, made cheap.

A statement page formats a few hundred values and translates dozens of strings; done through
Flask-Babel's generic helpers, that was a third of the page's time (bench/profile_pages.py).
"""
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from flask import g, request, url_for
from flask_babel import get_locale, get_translations
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DOT, TOKEN_LBRACKET, TOKEN_NAME, TOKEN_RBRACKET, Token
from markupsafe import Markup

from ledger import balance_summary, standing_of
from texts import link_web_addresses, unit_text

CENT = Decimal("0.01")
CENTS_ZERO = Decimal("0.00")


def request_translations():
    """The request's translations, looked up once per locale and request.

    Flask-Babel's own template gettext walks flask.g four times for every string. The cache
    sits on Babel's per-request namespace and is keyed by the locale object, so
    force_locale() and a language switch still take effect."""
    ctx = vars(g._get_current_object()).get("_flask_babel") if g else None
    if ctx is None:
        return get_translations()
    cached = vars(ctx).get("domkom_translations")
    if cached is None or cached[0] is not vars(ctx).get("babel_locale"):
        translations = get_translations()
        cached = ctx.domkom_translations = (get_locale(), translations)
    return cached[1]


def _(message, **variables):
    """gettext for this module's own messages (the catalogue's extractor finds `_()`)."""
    text = request_translations().ugettext(message)
    return text % variables if variables else text


def format_money(value, currency=True):
    """4512.3 -> '4 512,30 ₽' (the Russian way); None -> '—'."""
    if value is None:
        return "—"
    value = Decimal(value).quantize(CENT)
    if not value:
        value = CENTS_ZERO  # never '-0,00'
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} ₽" if currency else text


def format_number(value, places=3, trim=True):
    """A volume or reading: decimal comma, trailing zeros dropped unless not `trim`."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.{places}f}"
    if trim and places:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def tariff_text(value):
    """A tariff with kopecks always shown and further digits only where the tariff has them."""
    text = format_number(value, 4)
    whole, _, frac = text.partition(",")
    return f"{whole},{frac.ljust(2, '0')}"


_periods = {}


def format_period(value, locale=None):
    """date(2026, 3, 1) -> 'март 2026' in Russian, 'March 2026' in English; in the page's
    language unless a `locale` is given (the receipt is always Russian)."""
    if not value:
        return ""
    locale = locale or str(get_locale())
    key = (locale, value.year, value.month)
    text = _periods.get(key)
    if text is None:
        if len(_periods) > 10000:
            _periods.clear()
        text = _periods[key] = babel_dates.format_date(date(value.year, value.month, 1),
                                                       "LLLL yyyy", locale=locale)
    return text


def format_day(value):
    """A day as 31.03.2026 (the same in both languages); None -> '—'."""
    return value.strftime("%d.%m.%Y") if value else "—"


DEFAULT_TIME_ZONE = "Europe/Moscow"


def format_time(value, time_zone=DEFAULT_TIME_ZONE, pattern="%d.%m.%Y %H:%M"):
    """A stored moment as the HOA's clock showed it: 18:18 on a UTC server is 22:18 in
    Samara. Times are stored as the server's local time (naive); None -> ''."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIME_ZONE)
    return value.astimezone(zone).strftime(pattern)


def balance_side(value):
    """('debt', sum), ('advance', sum) or (None, 0): a positive balance is a debt."""
    if value > 0:
        return "debt", value
    if value < 0:
        return "advance", -value
    return None, value


def format_balance(value):
    """A signed balance as the pages show it: positive is debt, negative is advance."""
    side, amount = balance_side(value)
    if side == "debt":
        return Markup('<span class="money text-danger">%s</span>') % _(
            "debt %(sum)s", sum=format_money(amount))
    if side == "advance":
        return Markup('<span class="money text-success">%s</span>') % _(
            "advance %(sum)s", sum=format_money(amount))
    return Markup('<span class="money">%s</span>') % format_money(amount)


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
    has 20–60 such calls, and they were a fifth of its time (bench/profile_pages.py). Message
    extraction reads the template source, so the catalogue is unaffected."""

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


def install(app, **template_globals):
    """Every filter and template global, and a template gettext that looks the translations up
    once a request; `template_globals` are the application's own (its languages, menus)."""
    app.jinja_env.filters.update(money=format_money, number=format_number,
                                 period=format_period, day=format_day,
                                 balance=format_balance, time=format_time, tariff=tariff_text,
                                 unit=unit_text, links=link_web_addresses)
    app.jinja_env.globals.update(template_globals, balance_summary=balance_summary,
                                 standing_of=standing_of)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(_messages=TemplateMessages(), _links=TemplateLinks())
    app.jinja_env.add_extension(ConstantCalls)
