"""Throttling: per client address, per account number and address, per account number and day,
with a Russian 429 page; a stranger's failures never lock the owner out."""
from pathlib import Path

from testdb import make_app
from factories import make_resident, registration_code
from models import Account, Accountant, AccountantHoa, Hoa, Resident

import pytest

LIMITS = {
    "RATELIMIT_LOGIN_PER_IP": "5 per 15 minutes",
    "RATELIMIT_LOGIN_PER_ACCOUNT_AND_IP": "3 per 15 minutes",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "8 per day",
    "RATELIMIT_REGISTER_PER_IP": "6 per hour",
    "RATELIMIT_REGISTER_PER_ACCOUNT_AND_IP": "2 per hour",
    "RATELIMIT_REGISTER_PER_ACCOUNT": "5 per day",
    "RATELIMIT_MAIL_PER_IP": "4 per hour",
    "RATELIMIT_MAIL_PER_ACCOUNT_AND_IP": "2 per hour",
    "RATELIMIT_MAIL_PER_ACCOUNT": "3 per day",
    "RATELIMIT_OPERATOR_PER_IP": "4 per hour",
    "RATELIMIT_OPERATOR_PER_ACCOUNT_AND_IP": "2 per hour",
    "RATELIMIT_OPERATOR_PER_ACCOUNT": "3 per day",
    "RATELIMIT_OFFICE_LOGIN_PER_IP": "5 per 15 minutes",
    "RATELIMIT_OFFICE_LOGIN_PER_EMAIL_AND_IP": "3 per 15 minutes",
    "RATELIMIT_OFFICE_LOGIN_PER_EMAIL": "8 per day",
}
DAY = 24 * 60


@pytest.fixture
def limited(tmp_path):
    return make_app(tmp_path, "demo_full", RATELIMIT_ENABLED=True, **LIMITS)


def post(client, path, ip, **data):
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": ip})


def register_active(app, number="100001", password="right-pass-1"):
    with app.app_context():
        make_resident(number, password)


def assert_throttled(response, minutes):
    text = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 'data-outcome="throttled"' in text
    waiting = f"через {minutes // 60} час" if minutes > 120 else f"через {minutes} минут"
    assert "Слишком много попыток" in text and waiting in text
    assert (minutes - 1) * 60 < int(response.headers["Retry-After"]) <= minutes * 60


def test_a_strangers_failures_do_not_lock_the_owner_out(limited):
    register_active(limited)
    client = limited.test_client()
    for _ in range(3):
        assert post(client, "/login", "10.0.0.1", account="100001", password="bad").status_code == 401
    # the guesser's address waits, even with the right password
    r = post(client, "/login", "10.0.0.1", account="л/с 100 001", password="right-pass-1")
    assert_throttled(r, 15)
    # the owner, at their own address, logs in
    r = post(limited.test_client(), "/login", "10.0.0.99", account="100001",
             password="right-pass-1")
    assert r.status_code == 302


def test_guessing_one_account_from_many_addresses_is_capped_per_day(limited):
    register_active(limited)
    client = limited.test_client()
    for i in range(8):
        assert post(client, "/login", f"10.0.1.{i}", account="100001", password="bad").status_code == 401
    # a ninth address, even with the right password, waits for the day's count to end
    r = post(client, "/login", "10.0.1.99", account="л/с 100 001", password="right-pass-1")
    assert_throttled(r, DAY)
    # another account from the same addresses is not affected
    register_active(limited, "100002")
    r = post(client, "/login", "10.0.1.0", account="100002", password="right-pass-1")
    assert r.status_code == 302


def test_login_failures_per_address_over_many_numbers(limited):
    client = limited.test_client()
    for i in range(5):
        r = post(client, "/login", "10.1.1.1", account=str(100010 + i), password="bad")
        assert r.status_code == 401
    assert_throttled(post(client, "/login", "10.1.1.1", account="100020", password="bad"), 15)
    assert post(client, "/login", "10.1.1.2", account="100020", password="bad").status_code == 401


def test_successful_logins_are_not_counted(limited):
    register_active(limited)
    for _ in range(6):
        client = limited.test_client()
        r = post(client, "/login", "10.2.2.2", account="100001", password="right-pass-1")
        assert r.status_code == 302


def test_wrong_registration_code_counts_as_failed_attempt(limited):
    with limited.app_context():
        Hoa.update(registration_check="code").execute()
        Account.update(registration_code="K7").where(Account.number == "100003").execute()
    client = limited.test_client()
    form = dict(account="100003", email="a@example.ru", consent="y")
    assert post(client, "/register", "10.3.0.1", code="X1", **form).status_code == 403
    assert post(client, "/register", "10.3.0.1", code="X2", **form).status_code == 403
    r = post(client, "/register", "10.3.0.1", code="K7", **form)
    assert_throttled(r, 60)
    with limited.app_context():
        assert Resident.select().count() == 0
    # the owner, at their own address, registers with the code from the receipt
    r = post(limited.test_client(), "/register", "10.3.0.9", code="K7", **form)
    assert 'data-outcome="registered"' in r.get_data(as_text=True)


