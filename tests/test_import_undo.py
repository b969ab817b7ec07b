"""Loading a month again: the preview says per kind and month what goes and what comes, names
the accounts whose rows would go unmentioned, and the latest load of a month can be undone."""
import re
from datetime import date
from decimal import Decimal

import migrate
from testdb import make_app, sqlite_only, step_back
from formats import format_money
from house_receipts import fingerprint
from importruns import ImportMonth, ImportRun, ReplacedRow
from meter_models import Meter
from models import Account, AuditEvent, Charge, Hoa, ImportLog, MonthBalance, Payment, db
from uploading import CHARGES_HEADER, load, text, upload

DECEMBER, NOVEMBER = date(2026, 12, 1), date(2026, 11, 1)
PAYMENTS_HEADER = "Лицевой счёт;Дата оплаты;Сумма;Плательщик/банк\n"
THREE = PAYMENTS_HEADER + ("100001;05.12.2026;1 000,00;Сбербанк\n"
                           "100002;06.12.2026;500,00;Почта\n"
                           "100003;07.12.2026;8 280,06;ВТБ\n")
TWO = PAYMENTS_HEADER + "100001;05.12.2026;1 000,00;Сбербанк\n100002;06.12.2026;600,00;Почта\n"


def payments(name, content):
    return name, content.encode()


def money_rows(app):
    """The money tables row by row, ids included: an undo must bring back the very rows."""
    with app.app_context():
        return {model.__name__: sorted(tuple(row.values()) for row in model.select().dicts())
                for model in (Charge, MonthBalance, Payment)}


def change_row(response, key):
    """The cells of the preview's (or undo page's) row for `key`, e.g. payments-2026-12."""
    html = response.get_data(as_text=True)
    row = re.search(rf'<tr data-change="{key}">(.*?)</tr>', html, re.S)
    assert row, f"no row {key}"
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def last_run(app):
    with app.app_context():
        return ImportRun.select().order_by(ImportRun.id.desc()).get()


def undo_url(hoa, run):
    return f"/office/{hoa.id}/import/loads/{run.id}/undo"


# --- the preview --------------------------------------------------------------------------------

def test_a_two_row_december_file_names_the_account_whose_payment_would_go(office, client, demo):
    load(client, office, payments("december.csv", THREE))
    before = money_rows(demo)
    response = upload(client, office, payments("december-2.csv", TWO))
    assert response.status_code == 200
    page = text(response)
    assert ("Платежи, декабрь 2026: будут удалены строки лицевых счетов, которых нет в новых "
            "файлах: 100003 — 8 280,06 ₽.") in page, page
    assert change_row(response, "payments-2026-12") == [
        "декабрь 2026 Платежи", "9 780,06 ₽ 3 строки", "1 600,00 ₽ 2 строки", "-8 180,06 ₽"]
    assert "Что изменит загрузка" in page
    assert "Заменяет строк" not in page
    assert money_rows(demo) == before  # the preview writes nothing


def test_the_preview_says_per_kind_and_month_what_goes_and_comes(office, client, demo_full):
    load(client, office, payments("december.csv", THREE))
    charges = (CHARGES_HEADER + "11.2026;100001;Содержание жилья;м²;35,4;40;1416,00;0;0\n"
               "12.2026;100001;Содержание жилья;м²;35,4;40;1416,00;0;0\n")
    response = upload(client, office, ("charges.csv", charges.encode()),
                      payments("december-2.csv", TWO))
    assert response.status_code == 200
    with demo_full.app_context():
        november = Charge.select().join(Account).where(Charge.period == NOVEMBER)
        rows, to_pay = november.count(), sum(c.to_pay for c in november)
        balances = MonthBalance.select().where(MonthBalance.period == NOVEMBER)
        opening = sum(b.opening_balance for b in balances)
        own = sum(c.to_pay for c in november if c.account.number == "100001")
        own_rows = len([c for c in november if c.account.number == "100001"])
        second = sum(c.to_pay for c in november if c.account.number == "100002")
    assert change_row(response, "charges-2026-11")[1:3] == [
        f"{format_money(to_pay)} {rows} строк", "1 416,00 ₽ 1 строка"]
    assert change_row(response, "balances-2026-11")[1:3] == [
        f"{format_money(opening)} 40 строк", "0,00 ₽ 0 строк"]
    assert change_row(response, "charges-2026-12")[1:3] == ["0,00 ₽ 0 строк",
                                                           "1 416,00 ₽ 1 строка"]
    assert change_row(response, "payments-2026-12")[1:3] == [
        "9 780,06 ₽ 3 строки", "1 600,00 ₽ 2 строки"]
    page = text(response)
    assert (f"Начисления, ноябрь 2026: будут удалены строки лицевых счетов, которых нет в новых "
            f"файлах: 100002 — {format_money(second)};") in page
    assert "100011 —" in page and "100012 —" not in page  # the first ten are named
    assert (f"И ещё 29 лицевых счетов; всего у таких счетов удаляется строк: "
            f"{rows - own_rows}, на {format_money(to_pay - own)}.") in page
    assert ("Входящее сальдо и пени, ноябрь 2026: в файлах нет входящего сальдо и пеней, "
            "поэтому загруженные ранее сальдо и пени 40 лицевых счетов будут удалены.") in page
    assert "Начисления, декабрь 2026:" not in page  # a new month removes nothing


