"""Registration: every outcome has its own message; refused input changes nothing."""
from datetime import timedelta

import pytest

from models import Account, Hoa, Resident, now


def body(response):
    return response.get_data(as_text=True)


def test_success_sends_password_and_activation_link(demo, resident, outbox):
    r = resident.register(account="л/с № 100 001", email="anna@example.ru", name="Анна")
    assert r.status_code == 200
    assert 'data-outcome="registered"' in body(r)
    assert "a***@example.ru" in body(r)
    message = outbox.last()
    assert message["To"] == "anna@example.ru"
    assert "100001" in message["Subject"]
    text = outbox.text(message)
    assert "Здравствуйте, Анна!" in text
    assert outbox.links()[0].startswith("http://localhost/activate/")
    assert len(outbox.password()) == 10
    with demo.app_context():
        login = Resident.by_number("100001")
        assert login.email == "anna@example.ru" and not login.is_active
        assert login.consent_at is not None and login.consent_ip == "127.0.0.1"
        assert login.consent_version == demo.config["PRIVACY_POLICY_VERSION"]
        assert login.check_password(outbox.password())


def test_prefix_of_hoa_without_accounts_says_data_not_loaded(demo, resident, snapshot):
    before = snapshot()
    r = resident.register(account="200015")
    assert 'data-outcome="not_loaded"' in body(r)
    assert "ещё не загружены" in body(r)
    assert "Олег Петрович" in body(r)  # the accountant's contact of «Полёт»
    assert snapshot() == before


def test_unknown_prefix_says_data_not_loaded(demo, resident, snapshot):
    before = snapshot()
    r = resident.register(account="990001")
    assert 'data-outcome="not_loaded"' in body(r)
    assert snapshot() == before


def test_mistyped_number_of_loaded_hoa(demo, resident, snapshot):
    before = snapshot()
    r = resident.register(account="109999")
    assert 'data-outcome="mistyped"' in body(r)
    assert "Сверьте номер" in body(r)
    assert snapshot() == before


def test_already_registered_shows_operator_email(demo, resident, outbox, snapshot):
    resident.register_and_activate()
    before = snapshot()
    r = resident.register(email="stranger@example.ru")
    assert 'data-outcome="taken"' in body(r)
    assert demo.config["OPERATOR_EMAIL"] in body(r)
    assert snapshot() == before


def test_operator_request_reaches_operator(demo, resident, outbox, client):
    resident.register_and_activate()
    r = client.post("/register/operator", data={"account": "100001", "email": "me@example.ru",
                                               "phone": "+7 912 345-67-89", "text": "Это мой счёт"})
    assert r.status_code == 302
    message = outbox.last()
    assert message["To"] == demo.config["OPERATOR_EMAIL"]
    assert "+7 912 345-67-89" in outbox.text(message)


def test_pending_registration_offers_resend(demo, resident, outbox, client, snapshot):
    # someone without the code, where the HOA asks for the number only
    with demo.app_context():
        Hoa.update(registration_check="none").execute()
    resident.register(email="first@example.ru")
    before = snapshot()
    r = resident.register(email="second@example.ru", code="")
    assert 'data-outcome="pending"' in body(r)
    assert "f***@example.ru" in body(r)
    assert snapshot() == before
    r = client.post("/register/resend", data={"account": "100001"})
    assert r.status_code == 302
    assert outbox.last()["To"] == "first@example.ru"
    assert len(outbox.messages()) == 2


def test_expired_pending_registration_is_replaced_with_new_link(demo, resident, outbox):
    resident.register(email="old@example.ru")
    with demo.app_context():
        Resident.update(activation_sent_at=now() - timedelta(days=3),
                        created_at=now() - timedelta(days=3)).execute()
    old_link = outbox.links()[0]
    r = resident.register(email="new@example.ru")
    assert 'data-outcome="registered"' in body(r)
    assert "не активировали вовремя" in body(r)
    assert outbox.last()["To"] == "new@example.ru"
    with demo.app_context():
        assert Resident.select().count() == 1
        assert Resident.get().email == "new@example.ru"
    # the first letter's link no longer activates anything
    from helpers import path_of
    r = resident.client.get(path_of(old_link))
    assert r.status_code == 400


@pytest.mark.parametrize("data, message", [
    ({"account": "", "email": "a@example.ru", "consent": "y"}, "Введите номер лицевого счёта"),
    ({"account": "12ab34", "email": "a@example.ru", "consent": "y"}, "от 4 до 20 цифр"),
    ({"account": "123", "email": "a@example.ru", "consent": "y"}, "от 4 до 20 цифр"),
    ({"account": "1" * 60, "email": "a@example.ru", "consent": "y"}, "от 4 до 20 цифр"),
    ({"account": "100001", "email": "", "consent": "y"}, "Введите e-mail"),
    ({"account": "100001", "email": "not-an-email", "consent": "y"}, "не похоже на адрес"),
    ({"account": "100001", "email": "a" * 250 + "@example.ru", "consent": "y"}, "Слишком длинный"),
    ({"account": "100001", "email": "a@example.ru"}, "нужно согласие"),
    ({"account": "100001", "email": "a@example.ru", "consent": "y", "name": "Я" * 101},
     "не длиннее 100"),
])
def test_bad_input_is_refused_with_message(demo, client, snapshot, outbox, data, message):
    before = snapshot()
    r = client.post("/register", data=data)
    assert r.status_code == 400
    assert message in body(r)
    assert snapshot() == before
    assert outbox.messages() == []


def test_consent_box_is_not_ticked_by_default(demo, client):
    html = body(client.get("/register"))
    consent = html[html.index('name="consent"') - 200: html.index('name="consent"') + 100]
    assert "checked" not in consent
    assert "/privacy" in html


def test_registration_code_check(demo, resident, snapshot):
    with demo.app_context():
        Hoa.update(registration_check="code").where(Hoa.prefixes == "10").execute()
        Account.update(registration_code="K7Q2").where(Account.number == "100001").execute()
    before = snapshot()
    r = resident.register(code="WRONG")
    assert 'data-outcome="check_failed"' in body(r)
    assert snapshot() == before
    r = resident.register(code="K7Q2")
    assert 'data-outcome="registered"' in body(r)
