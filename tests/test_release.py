"""Releasing a registration: a page says what will happen, the button releases, the released
address gets a letter, and the security log has it."""
import re

from helpers import Outbox
from models import Account, AuditEvent, Resident


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def account_id(app, number):
    with app.app_context():
        return Account.by_number(number).id


def test_release_asks_first_then_releases_and_writes(office, client, demo, resident, outbox):
    resident.register_and_activate("100001", "stranger@example.ru")
    letters = len(outbox.messages())
    page = client.get(f"/office/{office.id}/registrations").get_data(as_text=True)
    confirm = f"/office/{office.id}/registrations/{account_id(demo, '100001')}/release"
    assert f'href="{confirm}"' in page  # the list's button opens the confirmation
    response = client.get(confirm)
    assert response.status_code == 200
    summary = text(response)
    assert "Снять регистрацию лицевого счёта 100001?" in summary
    assert "stranger@example.ru" in summary and "Активна с" in summary
    assert "Вход с адресом stranger@example.ru удаляется" in summary
    assert "На stranger@example.ru уйдёт письмо об этом." in summary
    with demo.app_context():
        assert Resident.by_number("100001") is not None  # looking changes nothing
    assert len(outbox.messages()) == letters
    done = client.post(confirm, data={"email": "stranger@example.ru"}, follow_redirects=True)
    assert "Регистрация лицевого счёта 100001 снята" in text(done)
    assert "Об этом отправлено письмо на stranger@example.ru." in text(done)
    letter = outbox.last()
    assert letter["To"] == "stranger@example.ru"
    assert letter["Subject"] == "Домком: регистрация лицевого счёта 100001 снята"
    body = Outbox.text(letter)
    assert "сняла регистрацию лицевого счёта 100001" in body and "http://localhost/register" in body
    with demo.app_context():
        assert Resident.by_number("100001") is None
        event = AuditEvent.get(AuditEvent.event == "release")
        assert (event.email, event.detail) == ("buh@rassvet.example", "stranger@example.ru")
    log = text(client.get(f"/office/{office.id}/audit"))
    assert "Регистрация снята" in log
    assert "Адрес снятой регистрации: stranger@example.ru" in log


def test_a_registration_changed_since_the_page_is_not_released(office, client, demo, outbox):
    from helpers import ResidentActions
    first = ResidentActions(demo.test_client(), outbox)
    first.register_and_activate("100002", "first@example.ru")
    with demo.app_context():  # released by someone else after the page was opened
        Resident.by_number("100002").release()
    ResidentActions(demo.test_client(), outbox).register_and_activate("100002", "next@example.ru")
    letters = len(outbox.messages())
    response = client.post(
        f"/office/{office.id}/registrations/{account_id(demo, '100002')}/release",
        data={"email": "first@example.ru"}, follow_redirects=True)
    assert "изменилась, пока была открыта эта страница" in text(response)
    assert "next@example.ru" in text(response)  # the confirmation again, with the new login
    with demo.app_context():
        assert Resident.by_number("100002").email == "next@example.ru"
        assert AuditEvent.select().where(AuditEvent.event == "release").count() == 1
    assert len(outbox.messages()) == letters


def test_confirmation_of_an_unregistered_account_goes_back(office, client, demo):
    response = client.get(
        f"/office/{office.id}/registrations/{account_id(demo, '100005')}/release",
        follow_redirects=True)
    assert "Лицевой счёт 100005 не зарегистрирован." in text(response)
