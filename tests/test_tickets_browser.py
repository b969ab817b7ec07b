"""A resident on a 360 px phone files a request with a photo; the office answers from a
desktop; the resident reads the answer. Real Chromium, CSRF on."""
from factories import browser_log_in, make_resident
from images import photo_with_gps
from models import Accountant, AccountantHoa, Hoa
from tickets.models import Ticket


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_phone_files_a_request_with_a_photo_and_reads_the_reply(live_server, browser, page,
                                                                tmp_path):
    import demo
    app = live_server.app
    with app.app_context():
        demo.load(echo=lambda *a: None, files=("accounts.csv",))
        hoa = Hoa.get(Hoa.prefixes == "10")
        make_resident("100001", "phone-pass-1", email="anna@example.ru", phone="+7 900 1")
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    photo = tmp_path / "leak.jpg"
    photo.write_bytes(photo_with_gps(size=(1200, 900)))

    page.set_viewport_size({"width": 360, "height": 740})
    browser_log_in(page, live_server.url, "100001", "phone-pass-1")
    page.click("[data-card=tickets] a:has-text('Новая заявка')")
    page.wait_for_url("**/cabinet/requests/new")
    no_sideways_scroll(page, 360)
    page.select_option("#category", "сантехника")
    page.fill("#text", "Капает с потолка в ванной")
    page.check("#urgent")
    page.set_input_files("#files", str(photo))
    page.click("form[data-new-ticket] button[type=submit]")
    page.wait_for_url("**/cabinet/requests/*")
    assert "отправлена в ТСЖ" in page.inner_text(".alert-success")
    image = page.locator("[data-attachments] img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1200
    assert image.bounding_box()["width"] <= 360
    no_sideways_scroll(page, 360)
    with app.app_context():
        ticket = Ticket.get()

    desk = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    office = desk.new_page()
    office.set_default_timeout(15000)
    office.goto(live_server.url + "/office/login")
    office.fill("#email", "buh@rassvet.example")
    office.fill("#password", "office-pass-1")
    office.click("form.form-narrow button[type=submit]")
    office.wait_for_url("**/office/*")
    office.click("a:has-text('Заявки')")
    office.click(f"[data-ticket='{ticket.id}'] td a >> nth=0")
    office.select_option("#status-status", "in_progress")
    office.click("form[data-status-form] button[type=submit]")
    office.fill("#reply-text", "Сантехник придёт сегодня до 18:00")
    office.click("form[data-reply-form] button[type=submit]")
    assert "Ответ отправлен жильцу" in office.inner_text(".alert-success")
    desk.close()

    page.reload()
    thread = page.inner_text("[data-thread]")
    assert "Сантехник придёт сегодня до 18:00" in thread and "В работе" in thread
    assert "В работе" in page.inner_text("[data-ticket-status]")
    no_sideways_scroll(page, 360)
    page.click("a:has-text('Мои заявки') >> nth=-1")
    assert "В работе" in page.inner_text(f"[data-ticket='{ticket.id}']")
    no_sideways_scroll(page, 360)
