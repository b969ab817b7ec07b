"""Uploading files to the office's import in tests, and reading its answer: the tables an
import may touch, its messages and its table of errors."""
import io
import re
from pathlib import Path

from meter_models import Meter
from models import Account, AuditEvent, Charge, ImportLog, MonthBalance, Payment

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
CHARGES_HEADER = "Период;Лицевой счёт;Услуга;Ед. изм.;Объём;Тариф;Начислено;Перерасчёт;Льгота\n"


def snapshot(app):
    """Everything an import may touch, without ids (a replaced month gets new ids)."""
    with app.app_context():
        return {
            "accounts": sorted(Account.select(Account.number, Account.hoa, Account.address,
                                              Account.apartment, Account.owner, Account.area,
                                              Account.residents, Account.email_on_file,
                                              Account.registration_code).tuples()),
            "charges": sorted(Charge.select(Charge.account, Charge.period, Charge.service,
                                            Charge.unit, Charge.volume, Charge.tariff,
                                            Charge.amount, Charge.recalculation,
                                            Charge.benefit).tuples()),
            "balances": sorted(MonthBalance.select(MonthBalance.account, MonthBalance.period,
                                                   MonthBalance.opening_balance,
                                                   MonthBalance.penalty).tuples()),
            "payments": sorted(Payment.select(Payment.account, Payment.period, Payment.paid_on,
                                              Payment.amount, Payment.reference).tuples()),
            "meters": sorted(Meter.select(Meter.id, Meter.account, Meter.kind, Meter.serial,
                                          Meter.place, Meter.zones, Meter.verified_until,
                                          Meter.initial_t1, Meter.initial_t2,
                                          Meter.initial_t3).tuples()),
        }


def logs(app):
    with app.app_context():
        return ImportLog.select().count(), \
            AuditEvent.select().where(AuditEvent.event == "import").count()


def upload(client, hoa, *files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/office/{hoa.id}/import", data=data, content_type="multipart/form-data")


def load(client, hoa, *files):
    response = upload(client, hoa, *files)
    assert response.status_code == 200, text(response)[:2000]
    confirmed = client.post(f"/office/{hoa.id}/import/confirm")
    assert confirmed.status_code == 302
    return response


def text(response):
    """The page as plain text, for reading messages."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", body.replace("&#34;", '"').replace("&#39;", "'"))


def problems(response):
    """[(file, row, column, message)] from the preview's table of errors."""
    html = response.get_data(as_text=True)
    table = re.search(r'<table[^>]*id="problems".*?</table>', html, re.S)
    assert table, "no table of errors on the page"
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>"
                      r"<td[^>]*>(.*?)</td></tr>",
                      table.group(0))
    return [tuple(cell.replace("&#34;", '"').replace("&#39;", "'") for cell in row)
            for row in rows]


def charge(app, number, month, service):
    with app.app_context():
        return (Charge.select().join(Account)
                .where(Account.number == number, Charge.period == month,
                       Charge.service == service).get())


def sample(name):
    return name, (SAMPLES / name).read_bytes()


def bad(client, office, demo, *files, status=422):
    """Files the import must refuse: the page says so, and nothing is saved."""
    before, counted = snapshot(demo), logs(demo)
    response = upload(client, office, *files)
    assert response.status_code == status
    assert "Ничего не сохранено" in text(response)
    assert client.post(f"/office/{office.id}/import/confirm").status_code == 302
    assert snapshot(demo) == before and logs(demo) == counted
    return response
