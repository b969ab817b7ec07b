"""The columns of each kind of imported file (accounts, charges, payments, meters), their
names in a header, and the parsers of their cells: numbers, money, dates, months, accounts."""
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from emails import is_email_address
from formats import format_number
from meter_models import METER_KIND_TABLE, Meter
from models import Account, Charge, normalize_account
from periods import FIRST_DAY, LAST_DAY
from texts import plain_text


class Bad(ValueError):
    """A cell that cannot be read; the message is shown to the accountant."""


NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
NUMBER_JUNK = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None,
                             "\t": None, "₽": None, "\u2212": "-", "'": None})


def shown(value):
    """A cell as the accountant saw it in the file (an Excel date cell as 05.12.2026, an
    Excel number with a decimal comma)."""
    if isinstance(value, (date, datetime)):
        text = f"{value:%d.%m.%Y}"
    elif isinstance(value, float):
        text = format_number(value, places=6) if math.isfinite(value) else str(value)
    else:
        text = str(value).strip()
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


def blank(cell):
    return cell is None or (cell.__class__ is str and not cell.strip())


def parse_cell(parse, cell):
    if blank(cell):
        return None
    try:
        return parse(cell)
    except Bad as e:
        return e


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


# non-negative numbers that fit their columns
area, volume, tariff = (plus_number_of(f) for f in (Account.area, Charge.volume, Charge.tariff))
reading = plus_number_of(Meter.initial_t1)

METER_UNITS = {"cold_water": "м³", "hot_water": "м³", "electricity": "кВт·ч", "gas": "м³",
               "heat": "Гкал"}


@dataclass
class Column:
    name: str
    parse: object
    aliases: str  # the first alias is the one the documentation and messages use
    required: bool = False

    @property
    def title(self):
        return self.aliases.split("|")[0]


ACCOUNT = ("Лицевой счёт|лицевой счет|л/с|лс|номер л/с|№ л/с|номер лицевого счета|счет|account|"
           "account number")
KINDS = {
    "accounts": [
        Column("number", account_number, ACCOUNT, True),
        Column("address", text_of(255), "Адрес|адрес дома|address", True),
        Column("apartment", text_of(20), "Квартира|кв|кв.|№ кв|помещение|apartment|flat"),
        Column("owner", text_of(255), "Собственник|владелец|фио|фио собственника|owner"),
        Column("area", area, "Площадь|общая площадь|площадь м2|площадь кв м|area"),
        Column("residents", whole, "Проживает|проживающих|зарегистрировано|кол во проживающих|"
                                   "residents"),
        Column("email_on_file", email, "E-mail|email|эл почта|электронная почта"),
        Column("registration_code", text_of(40), "Код регистрации|код|registration code"),
    ],
    "charges": [
        Column("period", period, "Период|месяц|расчетный период|period|month", True),
        Column("account", account_number, ACCOUNT, True),
        Column("service", text_of(255), "Услуга|наименование услуги|вид услуги|service", True),
        Column("unit", text_of(20), "Ед. изм.|единица измерения|ед изм|единица|unit"),
        Column("volume", volume, "Объём|объем|количество|кол во|volume"),
        Column("tariff", tariff, "Тариф|цена|tariff"),
        Column("amount", plus_money, "Начислено|начислено по тарифу|сумма|amount", True),
        Column("recalculation", money, "Перерасчёт|перерасчет|перерасчеты|корректировка|"
                                       "recalculation"),
        Column("benefit", plus_money, "Льгота|льготы|субсидия|benefit"),
        Column("opening_balance", money, "Входящее сальдо|сальдо на начало|долг на начало|"
                                         "сальдо входящее|opening balance"),
        Column("penalty", plus_money, "Пени|penalty"),
        Column("to_pay", money, "К оплате|итого к оплате|итого|to pay"),
    ],
    "payments": [
        Column("account", account_number, ACCOUNT, True),
        Column("paid_on", day, "Дата оплаты|дата платежа|дата|paid on|date", True),
        Column("amount", positive_money, "Сумма|сумма оплаты|оплачено|amount", True),
        Column("period", period, "Период|месяц|учтено в периоде|period|month"),
        Column("reference", text_of(255), "Плательщик/банк|назначение|банк|плательщик|"
                                          "документ|reference"),
    ],
    "meters": [
        Column("account", account_number, ACCOUNT, True),
        Column("kind", meter_kind, "Вид|вид счетчика|тип|ресурс|услуга|kind", True),
        Column("serial", text_of(64), "Заводской номер|номер счетчика|зав номер|серийный номер|"
                                      "serial", True),
        Column("place", text_of(255), "Место установки|место|place"),
        Column("zones", whole, "Тарифность|зоны|число зон|кол во зон|zones"),
        Column("verified_until", day, "Поверка до|дата следующей поверки|следующая поверка|"
                                      "verified until"),
        Column("commissioned_on", day, "Дата установки|введен в эксплуатацию|установлен|"
                                       "commissioned on"),
        Column("initial_t1", reading, "Начальные показания|начальное показание|"
                                          "начальные показания т1|показания т1|т1|"
                                          "начальные показания t1|t1|initial|initial t1"),
        Column("initial_t2", reading, "Начальные показания Т2|показания т2|т2|"
                                          "начальные показания t2|t2|initial t2"),
        Column("initial_t3", reading, "Начальные показания Т3|показания т3|т3|"
                                          "начальные показания t3|t3|initial t3"),
    ],
}
# a kind is recognised by a column only it has
SIGNATURES = {"accounts": {"address", "owner", "area", "apartment"}, "charges": {"service"},
              "payments": {"paid_on"}, "meters": {"kind", "serial"}}
ALIASES = {kind: {header_key(alias): column for column in columns
                  for alias in column.aliases.split("|")}
           for kind, columns in KINDS.items()}
ACCOUNT_BLANKS = {"address": "", "apartment": "", "owner": "", "area": 0, "residents": 0,
                  "email_on_file": "", "registration_code": ""}


def find_header(table):
    """Billing exports often put a title above the header: take the first row naming a kind."""
    for index, (_row, cells) in enumerate(table[:10]):
        if guess_kind([header_key(c) for c in cells]):
            return index
    return 0


def guess_kind(keys):
    best, best_score = None, 0
    for kind, aliases in ALIASES.items():
        names = {aliases[k].name for k in keys if k in aliases}
        if names & SIGNATURES[kind] and len(names) > best_score:
            best, best_score = kind, len(names)
    return best
