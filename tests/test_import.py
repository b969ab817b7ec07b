"""Loading the billing program's files in the office: real files the way they arrive, the
preview, all-or-nothing saving and replacing a month."""
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from importcolumns import Bad, to_decimal
from meter_models import Meter
from models import Account, AuditEvent, Charge, Hoa, ImportLog, MonthBalance, Payment, Resident
from uploading import (
    CHARGES_HEADER, bad, charge, load, logs, problems, sample, snapshot, text, upload,
)


# --- the samples -----------------------------------------------------------------------------

def test_demo_loads_the_samples_through_the_importer(demo_full):
    demo = demo_full
    with demo.app_context():
        rassvet = Hoa.get(Hoa.prefixes == "10")
        assert rassvet.accounts.count() == 40
        months = sorted({c.period for c in Charge.select(Charge.period).distinct()})
        assert months[0] == date(2025, 10, 1) and months[-1] == date(2026, 11, 1)
        assert len(months) == 14
        assert {m.kind for m in Meter.select()} == {"cold_water", "hot_water", "electricity",
                                                   "gas", "heat"}
        assert Meter.select().where(Meter.zones == 3).count() == 1
        assert Meter.select().where(Meter.zones == 2).exists()
        assert Meter.select().where(Meter.verified_until < date(2026, 11, 1)).count() == 1
        november = MonthBalance.select().where(MonthBalance.period == date(2026, 11, 1))
        assert any(b.opening_balance < 0 for b in november)  # advances
        assert any(b.penalty > 0 for b in november)  # debts
        assert Charge.select().where(Charge.recalculation != 0).exists()
        assert Charge.select().where(Charge.benefit != 0).exists()
        assert Payment.select().count() > 400
        assert ImportLog.select().count() == 4
        polet = Hoa.get(Hoa.prefixes == "20")
        assert polet.accounts.count() == 0


def test_samples_show_their_totals_and_loading_them_again_changes_nothing(office, client, demo_full):
    demo = demo_full
    before = snapshot(demo)
    response = upload(client, office, *map(sample, ["accounts.csv", "charges.csv",
                                                    "payments.csv", "meters.csv"]))
    assert response.status_code == 200
    page = text(response)
    assert "Проверка перед сохранением" in page
    assert "Лицевых счетов: 40, из них новых 0, обновлённых 40." in page
    html = response.get_data(as_text=True)
    november = re.search(r'<tr data-month="2026-11">(.*?)</tr>', html, re.S).group(1)
    with demo.app_context():
        charged = sum(c.amount for c in Charge.select().where(Charge.period == date(2026, 11, 1)))
    from formats import format_money
    assert format_money(charged) in november
    assert ">320<" in november  # 40 accounts x 8 services in a heating month
    assert snapshot(demo) == before  # the preview writes nothing
    client.post(f"/office/{office.id}/import/confirm")
    assert snapshot(demo) == before
    assert logs(demo) == (8, 3)  # four files in two audited loads by the demo, the same now


# --- files the way they really arrive --------------------------------------------------------

def test_accounts_in_windows_1251_with_semicolons_and_decimal_commas(office, client, demo):
    content = ("Л/С;Адрес;Кв.;ФИО собственника;Общая площадь;Проживает;E-mail\r\n"
               "л/с №100001;г. Самара, ул. Солнечная, д. 12;1;Орлова Ёлка Ивановна;"
               "1\u00a0234,50;3;orlova@example.ru\r\n"
               "100041;г. Самара, ул. Солнечная, д. 12;41;Новиков Н. Н.;52,1;2;\r\n"
               ).encode("cp1251")
    load(client, office, ("accounts.csv", content))
    with demo.app_context():
        first = Account.by_number("100001")
        assert first.owner == "Орлова Ёлка Ивановна"
        assert first.area == Decimal("1234.50")
        assert first.residents == 3 and first.email_on_file == "orlova@example.ru"
        assert first.registration_code  # not in the file: kept as it was
        assert Account.by_number("100041").hoa_id == office.id


