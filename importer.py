"""Loading the billing program's files (accounts, charges, payments, meters) from CSV or XLSX.

`check(hoa, files)` reads and validates every file without writing anything and returns a
`Batch` with the problems (file, row, column, message) and the preview figures;
`Batch.save()` then writes everything in one transaction. The formats are in docs/formats.md.
"""
import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import repeat
from pathlib import PurePath

from flask import current_app
from flask_babel import gettext as _

from forms import normalize_account
from models import (
    METER_KINDS, Account, AuditEvent, Charge, Hoa, ImportLog, Meter, MonthBalance, Payment, db,
)

MAX_PROBLEMS = 200
INSERT_BATCH = 2000
CENT = Decimal("0.01")
EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
METER_UNITS = {"cold_water": "м³", "hot_water": "м³", "electricity": "кВт·ч", "gas": "м³",
               "heat": "Гкал"}


class Bad(ValueError):
    """A cell that cannot be read; the message is shown to the accountant."""


# --- reading cells ---------------------------------------------------------------------------

NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
NUMBER_JUNK = str.maketrans({" ": None, "\u00a0": None, "\u202f": None, "\u2009": None,
                             "\t": None, "₽": None, "\u2212": "-", "'": None})


def shown(value):
    text = str(value).strip()
    return text if len(text) <= 40 else text[:37] + "…"


def to_decimal(value):
    """'1 234,50', '1\xa0234.5', 1234.5 -> Decimal; anything else raises Bad."""
    if isinstance(value, bool):
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


def money(value):
    return to_decimal(value).quantize(CENT, ROUND_HALF_UP)


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


def plus_number(value):
    number = to_decimal(value)
    if number < 0:
        raise Bad(_("The value must not be negative."))
    return number


def whole(value):
    number = to_decimal(value)
    if number != number.to_integral_value() or number < 0:
        raise Bad(_("«%(value)s» is not a whole number.", value=shown(value)))
    return int(number)


DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?:\s.*)?")
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")


def day(value):
    """'25.03.2026', '25.03.26', '2026-03-25' or an Excel date cell -> date."""
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
                if 1 <= month <= 12 and 1900 < year < 2200:
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
        text = " ".join(str(value).split())
        if len(text) > limit:
            raise Bad(_("The value is longer than %(limit)s characters.", limit=limit))
        return text
    return parse


def email(value):
    text = text_of(254)(value)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise Bad(_("«%(value)s» is not an e-mail address.", value=shown(value)))
    return text


def header_key(text):
    """Header names compare without case, punctuation, 'ё' and repeated spaces."""
    text = str(text or "").lower().replace("ё", "е").replace("№", " ")
    return " ".join(re.sub(r"[^0-9a-zа-я]+", " ", text).split())


KIND_WORDS = {
    "cold_water": "хвс|холодная вода|холодное водоснабжение|хол вода|cold water",
    "hot_water": "гвс|горячая вода|горячее водоснабжение|гор вода|hot water",
    "electricity": "электроэнергия|электричество|электро|ээ|электрическая энергия|electricity",
    "gas": "газ|gas",
    "heat": "тепло|теплоэнергия|тепловая энергия|отопление|heat",
}
METER_WORDS = {"cold_water": "ХВС", "hot_water": "ГВС", "electricity": "электроэнергия",
               "gas": "газ", "heat": "тепло"}
KINDS_BY_WORD = {header_key(word): kind for kind, words in KIND_WORDS.items()
                 for word in words.split("|")}
KINDS_BY_WORD.update({header_key(kind): kind for kind in METER_KINDS})


def meter_kind(value):
    kind = KINDS_BY_WORD.get(header_key(value))
    if kind is None:
        raise Bad(_("Unknown meter kind «%(value)s»; use ХВС, ГВС, электроэнергия, газ or тепло.",
                    value=shown(value)))
    return kind


