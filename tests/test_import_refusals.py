"""Import refusals the accountant can run into: each is a message with file, row and column, and
nothing is saved; also the data changing between the preview and the confirmation."""
import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from models import Account, Hoa, ImportLog
from uploading import CHARGES_HEADER, bad, logs, problems, snapshot, text, upload

PAYMENTS_HEADER = "Лицевой счёт;Дата оплаты;Сумма\n"
METERS_HEADER = "Лицевой счёт;Вид;Заводской номер;Тарифность\n"


def xlsx(header, *rows):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CHARGE_COLUMNS = ["Период", "Лицевой счёт", "Услуга", "Начислено"]
PAYMENT_COLUMNS = ["Лицевой счёт", "Дата оплаты", "Сумма"]


REFUSED = [
    ("accounts.csv", "Лицевой счёт;Адрес\n100001;ул. Солнечная, 12\n100001;ул. Солнечная, 12\n"
                     .encode(), ("3", "", "Строка повторяет accounts.csv, строку 2.")),
    ("payments.csv", (PAYMENTS_HEADER + "200001;05.12.2026;100\n").encode(),
     ("2", "Лицевой счёт", "Лицевой счёт 200001 относится к другому ТСЖ.")),
    ("meters.csv", (METERS_HEADER + "200001;ХВС;X1;1\n").encode(),
     ("2", "Лицевой счёт", "Лицевой счёт 200001 относится к другому ТСЖ.")),
    ("meters.csv", (METERS_HEADER + "100001;ХВС;X1;1\n100001;ХВС;X1;1\n").encode(),
     ("3", "", "Строка повторяет meters.csv, строку 2.")),
    ("meters.csv", (METERS_HEADER + "100001;электроэнергия;X1;4\n").encode(),
     ("2", "Тарифность", "У счётчика 1, 2 или 3 тарифные зоны.")),
    ("accounts.csv", f"Лицевой счёт;Адрес\n100001;{'д' * 256}\n".encode(),
     ("2", "Адрес", "Значение длиннее 255 символов.")),
    ("accounts.csv", f"Лицевой счёт;Адрес;Квартира\n100001;ул. Солнечная, 12;{'1' * 21}\n"
                     .encode(), ("2", "Квартира", "Значение длиннее 20 символов.")),
    ("meters.csv", (METERS_HEADER + f"100001;ХВС;{'9' * 65};1\n").encode(),
     ("2", "Заводской номер", "Значение длиннее 64 символов.")),
    ("charges.xlsx", xlsx(CHARGE_COLUMNS, ["12.2026", "100001", "ТКО", True]),
     ("2", "Начислено", "«True» — не число.")),
    ("charges.xlsx", xlsx(CHARGE_COLUMNS, ["12.2026", "100001", "ТКО", datetime(2026, 12, 5)]),
     ("2", "Начислено", "«05.12.2026» — не число.")),
    ("payments.xlsx", xlsx(PAYMENT_COLUMNS, ["100001", True, 100]),
     ("2", "Дата оплаты", "«True» — не дата")),
    ("payments.xlsx", xlsx(PAYMENT_COLUMNS, [datetime(2026, 12, 5), "05.12.2026", 100]),
     ("2", "Лицевой счёт", "«05.12.2026» — не номер лицевого счёта")),
    ("meters.xlsx", xlsx(["Лицевой счёт", "Вид", "Заводской номер", "Тарифность"],
                         ["100001", "электроэнергия", "X1", datetime(2026, 1, 2)]),
     ("2", "Тарифность", "«02.01.2026» — не число.")),
]


# ids of their own: an XLSX file holds the time it was written, and xdist's workers, collecting
# a second apart, would otherwise see different tests
@pytest.mark.parametrize("name, content, expected", [
    pytest.param(*case, id=f"{case[0]}-{number}") for number, case in enumerate(REFUSED)])
def test_refused_rows(office, client, demo, name, content, expected):
    response = bad(client, office, demo, (name, content))
    row, column, message = expected
    found = problems(response)
    assert any(f == name and r == row and c == column and message in m
               for f, r, c, m in found), found


def test_data_changed_between_the_preview_and_the_confirmation(office, client, demo):
    accounts = "Лицевой счёт;Адрес\n100077;ул. Солнечная, 12\n".encode()
    response = upload(client, office, ("accounts.csv", accounts))
    assert response.status_code == 200 and "Подтвердить и сохранить" in text(response)
    with demo.app_context():  # meanwhile the number turns up in another HOA's accounts
        other = Hoa.create(name="УК «Соседи»", prefixes="30")
        Account.create(number="100077", hoa=other, address="ул. Соседняя, 1")
    before, counted = snapshot(demo), logs(demo)
    response = client.post(f"/office/{office.id}/import/confirm", follow_redirects=True)
    assert response.status_code == 422
    assert "Ничего не сохранено" in text(response)
    assert ("accounts.csv", "2", "Лицевой счёт", "Лицевой счёт 100077 относится к другому ТСЖ.") \
        in problems(response)
    assert snapshot(demo) == before and logs(demo) == counted
    with demo.app_context():
        assert not Account.select().where(Account.number == "100077",
                                          Account.hoa == office.id).exists()
        assert ImportLog.select().where(ImportLog.filename == "accounts.csv").count() == 1
    # the refused upload is gone: confirming again asks for the files
    response = client.post(f"/office/{office.id}/import/confirm", follow_redirects=True)
    assert "Загруженных файлов уже нет на сервере" in text(response)
    assert snapshot(demo) == before
