"""Upgrades: a database made by the previous schema version, with data, upgrades in place."""
import sqlite3
from datetime import date
from decimal import Decimal

import importer
import migrate
from testdb import make_app, sqlite_only, step_back
from meetings.models import Meeting
from meter_models import Meter, Reading, ReminderSent
from polls.models import Poll, PollAnswer
from receipt_files import HouseReceipts
from models import (
    Account, AuditEvent, Charge, Hoa, MonthBalance, Notice, OutgoingMail, Payment, Resident,
    Setting, db, now,
)


def fill(app):
    """Some of everything, as a running version-1 server would hold it."""
    import demo as demo_data
    from werkzeug.security import generate_password_hash
    password_hash = generate_password_hash("password-1")
    with app.app_context():
        demo_data.load(echo=lambda *a: None, files=("accounts.csv",))
        for i, account in enumerate(Account.select()):
            resident = Resident.create(account=account, email=f"r{i}@example.ru", name="Жилец",
                                       activated_at=now(), password_hash=password_hash)
            AuditEvent.record("register", "10.0.0.1", hoa=account.hoa, resident=resident,
                              account_number=account.number)
            Charge.create(account=account, period=date(2026, 3, 1), service="Отопление",
                          volume=Decimal("1.234"), tariff=Decimal("2500.1234"),
                          amount=Decimal("3085.16"))
            MonthBalance.create(account=account, period=date(2026, 3, 1),
                                opening_balance=Decimal("-12.50"))
            Payment.create(account=account, period=date(2026, 3, 1), paid_on=date(2026, 3, 5),
                           amount=Decimal("1000.00"))
            meter = Meter.create(account=account, kind="cold_water", unit="м³", serial=f"S{i}")
            Reading.create(meter=meter, period=date(2026, 3, 1), t1=Decimal("12.345"),
                           resident=resident)
        Notice.create(hoa=Account.get().hoa, title="Отключение воды", body="<b>15 марта</b>")


