"""Reading an imported CSV or XLSX file into rows: encodings, delimiters, the header, the cells.

An XLSX file is a zip of XML parts; a few megabytes can unpack to gigabytes, and one cell at
column XFD makes every row 16 384 cells wide. So the parts are inspected before openpyxl
reads anything: their unpacked sizes and packing ratio, then a streaming pass over each sheet
counting its rows, columns and cells. What no billing export has is refused with a message;
the rest is read row by row, no wider than the widest filled column.
"""
import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import PurePath

from flask import current_app
from flask_babel import gettext as _

from importcolumns import (
    ALIASES, KINDS, Bad, blank, find_header, guess_kind, header_key, parse_cell, shown,
)

EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
SKIPPED_ROWS = {"итого", "всего", "total"}
MB = 1024 * 1024
MAX_COLUMNS = 200  # a billing export has a few dozen
MAX_ROWS = 1_048_576  # Excel's own limit
MAX_PART = 16 * MB  # styles, the workbook, relations: a real file has kilobytes
MAX_RATIO = 200  # XML packs 5–20 times; a bomb packs a thousand times
WINDOW = 256 * 1024  # every WINDOW bytes of XML hold a '<': no text runs for megabytes
BLOCK = 16 * WINDOW
TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|si)(?=[\s/>])([^>]*)>")
REF = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]*)(\d*)["\']')


class FileProblem(Exception):
    """The file as a whole cannot be read."""


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


@dataclass
class ParsedFile:
    name: str
    sha256: str
    kind: str = ""
    rows: list = field(default_factory=list)  # (row number, (values in KINDS order))
    titles: dict = field(default_factory=dict)  # field -> the header as written in the file
    # (row number, account) of the rows refused for another cell: their account is still checked
    unchecked: list = field(default_factory=list)


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
        records = list(bounded(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
        if len(records) == physical_lines(text):  # no quoted line breaks: row n is line n
            numbered = enumerate(records, start=1)
        else:
            numbered = list(numbered_records(text, delimiter))
    except csv.Error:
        raise FileProblem(not_a_table()) from None
    return [(n, cells) for n, cells in numbered
            if cells and (cells[0].strip() or "".join(cells).strip())]


def bounded(records):
    """The records, refusing a file with more cells or columns than a billing export has."""
    max_cells, cells = current_app.config["IMPORT_MAX_CELLS"], 0
    for record in records:
        cells += len(record)
        if cells > max_cells:
            raise too_many(max_cells)
        if len(record) > MAX_COLUMNS:
            raise FileProblem(_("A row has %(count)s columns; a billing export has at most "
                                "%(limit)s.", count=len(record), limit=MAX_COLUMNS))
        yield record


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
    columns, accounts = {}, None
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
        if column.name in ("number", "account"):
            accounts = cells, memo
        columns[column.name] = list(map(memo.__getitem__, cells)) if len(memo) > 1 \
            else repeat(next(iter(memo.values())))
    values = zip(*(columns.get(column.name, repeat(None)) for column in KINDS[parsed.kind]))
    if dropped:
        parsed.rows = [pair for i, pair in enumerate(zip(numbers, values)) if i not in dropped]
        cells, memo = accounts
        parsed.unchecked = [(numbers[i], memo[cells[i]]) for i in sorted(dropped - skipped)
                            if memo[cells[i]].__class__ is str]
    else:
        parsed.rows = list(zip(numbers, values))


# --- XLSX workbooks -----------------------------------------------------------------------

def damaged():
    return FileProblem(_("The file could not be read as an Excel workbook (.xlsx): it is "
                         "damaged, protected with a password or not a workbook."))


def read_xlsx(data):
    """The first sheet's rows that have a value, as (row number, [cells])."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        shape = inspect(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, zlib.error):  # damaged, encrypted or oddly packed
        raise damaged() from None
    if not shape.sheets:
        raise damaged()
    if shape.columns == 0:
        return []
    # lazily: openpyxl brings PIL, which a worker must not hold (see forked.py)
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size into the file
        rows = sheet.iter_rows(max_col=shape.columns, max_row=shape.rows, values_only=True)
        width = shape.columns
        return [(number, list(row)) for number, row in enumerate(rows, start=1)
                if row.count(None) != width and not all(blank(cell) for cell in row)]
    except Exception:  # openpyxl raises many kinds of errors on damaged or foreign files
        raise damaged() from None


class Shape:
    """What the sheets hold: the last row and column with a cell, and how many cells."""

    def __init__(self):
        self.rows = self.columns = self.filled_rows = self.cells = self.strings = 0
        self.sheets = 0


def inspect(archive):
    limit = current_app.config["IMPORT_MAX_BYTES"]
    cells = current_app.config["IMPORT_MAX_CELLS"]
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    if unpacked > 4 * limit:  # a file within the cell limit unpacks to some 50 MB at most
        raise FileProblem(_(
            "The workbook unpacks to %(size)s MB, far more than a billing export; save the "
            "table as CSV or split it by months.", size=unpacked // MB))
    shape = Shape()
    for info in infos:
        name = info.filename.lower()
        if info.file_size > MB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileProblem(_("The workbook is packed unusually tightly (%(ratio)s times); "
                                "save the table as CSV.",
                                ratio=info.file_size // max(info.compress_size, 1)))
        if not name.endswith((".xml", ".rels")):
            continue
        sheet = name.startswith("xl/worksheets/")
        if not sheet and not name.endswith("sharedstrings.xml") and info.file_size > MAX_PART:
            raise FileProblem(_("The workbook holds a part too large for a table (%(part)s); "
                                "save the table as CSV.", part=info.filename[:60]))
        shape.sheets += sheet
        with archive.open(info) as stream:
            scan(stream, shape, sheet, cells)
    return shape


def scan(stream, shape, sheet, max_cells):
    """Count the rows and cells of a sheet (or the shared strings of another part) into
    `shape`, refusing what is out of bounds."""
    carry, row, column, row_filled = b"", 0, 0, True
    while block := stream.read(BLOCK):
        for start in range(0, len(block), WINDOW):
            if b"<" not in block[start:start + WINDOW] and len(block) - start >= WINDOW:
                raise FileProblem(too_long())
        text = carry + block
        cut = text.rfind(b"<")
        if cut < 0:
            cut = len(text)
        carry = text[cut:]
        if len(carry) > 2 * WINDOW:
            raise FileProblem(too_long())
        for tag, attributes in TAG.findall(text, 0, cut):
            ref = REF.search(attributes)
            if tag == b"si":
                shape.strings += 1
                if shape.strings > max_cells:
                    raise too_many(max_cells)
            elif not sheet:
                continue
            elif tag == b"c":
                column = column_number(ref.group(1)) if ref and ref.group(1) else column + 1
                shape.cells += 1
                shape.columns = max(shape.columns, column)
                if not row_filled:
                    row_filled, shape.filled_rows = True, shape.filled_rows + 1
                if shape.columns > MAX_COLUMNS:
                    raise FileProblem(_(
                        "The sheet has cells in column %(column)s; a billing export has at most "
                        "%(limit)s columns. Delete the empty columns to the right of the table "
                        "or save it as CSV.", column=column_name(column), limit=MAX_COLUMNS))
                if shape.filled_rows * shape.columns > max_cells:
                    raise too_many(max_cells)
            elif tag == b"row":
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                column, row_filled = 0, False
                shape.rows = max(shape.rows, row)
                if shape.rows > MAX_ROWS:
                    raise FileProblem(_("The sheet has more rows than Excel allows."))


def too_long():
    return FileProblem(_("The workbook holds a text far longer than an Excel cell can; save "
                         "the table as CSV."))


def too_many(max_cells):
    return FileProblem(_("The table has more than %(cells)s cells; split it into several "
                         "files, e.g. by months.", cells=f"{max_cells:,}".replace(",", " ")))


def column_number(letters):
    number = 0
    for letter in letters.upper()[:4]:
        number = number * 26 + letter - 64
    return number


def column_name(number):
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name
