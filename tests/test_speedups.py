"""speedups.py: each fast path gives exactly what the plain library call gives, and the library
internals it relies on are still there (an upgrade that changes one fails here, loudly)."""
import inspect
import io
import random
import sys
from datetime import date
from decimal import Decimal

from flask import g
from flask_babel import force_locale, get_translations
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token
from peewee import CursorWrapper, DatabaseProxy, Model, ModelSelect, Select

import pytest
import segno
from helpers import ROOT
from factories_meters import add_reading, make_meter

import ledger
import meter_models
import models
import speedups
import speedups_pdf
from models import Account, Charge, Hoa, MonthBalance, Payment, Resident, db


def plain(row):
    """A row as comparable data: a model with the models joined to it, or the tuple itself."""
    if isinstance(row, Model):
        return type(row), row.__data__, {k: plain(v) for k, v in row.__rel__.items()}
    return row


def test_peewees_cursor_wrapper_internals_are_what_prepared_uses(demo):
    for query_class in (ModelSelect, Select):
        parameters = list(inspect.signature(query_class._get_cursor_wrapper).parameters)
        assert parameters == ["self", "cursor"], query_class
    for name in ("initialize", "iterator"):
        assert list(inspect.signature(getattr(CursorWrapper, name)).parameters) == ["self"]
    with demo.app_context():
        query = Account.select().where(Account.id == 1)
        assert isinstance(query._database, DatabaseProxy) and query._database.obj is db.obj
        wrapper = query._get_cursor_wrapper(db.execute_sql(*query.sql()))
        assert isinstance(wrapper, CursorWrapper) and wrapper.initialized is False
        assert [plain(row) for row in wrapper.iterator()] == [plain(row) for row in query]


def prepared_calls(demo):
    """(name, Prepared, values) for every prepared query of the tree, on the demo's data."""
    with demo.app_context():
        meter = make_meter("100001")
        period = date(2026, 2, 1)
        for month, value in ((1, 10), (2, 12), (2, 13), (3, 20)):
            add_reading(meter, date(2026, month, 1), value)
        account = meter.account
        hoa = Hoa.get(Hoa.prefixes == "10")
        resident = Resident.create(account=account, email="r@example.ru", password_hash="x")
        day = date(2026, 3, 1)
    by_arguments = {
        ("rid",): (resident.id,), ("day",): (day,), ("hoa_id", "day"): (hoa.id, day),
        ("account_id",): (account.id,), ("meter_id", "before"): (meter.id, date(2026, 12, 1)),
        ("meter_id", "before", "months"): (meter.id, date(2026, 12, 1), 6),
        ("meter_id", "period"): (meter.id, period),
        ("account_id", "since", "until"): (account.id, date.min, date.max),
        ("account_id", "period"): (account.id, period), ("resident_id",): (resident.id,),
        ("hoa", "day"): (hoa.id, day), ("limit",): (10,),
    }
    calls = []
    tree = [module for module in list(sys.modules.values())
            if str(getattr(module, "__file__", "")).startswith(str(ROOT))
            and "/tests/" not in module.__file__ and "/bench/" not in module.__file__]
    assert {models, meter_models, ledger} <= set(tree)
    for module in sorted(tree, key=lambda m: m.__name__):
        for name, value in vars(module).items():
            if isinstance(value, speedups.Prepared):
                arguments = tuple(inspect.signature(value.build).parameters)
                calls.append((f"{module.__name__}.{name}", value, by_arguments[arguments]))
    assert len(calls) >= 20, [name for name, _, _ in calls]
    return calls


def test_every_prepared_query_returns_what_the_plain_query_returns(demo_full):
    calls = prepared_calls(demo_full)
    with demo_full.app_context():
        for name, prepared, values in calls:
            expected = [plain(row) for row in prepared.build(*values)]
            for _ in range(3):  # the first call compiles, the next ones reuse
                assert [plain(row) for row in prepared(*values)] == expected, name
        some = [rows for name, prepared, values in calls for rows in [list(prepared(*values))]
                if rows]
        assert len(some) >= 12  # the comparison saw rows, not only empty lists