def test_updating_accounts_keeps_the_residents_logins(office, client, demo, resident):
    resident.register_and_activate("100001")
    load(client, office, ("accounts.csv", "Лицевой счёт;Адрес;Собственник\n100001;ул. Новая, 1;"
                                          "Другой Д. Д.\n".encode()))
    with demo.app_context():
        assert Resident.by_number("100001").is_active
        assert Account.by_number("100001").address == "ул. Новая, 1"


def test_payments_in_utf8_with_bom_commas_and_iso_dates(office, client, demo):
    content = ("\ufeffaccount,paid_on,amount,reference\n"
               "100002,2026-12-05,\"1 500,25\",Сбербанк\n"
               "л/с №100003,2026-12-07,700.5,ВТБ\n").encode("utf-8")
    load(client, office, ("платежи декабрь.csv", content))
    with demo.app_context():
        december = list(Payment.select().where(Payment.period == date(2026, 12, 1))
                        .order_by(Payment.paid_on))
        assert [(p.account.number, p.paid_on, p.amount, p.reference) for p in december] == [
            ("100002", date(2026, 12, 5), Decimal("1500.25"), "Сбербанк"),
            ("100003", date(2026, 12, 7), Decimal("700.50"), "ВТБ")]


def test_tab_separated_payments_with_russian_dates_and_spaces_in_thousands(office, client, demo):
    content = ("Лицевой счёт\tДата платежа\tСумма\tПериод\n"
               "100004\t03.12.2026\t12 345,60\t11.2026\n").encode("utf-8")
    load(client, office, ("payments.txt", content))
    with demo.app_context():
        payment = Payment.get(Payment.paid_on == date(2026, 12, 3))
        assert payment.amount == Decimal("12345.60")
        assert payment.period == date(2026, 11, 1)  # the month named in the file


def test_charges_from_xlsx_made_by_openpyxl(office, client, demo):
    book = Workbook()
    sheet = book.active
    sheet.append(["Начисления ТСЖ «Рассвет» за декабрь 2026"])  # a title above the header
    sheet.append(["Период", "Лицевой счёт", "Услуга", "Ед. изм.", "Объём", "Тариф",
                  "Начислено", "Перерасчёт", "Льгота", "Входящее сальдо", "Пени"])
    sheet.append([date(2026, 12, 1), 100001, "Холодное водоснабжение", "м³", 3.5, 40.08,
                  140.28, -12.5, 0, 1500, 15.3])
    sheet.append(["12.2026", "100001", "Электроэнергия", "кВт·ч", 120, "6,57", "788,40", None,
                  None, 1500, 15.3])
    sheet.append(["Итого", None, None, None, None, None, 928.68])
    buffer = io.BytesIO()
    book.save(buffer)
    load(client, office, ("декабрь.xlsx", buffer.getvalue()))
    water = charge(demo, "100001", date(2026, 12, 1), "Холодное водоснабжение")
    assert (water.volume, water.tariff, water.amount, water.recalculation) == (
        Decimal("3.5"), Decimal("40.08"), Decimal("140.28"), Decimal("-12.50"))
    assert charge(demo, "100001", date(2026, 12, 1), "Электроэнергия").amount == Decimal("788.40")
    with demo.app_context():
        balance = MonthBalance.get(MonthBalance.period == date(2026, 12, 1))
        assert (balance.opening_balance, balance.penalty) == (Decimal("1500"), Decimal("15.30"))
        assert Charge.select().where(Charge.period == date(2026, 12, 1)).count() == 2


@pytest.mark.parametrize("written", ["2026-12", "12.2026", "01.12.2026", "декабрь 2026",
                                     "Декабрь 2026 г.", "2026-12-01"])
