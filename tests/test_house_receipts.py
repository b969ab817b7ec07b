"""Printing the whole house: the office page, its download and the `receipts` command."""
import re
from datetime import date

import pytest
from testdb import row_counts
from factories import OCT, SERVICES_TOTAL, add_month
from test_receipts import pdf_pages_text_fast, qr_fields, qr_payloads

from models import Account, Charge, Hoa, MonthBalance, Payment


@pytest.fixture
def house(demo):
    """Four accounts of «Рассвет» with October data, stored in an order unlike the address
    order: apartments 10, 2, 9 of one house and apartment 1 of a house earlier in the alphabet."""
    with demo.app_context():
        by_number = {a.number: a for a in Account.select()}
        by_number["100010"].address = "г. Самара, ул. Абрикосовая, д. 1"
        by_number["100010"].apartment = "1"
        by_number["100010"].save()
        add_month(by_number["100009"], OCT, opening="100.00")                  # apt 9
        add_month(by_number["100002"], OCT, opening="-10000.00")               # apt 2, advance
        add_month(by_number["100010"], OCT, opening="0")                       # other street
        add_month(by_number["100001"], date(2026, 9, 1), opening="0")          # not in October
        # apt 10 has only a payment in October
        Payment.create(account=Account.get(Account.number == "100011"), period=OCT,
                       paid_on=date(2026, 10, 3), amount=500)
        Account.update(apartment="10").where(Account.number == "100011").execute()
    return ["100010", "100002", "100009", "100011"]


def page_numbers(data):
    return [re.search(r"Лицевой счёт\s*(\d+)", text).group(1)
            for text in pdf_pages_text_fast(data)]


def print_house(client, hoa_id, period="2026-10"):
    """Press «Напечатать квитанции» for the month (the job runs in the request in the tests),
    open the printing's page and download what it offers."""
    r = client.post(f"/office/{hoa_id}/receipts/{period}/print")
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    assert 'data-state="done"' in html, html
    link = re.search(r'data-download href="([^"]+)"', html).group(1)
    return client.get(link)


def counts(app):
    return row_counts(app, [Charge, MonthBalance, Payment])


def test_office_page_and_download(office, client, house, demo):
    html = client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    assert 'value="2026-10" selected' in html and 'value="2026-09"' in html
    assert "4 квитанции за октябрь 2026" in html
    assert "data-missing" not in html
    r = print_house(client, office.id)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert page_numbers(r.data) == house
    payloads = [qr_fields(p) for p in qr_payloads(r.data)]
    assert [p["PersAcc"] for p in payloads] == house
    assert payloads[2]["Sum"] == str(int((SERVICES_TOTAL + 100) * 100))
    assert "Sum" not in payloads[1] and "Sum" not in payloads[3]  # advance; paid, nothing charged
    menu = client.get(f"/office/{office.id}").get_data(as_text=True)
    assert f'href="/office/{office.id}/receipts"' in menu


def test_office_lists_missing_requisites(office, client, house, demo):
    with demo.app_context():
        Hoa.update(bic="", corr_account=" ").where(Hoa.id == office.id).execute()
    html = client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    box = html[html.index("data-missing"):]
    assert "БИК банка" in box and "Корреспондентский счёт" in box
    assert "Расчётный счёт" not in box[:box.index("</ul>")]
    data = print_house(client, office.id).data
    assert qr_payloads(data) == [None] * 4
    assert page_numbers(data) == house


def test_office_bad_months(office, client, house, demo):
    before = counts(demo)
    r = client.get(f"/office/{office.id}/receipts?period=2026-13")
    assert r.status_code == 400 and 'data-error="period"' in r.get_data(as_text=True)
    r = client.get(f"/office/{office.id}/receipts?period=2025-01")
    assert r.status_code == 400 and "Нет данных за месяц «2025-01»" in r.get_data(as_text=True)
    r = client.post(f"/office/{office.id}/receipts/2025-01/print")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert 'data-empty="month"' in r.get_data(as_text=True)
    assert client.post(f"/office/{office.id}/receipts/20x6-10/print").status_code == 404
    assert counts(demo) == before


def test_office_other_hoa_and_residents_refused(office, client, house, demo):
    with demo.app_context():
        other = Hoa.get(Hoa.prefixes == "20")
    assert client.get(f"/office/{other.id}/receipts").status_code == 404
    assert client.post(f"/office/{other.id}/receipts/2026-10/print").status_code == 404
    assert 'data-empty="house"' not in client.get(f"/office/{office.id}/receipts").get_data(as_text=True)
    client.post("/office/logout")
    r = client.post(f"/office/{office.id}/receipts/2026-10/print")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_office_hoa_without_data(demo, client):
    from models import Accountant, AccountantHoa
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "20")
        accountant = Accountant(email="buh@polet.example")
        accountant.set_password("office-pass-2")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    client.post("/office/login", data={"email": "buh@polet.example", "password": "office-pass-2"})
    html = client.get(f"/office/{hoa.id}/receipts").get_data(as_text=True)
    assert 'data-empty="house"' in html and "data-missing" in html


def test_cli_prints_the_house(demo, house, tmp_path):
    out = tmp_path / "house.pdf"
    with demo.app_context():
        hoa_id = Hoa.get(Hoa.prefixes == "10").id
    result = demo.test_cli_runner().invoke(
        args=["receipts", "--hoa", str(hoa_id), "--period", "2026-10", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 receipts written" in result.output
    assert page_numbers(out.read_bytes()) == house


@pytest.mark.parametrize("args, message", [
    (["--hoa", "999", "--period", "2026-10"], "no HOA with id 999"),
    (["--hoa", "HOA", "--period", "2026-10"], "is not a valid integer"),
    (["--hoa", "1", "--period", "2026-13"], "expected a month like 2026-03"),
    (["--hoa", "1", "--period", "10.2026"], "expected a month like 2026-03"),
    (["--hoa", "1", "--period", "2025-01"], "has no data for 2025-01"),
])
def test_cli_bad_input_writes_nothing(demo, house, tmp_path, args, message):
    out = tmp_path / "house.pdf"
    result = demo.test_cli_runner().invoke(args=["receipts", *args, "-o", str(out)])
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()
