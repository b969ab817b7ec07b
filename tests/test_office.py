"""The office pages of one HOA: the HOA boundary, registrations, notices and settings."""
import io
import re
from datetime import date

import pytest

from models import Account, AuditEvent, Charge, Hoa, Notice, Resident


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def other(demo):
    """«ЖСК «Полёт»», which the logged-in accountant does not work with, with a notice."""
    with demo.app_context():
        polet = Hoa.get(Hoa.prefixes == "20")
        Account.create(number="200001", hoa=polet, address="пр. Космонавтов, 5")
        Notice.create(hoa=polet, title="Собрание", body="В субботу")
        return polet


def test_another_hoas_pages_are_not_found(office, other, client, demo):
    with demo.app_context():
        account = Account.by_number("200001")
        notice = Notice.get(Notice.hoa == other)
    for path in ["import", "registrations", "notices", "notices/new", f"notices/{notice.id}",
                 "settings"]:
        assert client.get(f"/office/{other.id}/{path}").status_code == 404, path
    for path in ["import", "import/confirm", f"registrations/{account.id}/release",
                 f"notices/{notice.id}", f"notices/{notice.id}/delete", "settings", "notices/new"]:
        assert client.post(f"/office/{other.id}/{path}", data={"title": "x"}).status_code == 404
    with demo.app_context():
        assert Notice.get_by_id(notice.id).title == "Собрание"
        assert Hoa.get_by_id(other.id).name == "ЖСК «Полёт»"
    # its notice cannot be reached through the own HOA's address either
    assert client.get(f"/office/{office.id}/notices/{notice.id}").status_code == 404
    assert client.post(f"/office/{office.id}/notices/{notice.id}/delete").status_code == 404
    assert client.post(f"/office/{office.id}/registrations/{account.id}/release") \
        .status_code == 404


def test_residents_and_strangers_are_sent_to_the_office_login(demo, client, logged_in):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
    response = client.get(f"/office/{hoa.id}/import")
    assert response.status_code == 302 and "/office/login" in response.location


# --- the upload kept between preview and confirmation ----------------------------------------

CHARGES = ("Период;Лицевой счёт;Услуга;Начислено\n12.2026;100001;Вывоз ТКО;120,50\n").encode()


def preview(client, hoa):
    return client.post(f"/office/{hoa.id}/import",
                       data={"files": [(io.BytesIO(CHARGES), "charges.csv")]},
                       content_type="multipart/form-data")


def december(demo):
    with demo.app_context():
        return Charge.select().where(Charge.period == date(2026, 12, 1)).count()


def test_confirming_without_a_preview_saves_nothing(office, client, demo):
    response = client.post(f"/office/{office.id}/import/confirm", follow_redirects=True)
    assert "Загруженных файлов уже нет на сервере" in text(response)
    assert december(demo) == 0


@pytest.mark.parametrize("token", ["../../../etc", "x" * 32, None, 5])
def test_a_forged_upload_token_saves_nothing(office, client, demo, token):
    assert preview(client, office).status_code == 200
    with client.session_transaction() as session:
        session["import"] = {"token": token, "hoa": office.id}
    response = client.post(f"/office/{office.id}/import/confirm", follow_redirects=True)
    assert "Загруженных файлов уже нет на сервере" in text(response)
    assert december(demo) == 0


def test_an_upload_is_confirmed_once_and_its_files_are_removed(office, client, demo):
    preview(client, office)
    with client.session_transaction() as session:
        token = session["import"]["token"]
    import importer
    with demo.app_context():
        assert importer.unstash(token) == [("charges.csv", CHARGES)]
        assert importer.waiting(token) is not None
    response = client.post(f"/office/{office.id}/import/confirm", follow_redirects=True)
    assert "Данные сохранены: charges.csv." in text(response)
    assert december(demo) == 1
    with demo.app_context():
        assert importer.waiting(token) is None and importer.unstash(token) is None
    again = client.post(f"/office/{office.id}/import/confirm", follow_redirects=True)
    assert "Загруженных файлов уже нет на сервере" in text(again)


# --- registrations ---------------------------------------------------------------------------

