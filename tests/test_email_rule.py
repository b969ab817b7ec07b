"""One e-mail rule: what the import loads as the e-mail on file, the registration form takes,
and the mail reaches."""
import io

import demo as demo_data
from helpers import ResidentActions
from testdb import make_app
from models import Account, Accountant, AccountantHoa, Hoa

HEADER = "Лицевой счёт;Адрес;E-mail\n"


def office_client(app):
    with app.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
        accountant = Accountant(email="buh@rassvet.example", name="Анна Викторовна")
        accountant.set_password("office-pass-1")
        accountant.save()
        AccountantHoa.create(accountant=accountant, hoa=hoa)
    client = app.test_client()
    client.post("/lang/ru")
    assert client.post("/office/login", data={"email": "buh@rassvet.example",
                                              "password": "office-pass-1"}).status_code == 302
    return client, hoa


def import_accounts(client, hoa, line):
    data = {"files": [(io.BytesIO((HEADER + line).encode()), "accounts.csv")]}
    preview = client.post(f"/office/{hoa.id}/import", data=data,
                          content_type="multipart/form-data")
    return preview, client.post(f"/office/{hoa.id}/import/confirm")


def email_on_file(app):
    with app.app_context():
        return Account.get(Account.number == "100001").email_on_file


def test_a_mailbox_the_form_refuses_is_refused_by_the_import_too(demo):
    client, hoa = office_client(demo)
    preview, _ = import_accounts(client, hoa, "100001;ул. Солнечная, 12;анна@пример.рф\n")
    assert "«анна@пример.рф» — не адрес электронной почты." in preview.get_data(as_text=True)
    assert email_on_file(demo) == ""


def test_an_address_on_file_with_a_cyrillic_domain_registers_and_gets_its_mail(
        tmp_path, smtp_server):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port,
                   MAIL_TIMEOUT=5)
    with app.app_context():
        demo_data.load(echo=lambda *a: None)
    client, hoa = office_client(app)
    _, confirmed = import_accounts(client, hoa, "100001;ул. Солнечная, 12;anna@пример.рф\n")
    assert confirmed.status_code == 302 and email_on_file(app) == "anna@пример.рф"
    with app.app_context():
        Hoa.update(registration_check="email").where(Hoa.id == hoa.id).execute()
    r = ResidentActions(app.test_client(), None).register(email="anna@пример.рф")
    assert 'data-outcome="registered"' in r.get_data(as_text=True)
    assert smtp_server.envelopes[0].rcpt_tos == ["anna@xn--e1afmkfd.xn--p1ai"]