def dump(path):
    """Every row of every table, every column."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in tables if t != "setting"}
    finally:
        con.close()


def make_version_1(path):
    """Take today's schema back to version 1: no mail queue, no reminders, no log index, no
    version row."""
    con = sqlite3.connect(path)
    with con:
        con.execute("DROP TABLE outgoingmail")
        con.execute("DROP TABLE remindersent")
        con.execute("DROP INDEX auditevent_hoa_id_at")
        con.execute("DELETE FROM setting")
    con.close()


def indexes(path, table):
    con = sqlite3.connect(path)
    try:
        return {r[1] for r in con.execute(f'PRAGMA index_list("{table}")')}
    finally:
        con.close()


def test_fresh_database_has_the_latest_version(app):
    with app.app_context():
        assert Setting.get(Setting.key == "schema_version").value == str(migrate.LATEST)
        assert migrate.current_version() == migrate.LATEST


@sqlite_only
def test_start_upgrades_an_old_database_without_losing_a_row(tmp_path):
    path = tmp_path / "domkom.db"
    app = make_app(tmp_path)
    fill(app)
    db.close()
    make_version_1(path)
    before = dump(path)
    assert "outgoingmail" not in before
    assert sum(len(rows) for rows in before.values()) > 300
    app = make_app(tmp_path)  # starting the app upgrades
    after = dump(path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert OutgoingMail.select().count() == 0
        assert ReminderSent.select().count() == 0
    assert "auditevent_hoa_id_at" in indexes(path, "auditevent")
    checked = 0
    for table, rows in before.items():
        assert after[table] == rows, table
        checked += len(rows)
    print(f"upgrade test: {len(before)} tables, {checked} rows checked")
    # and the upgraded database works: a refused mail can be queued now
    client = app.test_client()
    r = client.post("/login", data={"account": "100001", "password": "password-1"})
    assert r.status_code == 302


@sqlite_only
def test_migrate_command_on_an_old_database(tmp_path):
    path = tmp_path / "domkom.db"
    app = make_app(tmp_path)
    db.close()
    make_version_1(path)
    with app.app_context():
        assert migrate.current_version() == 1
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output
    result = app.test_cli_runner().invoke(args=["migrate"])
    assert "nothing to do" in result.output


def test_empty_database_is_left_to_init_db(tmp_path):
    from app import create_app
    app = create_app({"DATABASE": str(tmp_path / "new.db"), "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        assert db.get_tables() == []
        assert migrate.current_version() is None
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST


@sqlite_only
def test_version_2_log_gets_the_email_column_and_its_failed_office_logins(tmp_path):
    from models import Accountant
    path = tmp_path / "domkom.db"
    app = make_app(tmp_path)
    with app.app_context():
        accountant = Accountant(email="buh@example.ru")
        accountant.set_password("office-pass-1")
        accountant.save()
    db.close()
    con = sqlite3.connect(path)
    with con:
        con.execute("ALTER TABLE auditevent DROP COLUMN email")
        con.execute("UPDATE setting SET value = '2' WHERE key = 'schema_version'")
        for typed in ("Buh@Example.ru", "nobody@example.ru"):
            con.execute("INSERT INTO auditevent (at, event, account_number, ip, detail) "
                        "VALUES ('2026-03-01 10:00:00', 'office_login_failed', '', "
                        "'10.0.0.1', ?)", (typed,))
    con.close()
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        ours, unknown = AuditEvent.select().order_by(AuditEvent.id)
        assert (ours.accountant_id, ours.email) == (accountant.id, "buh@example.ru")
        assert (unknown.accountant_id, unknown.email) == (None, "")
        migrate.to_3_office(None)  # a second run changes nothing
        assert AuditEvent.get_by_id(unknown.id).email == ""


@sqlite_only
def test_version_3_database_gets_the_house_printing_tables(tmp_path):
    path = tmp_path / "domkom.db"
    app = make_app(tmp_path)
    fill(app)
    db.close()
    con = sqlite3.connect(path)
    with con:
        for table in ("housereceiptschunk", "housereceiptsfile", "housereceipts"):
            con.execute(f"DROP TABLE {table}")
        con.execute("UPDATE setting SET value = '3' WHERE key = 'schema_version'")
    con.close()
    before = dump(path)
    app = make_app(tmp_path)  # starting the app upgrades
    after = dump(path)
    assert {"housereceipts", "housereceiptsfile", "housereceiptschunk"} <= set(after)
    assert "housereceipts_hoa_id_period_fingerprint" in indexes(path, "housereceipts")
    assert all(after[table] == rows for table, rows in before.items())
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        migrate.to_4(None)  # again: nothing happens


@sqlite_only
def test_version_4_gets_the_tables_of_uploads_waiting_and_import_jobs(tmp_path):
    path = tmp_path / "domkom.db"
    make_app(tmp_path)
    db.close()
    con = sqlite3.connect(path)
    with con:
        for table in ("pendingfile", "pendingupload", "importslot", "importjob"):
            con.execute(f"DROP TABLE {table}")
        con.execute("UPDATE setting SET value = '4' WHERE key = 'schema_version'")
    con.close()
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert {"pendingfile", "pendingupload", "importslot", "importjob"} <= set(db.get_tables())
        token = importer.stash([("a.csv", b"1")], owner=1)
        migrate.to_5(None)  # a second run changes nothing
        assert importer.unstash(token) == [("a.csv", b"1")]


@sqlite_only
def test_version_5_gets_the_table_of_kept_files(tmp_path):
    make_app(tmp_path)
    step_back(tmp_path, 5, "DROP TABLE storedfile")
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert "storedfile" in db.get_tables()
        migrate.to_6(None)  # a second run changes nothing


@sqlite_only
def test_version_6_printings_learn_when_their_data_was_last_read(tmp_path):
    make_app(tmp_path)
    step_back(tmp_path, 6,
              "INSERT INTO hoa (name, inn, kpp, address, phone, email, accountant_contact,"
              " prefixes, recipient, bank_name, bic, settlement_account, corr_account,"
              " window_start_day, window_end_day, time_zone, pay_by_day, registration_check,"
              " created_at) VALUES ('ТСЖ', '', '', '', '', '', '', '1', '', '', '', '', '', 15,"
              " 25, 'Europe/Moscow', 10, 'auto', '2026-11-01')",
              "ALTER TABLE housereceipts DROP COLUMN stale",
              "ALTER TABLE housereceipts DROP COLUMN checked_at",
              "INSERT INTO housereceipts (hoa_id, period, fingerprint, state, receipts, done,"
              " attempt, error, created_at, touched_at) VALUES (1, '2026-10-01', 'f', 'done',"
              " 3, 3, 1, '', '2026-11-01', '2026-11-01')")
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        job = HouseReceipts.get()
        assert (job.fingerprint, job.stale, job.checked_at) == ("f", False, None)
        migrate.to_7(migrate.SchemaMigrator.from_database(db.obj))  # again: nothing happens


@sqlite_only
def test_version_7_gets_the_tables_of_polls(tmp_path):
    path = tmp_path / "domkom.db"
    app = make_app(tmp_path)
    fill(app)
    db.close()
    con = sqlite3.connect(path)
    with con:
        for table in ("pollanswer", "polloption", "poll"):
            con.execute(f"DROP TABLE {table}")
        con.execute("UPDATE setting SET value = '7' WHERE key = 'schema_version'")
    con.close()
    before = dump(path)
    app = make_app(tmp_path)  # starting the app upgrades
    after = dump(path)
    assert {"poll", "polloption", "pollanswer"} <= set(after)
    assert "pollanswer_poll_id_account_id" in indexes(path, "pollanswer")
    assert all(after[table] == rows for table, rows in before.items())
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        poll = Poll.create(hoa=Account.get().hoa, question="Вопрос", opens_on=date(2026, 3, 1))
        migrate.to_8(None)  # a second run changes nothing
        assert Poll.select().count() == 1 and PollAnswer.select().count() == 0
        assert poll.state(date(2026, 3, 2)) == "open"


@sqlite_only
def test_version_8_gets_documents_letter_choices_and_the_headers_of_letters(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        OutgoingMail.create(to="a@example.ru", subject="Тема", text="Текст")
    step_back(tmp_path, 8, *(f"DROP TABLE {table}" for table in (
        "document", "letteroptout", "chargeletter", "chargemailing")),
        "ALTER TABLE outgoingmail DROP COLUMN headers")
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert {"document", "letteroptout", "chargeletter", "chargemailing"} <= \
            set(db.get_tables())
        letter = OutgoingMail.get()
        assert (letter.subject, letter.headers) == ("Тема", "")
        migrate.to_9(None)  # a second run changes nothing
        assert OutgoingMail.select().count() == 1


@sqlite_only
def test_version_11_gets_the_tables_of_general_meetings(tmp_path):
    make_app(tmp_path)
    tables = ("meetingmaterial", "paperballot", "vote", "registerentry", "question", "meeting")
    step_back(tmp_path, 11, *(f"DROP TABLE {table}" for table in tables))
    app = make_app(tmp_path)
    with app.app_context():
        assert migrate.current_version() == migrate.LATEST
        assert set(tables) <= set(db.get_tables())
        hoa = Hoa.create(name="ТСЖ", prefixes="77")
        Meeting.create(hoa=hoa, title="Годовое", starts_on=date(2026, 3, 1),
                       ends_on=date(2026, 3, 10))
        migrate.to_12(None)  # a second run changes nothing
        assert Meeting.select().count() == 1
