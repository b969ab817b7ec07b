"""The receipt PDF read back: its text, and its payment QR code decoded from the rendered page."""
import io
import re
from datetime import date
from decimal import Decimal

import pypdfium2
import zxingcpp
from factories import OCT, add_month, figures, login_as, resident_a  # noqa: F401
from pypdf import PdfReader

from models import Account, Hoa

EXPECTED_A = {
    "Name": "ТСЖ «Рассвет»", "PersonalAcc": "40703810200000001234",
    "BankName": "ПАО «Демобанк»", "BIC": "043601999", "CorrespAcc": "30101810400000000999",
    "PayeeINN": "6312345675", "KPP": "631201001", "PersAcc": "100001", "LastName": "Иванов",
    "PayerAddress": "г. Самара, ул. Солнечная, д. 12, кв. 1",
    "Purpose": "Оплата ЖКУ за октябрь 2026, л/с 100001", "PaymPeriod": "102026",
    "Sum": "511248",
}


def pdf_pages_text(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_pages_text_fast(data):
    """Each page's text as PDFium reads it: some fifteen times faster than pypdf, for tests
    that read back hundreds of pages and look only for an account number on each."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def squeeze(text):
    return re.sub(r"\s+", "", text)


def qr_payloads(data):
    """The payment QR code of every page (None where a page has none), decoded as UTF-8."""
    found = []
    for page in pypdfium2.PdfDocument(data):
        image = page.render(scale=200 / 72).to_pil()
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert len(codes) <= 1
        found.append(codes[0].bytes.decode("utf-8") if codes else None)
    return found


def qr_fields(payload):
    header, *pairs = payload.split("|")
    assert header == "ST00012"
    fields = dict(pair.split("=", 1) for pair in pairs)
    assert len(fields) == len(pairs), "a key appears twice"
    return fields


def receipt(client, month="2026-10"):
    r = client.get(f"/cabinet/receipts/{month}.pdf")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    return r.data


def test_receipt_text(resident_a, demo):
    with demo.app_context():
        Account.update(registration_code="K7-Q2").where(Account.number == "100001").execute()
    data = receipt(resident_a)
    text = "\n".join(pdf_pages_text(data))
    for piece in ["100001", "октябрь 2026", "ИТОГО К ОПЛАТЕ: 5 112,48 ₽", "Иванов И. И.",
                  "г. Самара, ул. Солнечная, д. 12, кв. 1", "35,4 м²",
                  "6312345675 / 631201001", "ПАО «Демобанк»", "043601999",
                  "40703810200000001234", "30101810400000000999",
                  "Горячее водоснабжение", "221,39", "619,89 ₽", "-100,00 ₽", "50,00 ₽",
                  "Пени", "15,30 ₽", "3 500,00 ₽", "долг 4 498,12 ₽",
                  "ХВ-123456", "102,25", "день 1500; ночь 700", "(начальные)", "01.05.2030",
                  "10.11.2026", "+7 (846) 200-00-01", "buh@rassvet.example", "K7-Q2"]:
        assert piece in text, piece
    assert "555,125" not in text  # the declined reading does not count


def test_receipt_qr_code_every_field(resident_a):
    (payload,) = qr_payloads(receipt(resident_a))
    assert qr_fields(payload) == EXPECTED_A
    assert Decimal(qr_fields(payload)["Sum"]) / 100 == Decimal("5112.48")
    # the page's SVG carries the same payload as the PDF
    import receipts
    assert resident_a.get("/cabinet/statements/2026-10/qr.svg").data == receipts.qr_svg(payload)


def test_no_sum_when_nothing_is_due(demo, figures, client):
    with demo.app_context():
        login_as(client, "100002")
    data = receipt(client, "2026-07")
    assert "ИТОГО К ОПЛАТЕ: 0,00 ₽" in "\n".join(pdf_pages_text(data))
    fields = qr_fields(qr_payloads(data)[0])
    assert "Sum" not in fields
    assert fields["PersAcc"] == "100002" and fields["PaymPeriod"] == "072026"


def test_zero_total_has_no_sum(demo, client):
    with demo.app_context():
        account = Account.get(Account.number == "100003")
        due = add_month(account, OCT, opening="0")
        add_month(account, date(2026, 11, 1), opening="0",
                  payments=[(date(2026, 11, 2), str(due))])
        login_as(client, "100003")
    fields = qr_fields(qr_payloads(receipt(client, "2026-11"))[0])
    assert "Sum" not in fields and fields["PaymPeriod"] == "112026"


def test_missing_requisites_receipt_without_qr(resident_a, demo):
    with demo.app_context():
        Hoa.update(bic="").where(Hoa.prefixes == "10").execute()
    data = receipt(resident_a)
    assert qr_payloads(data) == [None]
    assert "ИТОГО К ОПЛАТЕ: 5 112,48 ₽" in pdf_pages_text(data)[0]
    html = resident_a.get("/cabinet/statements/2026-10").get_data(as_text=True)
    assert "data-no-qr" in html and "qr.svg" not in html
    assert resident_a.get("/cabinet/statements/2026-10/qr.svg").status_code == 404


def test_pipes_never_reach_the_qr_values(resident_a, demo):
    with demo.app_context():
        Hoa.update(recipient="ТСЖ |Рассвет|", bank_name="ПАО | Демобанк").where(
            Hoa.prefixes == "10").execute()
        Account.update(owner="Иванов|Пётр", address="ул. Пайп | д. 1\nкорп. 2").where(
            Account.number == "100001").execute()
    payload = qr_payloads(receipt(resident_a))[0]
    assert payload.count("|") == len(EXPECTED_A)  # only the separators
    fields = qr_fields(payload)
    assert fields["Name"] == "ТСЖ Рассвет" and fields["BankName"] == "ПАО Демобанк"
    assert fields["LastName"] == "Иванов" and fields["PayerAddress"] == "ул. Пайп д. 1 корп. 2, кв. 1"
    assert fields["Sum"] == "511248"


def test_long_address_and_service_wrap_not_cut(resident_a, demo):
    address = ("Самарская область, городской округ Самара, внутригородской район Октябрьский, "
               "улица Имени Героев Советского Союза Ивана Петровича Сидорова-Кузнецова, "
               "дом 112, корпус 3, строение 4, подъезд 5") * 2
    service = ("Содержание общего имущества многоквартирного дома, включая уборку лестничных "
               "клеток, обслуживание лифтового хозяйства и вывоз крупногабаритного мусора")
    with demo.app_context():
        account = Account.get(Account.number == "100001")
        account.address = address
        account.save()
        add_month(account, date(2026, 11, 1), services=[(service, "м²", "54.00", "10.00")])
    data = receipt(resident_a, "2026-11")
    text = squeeze("".join(pdf_pages_text(data)))
    assert squeeze(address) in text and squeeze(service) in text
    html = resident_a.get("/cabinet/statements/2026-11").get_data(as_text=True)
    assert service in html
    fields = qr_fields(qr_payloads(data)[0])  # still scannable, full address in the payload
    assert fields["PayerAddress"] == f"{address}, кв. 1"


def test_font_has_the_rouble_sign():
    from fontTools.ttLib import TTFont

    import receipts
    for name in ("PT_Sans-Web-Regular.ttf", "PT_Sans-Web-Bold.ttf"):
        assert 0x20BD in TTFont(receipts.FONT_DIR / name).getBestCmap(), name
