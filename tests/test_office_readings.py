"""The office's readings: the month's list, entry on a resident's behalf and the export."""
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from factories_meters import TODAY, add_reading, clear_meters, make_meter
from meter_models import Meter, Reading
from models import Account, Hoa
from office_readings import COLUMNS, safe_cell


@pytest.fixture
def meters(demo, office, client):
    demo.config["TODAY"] = TODAY
    client.post("/lang/en")
    with demo.app_context():
        clear_meters()
        cold = make_meter(serial="CW-1", place="=HYPERLINK(\"http://evil\")")
        add_reading(cold, date(2026, 2, 1), 106)
        add_reading(cold, date(2026, 3, 1), 112, source="resident")
        power = make_meter(number="100002", kind="electricity", zones=2, serial="+79001234567")
        add_reading(power, date(2026, 3, 1), "1200.5", "600.25", status="flagged",
                    reason="-meter replaced", source="resident")
        quiet = make_meter(number="100003", serial="@SUM(A1)")
        Account.update(apartment="-3").where(Account.number == "100003").execute()
        add_reading(quiet, date(2026, 2, 1), 50)
        other_hoa = Hoa.get(Hoa.prefixes == "20")
        stranger = Account.create(number="200001", hoa=other_hoa)
        foreign = Meter.create(account=stranger, kind="gas", serial="GAS-X")
        return {"cold": cold.id, "power": power.id, "quiet": quiet.id, "foreign": foreign.id}


def snapshot(app):
    with app.app_context():
        return [(r.meter_id, r.period, r.t1, r.t2, r.status) for r in Reading.select()]


def test_month_list_shows_source_and_status(meters, office, client):
    html = client.get(f"/office/{office.id}/readings?period=2026-03").get_data(as_text=True)
    assert "CW-1" in html and "+79001234567" in html and "@SUM(A1)" in html
    assert "reading flagged for the accountant" in html and "-meter replaced" in html
    assert "by the resident" in html
    assert "1200,5 / 600,25" in html
    assert "GAS-X" not in html
    assert "Readings received: 2 of 3 meters." in html


def test_menu_links_the_readings(meters, office, client):
    html = client.get(f"/office/{office.id}").get_data(as_text=True)
    assert f"/office/{office.id}/readings" in html


def test_other_hoa_is_404(meters, office, client):
    other = meters["foreign"]
    with client.application.app_context():
        other_hoa = Hoa.get(Hoa.prefixes == "20").id
    assert client.get(f"/office/{other_hoa}/readings").status_code == 404
    assert client.get(f"/office/{other_hoa}/readings/export.csv").status_code == 404
    assert client.get(f"/office/{office.id}/readings/meter/{other}").status_code == 404
    before = snapshot(client.application)
    r = client.post(f"/office/{office.id}/readings/meter/{other}",
                    data={"period": "2026-03", f"m{other}_t1": "5"})
    assert r.status_code == 404
    assert snapshot(client.application) == before


def test_residents_cannot_open_the_office(demo, logged_in, client):
    with demo.app_context():
        hoa = Hoa.get(Hoa.prefixes == "10")
    r = client.get(f"/office/{hoa.id}/readings")
    assert r.status_code == 302 and "/office/login" in r.headers["Location"]


def test_accountant_enters_a_reading(meters, office, client, demo):
    quiet = meters["quiet"]
    r = client.post(f"/office/{office.id}/readings/meter/{quiet}",
                    data={"period": "2026-03", f"m{quiet}_t1": "57,125"})
    assert r.status_code == 302
    with demo.app_context():
        reading = Reading.get(Reading.meter == quiet, Reading.period == date(2026, 3, 1))
        assert reading.t1 == Decimal("57.125") and reading.source == "accountant"
        assert reading.accountant_id is not None and reading.resident_id is None


@pytest.mark.parametrize("data, message", [
    ({"period": "2026-03", "t1": "abc"}, "digits only"),
    ({"period": "2026-03", "t1": "-1"}, "cannot be negative"),
    ({"period": "2026-03", "t1": "40"}, "below the previous one"),
    ({"period": "март", "t1": "60"}, "year-month"),
    ({"period": "2026-03", "t1": ""}, "Enter the reading."),
])
def test_accountant_entry_refused(meters, office, client, data, message):
    quiet = meters["quiet"]
    before = snapshot(client.application)
    r = client.post(f"/office/{office.id}/readings/meter/{quiet}",
                    data={"period": data["period"], f"m{quiet}_t1": data["t1"]})
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert snapshot(client.application) == before


