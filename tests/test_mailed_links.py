"""Links in letters: always on the site's own address, and opening one changes nothing."""
import re
from datetime import date

import pytest

import mail
from helpers import ROOT, Outbox, ResidentActions, follow, path_of
from testdb import make_app
from factories import make_resident, registration_code
from factories_meters import clear_meters, make_meter
from models import Hoa, Resident

SITE = "https://domkom.example.ru"
CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def body(response):
    return response.get_data(as_text=True)


@pytest.fixture
def site(tmp_path):
    """The demo accounts on a site whose address is SITE, reached by the tests as localhost."""
    import demo as demo_data
    app = make_app(tmp_path, BASE_URL=SITE, TRUSTED_HOSTS=["localhost"])
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
    return app


def request_email_change(app, number="100001", new="new@example.ru"):
    """A resident of `number` waiting to confirm `new`, and the letter with the link."""
    with app.app_context():
        resident = make_resident(number, email="old@example.ru", pending_email=new)
    with app.test_request_context(base_url="http://evil.example"):
        mail.send_email_change(Resident.get_by_id(resident.id))


def test_a_request_for_another_host_is_refused_and_mails_nothing(demo, client, outbox, snapshot):
    with demo.app_context():
        make_resident("100001")
    before = snapshot()
    evil = {"Host": "evil.example"}
    r = client.post("/forgot", data={"account": "100001"}, headers=evil)
    assert r.status_code == 400 and r.mimetype == "text/plain"
    assert "По этому адресу сайт не работает" in body(r)
    for path in ("/", "/login", "/register", "/activate/x", "/reset/x", "/no-such-page"):
        assert client.get(path, headers=evil).status_code == 400
    assert client.post("/register", data={"account": "100002", "email": "a@example.ru",
                                          "consent": "y"}, headers=evil).status_code == 400
    assert outbox.messages() == [] and snapshot() == before
    assert client.get("/", headers={"Host": "localhost:5000"}).status_code == 200


def test_a_forwarded_host_from_the_proxy_is_checked_too(tmp_path):
    app = make_app(tmp_path, PROXY_COUNT=1)
    r = app.test_client().get("/", headers={"X-Forwarded-Host": "evil.example"})
    assert r.status_code == 400


def test_every_letter_links_to_the_site_address(site, snapshot):
    client, outbox = site.test_client(), Outbox(site.config["MAIL_OUTBOX"])
    resident = ResidentActions(client, outbox)
    resident.register("100001", "anna@example.ru")
    assert client.post("/register/resend", data={"account": "100001"}).status_code == 302
    assert 'data-outcome="activated"' in body(resident.activate())
    assert 'data-outcome="sent"' in body(client.post("/forgot", data={"account": "100001"}))
    assert client.post("/register/operator", data={
        "account": "100001", "email": "owner@example.ru", "phone": "+7 912 000-00-00",
        "text": "Это мой счёт"}).status_code == 302
    request_email_change(site, "100002")
    with site.app_context():
        Hoa.update(window_start_day=15, window_end_day=25).where(Hoa.prefixes == "10").execute()
        clear_meters()
        make_meter(serial="CW-1", verified_until=date(2027, 1, 1))
    result = site.test_cli_runner().invoke(args=["remind", "--today", "2026-03-15"])
    assert "Reminders sent: 1" in result.output, result.output
    letters = outbox.messages()
    assert len(letters) == 6
    kinds = set()
    for letter in letters:
        text = Outbox.text(letter)
        html = letter.get_body(preferencelist=("html",)).get_content()
        for link in outbox.links(letter) + re.findall(r'href="([^"]+)"', html):
            assert link.startswith(SITE + "/"), (letter["Subject"], link)
            kinds.add(urlsplit_path(link))
        assert "localhost" not in text and "localhost" not in html
    assert kinds == {"activate", "reset", "cabinet", "unsubscribe"}


def urlsplit_path(link):
    return path_of(link).split("/")[1]


def test_letters_take_no_address_from_the_request():
    """Letters get their links from mail.external_url(); a template building its own would
    take the Host of whoever caused the letter."""
    for template in (ROOT / "templates" / "email").iterdir():
        text = template.read_text()
        assert "url_for" not in text and "request." not in text, template.name


def test_extra_host_names_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DOMKOM_TRUSTED_HOSTS", "domkom.local, office.example")
    app = make_app(tmp_path, BASE_URL=SITE)
    client = app.test_client()
    for host, status in [("domkom.example.ru", 200), ("domkom.local", 200),
                         ("office.example:8443", 200), ("localhost", 400),
                         ("127.0.0.1:5000", 400), ("evil.example", 400)]:
        assert client.get("/", headers={"Host": host}).status_code == status, host
    monkeypatch.setenv("DOMKOM_TRUSTED_HOSTS", '["portal.example"]')
    (tmp_path / "json").mkdir()
    app = make_app(tmp_path / "json", BASE_URL=SITE)
    assert app.config["TRUSTED_HOSTS"] == ["domkom.example.ru", "portal.example"]


# --- opening a link changes nothing; its one button does ---------------------------------------

