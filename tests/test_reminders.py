"""`flask --app app remind`: who gets which reminder, and never the same one twice."""
import socket
from datetime import date

import pytest

from factories import make_resident
from factories_meters import add_reading, clear_meters, make_meter
from meter_models import ReminderSent
from models import Hoa, Resident


@pytest.fixture
def setup(demo, logged_in):
    """Resident of 100001 (activated) with a cold-water meter; window days 15-25."""
    with demo.app_context():
        Hoa.update(window_start_day=15, window_end_day=25).where(Hoa.prefixes == "10").execute()
        clear_meters()
        meter = make_meter(serial="CW-1", verified_until=date(2027, 1, 1))
        make_meter(number="100002", serial="CW-2")  # no resident registered there
    return meter.id


def remind(runner, day):
    result = runner.invoke(args=["remind", "--today", day])
    assert result.exit_code == 0, result.output
    return result.output


def subjects(outbox):
    return [m["Subject"] for m in outbox.messages()]


def test_window_opening_reminder_once(setup, runner, outbox):
    before = len(outbox.messages())  # the activation letter
    assert "Reminders sent: 0" in remind(runner, "2026-03-14")
    assert "Reminders sent: 1" in remind(runner, "2026-03-15")
    assert "Reminders sent: 0" in remind(runner, "2026-03-15")
    assert "Reminders sent: 0" in remind(runner, "2026-03-16")
    mails = outbox.messages()[before:]
    assert len(mails) == 1
    assert mails[0]["To"] == "resident@example.ru"
    text = outbox.text(mails[0])
    assert "100001" in text and "25.03.2026" in text and "/cabinet/meters" in text


def test_closing_reminder_two_days_before(setup, runner, outbox):
    remind(runner, "2026-03-15")
    assert "Reminders sent: 0" in remind(runner, "2026-03-22")
    assert "Reminders sent: 1" in remind(runner, "2026-03-23")
    assert "Reminders sent: 0" in remind(runner, "2026-03-23")
    assert "Reminders sent: 0" in remind(runner, "2026-03-25")
    assert "Reminders sent: 0" in remind(runner, "2026-03-26")
    # next month is a new period
    assert "Reminders sent: 1" in remind(runner, "2026-04-15")
    with runner.app.app_context():
        kinds = [(r.kind, r.period) for r in ReminderSent.select().order_by(ReminderSent.id)]
    assert kinds == [("window_open", date(2026, 3, 1)), ("window_closing", date(2026, 3, 1)),
                     ("window_open", date(2026, 4, 1))]


def test_no_reminder_once_readings_are_in(setup, runner, outbox, demo):
    with demo.app_context():
        from meter_models import Meter
        add_reading(Meter.get_by_id(setup), date(2026, 3, 1), 10, source="resident")
    before = len(outbox.messages())
    assert "Reminders sent: 0" in remind(runner, "2026-03-15")
    assert "Reminders sent: 0" in remind(runner, "2026-03-24")
    assert len(outbox.messages()) == before


def test_not_activated_residents_get_nothing(setup, runner, outbox, demo):
    with demo.app_context():
        Resident.update(activated_at=None).execute()
    before = len(outbox.messages())
    assert "Reminders sent: 0" in remind(runner, "2026-03-15")
    assert len(outbox.messages()) == before


def test_verification_reminder_within_30_days_once(setup, runner, outbox, demo):
    with demo.app_context():
        Hoa.update(window_start_day=28, window_end_day=28).execute()
        make_meter(kind="hot_water", serial="HW-9", place="ванная",
                   verified_until=date(2026, 4, 10))
    before = len(outbox.messages())
    assert "Reminders sent: 0" in remind(runner, "2026-03-10")  # 31 days ahead
    assert "Reminders sent: 1" in remind(runner, "2026-03-11")
    assert "Reminders sent: 0" in remind(runner, "2026-03-11")
    assert "Reminders sent: 0" in remind(runner, "2026-04-01")
    mails = outbox.messages()[before:]
    assert len(mails) == 1
    text = outbox.text(mails[0])
    assert "HW-9" in text and "10.04.2026" in text and "CW-1" not in text


def test_bad_date_is_refused(setup, runner):
    result = runner.invoke(args=["remind", "--today", "15.03.2026"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output



class Keep:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_mailing_to(tmp_path, port):
    """The demo with an activated resident of 100001 and a meter, mailing through `port`."""
    from testdb import make_app
    app = make_app(tmp_path, "demo_full", MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                   MAIL_SUPPRESS_SEND=False)
    with app.app_context():
        make_resident("100001", "smtp-pass-1", email="resident@example.ru")
        clear_meters()
        make_meter(serial="CW-1")
    return app


def test_reminder_through_a_real_smtp_server(tmp_path):
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    handler, port = Keep(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = app_mailing_to(tmp_path, port)
        runner = app.test_cli_runner()
        assert "Reminders sent: 1" in remind(runner, "2026-03-15")
        assert "Reminders sent: 0" in remind(runner, "2026-03-15")
    finally:
        controller.stop()
    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.rcpt_tos == ["resident@example.ru"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert "показания" in message["Subject"]  # Russian by default
    assert "100001" in message.get_body(preferencelist=("plain",)).get_content()


def test_refused_mail_is_queued_once(tmp_path):
    from models import OutgoingMail
    app = app_mailing_to(tmp_path, free_port())  # nobody listens there
    assert "Reminders sent: 1" in remind(app.test_cli_runner(), "2026-03-15")
    assert "Reminders sent: 0" in remind(app.test_cli_runner(), "2026-03-15")
    with app.app_context():
        assert ReminderSent.select().count() == 1
        queued = list(OutgoingMail.select())
        assert len(queued) == 1 and queued[0].to == "resident@example.ru"
        assert "100001" in queued[0].text and queued[0].sent_at is None
