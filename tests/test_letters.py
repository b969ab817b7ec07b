"""Letters about changes through a real SMTP server on 127.0.0.1: the month's charges (once per
load, "corrected" on a changed re-load), readings decisions, the choice of letters in "My data"
and the one-click unsubscribe link (RFC 8058)."""
import io
import re

import pytest

import charge_letters
from helpers import Outbox, path_of
from testdb import make_app
from factories import make_resident
from letter_models import ChargeLetter, ChargeMailing, LetterOptOut
from models import Accountant, AccountantHoa, Hoa, Resident
from uploading import CHARGES_HEADER
from test_worker import Worker, queue_app, wait_for, workers  # noqa: F401 (a fixture)
from factories_meters import clear_meters, make_meter

DECEMBER = "12.2026"


@pytest.fixture
def mail_app(tmp_path, smtp_server):
    app = make_app(tmp_path, "demo", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                   MAIL_TIMEOUT=5, BASE_URL="https://domkom.example.ru", TRUSTED_HOSTS=["localhost"])
    with app.app_context():
        make_resident("100001", email="anna@example.ru", name="Анна")
        make_resident("100002", email="boris@example.ru")
        not_activated = make_resident("100003", email="late@example.ru")
        Resident.update(activated_at=None).where(Resident.id == not_activated.id).execute()
    return app


def office_client(app):
    client = app.test_client()
    with app.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    assert client.post("/office/login", data={"email": "buh@rassvet.example",
                                              "password": "office-pass-1"}).status_code == 302
    return client, hoa


def charges(amount="1500,00", month=DECEMBER, numbers=("100001", "100002", "100003")):
    rows = "".join(f"{month};{n};Содержание жилья;м²;50;30;{amount};0;0\n" for n in numbers)
    return ("charges.csv", (CHARGES_HEADER + rows).encode())


def load(client, hoa, file):
    data = {"files": [(io.BytesIO(file[1]), file[0])]}
    preview = client.post(f"/office/{hoa.id}/import", data=data,
                          content_type="multipart/form-data")
    assert preview.status_code == 200, preview.get_data(as_text=True)[:1000]
    confirmed = client.post(f"/office/{hoa.id}/import/confirm")
    assert confirmed.status_code == 302


def to(smtp_server, address):
    return [m for m in smtp_server.messages if m["To"] == address]


def unsubscribe_url(message):
    return re.fullmatch(r"<(https://[^>]+)>", message["List-Unsubscribe"].strip()).group(1)


