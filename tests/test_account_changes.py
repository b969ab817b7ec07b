"""Changing the e-mail needs the current password; the address in use hears of an e-mail
or password change, with the accountant's contacts."""
import pytest

import demo as demo_data
from helpers import Outbox
from testdb import make_app
from factories import make_resident
from models import AuditEvent, Hoa, Resident

OLD, NEW = "resident@example.ru", "thief@example.ru"


def body(response):
    return response.get_data(as_text=True)


def profile(client, email=NEW, password=None):
    data = {"name": "Анна", "phone": "", "email": email}
    if password is not None:
        data["current_password"] = password
    return client.post("/cabinet/profile", data=data)


@pytest.mark.parametrize("given, message", [
    (None, "Чтобы сменить e-mail, введите текущий пароль"),
    ("", "Чтобы сменить e-mail, введите текущий пароль"),
    ("not-the-password", "Текущий пароль указан неверно"),
])
def test_new_email_needs_the_current_password(logged_in, client, outbox, demo, snapshot,
                                              given, message):
    sent = len(outbox.messages())
    before = snapshot()
    r = profile(client, password=given)
    assert r.status_code == 400 and message in body(r)
    assert snapshot() == before
    assert len(outbox.messages()) == sent  # no letter to the new address


def test_name_and_phone_change_without_the_password(logged_in, client, demo):
    r = client.post("/cabinet/profile", data={"name": "Анна С.", "phone": "+7 912 345-67-89",
                                              "email": OLD.upper()})
    assert r.status_code == 302
    with demo.app_context():
        assert (Resident.get().name, Resident.get().pending_email) == ("Анна С.", None)


def test_old_address_hears_of_a_new_email(logged_in, client, outbox, demo):
    with demo.app_context():
        Hoa.update(accountant_contact="Ирина Петровна", phone="+7 495 123-45-67",
                   email="buh@rassvet.example").where(Hoa.prefixes == "10").execute()
    assert profile(client, password=logged_in).status_code == 302
    notice, confirmation = outbox.messages()[-2:]
    assert confirmation["To"] == NEW
    assert notice["To"] == OLD and "100001" in notice["Subject"]
    text = outbox.text(notice)
    assert NEW in text
    assert "Ирина Петровна" in text and "+7 495 123-45-67" in text and "buh@rassvet.example" in text
    assert not outbox.links(notice)  # nothing to click for whoever reads the old mailbox
    with demo.app_context():
        assert Resident.get().email == OLD and Resident.get().pending_email == NEW
        assert AuditEvent.get(AuditEvent.event == "email_change_requested").detail == \
            f"{OLD} -> {NEW}"


def test_without_hoa_contacts_the_operator_is_named(logged_in, client, outbox, demo):
    with demo.app_context():
        Hoa.update(accountant_contact="", phone="", email="").execute()
    assert profile(client, password=logged_in).status_code == 302
    notice = outbox.messages()[-2]
    assert notice["To"] == OLD and demo.config["OPERATOR_EMAIL"] in outbox.text(notice)


def test_password_change_is_told_to_the_address_in_use(tmp_path, smtp_server):
    """Over a real SMTP server: the letter reaches the resident's address."""
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        Hoa.update(accountant_contact="Ирина Петровна").where(Hoa.prefixes == "10").execute()
        make_resident("100001", "profile-pass-1", email=OLD)
    client = app.test_client()
    client.post("/login", data={"account": "100001", "password": "profile-pass-1"})
    r = client.post("/cabinet/password", data={
        "current_password": "profile-pass-1", "new_password": "new-secret-9",
        "new_password_confirm": "new-secret-9"})
    assert r.status_code == 302
    (message,) = smtp_server.messages
    assert message["To"] == OLD and "100001" in message["Subject"]
    text = Outbox.text(message)
    assert "Пароль лицевого счёта 100001 изменён" in text and "Ирина Петровна" in text
    # a refused change sends nothing
    client.post("/cabinet/password", data={
        "current_password": "wrong", "new_password": "new-secret-10",
        "new_password_confirm": "new-secret-10"})
    assert len(smtp_server.messages) == 1