# --- the columns of each kind of file --------------------------------------------------------

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
        Column("area", plus_number, "Площадь|общая площадь|площадь м2|площадь кв м|area"),
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
        Column("volume", plus_number, "Объём|объем|количество|кол во|volume"),
        Column("tariff", plus_number, "Тариф|цена|tariff"),
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
        Column("initial_t1", plus_number, "Начальные показания|начальное показание|"
                                          "начальные показания т1|показания т1|т1|"
                                          "начальные показания t1|t1|initial|initial t1"),
        Column("initial_t2", plus_number, "Начальные показания Т2|показания т2|т2|"
                                          "начальные показания t2|t2|initial t2"),
        Column("initial_t3", plus_number, "Начальные показания Т3|показания т3|т3|"
                                          "начальные показания t3|t3|initial t3"),
    ],
}
# a kind is recognised by a column only it has
SIGNATURES = {"accounts": {"address", "owner", "area", "apartment"}, "charges": {"service"},
              "payments": {"paid_on"}, "meters": {"kind", "serial"}}
ALIASES = {kind: {header_key(alias): column for column in columns
                  for alias in column.aliases.split("|")}
           for kind, columns in KINDS.items()}
SKIPPED_ROWS = {"итого", "всего", "total"}
ACCOUNT_BLANKS = {"address": "", "apartment": "", "owner": "", "area": 0, "residents": 0,
                  "email_on_file": "", "registration_code": ""}


# --- reading files ---------------------------------------------------------------------------

@dataclass
class Problem:
    file: str
    row: int | None
    column: str
    message: str

    def __str__(self):
        where = [self.file]
        if self.row:
            where.append(_("row %(row)s", row=self.row))
        if self.column:
            where.append(_("column «%(column)s»", column=self.column))
        return f"{', '.join(where)}: {self.message}"


class FileProblem(Exception):
    """The file as a whole cannot be read."""


@dataclass
class ParsedFile:
    name: str
    sha256: str
    kind: str = ""
    rows: list = field(default_factory=list)  # (row number, (values in KINDS order))
    titles: dict = field(default_factory=dict)  # field -> the header as written in the file


def read_table(name, data):
    """The rows of a CSV or XLSX file as lists of cells, with their row numbers."""
    suffix = PurePath(name).suffix.lower()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("This is an old Excel file (.xls). Open it in Excel or LibreOffice "
                            "and save it as .xlsx or CSV."))
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if suffix not in EXTENSIONS or b"\x00" in data[:4096] or data.startswith(b"%PDF"):
        raise FileProblem(not_a_table())
    return read_csv(data)


def not_a_table():
    return _("This is not a CSV or XLSX file. Save the table from the billing program as CSV "
             "(text with separators) or as an Excel workbook (.xlsx).")


def read_xlsx(data):
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size into the file
        return [(number, list(row)) for number, row in
                enumerate(sheet.iter_rows(values_only=True), start=1)
                if not all(blank(cell) for cell in row)]
    except Exception:  # openpyxl raises many kinds of errors on damaged or foreign files
        raise FileProblem(_("The file could not be read as an Excel workbook (.xlsx): it is "
                            "damaged, protected with a password or not a workbook.")) from None


def decode(data):
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")  # 1C and most Russian billing programs
    except UnicodeDecodeError:
        raise FileProblem(_("The text of the file is in an unknown encoding; save it as UTF-8 "
                            "or Windows-1251.")) from None


def read_csv(data):
    text = decode(data)
    head = [line for line in text.splitlines()[:10] if line.strip()]
    counts = {d: sum(line.count(d) for line in head) for d in (";", "\t", ",")}
    delimiter = max(counts, key=lambda d: counts[d])  # ties go to ';', then tab
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        if len(records) == physical_lines(text):  # no quoted line breaks: row n is line n
            numbered = enumerate(records, start=1)
        else:
            numbered = numbered_records(text, delimiter)
    except csv.Error:
        raise FileProblem(not_a_table()) from None
    return [(n, cells) for n, cells in numbered
            if cells and (cells[0].strip() or "".join(cells).strip())]


