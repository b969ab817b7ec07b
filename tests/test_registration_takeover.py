"""Knowing an account number is not enough to see the account: a new HOA asks for the e-mail on
file or the code on the receipt, the demo for the code; the owner takes over a stranger's
pending registration; resending the letter never extends a registration."""
from datetime import timedelta

from helpers import follow, path_of
from factories import registration_code
from models import Account, AuditEvent, Hoa, Resident, now


def body(response):
    return response.get_data(as_text=True)


def new_hoa_with_accounts(app):
    """An HOA made by `flask create-hoa`, untouched settings, with three loaded accounts."""
    result = app.test_cli_runner().invoke(args=["create-hoa", "--name", "ТСЖ «Новый»",
                                                "--prefixes", "50"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        hoa = Hoa.get(Hoa.prefixes == "50")
        for number, email, code in [("500001", "", "Q1-77"), ("500002", "owner@example.ru", "Z9"),
                                    ("500003", "", "")]:
            Account.create(number=number, hoa=hoa, owner="Секретов С. С.", apartment="7",
                           email_on_file=email, registration_code=code)
        return hoa


def test_a_new_hoa_asks_for_the_strongest_check_its_data_allows(app, resident, outbox):
    hoa = new_hoa_with_accounts(app)
    assert hoa.registration_check == "auto"
    # the number alone shows nothing and saves nothing
    for number in ("500001", "500002", "500003"):
        r = resident.register(account=number, email="stranger@example.ru", code="")
        assert r.status_code == 403 and 'data-outcome="check_failed"' in body(r)
        assert "Секретов" not in body(r)
    # 500002 has an e-mail on file: only that e-mail registers it, not even with the code
    r = resident.register(account="500002", email="stranger@example.ru", code="Z9")
    assert r.status_code == 403
    r = resident.register(account="500003", email="stranger@example.ru", code="")
    assert "не загрузило" in body(r)  # no code loaded: ask the accountant
    with app.app_context():
        assert Resident.select().count() == 0
    assert outbox.messages() == []
    r = resident.register(account="500001", email="owner1@example.ru", code="Q1-77")
    assert 'data-outcome="registered"' in body(r)
    r = resident.register(account="500002", email="Owner@Example.ru", code="")
    assert 'data-outcome="registered"' in body(r)


def test_the_demo_asks_for_the_code_printed_on_the_receipt(demo, resident, runner, office, client):
    with demo.app_context():
        rassvet = Hoa.get(Hoa.prefixes == "10")
        assert rassvet.registration_check == "code"
    code = registration_code(demo, "100003")
    assert len(code) == 6 and code != registration_code(demo, "100004")
    r = resident.register(account="100003", code="")
    assert r.status_code == 403
    # where a newcomer finds the codes: the command line and the office's registrations page
    listing = runner.invoke(args=["registration-codes", "--hoa", str(rassvet.id)]).output
    assert f"100003\t3\t{code}" in listing
    page = body(client.get(f"/office/{rassvet.id}/registrations"))
    assert f"<td data-code>{code}</td>" in page
    r = resident.register(account="100003", code=code)
    assert 'data-outcome="registered"' in body(r)


def test_the_demo_tells_where_the_codes_are(app):
    import demo as demo_data
    lines = []
    with app.app_context():
        demo_data.load(echo=lines.append, files=("accounts.csv",))
    said = "\n".join(lines)
    assert registration_code(app, "100001") in said and "registration-codes" in said


def test_the_settings_page_explains_number_only_as_a_risk(office, client, demo):
    page = body(client.get(f"/office/{office.id}/settings"))
    assert "небезопасно" in page and "догадается" in page
    assert 'data-risk="registration-none"' not in page  # the demo asks for codes
    with demo.app_context():
        Hoa.update(registration_check="none").where(Hoa.id == office.id).execute()
    page = body(client.get(f"/office/{office.id}/settings"))
    assert 'data-risk="registration-none"' in page


def test_the_owner_takes_over_a_strangers_pending_registration(demo, resident, outbox, client):
    with demo.app_context():  # the HOA chose "account number only"
        Hoa.update(registration_check="none").execute()
    r = resident.register(email="stranger@example.ru", code="")
    assert 'data-outcome="registered"' in body(r)
    strangers_link = path_of(outbox.links()[0])
    # the owner proves possession with the code from the receipt
    r = resident.register(email="owner@example.ru")
    assert 'data-outcome="registered"' in body(r) and "data-taken-over" in body(r)
    assert outbox.last()["To"] == "owner@example.ru"
    r = client.get(strangers_link)
    assert r.status_code == 400 and 'data-outcome="activated"' not in body(r)
    with demo.app_context():
        assert [r.email for r in Resident.select()] == ["owner@example.ru"]
        event = AuditEvent.get(AuditEvent.event == "register_taken_over")
        assert (event.account_number, event.detail) == ("100001", "stranger@example.ru")
    # the stranger, without the code, cannot take it back; the page says how the owner would
    r = resident.register(email="stranger@example.ru", code="")
    assert 'data-outcome="pending"' in body(r) and "data-take-over" in body(r)
    with demo.app_context():
        assert Resident.get().email == "owner@example.ru"
    r = follow(client, outbox.links(outbox.last())[0])
    assert 'data-outcome="activated"' in body(r)


def test_the_owner_takes_over_with_the_email_on_file(demo, resident, outbox):
    with demo.app_context():
        Hoa.update(registration_check="none").execute()
        Account.update(email_on_file="owner@example.ru").where(Account.number == "100002") \
            .execute()
    resident.register(account="100002", email="stranger@example.ru", code="")
    r = resident.register(account="100002", email="OWNER@example.ru", code="")
    assert "data-taken-over" in body(r)
    with demo.app_context():
        assert Resident.get().email == "OWNER@example.ru"


def backdate_registration(app, hours):
    with app.app_context():
        Resident.update(created_at=now() - timedelta(hours=hours)).execute()


def test_resending_never_extends_a_registration_past_its_first_deadline(demo, resident, outbox,
                                                                         client):
    resident.register(email="first@example.ru")
    backdate_registration(demo, 47)
    r = client.post("/register/resend", data={"account": "100001"})
    assert r.status_code == 302 and len(outbox.messages()) == 2  # still within its 48 hours
    new_link = path_of(outbox.links(outbox.last())[0])
    backdate_registration(demo, 49)  # two hours later
    r = client.get(new_link)  # the letter is an hour old, the registration 49 hours
    assert r.status_code == 400 and 'data-outcome="expired"' in body(r)
    assert 'data-action="register-again"' in body(r)
    with demo.app_context():
        assert not Resident.get().is_active
    r = client.post("/register/resend", data={"account": "100001"}, follow_redirects=True)
    assert "не активировали вовремя" in body(r) and len(outbox.messages()) == 2
    # the number is free for whoever registers it now (with the code)
    r = resident.register(email="second@example.ru")
    assert 'data-outcome="registered"' in body(r) and "не активировали вовремя" in body(r)
