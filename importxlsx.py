"""Reading an XLSX workbook within bounded memory and time, whatever is packed inside it.

An XLSX file is a zip of XML parts; a few megabytes can unpack to gigabytes, and one cell at
column XFD makes every row 16 384 cells wide. So the parts are inspected before openpyxl
reads anything: their unpacked sizes and packing ratio, then a streaming pass over each sheet
counting its rows, columns and cells. What no billing export has is refused with a message;
the rest is read row by row, no wider than the widest filled column.
"""
import io
import re
import zipfile
import zlib

from flask import current_app
from flask_babel import gettext as _

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


def blank(cell):
    return cell is None or (cell.__class__ is str and not cell.strip())


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