def test_csv_export_columns_and_escaping(meters, office, client):
    r = client.get(f"/office/{office.id}/readings/export.csv?period=2026-03")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == COLUMNS
    by_serial = {row[2]: dict(zip(COLUMNS, row)) for row in rows[1:]}
    assert set(by_serial) == {"CW-1", "+79001234567"}  # a number: no formula, no apostrophe
    cold = by_serial["CW-1"]
    assert cold["Лицевой счёт"] == "100001" and cold["Период"] == "03.2026"
    assert cold["Показания Т1"] == "112,000" and cold["Показания Т2"] == ""
    assert cold["Источник"] == "жилец" and cold["Вид"] == "ХВС"
    assert cold["Место установки"] == "'=HYPERLINK(\"http://evil\")"
    power = by_serial["+79001234567"]
    assert (power["Показания Т1"], power["Показания Т2"]) == ("1200,500", "600,250")
    assert power["Статус"] == "на проверке" and power["Причина"] == "'-meter replaced"
    assert power["Вид"] == "электроэнергия" and power["Тарифность"] == "2"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "@")) for cell in row), row
        assert not any(cell.startswith(("+", "-")) and not cell[1:].isdigit() for cell in row)


def test_xlsx_export_columns_and_escaping(meters, office, client):
    r = client.get(f"/office/{office.id}/readings/export.xlsx?period=2026-03")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    by_serial = {row[2]: dict(zip(COLUMNS, row)) for row in rows[1:]}
    power = by_serial["+79001234567"]
    assert power["Показания Т1"] == pytest.approx(1200.5)
    assert power["Показания Т2"] == pytest.approx(600.25)
    assert power["Причина"] == "-meter replaced" and power["Тарифность"] == 2
    assert isinstance(by_serial["CW-1"]["Дата передачи"], datetime)
    assert by_serial["CW-1"]["Место установки"] == "=HYPERLINK(\"http://evil\")"
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str) and cell.value.startswith(("=", "@", "-")):
                assert cell.quotePrefix and cell.data_type == "s", cell.coordinate  # kept as text


def test_export_of_apartment_and_serial_escaped(meters, office, client):
    r = client.get(f"/office/{office.id}/readings/export.csv?period=2026-02")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig")), delimiter=";"))
    quiet = [dict(zip(COLUMNS, row)) for row in rows[1:] if row[0] == "100003"][0]
    assert quiet["Квартира"] == "-3" and quiet["Заводской номер"] == "'@SUM(A1)"


def test_export_speaks_russian_whatever_the_page_language(meters, office, client, demo):
    with demo.app_context():
        Reading.update(reason="meter replaced or past its maximum").where(
            Reading.meter == meters["power"]).execute()
    client.post("/lang/en")
    rows = list(csv.reader(io.StringIO(client.get(
        f"/office/{office.id}/readings/export.csv?period=2026-03").get_data().decode("utf-8-sig")),
        delimiter=";"))
    power = [dict(zip(COLUMNS, row)) for row in rows[1:] if row[0] == "100002"][0]
    assert power["Причина"] == "счётчик заменён или перешёл через максимум"
    assert re.fullmatch(r"\d\d\.03\.2026 \d\d:\d\d", power["Дата передачи"])
    sheet = load_workbook(io.BytesIO(client.get(
        f"/office/{office.id}/readings/export.xlsx?period=2026-03").get_data())).active
    assert sheet.title == "Показания" and sheet["D1"].value == "Вид"


def test_unknown_export_format_is_404(meters, office, client):
    assert client.get(f"/office/{office.id}/readings/export.pdf").status_code == 404


