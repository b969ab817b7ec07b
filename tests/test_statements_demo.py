"""The demo's own 14 months, loaded through the importer, read as statements and receipts."""
import re
from decimal import Decimal

from factories import login_as
from test_receipts import pdf_pages_text, pdf_pages_text_fast, qr_fields, qr_payloads

from formats import format_money
from models import Account
from ledger import Statement


def test_demo_statement_and_receipt_agree(demo_full, client):
    with demo_full.app_context():
        account = Account.by_number("100001")
        history = Statement.history(account)
        latest = history[-1]
        login_as(client, "100001")
    assert len(history) >= 12
    html = client.get("/cabinet/statements").get_data(as_text=True)
    periods = [f"{s.period:%Y-%m}" for s in history]
    assert re.findall(r'data-period="([\d-]+)"', html) == periods[::-1][:12]
    # «Earlier months» lists the years of the months not on the screen, and a year's page
    # every other year; every month is on its year's page, and only there
    year_link = r'href="/cabinet/statements\?year=(\d{4})"'
    earlier = re.findall(year_link, html)
    assert sorted(earlier) == sorted({p[:4] for p in periods[:-12]})
    years = re.findall(year_link, client.get(f"/cabinet/statements?year={earlier[0]}")
                       .get_data(as_text=True)) + [earlier[0]]
    assert sorted(years) == sorted({p[:4] for p in periods})
    by_year = []
    for year in years:
        page = client.get(f"/cabinet/statements?year={year}").get_data(as_text=True)
        by_year += re.findall(r'data-period="([\d-]+)"', page)
        assert 'href="/cabinet/statements">' in page  # back to the latest months
    assert sorted(by_year) == periods
    month = f"{latest.period:%Y-%m}"
    assert client.get(f"/cabinet/statements/{month}").status_code == 200
    data = client.get(f"/cabinet/receipts/{month}.pdf").data
    assert f"ИТОГО К ОПЛАТЕ: {format_money(latest.total_due)}" in pdf_pages_text(data)[0]
    fields = qr_fields(qr_payloads(data)[0])
    assert fields["PersAcc"] == "100001"
    assert fields["PaymPeriod"] == f"{latest.period:%m%Y}"
    if latest.total_due > 0:
        assert Decimal(fields["Sum"]) == latest.total_due * 100
    else:
        assert "Sum" not in fields
    # each month opens with the closing balance of the one before, as the importer stores it
    for before, after in zip(history, history[1:]):
        assert after.opening == before.closing, after.period


def test_demo_house_prints_every_account(demo_full, tmp_path):
    from models import Hoa
    with demo_full.app_context():
        hoa_id = Hoa.get(Hoa.prefixes == "10").id
        period = Statement.history(Account.by_number("100001"))[-1].period
    out = tmp_path / "house.pdf"
    result = demo_full.test_cli_runner().invoke(
        args=["receipts", "--hoa", str(hoa_id), "--period", f"{period:%Y-%m}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "40 receipts written" in result.output
    text = "\n".join(pdf_pages_text_fast(out.read_bytes()))
    numbers = re.findall(r"Лицевой счёт\s*(\d+)", text)
    assert sorted(numbers) == [str(n) for n in range(100001, 100041)]
