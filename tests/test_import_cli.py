"""The operator's commands: create-hoa, create-accountant and import."""
import re
from datetime import date

import pytest

from models import Accountant, AuditEvent, Charge, Hoa, ImportLog

CHARGES = "Период;Лицевой счёт;Услуга;Начислено\n12.2026;100001;Вывоз ТКО;120,50\n"


def rassvet(app):
    with app.app_context():
        return Hoa.get(Hoa.prefixes == "10").id


def december(app):
    with app.app_context():
        return Charge.select().where(Charge.period == date(2026, 12, 1)).count()


def test_import_saves_and_reports_totals(demo, runner, tmp_path):
    path = tmp_path / "charges.csv"
    path.write_text(CHARGES, encoding="cp1251")
    result = runner.invoke(args=["import", "--hoa", str(rassvet(demo)), str(path)])
    assert result.exit_code == 0, result.output
    assert "charges 12.2026: 1 rows, 1 accounts, charged 120,50 ₽" in result.output
    assert "Saved." in result.output
    assert december(demo) == 1
    with demo.app_context():
        log = ImportLog.select().order_by(ImportLog.id.desc()).first()
        assert log.filename == "charges.csv" and log.accountant is None
        assert AuditEvent.select().where(AuditEvent.event == "import").count() == 2


def test_import_dry_run_saves_nothing(demo, runner, tmp_path):
    path = tmp_path / "charges.csv"
    path.write_text(CHARGES, encoding="utf-8")
    result = runner.invoke(args=["import", "--hoa", str(rassvet(demo)), "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was saved." in result.output
    assert december(demo) == 0


def test_import_reports_errors_with_file_row_and_column_and_fails(demo, runner, tmp_path):
    good = tmp_path / "charges.csv"
    good.write_text(CHARGES, encoding="utf-8")
    bad = tmp_path / "payments.csv"
    bad.write_text("Лицевой счёт;Дата оплаты;Сумма\n100001;05.12.2026;много\n", encoding="utf-8")
    result = runner.invoke(args=["import", "--hoa", str(rassvet(demo)), str(good), str(bad)])
    assert result.exit_code == 1
    assert "payments.csv, строка 2, столбец «Сумма»: «много» — не число." in result.output
    assert "nothing was saved" in result.output
    assert december(demo) == 0


def test_import_into_an_unknown_hoa(demo, runner, tmp_path):
    path = tmp_path / "charges.csv"
    path.write_text(CHARGES, encoding="utf-8")
    result = runner.invoke(args=["import", "--hoa", "999", str(path)])
    assert result.exit_code != 0 and "No HOA with id 999" in result.output


def test_create_hoa_and_accountant_who_can_log_in(app, runner, client):
    result = runner.invoke(args=["create-hoa", "--name", "ТСЖ «Заря»", "--prefixes", "40, 41",
                                 "--inn", "6300000002"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        hoa = Hoa.get(Hoa.name == "ТСЖ «Заря»")
        assert hoa.prefixes == "40,41" and hoa.inn == "6300000002"
    result = runner.invoke(args=["create-accountant", "--email", "Buh@Zarya.example",
                                 "--name", "Ирина", "--hoa", str(hoa.id)])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password: (\S+)", result.output).group(1)
    response = client.post("/office/login", data={"email": "buh@zarya.example",
                                                  "password": password})
    assert response.status_code == 302
    assert client.get(f"/office/{hoa.id}/import").status_code == 200


@pytest.mark.parametrize("inn", ["6300000000", "６３０００００００２", "630000000"])
def test_create_hoa_refuses_a_wrong_inn(app, runner, inn):
    result = runner.invoke(args=["create-hoa", "--name", "ТСЖ «Заря»", "--prefixes", "40",
                                 "--inn", inn])
    assert result.exit_code != 0 and "valid check digits" in result.output
    with app.app_context():
        assert not Hoa.select().where(Hoa.name == "ТСЖ «Заря»").exists()


def test_create_hoa_refuses_a_taken_prefix(demo, runner):
    result = runner.invoke(args=["create-hoa", "--name", "Двойник", "--prefixes", "10"])
    assert result.exit_code != 0 and "пересекается с префиксом другого ТСЖ" in result.output
    with demo.app_context():
        assert not Hoa.select().where(Hoa.name == "Двойник").exists()


def test_create_accountant_refuses_a_taken_email_and_unknown_hoa(demo, runner):
    hoa = str(rassvet(demo))
    assert runner.invoke(args=["create-accountant", "--email", "a@b.ru", "--hoa", hoa]) \
        .exit_code == 0
    again = runner.invoke(args=["create-accountant", "--email", "A@b.ru", "--hoa", hoa])
    assert again.exit_code != 0 and "already exists" in again.output
    missing = runner.invoke(args=["create-accountant", "--email", "c@b.ru", "--hoa", "999"])
    assert missing.exit_code != 0 and "No HOA with id 999" in missing.output
    with demo.app_context():
        emails = [a.email for a in Accountant.select()]
        assert emails.count("a@b.ru") == 1 and "c@b.ru" not in emails