def test_registrations_show_each_state(office, client, demo, resident):
    resident.register_and_activate("100001", "first@example.ru")
    resident.register("100002", "second@example.ru")
    page = client.get(f"/office/{office.id}/registrations").get_data(as_text=True)
    assert re.search(r'data-account="100001" data-state="active"', page)
    assert re.search(r'data-account="100002" data-state="pending"', page)
    assert re.search(r'data-account="100003" data-state="none"', page)
    assert "first@example.ru" in page
    only_pending = client.get(f"/office/{office.id}/registrations?state=pending") \
        .get_data(as_text=True)
    assert len(re.findall(r"data-account=\"\d+\" data-state=\"pending\"", only_pending)) == 1
    assert 'data-account="100001"' not in only_pending


def test_releasing_a_registration_lets_the_owner_register_again(office, client, demo, resident,
                                                                outbox):
    resident.register_and_activate("100001", "stranger@example.ru")
    with demo.app_context():
        account = Account.by_number("100001")
    response = client.post(f"/office/{office.id}/registrations/{account.id}/release",
                           follow_redirects=True)
    assert "Регистрация лицевого счёта 100001 снята" in text(response)
    with demo.app_context():
        assert Resident.by_number("100001") is None
        event = AuditEvent.get(AuditEvent.event == "release")
        assert event.account_number == "100001" and event.hoa_id == office.id
        assert event.accountant.email == "buh@rassvet.example"
        assert "stranger@example.ru" in event.detail
    owner = demo.test_client()
    from helpers import ResidentActions
    ResidentActions(owner, outbox).register("100001", "owner@example.ru")
    with demo.app_context():
        assert Resident.by_number("100001").email == "owner@example.ru"


def test_releasing_an_account_nobody_registered(office, client, demo):
    with demo.app_context():
        account = Account.by_number("100005")
    response = client.post(f"/office/{office.id}/registrations/{account.id}/release",
                           follow_redirects=True)
    assert "Лицевой счёт 100005 не зарегистрирован." in text(response)
    with demo.app_context():
        assert not AuditEvent.select().where(AuditEvent.event == "release").exists()


# --- notices ---------------------------------------------------------------------------------

def test_a_notice_is_written_shown_edited_and_deleted(office, client, demo, logged_in):
    accountant = demo.test_client()
    accountant.post("/office/login", data={"email": "buh@rassvet.example",
                                           "password": "office-pass-1"})
    today = date.today().isoformat()
    response = accountant.post(f"/office/{office.id}/notices/new", data={
        "title": "Промывка труб", "body": "Во вторник с 9 до 12", "starts_on": today})
    assert response.status_code == 302
    assert "Промывка труб" in text(client.get("/cabinet"))
    # the landing page is public: an HOA's notices are for its residents only
    assert "Промывка труб" not in text(demo.test_client().get("/"))
    with demo.app_context():
        notice = Notice.get(Notice.title == "Промывка труб")
    accountant.post(f"/office/{office.id}/notices/{notice.id}", data={
        "title": "Промывка труб отменена", "body": "", "starts_on": today})
    assert "Промывка труб отменена" in text(client.get("/cabinet"))
    accountant.post(f"/office/{office.id}/notices/{notice.id}/delete")
    assert "Промывка труб" not in text(client.get("/cabinet"))