def test_a_month_may_be_written_in_several_ways(office, client, demo, written):
    load(client, office, ("charges.csv", (CHARGES_HEADER + f"{written};100001;Вывоз ТКО;чел.;1;"
                                                          "120,5;120,50;0;0\n").encode()))
    assert charge(demo, "100001", date(2026, 12, 1), "Вывоз ТКО").amount == Decimal("120.50")


def test_meters_with_zones_and_english_headers(office, client, demo):
    content = ("account;kind;serial;place;zones;verified until;initial t1;initial t2;initial t3\n"
               "100001;electricity;E-77;щиток;3;01.01.2030;100,5;50;25\n"
               "100001;хвс;W-1;кухня;;2031-05-31;12;;\n").encode()
    load(client, office, ("meters.csv", content))
    with demo.app_context():
        power = Meter.get(Meter.serial == "E-77")
        assert (power.kind, power.zones, power.initial_t1, power.initial_t2, power.initial_t3) \
            == ("electricity", 3, Decimal("100.5"), Decimal("50"), Decimal("25"))
        water = Meter.get(Meter.serial == "W-1")
        assert (water.kind, water.zones, water.unit, water.verified_until) == (
            "cold_water", 1, "м³", date(2031, 5, 31))


def test_meters_are_updated_by_serial(office, client, demo_full):
    demo = demo_full
    with demo.app_context():
        meter = Meter.select().join(Account).where(Account.number == "100002").first()
        serial, kind = meter.serial, meter.kind
    words = {"cold_water": "ХВС", "hot_water": "ГВС", "electricity": "электроэнергия",
             "gas": "газ", "heat": "тепло"}
    content = f"Лицевой счёт;Вид;Заводской номер;Поверка до\n100002;{words[kind]};{serial};" \
              f"31.12.2032\n".encode()
    load(client, office, ("meters.csv", content))
    with demo.app_context():
        again = Meter.get(Meter.serial == serial)
        assert again.id == meter.id and again.verified_until == date(2032, 12, 31)
        # columns the file does not have keep their values
        assert (again.place, again.zones, again.initial_t1, again.commissioned_on) == (
            meter.place, meter.zones, meter.initial_t1, meter.commissioned_on)


# --- replacing a month -----------------------------------------------------------------------

def test_loading_a_month_again_replaces_only_that_month(office, client, demo):
    before = snapshot(demo)
    load(client, office, ("november.csv", (CHARGES_HEADER + "11.2026;100001;Содержание жилья;м²;"
                                                           "35,4;40;1416,00;0;0\n").encode()))
    with demo.app_context():
        november = Charge.select().where(Charge.period == date(2026, 11, 1))
        assert [(c.account.number, c.amount) for c in november] == [("100001", Decimal("1416"))]
        assert not MonthBalance.select().where(MonthBalance.period == date(2026, 11, 1)).exists()
    after = snapshot(demo)
    october = [c for c in before["charges"] if c[1] != date(2026, 11, 1)]
    assert [c for c in after["charges"] if c[1] != date(2026, 11, 1)] == october
    assert after["payments"] == before["payments"]


def test_the_same_file_twice_changes_nothing(office, client, demo):
    content = (CHARGES_HEADER + "12.2026;100001;Вывоз ТКО;чел.;1;120,5;120,50;0;0\n"
               "12.2026;100002;Вывоз ТКО;чел.;2;120,5;241,00;-10;0\n").encode()
    load(client, office, ("charges.csv", content))
    once = snapshot(demo)
    load(client, office, ("charges.csv", content))
    assert snapshot(demo) == once
    with demo.app_context():
        entries = list(ImportLog.select().where(ImportLog.filename == "charges.csv")
                       .order_by(ImportLog.id.desc()).limit(2))
        import hashlib
        assert [e.sha256 for e in entries] == [hashlib.sha256(content).hexdigest()] * 2
        assert entries[0].accountant.email == "buh@rassvet.example"
        assert json.loads(entries[0].counts) == {"rows": 2, "periods": ["2026-12"]}
        event = AuditEvent.select().where(AuditEvent.event == "import") \
            .order_by(AuditEvent.id.desc()).first()
        assert event.hoa_id == office.id and event.accountant.email == "buh@rassvet.example"
        assert json.loads(event.detail)["charges"] == {"2026-12": 2}


