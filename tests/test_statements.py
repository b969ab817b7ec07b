"""The resident's charges and payments pages and the balance box of the cabinet's home page."""
import re

import pytest
from testdb import row_counts
from factories import figures, login_as, resident_a  # noqa: F401

from models import Charge, MonthBalance, Payment


def counts(app):
    return row_counts(app, [Charge, MonthBalance, Payment])


def test_months_newest_first_with_the_debt_on_top(resident_a):
    html = resident_a.get("/cabinet/statements").get_data(as_text=True)
    assert re.findall(r'data-period="([\d-]+)"', html) == ["2026-10", "2026-09", "2026-08"]
    top = html.index('data-balance="debt"')
    assert top < html.index('data-period="2026-10"')
    assert "5 112,48 ₽" in html[top:top + 300]
    # September's opening balance is carried over from August's closing one
    september = html[html.index('data-period="2026-09"'):html.index('data-period="2026-08"')]
    assert "4 249,06 ₽" in september and "4 000,00 ₽" in september and "4 498,12 ₽" in september


def test_month_shows_services_penalty_payments_and_pay_section(resident_a):
    r = resident_a.get("/cabinet/statements/2026-10")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for text in ["Горячее водоснабжение", "м³", "2,8", "221,39", "619,89 ₽", "-100,00 ₽",
                 "50,00 ₽", "05.10.2026", "11.10.2026", "2 000,00 ₽", "1 500,00 ₽",
                 "043601999", "40703810200000001234", "30101810400000000999", "10.11.2026"]:
        assert text in html, text
    assert re.search(r'data-penalty>15,30 ₽<', html)
    assert re.search(r'data-total>5 112,48 ₽<', html)
    assert 'src="/cabinet/statements/2026-10/qr.svg"' in html
    assert 'href="/cabinet/receipts/2026-10.pdf"' in html
    assert "style=" not in html and "<script>" not in html


def test_qr_image_is_svg(resident_a):
    r = resident_a.get("/cabinet/statements/2026-10/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    body = r.get_data(as_text=True)
    assert body.startswith("<svg") and "style" not in body and "<script" not in body


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "abcd", "2026-1", "2026-10x",
                                   "0000-01", "+202-10", "2026_10"])
def test_not_a_month_is_404(resident_a, demo, month):
    before = counts(demo)
    for path in [f"/cabinet/statements/{month}", f"/cabinet/receipts/{month}.pdf",
                 f"/cabinet/statements/{month}/qr.svg"]:
        r = resident_a.get(path)
        assert r.status_code == 404, path
        assert r.mimetype == "text/html"
    assert counts(demo) == before


def test_month_without_data_says_so(resident_a, demo):
    before = counts(demo)
    for path in ["/cabinet/statements/2025-01", "/cabinet/receipts/2025-01.pdf"]:
        r = resident_a.get(path)
        assert r.status_code == 404
        assert r.mimetype == "text/html"  # a page, not an empty PDF
        html = r.get_data(as_text=True)
        assert 'data-empty="month"' in html and "январь 2025" in html
    assert resident_a.get("/cabinet/statements/2025-01/qr.svg").status_code == 404
    assert counts(demo) == before


def test_other_accounts_month_is_not_shown(resident_a, demo):
    # July has data only for account 100002; the resident of 100001 gets "no data".
    r = resident_a.get("/cabinet/statements/2026-07")
    assert r.status_code == 404 and 'data-empty="month"' in r.get_data(as_text=True)
    assert resident_a.get("/cabinet/receipts/2026-07.pdf").status_code == 404
    html = resident_a.get("/cabinet/statements").get_data(as_text=True)
    assert "2026-07" not in html and "777,77" not in html


def test_resident_of_b_sees_only_b(demo, figures, client):
    with demo.app_context():
        login_as(client, "100002")
    html = client.get("/cabinet/statements").get_data(as_text=True)
    assert re.findall(r'data-period="([\d-]+)"', html) == ["2026-07"]
    assert 'data-balance="advance"' in html and "1 528,71 ₽" in html
    assert "5 112,48" not in html
    for month in ["2026-08", "2026-09", "2026-10"]:
        assert client.get(f"/cabinet/statements/{month}").status_code == 404
        assert client.get(f"/cabinet/receipts/{month}.pdf").status_code == 404


def test_home_balance_box(resident_a):
    html = resident_a.get("/cabinet").get_data(as_text=True)
    box = html[html.index("balance-box"):]
    assert 'data-balance="debt"' in box[:600] and "5 112,48 ₽" in box[:600]
    assert "4 099,06 ₽" in box[:900]  # October's charges less benefits, with recalculation


def test_account_without_data(demo, client):
    with demo.app_context():
        login_as(client, "100003")
    assert 'data-balance="none"' in client.get("/cabinet/statements").get_data(as_text=True)
    assert 'data-balance="none"' in client.get("/cabinet").get_data(as_text=True)


def test_pages_need_a_resident(demo, figures, client):
    for path in ["/cabinet/statements", "/cabinet/statements/2026-10",
                 "/cabinet/receipts/2026-10.pdf", "/cabinet/statements/2026-10/qr.svg"]:
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_russian_by_default_english_on_request(resident_a):
    html = resident_a.get("/cabinet/statements").get_data(as_text=True)
    assert "Ваш долг на конец месяца (октябрь 2026): 5 112,48 ₽." in html
    resident_a.post("/lang/en")
    html = resident_a.get("/cabinet/statements").get_data(as_text=True)
    assert "Your debt at the end of October 2026: 5 112,48 ₽." in html


def test_month_without_stored_balance_opens_with_previous_closing(resident_a):
    html = resident_a.get("/cabinet/statements/2026-09").get_data(as_text=True)
    assert "долг 4 249,06 ₽" in html  # August's closing balance
    assert re.search(r'data-total>4 498,12 ₽<', html)


def test_a_year_that_is_not_one_of_the_accounts_is_not_found(resident_a):
    for year in ["abc", "1999", "20266", "", "2026-10", "٢٠٢٦"]:
        assert resident_a.get(f"/cabinet/statements?year={year}").status_code == 404, year
    assert resident_a.get("/cabinet/statements?year=2026").status_code == 200