def test_loading_the_same_month_for_the_same_accounts_warns_of_nothing(office, client, demo):
    load(client, office, payments("december.csv", THREE))
    response = upload(client, office, payments("december.csv", THREE))
    assert 'data-warning=' not in response.get_data(as_text=True)
    assert change_row(response, "payments-2026-12")[1:] == [
        "9 780,06 ₽ 3 строки", "9 780,06 ₽ 3 строки", "0,00 ₽"]


def test_the_import_command_says_the_same(office, client, demo, runner, tmp_path):
    load(client, office, payments("december.csv", THREE))
    path = tmp_path / "december-2.csv"
    path.write_text(TWO, encoding="utf-8")
    result = runner.invoke(args=["import", "--hoa", str(office.id), "--dry-run", str(path)])
    assert result.exit_code == 0, result.output
    assert "payments 12.2026 replaced: 3 rows, 9 780,06 ₽ -> 2 rows, 1 600,00 ₽" in result.output
    assert "100003 — 8 280,06 ₽" in result.output


def test_the_preview_says_how_many_meters_are_new_and_how_many_updated(office, client,
                                                                        demo_full):
    with demo_full.app_context():
        serial = Meter.select().join(Account).where(Account.number == "100001").get().serial
    meters = ("Лицевой счёт;Вид;Заводской номер\n"
              f"100001;ХВС;{serial}\n100001;ГВС;NEW-1\n100002;газ;NEW-2\n")
    response = upload(client, office, ("meters.csv", meters.encode()))
    assert "Из них новых 2, обновлённых 1." in text(response)


# --- undoing ------------------------------------------------------------------------------------

def test_undo_brings_the_replaced_rows_back_exactly(office, client, demo_full):
    load(client, office, payments("december.csv", THREE))
    before = money_rows(demo_full)
    with demo_full.app_context():
        printed = fingerprint(office, DECEMBER)
    charges = CHARGES_HEADER + "11.2026;100001;Содержание жилья;м²;35,4;40;1416,00;0;0\n"
    load(client, office, ("charges.csv", charges.encode()), payments("december-2.csv", TWO))
    assert money_rows(demo_full) != before
    run = last_run(demo_full)
    with demo_full.app_context():
        assert ReplacedRow.select().where(ReplacedRow.run == run).count() > 300
        loaded = fingerprint(office, DECEMBER)
    page = client.get(undo_url(office, run))
    assert page.status_code == 200
    assert "Отменить загрузку?" in text(page) and "charges.csv, december-2.csv" in text(page)
    assert "Отменить загрузку</button>" in page.get_data(as_text=True)
    assert change_row(page, "payments-2026-12") == [
        "декабрь 2026 Платежи", "1 600,00 ₽ 2 строки", "9 780,06 ₽ 3 строки"]
    assert money_rows(demo_full) != before  # the page alone changes nothing
    done = client.post(undo_url(office, run), follow_redirects=True)
    assert "Загрузка отменена: заменённые ею строки возвращены. Файлы: charges.csv, " \
           "december-2.csv." in text(done)
    assert money_rows(demo_full) == before  # the very rows, ids and all
    with demo_full.app_context():
        assert not ReplacedRow.select().where(ReplacedRow.run == run).exists()
        assert fingerprint(office, DECEMBER) not in (loaded, printed)
        run = ImportRun.get_by_id(run.id)
        assert run.undone_at and run.undone_by.email == "buh@rassvet.example"
        event = AuditEvent.select().where(AuditEvent.event == "import_undone").get()
        assert (event.hoa_id, event.accountant.email) == (office.id, "buh@rassvet.example")
    history = client.get(f"/office/{office.id}/import")
    undone = re.search(rf'<tr data-run="{run.id}">.*?</tr>', history.get_data(as_text=True),
                       re.S).group(0)
    assert "Отменена" in undone and "buh@rassvet.example" in undone and "Отменить…" not in undone
    log = text(client.get(f"/office/{office.id}/audit"))
    assert "Загрузка данных отменена" in log
    assert ("платежи, декабрь 2026: удалено 2 строки на 1 600,00 ₽, возвращено 3 строки на "
            "9 780,06 ₽") in log


