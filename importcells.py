"""Reading one cell of an imported file: numbers, money, dates, months, account numbers, kinds."""
import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from emails import is_email_address
from meter_models import METER_KIND_TABLE
from models import Charge, normalize_account
from periods import FIRST_DAY, LAST_DAY
from texts import plain_text


class Bad(ValueError):
    """A cell that cannot be read; the message is shown to the accountant."""


NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
NUMBER_JUNK = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None,
                             "\t": None, "₽": None, "\u2212": "-", "'": None})


def shown(value):
    """A cell as the accountant saw it in the file (an Excel date cell as 05.12.2026)."""
    text = f"{value:%d.%m.%Y}" if isinstance(value, (date, datetime)) else str(value).strip()
    return text if len(text) <= 40 else text[:37] + "…"


def to_decimal(value):
    """'1 234,50', '1\xa0234.5', 1234.5 -> Decimal; anything else raises Bad."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):  # Excel's TRUE, dates
        raise Bad(_("«%(value)s» is not a number.", value=shown(value)))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(round(value, 6)))
    text = value.translate(NUMBER_JUNK)
    if "," in text:
        if "." in text:  # 1,234.56 or 1.234,56: the last mark is the decimal one
            text = (text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".")
                    else text.replace(",", ""))
        else:
            text = text.replace(",", ".")
    if not NUMBER.fullmatch(text):
        raise Bad(_("«%(value)s» is not a number.", value=shown(value)))
    return Decimal(text)


LARGEST_WHOLE = 100_000  # residents of a flat, tariff zones: an INTEGER column holds far more


def bounded(value, field):
    """A number the model's DecimalField `field` can hold, rounded as it stores it: '1e300'
    or thirty digits is refused, not overflowed."""
    limit = Decimal(10) ** (field.max_digits - field.decimal_places)
    if isinstance(value, float) and not math.isfinite(value):
        raise Bad(_("«%(value)s» is not a number.", value=shown(value)))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= limit:
        number = limit  # a float's Decimal would have hundreds of digits
    else:
        number = to_decimal(value)
        if abs(number) < limit:
            number = number.quantize(Decimal(1).scaleb(-field.decimal_places), ROUND_HALF_UP)
    if abs(number) >= limit:
        raise Bad(_("«%(value)s» is too large: the value must be below %(limit)s.",
                    value=shown(value), limit=f"{limit:,}".replace(",", " ")))
    return number


def money(value):
    return bounded(value, Charge.amount)


def plus_money(value):
    number = money(value)
    if number < 0:
        raise Bad(_("The value must not be negative."))
    return number


def positive_money(value):
    number = money(value)
    if number <= 0:
        raise Bad(_("The amount must be greater than zero."))
    return number


def plus_number_of(field):
    """Parses a non-negative number that fits the model's DecimalField `field`."""
    def parse(value):
        number = bounded(value, field)
        if number < 0:
            raise Bad(_("The value must not be negative."))
        return number
    return parse


def whole(value):
    number = to_decimal(value) if not isinstance(value, float) or math.isfinite(value) else None
    if number is None or abs(number) >= LARGEST_WHOLE:
        raise Bad(_("«%(value)s» is too large: the value must be below %(limit)s.",
                    value=shown(value), limit=f"{LARGEST_WHOLE:,}".replace(",", " ")))
    if number != number.to_integral_value() or number < 0:
        raise Bad(_("«%(value)s» is not a whole number.", value=shown(value)))
    return int(number)


DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?:\s.*)?")
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")


def day(value):
    """'25.03.2026', '25.03.26', '2026-03-25' or an Excel date cell -> a date a bill can name
    (1990–2099: the pages and PDFs count months around it)."""
    found = any_day(value)
    if not FIRST_DAY <= found <= LAST_DAY:
        raise Bad(_("«%(value)s» is outside the years 1990–2099.", value=shown(value)))
    return found