# --- bad input: a clear message, nothing saved -----------------------------------------------


CHARGE = "12.2026;100001;Вывоз ТКО;чел.;1;120,5;120,50;0;0\n"


@pytest.mark.parametrize("name, content, expected", [
    ("bill.pdf", b"%PDF-1.4 binary \x00\x01", (None, "", "Это не файл CSV и не XLSX")),
    ("photo.jpg", b"\xff\xd8\xff\xe0 JFIF", (None, "", "Это не файл CSV и не XLSX")),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
     (None, "", "старого формата Excel (.xls)")),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", (None, "", "не читается как книга Excel")),
    ("empty.csv", b"", (None, "", "Файл пустой.")),
    ("blank.csv", b"\r\n ; ;\r\n", (None, "", "Файл пустой.")),
    ("header.csv", CHARGES_HEADER.encode(), (None, "", "нет строк с данными")),
    ("what.csv", "Фамилия;Телефон\nИванов;123\n".encode(),
     ("1", "", "По названиям столбцов не удаётся понять")),
    ("missing.csv", "Период;Лицевой счёт;Услуга;Тариф\n12.2026;100001;ТКО;120\n".encode(),
     ("1", "Начислено", "Нет обязательного столбца «Начислено».")),
    ("unknown.csv", (CHARGES_HEADER.strip() + ";Примечание\n" + CHARGE).encode(),
     ("1", "Примечание", "Неизвестный столбец «Примечание».")),
    ("twice.csv", "Период;Лицевой счёт;Услуга;Начислено;Сумма\n12.2026;100001;ТКО;1;1\n".encode(),
     ("1", "Сумма", "означает то же, что и «Начислено»")),
    ("not-here.csv", (CHARGES_HEADER + CHARGE.replace("100001", "109999")).encode(),
     ("2", "Лицевой счёт", "Лицевого счёта 109999 нет среди счетов этого ТСЖ")),
    ("other-hoa.csv", (CHARGES_HEADER + CHARGE.replace("100001", "200001")).encode(),
     ("2", "Лицевой счёт", "Лицевой счёт 200001 относится к другому ТСЖ.")),
    ("garbage.csv", (CHARGES_HEADER + CHARGE.replace("120,50", "сто двадцать")).encode(),
     ("2", "Начислено", "«сто двадцать» — не число.")),
    ("negative.csv", (CHARGES_HEADER + CHARGE.replace("120,50", "-120,50")).encode(),
     ("2", "Начислено", "Значение не может быть отрицательным.")),
    ("volume.csv", (CHARGES_HEADER + CHARGE.replace("чел.;1;", "чел.;-1;")).encode(),
     ("2", "Объём", "Значение не может быть отрицательным.")),
    ("benefit.csv", (CHARGES_HEADER + CHARGE.replace(";0;0\n", ";0;-5\n")).encode(),
     ("2", "Льгота", "Значение не может быть отрицательным.")),
    ("day.csv", (CHARGES_HEADER + CHARGE.replace("12.2026", "15.12.2026")).encode(),
     ("2", "Период", "«15.12.2026» — не месяц")),
    ("month13.csv", (CHARGES_HEADER + CHARGE.replace("12.2026", "2026-13")).encode(),
     ("2", "Период", "«2026-13» — не месяц")),
    ("season.csv", (CHARGES_HEADER + CHARGE.replace("12.2026", "зима")).encode(),
     ("2", "Период", "«зима» — не месяц")),
    ("no-account.csv", (CHARGES_HEADER + CHARGE.replace("100001", "")).encode(),
     ("2", "Лицевой счёт", "Пустое значение, а оно обязательно.")),
    ("letters.csv", (CHARGES_HEADER + CHARGE.replace("100001", "кв. 5")).encode(),
     ("2", "Лицевой счёт", "не номер лицевого счёта")),
    ("duplicate.csv", (CHARGES_HEADER + CHARGE + CHARGE).encode(),
     ("3", "", "Строка повторяет duplicate.csv, строку 2.")),
    ("to-pay.csv", (CHARGES_HEADER.strip() + ";К оплате\n" + CHARGE.strip() + ";100\n").encode(),
     ("2", "К оплате", "«К оплате» 100,00 не равно")),
    ("balance.csv", ("Период;Лицевой счёт;Услуга;Начислено;Входящее сальдо\n"
                     "12.2026;100001;ТКО;1;500\n12.2026;100001;ХВС;1;600\n").encode(),
     ("3", "Входящее сальдо", "отличается от строки 2")),
    ("pay-negative.csv", "Лицевой счёт;Дата оплаты;Сумма\n100001;05.12.2026;-100\n".encode(),
     ("2", "Сумма", "Сумма должна быть больше нуля.")),
    ("pay-date.csv", "Лицевой счёт;Дата оплаты;Сумма\n100001;32.12.2026;100\n".encode(),
     ("2", "Дата оплаты", "«32.12.2026» — не дата")),
    ("pay-twice.csv", "Лицевой счёт;Дата оплаты;Сумма\n100001;05.12.2026;100\n"
                      "100001;05.12.2026;100\n".encode(),
     ("3", "", "Строка повторяет pay-twice.csv, строку 2.")),
    ("meter-kind.csv", "Лицевой счёт;Вид;Заводской номер\n100001;пар;X1\n".encode(),
     ("2", "Вид", "Неизвестный вид счётчика «пар»")),
    ("meter-zones.csv", "Лицевой счёт;Вид;Заводской номер;Тарифность\n100001;ХВС;X1;2\n".encode(),
     ("2", "Тарифность", "только у счётчиков электроэнергии")),
    ("meter-t3.csv", "Лицевой счёт;Вид;Заводской номер;Тарифность;Т1;Т3\n"
                     "100001;электроэнергия;X1;2;1;1\n".encode(),
     ("2", "Т3", "Есть показание для зоны 3, а зон у счётчика 2.")),
    ("accounts.csv", "Лицевой счёт;Адрес\n200001;пр. Космонавтов, 5\n".encode(),
     ("2", "Лицевой счёт", "Лицевой счёт 200001 относится к другому ТСЖ.")),
    ("accounts.csv", "Лицевой счёт;Адрес\n900001;ул. Чужая, 1\n".encode(),
     ("2", "Лицевой счёт", "не начинается с префикса этого ТСЖ (10)")),
    ("accounts.csv", "Лицевой счёт;Адрес;E-mail\n100001;ул. Солнечная, 12;нет почты\n".encode(),
     ("2", "E-mail", "«нет почты» — не адрес электронной почты.")),
    ("accounts.csv", "Лицевой счёт;Адрес;Проживает\n100001;ул. Солнечная, 12;2,5\n".encode(),
     ("2", "Проживает", "«2,5» — не целое неотрицательное число.")),
])
def test_bad_file(office, client, demo, name, content, expected):
    response = bad(client, office, demo, (name, content))
    row, column, message = expected
    found = problems(response)
    assert any(f == name and r == (row or "") and c == column and message in m
               for f, r, c, m in found), found


