"""Changing data and password; forgot password that a stranger cannot abuse."""
from datetime import timedelta

import pytest

from helpers import follow, path_of
from factories import make_resident
from models import Resident, now


def body(response):
    return response.get_data(as_text=True)


def test_change_password_ends_other_sessions(demo, resident, client, app):
    password = resident.register_and_activate()
    resident.login(password=password)
    other = app.test_client()
    other.post("/login", data={"account": "100001", "password": password})
    assert other.get("/cabinet").status_code == 200
    r = client.post("/cabinet/password", data={"current_password": password,
                                               "new_password": "новый-пароль-1",
                                               "new_password_confirm": "новый-пароль-1"})
    assert r.status_code == 302
    assert client.get("/cabinet").status_code == 200  # this session goes on
    assert other.get("/cabinet").status_code == 302  # the other one ended
    resident.logout()
    assert resident.login(password=password).status_code == 401
    assert resident.login(password="новый-пароль-1").status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"current_password": "wrong-one", "new_password": "abcdefgh1",
      "new_password_confirm": "abcdefgh1"}, "Текущий пароль указан неверно"),
    ({"current_password": "{current}", "new_password": "abcdefgh1",
      "new_password_confirm": "abcdefgh2"}, "Новые пароли не совпадают"),
    ({"current_password": "{current}", "new_password": "short",
      "new_password_confirm": "short"}, "от 8 до 128"),
    ({"current_password": "", "new_password": "abcdefgh1",
      "new_password_confirm": "abcdefgh1"}, "Введите текущий пароль"),
])
def test_bad_password_change_is_refused(logged_in, client, snapshot, data, message):
    data = {k: v.replace("{current}", logged_in) for k, v in data.items()}
    before = snapshot()
    r = client.post("/cabinet/password", data=data)
    assert r.status_code == 400
    assert message in body(r)
    assert snapshot() == before


def test_forgot_password_old_one_works_until_link_followed(demo, resident, client, outbox):
    old = resident.register_and_activate()
    r = client.post("/forgot", data={"account": "100001"})
    assert 'data-outcome="sent"' in body(r)
    new = outbox.password()
    assert new != old
    assert resident.login(password=old).status_code == 302  # a stranger cannot lock us out
    resident.logout()
    assert resident.login(password=new).status_code == 401
    link = path_of(outbox.links()[0])
    r = follow(client, link)
    assert 'data-outcome="reset"' in body(r)
    assert resident.login(password=old).status_code == 401
    assert resident.login(password=new).status_code == 302
    resident.logout()
    r = client.get(link)
    assert r.status_code == 400 and 'data-outcome="used"' in body(r)


def test_forgot_answers_the_same_for_unknown_numbers(demo, resident, client, outbox):
    resident.register_and_activate()
    known = body(client.post("/forgot", data={"account": "100001"}))
    unknown = body(client.post("/forgot", data={"account": "100002"}))
    nonsense = body(client.post("/forgot", data={"account": "999999"}))
    strip = lambda html: html.split("<main", 1)[1].split("</main>", 1)[0]  # noqa: E731
    assert strip(known) == strip(unknown) == strip(nonsense)
    assert len(outbox.messages()) == 2  # activation + one reset


def test_expired_reset_link_keeps_old_password(demo, resident, client, outbox):
    old = resident.register_and_activate()
    client.post("/forgot", data={"account": "100001"})
    demo.config["RESET_MAX_AGE"] = -1
    r = client.get(path_of(outbox.links()[0]))
    assert r.status_code == 400 and 'data-outcome="expired"' in body(r)
    assert resident.login(password=old).status_code == 302


def test_a_resident_registered_long_ago_can_reset_the_password(demo, resident, client, outbox):
    """The 48 hours of a registration bound its activation, not a later password reset."""
    old = resident.register_and_activate()
    with demo.app_context():
        Resident.update(created_at=now() - timedelta(days=400)).execute()
    client.post("/forgot", data={"account": "100001"})
    r = follow(client, outbox.links()[0])
    assert r.status_code == 200 and 'data-outcome="reset"' in body(r)
    new = outbox.password()
    assert new != old and resident.login(password=new).status_code == 302


def test_profile_change_and_email_confirmation(logged_in, client, outbox, demo, snapshot):
    r = client.post("/cabinet/profile", data={"name": "Анна Сергеевна", "phone": "+7 (912) 345-67-89",
                                              "email": "resident@example.ru"})
    assert r.status_code == 302
    with demo.app_context():
        login = Resident.get()
        assert (login.name, login.phone) == ("Анна Сергеевна", "+7 (912) 345-67-89")
    r = client.post("/cabinet/profile", data={"name": "Анна", "phone": "",
                                              "email": "new@example.ru",
                                              "current_password": logged_in})
    assert r.status_code == 302
    with demo.app_context():
        assert Resident.get().email == "resident@example.ru"  # not before confirmation
    message = outbox.last()
    assert message["To"] == "new@example.ru"
    r = follow(client, outbox.links(message)[0])
    assert "Новый e-mail подтверждён" in body(r)
    with demo.app_context():
        assert Resident.get().email == "new@example.ru"
    before = snapshot()
    for data in ({"email": "bad"}, {"email": "a@b.ru", "phone": "call me"},
                 {"email": "a@b.ru", "name": "x" * 101}):
        assert client.post("/cabinet/profile", data=data).status_code == 400
    assert snapshot() == before