def any_day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        found = DMY.fullmatch(text)
        if found:
            d, m, y = (int(g) for g in found.groups())
            return date(y + 2000 if y < 100 else y, m, d)
        found = ISO.fullmatch(text)
        if found:
            return date(*(int(g) for g in found.groups()))
    except ValueError:
        pass
    raise Bad(_("«%(value)s» is not a date; write it as 25.03.2026 or 2026-03-25.",
                value=shown(value)))


MONTHS = {name: i + 1 for names in [
    ("январь января янв january jan", "февраль февраля фев february feb",
     "март марта мар march mar", "апрель апреля апр april apr", "май мая may",
     "июнь июня июн june jun", "июль июля июл july jul", "август августа авг august aug",
     "сентябрь сентября сен сент september sep", "октябрь октября окт october oct",
     "ноябрь ноября ноя november nov", "декабрь декабря дек december dec")]
    for i, group in enumerate(names) for name in group.split()}
PERIOD_PATTERNS = [
    (re.compile(r"(\d{4})[-./](\d{1,2})"), lambda g: (g[0], g[1])),
    (re.compile(r"(\d{1,2})[./](\d{4})"), lambda g: (g[1], g[0])),
    (re.compile(r"0?1[./](\d{1,2})[./](\d{4})"), lambda g: (g[1], g[0])),
    (re.compile(r"(\d{4})-(\d{1,2})-0?1(?:[ T]0?0:00(?::00)?)?"), lambda g: (g[0], g[1])),
]


def period(value):
    """A month: '2026-03', '03.2026', '01.03.2026', 'март 2026' or an Excel date on the 1st."""
    if isinstance(value, (date, datetime)):
        if value.day == 1:
            return date(value.year, value.month, 1)
    else:
        text = str(value).strip().lower().replace("ё", "е")
        words = re.fullmatch(r"([а-яa-z]+)\.?\s+(\d{4})(?:\s*г\.?)?", text)
        if words and words.group(1) in MONTHS:
            return date(int(words.group(2)), MONTHS[words.group(1)], 1)
        for pattern, order in PERIOD_PATTERNS:
            found = pattern.fullmatch(text)
            if found:
                year, month = (int(g) for g in order(found.groups()))
                if 1 <= month <= 12 and FIRST_DAY.year <= year <= LAST_DAY.year:
                    return date(year, month, 1)
    raise Bad(_("«%(value)s» is not a month; write it as 03.2026 or 2026-03.", value=shown(value)))


ACCOUNT_DIGITS = re.compile(r"\d{4,20}")


def account_number(value):
    """'л/с №100001', '100 001' or an Excel number 100001 -> '100001'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalize_account(str(value))
    if not ACCOUNT_DIGITS.fullmatch(text):
        raise Bad(_("«%(value)s» is not an account number: it must have 4 to 20 digits.",
                    value=shown(value)))
    return text


def text_of(limit):
    def parse(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = " ".join(plain_text(str(value)).split())
        if len(text) > limit:
            raise Bad(_("The value is longer than %(limit)s characters.", limit=limit))
        return text
    return parse


def email(value):
    text = text_of(254)(value)
    if not is_email_address(text):
        raise Bad(_("«%(value)s» is not an e-mail address.", value=shown(value)))
    return text


def header_key(text):
    """Header names compare without case, punctuation, 'ё' and repeated spaces."""
    text = str(text or "").lower().replace("ё", "е").replace("№", " ")
    return " ".join(re.sub(r"[^0-9a-zа-я]+", " ", text).split())


METER_WORDS = {kind: row.file_word for kind, row in METER_KIND_TABLE.items()}
KINDS_BY_WORD = {header_key(word): kind for kind, row in METER_KIND_TABLE.items()
                 for word in [kind, row.file_word, *row.other_words.split("|")]}


def meter_kind(value):
    kind = KINDS_BY_WORD.get(header_key(value))
    if kind is None:
        raise Bad(_("Unknown meter kind «%(value)s»; use ХВС, ГВС, электроэнергия, газ or тепло.",
                    value=shown(value)))
    return kind