def test_a_file_over_the_size_limit(office, client, demo):
    demo.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    content = (CHARGES_HEADER + CHARGE * 20000).encode()
    assert len(content) > 1024 * 1024
    response = bad(client, office, demo, ("big.csv", content))
    assert problems(response) == [("big.csv", "", "", "Файл больше 1 МБ.")]


def test_an_account_of_another_hoa_found_by_its_number(office, client, demo):
    with demo.app_context():
        other = Hoa.create(name="УК «Соседи»", prefixes="30")
        Account.create(number="300001", hoa=other, address="ул. Соседняя, 1")
    response = bad(client, office, demo, ("accounts.csv", "Лицевой счёт;Адрес\n300001;ул. Моя\n"
                                                          .encode()))
    assert "Лицевой счёт 300001 относится к другому ТСЖ." in text(response)


def test_one_bad_file_keeps_the_good_ones_from_being_saved(office, client, demo):
    accounts = "Лицевой счёт;Адрес;Собственник\n100001;ул. Солнечная, 12;Новый Н. Н.\n".encode()
    charges = (CHARGES_HEADER + CHARGE.replace("120,50", "абв")).encode()
    response = bad(client, office, demo, ("accounts.csv", accounts), ("charges.csv", charges))
    assert [p[0] for p in problems(response)] == ["charges.csv"]