def test_a_load_of_charges_sends_each_registered_resident_one_letter(mail_app, smtp_server):
    client, hoa = office_client(mail_app)
    load(client, hoa, charges())
    anna, boris = to(smtp_server, "anna@example.ru"), to(smtp_server, "boris@example.ru")
    assert len(anna) == 1 and len(boris) == 1
    assert to(smtp_server, "late@example.ru") == []  # never activated: no letter
    message = anna[0]
    assert "декабрь 2026" in message["Subject"] and "100001" in message["Subject"]
    body = Outbox.text(message)
    assert "Здравствуйте, Анна!" in body
    assert "1 500,00" in body  # the sum to pay
    assert "10.01.2027" in body  # the HOA's pay-by day of the next month
    assert "https://domkom.example.ru/cabinet/statements/2026-12" in body
    assert "исправлен" not in body
    # RFC 8058: a one-click link of our site, the same as the footer's
    link = unsubscribe_url(message)
    assert link.startswith("https://domkom.example.ru/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html and "1 500,00" in html
    with mail_app.app_context():
        assert ChargeMailing.select().where(ChargeMailing.finished_at.is_null()).count() == 0
        assert ChargeLetter.select().count() == 2


def test_a_repeated_job_sends_nothing_more_and_a_changed_reload_says_corrected(
        mail_app, smtp_server):
    client, hoa = office_client(mail_app)
    load(client, hoa, charges())
    assert len(smtp_server.messages) == 2
    with mail_app.app_context():
        mailing = ChargeMailing.get()
        charge_letters.send_charge_letters(mailing.id)  # the job again: it is finished
        ChargeMailing.update(finished_at=None).execute()  # as if killed before finishing
        with mail_app.test_request_context():
            charge_letters.hand_back_unfinished()  # the next worker's start
        assert ChargeMailing.get().finished_at is not None
    assert len(smtp_server.messages) == 2  # no letter twice
    load(client, hoa, charges())  # the same figures again: nothing changed for anyone
    assert len(smtp_server.messages) == 2
    load(client, hoa, charges(amount="1400,00", numbers=("100001", "100003")))
    corrected = to(smtp_server, "anna@example.ru")[-1]
    assert len(smtp_server.messages) == 3  # Boris's month has no charges now: no letter
    assert "исправленные начисления" in corrected["Subject"]
    body = Outbox.text(corrected)
    assert "исправил" in body and "1 400,00" in body


def test_an_older_month_or_a_payments_load_sends_no_letter(mail_app, smtp_server):
    client, hoa = office_client(mail_app)
    load(client, hoa, charges())
    load(client, hoa, charges(month="11.2026", amount="999,00"))
    assert len(smtp_server.messages) == 2  # November is history once December is in
    payments = ("payments.csv", "Лицевой счёт;Дата оплаты;Сумма;Период\n"
                "100001;05.01.2027;1500,00;01.2027\n".encode())
    load(client, hoa, payments)
    assert len(smtp_server.messages) == 2


def test_unsubscribe_by_a_post_without_login_and_a_get_changes_nothing(tmp_path, smtp_server):
    app = make_app(tmp_path, "demo", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                   WTF_CSRF_ENABLED=True, BASE_URL="https://domkom.example.ru", TRUSTED_HOSTS=["localhost"])
    with app.app_context():
        make_resident("100001", email="anna@example.ru")
    client, hoa = office_client_csrf(app)
    load_with_csrf(client, hoa, charges(numbers=("100001",)))
    link = unsubscribe_url(smtp_server.messages[-1])
    stranger = app.test_client()  # a mail program: no session, no form token
    for _ in range(3):  # scanners open links, perhaps several times
        page = stranger.get(path_of(link))
        assert page.status_code == 200 and "data-link-confirm" in page.get_data(as_text=True)
    with app.app_context():
        assert LetterOptOut.select().count() == 0
    done = stranger.post(path_of(link), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert "больше не приходят" in done.get_data(as_text=True)
    assert stranger.post(path_of(link)).status_code == 200  # a second click is no error
    with app.app_context():
        assert [(o.resident.email, o.topic) for o in LetterOptOut.select()] == \
            [("anna@example.ru", "charges")]
    before = len(smtp_server.messages)
    load_with_csrf(client, hoa, charges(amount="1200,00", numbers=("100001",)))
    assert len(smtp_server.messages) == before  # turned off: no corrected letter either


def office_client_csrf(app):
    """The office logged in through its real login form, with the form token."""
    with app.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        accountant = Accountant(email="buh@rassvet.example")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    client = app.test_client()
    token = token_of(client.get("/office/login"))
    assert client.post("/office/login", data={"email": "buh@rassvet.example",
                                              "password": "office-pass-1",
                                              "csrf_token": token}).status_code == 302
    return client, hoa


def token_of(response):
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    return found.group(1)


def load_with_csrf(client, hoa, file):
    token = token_of(client.get(f"/office/{hoa.id}/import"))
    preview = client.post(f"/office/{hoa.id}/import", content_type="multipart/form-data",
                          data={"files": [(io.BytesIO(file[1]), file[0])], "csrf_token": token})
    assert preview.status_code == 200, preview.get_data(as_text=True)[:500]
    token = token_of(preview)
    assert client.post(f"/office/{hoa.id}/import/confirm",
                       data={"csrf_token": token}).status_code == 302


def test_a_broken_or_foreign_unsubscribe_token_is_refused(mail_app):
    client = mail_app.test_client()
    assert client.get("/unsubscribe/not-a-token").status_code == 400
    assert client.post("/unsubscribe/not-a-token").status_code == 400
    with mail_app.app_context(), mail_app.test_request_context():
        from tokens import make_unsubscribe_token
        import itsdangerous
        forged = itsdangerous.URLSafeSerializer("another-key", salt="domkom-unsubscribe") \
            .dumps([1, "charges"])
        good = make_unsubscribe_token(1, "charges")
    assert client.post(f"/unsubscribe/{forged}").status_code == 400
    assert good != forged
    with mail_app.app_context():
        assert LetterOptOut.select().count() == 0


def test_security_letters_still_come_when_every_topic_is_off(mail_app, smtp_server):
    client = mail_app.test_client()
    assert client.post("/login", data={"account": "100001",
                                       "password": "resident-pass-1"}).status_code == 302
    assert client.post("/cabinet/letters", data={}).status_code == 302  # every box unticked
    with mail_app.app_context():
        assert LetterOptOut.select().count() == 5
    profile = client.get("/cabinet/profile").get_data(as_text=True)
    assert "data-letters" in profile and "checked" not in profile.split("data-letters")[1]
    office, hoa = office_client(mail_app)
    load(office, hoa, charges())
    assert to(smtp_server, "anna@example.ru") == []
    assert len(to(smtp_server, "boris@example.ru")) == 1
    r = client.post("/cabinet/password", data={"current_password": "resident-pass-1",
                                               "new_password": "new-pass-2026-x",
                                               "new_password_confirm": "new-pass-2026-x"})
    assert r.status_code == 302
    letters = to(smtp_server, "anna@example.ru")
    assert len(letters) == 1 and "пароль" in letters[0]["Subject"]
    assert letters[0]["List-Unsubscribe"] is None  # a security letter has no way out
    # and ticking a box again brings its letters back
    client.post("/cabinet/letters", data={"charges": "y"})
    with mail_app.app_context():
        assert {o.topic for o in LetterOptOut.select()} == \
            {"readings", "requests", "reminders", "meetings"}
    load(office, hoa, charges(amount="1600,00"))
    assert len(to(smtp_server, "anna@example.ru")) == 2


def test_a_declined_reading_and_one_entered_by_the_office_are_told_the_resident(
        mail_app, smtp_server):
    from meter_models import Reading
    with mail_app.app_context():
        clear_meters()
        meter = make_meter(serial="CW-7")
    client, hoa = office_client(mail_app)
    r = client.post(f"/office/{hoa.id}/readings/meter/{meter.id}",
                    data={"period": "2026-03", f"m{meter.id}_t1": "15"})
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    entered = to(smtp_server, "anna@example.ru")
    assert len(entered) == 1
    assert "CW-7" in Outbox.text(entered[0]) and "15" in Outbox.text(entered[0])
    assert entered[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with mail_app.app_context():
        reading = Reading.select().where(Reading.meter == meter.id).get()
    r = client.post(f"/office/{hoa.id}/readings/{reading.id}/status",
                    data={"decision": "declined", "reason": "Фото счётчика не совпадает"})
    assert r.status_code == 302
    declined = to(smtp_server, "anna@example.ru")[-1]
    assert len(to(smtp_server, "anna@example.ru")) == 2
    assert "отклонено" in declined["Subject"] and "отклонил" in Outbox.text(declined)
    assert "Фото счётчика не совпадает" in Outbox.text(declined)
    assert "/cabinet/meters" in Outbox.text(declined)


def test_reminders_follow_the_choice_of_letters(demo, logged_in, client, runner, outbox):
    with demo.app_context():
        Hoa.update(window_start_day=15, window_end_day=25).where(Hoa.prefixes == "10").execute()
        clear_meters()
        make_meter(serial="CW-1")
    assert client.post("/cabinet/letters", data={"charges": "y"}).status_code == 302
    before = len(outbox.messages())
    result = runner.invoke(args=["remind", "--today", "2026-03-15"])
    assert "Reminders sent: 0" in result.output and len(outbox.messages()) == before
    client.post("/cabinet/letters", data={"reminders": "y"})
    result = runner.invoke(args=["remind", "--today", "2026-03-15"])
    assert "Reminders sent: 1" in result.output
    reminder = outbox.last()
    assert "/unsubscribe/" in reminder["List-Unsubscribe"]
    assert "Напоминания о передаче показаний" in Outbox.text(reminder)  # the footer names it


def test_the_worker_writes_the_letters_not_the_confirming_request(tmp_path, workers,
                                                                  smtp_server):
    app = queue_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    with app.app_context():
        make_resident("100001", email="anna@example.ru")
        make_resident("100002", email="boris@example.ru")
    client, hoa = office_client(app)
    load(client, hoa, charges())  # answers at once: the load and its letters wait
    with app.app_context():
        assert ChargeLetter.select().count() == 0 and ChargeMailing.select().count() == 0
    workers.append(Worker(app, tmp_path / "worker.log"))
    wait_for(lambda: len(smtp_server.messages) == 2, what="the charges letters")
    with app.app_context():
        assert ChargeLetter.select().count() == 2
        assert ChargeMailing.get().finished_at is not None
    assert {m["To"] for m in smtp_server.messages} == {"anna@example.ru", "boris@example.ru"}
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
               for m in smtp_server.messages)
