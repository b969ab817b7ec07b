"""The per-HOA registration check: none, a code from the receipt, or the e-mail on file."""
import pytest

from models import Account, AuditEvent, Hoa, Resident


def set_check(app, mode, number="100001", code="", email_on_file=""):
    with app.app_context():
        Hoa.update(registration_check=mode).where(Hoa.prefixes == "10").execute()
        Account.update(registration_code=code, email_on_file=email_on_file) \
            .where(Account.number == number).execute()


def residents(app):
    with app.app_context():
        return Resident.select().count()


def test_no_check_registers_with_number_and_email(demo, resident, outbox):
    set_check(demo, "none")
    r = resident.register()
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert residents(demo) == 1 and len(outbox.messages()) == 1


def test_right_code_registers(demo, resident, outbox):
    set_check(demo, "code", code="K7-4412")
    r = resident.register(code=" K7-4412 ")
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert residents(demo) == 1 and len(outbox.messages()) == 1


@pytest.mark.parametrize("given", ["", "K7-4411", "k7-4412", "K7-4412x"])
def test_wrong_code_is_refused_and_nothing_saved(demo, resident, outbox, given):
    set_check(demo, "code", code="K7-4412")
    r = resident.register(code=given)
    text = r.get_data(as_text=True)
    assert r.status_code == 403
    assert 'data-outcome="check_failed"' in text
    assert residents(demo) == 0 and outbox.messages() == []
    with demo.app_context():
        assert AuditEvent.select().where(AuditEvent.event == "register_check_failed").count() == 1


def test_code_mode_refuses_account_without_code(demo, resident, outbox):
    set_check(demo, "code", code="")
    r = resident.register(code="")
    assert r.status_code == 403 and residents(demo) == 0 and outbox.messages() == []


def test_email_on_file_matches_case_insensitively(demo, resident, outbox):
    set_check(demo, "email", email_on_file="Anna.Petrova@Example.ru")
    r = resident.register(email="anna.petrova@example.ru")
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert residents(demo) == 1
    assert outbox.last()["To"] == "anna.petrova@example.ru"


@pytest.mark.parametrize("on_file", ["anna@example.ru", ""])
def test_email_mismatch_is_refused_and_nothing_saved(demo, resident, outbox, on_file):
    set_check(demo, "email", email_on_file=on_file)
    r = resident.register(email="stranger@example.ru")
    text = r.get_data(as_text=True)
    assert r.status_code == 403
    assert 'data-outcome="check_failed"' in text
    assert "anna@example.ru" not in text  # the e-mail on file is never revealed
    assert residents(demo) == 0 and outbox.messages() == []


def test_form_keeps_code_field_with_hint(demo, client):
    # the number is not known before the form is sent, so the field is always there
    text = client.get("/register").get_data(as_text=True)
    assert 'name="code"' in text
