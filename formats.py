"""How pages write money, volumes, months and days, and their translations, made cheap.

A statement page formats a few hundred values and translates dozens of strings; done through
Flask-Babel's generic helpers, that was a third of the page's time (bench/profile_pages.py);
the speed-ups that reach into Flask-Babel and Jinja are in speedups.py.
"""
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from flask_babel import get_locale
from markupsafe import Markup

from ledger import balance_summary, standing_of
from speedups import install_template_speedups, request_translations
from texts import link_web_addresses, unit_text

CENT = Decimal("0.01")
CENTS_ZERO = Decimal("0.00")


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


def install(app, **template_globals):
    """Every filter and template global, and a template gettext that looks the translations up
    once a request; `template_globals` are the application's own (its languages, menus)."""
    app.jinja_env.filters.update(money=format_money, number=format_number,
                                 period=format_period, day=format_day,
                                 balance=format_balance, time=format_time, tariff=tariff_text,
                                 unit=unit_text, links=link_web_addresses)
    app.jinja_env.globals.update(template_globals, balance_summary=balance_summary,
                                 standing_of=standing_of)
    install_template_speedups(app.jinja_env)
