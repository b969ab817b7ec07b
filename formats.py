"""How pages write money, volumes, months and days, and their translations, made cheap.

A statement page formats a few hundred values and translates dozens of strings; done through
Flask-Babel's generic helpers, that was a third of the page's time (bench/profile_pages.py).
"""
from datetime import date
from decimal import Decimal

from flask import g
from flask_babel import format_date, get_locale, get_translations
from markupsafe import Markup

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


def format_number(value, places=3):
    """A volume or reading: decimal comma, trailing zeros dropped."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.{places}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


_periods = {}


def format_period(value):
    """date(2026, 3, 1) -> 'март 2026' in Russian, 'March 2026' in English."""
    if not value:
        return ""
    key = (str(get_locale()), value.year, value.month)
    text = _periods.get(key)
    if text is None:
        if len(_periods) > 10000:
            _periods.clear()
        text = _periods[key] = format_date(date(value.year, value.month, 1), "LLLL yyyy")
    return text


def format_day(value):
    """A day as 31.03.2026 (the same in both languages); None -> '—'."""
    return value.strftime("%d.%m.%Y") if value else "—"


def format_balance(value):
    """A signed balance as the pages show it: positive is debt, negative is advance."""
    if value > 0:
        return Markup('<span class="money text-danger">%s</span>') % _(
            "debt %(sum)s", sum=format_money(value))
    if value < 0:
        return Markup('<span class="money text-success">%s</span>') % _(
            "advance %(sum)s", sum=format_money(-value))
    return Markup('<span class="money">%s</span>') % format_money(value)


def install(app):
    """The filters, and a template gettext that looks the translations up once a request."""
    app.jinja_env.filters.update(money=format_money, number=format_number,
                                 period=format_period, day=format_day,
                                 balance=format_balance)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
