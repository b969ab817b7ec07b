"""The whole resident flow in a real browser, reading real .eml files."""
import email
import re
from email import policy
from pathlib import Path

from factories import browser_log_in, registration_code

from migrate import create_tables


def latest_mail(folder, count):
    files = sorted(Path(folder).glob("*.eml"))
    assert len(files) == count, f"expected {count} letters, found {len(files)}"
    message = email.message_from_bytes(files[-1].read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+", text).group(0)
    password = re.search(r":\s*([A-Za-z0-9]{10})\s*$", text, re.MULTILINE).group(1)
    return link, password


def test_register_activate_login_change_forgot(live_server, page):
    import demo
    with live_server.app.app_context():
        create_tables()
        demo.load(echo=lambda *a: None, files=("accounts.csv",))
    outbox = live_server.app.config["MAIL_OUTBOX"]
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(live_server.url + "/register")
    page.fill("#account", "100007")
    page.fill("#email", "browser@example.ru")
    page.fill("#code", registration_code(live_server.app, "100007"))  # printed on the receipt
    page.check("#consent")
    page.click("button[type=submit]:has-text('Отправить')")
    page.wait_for_selector("[data-outcome=registered]")

    link, password = latest_mail(outbox, 1)
    page.goto(link)
    page.wait_for_selector("[data-outcome=ready]")  # opening the link changes nothing
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-outcome=activated]")

    browser_log_in(page, live_server.url, "100007", password)
    assert "Лицевой счёт 100007" in page.text_content("h1")

    page.goto(live_server.url + "/cabinet/password")
    page.fill("#current_password", password)
    page.fill("#new_password", "мой-пароль-2026")
    page.fill("#new_password_confirm", "мой-пароль-2026")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Пароль изменён")
    # the address in use hears of the change
    files = sorted(Path(outbox).glob("*.eml"))
    notice = email.message_from_bytes(files[-1].read_bytes(), policy=policy.default)
    assert len(files) == 2 and notice["To"] == "browser@example.ru"
    assert "Пароль лицевого счёта 100007 изменён" in \
        notice.get_body(preferencelist=("plain",)).get_content()

    page.click(".navbar-toggler")
    page.wait_for_selector("#nav.collapse.show")  # the menu has opened, not still sliding open
    logout = page.locator("nav button:has-text('Выйти')")
    logout.wait_for(state="visible")
    with page.expect_navigation(timeout=30000):  # a loaded CI machine may take its time
        logout.click()
    page.wait_for_selector("text=Вы вышли из кабинета", timeout=30000)

    page.goto(live_server.url + "/forgot")
    page.fill("#account", "100007")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-outcome=sent]")
    link, new_password = latest_mail(outbox, 3)
    page.goto(link)
    page.wait_for_selector("[data-outcome=ready]")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-outcome=reset]")

    browser_log_in(page, live_server.url, "100007", new_password)
