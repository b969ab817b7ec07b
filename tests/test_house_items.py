"""A house's receipts read a slice of accounts at once and draw QR codes on a fast path: what
they show is what each account's own receipt, read and drawn the plain way, shows."""
import io
from datetime import date, datetime

import segno
import zxingcpp
from PIL import Image
from factories_meters import add_reading, make_meter
from pypdf import PdfReader
from test_receipts import pdf_pages_text_fast, qr_payloads

import house_receipts
import receipt_pdf
import receipts
from ledger import (Statement, accounts_with_data, house_meter_readings, meter_readings,
                    month_statements)
from meter_models import Meter
from models import Account, Hoa, MonthBalance, Payment

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)


def shown(statement):
    """Everything of a statement a receipt reads."""
    if statement is None:
        return None
    return (statement.account.id, statement.period, statement.opening, statement.penalty,
            statement.billed, [c.__data__ for c in statement.charges],
            [p.__data__ for p in statement.payments], statement.charged, statement.paid,
            statement.total_due, statement.to_pay_now)


def odd_meters(hoa):
    """Meters that test the reading that counts: a newer declined reading, a reading after
    the month, two submissions in one month sent in the other order of their ids, an
    archived meter and one that never had a reading."""
    accounts = list(Account.select().where(Account.hoa == hoa).order_by(Account.id))
    first, second = accounts[0].number, accounts[1].number
    meter = make_meter(number=first, kind="gas", serial="ODD-1")
    add_reading(meter, OCT, 50)
    add_reading(meter, NOV, 60)
    add_reading(meter, NOV, 99, status="declined", submitted_at=datetime(2026, 11, 25))
    add_reading(meter, date(2026, 12, 1), 70)
    add_reading(meter, NOV, 61, submitted_at=datetime(2026, 11, 10))
    add_reading(meter, NOV, 62, submitted_at=datetime(2026, 11, 12))
    make_meter(number=first, kind="heat", serial="ODD-2", archived=True)
    make_meter(number=second, kind="hot_water", serial="ODD-3")


def test_a_slice_read_at_once_is_what_each_account_reads_alone(demo_full):
    with demo_full.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        odd_meters(hoa)
        accounts = list(Account.select().where(Account.hoa == hoa))
        # one account without a stored balance for the month: it is read alone, from history
        MonthBalance.delete().where(MonthBalance.account == accounts[2].id,
                                    MonthBalance.period == OCT).execute()
        Payment.create(account=accounts[3].id, period=NOV, paid_on=NOV, amount=10)
        for period in (OCT, NOV, date(2030, 1, 1)):
            alone = [Statement.for_month(account, period) for account in accounts]
            assert [shown(s) for s in month_statements(accounts, period)] == \
                [shown(s) for s in alone]
            meters = house_meter_readings(accounts, period)
            for account in accounts:
                own = [(m.id, values, when) for m, values, when in meter_readings(account, period)]
                assert [(m.id, values, when) for m, values, when in
                        meters.get(account.id, [])] == own
        assert any(Meter.select().where(Meter.serial == "ODD-1"))


def plain_receipts(hoa, period, accounts, mask):
    """The house's PDF with each account read alone and every QR code made by segno."""
    pdf = receipt_pdf.ReceiptPdf()
    for account in accounts:
        account.hoa = hoa
        statement = Statement.for_month(account, period)
        if statement is None:
            continue
        payload = receipts.qr_payload(statement)
        pdf.add_receipt(statement, meter_readings(account, period),
                        receipts.make_qr(payload, mask) if payload else None)
    return bytes(pdf.output())


def page_streams(data):
    return [page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages]


def test_house_pdf_draws_exactly_what_the_plain_way_draws(demo_full):
    with demo_full.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        odd_meters(hoa)
        accounts = accounts_with_data(hoa, OCT)
        fast = house_receipts.house_receipts(hoa, OCT, accounts)
        first = receipts.qr_payload(Statement.for_month(accounts[0], OCT))
        mask = receipts.make_qr(first).mask  # the mask the batch chose for its first code
        plain = plain_receipts(hoa, OCT, accounts, mask)
    assert len(accounts) > 3
    assert page_streams(fast) == page_streams(plain)  # every drawing operation, byte for byte
    assert pdf_pages_text_fast(fast) == pdf_pages_text_fast(plain)
    codes = qr_payloads(fast)
    assert codes == qr_payloads(plain) and None not in codes


def test_fast_qr_codes_scan_as_their_payload():
    payload = "ST00012|Name=ТСЖ «Рассвет»|PersAcc=100001|Purpose=Оплата ЖКУ за октябрь 2026"
    batch = receipts.BatchQr()
    batch(payload)  # chooses the mask
    code = batch(payload + "|Sum=511248")
    out = io.BytesIO()
    code.save(out, kind="png", scale=4)
    image = Image.open(io.BytesIO(out.getvalue()))
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.bytes.decode("utf-8") == payload + "|Sum=511248"
    assert code.matrix == segno.make(payload + "|Sum=511248", error="m", boost_error=False,
                                     micro=False, encoding="utf-8", mask=code.mask).matrix


def test_a_receipts_font_calls_leave_fpdf_as_fpdfs_own_set_font_does():
    from fpdf import FPDF  # the PDF code is imported only where PDFs are made

    class Plain(receipt_pdf.ReceiptPdf):
        set_font = FPDF.set_font

    def state(pdf):
        return (pdf.font_family, pdf.font_style, pdf.font_size_pt, pdf.current_font.fontkey,
                pdf.current_font_is_set_on_page, pdf.underline, pdf.strikethrough)

    fast, plain = receipt_pdf.ReceiptPdf(), Plain()
    for pdf in (fast, plain):
        pdf.add_page()
    for style, size in (("", 9), ("", 9), ("B", 9), ("B", 9.0), ("U", 9), ("", 9), ("", 12),
                        ("B", 7), ("B", 7)):
        for pdf in (fast, plain):
            pdf.set_font(receipt_pdf.FONT, style, size)
            pdf.text(10, 10, "Итого")
        assert state(fast) == state(plain), (style, size)