def test_cabinet_needs_login(demo, client):
    for path in ["/cabinet", "/cabinet/profile", "/cabinet/password"]:
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_new_email_waits_in_the_queue_when_mail_server_is_down(tmp_path):
    from helpers import Outbox, ResidentActions, free_port
    from testdb import make_app
    from models import OutgoingMail
    app = make_app(tmp_path, "demo", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                   MAIL_TIMEOUT=2)
    with app.app_context():
        make_resident("100001", "profile-pass-1", email="old@example.ru")
    client = app.test_client()
    ResidentActions(client, Outbox(tmp_path)).login(password="profile-pass-1")
    r = client.post("/cabinet/profile", data={"name": "", "phone": "", "email": "new@example.ru",
                                              "current_password": "profile-pass-1"},
                    follow_redirects=True)
    assert "почтовый сервер сейчас не отвечает" in body(r)
    with app.app_context():
        assert Resident.get().pending_email == "new@example.ru"
        assert Resident.get().email == "old@example.ru"
        assert OutgoingMail.select().where(OutgoingMail.to == "new@example.ru").count() == 1


def test_a_server_hashes_with_the_full_work_factor(tmp_path):
    """Tests hash cheaply (TESTING); an app without TESTING, as on a server, does not."""
    from helpers import Outbox, ResidentActions
    from testdb import make_app
    from passwords import PASSWORD_METHOD, TESTING_PASSWORD_METHOD
    app = make_app(tmp_path, "demo", TESTING=False)
    resident = ResidentActions(app.test_client(), Outbox(app.config["MAIL_OUTBOX"]))
    password = resident.register_and_activate()
    with app.app_context():
        assert Resident.get().password_hash.startswith(PASSWORD_METHOD + "$")
    assert resident.login(password=password).status_code == 302
    assert resident.client.get("/cabinet").status_code == 200
    assert TESTING_PASSWORD_METHOD != PASSWORD_METHOD


@pytest.mark.parametrize("who", ["resident", "accountant"])
def test_a_hash_made_with_older_parameters_is_made_again_at_the_next_login(demo, client, who):
    """A hash of another scrypt (N=2^14, p=2 until 2026-12) verifies and is replaced by one
    of today's parameters at the next good login; a wrong password leaves it as it was."""
    from werkzeug.security import generate_password_hash
    from models import Accountant
    from passwords import password_method
    old = generate_password_hash("old-pass-1", method="scrypt:16384:8:2")
    with demo.app_context():
        if who == "resident":
            person = make_resident()
            login = ("/login", {"account": "100001"})
        else:
            person = Accountant.create(email="buh@example.ru", name="Бух", password_hash="-")
            login = ("/office/login", {"email": "buh@example.ru"})
        model, today = type(person), password_method()
        model.update(password_hash=old).where(model.id == person.id).execute()

    def stored():
        return model.get_by_id(person.id).password_hash
    path, data = login
    assert client.post(path, data={**data, "password": "wrong-pass-1"}).status_code == 401
    with demo.app_context():
        assert stored() == old
    assert client.post(path, data={**data, "password": "old-pass-1"}).status_code == 302
    with demo.app_context():
        made = stored()
    assert made != old and made.startswith(today + "$")
    client.post("/logout" if who == "resident" else "/office/logout")
    assert client.post(path, data={**data, "password": "old-pass-1"}).status_code == 302
    with demo.app_context():
        assert stored() == made  # made once


def test_expired_email_change_link_keeps_the_old_email(logged_in, client, outbox, demo):
    r = client.post("/cabinet/profile", data={"name": "Анна", "phone": "",
                                              "email": "new@example.ru",
                                              "current_password": logged_in})
    assert r.status_code == 302
    link = path_of(outbox.links(outbox.last())[0])
    demo.config["EMAIL_CHANGE_MAX_AGE"] = -1  # every token is now past its age
    r = client.get(link)
    assert r.status_code == 400
    assert "Срок действия ссылки истёк" in body(r) and "ещё раз" in body(r)
    with demo.app_context():
        assert Resident.get().email == "resident@example.ru"
        assert Resident.get().pending_email == "new@example.ru"
    demo.config["EMAIL_CHANGE_MAX_AGE"] = 24 * 3600  # the same link, still young, works
    assert "Новый e-mail подтверждён" in body(follow(client, link))
    with demo.app_context():
        assert Resident.get().email == "new@example.ru"
