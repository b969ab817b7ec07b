"""The office session: idle clock from the first cookie, password change and reset, and
logging out on every other device."""
import time

from models import Accountant, AuditEvent

EMAIL, PASSWORD = "buh@rassvet.example", "office-pass-1"


def office_client(app):
    client = app.test_client()
    r = client.post("/office/login", data={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 302
    return client


def is_in(client, hoa):
    return client.get(f"/office/{hoa.id}").status_code == 200


def test_the_login_cookie_carries_the_idle_clock(office, client):
    with client.session_transaction() as session:
        assert abs(session["office_seen"] - time.time()) < 60


def test_the_login_cookie_expires_when_unused(office, client, demo):
    """The very cookie issued at login, never used again, dies after the idle time."""
    with client.session_transaction() as session:
        session["office_seen"] -= 31 * 60
    r = client.get(f"/office/{office.id}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_an_office_cookie_without_the_clock_is_refused(office, client, demo):
    with client.session_transaction() as session:
        del session["office_seen"]
    r = client.get(f"/office/{office.id}")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]
    assert not is_in(client, office)


def test_office_logout_ends_copies_of_the_cookie(office, client, demo):
    copy = demo.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert is_in(copy, office)
    client.post("/office/logout")
    assert not is_in(client, office) and not is_in(copy, office)


def change(client, current, new="new-office-pass-2", confirm=None):
    return client.post("/office/password", data={
        "current_password": current, "new_password": new,
        "new_password_confirm": confirm or new})


def test_accountant_changes_password(office, client, demo):
    other = office_client(demo)
    page = client.get("/office/password").get_data(as_text=True)
    assert "Текущий пароль" in page and "Выйти на всех остальных устройствах" in page
    r = change(client, PASSWORD)
    assert r.status_code == 302
    assert is_in(client, office)  # this device stays in
    assert not is_in(other, office)
    assert demo.test_client().post("/office/login", data={
        "email": EMAIL, "password": PASSWORD}).status_code == 401
    assert demo.test_client().post("/office/login", data={
        "email": EMAIL, "password": "new-office-pass-2"}).status_code == 302
    with demo.app_context():
        assert AuditEvent.select().where(AuditEvent.event == "office_password_changed").count() == 1


def test_wrong_or_weak_password_changes_nothing(office, client, demo):
    other = office_client(demo)
    with demo.app_context():
        before = Accountant.get().password_hash, Accountant.get().session_salt
    r = change(client, "not-it")
    assert r.status_code == 400 and "Текущий пароль указан неверно" in r.get_data(as_text=True)
    assert change(client, PASSWORD, new="short").status_code == 400
    assert change(client, PASSWORD, confirm="something-else-1").status_code == 400
    with demo.app_context():
        assert (Accountant.get().password_hash, Accountant.get().session_salt) == before
    assert is_in(client, office) and is_in(other, office)


def test_office_password_page_needs_an_accountant(demo, client, logged_in):
    r = client.get("/office/password")  # a resident's session
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_operator_resets_accountant_password(office, client, demo):
    runner = demo.test_cli_runner()
    result = runner.invoke(args=["reset-accountant-password", "--email", EMAIL.upper()])
    assert result.exit_code == 0, result.output
    password = result.output.split(f"New password for {EMAIL}: ", 1)[1].split()[0]
    assert not is_in(client, office)
    assert demo.test_client().post("/office/login", data={
        "email": EMAIL, "password": PASSWORD}).status_code == 401
    assert demo.test_client().post("/office/login", data={
        "email": EMAIL, "password": password}).status_code == 302
    result = runner.invoke(args=["reset-accountant-password", "--email", "nobody@example.ru"])
    assert result.exit_code != 0 and "No accountant" in result.output


def test_accountant_logs_out_everywhere_else(office, client, demo):
    other = office_client(demo)
    r = client.post("/office/logout-others", follow_redirects=True)
    assert r.status_code == 200
    assert "Выполнен выход на всех остальных устройствах" in r.get_data(as_text=True)
    assert is_in(client, office) and not is_in(other, office)
    assert demo.test_client().post("/office/login", data={
        "email": EMAIL, "password": PASSWORD}).status_code == 302