def physical_lines(text):
    """Lines as the csv module ends them: at \\n, \\r or \\r\\n."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (0 if not text or text.endswith(("\n", "\r")) else 1)


def numbered_records(text, delimiter):
    """Records with the line each starts on, when quoted cells hold line breaks."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def blank(cell):
    return cell is None or (cell.__class__ is str and not cell.strip())


def parse_file(name, data, problems):
    """Read one file into a ParsedFile; problems are appended to `problems`."""
    parsed = ParsedFile(name=name, sha256=hashlib.sha256(data).hexdigest())
    limit = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        problems.append(Problem(name, None, "", _("The file is larger than %(mb)s MB.",
                                                 mb=limit // (1024 * 1024))))
        return parsed
    if not data.strip():
        problems.append(Problem(name, None, "", _("The file is empty.")))
        return parsed
    try:
        table = read_table(name, data)
    except FileProblem as e:
        problems.append(Problem(name, None, "", str(e)))
        return parsed
    if not table:
        problems.append(Problem(name, None, "", _("The file is empty.")))
        return parsed
    header_at = find_header(table)
    header_row, header = table[header_at]
    mapping = map_header(name, header_row, header, problems, parsed)
    if mapping is None:
        return parsed
    body = table[header_at + 1:]
    if not body:
        problems.append(Problem(name, None, "", _("The file has a header row but no data rows.")))
        return parsed
    parse_rows(parsed, mapping, body, problems)
    return parsed


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


def map_header(name, row, header, problems, parsed):
    """[(cell index, Column)] for the file's header, or None when it cannot be used."""
    keys = [header_key(c) for c in header]
    kind = guess_kind(keys)
    if kind is None:
        problems.append(Problem(name, row, "", _(
            "The column names match no kind of file (accounts, charges, payments, meters). "
            "Check the header row against the list of columns.")))
        return None
    parsed.kind = kind
    aliases, mapping, before = ALIASES[kind], [], len(problems)
    for index, (cell, key) in enumerate(zip(header, keys)):
        if not key:
            continue
        column = aliases.get(key)
        if column is None:
            problems.append(Problem(name, row, shown(cell), _("Unknown column «%(column)s».",
                                                              column=shown(cell))))
        elif column.name in parsed.titles:
            problems.append(Problem(name, row, shown(cell), _(
                "Column «%(column)s» means the same as «%(other)s».",
                column=shown(cell), other=parsed.titles[column.name])))
        else:
            parsed.titles[column.name] = str(cell).strip()
            mapping.append((index, column))
    for column in KINDS[kind]:
        if column.required and column.name not in parsed.titles:
            problems.append(Problem(name, row, column.title, _(
                "The required column «%(column)s» is missing.", column=column.title)))
    return mapping if len(problems) == before else None


def parse_rows(parsed, mapping, body, problems):
    """Parse the table column by column: exports repeat the same values a lot (months,
    accounts, services, tariffs), so each distinct cell of a column is parsed once."""
    width = max(index for index, _c in mapping) + 1
    table = [cells if len(cells) >= width else list(cells) + [None] * (width - len(cells))
             for _n, cells in body]
    numbers = [number for number, _c in body]
    by_index = list(zip(*table))
    first = by_index[mapping[0][0]]
    totals = {c for c in set(first) if c.__class__ is str and header_key(c) in SKIPPED_ROWS}
    # the «Итого» line at the bottom of an export is skipped
    skipped = {i for i, cell in enumerate(first) if cell in totals} if totals else set()
    dropped = set(skipped)
    columns = {}
    for index, column in mapping:
        cells = by_index[index]
        memo = {cell: parse_cell(column.parse, cell) for cell in set(cells)}
        bad = {cell for cell, value in memo.items()
               if value.__class__ is Bad or (value is None and column.required)}
        if bad:
            for i in [i for i, cell in enumerate(cells) if cell in bad and i not in skipped]:
                value = memo[cells[i]]
                message = str(value) if value is not None else _("The value is required.")
                problems.append(Problem(parsed.name, numbers[i], parsed.titles[column.name],
                                        message))
            dropped.update(i for i, cell in enumerate(cells) if cell in bad)
        columns[column.name] = list(map(memo.__getitem__, cells)) if len(memo) > 1 \
            else repeat(next(iter(memo.values())))
    values = zip(*(columns.get(column.name, repeat(None)) for column in KINDS[parsed.kind]))
    if dropped:
        parsed.rows = [pair for i, pair in enumerate(zip(numbers, values)) if i not in dropped]
    else:
        parsed.rows = list(zip(numbers, values))


def parse_cell(parse, cell):
    if blank(cell):
        return None
    try:
        return parse(cell)
    except Bad as e:
        return e


# --- checking a batch of files against the HOA and saving it ---------------------------------

class Batch:
    """The files of one load, read and checked; nothing is written until `save()`."""

    def __init__(self, hoa, files, progress=None):
        self.hoa = hoa
        self.problems = []
        self.files = []
        for name, data in files:
            self.files.append(parse_file(name, data, self.problems))
            if progress:
                progress(name)
        self.accounts, self.charges, self.balances = {}, [], {}
        self.payments, self.meters = [], {}
        if not self.problems:
            self.resolve()

    @property
    def ok(self):
        return not self.problems

    def problem(self, parsed, row, column, message):
        self.problems.append(Problem(parsed.name, row, parsed.titles.get(column, column), message))

    def of_kind(self, kind):
        return [f for f in self.files if f.kind == kind]

    @staticmethod
    def records(parsed):
        """The rows as (row number, {column name: value}), for the kinds that are not bulky."""
        names = [column.name for column in KINDS[parsed.kind]]
        return [(row, dict(zip(names, values))) for row, values in parsed.rows]

    def resolve(self):
        """Check accounts, duplicates and HOA boundaries; collect the rows to save."""
        hoa = self.hoa
        self.known = dict(Account.select(Account.number, Account.id)
                          .where(Account.hoa == hoa).tuples())
        self.verdicts = {}
        seen = {}
        for parsed in self.of_kind("accounts"):
            for row, values in self.records(parsed):
                number = values["number"]
                if self.duplicate(seen, ("accounts", number), parsed, row):
                    continue
                message = self.foreign(number, own_prefix_needed=True)
                if message:
                    self.problem(parsed, row, "number", message)
                else:
                    self.accounts[number] = (values, parsed)
        for kind in ("charges", "payments", "meters"):
            for parsed in self.of_kind(kind):
                getattr(self, f"take_{kind}")(parsed, seen)

    def duplicate(self, seen, key, parsed, row):
        if key in seen:
            name, first = seen[key]
            self.problem(parsed, row, "", _("This row repeats %(file)s, row %(row)s.",
                                            file=name, row=first))
            return True
        seen[key] = (parsed.name, row)
        return False

    def foreign(self, number, own_prefix_needed=False):
        """Why an account number cannot be used in this HOA, or None when it can."""
        if number in self.known or (not own_prefix_needed and number in self.accounts):
            return None
        key = (number, own_prefix_needed)
        if key not in self.verdicts:
            self.verdicts[key] = self.judge(number, own_prefix_needed)
        return self.verdicts[key]

    def judge(self, number, own_prefix_needed):
        owner = Hoa.for_number(number)
        other = Account.get_or_none(Account.number == number)
        if (other is not None and other.hoa_id != self.hoa.id) or \
                (owner is not None and owner.id != self.hoa.id):
            return _("Account %(number)s belongs to another HOA.", number=number)
        if own_prefix_needed:
            if self.hoa.prefix_list and owner is None:
                return _("Account %(number)s does not start with this HOA's prefix "
                         "(%(prefixes)s).", number=number, prefixes=self.hoa.prefixes)
            return None
        return _("Account %(number)s is not among this HOA's accounts. Load the accounts file "
                 "first or check the number.", number=number)

    def take_charges(self, parsed, seen):
        has_balance = "opening_balance" in parsed.titles or "penalty" in parsed.titles
        zero = Decimal("0.00")
        known = self.known  # the loop below runs for every charge row: keep it lean
        for row, (month, number, service, unit, volume, tariff, amount, recalculation, benefit,
                  opening, penalty, to_pay) in parsed.rows:
            if number not in known:
                message = self.foreign(number)
                if message:
                    self.problem(parsed, row, "account", message)
                    continue
            key = ("charges", month, number, service.lower())
            if key in seen:
                self.duplicate(seen, key, parsed, row)
                continue
            seen[key] = (parsed.name, row)
            recalculation, benefit = recalculation or zero, benefit or zero
            if to_pay is not None and to_pay != amount + recalculation - benefit:
                self.problem(parsed, row, "to_pay", _(
                    "«To pay» %(given)s differs from amount + recalculation − benefit = "
                    "%(computed)s.", given=to_pay, computed=amount + recalculation - benefit))
                continue
            self.charges.append((number, month, service, unit or "", volume or 0, tariff or 0,
                                 amount, recalculation, benefit))
            if has_balance:
                self.take_balance(parsed, row, (number, month), opening, penalty)

    def take_balance(self, parsed, row, key, opening, penalty):
        if key not in self.balances:
            self.balances[key] = [None, None, row]
        balance = self.balances[key]
        for slot, name, value in ((0, "opening_balance", opening), (1, "penalty", penalty)):
            if value is None:
                continue
            if balance[slot] is not None and balance[slot] != value:
                self.problem(parsed, row, name, _(
                    "The value differs from row %(row)s of the same account and month.",
                    row=balance[2]))
            balance[slot] = value

    def take_payments(self, parsed, seen):
        for row, v in self.records(parsed):
            number = v["account"]
            message = self.foreign(number)
            if message:
                self.problem(parsed, row, "account", message)
                continue
            month = v["period"] or v["paid_on"].replace(day=1)
            key = ("payments", number, v["paid_on"], v["amount"], v["reference"] or "")
            if not self.duplicate(seen, key, parsed, row):
                self.payments.append((number, month, v["paid_on"], v["amount"],
                                      v["reference"] or ""))

    def take_meters(self, parsed, seen):
        for row, v in self.records(parsed):
            number = v["account"]
            message = self.foreign(number)
            if message:
                self.problem(parsed, row, "account", message)
                continue
            if self.duplicate(seen, ("meters", number, v["serial"]), parsed, row):
                continue
            readings = [v["initial_t1"], v["initial_t2"], v["initial_t3"]]
            given = [i + 1 for i, r in enumerate(readings) if r is not None]
            zones = v["zones"] or max([1] + given)
            if not 1 <= zones <= 3:
                self.problem(parsed, row, "zones", _("A meter has 1, 2 or 3 tariff zones."))
                continue
            if zones > 1 and v["kind"] != "electricity":
                self.problem(parsed, row, "zones", _(
                    "Only electricity meters have more than one tariff zone."))
                continue
            extra = [i + 1 for i, r in enumerate(readings) if r is not None and i >= zones]
            if extra:
                self.problem(parsed, row, f"initial_t{extra[0]}", _(
                    "There is a reading for zone %(zone)s, but the meter has %(zones)s.",
                    zone=extra[0], zones=zones))
                continue
            values = dict(
                kind=v["kind"], unit=METER_UNITS[v["kind"]], serial=v["serial"],
                place=v["place"] or "", zones=zones, verified_until=v["verified_until"],
                commissioned_on=v["commissioned_on"],
                initial_t1=readings[0] or 0,
                initial_t2=(readings[1] or 0) if zones >= 2 else None,
                initial_t3=(readings[2] or 0) if zones >= 3 else None)
            self.meters[(number, v["serial"])] = (values, meter_columns(parsed.titles))

    # --- the preview -------------------------------------------------------------------------

    def summary(self):
        """Counts and control totals for the preview page and the log."""
        hoa_accounts = Account.select(Account.id).where(Account.hoa == self.hoa)
        new = [n for n in self.accounts if n not in self.known]
        charges = defaultdict(lambda: dict(rows=0, accounts=set(), amount=Decimal(0),
                                           recalculation=Decimal(0), benefit=Decimal(0),
                                           to_pay=Decimal(0), opening_balance=Decimal(0),
                                           penalty=Decimal(0), replaces=0))
        for number, month, _s, _u, _v, _t, amount, recalculation, benefit in self.charges:
            total = charges[month]
            total["rows"] += 1
            total["accounts"].add(number)
            total["amount"] += amount
            total["recalculation"] += recalculation
            total["benefit"] += benefit
            total["to_pay"] += amount + recalculation - benefit
        for (number, month), (opening, penalty, _row) in self.balances.items():
            charges[month]["opening_balance"] += opening or 0
            charges[month]["penalty"] += penalty or 0
        for month, total in charges.items():
            total["accounts"] = len(total["accounts"])
            total["replaces"] = Charge.select().where(Charge.period == month,
                                                      Charge.account.in_(hoa_accounts)).count()
        payments = defaultdict(lambda: dict(rows=0, amount=Decimal(0), replaces=0))
        for _n, month, _d, amount, _r in self.payments:
            payments[month]["rows"] += 1
            payments[month]["amount"] += amount
        for month, total in payments.items():
            total["replaces"] = Payment.select().where(Payment.period == month,
                                                       Payment.account.in_(hoa_accounts)).count()
        meter_kinds = defaultdict(int)
        for meter, _columns in self.meters.values():
            meter_kinds[meter["kind"]] += 1
        return dict(
            files=[dict(name=f.name, kind=f.kind, rows=len(f.rows), sha256=f.sha256)
                   for f in self.files],
            accounts=dict(rows=len(self.accounts), new=len(new),
                          updated=len(self.accounts) - len(new)),
            charges=sorted(charges.items()), payments=sorted(payments.items()),
            meters=dict(rows=len(self.meters), kinds=dict(sorted(meter_kinds.items()))))

    # --- saving ------------------------------------------------------------------------------

    def save(self, accountant=None, ip=""):
        """Write everything in one transaction; a month in the files replaces that month."""
        assert self.ok, "a batch with problems is never saved"
        with db.atomic():
            self.save_accounts()
            ids = dict(Account.select(Account.number, Account.id)
                       .where(Account.hoa == self.hoa).tuples())
            hoa_accounts = Account.select(Account.id).where(Account.hoa == self.hoa)
            self.save_charges(ids, hoa_accounts)
            self.save_payments(ids, hoa_accounts)
            self.save_meters(ids, hoa_accounts)
            for parsed in self.files:
                ImportLog.create(hoa=self.hoa, accountant=accountant, filename=parsed.name[:255],
                                 sha256=parsed.sha256, kind=parsed.kind,
                                 counts=json.dumps(self.counts(parsed), ensure_ascii=False))
            AuditEvent.record("import", ip, hoa=self.hoa, accountant=accountant,
                              detail=json.dumps(self.totals(), ensure_ascii=False))
        return self.totals()

    def counts(self, parsed):
        """Rows and months of one file, for its import log entry."""
        months = set()
        if parsed.kind in ("charges", "payments"):
            names = [column.name for column in KINDS[parsed.kind]]
            at, paid = names.index("period"), names.index("paid_on") if "paid_on" in names else 0
            months = {v[at] or v[paid].replace(day=1) for _r, v in parsed.rows}
        return {"rows": len(parsed.rows), "periods": sorted(str(m)[:7] for m in months)}

    def totals(self):
        """Rows saved per kind (and per month), for the log and the command line."""
        def per_month(rows):
            return {str(month)[:7]: n for month, n in sorted(Counter(r[1] for r in rows).items())}
        return {"files": [f.name for f in self.files], "accounts": len(self.accounts),
                "charges": per_month(self.charges), "payments": per_month(self.payments),
                "meters": len(self.meters)}

    def save_accounts(self):
        """Columns the file has are written; the others keep their values (or defaults)."""
        new_rows = []
        for number, (values, parsed) in self.accounts.items():
            fields = {name: ACCOUNT_BLANKS[name] if values[name] is None else values[name]
                      for name in parsed.titles if name != "number"}
            if number in self.known:
                Account.update(**fields).where(Account.id == self.known[number]).execute()
            else:
                new_rows.append(dict(ACCOUNT_BLANKS, **fields, number=number, hoa=self.hoa.id))
        for start in range(0, len(new_rows), 500):
            Account.insert_many(new_rows[start:start + 500]).execute()

    def save_charges(self, ids, hoa_accounts):
        months = {row[1] for row in self.charges}
        if not months:
            return
        Charge.delete().where(Charge.period.in_(months), Charge.account.in_(hoa_accounts)).execute()
        MonthBalance.delete().where(MonthBalance.period.in_(months),
                                    MonthBalance.account.in_(hoa_accounts)).execute()
        fields = [Charge.account, Charge.period, Charge.service, Charge.unit, Charge.volume,
                  Charge.tariff, Charge.amount, Charge.recalculation, Charge.benefit]
        rows = [(ids[row[0]],) + row[1:] for row in self.charges]
        insert_rows(Charge, fields, rows)
        balances = [(ids[number], month, opening or 0, penalty or 0)
                    for (number, month), (opening, penalty, _row) in self.balances.items()]
        insert_rows(MonthBalance, [MonthBalance.account, MonthBalance.period,
                                   MonthBalance.opening_balance, MonthBalance.penalty], balances)

    def save_payments(self, ids, hoa_accounts):
        months = {row[1] for row in self.payments}
        if not months:
            return
        Payment.delete().where(Payment.period.in_(months),
                               Payment.account.in_(hoa_accounts)).execute()
        rows = [(ids[row[0]],) + row[1:] for row in self.payments]
        insert_rows(Payment, [Payment.account, Payment.period, Payment.paid_on, Payment.amount,
                              Payment.reference], rows)

    def save_meters(self, ids, hoa_accounts):
        if not self.meters:
            return
        existing = {(a, s): pk for pk, a, s in Meter.select(Meter.id, Meter.account, Meter.serial)
                    .where(Meter.account.in_(hoa_accounts)).tuples()}
        for (number, serial), (values, columns) in self.meters.items():
            pk = existing.get((ids[number], serial))
            if pk:
                Meter.update(**{k: v for k, v in values.items() if k in columns}) \
                    .where(Meter.id == pk).execute()
            else:
                Meter.create(account=ids[number], **values)


def meter_columns(titles):
    """The meter fields a file sets: those it has columns for (zones go with the readings)."""
    columns = {"kind", "unit", "serial"} | set(titles)
    if columns & {"zones", "initial_t1", "initial_t2", "initial_t3"}:
        columns |= {"zones", "initial_t2", "initial_t3"}
    return columns


def insert_rows(model, fields, rows):
    """One prepared INSERT run over every row: Model.insert_many builds its SQL value by value
    in Python, which made a 100,000-row month seven times slower than sqlite3's executemany."""
    if not rows:
        return
    table = model._meta.table_name
    names = ", ".join(f.column_name for f in fields)
    marks = ", ".join([db.param] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    cursor = db.cursor()  # peewee registers sqlite3 adapters for Decimal and date
    for start in range(0, len(rows), INSERT_BATCH):
        cursor.executemany(sql, rows[start:start + INSERT_BATCH])


def check(hoa, files, progress=None):
    """Read and check files [(name, bytes)] for an HOA; nothing is written."""
    return Batch(hoa, files, progress)


def summary_lines(summary):
    """The preview's figures as plain lines for the command line."""
    from app import format_money
    accounts, meters = summary["accounts"], summary["meters"]
    lines = [f"{f['name']}: {f['kind']}, {f['rows']} rows, SHA-256 {f['sha256'][:16]}…"
             for f in summary["files"]]
    if accounts["rows"]:
        lines.append(f"accounts: {accounts['rows']} ({accounts['new']} new, "
                     f"{accounts['updated']} updated)")
    for month, t in summary["charges"]:
        lines.append(f"charges {month:%m.%Y}: {t['rows']} rows, {t['accounts']} accounts, "
                     f"charged {format_money(t['amount'])}, recalculations "
                     f"{format_money(t['recalculation'])}, benefits {format_money(t['benefit'])}, "
                     f"to pay {format_money(t['to_pay'])}; replaces {t['replaces']} rows")
    for month, t in summary["payments"]:
        lines.append(f"payments {month:%m.%Y}: {t['rows']} rows, {format_money(t['amount'])}; "
                     f"replaces {t['replaces']} rows")
    if meters["rows"]:
        lines.append(f"meters: {meters['rows']} " + ", ".join(
            f"{kind} {n}" for kind, n in meters["kinds"].items()))
    return lines


# --- uploaded files waiting between the preview and the confirmation ------------------------

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
STASH_HOURS = 12


def stash_folder():
    """IMPORT_DIR, or 'imports' next to the SQLite file, or a folder in the system's temp."""
    database = current_app.config["DATABASE"]
    folder = current_app.config.get("IMPORT_DIR") or (
        os.path.join(tempfile.gettempdir(), "domkom-import") if "://" in database
        else os.path.join(os.path.dirname(os.path.abspath(database)), "imports"))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def stash(files):
    """Keep uploaded files on the server; the random token is all the session holds."""
    folder = stash_folder()
    forget_old(folder)
    token = secrets.token_urlsafe(24)
    path = os.path.join(folder, token)
    os.mkdir(path, 0o700)
    for index, (name, data) in enumerate(files):
        with open(os.path.join(path, f"{index}.data"), "wb") as f:
            f.write(data)
    with open(os.path.join(path, "names.json"), "w", encoding="utf-8") as f:
        json.dump([name for name, _d in files], f)
    return token


def unstash(token):
    """The files kept under a token, or None when the token is unknown or expired."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return None
    path = os.path.join(stash_folder(), token)
    try:
        with open(os.path.join(path, "names.json"), encoding="utf-8") as f:
            names = json.load(f)
        files = []
        for index, name in enumerate(names):
            with open(os.path.join(path, f"{index}.data"), "rb") as f:
                files.append((name, f.read()))
        return files
    except (OSError, ValueError):
        return None


def discard(token):
    if isinstance(token, str) and TOKEN.fullmatch(token):
        shutil.rmtree(os.path.join(stash_folder(), token), ignore_errors=True)


def forget_old(folder):
    """Uploads never confirmed are removed after STASH_HOURS."""
    limit = time.time() - STASH_HOURS * 3600
    for entry in os.scandir(folder):
        if TOKEN.fullmatch(entry.name) and entry.stat().st_mtime < limit:
            shutil.rmtree(entry.path, ignore_errors=True)


def request_context():
    """Messages are translated per request; commands run inside a stand-in request."""
    from contextlib import nullcontext

    from flask import has_request_context
    return nullcontext() if has_request_context() else current_app.test_request_context()