@pytest.mark.parametrize("data, message", [
    ({"title": "", "starts_on": "2026-12-01"}, "Введите заголовок."),
    ({"title": "x" * 201, "starts_on": "2026-12-01"}, "Заголовок — не больше 200 символов."),
    ({"title": "Собрание", "starts_on": ""}, "Укажите, с какого дня показывать объявление."),
    ({"title": "Собрание", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
     "Последний день не может быть раньше первого."),
])
def test_a_wrong_notice_is_not_saved(office, client, demo, data, message):
    response = client.post(f"/office/{office.id}/notices/new", data=data)
    assert response.status_code == 400
    assert message in text(response)
    with demo.app_context():
        assert Notice.select().where(Notice.title == "Собрание").count() == 0
        assert Notice.select().count() == 2  # the demo's


# --- settings --------------------------------------------------------------------------------

SETTINGS = {
    "name": "ТСЖ «Рассвет»", "address": "г. Самара, ул. Солнечная, д. 12", "phone": "",
    "email": "buh@rassvet.example", "accountant_contact": "Анна Викторовна", "prefixes": "10",
    "recipient": "ТСЖ «Рассвет»", "inn": "6312345675", "kpp": "631201001",
    "bank_name": "ПАО «Демобанк»", "bic": "043601999",
    "settlement_account": "40703810200000001234", "corr_account": "30101810400000000999",
    "window_start_day": "15", "window_end_day": "25", "pay_by_day": "10",
    "registration_check": "code",
}


def test_settings_are_saved(office, client, demo):
    response = client.post(f"/office/{office.id}/settings", data=dict(SETTINGS, prefixes="10, 11"))
    assert response.status_code == 302
    with demo.app_context():
        hoa = Hoa.get_by_id(office.id)
        assert (hoa.prefixes, hoa.window_start_day, hoa.window_end_day, hoa.registration_check) \
            == ("10,11", 15, 25, "code")
        assert AuditEvent.select().where(AuditEvent.event == "settings_changed").count() == 1


@pytest.mark.parametrize("change, message", [
    ({"bic": "04360199"}, "БИК состоит из 9 цифр."),
    ({"inn": "63123"}, "ИНН состоит из 10 цифр"),
    ({"settlement_account": "4070381090000000123X"}, "20 цифр"),
    # a window may close in the next month (20th-5th), but must end before the next one opens
    ({"window_start_day": "29", "window_end_day": "28"}, "не позже 27-го числа"),
    ({"window_start_day": "0"}, "Укажите день месяца от 1 до 31."),
    ({"pay_by_day": "32"}, "Укажите день месяца от 1 до 31."),
    ({"prefixes": "1O"}, "Префиксы — это цифры через запятую"),
    ({"prefixes": "10,2"}, "Префикс 2 пересекается с префиксом другого ТСЖ."),
    ({"prefixes": "11"}, "Лицевой счёт 100001 не подойдёт ни под один префикс."),
    ({"name": ""}, "Введите название ТСЖ."),
    ({"registration_check": "magic"}, "Неверный вариант."),
])
def test_wrong_settings_are_not_saved(office, client, demo, change, message):
    with demo.app_context():
        before = Hoa.select().where(Hoa.id == office.id).dicts().get()
    response = client.post(f"/office/{office.id}/settings", data=dict(SETTINGS, **change))
    assert response.status_code == 400
    assert message in text(response)
    with demo.app_context():
        assert Hoa.select().where(Hoa.id == office.id).dicts().get() == before


@pytest.mark.parametrize("change, message", [
    ({"bic": "０４３６０１９９９"}, "БИК состоит из 9 цифр."),
    ({"inn": "²²²²²²²²²²"}, "ИНН состоит из 10 цифр"),
    ({"kpp": "６３１２０１００１"}, "КПП состоит из 9 цифр."),
    ({"settlement_account": "４０７０３８１０２００００００１２３４"}, "20 цифр"),
    ({"inn": "6312345678"}, "Контрольные цифры ИНН не сходятся"),
    ({"inn": "500100732250"}, "Контрольные цифры ИНН не сходятся"),
    ({"settlement_account": "40703810900000001234"}, "Номер счёта не сходится с БИК"),
    ({"corr_account": "30101810200000000999"}, "Номер счёта не сходится с БИК"),
    ({"bic": "044525225"}, "Номер счёта не сходится с БИК"),
])
def test_requisites_need_ascii_digits_and_their_control_sums(office, client, demo, change,
                                                             message):
    with demo.app_context():
        before = Hoa.select().where(Hoa.id == office.id).dicts().get()
    response = client.post(f"/office/{office.id}/settings", data=dict(SETTINGS, **change))
    assert response.status_code == 400
    assert message in text(response)
    with demo.app_context():
        assert Hoa.select().where(Hoa.id == office.id).dicts().get() == before


def test_real_requisites_with_their_control_sums_are_saved(office, client, demo):
    """Sberbank's published details: a 12-digit INN of a person is accepted too."""
    response = client.post(f"/office/{office.id}/settings", data=dict(
        SETTINGS, inn="500100732259", bic="044525225", settlement_account="40702810038000017240",
        corr_account="30101810400000000225"))
    assert response.status_code == 302
    with demo.app_context():
        hoa = Hoa.get_by_id(office.id)
        assert (hoa.inn, hoa.bic, hoa.corr_account) == ("500100732259", "044525225",
                                                        "30101810400000000225")


def test_the_demo_requisites_pass_their_own_checks(demo):
    import requisites
    with demo.app_context():
        for hoa in Hoa.select():
            assert requisites.inn_ok(hoa.inn), hoa.name
            if hoa.bic:
                assert requisites.account_key_ok(hoa.bic, hoa.settlement_account)
                assert requisites.account_key_ok(hoa.bic, hoa.corr_account, correspondent=True)
