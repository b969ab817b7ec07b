"""A resident in a real browser: the statement, one month, the receipt download."""
import demo as demo_data
from factories import browser_log_in, load_statements, make_resident


def test_resident_reads_statement_and_downloads_receipt(live_server, page, tmp_path):
    with live_server.app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        load_statements(live_server.app)
        make_resident("100001", "browser-pass-1", email="anna@example.ru")
    page.set_viewport_size({"width": 360, "height": 740})
    browser_log_in(page, live_server.url, "100001", "browser-pass-1")
    assert "5 112,48 ₽" in page.inner_text(".balance-box")

    page.goto(f"{live_server.url}/cabinet/statements")
    assert "Ваш долг" in page.inner_text("[data-balance=debt]")
    assert "5 112,48 ₽" in page.inner_text("[data-balance=debt]")
    # a 360 px phone: the table scrolls inside its box, the page itself does not
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click("tr[data-period='2026-10'] a")
    page.wait_for_url("**/cabinet/statements/2026-10")
    assert "Горячее водоснабжение" in page.inner_text("table.charges")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    qr_loaded = page.evaluate("document.querySelector('img.pay-qr').naturalWidth")
    assert qr_loaded > 0

    with page.expect_download() as info:
        page.click("a[data-receipt]")
    download = info.value
    path = tmp_path / "receipt.pdf"
    download.save_as(path)
    assert download.suggested_filename == "receipt-100001-2026-10.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
