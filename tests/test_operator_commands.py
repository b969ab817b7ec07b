"""The operator's commands for accountants and HOAs: checked input, attach and detach, lists,
each saying what it did and exiting non-zero on an error."""
import re

from models import Accountant, AccountantHoa, AuditEvent, Hoa


def hoa_ids(app):
    with app.app_context():
        return {h.prefixes: h.id for h in Hoa.select()}


def access(app, email):
    with app.app_context():
        return sorted(h.prefixes for h in Accountant.get(Accountant.email == email).hoas)


def test_create_accountant_refuses_what_is_not_an_email(demo, runner):
    hoa = str(hoa_ids(demo)["10"])
    with demo.app_context():
        before = Accountant.select().count()
    for bad in ["bad-email", "anna@", "анна@пример.рф", " "]:
        result = runner.invoke(args=["create-accountant", "--email", bad, "--hoa", hoa])
        assert result.exit_code != 0, bad
        assert "is not an e-mail address" in result.output, result.output
    with demo.app_context():
        assert Accountant.select().count() == before


def test_an_existing_accountant_is_attached_and_detached(demo, runner, client):
    ids = hoa_ids(demo)
    created = runner.invoke(args=["create-accountant", "--email", "buh@example.ru",
                                  "--hoa", str(ids["10"])])
    assert created.exit_code == 0, created.output
    password = re.search(r"Password: (\S+)", created.output).group(1)
    again = runner.invoke(args=["create-accountant", "--email", "buh@example.ru",
                                "--hoa", str(ids["20"])])
    assert again.exit_code != 0 and "attach-accountant" in again.output
    result = runner.invoke(args=["attach-accountant", "--email", "BUH@example.ru",
                                 "--hoa", str(ids["20"]), "--hoa", str(ids["10"])])
    assert result.exit_code == 0, result.output
    assert "now works with" in result.output and "already works with" in result.output
    assert access(demo, "buh@example.ru") == ["10", "20"]
    client.post("/office/login", data={"email": "buh@example.ru", "password": password})
    assert client.get(f"/office/{ids['20']}/import").status_code == 200
    result = runner.invoke(args=["detach-accountant", "--email", "buh@example.ru",
                                 "--hoa", str(ids["20"])])
    assert result.exit_code == 0 and "no longer works with" in result.output
    assert access(demo, "buh@example.ru") == ["10"]
    assert client.get(f"/office/{ids['20']}/import").status_code == 404
    with demo.app_context():
        kinds = [(e.event, e.hoa_id) for e in AuditEvent.select().where(
            AuditEvent.event.startswith("accountant_")).order_by(AuditEvent.id)]
    assert kinds == [("accountant_attached", ids["10"]), ("accountant_attached", ids["20"]),
                     ("accountant_detached", ids["20"])]
    last = runner.invoke(args=["detach-accountant", "--email", "buh@example.ru",
                               "--hoa", str(ids["10"])])
    assert last.exit_code == 0 and "works with no HOA" in last.output


def test_attach_and_detach_refuse_unknown_names(demo, runner):
    ids = hoa_ids(demo)
    runner.invoke(args=["create-accountant", "--email", "buh@example.ru", "--hoa", str(ids["10"])])
    for command in ["attach-accountant", "detach-accountant"]:
        nobody = runner.invoke(args=[command, "--email", "nobody@example.ru",
                                     "--hoa", str(ids["10"])])
        assert nobody.exit_code == 1 and "No accountant with e-mail nobody@example.ru" \
            in nobody.output
        missing = runner.invoke(args=[command, "--email", "buh@example.ru", "--hoa", "999"])
        assert missing.exit_code == 1 and "No HOA with id 999" in missing.output
    assert access(demo, "buh@example.ru") == ["10"]
    with demo.app_context():
        assert AccountantHoa.select().join(Accountant).where(
            Accountant.email == "buh@example.ru").count() == 1


def test_lists_of_hoas_and_accountants(app, runner):
    assert "No HOA yet" in runner.invoke(args=["list-hoas"]).output
    assert "No accountant yet" in runner.invoke(args=["list-accountants"]).output
    runner.invoke(args=["create-hoa", "--name", "ТСЖ «Заря»", "--prefixes", "40"])
    runner.invoke(args=["create-hoa", "--name", "ТСЖ «Луч»", "--prefixes", "50"])
    ids = hoa_ids(app)
    runner.invoke(args=["create-accountant", "--email", "b@zarya.ru", "--name", "Ирина",
                        "--hoa", str(ids["40"]), "--hoa", str(ids["50"])])
    runner.invoke(args=["create-accountant", "--email", "a@luch.ru", "--hoa", str(ids["50"])])
    result = runner.invoke(args=["list-hoas"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "id\tname\tprefixes\taccounts\taccountants"
    assert lines[1] == f"{ids['40']}\tТСЖ «Заря»\t40\t0\tb@zarya.ru"
    assert lines[2] == f"{ids['50']}\tТСЖ «Луч»\t50\t0\ta@luch.ru, b@zarya.ru"
    lines = runner.invoke(args=["list-accountants"]).output.splitlines()
    assert lines[1:] == ["a@luch.ru\t-\t" + f"{ids['50']} ТСЖ «Луч»\tnever",
                         "b@zarya.ru\tИрина\t" + f"{ids['40']} ТСЖ «Заря», {ids['50']} ТСЖ «Луч»"
                         "\tnever"]
    only = runner.invoke(args=["list-accountants", "--hoa", str(ids["40"])]).output
    assert "b@zarya.ru" in only and "a@luch.ru" not in only
    missing = runner.invoke(args=["list-accountants", "--hoa", "999"])
    assert missing.exit_code == 1 and "No HOA with id 999" in missing.output