def test_wrong_codes_for_one_account_from_many_addresses_are_capped_per_day(limited):
    with limited.app_context():
        Account.update(registration_code="K7").where(Account.number == "100003").execute()
    client = limited.test_client()
    form = dict(account="100003", email="a@example.ru", consent="y")
    for i in range(5):
        assert post(client, "/register", f"10.3.1.{i}", code=f"X{i}", **form).status_code == 403
    assert_throttled(post(client, "/register", "10.3.1.99", code="K7", **form), DAY)
    with limited.app_context():
        assert Resident.select().count() == 0


def test_registration_per_address_counts_every_try(limited):
    client = limited.test_client()
    for i in range(6):
        r = post(client, "/register", "10.4.0.1", account=str(200001 + i), email="a@example.ru",
                 consent="y")
        assert r.status_code == 200  # "HOA not loaded": an answer that tells something
    assert_throttled(post(client, "/register", "10.4.0.1", account="200100",
                          email="a@example.ru", consent="y"), 60)


@pytest.mark.parametrize("path", ["/forgot", "/register/resend"])
def test_mail_doors_count_every_request(limited, path):
    register_active(limited)
    client = limited.test_client()
    for _ in range(2):
        assert post(client, path, "10.5.0.1", account="100001").status_code in (200, 302)
    assert_throttled(post(client, path, "10.5.0.1", account="100001"), 60)
    # another address may still ask, until the account's letters for the day run out
    assert post(client, path, "10.5.0.2", account="100001").status_code in (200, 302)
    assert_throttled(post(client, path, "10.5.0.3", account="100001"), DAY)
    sent = list(Path(limited.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(sent) == (3 if path == "/forgot" else 0)


def operator_request(client, ip, account="100001"):
    return post(client, "/register/operator", ip, account=account, email="me@example.ru",
                phone="+7 912 345-67-89", text="Это мой счёт")


def test_operator_request_is_throttled_per_address_and_per_account(limited):
    register_active(limited)
    client = limited.test_client()
    for _ in range(2):
        assert operator_request(client, "10.8.0.1").status_code == 302
    assert_throttled(operator_request(client, "10.8.0.1"), 60)
    assert operator_request(client, "10.8.0.2").status_code == 302
    assert_throttled(operator_request(client, "10.8.0.3"), DAY)
    # one address writing about many accounts
    for number in ("100011", "100012", "100013"):
        assert operator_request(client, "10.8.0.2", number).status_code == 302
    assert_throttled(operator_request(client, "10.8.0.2", "100014"), 60)
    sent = list(Path(limited.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(sent) == 6


def test_office_login_failures_per_email(limited):
    with limited.app_context():
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=Hoa.get(Hoa.prefixes == "10"))
    client = limited.test_client()
    for _ in range(3):
        r = post(client, "/office/login", "10.6.0.1", email="buh@rassvet.example", password="x")
        assert r.status_code == 401
    r = post(client, "/office/login", "10.6.0.1", email=" BUH@rassvet.example",
             password="office-pass-1")
    assert_throttled(r, 15)
    r = post(client, "/office/login", "10.6.0.1", email="other@rassvet.example", password="x")
    assert r.status_code == 401
    # the accountant at their own address logs in
    r = post(limited.test_client(), "/office/login", "10.6.0.8", email="buh@rassvet.example",
             password="office-pass-1")
    assert r.status_code == 302
    for i in range(5):  # the day's cap for one e-mail, from many addresses
        post(client, "/office/login", f"10.6.1.{i}", email="buh@rassvet.example", password="x")
    r = post(client, "/office/login", "10.6.1.9", email="buh@rassvet.example",
             password="office-pass-1")
    assert_throttled(r, DAY)


def test_pages_are_not_throttled_by_get(limited):
    client = limited.test_client()
    for _ in range(20):
        assert client.get("/login").status_code == 200


def test_form_slips_are_not_counted(limited):
    client = limited.test_client()
    for i in range(6):  # the consent box forgotten again and again is not an attack
        r = post(client, "/register", f"10.7.0.{i}", account="100004", email="a@example.ru")
        assert r.status_code == 400
    r = post(client, "/register", "10.7.0.9", account="100004", email="a@example.ru",
             consent="y", code=registration_code(limited, "100004"))
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
