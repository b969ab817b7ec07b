"""Password change, password reset and release end every other session; the office times out."""
import time

from helpers import follow, path_of
from factories import registration_code
from models import Account, Accountant, AuditEvent, Resident


def login(app, password, remember=False):
    client = app.test_client()
    data = {"account": "100001", "password": password}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/cabinet").status_code == 200
    return client


def is_in(client):
    return client.get("/cabinet").status_code == 200


def test_password_change_ends_other_sessions(demo, logged_in, client):
    phone = login(demo, logged_in)
    laptop = login(demo, logged_in, remember=True)
    r = client.post("/cabinet/password", data={
        "current_password": logged_in, "new_password": "new-secret-9",
        "new_password_confirm": "new-secret-9"})
    assert r.status_code == 302
    assert is_in(client)  # the device that changed it stays in
    assert not is_in(phone) and not is_in(laptop)
    # the remembered device cannot come back with its old cookie either
    laptop.delete_cookie("session")
    assert not is_in(laptop)
    assert is_in(login(demo, "new-secret-9"))


def test_wrong_current_password_keeps_sessions(demo, logged_in, client):
    phone = login(demo, logged_in)
    r = client.post("/cabinet/password", data={
        "current_password": "not-it", "new_password": "new-secret-9",
        "new_password_confirm": "new-secret-9"})
    assert r.status_code == 400
    assert is_in(client) and is_in(phone)


def test_password_reset_ends_every_session(demo, logged_in, client, outbox):
    phone = login(demo, logged_in)
    stranger = demo.test_client()
    assert stranger.post("/forgot", data={"account": "100001"}).status_code == 200
    # asking is not enough: the sessions live until the link is followed
    assert is_in(client) and is_in(phone)
    new_password = outbox.password()
    assert follow(stranger, outbox.links()[0]).status_code == 200
    assert not is_in(client) and not is_in(phone)
    assert is_in(login(demo, new_password))


def test_release_ends_sessions_and_frees_the_account(demo, logged_in, client, resident, office):
    phone = login(demo, logged_in)
    with demo.app_context():
        accountant = Accountant.get()
        Resident.by_number("100001").release(accountant=accountant, ip="192.0.2.7")
        event = AuditEvent.get(AuditEvent.event == "release")
        assert (event.account_number, event.ip, event.accountant_id, event.hoa_id) == \
            ("100001", "192.0.2.7", accountant.id, office.id)
        assert Resident.select().count() == 0
        assert Account.by_number("100001") is not None
    assert not is_in(phone)
    r = demo.test_client().post("/register", data={
        "account": "100001", "email": "new@example.ru", "consent": "y",
        "code": registration_code(demo, "100001")})
    assert 'data-outcome="registered"' in r.get_data(as_text=True)


def set_seen(client, seconds_ago):
    with client.session_transaction() as session:
        session["office_seen"] = int(time.time()) - seconds_ago


def test_office_session_survives_activity(office, client, demo):
    set_seen(client, 29 * 60)
    assert client.get(f"/office/{office.id}").status_code == 200
    assert client.get(f"/office/{office.id}").status_code == 200


def test_idle_office_session_ends(office, client, demo):
    assert client.get(f"/office/{office.id}").status_code == 200
    set_seen(client, 31 * 60)
    r = client.get(f"/office/{office.id}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "сеанс завершён" in page
    # logged out for good, not just redirected once
    r = client.get(f"/office/{office.id}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_idle_limit_is_a_setting(office, client, demo):
    demo.config["OFFICE_IDLE_MINUTES"] = 5
    set_seen(client, 4 * 60)
    assert client.get(f"/office/{office.id}").status_code == 200  # under the limit
    set_seen(client, 6 * 60)
    r = client.get(f"/office/{office.id}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "5 минут" in page  # the message names the limit that was set
    r = client.get(f"/office/{office.id}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]
