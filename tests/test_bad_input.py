"""Input that used to end in a 500 or in values beyond their columns: huge ids, numbers and
dates out of range, control characters."""
import io
import re

import pytest
from flask_wtf import FlaskForm
from openpyxl import Workbook

import forms
from factories import login_as
from models import Account, Charge, Notice, Payment
from uploading import CHARGES_HEADER, bad, load, problems, text

HUGE_IDS = (2**63, 2**64, 10**30)


def int_urls(app):
    """(method, URL) for every route with an <int:…> part, with a huge id put in each."""
    for rule in app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items()
                if converter.__class__.__name__ in ("IntegerConverter", "IdConverter")]
        if not ints:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        for huge in HUGE_IDS:
            for name in ints:
                values = {arg: 1 for arg in rule.arguments}
                values[name] = huge
                yield method, re.sub(r"<[^>]+>", lambda m: str(values[m.group(0)[1:-1]
                                                                   .split(":")[-1]]),
                                     rule.rule).replace(".<fmt>", ".csv").replace("<period>",
                                                                                   "2026-03")


def test_an_id_beyond_64_bits_is_not_found(office, client, demo):
    with demo.app_context():
        login_as(client, "100001")  # the office login stays: both sides are open
    urls = list(int_urls(demo))
    assert len(urls) > 20
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)


# --- numbers, dates and texts in imported files ---------------------------------------------

def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


CHARGE_COLUMNS = CHARGES_HEADER.strip().split(";")


def charge_row(**changes):
    row = dict(zip(CHARGE_COLUMNS, ["12.2026", "100001", "Вывоз ТКО", "чел.", 1, 120.5, 120.5,
                                    0, 0]))
    row.update(changes)
    return list(row.values())


@pytest.mark.parametrize("changes, column, message", [
    ({"Начислено": 1e300}, "Начислено", "слишком большое число"),
    ({"Начислено": "123456789012345678901234567890"}, "Начислено", "слишком большое число"),
    ({"Начислено": "999999999999,999"}, "Начислено", "меньше 1 000 000 000 000"),
    ({"Объём": 1.2e29}, "Объём", "меньше 100 000 000 000"),
    ({"Тариф": "12345678901"}, "Тариф", "меньше 10 000 000 000"),
])
def test_numbers_beyond_their_columns_are_refused_by_row(office, client, demo, changes, column,
                                                         message):
    response = bad(client, office, demo, ("charges.xlsx", xlsx([CHARGE_COLUMNS,
                                                                charge_row(**changes)])))
    found = problems(response)
    assert [(p[0], p[1], p[2]) for p in found] == [("charges.xlsx", "2", column)], found
    assert message in found[0][3]


def test_an_area_beyond_its_column_is_refused(office, client, demo):
    content = "Лицевой счёт;Адрес;Площадь;Проживает\n100001;ул. Солнечная, 12;99999999999;1e300\n"
    response = bad(client, office, demo, ("accounts.csv", content.encode()))
    found = {(p[1], p[2]): p[3] for p in problems(response)}
    assert "меньше 100 000 000" in found[("2", "Площадь")]
    assert ("2", "Проживает") in found


@pytest.mark.parametrize("paid_on", ["31.12.9999", "01.01.1900", "9999-12-31"])
def test_a_payment_dated_far_from_any_bill_is_refused(office, client, demo, paid_on):
    content = f"Лицевой счёт;Дата оплаты;Сумма\n100001;{paid_on};100,00\n"
    response = bad(client, office, demo, ("payments.csv", content.encode()))
    assert [(p[1], p[2]) for p in problems(response)] == [("2", "Дата оплаты")]
    assert "вне 1990–2099 годов" in problems(response)[0][3]


def test_control_characters_in_imported_texts_are_dropped(office, client, demo):
    padding = "".join(f"{100001 + n};ул. Солнечная, 12;Жилец номер {n}, собственник этой квартиры\n"
                      for n in range(1, 39))
    assert len(padding.encode()) > 4096  # a NUL further on is not taken for a binary file
    content = ("Лицевой счёт;Адрес;Собственник\n" + padding
               + "100001;ул. Солнечная,\x00 12;Ива\x00нов\u202e\x07\n")
    load(client, office, ("accounts.csv", content.encode()))
    with demo.app_context():
        account = Account.get(Account.number == "100001")
        assert (account.owner, account.address) == ("Иванов", "ул. Солнечная, 12")


def test_a_file_name_with_control_characters_is_logged_without_them(office, client, demo):
    load(client, office, ("pay\x00ments\u202e.csv",
                          "Лицевой счёт;Дата оплаты;Сумма\n100001;05.11.2026;100,00\n".encode()))
    with demo.app_context():
        assert Payment.select().where(Payment.amount == 100).count() >= 1
        from models import ImportLog
        assert ImportLog.select().order_by(ImportLog.id.desc()).get().filename == "payments.csv"


# --- forms ---------------------------------------------------------------------------------

def test_every_form_drops_control_characters():
    import app  # noqa: F401 (every module with a form is imported by now)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    found = [cls for cls in subclasses(FlaskForm) if cls.__module__ not in ("flask_wtf.form",)]
    assert forms.NoticeForm in found
    assert [cls for cls in found if not issubclass(cls, forms.Form)] == []


def test_a_notice_with_control_characters_is_saved_without_them(office, client, demo):
    response = client.post(f"/office/{office.id}/notices/new", data={
        "title": "Собрание\x00\u202e\x1b", "body": "Строка 1\r\nСтрока\x00 2\u2066",
        "starts_on": "2026-12-01"})
    assert response.status_code == 302
    with demo.app_context():
        notice = Notice.get(Notice.title == "Собрание")
        assert notice.body == "Строка 1\r\nСтрока 2"


@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_a_notice_dated_beyond_any_month_is_refused(office, client, demo, field):
    data = {"title": "Собрание", "starts_on": "2026-12-01", field: "9999-12-31"}
    response = client.post(f"/office/{office.id}/notices/new", data=data)
    assert response.status_code == 400
    assert "Укажите дату с 1990 по 2099 год." in text(response)
    with demo.app_context():
        assert Notice.select().where(Notice.title == "Собрание").count() == 0


def test_a_profile_name_with_a_nul_is_saved_without_it(demo, client):
    with demo.app_context():
        resident = login_as(client, "100001")
    response = client.post("/cabinet/profile", data={
        "name": "Ива\x00нов", "phone": "", "email": resident.email})
    assert response.status_code in (200, 302)
    with demo.app_context():
        from models import Resident
        assert Resident.get_by_id(resident.id).name == "Иванов"


def test_charges_keep_their_amounts(office, client, demo):
    """The bounds leave ordinary figures as they were."""
    load(client, office, ("charges.xlsx", xlsx([CHARGE_COLUMNS, charge_row(
        **{"Начислено": 999999999999.99, "Объём": 12.3456})])))
    with demo.app_context():
        charge = Charge.get(Charge.service == "Вывоз ТКО")
        assert str(charge.amount) == "999999999999.99" and str(charge.volume) == "12.346"