def test_duplicates_across_two_files_of_one_load(office, client, demo):
    content = (CHARGES_HEADER + CHARGE).encode()
    response = bad(client, office, demo, ("a.csv", content), ("b.csv", content))
    assert ("b.csv", "2", "", "Строка повторяет a.csv, строку 2.") in problems(response)


def test_charges_may_name_accounts_from_the_accounts_file_of_the_same_load(office, client, demo):
    accounts = "Лицевой счёт;Адрес\n100077;ул. Солнечная, 12\n".encode()
    charges = (CHARGES_HEADER + CHARGE.replace("100001", "100077")).encode()
    load(client, office, ("charges.csv", charges), ("accounts.csv", accounts))
    assert charge(demo, "100077", date(2026, 12, 1), "Вывоз ТКО").amount == Decimal("120.50")


def test_no_files_chosen(office, client, demo):
    before = snapshot(demo)
    response = client.post(f"/office/{office.id}/import", data={},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Выберите один или несколько файлов." in text(response)
    assert snapshot(demo) == before


@pytest.mark.parametrize("written, value", [
    ("1 234,56", "1234.56"), ("1\u00a0234,56", "1234.56"), ("1\u202f234,56", "1234.56"),
    ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("-12,5", "-12.5"), ("\u221212,5", "-12.5"),
    ("1 234 ₽", "1234"), ("0", "0"), (1234.5, "1234.5"), (7, "7"),
])
def test_numbers_the_way_billing_programs_write_them(written, value):
    assert to_decimal(written) == Decimal(value)


@pytest.mark.parametrize("written", ["1.2.3", "12,3,4", "abc", "1e5", "NaN", "--1", ""])
def test_not_numbers(app, written):
    with app.test_request_context():
        with pytest.raises(Bad):
            to_decimal(written)


def test_row_numbers_count_lines_of_quoted_cells(office, client, demo):
    content = ('Лицевой счёт;Адрес;Собственник\r\n100001;"ул. Солнечная,\r\nд. 12";Иванов\r\n'
               '100002;ул. Солнечная, 12;Петрова\r\n\r\n100003;ул. Солнечная, 12;\r\n'
               '100004;ул. Солнечная, 12;Сидоров;лишнее\r\nабв;ул. Солнечная, 12;X\r\n').encode()
    response = bad(client, office, demo, ("accounts.csv", content))
    assert ("accounts.csv", "8", "Лицевой счёт",
            "«абв» — не номер лицевого счёта: в нём должно быть от 4 до 20 цифр.") \
        in problems(response)


def test_every_error_of_a_row_is_reported(office, client, demo):
    response = bad(client, office, demo, ("charges.csv", (CHARGES_HEADER + CHARGE.replace(
        "12.2026", "15.12.2026").replace("120,50", "abc")).encode()))
    assert [(p[1], p[2]) for p in problems(response)] == [("2", "Период"), ("2", "Начислено")]


def test_the_form_sent_without_choosing_a_file(office, client, demo):
    before = snapshot(demo)
    response = upload(client, office, ("", b""))
    assert response.status_code == 400
    assert "Выберите один или несколько файлов." in text(response)
    assert snapshot(demo) == before and logs(demo) == (1, 1)  # the demo's accounts only