def test_insert_rows_rounds_as_the_fields_do(demo):
    """Money to kopecks and volumes to thousandths, as a save through peewee stores them."""
    fields = [Charge.account, Charge.period, Charge.service, Charge.unit, Charge.volume,
              Charge.tariff, Charge.amount, Charge.recalculation, Charge.benefit]
    row = ("Вода", "м³", Decimal("1.23456"), Decimal("35.123456"), Decimal("43.36501"),
           Decimal("-0.005"), Decimal("1.9999"))
    with demo.app_context():
        fast, slow = Account.by_number("100001"), Account.by_number("100002")
        speedups.insert_rows(Charge, fields, [(fast.id, date(2026, 3, 1)) + row])
        Charge.create(**dict(zip([f.name for f in fields], (slow.id, date(2026, 3, 1)) + row)))
        stored = {c.account_id: c for c in Charge.select().where(Charge.period == date(2026, 3, 1))}
        got = [stored[fast.id].__data__[f.name] for f in fields[2:]]
        assert got == [stored[slow.id].__data__[f.name] for f in fields[2:]]
        assert got == ["Вода", "м³", Decimal("1.235"), Decimal("35.1235"), Decimal("43.37"),
                       Decimal("-0.00"), Decimal("2.00")]
        speedups.insert_rows(MonthBalance, [MonthBalance.account, MonthBalance.period,
                                            MonthBalance.opening_balance, MonthBalance.penalty],
                             [(fast.id, date(2026, 3, 1), Decimal("10.125"), 0)])
        speedups.insert_rows(Payment, [Payment.account, Payment.period, Payment.paid_on,
                                       Payment.amount, Payment.reference],
                             [(fast.id, date(2026, 3, 1), date(2026, 3, 5), Decimal("99.995"),
                               "п/п 1")])
        balance = MonthBalance.get(MonthBalance.account == fast.id)
        assert (balance.opening_balance, balance.penalty) == (Decimal("10.12"), Decimal("0.00"))
        assert Payment.get(Payment.account == fast.id).amount == Decimal("100.00")


def test_insert_rows_uses_peewees_database_and_field_internals(demo):
    assert isinstance(Charge._meta.database, DatabaseProxy)
    assert Charge.amount.column_name == "amount" and Charge.account.column_name == "account_id"
    assert Charge.amount.auto_round and Charge.volume.auto_round and Charge.tariff.auto_round
    with demo.app_context():
        assert db.param in ("?", "%s")
        assert hasattr(db.cursor(), "executemany")


def test_request_translations_are_flask_babels_own(app):
    with app.test_request_context():
        for lang in ("ru", "en", "ru"):
            with force_locale(lang):
                assert speedups.request_translations() is get_translations()
                state = vars(g._get_current_object())["_flask_babel"]
                assert "babel_locale" in vars(state)
                # the cache is in use: without it the speed-up is gone quietly
                assert vars(state)["domkom_translations"][1] is get_translations()
                assert speedups.request_translations().ugettext("Log in") == \
                    ("Войти" if lang == "ru" else "Log in")


def test_jinjas_token_stream_is_what_constant_calls_rewrites(app):
    assert list(Token._fields) == ["lineno", "type", "value"]
    assert "filter_stream" in vars(Extension)
    assert list(inspect.signature(Extension.filter_stream).parameters) == ["self", "stream"]
    plain_stream = Environment(autoescape=True)._tokenize('{{ _("Help") }}', "p.html")
    tokens = [(t.type, t.value) for t in plain_stream]
    assert tokens == [("variable_begin", "{{"), ("name", "_"), ("lparen", "("),
                      ("string", "Help"), ("rparen", ")"), ("variable_end", "}}")]
    rewritten = app.jinja_env._tokenize('{{ _("Help") }}', "p.html")
    assert [t.value for t in rewritten][1:5] == ["_messages", "[", "Help", "]"]
    assert speedups.ConstantCalls in [type(e) for e in app.jinja_env.extensions.values()]


def segnos_code(payload, mask):
    return segno.make(payload, error="m", boost_error=False, micro=False, encoding="utf-8",
                      mask=mask)


