"""No lost mail: a real SMTP server on 127.0.0.1 receives, refuses or is down; the queue retries."""
from datetime import timedelta

import pytest

from helpers import Outbox, ResidentActions, follow
from testdb import make_app
from models import OutgoingMail, Resident, now


@pytest.fixture
def mail_app(tmp_path, smtp_server):
    return make_app(tmp_path, "demo_full", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                    MAIL_TIMEOUT=5)


def text_of(message):
    return Outbox.text(message)


def queued(app):
    with app.app_context():
        return list(OutgoingMail.select().order_by(OutgoingMail.id))


def residents(app):
    with app.app_context():
        return Resident.select().count()


def send_queued(app):
    return app.test_cli_runner().invoke(args=["send-queued"]).output.strip()


def test_registration_mail_arrives_and_its_link_works(mail_app, smtp_server):
    client = mail_app.test_client()
    r = ResidentActions(client, None).register(name="Анна Сергеевна", email="anna@example.ru")
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert 'data-mail="delayed"' not in r.get_data(as_text=True)
    assert len(smtp_server.messages) == 1 and queued(mail_app) == []
    message = smtp_server.messages[0]
    assert smtp_server.envelopes[0].rcpt_tos == ["anna@example.ru"]
    assert message["To"] == "anna@example.ru"
    assert "100001" in message["Subject"]
    assert message.get_body(preferencelist=("plain",)).get_content_charset() == "utf-8"
    body = text_of(message)
    assert "Анна Сергеевна" in body  # Cyrillic survives the trip through SMTP
    link = next(word for word in body.split() if "/activate/" in word)
    assert link.startswith("http://localhost/activate/")  # absolute, from BASE_URL
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html
    password = Outbox("unused").password(message)
    assert follow(client, link).status_code == 200
    r = client.post("/login", data={"account": "100001", "password": password})
    assert r.status_code == 302


@pytest.mark.parametrize("reply", ["550 5.7.1 Relaying denied", "451 4.3.0 Try again later"])
def test_refused_mail_is_queued_and_registration_stands(mail_app, smtp_server, reply):
    smtp_server.reply = reply
    client = mail_app.test_client()
    r = ResidentActions(client, None).register(email="anna@example.ru")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'data-outcome="registered"' in page and 'data-mail="delayed"' in page
    assert "Регистрироваться повторно не нужно" in page
    assert residents(mail_app) == 1 and smtp_server.messages == []
    [item] = queued(mail_app)
    assert item.to == "anna@example.ru" and item.attempts == 1 and item.sent_at is None
    assert reply.split()[0] in item.last_error
    smtp_server.reply = None
    assert send_queued(mail_app) == "sent 1, failed 0, waiting 0"
    assert len(smtp_server.messages) == 1
    [item] = queued(mail_app)
    assert item.sent_at is not None and item.attempts == 2
    # the delivered letter's link activates the registration that was kept
    link = next(w for w in text_of(smtp_server.messages[0]).split() if "/activate/" in w)
    assert follow(client, link).status_code == 200
    with mail_app.app_context():
        assert Resident.get().is_active
    assert send_queued(mail_app) == "sent 0, failed 0, waiting 0"
    assert len(smtp_server.messages) == 1  # sent once, never twice


def test_unreachable_server_then_up(mail_app, smtp_server):
    smtp_server.stop()
    client = mail_app.test_client()
    actions = ResidentActions(client, None)
    r = actions.register(email="anna@example.ru")
    assert 'data-mail="delayed"' in r.get_data(as_text=True)
    r = actions.register(account="100002", email="boris@example.ru")
    assert 'data-mail="delayed"' in r.get_data(as_text=True)
    assert residents(mail_app) == 2 and len(queued(mail_app)) == 2
    # a cron run while the server is still down: both wait, later and later
    assert send_queued(mail_app) == "sent 0, failed 2, waiting 2"
    assert [m.attempts for m in queued(mail_app)] == [2, 2]
    assert all(m.next_attempt_at > now() for m in queued(mail_app))
    smtp_server.start()
    # the backoff holds them until their time comes
    assert send_queued(mail_app) == "sent 0, failed 0, waiting 2"
    assert smtp_server.messages == []
    with mail_app.app_context():
        OutgoingMail.update(next_attempt_at=now() - timedelta(seconds=1)).execute()
    assert send_queued(mail_app) == "sent 2, failed 0, waiting 0"
    assert sorted(m["To"] for m in smtp_server.messages) == ["anna@example.ru",
                                                             "boris@example.ru"]