def test_undoing_twice_is_refused(office, client, demo):
    load(client, office, payments("december.csv", THREE))
    load(client, office, payments("december-2.csv", TWO))
    run = last_run(demo)
    assert client.post(undo_url(office, run)).status_code == 302
    after = money_rows(demo)
    again = client.post(undo_url(office, run))
    assert again.status_code == 409
    assert "Эта загрузка уже отменена" in text(again) and "buh@rassvet.example" in text(again)
    assert money_rows(demo) == after
    with demo.app_context():
        assert AuditEvent.select().where(AuditEvent.event == "import_undone").count() == 1


def test_undo_is_refused_when_a_later_load_replaced_the_month(office, client, demo):
    original = money_rows(demo)
    load(client, office, payments("december.csv", THREE))
    first = last_run(demo)
    three = money_rows(demo)
    load(client, office, payments("december-2.csv", TWO))
    second = last_run(demo)
    now = money_rows(demo)
    page = client.get(undo_url(office, first))
    assert "Эту загрузку нельзя отменить: платежи за декабрь 2026 позже загружены заново — " \
           in text(page)
    assert "(december-2.csv). Сначала отмените ту, более позднюю загрузку." in text(page)
    assert "Отменить загрузку</button>" not in page.get_data(as_text=True)  # no button
    refused = client.post(undo_url(office, first))
    assert refused.status_code == 409 and "december-2.csv" in text(refused)
    assert money_rows(demo) == now
    # undone in turn, latest first, each brings back what it replaced
    assert client.post(undo_url(office, second)).status_code == 302
    assert money_rows(demo) == three
    assert client.post(undo_url(office, first)).status_code == 302
    assert money_rows(demo) == original
    with demo.app_context():
        assert AuditEvent.select().where(AuditEvent.event == "import_undone").count() == 2


def test_a_later_load_of_another_month_or_kind_does_not_block(office, client, demo):
    load(client, office, payments("december.csv", THREE))
    first = last_run(demo)
    november = PAYMENTS_HEADER + "100001;05.11.2026;700,00;Сбербанк\n"
    charges = CHARGES_HEADER + "12.2026;100001;Содержание жилья;м²;35,4;40;1416,00;0;0\n"
    load(client, office, payments("november.csv", november), ("charges.csv", charges.encode()))
    assert client.post(undo_url(office, first)).status_code == 302
    with demo.app_context():
        assert not Payment.select().where(Payment.period == DECEMBER).exists()
        assert Payment.select().where(Payment.period == NOVEMBER).count() == 1
        assert Charge.select().where(Charge.period == DECEMBER).count() == 1


def test_undo_after_sqlite_gave_a_replaced_rows_id_to_another_month(office, client, demo):
    """SQLite hands out the highest id + 1, so ids of deleted rows come again: a replaced row's
    id may belong to a later load's row of another month by the time of the undo."""
    load(client, office, payments("december.csv", THREE))
    with demo.app_context():
        three = sorted(Payment.select(Payment.account, Payment.period, Payment.paid_on,
                                      Payment.amount, Payment.reference).tuples())
    load(client, office, payments("december-2.csv", TWO))
    replacing = last_run(demo)
    november = PAYMENTS_HEADER + "100004;05.11.2026;700,00;Сбербанк\n100005;06.11.2026;1,00;\n"
    load(client, office, payments("november.csv", november))
    assert client.post(undo_url(office, replacing)).status_code == 302
    with demo.app_context():
        rows = sorted(Payment.select(Payment.account, Payment.period, Payment.paid_on,
                                     Payment.amount, Payment.reference).tuples())
        assert [row for row in rows if row[1] == DECEMBER] == three
        assert len([row for row in rows if row[1] == NOVEMBER]) == 2