def test_opening_the_activation_link_only_shows_the_button(demo, resident, client, outbox,
                                                           snapshot):
    resident.register()
    link = path_of(outbox.links()[0])
    before = snapshot()
    for _ in range(3):  # a mail scanner may open it several times, HEAD included
        r = client.get(link)
        assert r.status_code == 200 and 'data-outcome="ready"' in body(r)
        assert "data-link-confirm" in body(r) and "Активировать регистрацию" in body(r)
        assert client.head(link).status_code == 200
    assert snapshot() == before
    with demo.app_context():
        assert not Resident.get().is_active
    r = client.post(link)
    assert 'data-outcome="activated"' in body(r)
    with demo.app_context():
        assert Resident.get().is_active
    r = client.get(link)
    assert 'data-outcome="already"' in body(r) and "data-link-confirm" not in body(r)


def test_opening_the_reset_link_keeps_the_old_password_and_the_sessions(demo, logged_in, client,
                                                                        resident, outbox,
                                                                        snapshot):
    stranger = demo.test_client()
    assert stranger.post("/forgot", data={"account": "100001"}).status_code == 200
    link, new = path_of(outbox.links()[0]), outbox.password()
    before = snapshot()
    r = stranger.get(link)
    assert r.status_code == 200 and 'data-outcome="ready"' in body(r)
    assert "Включить новый пароль" in body(r)
    assert stranger.head(link).status_code == 200
    assert snapshot() == before
    assert client.get("/cabinet").status_code == 200  # the resident's session lives on
    r = stranger.post(link)
    assert 'data-outcome="reset"' in body(r)
    assert client.get("/cabinet").status_code == 302
    assert resident.login(password=logged_in).status_code == 401
    assert resident.login(password=new).status_code == 302


def test_opening_the_email_link_keeps_the_old_address(demo, client, outbox, snapshot):
    request_email_change(demo)
    link = outbox.links()[0]
    before = snapshot()
    r = client.get(path_of(link))
    assert r.status_code == 200 and "Подтвердить e-mail" in body(r)
    assert "new@example.ru" in body(r)
    assert snapshot() == before
    r = follow(client, link)
    assert "Новый e-mail подтверждён" in body(r)
    with demo.app_context():
        assert Resident.get().email == "new@example.ru" and Resident.get().pending_email is None


def mailed_links(app, resident, outbox):
    """An activation, a reset and an e-mail change link, each waiting for its button."""
    resident.register("100001", "anna@example.ru")
    activation = outbox.links()[0]
    request_email_change(app, "100002")
    email_change = outbox.links()[0]
    app.test_client().post("/forgot", data={"account": "100002"})
    links = {"activate": activation, "email": email_change, "reset": outbox.links()[0]}
    assert "/activate/" in activation and "/email/" in email_change and "/reset/" in links["reset"]
    return links


@pytest.mark.parametrize("kind, ok_text, expired_text, used_text", [
    ("activate", 'data-outcome="ready"', 'data-outcome="expired"', 'data-outcome="already"'),
    ("reset", 'data-outcome="ready"', 'data-outcome="expired"', 'data-outcome="used"'),
    ("email", "Подтвердить e-mail", "Срок действия ссылки истёк", "Ссылка уже использована"),
])
def test_broken_expired_and_used_links_say_so_without_a_change(demo, resident, client, outbox,
                                                               snapshot, kind, ok_text,
                                                               expired_text, used_text):
    links = mailed_links(demo, resident, outbox)
    link = path_of(links[kind])
    assert ok_text in body(client.get(link))
    before = snapshot()
    for method in (client.get, client.post):
        r = method(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
        assert r.status_code == 400 and "data-link-confirm" not in body(r)
        assert "недействительна" in body(r) or 'data-outcome="invalid"' in body(r)
    for key in ("ACTIVATION_MAX_AGE", "RESET_MAX_AGE", "EMAIL_CHANGE_MAX_AGE"):
        demo.config[key] = -1
    for method in (client.get, client.post):
        r = method(link)
        assert r.status_code == 400 and expired_text in body(r)
        assert "data-link-confirm" not in body(r)
    assert snapshot() == before
    for key, age in (("ACTIVATION_MAX_AGE", 48), ("RESET_MAX_AGE", 24),
                     ("EMAIL_CHANGE_MAX_AGE", 24)):
        demo.config[key] = age * 3600
    assert client.post(link).status_code == 200
    after = snapshot()
    r = client.get(link)
    assert used_text in body(r) and "data-link-confirm" not in body(r)
    assert client.post(link).status_code in (200, 400) and snapshot() == after


def test_the_button_needs_the_form_token(tmp_path):
    import demo as demo_data
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
    client, outbox = app.test_client(), Outbox(app.config["MAIL_OUTBOX"])
    page = client.get("/register").get_data(as_text=True)
    client.post("/register", data={"account": "100001", "email": "anna@example.ru",
                                   "code": registration_code(app, "100001"),
                                   "consent": "y", "csrf_token": CSRF_TOKEN.search(page)[1]})
    link = path_of(outbox.links()[0])
    token = CSRF_TOKEN.search(body(client.get(link)))[1]
    r = client.post(link)  # a forged POST from another site carries no token
    assert r.status_code == 400
    with app.app_context():
        assert not Resident.get().is_active
    r = client.post(link, data={"csrf_token": token})
    assert 'data-outcome="activated"' in body(r)
