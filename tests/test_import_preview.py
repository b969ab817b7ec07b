"""One import preview lists every problem of every row and file, of every kind, with the
numbers written the Russian way; nothing is saved."""
import io

from openpyxl import Workbook

from uploading import bad, problems

PAYMENTS = """Лицевой счёт;Дата оплаты;Сумма;Период
100001;32.12.2026;100;
100001;05.12.2026;сто рублей;
100001;05.12.2026;-50;
;;;
100001;;100;
100001;05.12.2026;100;13.2026
109999;05.12.2026;100;
200001;06.12.2026;200;
109999;вчера;300;
"""


def test_one_preview_lists_format_errors_and_unknown_and_foreign_accounts(office, client, demo):
    response = bad(client, office, demo, ("payments.csv", PAYMENTS.encode()))
    found = {(row, column, message) for _file, row, column, message in problems(response)}
    unknown = ("Лицевого счёта 109999 нет среди счетов этого ТСЖ. Сначала загрузите файл "
               "лицевых счетов или проверьте номер.")
    assert found == {
        ("2", "Дата оплаты", "«32.12.2026» — не дата; запишите её как 25.03.2026 или "
                             "2026-03-25."),
        ("3", "Сумма", "«сто рублей» — не число."),
        ("4", "Сумма", "Сумма должна быть больше нуля."),
        ("6", "Дата оплаты", "Пустое значение, а оно обязательно."),
        ("7", "Период", "«13.2026» — не месяц; запишите его как 03.2026 или 2026-03."),
        ("8", "Лицевой счёт", unknown),
        ("9", "Лицевой счёт", "Лицевой счёт 200001 относится к другому ТСЖ."),
        ("10", "Дата оплаты", "«вчера» — не дата; запишите её как 25.03.2026 или 2026-03-25."),
        ("10", "Лицевой счёт", unknown),
    }, found


def test_a_new_account_refused_for_a_cell_is_not_called_unknown_in_another_file(
        office, client, demo):
    accounts = "Лицевой счёт;Адрес;Площадь\n100077;ул. Солнечная, 12;много\n"
    payments = "Лицевой счёт;Дата оплаты;Сумма\n100077;05.12.2026;100\n100077;вчера;100\n"
    response = bad(client, office, demo, ("accounts.csv", accounts.encode()),
                   ("payments.csv", payments.encode()))
    assert problems(response) == [
        ("accounts.csv", "2", "Площадь", "«много» — не число."),
        ("payments.csv", "3", "Дата оплаты",
         "«вчера» — не дата; запишите её как 25.03.2026 или 2026-03-25."),
    ]


def test_another_hoas_account_in_a_refused_accounts_row_is_named(office, client, demo):
    accounts = "Лицевой счёт;Адрес;Площадь\n200001;ул. Солнечная, 12;много\n"
    response = bad(client, office, demo, ("accounts.csv", accounts.encode()))
    assert set(problems(response)) == {
        ("accounts.csv", "2", "Площадь", "«много» — не число."),
        ("accounts.csv", "2", "Лицевой счёт", "Лицевой счёт 200001 относится к другому ТСЖ."),
    }


def test_import_messages_write_numbers_the_russian_way(office, client, demo):
    charges = ("Период;Лицевой счёт;Услуга;Начислено;Перерасчёт;Льгота;К оплате\n"
               "12.2026;100001;Содержание;1734,85;0;0;1000\n")
    response = bad(client, office, demo, ("charges.csv", charges.encode()))
    assert problems(response) == [("charges.csv", "2", "К оплате", (
        "«К оплате» 1 000,00 не равно начислено + перерасчёт − льгота = 1 734,85."))]


def test_an_excel_number_in_a_message_has_a_decimal_comma(office, client, demo):
    book = Workbook()
    book.active.append(["Лицевой счёт", "Адрес", "Проживает"])
    book.active.append(["100001", "ул. Солнечная, 12", 2.5])
    out = io.BytesIO()
    book.save(out)
    response = bad(client, office, demo, ("accounts.xlsx", out.getvalue()))
    assert problems(response) == [
        ("accounts.xlsx", "2", "Проживает", "«2,5» — не целое неотрицательное число.")]