def test_a_load_of_accounts_only_has_nothing_to_undo(office, client, demo):
    accounts = "Лицевой счёт;Адрес\n100001;ул. Солнечная, 12\n"
    load(client, office, ("accounts.csv", accounts.encode()))
    run = last_run(demo)
    history = client.get(f"/office/{office.id}/import").get_data(as_text=True)
    assert "Отменить…" not in re.search(rf'<tr data-run="{run.id}">.*?</tr>', history,
                                        re.S).group(0)
    refused = client.post(undo_url(office, run))
    assert refused.status_code == 409 and "отменять нечего" in text(refused)


def test_another_hoas_load_is_404(office, client, demo):
    with demo.app_context():
        polet = Hoa.get(Hoa.prefixes == "20")
        run = ImportRun.create(hoa=polet, files="polet.csv")
        ImportMonth.create(run=run, kind="payments", period=DECEMBER, rows_after=1)
    for hoa in (office, polet):
        assert client.get(undo_url(hoa, run)).status_code == 404
        assert client.post(undo_url(hoa, run)).status_code == 404
    assert client.get(f"/office/{office.id}/import/loads/999999/undo").status_code == 404
    with demo.app_context():
        assert ImportRun.get_by_id(run.id).undone_at is None


def test_each_file_of_a_load_names_its_load(office, client, demo):
    charges = CHARGES_HEADER + "12.2026;100001;Содержание жилья;м²;35,4;40;1416,00;0;0\n"
    load(client, office, ("charges.csv", charges.encode()), payments("december.csv", THREE))
    run = last_run(demo)
    with demo.app_context():
        assert {log.filename for log in ImportLog.select().where(ImportLog.run == run.id)} == {
            "charges.csv", "december.csv"}
        months = {(m.kind, m.period, m.rows_before, m.rows_after, m.sum_after)
                  for m in run.months}
    assert months == {("charges", DECEMBER, 0, 1, Decimal("1416.00")),
                      ("balances", DECEMBER, 0, 0, Decimal("0.00")),
                      ("payments", DECEMBER, 0, 3, Decimal("9780.06"))}


def test_the_list_of_loads_is_paginated(office, client, demo):
    for n in range(3):
        load(client, office, payments(f"december-{n}.csv", THREE))
    with demo.app_context():
        logs = ImportLog.select().where(ImportLog.hoa == office).count()
        for n in range(25):
            ImportLog.create(hoa=office, filename=f"old-{n}.csv", sha256="0" * 64)
    assert len(loads(client.get(f"/office/{office.id}/import"))) == 20
    assert len(loads(client.get(f"/office/{office.id}/import?page=2"))) == logs + 25 - 20
    assert client.get(f"/office/{office.id}/import?page=abc").status_code == 200


def loads(response):
    table = re.search(r'<table[^>]*id="loads".*?</table>', response.get_data(as_text=True), re.S)
    return re.findall(r"<tr[ >]", table.group(0).split("</thead>")[1])


# --- the schema ---------------------------------------------------------------------------------

@sqlite_only
def test_version_10_gets_the_tables_of_loads_and_the_log_its_column(tmp_path):
    make_app(tmp_path)
    step_back(tmp_path, 10,
              *(f"DROP TABLE {table}" for table in ("replacedrow", "importmonth", "importrun")),
              "DROP INDEX importlog_run", "ALTER TABLE importlog DROP COLUMN run")
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert {"replacedrow", "importmonth", "importrun"} <= set(db.get_tables())
        assert "run" in {column.name for column in db.get_columns("importlog")}
        assert "importlog_run" in {index.name for index in db.get_indexes("importlog")}
        migrate.to_11(migrate.SchemaMigrator.from_database(db.obj))  # again: nothing