@pytest.mark.parametrize("text, cell", [
    ("=1+1", "'=1+1"), ("+7", "+7"), ("-3", "-3"), ("-12.5", "-12.5"), ("@A1", "'@A1"),
    ("\tx", "'\tx"), ("кухня", "кухня"), ("", ""), (None, ""), ("a=b", "a=b"),
    ("2026-03-20", "2026-03-20"), ("+7 900 123-45-67", "'+7 900 123-45-67"),
    ("-meter replaced", "'-meter replaced"), ("кухня, -1", "кухня, -1"), ("=5", "'=5"),
])
def test_safe_cell(text, cell):
    assert safe_cell(text) == cell


def test_accountant_declines_with_reason_and_resident_sees_it(meters, office, client, demo):
    with demo.app_context():
        flagged = Reading.get(Reading.meter == meters["power"])
    before = snapshot(demo)
    r = client.post(f"/office/{office.id}/readings/{flagged.id}/status",
                    data={"decision": "declined", "reason": "  "})
    assert r.status_code == 400 and "Write why the reading is declined." in r.get_data(as_text=True)
    r = client.post(f"/office/{office.id}/readings/{flagged.id}/status",
                    data={"decision": "deleted", "reason": "x"})
    assert r.status_code == 400 and "accept or to decline" in r.get_data(as_text=True)
    assert snapshot(demo) == before
    r = client.post(f"/office/{office.id}/readings/{flagged.id}/status",
                    data={"decision": "declined", "reason": "Фото счётчика не совпадает"})
    assert r.status_code == 302
    with demo.app_context():
        reading = Reading.get_by_id(flagged.id)
        assert reading.status == "declined" and reading.reason == "Фото счётчика не совпадает"
        meter = Meter.get_by_id(meters["power"])
        assert Reading.counting_for_period([meter], date(2026, 3, 1)) == {}
    html = client.get(f"/office/{office.id}/readings?period=2026-03").get_data(as_text=True)
    assert "Readings received: 1 of 3 meters." in html
    # the resident of 100002 sees why
    from helpers import Outbox, ResidentActions
    resident_client = demo.test_client()
    actions = ResidentActions(resident_client, Outbox(demo.config["MAIL_OUTBOX"]))
    actions.register(account="100002", email="petrova@example.ru")
    password = actions.outbox.password()
    actions.activate()
    actions.login(account="100002", password=password)
    resident_client.post("/lang/en")
    page = resident_client.get("/cabinet/meters").get_data(as_text=True)
    assert "data-declined" in page and "Фото счётчика не совпадает" in page
    # and accepting it again makes it count
    r = client.post(f"/office/{office.id}/readings/{flagged.id}/status",
                    data={"decision": "accepted"})
    assert r.status_code == 302
    with demo.app_context():
        assert Reading.get_by_id(flagged.id).status == "accepted"


def test_decision_on_other_hoa_reading_is_404(meters, office, client, demo):
    with demo.app_context():
        foreign = Reading.create(meter=meters["foreign"], period=date(2026, 3, 1), t1=1)
    r = client.post(f"/office/{office.id}/readings/{foreign.id}/status",
                    data={"decision": "declined", "reason": "x"})
    assert r.status_code == 404
    with demo.app_context():
        assert Reading.get_by_id(foreign.id).status == "accepted"


def test_csv_export_is_safe_for_readers_splitting_on_commas(meters, office, client, demo):
    with demo.app_context():
        # \x01: PostgreSQL stores no NUL at all (forms and imports drop it before it gets there)
        Meter.update(place="-place,=2+2; @SUM(A1)\u202e\x01").where(
            Meter.id == meters["cold"]).execute()
    raw = client.get(f"/office/{office.id}/readings/export.csv?period=2026-03").get_data()
    content = raw.decode("utf-8-sig")
    assert "\u202e" not in content and "\x01" not in content
    assert "'-place,'=2+2; '@SUM(A1)" in content
    for delimiter in (";", ","):
        for row in csv.reader(io.StringIO(content), delimiter=delimiter):
            assert not any(formula(cell) for cell in row), row
    for line in content.splitlines():  # a reader that splits without minding quotes
        for cell in re.split("[,;]", line):
            assert not formula(cell), line


def formula(cell):
    """A cell a spreadsheet would run: = + - @ first and not a plain number (+7900…, -3)."""
    cell = cell.strip()
    return cell.startswith(("=", "+", "-", "@")) and not re.fullmatch(r"[+-]\d+(\.\d+)?", cell)
