"""Logging out, a password change, a reset and a release end a remembered login too, and
"log out on every other device" ends every other session."""
from helpers import follow
from factories import make_resident
from models import Accountant, Resident

REMEMBER = "remember_token"


def log_in(app, password, remember=True):
    client = app.test_client()
    data = {"account": "100001", "password": password}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    assert is_in(client)
    return client


def is_in(client):
    return client.get("/cabinet").status_code == 200


def kept(client):
    """The cookies a browser keeps, for replaying them from a client of their own."""
    return {name: client.get_cookie(name).value for name in ("session", REMEMBER)
            if client.get_cookie(name) is not None}


def replay(app, cookies, only=None):
    client = app.test_client()
    for name, value in cookies.items():
        if only in (None, name):
            client.set_cookie(name, value)
    return client


def test_remember_me_keeps_the_login_without_the_session_cookie(demo, logged_in):
    client = log_in(demo, logged_in)
    assert client.get_cookie(REMEMBER) is not None
    client.delete_cookie("session")  # the browser was closed
    assert is_in(client)


def test_logout_ends_a_remembered_login(demo, logged_in):
    client = log_in(demo, logged_in)
    before = kept(client)
    assert REMEMBER in before
    r = client.post("/logout")
    assert r.status_code == 302
    assert client.get_cookie(REMEMBER) is None  # the browser is told to delete it
    assert not is_in(client)
    client.delete_cookie("session")
    assert not is_in(client)
    # copies of the cookies taken before the logout open nothing either
    assert not is_in(replay(demo, before))
    assert not is_in(replay(demo, before, only=REMEMBER))
    assert not is_in(replay(demo, before, only="session"))
    assert is_in(log_in(demo, logged_in))  # the password still works


def test_password_change_ends_remembered_logins(demo, logged_in, client):
    laptop = log_in(demo, logged_in)
    cookies = kept(laptop)
    r = client.post("/cabinet/password", data={
        "current_password": logged_in, "new_password": "new-secret-9",
        "new_password_confirm": "new-secret-9"})
    assert r.status_code == 302
    assert not is_in(replay(demo, cookies, only=REMEMBER))
    assert not is_in(laptop)


def test_password_change_keeps_this_device_remembered(demo, logged_in):
    laptop = log_in(demo, logged_in)
    r = laptop.post("/cabinet/password", data={
        "current_password": logged_in, "new_password": "new-secret-9",
        "new_password_confirm": "new-secret-9"})
    assert r.status_code == 302
    laptop.delete_cookie("session")
    assert is_in(laptop)


def test_a_stale_remember_cookie_is_not_renewed(demo, logged_in, client):
    laptop = log_in(demo, logged_in)
    client.post("/cabinet/logout-others")  # the laptop's remember cookie is now stale
    assert laptop.post("/login", data={"account": "100001",
                                       "password": logged_in}).status_code == 302
    assert laptop.post("/cabinet/logout-others").status_code == 302
    laptop.delete_cookie("session")
    assert not is_in(laptop)


def test_reset_ends_remembered_logins(demo, logged_in, outbox):
    cookies = kept(log_in(demo, logged_in))
    stranger = demo.test_client()
    assert stranger.post("/forgot", data={"account": "100001"}).status_code == 200
    assert follow(stranger, outbox.links()[0]).status_code == 200
    assert not is_in(replay(demo, cookies, only=REMEMBER))


def test_release_ends_remembered_logins(demo, logged_in, office, resident):
    cookies = kept(log_in(demo, logged_in))
    with demo.app_context():
        Resident.by_number("100001").release(accountant=Accountant.get(), ip="192.0.2.7")
    assert not is_in(replay(demo, cookies, only=REMEMBER))
    # a new registration of the same account does not revive the old cookies
    with demo.app_context():
        make_resident("100001", "someone-else-1")
    assert not is_in(replay(demo, cookies, only=REMEMBER))
    assert not is_in(replay(demo, cookies))


def test_logout_everywhere_else(demo, logged_in, client):
    phone = log_in(demo, logged_in, remember=False)
    laptop = log_in(demo, logged_in)
    laptop_cookies = kept(laptop)
    r = client.post("/cabinet/logout-others", follow_redirects=True)
    assert r.status_code == 200
    assert "Выполнен выход на всех остальных устройствах" in r.get_data(as_text=True)
    assert is_in(client)
    assert not is_in(phone) and not is_in(laptop)
    assert not is_in(replay(demo, laptop_cookies, only=REMEMBER))
    with demo.app_context():
        assert Resident.get().check_password(logged_in)  # nothing else changed


def test_logout_everywhere_else_needs_a_post_and_a_login(demo, client):
    assert client.get("/cabinet/logout-others").status_code == 405
    r = client.post("/cabinet/logout-others")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