def test_qr_with_mask_is_segnos_own_code():
    """Payloads of one to ~600 bytes, versions 1 to 19 (the count indicator widens at version 10, the
    padding fills a whole codeword at some lengths) and every mask at a few lengths."""
    rng = random.Random(12)
    letters = "ST00012|=Name«»абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГД abcXYZ0123456789,.-№"
    cases = [(length, length % 8) for length in range(1, 300, 2)]
    cases += [(length, mask) for length in (5, 117, 300, 700, 1300) for mask in range(8)]
    for length, mask in cases:
        payload = "".join(rng.choice(letters) for _ in range(length))
        expected, got = segnos_code(payload, mask), speedups_pdf.qr_with_mask(payload, mask)
        assert (got.matrix, got.version, got.mask, got.error, got.mode) == \
            (expected.matrix, expected.version, expected.mask, expected.error, expected.mode), \
            (length, mask)
    for payload in ("1234567890", "HELLO WORLD 42"):  # not byte mode: segno itself
        assert speedups_pdf.qr_with_mask(payload, 2).matrix == segnos_code(payload, 2).matrix
    with pytest.raises(segno.encoder.DataOverflowError):
        speedups_pdf.qr_with_mask("ж" * 1200, 0)


def test_segnos_internals_are_what_qr_with_mask_uses():
    for name in ("make_matrix", "add_finder_patterns", "add_alignment_patterns", "add_codewords",
                 "find_and_apply_best_mask", "add_format_info", "add_version_info", "find_mode",
                 "version_range", "Code", "_Segment", "DataOverflowError"):
        assert hasattr(segno.encoder, name), name
    assert list(inspect.signature(segno.encoder.add_codewords).parameters) == \
        ["matrix", "codewords", "version"]
    assert segno.encoder.Code._fields == ("matrix", "version", "error", "mask", "segments")
    for name in ("SYMBOL_CAPACITY", "ECC", "GEN_POLY", "GALIOS_LOG", "GALIOS_EXP",
                 "CHAR_COUNT_INDICATOR_LENGTH", "MODE_BYTE", "ERROR_LEVEL_M"):
        assert hasattr(segno.consts, name), name


def test_remembered_text_encoding_writes_what_fpdfs_text_writes():
    from fpdf import FPDF  # the PDF code is imported only where PDFs are made
    from pypdf import PdfReader

    from receipts import FONT, FONT_DIR

    class Remembering(speedups_pdf.RememberedTextEncoding, FPDF):
        pass

    def draw(pdf):
        pdf.add_font(FONT, "", FONT_DIR / "PT_Sans-Web-Regular.ttf")
        pdf.add_font(FONT, "B", FONT_DIR / "PT_Sans-Web-Bold.ttf")
        for page in range(2):  # a new page sets the font on it again
            pdf.add_page()
            for style, size in (("", 9), ("B", 9), ("", 12), ("", 12), ("B", 7), ("", 9)):
                pdf.set_font(FONT, style, size)
                pdf.text(10, 20 + size, "Лицевой счёт 4 512,30 ₽ (скобки) \\ ё")
            pdf.set_fill_color(232, 236, 242)  # text colour unlike the fill: wrapped in q … Q
            pdf.text(10, 60, "ИТОГО К ОПЛАТЕ")
            pdf.set_font(FONT, "U", 9)  # underlined: fpdf's own text()
            pdf.text(10, 70, "Подчёркнуто")
            pdf.set_font(FONT, "", 9)
            pdf.text(10, 80, "")
        return [p.get_contents().get_data() for p in PdfReader(io.BytesIO(pdf.output())).pages]

    assert draw(Remembering()) == draw(FPDF())
    fpdf_text = inspect.signature(FPDF.text).parameters
    assert list(fpdf_text) == ["self", "x", "y", "text"]
    for name in ("current_font_is_set_on_page", "_set_font_for_page", "_out", "text_mode",
                 "_record_text_quad_points", "underline", "strikethrough"):
        assert hasattr(FPDF(), name), name


