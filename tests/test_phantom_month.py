"""Payments made after the latest charged month: no month of their own, they lower what is due."""
import re
from datetime import date

from factories import figures, login_as, resident_a  # noqa: F401
from test_receipts import qr_fields

from models import Account, Payment

NOV = date(2026, 11, 1)


def pay_early(app):
    """Three payments of November counted before November is charged (October is the last bill)."""
    with app.app_context():
        account = Account.get(Account.number == "100001")
        for day, amount in [(5, "1000.00"), (6, "1000.00"), (7, "1000.00")]:
            Payment.create(account=account, period=NOV, paid_on=date(2026, 11, day),
                           amount=amount, reference="п/п")


def test_home_page_shows_the_last_bill_and_what_was_paid_since(resident_a, demo):
    pay_early(demo)
    html = resident_a.get("/cabinet").get_data(as_text=True)
    start = html.index("balance-box")
    box = html[start:html.index("</div></div>", start)]
    assert "ноябрь 2026" not in box
    assert "Начислено за октябрь 2026: 4 249,06 ₽" in box
    assert "Оплачено после квитанции за октябрь 2026: 3 000,00 ₽" in box
    assert "2 112,48 ₽" in box and "5 112,48" not in box  # 5 112,48 − 3 000,00
    assert 'href="/cabinet/statements/2026-10"' in box


def test_statement_has_no_phantom_month_and_the_payments_lower_the_due(resident_a, demo):
    pay_early(demo)
    html = resident_a.get("/cabinet/statements").get_data(as_text=True)
    assert re.findall(r'data-period="([\d-]+)"', html) == ["2026-10", "2026-09", "2026-08"]
    assert "Оплачено после квитанции за октябрь 2026: 3 000,00 ₽" in html
    assert "Ваш долг сейчас: 2 112,48 ₽." in html
    for path in ["/cabinet/statements/2026-11", "/cabinet/receipts/2026-11.pdf",
                 "/cabinet/statements/2026-11/qr.svg"]:
        assert resident_a.get(path).status_code == 404, path
    month = resident_a.get("/cabinet/statements/2026-10").get_data(as_text=True)
    assert re.search(r"data-total>5 112,48 ₽<", month)  # the bill as issued
    assert re.search(r"data-paid-since>3 000,00 ₽<", month)
    assert re.search(r"data-left>2 112,48 ₽<", month)
    assert re.search(r"data-pay-sum>2 112,48 ₽<", month)


def test_the_payment_code_asks_only_for_what_is_left(resident_a, demo):
    pay_early(demo)
    svg = resident_a.get("/cabinet/statements/2026-10/qr.svg")
    assert svg.status_code == 200
    with demo.app_context():
        import receipts
        from ledger import Statement, paid_since
        statement = Statement.for_month(Account.get(Account.number == "100001"), date(2026, 10, 1))
        paid_since(statement)
        assert qr_fields(receipts.qr_payload(statement))["Sum"] == "211248"


def test_office_receipts_open_on_the_latest_charged_month(office, client, demo, figures):
    pay_early(demo)
    html = client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    assert 'value="2026-10" selected' in html
    assert 'value="2026-11"' not in html
    assert "1 квитанция за октябрь 2026" in html
    assert client.get(f"/office/{office.id}/receipts?period=2026-11").status_code == 400
    assert client.get(f"/office/{office.id}/receipts/2026-11.pdf").status_code == 404