def test_forgot_password_and_resend_tell_about_delay(mail_app, smtp_server):
    client = mail_app.test_client()
    actions = ResidentActions(client, None)
    actions.register(email="anna@example.ru")
    smtp_server.reply = "451 4.3.0 Try again later"
    r = client.post("/register/resend", data={"account": "100001"}, follow_redirects=True)
    assert "будут отправлены автоматически" in r.get_data(as_text=True)
    with mail_app.app_context():
        Resident.update(activated_at=now()).execute()
    r = client.post("/forgot", data={"account": "100001"})
    assert 'data-mail="delayed"' in r.get_data(as_text=True)
    assert len(queued(mail_app)) == 2
    with mail_app.app_context():
        assert Resident.get().pending_password_hash  # the request stands


def test_backoff_grows_and_stops(mail_app, smtp_server):
    smtp_server.reply = "451 4.3.0 Try again later"
    ResidentActions(mail_app.test_client(), None).register(email="anna@example.ru")
    pauses = []
    for _ in range(8):
        with mail_app.app_context():
            OutgoingMail.update(next_attempt_at=now() - timedelta(seconds=1)).execute()
            before = now()
        send_queued(mail_app)
        [item] = queued(mail_app)
        pauses.append(round((item.next_attempt_at - before).total_seconds() / 60))
    assert pauses == [5, 15, 60, 180, 360, 360, 360, 360]


def test_newline_in_name_or_subject_adds_no_header(mail_app, smtp_server):
    client = mail_app.test_client()
    ResidentActions(client, None).register(
        email="anna@example.ru", name="Анна\r\nBcc: victim@evil.example\r\nX-Evil: 1")
    [message] = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == ["anna@example.ru"]
    assert message["Bcc"] is None and message["X-Evil"] is None
    import mail
    with mail_app.test_request_context():
        result = mail.send_email("anna@example.ru", "Тема\r\nBcc: victim@evil.example\nX-Evil: 1",
                                 "operator_request", number="100001", email="a@example.ru",
                                 phone="1", text="")
    assert result == mail.SENT
    second = smtp_server.messages[1]
    assert second["Bcc"] is None and second["X-Evil"] is None
    assert second["Subject"] == "Тема Bcc: victim@evil.example X-Evil: 1"
    assert smtp_server.envelopes[1].rcpt_tos == ["anna@example.ru"]


@pytest.mark.parametrize("address", ["anna@example.ru\r\nBcc: victim@evil.example",
                                     "anna@example.ru\nBcc: victim@evil.example"])
def test_newline_in_email_is_refused(mail_app, smtp_server, address):
    r = ResidentActions(mail_app.test_client(), None).register(email=address)
    assert r.status_code == 400
    assert residents(mail_app) == 0 and smtp_server.messages == [] and queued(mail_app) == []


def test_slow_mail_server_does_not_lock_the_database(mail_app, smtp_server):
    """Twelve people register at once while every e-mail takes 1.5 s to hand over: the
    database must not stay locked while the mail goes out."""
    import threading
    smtp_server.delay = 1.5
    numbers = [str(100001 + i) for i in range(12)]
    results = {}

    def register(number):
        client = mail_app.test_client()
        r = ResidentActions(client, None).register(account=number, email=f"{number}@example.ru")
        results[number] = (r.status_code, 'data-outcome="registered"' in r.get_data(as_text=True))

    threads = [threading.Thread(target=register, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(results[n] == (200, True) for n in numbers), results
    assert residents(mail_app) == 12 and len(smtp_server.messages) == 12
