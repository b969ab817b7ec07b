"""Activation, login, logout, `next`, sessions."""
from helpers import follow, path_of
from models import Resident


def body(response):
    return response.get_data(as_text=True)


def test_activation_works_once(demo, resident):
    resident.register()
    r = resident.activate()
    assert 'data-outcome="activated"' in body(r)
    r = resident.activate()
    assert 'data-outcome="already"' in body(r)


def test_expired_activation_link_offers_new_one(demo, resident, outbox, client):
    resident.register()
    demo.config["ACTIVATION_MAX_AGE"] = -1  # every token is now past its age
    r = resident.activate()
    assert r.status_code == 400 and 'data-outcome="expired"' in body(r)
    with demo.app_context():
        assert not Resident.get().is_active
    demo.config["ACTIVATION_MAX_AGE"] = 48 * 3600
    r = client.post("/register/resend", data={"account": "100001"})
    assert r.status_code == 302
    r = follow(client, outbox.links(outbox.last())[0])
    assert 'data-outcome="activated"' in body(r)


def test_tampered_and_foreign_tokens_are_refused(demo, resident, outbox, client, snapshot):
    resident.register()
    link = path_of(outbox.links()[0])
    token = link.rsplit("/", 1)[1]
    before = snapshot()
    assert client.get(link[:-3] + "abc").status_code == 400
    assert client.get("/activate/garbage").status_code == 400
    # an activation token is not a password-reset token
    r = client.get(f"/reset/{token}")
    assert r.status_code == 400 and 'data-outcome="invalid"' in body(r)
    assert snapshot() == before


def test_login_and_logout(demo, resident, client):
    password = resident.register_and_activate()
    r = resident.login(password=password)
    assert r.status_code == 302 and r.headers["Location"] == "/cabinet"
    home = body(client.get("/cabinet"))
    assert "ТСЖ «Рассвет»" in home and "100001" in home
    assert "бета-тестирования" in home
    assert client.get("/logout").status_code == 405  # logout is POST only
    r = resident.logout()
    assert r.status_code == 302
    assert client.get("/cabinet").status_code == 302


def test_wrong_pair_gives_one_message(demo, resident):
    password = resident.register_and_activate()
    wrong_password = resident.login(password=password + "x")
    unknown_account = resident.login(account="100002", password=password)
    assert wrong_password.status_code == unknown_account.status_code == 401
    for r in (wrong_password, unknown_account):
        assert "Неверный номер лицевого счёта или пароль." in body(r)


def test_not_activated_account_is_told_so(demo, resident, outbox):
    resident.register()
    r = resident.login(password=outbox.password())
    assert r.status_code == 403 and 'data-outcome="not_activated"' in body(r)


def test_next_is_followed_only_on_site(demo, resident, client):
    password = resident.register_and_activate()
    data = {"account": "100001", "password": password}
    r = client.post("/login?next=/cabinet/profile", data=data)
    assert r.headers["Location"] == "/cabinet/profile"
    resident.logout()
    for evil in ["https://evil.example/", "//evil.example/x", "/\\evil.example"]:
        r = client.post("/login", query_string={"next": evil}, data=data)
        assert r.headers["Location"] == "/cabinet", evil
        resident.logout()


def test_session_cookie_flags(demo, resident):
    password = resident.register_and_activate()
    r = resident.login(password=password, remember=True)
    cookies = r.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=") and "HttpOnly" in c and "SameSite=Lax" in c
               for c in cookies)
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_post_without_csrf_token_is_refused(tmp_path):
    from testdb import make_app
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    r = app.test_client().post("/register", data={"account": "100001", "email": "a@b.ru",
                                                 "consent": "y"})
    assert r.status_code == 400
    assert "Форма устарела" in body(r)


def test_unknown_page_is_russian_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "Страница не найдена" in body(r)


def test_english_is_selectable(demo, client):
    client.post("/lang/en", data={"next": "/login"})
    assert "Account number" in body(client.get("/login"))
    client.post("/lang/ru")
    assert "Номер лицевого счёта" in body(client.get("/login"))
