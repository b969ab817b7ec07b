"""Hostile XLSX files, built as an attacker would: valid zips whose sheets are out of bounds."""
import base64
import io
import random
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"
HEADER = ("Лицевой счёт", "Адрес", "Собственник")


def text_cell(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row():
    return b'<row r="1">' + b"".join(text_cell(f"{col}1", name)
                                     for col, name in zip("ABC", HEADER)) + b"</row>"


def workbook(rows, level=9):
    """A one-sheet workbook, no <dimension>; `rows` yields the sheet's XML after the header."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD + header_row())
            for chunk in rows:
                sheet.write(chunk)
            sheet.write(SHEET_TAIL)
    return out.getvalue()


def account_row(n):
    return (f'<row r="{n}">'.encode() + text_cell(f"A{n}", 100000 + n)
            + text_cell(f"B{n}", "ул. Солнечная, д. 12") + text_cell(f"C{n}", "Иванов") + b"</row>")


def inflated(megabytes):
    """The same rows over and over: a few MB that unpack to `megabytes`."""
    block = b"".join(b'<row><c t="inlineStr"><is><t>100001</t></is></c><c t="inlineStr"><is>'
                     b"<t>x</t></is></c></row>" for _ in range(16000))
    return workbook(block for _ in range(megabytes * 1024 * 1024 // len(block)))


def far_column(rows=2000):
    """Every row has a cell at column XFD (16 384), the last Excel has."""
    return workbook(account_row(n)[:-6] + f'<c r="XFD{n}"><v>1</v></c></row>'.encode()
                    for n in range(2, rows + 2))


def many_cells(rows=60000, columns=12):
    """Well within the size limits, but more cells than a billing export has."""
    def lines():
        for n in range(2, rows + 2):
            yield f'<row r="{n}">'.encode() + b"".join(
                f"<c><v>{n * columns + k}</v></c>".encode() for k in range(columns)) + b"</row>"
    return workbook(lines(), level=1)


def far_row():
    """A real first row, then one a million rows below: read as a million empty rows."""
    return workbook([account_row(2), b'<row r="99999999"><c t="inlineStr"><is><t>1</t></is>'
                                     b'</c></row>'])


def long_text(megabytes=60, varied=False):
    """One cell holding megabytes of text; an Excel cell holds at most 32 767 characters.
    `varied` text packs no better than ordinary XML, so only its length gives it away."""
    size = megabytes * 1024 * 1024
    text = (base64.b64encode(random.Random(1).randbytes(size * 3 // 4)) if varied
            else b"\xd0\xaf" * (size // 2))
    return workbook([b'<row r="2"><c t="inlineStr"><is><t>' + text + b"</t></is></c></row>"])


def legit(rows):
    """An accounts file as a billing program writes it, `rows` accounts long."""
    return workbook(account_row(n) for n in range(2, rows + 2))
