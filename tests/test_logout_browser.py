"""In a real Chromium: a resident who ticked "remember me" logs out, and no cookie the browser
kept, before or after, opens the cabinet again."""
from urllib.parse import urlsplit

import demo as demo_data
from factories import make_resident
from migrate import create_tables

REMEMBER = "remember_token"


def opens_cabinet(browser, url, cookies):
    """Whether a browser holding only these cookies gets into /cabinet."""
    context = browser.new_context(locale="ru-RU")
    try:
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url + "/cabinet")
        return urlsplit(page.url).path == "/cabinet"
    finally:
        context.close()


def test_logout_ends_the_remembered_login(live_server, browser, page):
    with live_server.app.app_context():
        create_tables()
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        make_resident("100001", "resident-pass-1")
    url = live_server.url

    page.goto(url + "/login")
    page.fill("#account", "100001")
    page.fill("#password", "resident-pass-1")
    page.check("#remember")
    page.click("main button[type=submit]")
    page.wait_for_url("**/cabinet")
    before = page.context.cookies()
    remembered = [c for c in before if c["name"] == REMEMBER]
    assert remembered and remembered[0]["expires"] > 0  # kept when the browser is closed
    assert opens_cabinet(browser, url, remembered)  # it really is a login of its own

    page.click("nav button:has-text('Выйти')")
    page.wait_for_selector("text=Вы вышли из кабинета")
    after = page.context.cookies()
    assert REMEMBER not in {c["name"] for c in after}
    page.goto(url + "/cabinet")
    assert urlsplit(page.url).path == "/login"

    # the browser restarted: only the lasting cookies are left
    assert not opens_cabinet(browser, url, [c for c in after if c["expires"] > 0])
    # copies of what the browser held while logged in are worth nothing now
    assert not opens_cabinet(browser, url, before)
    assert not opens_cabinet(browser, url, remembered)
    assert not opens_cabinet(browser, url, [c for c in before if c["name"] != REMEMBER])