def test_a_row_written_at_once_is_what_fpdfs_rect_and_text_write():
    """grid_row() writes a table row's rectangles and texts in one out_lines(): the page holds
    the bytes fpdf2's rect() and text() would have written, one call each."""
    from fpdf import FPDF
    from pypdf import PdfReader

    from receipts import FONT, FONT_DIR

    class Remembering(speedups_pdf.RememberedTextEncoding, FPDF):
        pass

    def draw(pdf, at_once):
        pdf.add_font(FONT, "", FONT_DIR / "PT_Sans-Web-Regular.ttf")
        pdf.add_font(FONT, "B", FONT_DIR / "PT_Sans-Web-Bold.ttf")
        for page in range(2):
            pdf.add_page()
            pdf.set_fill_color(232, 236, 242)
            for row, (style, size) in enumerate((("B", 8), ("", 8), ("", 9.5))):
                y = 20 + 10 * row
                pdf.set_font(FONT, style, size)
                if at_once:
                    pdf.out_lines([pdf.rect_line(10, y, 120, 6.5, "f"),
                                   pdf.rect_line(10, y, 54, 6.5),
                                   pdf.text_line(11, y + 4, "Вид услуги"),
                                   pdf.rect_line(64, y, 66, 6.5),
                                   pdf.text_line(70, y + 4, "4 512,30 ₽")])
                else:
                    pdf.rect(10, y, 120, 6.5, style="F")
                    pdf.rect(10, y, 54, 6.5)
                    pdf.text(11, y + 4, "Вид услуги")
                    pdf.rect(64, y, 66, 6.5)
                    pdf.text(70, y + 4, "4 512,30 ₽")
            if at_once:
                pdf.out_lines([])  # nothing to write: nothing written
        return [p.get_contents().get_data() for p in PdfReader(io.BytesIO(pdf.output())).pages]

    assert draw(Remembering(), at_once=True) == draw(FPDF(), at_once=False)
    assert list(inspect.signature(FPDF.rect).parameters)[:6] == ["self", "x", "y", "w", "h",
                                                                  "style"]
    pdf = Remembering()
    pdf.add_font(FONT, "", FONT_DIR / "PT_Sans-Web-Regular.ttf")
    pdf.add_page()
    pdf.set_font(FONT, "U", 9)
    assert pdf.text_line(10, 10, "Подчёркнуто") is None  # left to fpdf2's own text()


def test_rows_written_again_from_memory_make_the_same_document(demo_full, monkeypatch):
    """The demo house's receipts drawn with rows remembered and with every row drawn anew: the
    same file, byte for byte but for the moment it was made; most rows were written again."""
    import re

    import receipt_pdf
    from house_receipts import house_items
    from ledger import accounts_with_data
    from receipts import BatchQr, qr_payload

    with demo_full.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        period = Charge.select(Charge.period).order_by(Charge.period.desc()).first().period
        items = list(house_items(hoa, period, accounts_with_data(hoa, period)))

    def document(kept):
        monkeypatch.setattr(receipt_pdf.ReceiptPdf, "ROWS_KEPT", kept)
        pdf, make = receipt_pdf.ReceiptPdf(), BatchQr()
        for statement, meters in items:
            pdf.add_receipt(statement, meters, make(qr_payload(statement)))
        made = re.sub(rb"/CreationDate \(.*?\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"",
                      bytes(pdf.output()))
        return made, pdf.rows_replayed

    (remembered, replayed), (drawn, none) = document(20000), document(0)
    assert len(items) == 40 and none == 0
    assert replayed > 20 * len(items)  # of ~49 rows a receipt
    assert remembered == drawn
    for name in ("_resource_catalog", "current_font_is_set_on_page", "pages", "font_family",
                 "font_style", "font_size_pt", "fill_color", "text_color"):
        assert hasattr(receipt_pdf.ReceiptPdf(), name), name


def test_a_page_of_rows_written_again_still_names_its_fonts(monkeypatch):
    """A page whose every row is written from memory: its resources still list the fonts its
    rows set (the bytes alone do not say so to fpdf2)."""
    import re

    import receipt_pdf

    def document(kept):
        monkeypatch.setattr(receipt_pdf.ReceiptPdf, "ROWS_KEPT", kept)
        pdf = receipt_pdf.ReceiptPdf()
        for page in range(3):
            pdf.add_page()
            pdf.section("1. Сведения о плательщике", 140)
            pdf.pairs([("Лицевой счёт", "100001"), ("Площадь", "54,20 м²")], 140)
            pdf.grid_row((50, 40), ("L", "R"), ("Отопление", "2 413,55"), fill=True)
        made = re.sub(rb"/CreationDate \(.*?\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"",
                      bytes(pdf.output()))
        return made, pdf.rows_replayed

    (remembered, replayed), (drawn, _) = document(20000), document(0)
    assert replayed >= 4  # the third page's rows at least
    assert remembered == drawn
